"""Iterators from pools of dead ones, on every version: of exact lists
(pyjit_get_iter, pyjit_dealloc, int_pool.IterPool): the interpreter's
iteration, an iterator the collector tracks and collects in a cycle, counts
balanced, no trap, a pooled iterator a program holds left alone; of ranges
of one-digit ints (pyjit_range_iter, int_pool.RangePool): the
interpreter's values, lengths and errors."""

from __future__ import annotations

import gc
import itertools
import sys

import pytest

import pyjit.jit as jit
from conftest import interpreted
from pyjit.runtime import UnicornEngine, entries


def total(lists):
    s = 0
    for lst in lists:
        for x in lst:
            s += x
    return s


def inside(lst, probe):
    out = None
    for x in lst:
        if out is None:
            out = probe(lst)                  # the loop's iterator alive
    return out


def list_iterators_of(lst):
    return [o for o in gc.get_referrers(lst) if type(o) is type(iter([]))]


def dead(it):
    """Whether a list iterator let its list go (its reduction names none)."""
    return len(it.__reduce__()) == 2


def probe_state(lst):
    return [(gc.is_tracked(it), it.__length_hint__()) for it in list_iterators_of(lst)]


def probe_cycle(lst):
    lst.append(list_iterators_of(lst)[0])     # lst -> its iterator -> lst
    return True


def drop_iterators(lst, n):
    for _ in range(n):
        it = iter(lst)
        del it
    return n


def collecting(lst):
    out = []
    for x in lst:
        if x == 2:
            gc.collect()
        out.append(x)
    return out


freed = []


class Witness:
    def __del__(self):
        freed.append("witness")


def test_loops_over_lists_are_the_interpreters(mode, compiled, traps):
    compiled(total)
    lists = [[1, 2, 3], [], [4], list(range(20))]
    assert total(lists) == interpreted(total)(lists)
    result, counts = traps(lambda: total(lists))
    assert result == 200
    # The outer loop's iterator dies in compiled code too: every iterator
    # after the first comes from the pool.
    assert "PyObject_GetIter" not in counts and "Py_DecRef" not in counts, counts


def test_a_pooled_iterator_is_a_tracked_list_iterator(compiled, traps):
    compiled(inside, total)
    total([[1], [2]])                         # iterators that died in compiled code
    lst = [1, 2, 3]
    before = sys.getrefcount(lst)
    result, counts = traps(lambda: inside(lst, probe_state))
    assert result == [(True, 2)] and "PyObject_GetIter" not in counts, counts
    assert sys.getrefcount(lst) == before


def test_a_cycle_through_a_pooled_iterator_is_collected(compiled):
    compiled(inside, total)
    total([[1], [2]])
    freed.clear()
    lst = [Witness(), 2]
    assert inside(lst, probe_cycle) is True
    del lst
    gc.collect()
    assert freed == ["witness"]


def test_a_pooled_iterator_a_program_holds_is_left_alone(compiled, traps):
    # Pooled iterators stay tracked (the pool holds them), so
    # gc.get_objects() finds them: one a program holds is never handed out.
    compiled(total)
    total([[1], [2], [3]])
    held = [o for o in gc.get_objects() if type(o) is type(iter([])) and dead(o)]
    assert held
    result, counts = traps(lambda: total([[4, 5], [6]]))
    assert result == 15 and "PyObject_GetIter" in counts, counts
    assert all(dead(o) for o in held)
    del held
    total([[7]])
    result, counts = traps(lambda: total([[4, 5], [6]]))
    assert result == 15 and "PyObject_GetIter" not in counts, counts


def test_a_collection_inside_the_loop(mode, compiled):
    compiled(collecting)
    for _ in range(3):
        assert collecting([1, 2, 3]) == [1, 2, 3]


def test_iterator_pool_is_bounded_and_drained_on_close(compiled):
    engine = UnicornEngine()
    previous = jit._engine
    jit.set_engine(engine)
    try:
        compiled(drop_iterators)
        lst = [1]
        before = sys.getrefcount(lst)
        assert drop_iterators(lst, 500) == 500
        assert sys.getrefcount(lst) == before
        pool = entries.pool(engine, "iter")
        assert 0 < pool.count <= 64
        jit.force_uncompile(drop_iterators)
        engine.close()
        assert pool.count == 0
    finally:
        jit.set_engine(previous)


def range1(a):
    out = []
    for i in range(a):
        out.append(i)
    return out


def range2(a, b):
    out = []
    for i in range(a, b):
        out.append(i)
    return out


def range3(a, b, c):
    out = []
    for i in range(a, b, c):
        out.append(i)
    return out


EDGE = 2**30                                  # one digit: below it


def _outcome(call):
    try:
        return "ok", call()
    except Exception as exc:  # noqa: BLE001 - comparing with the interpreter
        return "raise", type(exc), str(exc)


def test_ranges_are_the_interpreters(mode, compiled, traps):
    compiled(range1, range2, range3)
    for a in (0, 1, -1, 7, True, 2.5, None, "3"):
        assert _outcome(lambda: range1(a)) == _outcome(lambda: interpreted(range1)(a)), a
    ends = (0, 1, -1, 9, -9, EDGE - 3, EDGE, -(EDGE - 2), -EDGE - 1)
    for a, b in itertools.product(ends, ends):
        if abs(b - a) <= 50:
            assert _outcome(lambda: range2(a, b)) == _outcome(lambda: interpreted(range2)(a, b))
    for a, b, c in itertools.product((0, 5, -4, EDGE - 9), (0, 12, -7, EDGE - 1),
                                     (1, 2, 3, -1, -2, -5, 0, True, 2.0, EDGE)):
        if abs(b - a) <= 60:
            assert (_outcome(lambda: range3(a, b, c))
                    == _outcome(lambda: interpreted(range3)(a, b, c))), (a, b, c)
    range3(0, 10, 3)
    result, counts = traps(lambda: [range3(0, 10, 3), range2(-3, 3), range1(4)])
    assert result == [[0, 3, 6, 9], [-3, -2, -1, 0, 1, 2], [0, 1, 2, 3]]
    assert "range_iter" not in counts and "Py_DecRef" not in counts, counts


def over(r):
    out = []
    for i in r:
        out.append(i)
    return out


def test_range_objects_are_the_interpreters(mode, compiled, traps):
    compiled(over)
    ranges = [range(5), range(-3, 4), range(10, 0, -3), range(0), range(EDGE - 2, EDGE + 2),
              range(-EDGE - 1, -EDGE + 2), range(2**62, 2**62 + 3), range(3, 20, 4)[1:]]
    for r in ranges:
        assert over(r) == interpreted(over)(r) == list(r)
    result, counts = traps(lambda: [over(range(3)), over(range(9, 3, -2))])
    assert result == [[0, 1, 2], [9, 7, 5]]
    assert not {"PyObject_GetIter", "range_iter", "Py_DecRef"} & set(counts), counts
