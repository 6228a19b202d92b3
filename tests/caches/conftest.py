"""Fixtures for the inline cache and direct call tests.

`mode` runs a test with the caches and direct calls emitted one way
("shared": calls to the engine's shared routines, "inline": at the site);
`compiled(*fns)` compiles and uncompiles at teardown; `traps(call)` runs a
call with dynamic counting on and returns its result and the helper calls
it made (summed over all code, the shared routines included).
"""

from __future__ import annotations

from collections import Counter

import pytest

import pyjit.jit as jit
from pyjit import install

from pyjit.cpython import cells as caches, errstate


@pytest.fixture(params=["shared", "inline"])
def mode(request, monkeypatch):
    monkeypatch.setenv("PYJIT_CACHES", request.param)
    monkeypatch.setenv("PYJIT_DIRECT_CALLS", request.param)
    return request.param


@pytest.fixture
def compiled():
    done = []

    def compile_(*fns):
        for fn in fns:
            assert jit.force_compile(fn), jit.refusal_reason(fn)
            done.append(fn)
        return fns[0] if len(fns) == 1 else fns

    yield compile_
    for fn in reversed(done):
        jit.force_uncompile(fn)
    errstate.set_pending(None)


@pytest.fixture
def traps():
    def run(call):
        jit.set_counting(True)
        jit.reset_dynamic_counts()
        try:
            result = call()
        finally:
            counts = jit.dynamic_counts()
            jit.set_counting(False)
        total = Counter()
        for c in counts.values():
            total.update({k: v for k, v in c["helpers"].items() if v})
        return result, total

    yield run
    jit.set_counting(False)


def cells(fn, kind=caches.Cell) -> list:
    """The cache cells of fn's compiled code."""
    return caches.cells_of(jit.compiled_function(fn).consts, kind)


def outcome(call):
    """("ok", value) or ("raise", type, message, name attribute)."""
    try:
        return "ok", call()
    except Exception as exc:  # noqa: BLE001 - comparing with the interpreter
        return "raise", type(exc), str(exc), getattr(exc, "name", None)


def interpreted(fn):
    """fn's original code, run by the interpreter."""
    return install.shadow(fn)
