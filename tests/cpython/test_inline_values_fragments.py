"""CPython 3.13's instance-values fragments (v3_13/objects.py: the values
after the object, at its type's tp_basicsize, while their `valid` byte is
set), run under Unicorn on a made-up object and type laid out as 3.13's
description says (the description itself is checked live on 3.13 by
test_object_layout.py).  They are assembled on any version: they read
only the description."""

from __future__ import annotations

import struct

import pytest

from pyjit.aarch64.asmtext import assemble
from pyjit.cpython.v3_13 import layout as L, objects

from unicorn_harness import CODE_BASE, PAGE, Machine

OBJ = CODE_BASE + 16 * PAGE
TYPE = OBJ + 0x400
BASICSIZE = 48

# values(x0) -> the values array, or 0 on a miss; has_no_dict(x0) -> 1, or 0 on a miss.
SOURCE = (
    "values:\n" + objects.instance_values("x0", "x13", "miss") + "    mov x0, x13\n    ret\n"
    "has_no_dict:\n" + objects.no_instance_dict("x0", "x14", "miss") + "    mov x0, #1\n    ret\n"
    "miss:\n    mov x0, #0\n    ret\n"
)


@pytest.fixture(scope="module")
def machine():
    result = assemble(SOURCE, "inline_values")
    m = Machine()
    m.load_code(result.code)
    m.load(bytes(PAGE), OBJ)
    entries = {line.text.rstrip(":"): line.offset for line in result.lines
               if line.text.endswith(":") and not line.text[0].isdigit()}
    return m, entries


@pytest.mark.parametrize("valid", [1, 0])
def test_values_after_the_object_while_valid(machine, valid):
    m, entries = machine
    m.uc.mem_write(OBJ + L.OB_TYPE, struct.pack("<Q", TYPE))
    m.uc.mem_write(TYPE + L.TYPE_TP_BASICSIZE, struct.pack("<Q", BASICSIZE))
    m.uc.mem_write(OBJ + BASICSIZE, bytes([4, 2, 1, valid]))   # capacity, size, embedded, valid
    values = OBJ + BASICSIZE + L.VALUES_ITEMS
    assert m.call(CODE_BASE + entries["values"], [OBJ]) == (values if valid else 0)
    assert m.call(CODE_BASE + entries["has_no_dict"], [OBJ]) == valid
