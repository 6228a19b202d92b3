"""Polymorphic cells: an attribute, method or call site that sees up to
ENTRIES receiver types (callees) keeps one entry each and makes no trap
once warm; every entry is invalidated on its own by the changes that must
be seen; a fifth type evicts the least recently filled entry."""

from __future__ import annotations

import pytest

from conftest import cells, interpreted, outcome
from pyjit.cpython import cells as caches
from pyjit.runtime import entries


def get_x(p):
    return p.x


def set_x(p, v):
    p.x = v


def call_m(p):
    return p.m()


def call_fn(p, a):
    return p.fn(a)


def make_classes(n):
    """n unrelated classes with an instance attribute x and a method m."""
    classes = []
    for k in range(n):
        def init(self, x):
            self.x = x

        def m(self, k=k):
            return ("m", k, self.x)
        classes.append(type(f"C{k}", (), {"__init__": init, "m": m}))
    return classes


def test_four_types_share_a_site_without_traps(mode, compiled, traps):
    compiled(get_x, set_x, call_m)
    classes = make_classes(caches.AttrCell.ENTRIES)
    objs = [cls(i) for i, cls in enumerate(classes)]
    for _ in range(2):
        assert [get_x(o) for o in objs] == list(range(len(objs)))
        for o in objs:
            set_x(o, o.x)
        assert [call_m(o) for o in objs] == [("m", i, i) for i in range(len(objs))]

    def run():
        for i, o in enumerate(objs):
            set_x(o, i + 10)
        return [get_x(o) for o in objs], [call_m(o) for o in objs]
    result, counts = traps(run)
    n = len(objs)
    assert result == ([i + 10 for i in range(n)], [("m", i, i + 10) for i in range(n)])
    assert not {"load_attr_fill", "store_attr_fill", "load_method_fill"} & set(counts)
    for fn, kind in ((get_x, caches.AttrCell), (set_x, caches.AttrCell),
                     (call_m, caches.MethodCell)):
        cell, = cells(fn, kind)
        assert sorted(cell.keys()) == sorted(id(c) for c in classes)


def test_a_fifth_type_evicts_the_least_recently_filled(mode, compiled, traps):
    compiled(get_x)
    classes = make_classes(caches.AttrCell.ENTRIES + 1)
    objs = [cls(i) for i, cls in enumerate(classes)]
    for o in objs[:-1]:
        get_x(o)
    cell, = cells(get_x, caches.AttrCell)
    assert get_x(objs[-1]) == len(objs) - 1
    assert id(classes[0]) not in cell.keys() and id(classes[-1]) in cell.keys()
    result, counts = traps(lambda: [get_x(o) for o in objs[1:]])
    assert result == list(range(1, len(objs))) and "load_attr_fill" not in counts
    result, counts = traps(lambda: get_x(objs[0]))     # evicts classes[1] now
    assert result == 0 and counts["load_attr_fill"] == 1
    assert id(classes[1]) not in cell.keys()


@pytest.mark.parametrize("victim", range(caches.AttrCell.ENTRIES))
def test_each_entry_is_invalidated_on_its_own(mode, compiled, traps, victim):
    compiled(get_x, call_m)
    classes = make_classes(caches.AttrCell.ENTRIES)
    objs = [cls(i) for i, cls in enumerate(classes)]
    for o in objs:
        get_x(o), call_m(o)
    # A class-level data descriptor for x, and a new m, on one class only.
    cls = classes[victim]
    cls.x = property(lambda self: "prop")
    cls.m = lambda self: "new m"
    expect_x = [("prop" if i == victim else i) for i in range(len(objs))]
    expect_m = [("new m" if i == victim else ("m", i, i)) for i in range(len(objs))]
    result, counts = traps(lambda: ([get_x(o) for o in objs], [call_m(o) for o in objs]))
    assert result == (expect_x, expect_m)
    assert counts["load_attr_fill"] == 1 and counts["load_method_fill"] == 1
    # The other entries stayed warm; the instance dict shadowing m is seen too.
    other = objs[(victim + 1) % len(objs)]
    other.m = lambda: "shadow"
    assert call_m(other) == "shadow" == interpreted(call_m)(other)
    del cls.x
    assert get_x(objs[victim]) == victim


def test_polymorphic_store_keeps_insertion_order_and_refcounts(mode, compiled):
    import sys
    compiled(set_x)
    classes = make_classes(caches.AttrCell.ENTRIES)
    objs = [cls(0) for cls in classes]
    for o in objs:
        set_x(o, 1)
    value = object()
    before = sys.getrefcount(value)
    for o in objs:
        set_x(o, value)
    assert sys.getrefcount(value) == before + len(objs)
    for o in objs:
        set_x(o, None)
    assert sys.getrefcount(value) == before
    assert [list(vars(o)) for o in objs] == [["x"]] * len(objs)


def test_missing_attribute_on_one_type_is_the_interpreters_error(mode, compiled):
    compiled(get_x)
    classes = make_classes(caches.AttrCell.ENTRIES)
    objs = [cls(i) for i, cls in enumerate(classes)]
    for o in objs:
        get_x(o)
    del objs[2].x
    assert outcome(lambda: get_x(objs[2])) == outcome(lambda: interpreted(get_x)(objs[2]))
    assert get_x(objs[3]) == 3


def test_polymorphic_call_site_calls_each_compiled_callee_directly(mode, compiled, traps):
    classes = []
    for k in range(caches.CallCell.ENTRIES):
        def fn(self, a, k=k):
            return a + k
        classes.append(type(f"T{k}", (), {"fn": fn}))
    compiled(call_fn, *[c.fn for c in classes])
    objs = [c() for c in classes]
    for _ in range(2):
        assert [call_fn(o, 10) for o in objs] == [10 + k for k in range(len(objs))]
    result, counts = traps(lambda: [call_fn(o, 1) for o in objs])
    assert result == [1 + k for k in range(len(objs))]
    assert "PyObject_Vectorcall" not in counts and "call_cell_fill" not in counts
    cell, = cells(call_fn, caches.CallCell)
    for c in classes:
        at = cell.entry_of(id(c.fn))
        assert at is not None
        assert cell.get(at + caches.CallCell.TARGET) == entries.entry_of(c.fn)


def test_recompiling_one_callee_resets_only_its_entry(mode, compiled):
    import pyjit.jit as jit
    classes = []
    for k in range(3):
        def fn(self, a, k=k):
            return a * 10 + k
        classes.append(type(f"R{k}", (), {"fn": fn}))
    compiled(call_fn, *[c.fn for c in classes])
    objs = [c() for c in classes]
    assert [call_fn(o, 1) for o in objs] == [10, 11, 12]
    cell, = cells(call_fn, caches.CallCell)
    kept = cell.entry_of(id(classes[0].fn))
    jit.force_uncompile(classes[1].fn)
    assert cell.entry_of(id(classes[1].fn)) is None
    assert cell.entry_of(id(classes[0].fn)) == kept
    assert [call_fn(o, 2) for o in objs] == [20, 21, 22]
    at = cell.entry_of(id(classes[1].fn))
    assert cell.get(at + caches.CallCell.TARGET) != entries.entry_of(classes[0].fn)
    assert jit.force_compile(classes[1].fn)
    assert [call_fn(o, 3) for o in objs] == [30, 31, 32]
    assert cell.get(cell.entry_of(id(classes[1].fn)) + caches.CallCell.TARGET) == \
        entries.entry_of(classes[1].fn)
