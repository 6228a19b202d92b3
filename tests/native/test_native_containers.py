"""The container, truth, len and dict-path routines on the CPU: list and
tuple subscripts and stores, tuple unpacking, int // and %, len() and
truth tests, attribute and method loads through materialized instance
dicts, globals after another global's store, and the pools of dead ints
and floats under results that escape and C-made objects that die: the
interpreter's results and exceptions, and nothing leaks."""

from __future__ import annotations

import itertools
import sys

from pyjit.cpython.int_pool import CAPACITY
from pyjit.runtime import entries

from native_support import native_only

pytestmark = native_only


def outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except Exception as exc:  # noqa: BLE001 - comparing with the interpreter
        return "raise", type(exc), str(exc)


def containers(c, i, v):
    out = [c[i]]
    if type(c) is list:
        c[i] = v
        out.append(c[i])
    a, b, *_ = c if len(c) > 2 else (c[0], c[0], c[0])
    out.append((a, b, len(c), bool(c), not c))
    return out


def divide(a, b):
    x = a
    x //= b
    y = a
    y %= b
    return a // b, a % b, x, y, bool(a), not b


class Rec:
    def __init__(self, k):
        self.k = k

    def twice(self):
        return 2 * self.k


SCALE = 3
COUNTER = 0


def walk(recs, n):
    global COUNTER
    total = 0
    for _ in range(n):
        COUNTER += 1                         # the globals' version changes
        for r in recs:
            total += r.k * SCALE + r.twice() + len(recs)
    return total


def test_containers_and_numbers_are_the_interpreters(compiled):
    cases = [([1, 2, 3], 1, 9), ([1, 2, 3], -1, 9), ([1, 2, 3], 3, 9), ((4, 5, 6), -3, 0),
             ((4, 5), 1, 0), ("abc", 0, 0), ({0: 1}, 0, 2), ([0] * 40, 39, 1), ([], 0, 1)]
    reference = [outcome(containers, list(c) if type(c) is list else c, i, v)
                 for c, i, v in cases]
    compiled(containers)
    for (c, i, v), want in zip(cases, reference):
        got = outcome(containers, list(c) if type(c) is list else c, i, v)
        assert got == want, (c, i)
    values = [0, 1, -1, 7, -7, 255, -256, 2**29 + 1, -(2**30 - 1), 2**30, 2.5]
    pairs = list(itertools.product(values, values))
    reference = [outcome(divide, a, b) for a, b in pairs]
    compiled(divide)
    for (a, b), want in zip(pairs, reference):
        assert outcome(divide, a, b) == want, (a, b)


def test_dict_paths_and_pools(compiled, native):
    recs = [Rec(k) for k in range(6)]
    for r in recs[::2]:
        r.__dict__ = {"pad": 0, "k": r.k}      # a dict of its own
    for r in recs[1::3]:
        vars(r)                                 # a dict made from the values
    expected = walk(recs, 30)
    compiled(walk)
    held = [sys.getrefcount(r) for r in recs]
    for _ in range(5):
        assert walk(recs, 30) == expected
    assert [sys.getrefcount(r) for r in recs] == held
    assert 0 <= entries.int_pool(native).count <= CAPACITY


def make_ints(n):
    out = []
    for i in range(n):
        out.append(i * 1000 + 7)                # results escape: the pool runs empty
    return out


def sum_floats(xs):
    t = 0.0
    for v in xs:
        t = t + v                               # floats made in C die here: the pool fills
    return t


def test_pools_stay_bounded(compiled, native):
    compiled(make_ints, sum_floats)
    floats = [i / 7 for i in range(500)]
    want = 0.0
    for v in floats:
        want = want + v
    for _ in range(5):
        assert make_ints(300) == [i * 1000 + 7 for i in range(300)]
        assert sum_floats(floats) == want
    assert 0 <= entries.int_pool(native).count <= CAPACITY
    assert 0 <= entries.float_pool(native).count <= CAPACITY
