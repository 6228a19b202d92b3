"""Global loads through GlobalCells: a warm cache loads without any trap;
rebinding, shadowing a builtin, changing builtins are seen; NameError is
the interpreter's."""

from __future__ import annotations

import builtins
import sys

import pytest

from conftest import cells, interpreted, outcome
from pyjit.cpython import cells as caches

G = 1
VALUE = object()


def read_g():
    return G


def read_value():
    return VALUE


def use_len(x):
    return len(x)


def read_builtin():
    return pyjit_test_builtin  # noqa: F821 - set on builtins by the tests


def read_twice():
    return G, G, VALUE


@pytest.fixture(autouse=True)
def _restore():
    global G
    yield
    G = 1
    globals().pop("len", None)
    if hasattr(builtins, "pyjit_test_builtin"):
        del builtins.pyjit_test_builtin


def test_warm_global_load_makes_no_trap(mode, compiled, traps):
    compiled(read_g)
    assert read_g() == 1
    result, counts = traps(read_g)
    assert result == 1
    assert sum(counts.values()) == 0
    cell, = cells(read_g, caches.GlobalCell)
    assert (cell.misses, cell.fills) == (1, 1)


def test_loads_of_one_name_share_a_cell(mode, compiled, traps):
    compiled(read_twice)
    read_twice()
    assert sorted(c.name for c in cells(read_twice, caches.GlobalCell)) == ["G", "VALUE"]
    result, counts = traps(read_twice)
    assert result == (1, 1, VALUE) and set(counts) == {"make_tuple_steal"}


def test_rebinding_a_global_is_seen(mode, compiled, traps):
    global G
    compiled(read_g)
    assert read_g() == 1
    G = 2
    # The shared routine reads the new value at the cell's hint; inline
    # checks call the fill.
    result, counts = traps(read_g)
    assert result == 2 and counts["load_global_fill"] == (mode == "inline")
    result, counts = traps(read_g)
    assert result == 2 and sum(counts.values()) == 0


def test_a_new_global_shadows_a_builtin_and_its_deletion_is_seen(mode, compiled):
    compiled(use_len)
    assert use_len("abc") == 3
    globals()["len"] = lambda x: 42
    assert use_len("abc") == 42
    del globals()["len"]
    assert use_len("abc") == 3


def test_a_changed_builtin_is_seen(mode, compiled, traps):
    builtins.pyjit_test_builtin = 5
    compiled(read_builtin)
    assert read_builtin() == 5
    builtins.pyjit_test_builtin = 6
    result, counts = traps(read_builtin)
    assert result == 6 and counts["load_global_fill"] == 1


def test_name_error_is_the_interpreters(mode, compiled):
    compiled(read_builtin)
    expected = outcome(interpreted(read_builtin))
    assert expected[:2] == ("raise", NameError)
    assert outcome(read_builtin) == expected
    builtins.pyjit_test_builtin = 7          # then defined: found, cached
    assert read_builtin() == 7
    del builtins.pyjit_test_builtin
    assert outcome(read_builtin) == expected


def test_refcount_of_a_cached_global_is_unchanged(mode, compiled):
    compiled(read_value)
    read_value()
    before = sys.getrefcount(VALUE)
    for _ in range(5):
        read_value()
    assert sys.getrefcount(VALUE) == before


def test_off_mode_uses_the_generic_helper(compiled, traps, monkeypatch):
    monkeypatch.setenv("PYJIT_CACHES", "off")
    compiled(read_g)
    assert cells(read_g) == []
    result, counts = traps(read_g)
    assert result == 1 and counts["load_global_borrowed"] == 1


def test_a_global_store_is_the_interpreters_dict_store_without_python_code(mode, compiled, traps):
    # STORE_GLOBAL is PyDict_SetItem: a C call, and a dict subclass's
    # __setitem__ is not called, in the interpreter as compiled.
    calls = []

    class Globals(dict):
        def __setitem__(self, key, value):
            calls.append(key)
            dict.__setitem__(self, key, value)

    namespace = Globals(__builtins__=builtins)
    exec("def put(v):\n    global X\n    X = v\n    return X\n", namespace)
    put = namespace["put"]
    assert interpreted(put)(1) == 1 and calls == ["put"]
    compiled(put)
    result, counts = traps(lambda: put(2))
    assert (result, dict.get(namespace, "X"), calls) == (2, 2, ["put"])
    assert counts["PyDict_SetItem"] == 1 and "store_global" not in counts, counts
