"""Compiled Python functions on the CPU: the canonical shapes under every
built-in strategy, construct cases against CPython, exceptions, reference
counts, direct calls and runaway recursion."""

from __future__ import annotations

import gc
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pyjit.jit as jit
from pyjit.aarch64.calls import strategy_names
from pyjit.runtime.native_engine import NativeEngine
from pyjit.shapes import make_shape

from native_support import native_only

pytestmark = native_only

_spec = importlib.util.spec_from_file_location("native_cases",
                                               Path(__file__).parents[1] / "hir" / "cases.py")
cases = importlib.util.module_from_spec(_spec)
sys.modules["native_cases"] = cases
_spec.loader.exec_module(cases)
outcome, fresh = cases.outcome, cases.fresh

rc = sys.getrefcount




# -- shapes ---------------------------------------------------------------------------

@pytest.mark.parametrize("strategy", strategy_names())
def test_shapes_under_every_strategy(compiled, strategy):
    sqrt200, sqrtpow64, loop = make_shape("sqrt:200"), make_shape("sqrtpow:64"), make_shape("loop")
    expected_loop = loop(1000)
    compiled(sqrt200, sqrtpow64, loop, strategy=strategy)
    assert jit.compiled_function(sqrt200).strategy == strategy
    x = 9.0
    rx = rc(x)
    assert sqrt200(x) == 600.0
    assert sqrtpow64(x) == 27.0 * 64
    assert loop(1000) == expected_loop and loop(0) == 0
    assert rc(x) == rx


def _math_error(x) -> str:
    """math.sqrt(x)'s message on this version (3.14 says what it got)."""
    try:
        import math
        math.sqrt(x)
    except ValueError as exc:
        return str(exc)
    raise AssertionError(f"math.sqrt({x}) did not raise")


def test_shape_raises_like_the_interpreter(compiled):
    f = compiled(make_shape("sqrt:4"))
    with pytest.raises(ValueError) as raised:
        f(-1.0)
    assert str(raised.value) == _math_error(-1.0)
    with pytest.raises(TypeError):
        f("nine")


# -- construct cases ---------------------------------------------------------------------

@pytest.mark.parametrize("name", list(cases.CASES))
def test_construct_matches_cpython(native, name):
    fn, arglists = cases.CASES[name]
    expected = [outcome(fn, fresh(args)) for args in arglists]
    try:
        assert jit.force_compile(fn), jit.refusal_reason(fn)
        got = [outcome(fn, fresh(args)) for args in arglists]
    finally:
        jit.force_uncompile(fn)
    assert got == expected


_gen_spec = importlib.util.spec_from_file_location(
    "native_gen_cases", Path(__file__).parents[1] / "hir" / "gen_cases.py")
gen_cases = importlib.util.module_from_spec(_gen_spec)
sys.modules["native_gen_cases"] = gen_cases
_gen_spec.loader.exec_module(gen_cases)


@pytest.mark.parametrize("name", list(gen_cases.GENERATOR_CASES))
def test_generator_matches_cpython(native, name):
    """Compiled generators and coroutines driven step by step on the CPU."""
    fn, args, script = gen_cases.GENERATOR_CASES[name]
    expected = gen_cases.drive(fn, args, script)
    try:
        assert jit.force_compile(fn), jit.refusal_reason(fn)
        got = gen_cases.drive(fn, args, script)
    finally:
        jit.force_uncompile(fn)
    assert got == expected


# -- exceptions and reference counts -----------------------------------------------------

class Boom(Exception):
    pass


class Thing:
    def __init__(self, v):
        self.v = v

    def explode(self):
        raise Boom(self.v)


def add(a, b):
    return a + b


def attr_or_default(obj):
    try:
        return obj.v
    except AttributeError:
        return "none"


def call_method(obj):
    return obj.explode()


def iterate(xs):
    total = 0
    for x in xs:
        total += x
    return total


def bad_iter():
    yield 1
    raise Boom("in the iterator")


def test_exceptions_propagate_with_their_type(compiled):
    compiled(add, attr_or_default, call_method, iterate)
    with pytest.raises(TypeError, match="unsupported operand"):
        add(1, "x")                          # a C-API helper failed
    with pytest.raises(Boom) as info:
        call_method(Thing(7))                # raised by interpreted code under a helper
    assert info.value.args == (7,)
    assert info.value.__traceback__ is not None
    assert attr_or_default(Thing(3)) == 3 and attr_or_default(5) == "none"
    assert iterate([1, 2, 3]) == 6
    with pytest.raises(Boom, match="in the iterator"):
        iterate(bad_iter())
    with pytest.raises(TypeError):
        iterate(None)


def test_reference_counts_balance_over_many_calls(compiled):
    compiled(add, attr_or_default, iterate)
    big, s, t = 10**30, "abc", Thing(5)
    xs = [1.5, 2.5]
    before = [rc(big), rc(s), rc(t), rc(xs), rc(xs[0])]
    for _ in range(300):
        add(big, big)
        add(s, s)
        attr_or_default(t)
        attr_or_default(big)
        iterate(xs)
        try:
            add(big, s)
        except TypeError:
            pass
    assert [rc(big), rc(s), rc(t), rc(xs), rc(xs[0])] == before


def test_no_objects_leak(compiled):
    compiled(call_method, attr_or_default)
    gc.collect()
    things = sum(type(o) is Thing for o in gc.get_objects())
    for i in range(200):
        try:
            call_method(Thing(i))
        except Boom:
            pass
        attr_or_default(Thing(i))
    gc.collect()
    assert sum(type(o) is Thing for o in gc.get_objects()) == things


# -- calls between compiled functions ---------------------------------------------------------

def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def down(n):
    return down(n + 1)


def test_direct_calls_and_runaway_recursion(compiled):
    compiled(fib, down)
    assert fib(20) == 6765
    with pytest.raises(RecursionError):
        down(0)
    assert fib(15) == 610                 # the engine is fine afterwards
    with pytest.raises(RecursionError):
        down(0)


def repr_length(x):
    return len(repr(x))


def test_c_recursion_on_the_engine_stack_ends_in_recursion_error(compiled):
    # repr of a deep nest recurses in C, on the stack compiled code runs on:
    # the interpreter's own check must measure that stack (3.14 compares
    # the stack pointer with the thread's limits: cpython/tstate.py).
    compiled(repr_length)
    nest = []
    for _ in range(200_000):
        nest = [nest]
    with pytest.raises(RecursionError):
        repr_length(nest)
    assert repr_length([[1]]) == 5
    while nest:                           # (freed without C recursion)
        nest = nest[0]


def test_generic_calls_on_a_thread_stack(compiled):
    # A second thread entering while the main thread is inside compiled code
    # runs on a thread stack, below the stack limit: every call between
    # compiled functions takes the generic path there.
    import threading
    compiled(fib)
    results = []

    def worker():
        results.append(fib(12))

    def spawn_and_join(n):
        t = threading.Thread(target=worker)
        t.start()
        t.join(30)
        return n

    global _spawn
    _spawn = spawn_and_join
    outer = compiled(_spawning)
    assert outer(3) == 3 and results == [144]


_spawn = None          # set by the test


def _spawning(n):
    return _spawn(n)


# -- selecting the engine -------------------------------------------------------------------

def test_pyjit_engine_native_selects_it():
    env = dict(os.environ, PYJIT_ENGINE="native")
    code = ("import pyjit, pyjit.shapes as s\n"
            "f = s.make_shape('sqrt:8')\n"
            "assert pyjit.force_compile(f)\n"
            "print(type(pyjit.get_engine()).__name__, f(9.0))\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["NativeEngine", "24.0"]
    assert isinstance(jit.make_engine("native"), NativeEngine)
