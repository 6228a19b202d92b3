"""Binary operators on instances of Python classes: the int routines call
the class's method themselves (cpython/dunders.py) where the interpreter's
binary_op1 would call only it; everything else stays the C-API's.  Results,
exceptions (NotImplemented's TypeError) and what a changed class does are
the interpreter's."""

from __future__ import annotations

import itertools

import pytest

from conftest import interpreted, outcome
from pyjit.cpython import dunders


class Vec:
    def __init__(self, x):
        self.x = x

    def __sub__(self, other):
        if type(other) is Vec:
            return Vec(self.x - other.x)
        if other == "nope":
            return NotImplemented
        return Vec(self.x - other)

    def __add__(self, other):
        return NotImplemented

    def __mul__(self, other):
        if other == 0:
            raise ZeroDivisionError("times zero")
        return ("mul", self.x, other)

    def __repr__(self):
        return f"Vec({self.x!r})"

    def __eq__(self, other):
        return type(other) is Vec and other.x == self.x

    __hash__ = None


class SubVec(Vec):
    pass


class InPlace(Vec):
    def __isub__(self, other):
        return ("isub", self.x)


class Listy(list):
    def __add__(self, other):
        return NotImplemented


class Reflected:
    def __rsub__(self, other):
        return ("rsub", other)


def sub(a, b):
    return a - b


def isub(a, b):
    a -= b
    return a


def add(a, b):
    return a + b


def iadd(a, b):
    a += b
    return a


def mul(a, b):
    return a * b


OPERANDS = [Vec(5), SubVec(2), InPlace(7), 3, 2.5, "nope", "s", Listy([1]), Reflected(), None]


@pytest.mark.parametrize("fn", [sub, isub, add, iadd, mul])
def test_every_pair_is_the_interpreters(mode, compiled, fn):
    compiled(fn, Vec.__sub__, Vec.__add__, Vec.__mul__, InPlace.__isub__)
    for a, b in itertools.product(OPERANDS, OPERANDS):
        for _ in range(2):                    # the fill, then the entry
            assert outcome(lambda: fn(a, b)) == outcome(lambda: interpreted(fn)(a, b)), (a, b)


def test_the_method_is_called_without_the_c_api(compiled, traps):
    compiled(sub, Vec.__sub__, Vec.__init__)
    a, b = Vec(5), Vec(3)
    assert sub(a, b) == Vec(2) and sub(a, 1.5) == Vec(3.5)
    result, counts = traps(lambda: [sub(a, b), sub(a, 1), sub(a, 0.5)])
    assert result == [Vec(2), Vec(4), Vec(4.5)]
    assert "PyNumber_Subtract" not in counts and "dunder_fill" not in counts, counts


def test_not_implemented_is_the_interpreters_type_error(compiled):
    compiled(add, iadd, sub, Vec.__add__, Vec.__sub__)
    for fn, b in ((add, Vec(1)), (iadd, Vec(1)), (sub, "nope"), (add, 3)):
        got = outcome(lambda: fn(Vec(1), b))
        assert got == outcome(lambda: interpreted(fn)(Vec(1), b))
        assert got[:2] == ("raise", TypeError)


def test_a_changed_class_is_seen(mode, compiled):
    class Box:
        def __init__(self, v):
            self.v = v

        def __sub__(self, other):
            return "first"

    def second(self, other):
        return "second"

    compiled(sub, Box.__sub__, second)
    a = Box(1)
    assert sub(a, a) == "first" and sub(a, a) == "first"
    Box.__sub__ = second
    assert sub(a, a) == "second"
    del Box.__sub__
    assert outcome(lambda: sub(a, a)) == outcome(lambda: interpreted(sub)(a, a))
    Box.__isub__ = lambda self, other: "isub"
    Box.__sub__ = second
    assert isub(a, a) == "isub" and sub(a, a) == "second"


def test_eligibility_is_the_documented_one():
    assert dunders.method_for(Vec, "__sub__", None) is Vec.__sub__
    assert dunders.method_for(SubVec, "__sub__", "__isub__") is Vec.__sub__
    assert dunders.method_for(InPlace, "__sub__", "__isub__") is None       # its own __isub__
    assert dunders.method_for(Listy, "__add__", None) is None                # a C base
    assert dunders.method_for(Reflected, "__sub__", None) is None            # no __sub__
    assert dunders.method_for(int, "__add__", None) is None
