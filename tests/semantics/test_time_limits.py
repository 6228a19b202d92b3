"""No wall-clock limit on compiled calls: a program's compiled function runs
as long as it does in the interpreter.  A time limit is an opt-in of the
Unicorn engine, for benchmarks that want one."""

from __future__ import annotations

import inspect
import time

import pytest

import pyjit.jit as jit
from pyjit.runtime import EmulationFault, UnicornEngine

from conftest import is_unicorn


def test_the_engines_have_no_time_limit_by_default(engine):
    assert inspect.signature(UnicornEngine).parameters["timeout"].default is None
    if is_unicorn(engine):
        assert engine.timeout is None and engine.max_instructions is None


def long_running(seconds):
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
    return n


def test_a_long_compiled_call_completes(jit_compile):
    jit_compile(long_running)
    assert long_running(2.5) > 0


def spin(n):
    while True:
        n += 1


def test_the_opt_in_timeout_stops_a_loop_that_calls_nothing():
    with UnicornEngine(code_arena_size=4 << 20, timeout=0.3) as limited:
        assert jit.force_compile(spin, engine=limited)
        try:
            start = time.monotonic()
            with pytest.raises(EmulationFault, match=r"time limit exceeded \(0.3 s\)"):
                spin(0)
            assert time.monotonic() - start < 10
        finally:
            jit.force_uncompile(spin)
