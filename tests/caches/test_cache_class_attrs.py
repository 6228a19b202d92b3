"""Class attribute loads through a global holding a class (ClassAttrCell):
warm caches make no trap; a change of the class or a base, another class or
object in the global, descriptors and metaclasses are seen; errors and
reference counts are the interpreter's."""

from __future__ import annotations

import sys

from conftest import cells, interpreted, outcome
from pyjit.cpython import cells as caches


class Direction:
    NONE = 0
    FORWARD = 1

    def plain(self):
        return "plain"

    @classmethod
    def klass(cls):
        return cls


def forward():
    return Direction.FORWARD


def plain():
    return Direction.plain


def klass():
    return Direction.klass


def cell_of(fn):
    (cell,) = cells(fn, caches.ClassAttrCell)
    return cell


def test_warm_class_attribute_makes_no_trap(mode, compiled, traps):
    compiled(forward, plain)
    assert forward() == 1 and plain() is Direction.plain
    (a, b), hot = traps(lambda: (forward(), plain()))
    assert (a, b) == (1, Direction.__dict__["plain"]) and hot == {}
    assert cell_of(forward).get(caches.ClassAttrCell.CLASS) == id(Direction)


def test_changes_of_the_class_and_its_bases_are_seen(mode, compiled, monkeypatch):
    compiled(forward)
    assert forward() == 1
    monkeypatch.setattr(Direction, "FORWARD", 5)
    assert forward() == 5

    class Base:
        FORWARD = 7

    class Sub(Base):
        pass

    monkeypatch.setitem(forward.__globals__, "Direction", Sub)
    assert forward() == 7
    assert forward() == 7
    Base.FORWARD = 8
    assert forward() == 8
    Sub.FORWARD = 9
    assert forward() == 9
    del Sub.FORWARD, Base.FORWARD
    assert outcome(forward) == outcome(interpreted(forward))


def test_other_objects_in_the_global(mode, compiled, monkeypatch):
    compiled(forward)
    forward()

    class Meta(type):
        @property
        def FORWARD(cls):
            return "meta"

    class WithMeta(metaclass=Meta):
        FORWARD = 3

    original = Direction
    for obj in (WithMeta, Direction(), sys, WithMeta, original):
        monkeypatch.setitem(forward.__globals__, "Direction", obj)
        assert outcome(forward) == outcome(interpreted(forward))
    assert forward() == 1 and cell_of(forward).get(caches.ClassAttrCell.CLASS) == id(original)


def item():
    return Holder.item


Holder = None


def test_descriptors_are_not_cached(mode, compiled, monkeypatch):
    compiled(klass)
    assert klass()() is Direction
    assert klass()() is Direction
    assert cell_of(klass).get(caches.ClassAttrCell.CLASS) == 0

    class Getter:
        def __get__(self, obj, tp):
            return "got"

    class Base:
        pass

    class Value(Base):
        pass

    monkeypatch.setitem(item.__globals__, "Holder", Base)
    compiled(item)                       # (a class in the global when compiled)
    Base.item = Getter()                 # a descriptor: not cached
    assert item() == "got" and item() == "got"
    assert cell_of(item).get(caches.ClassAttrCell.CLASS) == 0
    Value.item = value = Value()         # an instance of the class itself: cached
    monkeypatch.setitem(item.__globals__, "Holder", Value)
    assert item() is value and item() is value
    assert cell_of(item).get(caches.ClassAttrCell.CLASS) == id(Value)
    Base.__get__ = lambda self, obj, tp: "now a descriptor"     # Value's version changes
    assert item() == "now a descriptor" == interpreted(item)()


def test_missing_attribute_and_reference_counts(mode, compiled, monkeypatch):
    compiled(forward)

    class Empty:
        pass

    monkeypatch.setitem(forward.__globals__, "Direction", Empty)
    assert outcome(forward) == outcome(interpreted(forward))
    value = object()
    Empty.FORWARD = value
    forward()
    before = sys.getrefcount(value)
    got = [forward() for _ in range(3)]
    assert sys.getrefcount(value) == before + 3
    del got
    assert sys.getrefcount(value) == before
