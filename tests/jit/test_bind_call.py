"""Calls whose arguments need binding (keywords, defaults, another count,
*args and **kwargs) go through the shared `pyjit_bind_call` routine, which
binds them and calls the function's entry again with kwnames
BOUND_ARGUMENTS (cpython/routines.py): the interpreter's results,
exceptions, traceback entries and reference counts, nested and recursive,
and the function's own code holds nothing for the binding."""

from __future__ import annotations

import sys
import traceback

import pytest

from pyjit import jit
from pyjit.compiler import compile_function


def fixed(a, b):
    return (a, b)


def defaults(a, b=10, *, c=20):
    return (a, b, c)


def star(a, *args, k=1, **kwargs):
    return (a, args, k, sorted(kwargs.items()))


def fails(a, b=0):
    return a / b                       # ZeroDivisionError in the body


def countdown(n, step=1):
    if n <= 0:
        return 0
    return 1 + countdown(n=n - step, step=step)


def positional(a, b=1, c=(2,)):
    return a, b, c


def rebinding(a, b=[1]):
    rebinding.__defaults__ = (list(b),)  # the list given as b stays alive for the call
    return b + [a]


def down(n, step=1):
    if n <= 0:
        return 0
    return 1 + down(n - step)            # the default bound by pyjit_bind_call


CALLS = [
    (fixed, (1, 2), {}), (fixed, (1,), {"b": 2}), (fixed, (), {"a": 1, "b": 2}),
    (fixed, (1, 2, 3), {}), (fixed, (1,), {"c": 3}), (fixed, (1,), {}),
    (defaults, (1,), {}), (defaults, (1, 2), {"c": 3}), (defaults, (), {"a": 0}),
    (defaults, (1, 2, 3), {}), (star, (1, 2, 3), {"k": 4, "z": 5}), (star, (), {}),
    (star, (1,), {}), (fails, (1,), {}), (fails, (1,), {"b": 2}), (fails, (), {"a": 1}),
    (countdown, (50,), {}), (countdown, (50,), {"step": 2}),
    (positional, (1,), {}), (positional, (1, 2), {}), (positional, (), {}),
    (positional, (1, 2, 3, 4), {}), (rebinding, (5,), {}), (rebinding, (6,), {}),
]


def _outcome(func, args, kwargs):
    try:
        return ("ok", func(*args, **kwargs))
    except Exception as exc:          # noqa: BLE001 (compared with the interpreter's)
        frames = [f.name for f in traceback.extract_tb(exc.__traceback__)]
        return ("raised", type(exc), str(exc), frames[1:])


@pytest.mark.parametrize("case", range(len(CALLS)),
                         ids=[f"{c[0].__name__}{c[1]}{c[2]}" for c in CALLS])
def test_bound_calls_match_the_interpreter(case):
    func, args, kwargs = CALLS[case]
    marker = object()
    args = args + ((marker,) if func is star else ())
    before = sys.getrefcount(marker)
    want = _outcome(func, args, kwargs)
    assert jit.force_compile(func), jit.refusal_reason(func)
    try:
        got = _outcome(func, args, kwargs)
    finally:
        jit.force_uncompile(func)
    assert got == want
    del got, want
    assert sys.getrefcount(marker) == before


def test_recursion_through_the_bind_path_counts_once_a_call():
    assert jit.force_compile(countdown)
    try:
        limit = sys.getrecursionlimit()
        assert countdown(limit // 4, step=1) == limit // 4
        with pytest.raises(RecursionError):
            countdown(limit * 2, step=1)
    finally:
        jit.force_uncompile(countdown)


def test_positional_arguments_with_defaults_bind_without_a_trap():
    assert jit.force_compile(down), jit.refusal_reason(down)
    try:
        down(10)
        jit.set_counting(True)
        jit.reset_dynamic_counts()
        try:
            assert down(100) == 100
        finally:
            counts = jit.dynamic_counts()
            jit.set_counting(False)
        helpers = {name for c in counts.values() for name, n in c["helpers"].items() if n}
        assert not helpers, helpers
        limit = sys.getrecursionlimit()
        with pytest.raises(RecursionError):
            down(limit * 2)
        assert down(limit // 4) == limit // 4
    finally:
        jit.force_uncompile(down)


def test_the_function_holds_nothing_for_the_binding():
    """Its code has no bound-array register to release on its exits: the
    bind path is the routine's, one call and a return."""
    symbols = {r.symbol for r in compile_function(defaults).emitted.code.relocs}
    assert "pyjit_bind_call" in symbols and "bind_args" not in symbols
