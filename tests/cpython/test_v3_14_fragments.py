"""CPython 3.14's own fragments (v3_14/objects.py) beside the reference
counts (test_refcount_fragments.py runs those against the C-API on 3.14):
the one-digit int test and value (3.12's fragments, which the small ints'
lv_tag bit must not disturb), and a stack ref's object.  Run under Unicorn on ints laid out as
3.14's description says, on any version (the description's int layout
is checked live on 3.14 by test_layout_v3_14.py and test_object_layout.py).
"""

from __future__ import annotations

import struct
import sys

import pytest

from pyjit.aarch64.asmtext import assemble
from pyjit.cpython.v3_14 import layout as L, objects

from unicorn_harness import CODE_BASE, PAGE, Machine

INT = CODE_BASE + 16 * PAGE
FAILED = 0xDEAD

# index(x0) -> the value, or FAILED; object(x0) -> the stack ref's object.
SOURCE = (
    "index:\n" + objects.one_digit_checks([("x0", "x12")], "x11", "fail")
    + objects.one_digit_values([("x0", "x12", "x13")])
    + "    mov x0, x13\n    ret\n"
    "fail:\n    mov x0, #" + str(FAILED) + "\n    ret\n"
    "object:\n" + objects.stackref_object("x0", "x1") + "    mov x0, x1\n    ret\n"
)


@pytest.fixture(scope="module")
def machine():
    result = assemble(SOURCE, "v3_14_fragments")
    m = Machine()
    m.load_code(result.code)
    m.load(bytes(PAGE), INT)
    entries = {line.text.rstrip(":"): line.offset for line in result.lines
               if line.text.endswith(":") and not line.text[0].isdigit()}
    return m, entries


def _int_memory(value: int) -> bytes:
    """The lv_tag and digits of the int value as 3.14 lays them out."""
    digits = []
    magnitude = abs(value)
    while magnitude:
        digits.append(magnitude & L.LONG_DIGIT_MASK)
        magnitude >>= L.LONG_DIGIT_BITS
    sign = 0 if value > 0 else L.LONG_SIGN_ZERO if value == 0 else L.LONG_SIGN_NEGATIVE
    small = L.LONG_SMALL_INT_BIT if L.SMALL_INT_MIN <= value <= L.SMALL_INT_MAX else 0
    tag = len(digits) << L.LONG_NON_SIZE_BITS | small | sign
    return struct.pack("<Q", tag) + struct.pack(f"<{max(len(digits), 1)}I", *(digits or [0]))


VALUES = [0, 1, 5, 255, 256, 257, 1000, 2**30 - 1, 2**30, 2**40, -1, -5, -6, -(2**30) + 1, -(2**31)]


@pytest.mark.parametrize("value", VALUES)
def test_one_digit_ints_and_their_values(machine, value):
    m, entries = machine
    m.uc.mem_write(INT + L.LONG_LV_TAG, _int_memory(value))
    got = m.call(CODE_BASE + entries["index"], [INT])
    assert got == (value % 2**64 if -(2**30) < value < 2**30 else FAILED)


@pytest.mark.skipif(sys.version_info[:2] != (3, 14), reason="the running 3.14's own ints")
@pytest.mark.parametrize("value", VALUES)
def test_the_made_up_ints_are_the_interpreters(value):
    import ctypes
    number = int(str(value))                      # the cached small int, or a new one
    size = max(1, (abs(value).bit_length() + L.LONG_DIGIT_BITS - 1) // L.LONG_DIGIT_BITS)
    assert ctypes.string_at(id(number) + L.LONG_LV_TAG, 8 + 4 * size) == _int_memory(value)


@pytest.mark.parametrize("word, address", [(0x7F00_1230, 0x7F00_1230), (0x7F00_1231, 0x7F00_1230),
                                           (L.STACKREF_NULL, 0)])
def test_a_stack_refs_object(machine, word, address):
    m, entries = machine
    assert m.call(CODE_BASE + entries["object"], [word]) == address == L.stackref_object(word)
