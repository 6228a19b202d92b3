"""The int arithmetic routines (pyjit_int_*) and the pool of dead ints
(pyjit_dealloc, runtime/int_pool.py): the interpreter's results and
exceptions for every pair of operands, no trap for small exact ints, and
no object handed out twice."""

from __future__ import annotations

import itertools

import pytest

import pyjit.jit as jit
from pyjit.runtime import UnicornEngine, entries
from pyjit.cpython.int_pool import CAPACITY

from conftest import interpreted, outcome


def arith(a, b):
    return a + b, a - b, a & b, a | b, a ^ b


def in_place(a, b):
    x = a
    x += b
    y = a
    y -= b
    z = a
    z &= b
    w = a
    w |= b
    v = a
    v ^= b
    return x, y, z, w, v


def divide(a, b):
    x = a
    x //= b
    y = a
    y %= b
    return a // b, a % b, x, y


class Int(int):
    def __add__(self, other):
        return "add"

    def __floordiv__(self, other):
        return "floordiv"


VALUES = [0, 1, -1, 5, -5, -6, 250, 251, 256, 257, 2**30 - 1, -(2**30 - 1), 2**30, -(2**30),
          2**29, 2**62, -2**62, 2**64 + 3, True, False, 1.0, -2.5, None, "a", Int(3), Int(-4)]


@pytest.mark.parametrize("fn", [arith, in_place, divide])
def test_int_ops_are_the_interpreters_for_every_pair(mode, compiled, fn):
    compiled(fn)
    reference = interpreted(fn)
    for a, b in itertools.product(VALUES, VALUES):
        assert outcome(lambda: fn(a, b)) == outcome(lambda: reference(a, b)), (a, b)


def divide_all(pairs):
    total = 0
    for a, b in pairs:
        q, r, x, y = a // b, a % b, a, a
        x //= b
        y %= b
        total = total ^ q ^ r ^ x ^ y       # the results die here: back to the pool
    return total


def test_floor_division_and_remainder_of_one_digit_ints(compiled, traps):
    compiled(divide, divide_all)
    reference = interpreted(divide)
    values = [0, 1, -1, 2, -2, 3, -3, 7, -7, 255, -255, 2**29 + 3, -(2**29 + 3), 2**30 - 1,
              -(2**30 - 1)]
    pairs = [(a, b) for a, b in itertools.product(values, values) if b]
    assert [divide(a, b) for a, b in pairs] == [reference(a, b) for a, b in pairs]
    divide_all(pairs)                         # the pool fills with what dies here
    result, counts = traps(lambda: divide_all(pairs))
    assert result == interpreted(divide_all)(pairs)
    divisions = {"PyNumber_FloorDivide", "PyNumber_Remainder", "PyNumber_InPlaceFloorDivide",
                 "PyNumber_InPlaceRemainder"}
    assert not divisions & set(counts), counts
    assert outcome(lambda: divide(5, 0)) == outcome(lambda: reference(5, 0))


def test_one_digit_ints_make_no_trap(compiled, traps):
    def total(n):
        s = 0
        i = 0
        while i < n:
            s += i ^ 0x5A5A
            i += 1
        return s
    compiled(total)
    total(200)                                # the pool fills with what dies here
    result, counts = traps(lambda: total(200))
    assert result == interpreted(total)(200)
    # Results come from the pool and deaths go back, except the returned
    # int, which dies in the interpreter: one allocation a call at most.
    assert set(counts) <= {"PyNumber_InPlaceAdd"} and sum(counts.values()) <= 1, counts


def test_results_kept_alive_are_never_reused(compiled):
    """Results taken from the pool stay distinct and intact while held,
    however many more ints die and are born meanwhile."""
    def make(n, k):
        return n * 0 + n + k                  # a new one-digit int (+ goes through the pool)
    compiled(make)
    kept = [make(i, 1000) for i in range(5 * CAPACITY)]
    churn = [make(i, 7) for i in range(10 * CAPACITY)]
    del churn
    assert kept == [i + 1000 for i in range(5 * CAPACITY)]
    assert len({id(x) for x in kept}) == len(kept)


def test_pool_is_bounded_and_drained_on_close(compiled):
    engine = UnicornEngine()
    previous = jit._engine
    jit.set_engine(engine)
    try:
        def churn(n):
            s = 0
            for i in range(n):
                s = s + i + 1000
            return s
        compiled(churn)
        assert churn(3000) == interpreted(churn)(3000)
        pool = entries.int_pool(engine)
        assert 0 < pool.count <= CAPACITY
        jit.force_uncompile(churn)
        engine.close()
        assert pool.count == 0
    finally:
        jit.set_engine(previous)


COUNTER = 0


def bump(n):
    global COUNTER
    for _ in range(n):
        COUNTER += 1                          # kept in the globals: never back in the pool


def test_results_kept_come_from_batches_not_traps(compiled, traps):
    global COUNTER
    compiled(bump)
    COUNTER = 1000
    bump(3)
    result, counts = traps(lambda: bump(10 * CAPACITY))
    assert COUNTER == 1003 + 10 * CAPACITY
    # One refill makes half a pool: 20 for 640 ints kept, no C-API call
    # for the additions (the stores are PyDict_SetItem's).
    assert "PyNumber_InPlaceAdd" not in counts, counts
    assert 19 <= counts["pool_refill"] <= 21, counts
    kept = [bump(1) or COUNTER for _ in range(3)]
    assert kept == [1004 + 10 * CAPACITY + i for i in range(3)]
