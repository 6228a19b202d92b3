"""Dynamic counts through the public API: `pyjit.jit.set_counting`,
`reset_dynamic_counts` and `dynamic_counts`, on the `loop` shape."""

from __future__ import annotations

import pytest

import pyjit.jit as jit
from pyjit.shapes import make_shape

FIELDS = ("instructions", "loads", "stores", "taken_branches", "indirect_branches",
          "helper_calls")


@pytest.fixture
def loop():
    func = make_shape("loop")
    assert jit.force_compile(func), jit.refusal_reason(func)
    func(10)                    # warm-up: the first call fills caches
    yield func
    jit.set_counting(False)
    jit.force_uncompile(func)


def counts_of_one_call(func, n: int):
    jit.reset_dynamic_counts()
    assert func(n) == sum((i * 3) ^ (i >> 2) for i in range(n))
    return jit.dynamic_counts()["pyjit_shapes:loop"]


def test_counts_are_positive_deterministic_and_grow_with_n(loop):
    jit.set_counting(True)
    first = counts_of_one_call(loop, 500)
    second = counts_of_one_call(loop, 500)
    assert first["instructions"] > 500
    assert first == second
    for field in FIELDS:
        assert first[field] >= 0
    larger = counts_of_one_call(loop, 1000)
    assert larger["instructions"] > first["instructions"]
    assert larger["helper_calls"] >= first["helper_calls"]


def test_counting_switches_off_and_back_on(loop):
    # The loop already ran (warm-up) with counting off: its translated blocks
    # lack the counting hook until set_counting flushes them.
    jit.set_counting(True)
    on = counts_of_one_call(loop, 100)
    assert on["instructions"] > 0
    jit.set_counting(False)
    assert counts_of_one_call(loop, 100)["instructions"] == 0
    jit.set_counting(True)
    assert counts_of_one_call(loop, 100) == on


def test_reset_zeroes_the_counts(loop):
    jit.set_counting(True)
    assert counts_of_one_call(loop, 50)["instructions"] > 0
    jit.reset_dynamic_counts()
    assert jit.dynamic_counts()["pyjit_shapes:loop"]["instructions"] == 0
