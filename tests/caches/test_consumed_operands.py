"""Operands handed to the operator that uses them last (refcount-consume):
the consuming entries of the number routines (pyjit_int_add_consuming ...)
give the interpreter's results and exceptions for every pair of operands,
write a result into a handed-over operand only when nothing else holds it,
and release the others as the interpreter does (finalizers included), with
the pass on and off."""

from __future__ import annotations

import gc
import itertools
import sys

import pytest

import pyjit.jit as jit
from pyjit.options import CompileOptions

from conftest import interpreted
from test_float_routines import VALUES, is_nan, outcome

WITHOUT = CompileOptions(disabled_passes=frozenset({"refcount-consume"}))


def sums(a, b):
    # Temporaries on the left, on the right and on both sides; in place
    # too.
    t = (a - b) * (a - b + 0)
    v = a + b
    v += (a - b)
    return (a + b) + (a - b), t, (a * b) - (b * a), v


def quotient(a, b):
    return (a + b) / (b - a),


def bits_and_floors(a, b):
    return (a & b) | (a ^ b), (a // b) % (b + 1)


@pytest.mark.parametrize("fn", [sums, quotient, bits_and_floors])
@pytest.mark.parametrize("options", [None, WITHOUT], ids=["consume", "without"])
def test_temporaries_give_the_interpreters_results(mode, options, fn):
    assert jit.force_compile(fn, options=options)
    try:
        reference = interpreted(fn)
        for a, b in itertools.product(VALUES, VALUES):
            both_nan = is_nan(a) and is_nan(b)
            assert (outcome(lambda: fn(a, b), both_nan)
                    == outcome(lambda: reference(a, b), both_nan)), (a, b)
    finally:
        jit.force_uncompile(fn)


def item_update(v, x, y):
    v[0] -= x * y          # the item (the list holds it too) and the product handed over
    v[1] += x * y
    return v


@pytest.mark.parametrize("x, y", [(1.5, 2.0), (1000, 3000), (3, 4), (2**20, 2**15)])
def test_an_operand_someone_else_holds_is_not_overwritten(compiled, x, y):
    compiled(item_update)
    first, second = 10.25, 99999
    if type(x) is int:
        first = 123457
    v = [first, second]
    w = list(v)                             # the same objects, held by w as well
    assert item_update(v, x, y) == interpreted(item_update)([first, second], x, y)
    assert w == [first, second]
    assert w[0] is not v[0] and w[1] is not v[1]


def test_temporaries_are_reused_not_allocated(compiled):
    def horner(x):
        return ((x * 2.0 + 1.0) * x + 3.0) * x - 0.5

    counts = {}
    for options in (None, WITHOUT):
        assert jit.force_compile(horner, options=options)
        horner(1.5)
        jit.set_counting(True)
        jit.reset_dynamic_counts()
        try:
            assert horner(1.25) == interpreted(horner)(1.25)
        finally:
            stats = jit.dynamic_counts()
            jit.set_counting(False)
            jit.force_uncompile(horner)
        counts[options] = sum(c["stores"] for c in stats.values())
    # One float from the pool (count, ob_refcnt, value) and four results
    # written into it (the value) against five taken and four freed.
    assert counts[None] < counts[WITHOUT] - 15, counts


class Vec:
    """A Python class with operators: the dunder path of the routines."""

    released: list[str] = []

    def __init__(self, name):
        self.name = name

    def __add__(self, other):
        return Vec(f"({self.name}+{getattr(other, 'name', other)})")

    __sub__ = __add__

    def __del__(self):
        Vec.released.append(self.name)


def vec_sum(a, b, c):
    return ((a + b) - c + 1).name


def test_handed_over_objects_are_released_when_the_interpreter_releases_them(mode, compiled):
    compiled(vec_sum)
    a, b, c = Vec("a"), Vec("b"), Vec("c")
    for fn in (vec_sum, interpreted(vec_sum)):
        Vec.released.clear()
        assert fn(a, b, c) == "(((a+b)+c)+1)"
        if fn is vec_sum:
            got = list(Vec.released)
        else:
            expected = list(Vec.released)
    assert got == expected == ["(a+b)", "((a+b)+c)", "(((a+b)+c)+1)"]


def failing(a, b):
    return (a + b) / (a - a)


@pytest.mark.parametrize("a, b", [(2.5, 3.0), (700, 900), (Vec("x"), 1)])
def test_a_failing_operation_releases_what_was_handed_over(mode, compiled, a, b):
    compiled(failing)
    outcomes = []
    for fn in (failing, interpreted(failing)):
        Vec.released.clear()
        with pytest.raises((ZeroDivisionError, TypeError)) as raised:
            fn(a, b)
        outcomes.append((type(raised.value), str(raised.value)))
        del raised
        # (3.14's interpreter releases them right operand first, 3.11 to
        # 3.13's and compiled code's left first: the set is compared)
        outcomes.append(sorted(Vec.released))
    assert outcomes[:2] == outcomes[2:]


def int_floor_by_zero(a, b):
    return (a + b) // (a - a)


def test_an_int_division_by_zero_releases_what_was_handed_over(compiled):
    compiled(int_floor_by_zero)
    for _ in range(100):                     # warm: pools, caches
        with pytest.raises(ZeroDivisionError):
            int_floor_by_zero(700, 900)
    # (collections first: what pytest.raises leaves is freed by the collector,
    # at a time that depends on the process's history)
    gc.collect()
    before = sys.getallocatedblocks()
    for _ in range(2000):
        with pytest.raises(ZeroDivisionError):
            int_floor_by_zero(700, 900)
    gc.collect()
    # a + b is a new int each call: kept, it would be 2,000 blocks.
    assert sys.getallocatedblocks() - before < 200


# -- attribute stores: the value handed over (pyjit_cache_store_attr_consuming) ------------

class Plain:
    pass


class Slotted:
    __slots__ = ("attr",)


class OwnDict:
    pass


class Guarded:
    def __setattr__(self, name, value):
        if name == "attr" and value == ["refused"]:
            raise ValueError("refused")
        object.__setattr__(self, name, value)


class WithProperty:
    @property
    def attr(self):
        return self._attr

    @attr.setter
    def attr(self, value):
        self._attr = value


class ReadOnly:
    __slots__ = ()


def stores(obj, x, log):
    obj.attr = [x]                   # a new list, used nowhere else: handed over
    log.append(len(obj.attr))
    obj.attr = [x, x]                # the first list released by the store
    log.append(len(obj.attr))
    return obj


def _kinds():
    own = OwnDict()
    own.__dict__["other"] = 1        # a dict of its own before the first store
    return [Plain(), Slotted(), own, Guarded(), WithProperty()]


@pytest.mark.parametrize("options", [None, WITHOUT], ids=["consume", "without"])
def test_a_handed_over_value_is_stored_and_released_as_the_interpreter_does(mode, options):
    assert jit.force_compile(stores, options=options)
    try:
        reference = interpreted(stores)
        for _ in range(3):                  # cold and warm sites
            for k in range(len(_kinds())):
                jitted, expected = _kinds()[k], _kinds()[k]
                x = object()
                before = sys.getrefcount(x)
                got_log, want_log = [], []
                stores(jitted, x, got_log)
                reference(expected, x, want_log)
                assert got_log == want_log == [1, 2]
                assert jitted.attr == [x, x]
                # two in each object's list: the first lists were released
                assert sys.getrefcount(x) == before + 4
                del jitted, expected
                assert sys.getrefcount(x) == before
    finally:
        jit.force_uncompile(stores)


def refused_store(obj, x):
    obj.attr = [x]
    return obj


@pytest.mark.parametrize("options", [None, WITHOUT], ids=["consume", "without"])
@pytest.mark.parametrize("kind, value, error", [(Guarded, "refused", ValueError),
                                                (ReadOnly, 1, AttributeError)])
def test_a_failed_store_releases_the_handed_over_value(mode, options, kind, value, error):
    assert jit.force_compile(refused_store, options=options)
    try:
        for _ in range(3):
            x = value if kind is Guarded else object()
            before = sys.getrefcount(x)
            with pytest.raises(error):
                refused_store(kind(), x)
            assert sys.getrefcount(x) == before
    finally:
        jit.force_uncompile(refused_store)
