"""Attribute loads and stores through AttrCells (instances) and
ModuleAttrCells (modules): warm caches make no trap; every change that
must be seen is; errors, insertion order and reference counts are the
interpreter's."""

from __future__ import annotations

import math
import sys

import pytest

from conftest import cells, interpreted, outcome
from pyjit.cpython import cells as caches


def get_x(p):
    return p.x


def set_x(p, v):
    p.x = v


def set_a(o, v):
    o.a = v


def get_pi():
    return math.pi


def make_point_class():
    class Point:
        def __init__(self, x, y):
            self.x = x
            self.y = y
    return Point


@pytest.fixture
def Point():
    return make_point_class()


def test_warm_load_and_store_make_no_trap(mode, compiled, traps, Point):
    compiled(get_x, set_x)
    p, q = Point(1, 2), Point(3, 4)
    assert get_x(p) == 1
    set_x(p, 5)
    assert traps(lambda: get_x(q)) == (3, {})
    assert traps(lambda: set_x(q, 7)) == (None, {})
    assert (q.x, q.y, list(vars(q))) == (7, 4, ["x", "y"])
    load_cell, = cells(get_x, caches.AttrCell)
    assert load_cell.get(caches.AttrCell.TYPE) == id(Point)
    assert load_cell.get(caches.AttrCell.SLOT) == 0          # x is key 0 of the shared keys


def test_another_type_misses_and_refills(mode, compiled, traps, Point):
    compiled(get_x)
    Other = make_point_class()
    get_x(Point(1, 2))
    result, counts = traps(lambda: get_x(Other(8, 9)))
    assert result == 8 and counts == {"load_attr_fill": 1}
    assert traps(lambda: get_x(Other(5, 9))) == (5, {})


def test_deleted_attribute_raises_the_interpreters_error(mode, compiled, Point):
    compiled(get_x)
    p = Point(1, 2)
    get_x(p)
    del p.x
    expected = outcome(lambda: interpreted(get_x)(p))
    assert expected[:2] == ("raise", AttributeError)
    assert outcome(lambda: get_x(p)) == expected


def test_a_new_attribute_of_the_type_keeps_the_cache(mode, compiled, traps, Point):
    compiled(get_x)
    p = Point(1, 2)
    get_x(p)
    q = Point(3, 4)
    q.z = 5                              # a new shared key: indexes stay
    assert traps(lambda: get_x(q)) == (3, {})


def test_class_attribute_change_invalidates(mode, compiled, traps, Point):
    compiled(get_x)
    p = Point(1, 2)
    get_x(p)
    Point.unrelated = 0                  # the type's version tag changes
    result, counts = traps(lambda: get_x(p))
    assert result == 1 and counts == {"load_attr_fill": 1}
    Point.x = property(lambda self: 99)  # a data descriptor wins over the instance
    assert get_x(p) == 99
    assert get_x(p) == 99
    del Point.x
    assert get_x(p) == 1


def test_a_class_with_a_data_descriptor_is_not_cached(mode, compiled, traps, Point):
    compiled(get_x, set_x)

    class Prop:
        def __init__(self):
            self._x = 0
        x = property(lambda self: self._x, lambda self, v: setattr(self, "_x", v))

    class Custom(Point):
        def __getattr__(self, name):
            return "fallback"

    s, c = Prop(), Custom(1, 2)
    s.x = 3
    for value in (4, 5):
        assert get_x(c) == 1
        set_x(s, value)
        assert get_x(s) == value
    assert cells(get_x, caches.AttrCell)[0].get(caches.AttrCell.TYPE) == 0
    del c.x
    assert get_x(c) == "fallback"


def test_materialized_dict_is_used_by_loads_and_stores(mode, compiled, Point):
    compiled(get_x, set_x)
    p = Point(1, 2)
    set_x(p, 3)
    d = vars(p)                          # the values move into a real dict
    assert get_x(p) == 3
    set_x(p, 4)
    assert d["x"] == 4 and get_x(p) == 4


def test_stores_into_a_dict_of_a_cached_type_make_no_python_call(mode, compiled, traps, Point):
    # The type's entry matches; the instance's attributes are in a dict of
    # its own: the store STORE_ATTR makes (PyObject_SetAttr), one C call,
    # neither the fill helper nor a refill.
    compiled(set_x)
    warm = Point(1, 2)
    set_x(warm, 3)
    p = Point(1, 2)
    d = vars(p)
    old, new = object(), object()
    set_x(p, old)
    held = sys.getrefcount(old)
    result, counts = traps(lambda: set_x(p, new))
    assert result is None and d["x"] is new and sys.getrefcount(old) == held - 1
    if mode != "off":
        assert counts == {"PyObject_SetAttr": 1}, counts
    result, counts = traps(lambda: set_x(warm, 5))
    assert (result, warm.x) == (None, 5) and ("PyObject_SetAttr" not in counts) == (mode != "off")


def test_stores_of_a_name_the_shared_keys_lack_are_filled_once(mode, compiled, traps, Point):
    # The name goes into each instance's dict: the entry (DICT_ONLY) sends
    # the store to PyObject_SetAttr, the fill helper runs once.
    compiled(set_a)
    points = [Point(i, i) for i in range(3)]
    dicts = [vars(p) for p in points]
    set_a(points[0], 0)
    result, counts = traps(lambda: [set_a(p, i) for i, p in enumerate(points)])
    assert [d["a"] for d in dicts] == [0, 1, 2] and [p.a for p in points] == [0, 1, 2]
    if mode != "off":
        assert "store_attr_fill" not in counts and counts["PyObject_SetAttr"] == 3, counts


def test_class_assignment_is_seen(mode, compiled, Point):
    compiled(get_x)
    p = Point(1, 2)
    get_x(p)
    Other = make_point_class()
    p.__class__ = Other
    assert get_x(p) == 1
    set_x(p, 6)
    assert get_x(p) == 6


def test_stores_keep_the_interpreters_insertion_order(mode, compiled, traps):
    compiled(set_a)

    def scenario(store):
        class O:
            pass
        warm = O()
        warm.a, warm.b = 1, 2
        store(warm, 0)                   # fills the cell
        o = O()
        o.a, o.b = 1, 2
        _, hot = traps(lambda: store(o, 3))   # existing slot: order unchanged
        p = O()
        p.a, p.b = 1, 2
        del p.a
        _, cold = traps(lambda: store(p, 4))  # empty slot: appended, as setattr does, inline
        q = O()
        q.b = 1
        store(q, 2)
        return [list(vars(x).items()) for x in (o, p, q)], hot, cold

    got, hot, cold = scenario(set_a)
    expected, _, _ = scenario(interpreted(set_a))
    assert got == expected == [[("a", 3), ("b", 2)], [("b", 2), ("a", 4)], [("b", 1), ("a", 2)]]
    assert hot == {} and cold == {}


def test_stores_release_the_old_value(mode, compiled, Point):
    compiled(set_x)
    p = Point(1, 2)
    old, new = object(), object()
    set_x(p, old)
    base_old, base_new = sys.getrefcount(old), sys.getrefcount(new)
    for _ in range(3):
        set_x(p, new)
    assert sys.getrefcount(new) == base_new + 1 and sys.getrefcount(old) == base_old - 1
    set_x(p, 0)
    assert sys.getrefcount(new) == base_new


def test_loads_return_new_references(mode, compiled, Point):
    compiled(get_x)
    value = object()
    p = Point(value, 2)
    get_x(p)
    base = sys.getrefcount(value)
    results = [get_x(p) for _ in range(3)]
    assert sys.getrefcount(value) == base + 3
    del results
    assert sys.getrefcount(value) == base


def test_module_attribute_is_cached_on_the_module_dict(mode, compiled, traps, monkeypatch):
    compiled(get_pi)
    assert get_pi() == math.pi
    assert traps(get_pi) == (math.pi, {})
    cell, = cells(get_pi, caches.ModuleAttrCell)
    monkeypatch.setattr(math, "pi", 3.0)
    result, counts = traps(get_pi)
    assert result == 3.0 and counts == {"load_attr_fill": 1}
    monkeypatch.undo()
    assert get_pi() == math.pi
    assert cell.fills == 3


def test_module_attribute_error_is_the_interpreters(mode, compiled, monkeypatch):
    compiled(get_pi)
    get_pi()
    monkeypatch.delattr(math, "pi")
    expected = outcome(interpreted(get_pi))
    assert expected[:2] == ("raise", AttributeError)
    assert outcome(get_pi) == expected


# -- __slots__ members and new keys of the values ------------------------------------------

def del_x(p):
    del p.x


def make_slotted_class():
    class Slotted:
        __slots__ = ("x", "y")

        def __init__(self, x, y):
            self.x = x
            self.y = y
    return Slotted


def test_slot_members_are_cached(mode, compiled, traps):
    compiled(get_x, set_x)
    Slotted = make_slotted_class()
    warm = Slotted(1, 2)
    set_x(warm, 3)
    assert get_x(warm) == 3
    entry = cells(get_x, caches.AttrCell)[0]
    assert entry.get(caches.AttrCell.SLOT) & caches.AttrCell.MEMBER
    s = Slotted(4, 5)
    value = object()
    (got, _), hot = traps(lambda: (get_x(s), set_x(s, value)))
    assert got == 4 and s.x is value and s.y == 5 and hot == {}
    assert get_x(s) is value


def test_slot_errors_are_the_interpreters(mode, compiled, traps):
    compiled(get_x, set_x)
    Slotted = make_slotted_class()
    s = Slotted(1, 2)
    get_x(s), set_x(s, 2)                # warm
    del s.x
    assert outcome(lambda: get_x(s)) == outcome(lambda: interpreted(get_x)(s))
    assert outcome(lambda: get_x(s))[:2] == ("raise", AttributeError)
    _, hot = traps(lambda: set_x(s, 7))  # an empty member slot: stored without a trap
    assert hot == {} and get_x(s) == 7
    empty = Slotted.__new__(Slotted)
    assert outcome(lambda: get_x(empty)) == outcome(lambda: interpreted(get_x)(empty))
    del_x(s)
    assert outcome(lambda: get_x(s)) == outcome(lambda: interpreted(get_x)(s))


def test_slot_subclasses(mode, compiled, traps):
    compiled(get_x, set_x)
    Slotted = make_slotted_class()

    class More(Slotted):
        __slots__ = ("z",)

    class Loose(Slotted):                # slots and a __dict__
        pass

    objs = [Slotted(1, 2), More(3, 4), Loose(5, 6)]
    for o in objs:
        set_x(o, get_x(o) + 10)          # warm each type's entry
    (got, _), hot = traps(lambda: ([get_x(o) for o in objs], [set_x(o, 0) for o in objs]))
    assert got == [11, 13, 15] and hot == {}
    assert [o.x for o in objs] == [0, 0, 0]
    loose = objs[2]
    loose.w = 1
    assert vars(loose) == {"w": 1}


def test_slot_replaced_by_a_property_invalidates(mode, compiled):
    compiled(get_x, set_x)
    Slotted = make_slotted_class()
    s = Slotted(1, 2)
    get_x(s), set_x(s, 1)
    member = Slotted.x
    seen = []
    Slotted.x = property(lambda self: "prop", lambda self, v: seen.append(v))
    assert get_x(s) == "prop"
    set_x(s, 9)
    assert seen == [9] and member.__get__(s) == 1
    Slotted.x = member
    set_x(s, 4)
    assert get_x(s) == 4


def test_a_foreign_member_descriptor_is_not_cached(mode, compiled):
    compiled(get_x)
    Slotted = make_slotted_class()

    class Other:
        __slots__ = ("a", "b", "c")
    Other.x = Slotted.x                  # member_get's type check fails
    o = Other()
    for _ in range(2):
        assert outcome(lambda: get_x(o)) == outcome(lambda: interpreted(get_x)(o))
    assert cells(get_x, caches.AttrCell)[0].get(caches.AttrCell.TYPE) == 0


def test_slot_stores_keep_reference_counts(mode, compiled):
    compiled(set_x)
    Slotted = make_slotted_class()
    s = Slotted(1, 2)
    set_x(s, 1)
    old, new = object(), object()
    set_x(s, old)
    before = sys.getrefcount(old), sys.getrefcount(new)
    set_x(s, new)
    assert (sys.getrefcount(old), sys.getrefcount(new)) == (before[0] - 1, before[1] + 1)
    del s.x
    set_x(s, old)
    assert sys.getrefcount(old) == before[0]


def test_new_keys_keep_the_interpreters_order_and_dict(mode, compiled, traps):
    def init(o, a, b, c):
        o.c = c
        o.a = a
        o.b = b

    compiled(init, set_a)

    def scenario(init, set_a):
        class O:
            pass
        init(O(), 1, 2, 3)               # fills the cells
        o = O()
        _, hot = traps(lambda: init(o, 1, 2, 3))
        p = O()
        p.b = 0
        d = vars(p)                      # a dict of p's own
        set_a(p, 5)
        q = O()
        q.c = 0
        del q.c
        set_a(q, 6)
        q.c = 7
        return [(list(vars(x).items()), len(vars(x))) for x in (o, p, q)] + [d], hot

    got, hot = scenario(init, set_a)
    expected, _ = scenario(interpreted(init), interpreted(set_a))
    assert got == expected
    assert expected[0] == ([("c", 3), ("a", 1), ("b", 2)], 3)
    assert hot == {}


def test_a_store_through_values_a_dict_shares_is_seen_by_the_dicts_readers(mode, compiled):
    # 3.13's store_instance_attr_lock_held notifies a dict that shares the
    # values without giving it a new ma_version_tag (the interpreter's
    # stores too): global caches over a split table are not filled.
    class O:
        pass
    warm = O()
    warm.a, warm.b = 0, 1
    o = O()
    o.a, o.b = 1, 2
    namespace = vars(o)                  # 3.13+: the dict shares o's inline values
    exec("def read():\n    return a\n", namespace)
    read = namespace["read"]
    compiled(set_a, read)
    set_a(warm, 3)
    set_a(warm, 4)                       # warm
    assert read() == 1 and read() == 1
    set_a(o, 5)
    assert (o.a, namespace["a"], read()) == (5, 5, 5)
