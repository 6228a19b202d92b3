"""Fixtures for the semantics tests: what real programs rely on, on the
engine the JIT uses (`PYJIT_ENGINE`: unicorn by default; the same tests run
with PYJIT_ENGINE=native under qemu, scripts/aarch64-python.sh).

- `engine`: the JIT's engine (skips the module where it cannot run, e.g.
  the native engine on x86-64);
- `jit_compile(*fns)`: force_compile each (asserting it compiled) and
  uncompile them at teardown;
- every test starts and ends with no pending or deferred exception and no
  thread inside compiled code.
"""

from __future__ import annotations

import pytest

import pyjit.jit as jit
from pyjit.cpython import errstate
from pyjit.cpython import interrupts


@pytest.fixture(scope="session")
def engine():
    try:
        return jit.get_engine()
    except RuntimeError as exc:         # NativeUnavailable on a host without AArch64
        pytest.skip(str(exc))


@pytest.fixture
def jit_compile(engine):
    done = []

    def compile_(*fns):
        for fn in fns:
            assert jit.force_compile(fn), jit.refusal_reason(fn)
            done.append(fn)
        return fns[0] if len(fns) == 1 else fns

    yield compile_
    for fn in reversed(done):
        jit.force_uncompile(fn)


@pytest.fixture(autouse=True)
def _clean_state(engine):
    errstate.set_pending(None)
    yield
    assert not engine._running(), "a thread was left inside compiled code"
    assert interrupts.pending() is None, "an asynchronous exception was left deferred"
    assert errstate.pending() is None, "a pending exception was left behind"


def is_unicorn(engine) -> bool:
    from pyjit.runtime.unicorn_engine import UnicornEngine
    return isinstance(engine, UnicornEngine)
