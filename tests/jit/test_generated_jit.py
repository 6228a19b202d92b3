"""Hypothesis-generated programs (the HIR tests' generator: arithmetic on
ints and floats, branches, loops, lists, tuples, f-strings, try/except,
calls between compiled functions) compiled and run under Unicorn with a
random call-lowering strategy, against CPython."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyjit.jit as jit


_HIR_TESTS = Path(__file__).parents[1] / "hir"


def _load(name: str, filename: str):
    if str(_HIR_TESTS) not in sys.path:      # the generator imports its helpers
        sys.path.insert(0, str(_HIR_TESTS))
    spec = importlib.util.spec_from_file_location(name, _HIR_TESTS / filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generated = _load("jit_generated_programs", "test_generated_programs.py")
STRATEGIES = ["direct", "literal", "stub", "lazy-stub", "hot-literal", "near"]


def outcome(fn, *args):
    try:
        return "ok", repr(fn(*args))
    except Exception as exc:  # noqa: BLE001 - comparing exception types
        return "raise", type(exc).__name__


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=generated.programs(),
       args=st.lists(st.tuples(generated.NUMBERS, generated.NUMBERS), min_size=1, max_size=3),
       strategy=st.sampled_from(STRATEGIES))
def test_generated_program_matches_cpython(source, args, strategy):
    namespace: dict = {"__builtins__": __builtins__, "__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)
    functions = [namespace[name] for name in ("f", "helper", "pick")]
    expected = [outcome(functions[0], a, b) for a, b in args]
    try:
        for fn in functions:
            assert jit.force_compile(fn, strategy), jit.refusal_reason(fn)
        got = [outcome(functions[0], a, b) for a, b in args]
    finally:
        for fn in functions:
            jit.force_uncompile(fn)
    assert got == expected, source


def _drive(make, a, b, sends):
    """The generator made by make(a, b), driven with the sends ("throw":
    a ZeroDivisionError thrown in): each step's value, return or exception
    type."""
    gen, out = make(a, b), []
    for step in [None, *sends]:
        try:
            if step == "throw":
                out.append(("value", repr(gen.throw(ZeroDivisionError("thrown")))))
            else:
                out.append(("value", repr(next(gen) if step is None else gen.send(step))))
        except StopIteration as stop:
            out.append(("stop", repr(stop.value)))
            break
        except Exception as exc:  # noqa: BLE001 - comparing exception types
            out.append(("raise", type(exc).__name__))
            break
    gen.close()
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=generated.programs(gen=True), a=generated.NUMBERS, b=generated.NUMBERS,
       sends=st.lists(st.one_of(generated.NUMBERS, st.just("throw")), max_size=5),
       strategy=st.sampled_from(STRATEGIES))
def test_generated_generator_matches_cpython(source, a, b, sends, strategy):
    namespace: dict = {"__builtins__": __builtins__, "__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)
    functions = [namespace[name] for name in ("f", "helper", "pick")]
    expected = _drive(functions[0], a, b, sends)
    try:
        for fn in functions:
            assert jit.force_compile(fn, strategy), jit.refusal_reason(fn)
        got = _drive(functions[0], a, b, sends)
    finally:
        for fn in functions:
            jit.force_uncompile(fn)
    assert got == expected, source
