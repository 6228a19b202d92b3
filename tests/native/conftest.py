"""Fixtures for the native engine tests.

These tests run compiled code on the CPU, so they need AArch64 Linux: on
any other host they are skipped with that reason (the suite runs them
under qemu with `scripts/aarch64-python.sh -m pytest tests/native -q`),
except the ones marked as compile-only (byte identity, the ELF dump, the
host check), which run everywhere.

`native` is one NativeEngine for the session, installed as the JIT's engine
for the tests that use it (the previous engine comes back afterwards);
`compiled(*fns)` compiles with it and uncompiles at teardown.
"""

from __future__ import annotations

import pytest

import pyjit.jit as jit
from pyjit.cpython import errstate
from pyjit.runtime.native_engine import NativeEngine


@pytest.fixture(scope="session")
def native_session():
    engine = NativeEngine(code_arena_size=32 << 20)
    yield engine
    for fn in jit.get_compiled_functions():
        if jit._installed(fn).engine is engine:
            jit.force_uncompile(fn)
    engine.close()


@pytest.fixture
def native(native_session):
    previous = jit._engine            # without creating one
    jit.set_engine(native_session)
    yield native_session
    jit.set_engine(previous)
    errstate.set_pending(None)


@pytest.fixture
def compiled(native):
    done = []

    def compile_(*fns, strategy=None):
        for fn in fns:
            assert jit.force_compile(fn, strategy), jit.refusal_reason(fn)
            assert jit.compiled_function(fn) is not None
            done.append(fn)
        return fns[0] if len(fns) == 1 else fns

    yield compile_
    for fn in reversed(done):
        jit.force_uncompile(fn)
