"""Fixtures for the semantics tests (imported by each test module: a
conftest.py here would shadow tests/caches' `from conftest import ...`
when both directories are collected): what real programs rely on, checked
against the interpreter on whichever engine the JIT uses (PYJIT_ENGINE:
Unicorn by default; `PYJIT_ENGINE=native scripts/aarch64-python.sh -m
pytest tests/semantics` runs them on an AArch64 CPU under qemu).

`compiled(*fns, **options)` compiles functions with the JIT's engine
(options: CompileOptions fields) and uncompiles them at teardown;
`fresh(source, name, **globals)` makes a new function object from source,
so that the interpreted and the compiled runs never share one.
"""

from __future__ import annotations

import textwrap

import pytest

import pyjit.jit as jit
from pyjit.cpython import errstate


@pytest.fixture
def compiled():
    done = []

    def compile_(*fns, **options):
        opts = jit.default_options().with_(**options) if options else None
        for fn in fns:
            assert jit.force_compile(fn, options=opts), jit.refusal_reason(fn)
            done.append(fn)
        return fns[0] if len(fns) == 1 else fns

    yield compile_
    for fn in reversed(done):
        jit.force_uncompile(fn)
    errstate.set_pending(None)


@pytest.fixture
def fresh():
    def make(source: str, name: str, **globals_):
        namespace = {"__name__": "semantics_case", **globals_}
        exec(compile(textwrap.dedent(source), f"<{name}>", "exec"), namespace)
        return namespace[name]
    return make
