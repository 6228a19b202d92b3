"""The version's reference count fragments (objects.incref / decref: the
text every compiled function's thunks and inline counts, and every shared
routine, are made of), run under Unicorn on an object header, against the
running CPython's own Py_IncRef and Py_DecRef on the same count.

The counts cover what the rules tell apart: small counts, the edges of
the low 32 bits (3.12's immortal objects have them saturated, bit 31 set:
0xFFFFFFFF is left alone there, and is a count like any other on 3.11;
3.14 starts immortal counts at 3 << 30 and leaves every count from there
on alone on an incref, while a decref leaves anything with bit 31 set),
counts beyond 32 bits (3.14's high half is ob_overflow and ob_flags,
which neither touches) and a statically allocated object's word.  The
fragments are the running version's description's, also while that
version is refused (its description is checked before pyjit runs on it).
"""

from __future__ import annotations

import ctypes
import importlib
import struct

import pytest

from pyjit.aarch64.asmtext import assemble
from pyjit.cpython.version import RUNNING, SUPPORTED

from unicorn_harness import CODE_BASE, PAGE, Machine

DATA = CODE_BASE + 16 * PAGE          # the object header, on a page of its own
_DESCRIPTION = SUPPORTED.get(RUNNING, "pyjit.cpython.v%d_%d" % RUNNING)
L = importlib.import_module(_DESCRIPTION + ".layout")
objects = importlib.import_module(_DESCRIPTION + ".objects")

COUNTS = [1, 2, 3, 1000, 0x7FFF_FFFE, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xBFFF_FFFF,
          0xC000_0000, 0xC000_0001, 0xFFFF_FFFE, 0xFFFF_FFFF, 0x1_0000_0000, 0x1_0000_0005,
          0x1_FFFF_FFFF, 0x5_0000_C000_0000]

_incref = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_IncRef", ctypes.pythonapi))
_decref = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))

# incref(x0); decref(x0): x0 = 1 when the count reached zero (the
# deallocation would run), else 0.  x9 is the fragments' scratch register.
SOURCE = (
    "incref_obj:\n" + objects.incref("x0", "x9") + "    ret\n"
    "decref_obj:\n" + objects.decref("x0", "x9", "zero") + "    mov x0, #0\n    ret\n"
    "zero:\n    mov x0, #1\n    ret\n"
)


def _load():
    """A machine with the fragments loaded, and their entries' offsets."""
    result = assemble(SOURCE, "refcounts")
    m = Machine()
    m.load_code(result.code)
    m.load(bytes(PAGE), DATA)
    entries = {line.text.rstrip(":"): line.offset for line in result.lines
               if line.text.endswith(":") and not line.text[0].isdigit()}
    return m, entries


@pytest.fixture(scope="module")
def machine():
    return _load()


def _emulated(machine, entry: str, count: int) -> tuple[int, int]:
    m, entries = machine
    m.uc.mem_write(DATA, struct.pack("<Q", count))
    x0 = m.call(CODE_BASE + entries[entry], [DATA])
    return struct.unpack("<Q", bytes(m.uc.mem_read(DATA, 8)))[0], x0


def _interpreter(fn, count: int) -> int:
    """What the running CPython's fn does to an object header holding count
    (never called where the count would reach zero: no type to free it)."""
    header = (ctypes.c_uint64 * 2)(count, 0)
    fn(ctypes.addressof(header))
    return header[0]


def test_the_fragments_assemble_to_what_the_routines_use(machine):
    assert set(machine[1]) == {"incref_obj", "decref_obj", "zero"}


@pytest.mark.parametrize("count", COUNTS, ids=hex)
def test_incref_is_the_interpreters(machine, count):
    assert _emulated(machine, "incref_obj", count)[0] == _interpreter(_incref, count)


@pytest.mark.parametrize("count", [c for c in COUNTS if c != 1], ids=hex)
def test_decref_is_the_interpreters(machine, count):
    after, reached_zero = _emulated(machine, "decref_obj", count)
    assert after == _interpreter(_decref, count)
    assert not reached_zero


def test_decref_to_zero_frees():
    """A count of one goes to zero and the object would be freed (on every
    version: one is never immortal)."""
    after, reached_zero = _emulated(_load(), "decref_obj", 1)
    assert (after, reached_zero) == (0, 1)
