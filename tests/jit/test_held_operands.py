"""refcount-held-operands in machine code: a global read by a cached
attribute load, written by a cached attribute store, or compared, is
passed borrowed;
code the load or store runs may rebind the global and drop the last
reference to the object, which must then live until the load or store is
done with it (the miss helper holds it; the hit path runs no code of the
program before it lets go of it)."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

import pyjit.jit as jit
from pyjit.options import CompileOptions

CACHES = ["shared", "inline", "off"]


class Rebinds:
    """An attribute lookup that rebinds the global holding the instance."""

    def __getattr__(self, name):
        global TARGET
        TARGET = None
        gc.collect()
        return 42


class Finalized:
    """An attribute value whose finalizer rebinds the global holding the
    instance it was stored in."""

    def __del__(self):
        global HOLDER
        HOLDER = None


class Holder:
    pass


TARGET = None
HOLDER = None


def read_global_attribute():
    return TARGET.missing


def write_global_attribute(value):
    HOLDER.item = value
    return 1


@pytest.mark.parametrize("caches", CACHES)
def test_a_load_that_drops_its_object(caches):
    global TARGET
    options = CompileOptions(caches=caches)
    try:
        assert jit.force_compile(read_global_attribute, options=options)
        for _ in range(3):
            TARGET = Rebinds()
            assert sys.getrefcount(TARGET) == 2             # the global only
            assert read_global_attribute() == 42
            assert TARGET is None
    finally:
        jit.force_uncompile(read_global_attribute)


@pytest.mark.parametrize("caches", CACHES)
def test_a_store_whose_old_value_drops_the_object(caches):
    global HOLDER
    options = CompileOptions(caches=caches)
    try:
        assert jit.force_compile(write_global_attribute, options=options)
        for _ in range(4):                                  # the later ones hit the cache
            HOLDER = Holder()
            HOLDER.item = Finalized()
            assert write_global_attribute(7) == 1
            assert HOLDER is None
    finally:
        jit.force_uncompile(write_global_attribute)


class DropsTheGlobal:
    """A comparison that rebinds the globals holding its operands, after
    which the interpreter's C code still uses both (freed memory if nothing
    held them)."""

    def __init__(self, tag):
        self.tag = [tag] * 8

    def __eq__(self, other):
        global LEFT, RIGHT
        if self is LEFT:
            # PyObject_RichCompare then tries the reflected operation, on
            # both operands, which only the compiled code's routine holds now
            LEFT = RIGHT = None
            gc.collect()
            [DropsTheGlobal("y") for _ in range(100)]   # reuse freed memory
            return NotImplemented
        return self.tag == other.tag

    def __lt__(self, other):
        return self.__eq__(other)

    __gt__ = __lt__                             # the reflection of <


LEFT = None
RIGHT = None


def compare_globals():
    return LEFT == RIGHT


def compare_globals_tested():
    if LEFT < RIGHT:
        return "less"
    return "not less"


@pytest.mark.parametrize("caches", CACHES)
@pytest.mark.parametrize("fn, expected", [(compare_globals, True),
                                          (compare_globals_tested, "less")])
def test_a_comparison_that_drops_its_operands(caches, fn, expected):
    global LEFT, RIGHT
    options = CompileOptions(caches=caches)
    try:
        assert jit.force_compile(fn, options=options)
        for _ in range(3):
            LEFT, RIGHT = DropsTheGlobal("x"), DropsTheGlobal("x")
            left = weakref.ref(LEFT)
            assert sys.getrefcount(LEFT) == 2               # the global only
            assert fn() == expected
            assert LEFT is None and RIGHT is None and left() is None
    finally:
        jit.force_uncompile(fn)


def test_comparisons_of_globals_pass_them_borrowed():
    # refcount-held-operands: no Incref/Decref of the globals around them
    from pyjit.hir.build import compile_hir
    for fn in (compare_globals, compare_globals_tested):
        counted = [type(i.operands[0].defn).__name__ for i in compile_hir(fn).instructions()
                   if type(i).__name__ in ("Incref", "Decref")]
        assert "LoadGlobalCached" not in counted, counted
