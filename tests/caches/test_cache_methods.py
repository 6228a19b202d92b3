"""Method loads through MethodCells (type methods) and ModuleAttrCells
(module functions): warm caches make no trap for the load; shadowing by the
instance, a replaced method, a materialized dict and a rebound module
attribute are seen."""

from __future__ import annotations

import gc
import math
import sys
import weakref

import pytest

from conftest import cells, interpreted, outcome
from pyjit.cpython import cells as caches


def call_get(p):
    return p.get()


def call_missing(p):
    return p.missing()


def append(items, x):
    items.append(x)
    return len(items)


def sqrt(x):
    return math.sqrt(x)


@pytest.fixture
def Box():
    class Box:
        def __init__(self, v):
            self.v = v

        def get(self):
            return self.v
    return Box


def _load_traps(counts) -> dict:
    return {k: v for k, v in counts.items() if k in ("load_method_fill", "load_method")}


def test_warm_method_load_makes_no_trap(mode, compiled, traps, Box):
    compiled(call_get)
    assert call_get(Box(1)) == 1
    result, counts = traps(lambda: call_get(Box(2)))
    assert result == 2 and _load_traps(counts) == {}
    cell, = cells(call_get, caches.MethodCell)
    assert cell.get(caches.MethodCell.METHOD) == id(Box.__dict__["get"])
    assert cell.get(caches.MethodCell.KEYS) == 2          # one shared key (v), plus one


def test_a_shadowing_instance_attribute_is_seen(mode, compiled, Box):
    compiled(call_get)
    b = Box(1)
    call_get(b)
    b.get = lambda: "shadow"
    assert call_get(b) == "shadow"
    assert call_get(Box(3)) == 3          # "get" is a shared key now: never cached again
    assert call_get(Box(4)) == 4


def test_a_replaced_method_is_seen(mode, compiled, traps, Box):
    compiled(call_get)
    b = Box(1)
    call_get(b)
    Box.get = lambda self: ("new", self.v)
    result, counts = traps(lambda: call_get(b))
    assert result == ("new", 1) and _load_traps(counts) == {"load_method_fill": 1}
    assert traps(lambda: call_get(b)) == (("new", 1), {"PyObject_Vectorcall": 1})


def test_a_materialized_dict_is_looked_at(mode, compiled, Box):
    compiled(call_get)
    b = Box(1)
    call_get(b)
    vars(b)["get"] = lambda: "from dict"
    assert call_get(b) == "from dict"
    c = Box(2)
    vars(c)
    assert call_get(c) == 2


def test_builtin_type_methods_are_cached(mode, compiled, traps):
    compiled(append)
    items = []
    append(items, 1)
    result, counts = traps(lambda: append(items, 2))
    assert result == 2 and items == [1, 2] and _load_traps(counts) == {}
    cell, = cells(append, caches.MethodCell)
    assert cell.get(caches.MethodCell.TYPE) == id(list)
    assert cell.get(caches.MethodCell.KEYS) == 0           # lists have no instance dict


def test_module_function_is_cached_and_rebinding_is_seen(mode, compiled, traps, monkeypatch):
    compiled(sqrt)
    assert sqrt(9.0) == 3.0
    result, counts = traps(lambda: sqrt(16.0))
    assert result == 4.0 and _load_traps(counts) == {}
    assert cells(sqrt, caches.ModuleAttrCell)
    monkeypatch.setattr(math, "sqrt", lambda x: "patched")
    assert sqrt(16.0) == "patched"
    monkeypatch.undo()
    assert sqrt(16.0) == 4.0


def test_missing_method_raises_the_interpreters_error(mode, compiled, Box):
    compiled(call_missing)
    b = Box(1)
    expected = outcome(lambda: interpreted(call_missing)(b))
    assert expected[:2] == ("raise", AttributeError)
    assert outcome(lambda: call_missing(b)) == expected
    assert outcome(lambda: call_missing(b)) == expected


def test_method_load_references_are_balanced(mode, compiled, Box):
    compiled(call_get)
    value = object()
    b = Box(value)
    call_get(b)
    before = sys.getrefcount(b), sys.getrefcount(value), sys.getrefcount(Box.__dict__["get"])
    for _ in range(4):
        call_get(b)
    after = sys.getrefcount(b), sys.getrefcount(value), sys.getrefcount(Box.__dict__["get"])
    assert after == before


# -- a receiver that only a global holds ---------------------------------------------

class Rebinder:
    def drop(self):
        """Rebind the global that holds self; whether self is still alive."""
        global held_receiver
        alive = weakref.ref(self)
        held_receiver = None
        gc.collect()
        return alive() is not None


held_receiver = None


def call_on_global():
    return held_receiver.drop()


def truth_on_global():
    if held_receiver.drop():
        return "alive"
    return "freed"


def call_on_argument(r):
    return r.drop()


def test_a_method_called_on_a_global_holds_its_receiver(mode, compiled):
    # The fused method call leaves self to its site when self is an
    # argument of the caller; a global's value is held by the routine for
    # the call, as the interpreter's stack holds it.
    global held_receiver
    compiled(call_on_global, truth_on_global, call_on_argument, Rebinder.drop)
    for _ in range(3):
        held_receiver = Rebinder()
        gone = weakref.ref(held_receiver)
        assert call_on_global() is True
        assert gone() is None
        held_receiver = Rebinder()
        assert truth_on_global() == "alive"
        held_receiver = Rebinder()
        assert call_on_argument(held_receiver) is True       # (the argument is held)


def call_on_new():
    return Rebinder().drop()          # (held by the site: a new reference)


def test_a_method_called_on_a_new_object_keeps_it_for_the_call(mode, compiled):
    compiled(call_on_new, Rebinder.drop)
    assert [call_on_new() for _ in range(3)] == [True] * 3
