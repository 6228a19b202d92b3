"""Golden printed HIR: each small function as built, and after a pipeline
(the default one unless the case names another).  ``pytest --update-golden``
rewrites tests/golden/hir/*.txt; review the diff."""

from __future__ import annotations


import math

import pytest

from pyjit.hir import build_hir, format_function, run_pipeline, verify
from pyjit.hir.passes import DEFAULT_PIPELINE

from hir_support import requires_builder

pytestmark = requires_builder


def add(a, b):
    return a + b


def branches(x):
    if x > 0:
        y = x * 2
    else:
        y = -x
    return y


def loop(n):
    s = 0
    for i in range(n):
        s += (i * 3) ^ (i >> 2)
    return s


def sqrt2(x):
    s = 0.0
    s += math.sqrt(x)
    s += math.sqrt(x)
    return s


def catch(x):
    try:
        r = 10 / x
    except ZeroDivisionError:
        r = -1
    return r


def pair_sum(p):
    a, b = p
    return a.bit_length() + b


def floats(x):
    y = 1.5 * 2.0
    return y + x


def gen(n):
    try:
        x = yield n
    except KeyError:
        x = 0
    total = yield from range(x)
    return total


async def coro(a):
    return await a


class Sub(Exception):
    def args_of(self):
        return super().args


CASES = {
    "add": (add, DEFAULT_PIPELINE),
    "branches": (branches, DEFAULT_PIPELINE),
    "loop": (loop, DEFAULT_PIPELINE),
    "sqrt2": (sqrt2, DEFAULT_PIPELINE),
    "catch": (catch, DEFAULT_PIPELINE),
    "pair_sum": (pair_sum, DEFAULT_PIPELINE),
    "floats": (floats, ("specialize-float", "guard-elimination", "simplify", "dce",
                        *DEFAULT_PIPELINE[DEFAULT_PIPELINE.index("refcount-frame-values"):])),
    "gen": (gen, DEFAULT_PIPELINE),
    "coro": (coro, DEFAULT_PIPELINE),
    "super": (Sub.args_of, DEFAULT_PIPELINE),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_hir(name, golden):
    fn, passes = CASES[name]
    func = build_hir(fn)
    verify(func)
    before = format_function(func)
    run_pipeline(func, passes, verify_each=True)
    after = format_function(func)
    golden(f"hir/{name}.txt", f"# built\n{before}\n# after {', '.join(passes)}\n{after}")


def test_printing_is_stable():
    """Building twice prints the same text (names do not leak global ids)."""
    assert format_function(build_hir(loop)) == format_function(build_hir(loop))
