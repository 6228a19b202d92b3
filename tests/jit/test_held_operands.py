"""refcount-held-operands in machine code: a global read by a cached
attribute load, or written by a cached attribute store, is passed borrowed;
code the load or store runs may rebind the global and drop the last
reference to the object, which must then live until the load or store is
done with it (the miss helper holds it; the hit path runs no code of the
program before it lets go of it)."""

from __future__ import annotations

import gc
import sys

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
