"""Recursion through compiled and interpreted frames: as deep as the
interpreter goes, `sys.setrecursionlimit` honoured, RecursionError (never a
crash or an EmulationFault) where the interpreter raises one, and the
recursion counter left as it was found."""

from __future__ import annotations

import sys
import threading

import pytest

import pyjit.jit as jit
from pyjit.cpython import tstate


@pytest.fixture
def limit():
    """set(n): sys.setrecursionlimit(n) for this test only."""
    previous = sys.getrecursionlimit()
    yield sys.setrecursionlimit
    sys.setrecursionlimit(previous)


def compiled_f(n):
    if n == 0:
        return 0
    return interpreted_g(n - 1) + 1


def interpreted_g(n):
    return compiled_f(n)


def direct(n):
    if n == 0:
        return 0
    return direct(n - 1) + 1


def forever(n):
    return interpreted_forever(n + 1)


def interpreted_forever(n):
    return forever(n)


def deepest(fn, hi: int) -> int:
    """The largest n <= hi for which fn(n) returns (not RecursionError)."""
    lo = 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            fn(mid)
            lo = mid
        except RecursionError:
            hi = mid - 1
    return lo


@pytest.mark.parametrize("recursion_limit", [100, 500, 1000, 2000])
def test_mixed_recursion_reaches_the_interpreters_depth(jit_compile, limit, recursion_limit):
    limit(recursion_limit)
    interpreted = deepest(compiled_f, recursion_limit)
    jit_compile(compiled_f)
    compiled = deepest(compiled_f, recursion_limit)
    # A compiled activation counts as one frame; its trampoline and entry
    # frames are entered before the engine can give them back: two frames
    # of slack.  At 2000 the C stack guard of nested emulation may stop
    # the Unicorn engine a little earlier.
    slack = 2 if recursion_limit < 2000 else recursion_limit // 20
    assert interpreted - slack <= compiled <= interpreted


def test_each_compiled_level_counts_one_frame(jit_compile):
    counter = tstate.recursion_counter()
    depths = []

    def g(n):
        depths.append(sys.getrecursionlimit() - counter.value)
        return f(n)

    def f(n):
        return 0 if n == 0 else g(n - 1) + 1

    f(6)
    interpreted = [b - a for a, b in zip(depths, depths[1:])]
    depths.clear()
    jit_compile(f)
    f(6)
    assert [b - a for a, b in zip(depths, depths[1:])] == interpreted == [2] * 5


@pytest.mark.parametrize("recursion_limit", [50, 1000, 3000])
@pytest.mark.parametrize("repeat", range(2))
def test_runaway_recursion_is_a_recursion_error(jit_compile, limit, recursion_limit, repeat):
    jit_compile(forever)
    counter = tstate.recursion_counter()
    previous, before = sys.getrecursionlimit(), counter.value
    limit(recursion_limit)
    with pytest.raises(RecursionError):
        forever(0)
    limit(previous)
    assert counter.value == before          # the depth the interpreter sees is unchanged
    assert compiled_f(10) == 10 and forever.__code__ is not None


def test_recursion_deeper_than_unicorns_nesting(jit_compile, limit):
    limit(2000)
    jit_compile(compiled_f)
    assert compiled_f(600) == 600       # 600 nested entries (Unicorn nests 64 deep)


def test_lowering_the_limit_inside_compiled_code(jit_compile, limit):
    def lower_then_recurse(n):
        sys.setrecursionlimit(60)
        return forever(n)

    def entry(n):
        return lower_then_recurse(n)

    jit_compile(entry, forever)
    with pytest.raises(RecursionError):
        entry(0)
    limit(1000)
    with pytest.raises(RecursionError, match="too low"):
        # The interpreter refuses a limit below the current depth, with or
        # without compiled frames on the stack.
        def too_low():
            sys.setrecursionlimit(1)
        jit_compile(too_low)
        too_low()


def test_direct_compiled_recursion_ends_in_recursion_error(jit_compile, limit):
    """Calls between compiled functions count themselves against the limit
    (docs/architecture.md, "Direct calls"); with a limit too high to reach,
    the engine's stack bounds them (the generic path below its margin,
    then nested entries), and that too ends in RecursionError."""
    jit_compile(direct)
    limit(100_000)
    assert direct(500) == 500
    with pytest.raises(RecursionError):
        direct(10_000_000)
    assert direct(10) == 10


def test_recursion_in_a_thread_with_a_small_stack(jit_compile, limit):
    jit_compile(compiled_f)
    limit(100_000)
    old = threading.stack_size(2 << 20)
    result = []
    try:
        t = threading.Thread(target=lambda: result.append(_catch(compiled_f, 1_000_000)),
                             daemon=True)
        t.start()
        t.join(20)
    finally:
        threading.stack_size(old)
    assert not t.is_alive() and result == [RecursionError]


def _catch(fn, *args):
    try:
        fn(*args)
    except RecursionError:
        return RecursionError
    return None
