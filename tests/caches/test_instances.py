"""Calling a class whose __init__ is compiled: the call routine makes the
instance (object.__new__) and calls the __init__'s machine code itself
(cells.INSTANCE), where the interpreter's type call would enter it from C
in an emulation of its own.  Results, exceptions, reference counts and
what a changed class does are the interpreter's."""

from __future__ import annotations

import gc
import sys
import weakref

from conftest import cells, interpreted, outcome
from pyjit.cpython import cells as caches

freed = []


class Point:
    def __init__(self, x, y=0, *, z=0):
        self.x, self.y, self.z = x, y, z

    def __del__(self):
        freed.append(self.x)


class Point3(Point):
    pass


class Failing:
    def __init__(self, x):
        self.x = x
        if x is None:
            raise ValueError("no x")

    def __del__(self):
        freed.append(("failing", self.x))


class Returning:
    def __init__(self, value):
        self.value = value
        return value


class WithNew:
    def __new__(cls, x):
        obj = object.__new__(cls)
        obj.made_by_new = True
        return obj

    def __init__(self, x):
        self.x = x


class Meta(type):
    def __call__(cls, *args):
        return ("meta", args)


class WithMeta(metaclass=Meta):
    def __init__(self, x):
        self.x = x


def make_point(x):
    return Point(x, x + 1)


def make_point_kw(x):
    return Point(x, z=5)


def make_point3(x):
    return Point3(x)


def make_failing(x):
    return Failing(x)


def make_returning(v):
    return Returning(v)


def make_with_new(x):
    return WithNew(x)


def make_with_meta(x):
    return WithMeta(x)


def make_any(cls, x):
    return cls(x)


def state(obj):
    return type(obj), vars(obj) if hasattr(obj, "__dict__") else obj


def test_instances_are_made_without_the_type_call(mode, compiled, traps):
    compiled(make_point, Point.__init__)
    assert state(make_point(1)) == state(interpreted(make_point)(1))
    result, counts = traps(lambda: make_point(2))
    assert state(result) == (Point, {"x": 2, "y": 3, "z": 0})
    if mode == "shared":
        # object.__new__ is the one helper call; the __init__ runs here.
        assert counts["PyObject_Vectorcall"] == 1 and counts["call_cell_fill"] == 0
        cell, = cells(make_point, caches.CallCell)
        assert cell.get(caches.CallCell.TARGET) == caches.INSTANCE
    del result
    gc.collect()


def test_keywords_inherited_init_and_references(mode, compiled):
    compiled(make_point_kw, make_point3, Point.__init__)
    for _ in range(3):
        assert state(make_point_kw(1)) == (Point, {"x": 1, "y": 0, "z": 5})
        assert state(make_point3(4)) == (Point3, {"x": 4, "y": 0, "z": 0})
    arg = object()
    before = sys.getrefcount(arg)
    kept = [make_point3(arg) for _ in range(2)]
    assert sys.getrefcount(arg) == before + 2
    freed.clear()
    del kept
    assert freed == [arg, arg]
    freed.clear()
    assert sys.getrefcount(arg) == before


def test_an_init_that_raises_frees_the_instance(mode, compiled):
    compiled(make_failing, Failing.__init__)
    assert make_failing(1).x == 1
    for _ in range(2):
        freed.clear()
        expected = outcome(lambda: interpreted(make_failing)(None))
        assert freed == [("failing", None)]
        freed.clear()
        assert outcome(lambda: make_failing(None)) == expected
        assert freed == [("failing", None)]


def test_an_init_that_returns_a_value_is_a_type_error(mode, compiled):
    compiled(make_returning, Returning.__init__)
    assert make_returning(None).value is None
    import collections
    for value in (3, "s", 2.5, collections.deque(), collections.OrderedDict()):
        assert outcome(lambda: make_returning(value))[:3] == \
            outcome(lambda: interpreted(make_returning)(value))[:3]
    witness = [1]
    before = sys.getrefcount(witness)
    assert outcome(lambda: make_returning(witness))[:2] == ("raise", TypeError)
    assert sys.getrefcount(witness) == before         # the result and the instance released


def test_new_and_metaclasses_keep_the_type_call(mode, compiled):
    compiled(make_with_new, make_with_meta, WithNew.__init__, WithMeta.__init__)
    for _ in range(2):
        obj = make_with_new(7)
        assert (obj.x, obj.made_by_new) == (7, True)
        assert make_with_meta(7) == ("meta", (7,))


def test_a_changed_class_is_seen(mode, compiled, traps):
    class Box:
        def __init__(self, v):
            self.v = v

    def other_init(self, v):
        self.w = v * 2

    compiled(make_any, Box.__init__, other_init)
    assert vars(make_any(Box, 1)) == {"v": 1}
    assert vars(make_any(Box, 2)) == {"v": 2}
    Box.__init__ = other_init
    assert vars(make_any(Box, 3)) == {"w": 6}
    result, counts = traps(lambda: make_any(Box, 4))
    assert vars(result) == {"w": 8}
    if mode == "shared":
        assert counts["call_cell_fill"] == 0 and counts["PyObject_Vectorcall"] == 1
    Box.__new__ = lambda cls, v: "from new"
    assert make_any(Box, 5) == "from new"
    del Box.__new__         # (tp_new stays the slot's: object.__new__ with an argument)
    assert outcome(lambda: make_any(Box, 6)) == outcome(lambda: interpreted(make_any)(Box, 6))
    assert outcome(lambda: make_any(Box, 6))[:2] == ("raise", TypeError)


def test_an_init_compiled_after_the_first_call_is_called_directly(mode, compiled, traps):
    class Late:
        def __init__(self, v):
            self.v = v

    compiled(make_any)
    assert make_any(Late, 1).v == 1                   # the cell keeps the type call
    compiled(Late.__init__)
    assert make_any(Late, 2).v == 2
    result, counts = traps(lambda: make_any(Late, 3))
    assert result.v == 3
    if mode == "shared":
        assert counts["call_cell_fill"] == 0 and counts["PyObject_Vectorcall"] == 1


def test_instances_die_with_their_last_reference(mode, compiled):
    compiled(make_point, Point.__init__)
    obj = make_point(10)
    ref = weakref.ref(obj)
    expected = interpreted(make_point)(10)
    assert sys.getrefcount(obj) == sys.getrefcount(expected)
    del obj
    assert ref() is None
