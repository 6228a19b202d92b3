"""Helpers for the HIR tests: compiling, differential runs, source shapes."""

from __future__ import annotations

import copy
import math
import sys
import types
from typing import Any, Callable, Iterable

import pytest

from pyjit.hir import build_hir, run_pipeline, verify
from pyjit.hir.build import SUPPORTED_VERSIONS
from pyjit.hir.interp import run
from pyjit.hir.ir import Function
from pyjit.hir.passes import DEFAULT_PIPELINE

requires_builder = pytest.mark.skipif(sys.version_info[:2] not in SUPPORTED_VERSIONS,
                                      reason="pyjit has no HIR builder for this CPython's bytecode")


def compile_fn(fn: Callable, passes: Iterable[str] = DEFAULT_PIPELINE) -> Function:
    """Build and run a pipeline, verifying the IR after the build and each pass."""
    func = build_hir(fn)
    verify(func)
    return run_pipeline(func, passes, verify_each=True)


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("value", call())
    except Exception as exc:  # the outcome under test, compared by type
        return ("raise", type(exc))


def same_value(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return a == b


def run_both(fn: Callable, *args: Any, passes: Iterable[str] = DEFAULT_PIPELINE,
             func: Function | None = None, **kwargs: Any) -> tuple[str, Any]:
    """Run ``fn`` under CPython and its HIR under the interpreter (ledger on
    when refcounted) on copies of the arguments; assert the same result or
    the same exception type.  Returns CPython's outcome."""
    hir = func if func is not None else compile_fn(fn, passes)
    expected = outcome(lambda: fn(*copy.deepcopy(args), **copy.deepcopy(kwargs)))
    got = outcome(lambda: run(hir, fn, *copy.deepcopy(args), **copy.deepcopy(kwargs)))
    assert expected[0] == got[0], f"CPython: {expected}, HIR: {got}"
    if expected[0] == "raise":
        assert expected[1] is got[1], f"CPython raised {expected[1]}, HIR raised {got[1]}"
    else:
        assert same_value(expected[1], got[1]), f"CPython: {expected[1]!r}, HIR: {got[1]!r}"
    return expected


def function_from_source(source: str, name: str, namespace: dict | None = None) -> types.FunctionType:
    """``exec`` source text (compiled with ``compile``) and return ``name``."""
    ns: dict = {"__builtins__": __builtins__} if namespace is None else namespace
    exec(compile(source, f"<{name}>", "exec"), ns)
    return ns[name]


def nested_code(fn: Callable, name: str) -> types.CodeType:
    return next(c for c in fn.__code__.co_consts if isinstance(c, types.CodeType) and c.co_name == name)


def nested_function(fn: Callable, name: str) -> types.FunctionType:
    """A comprehension's code object, as a function of its iterator."""
    return types.FunctionType(nested_code(fn, name), fn.__globals__)


# -- generators and coroutines --------------------------------------------------------------

def interpreted_generator_function(fn: Callable, func: Function) -> Callable:
    """A function object that makes generators (or coroutines) whose body is
    ``func`` (fn's HIR) run by the HIR interpreter, driven as the JIT drives
    compiled bodies: a trampoline delegating to a GeneratorBody
    (pyjit/cpython/genbody.py)."""
    from pyjit import install
    from pyjit.cpython.errstate import Failure
    from pyjit.cpython.genbody import AsyncGeneratorBody, GeneratorBody
    from pyjit.hir.interp import Activation

    def entry(*slots):
        handled = [None]    # the generator's own handled exception, kept across suspensions

        def step(saved, sent, thrown, frame):
            act = Activation(func, fn, {0: saved, 1: sent, 2: thrown}, func.refcounted)
            act.handled = handled[0]
            try:
                result = act.run(5_000_000)
            except BaseException as exc:  # the body's exception, as compiled code reports it
                return Failure(exc)
            finally:
                handled[0] = act.handled
            return tuple(result) if isinstance(result, list) else result

        body = AsyncGeneratorBody if func.generator == "async generator" else GeneratorBody
        return body(step, (0, None) + slots, func.generator, func.delegates)

    code = install.trampoline_code(fn.__code__, entry, func.generator)
    clone = types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    clone.__qualname__ = fn.__qualname__
    return clone
