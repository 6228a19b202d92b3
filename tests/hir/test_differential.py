"""Differential tests: every construct, run by CPython and by the HIR
interpreter after the default pipeline, with a clean ownership ledger."""

from __future__ import annotations

import pytest

from hir_support import compile_fn, requires_builder, run_both

from cases import CASES, COMPREHENSIONS

pytestmark = requires_builder

_PARAMS = [pytest.param(name, i, id=f"{name}-{i}")
           for name, (_, arglist) in CASES.items() for i in range(len(arglist))]


@pytest.mark.parametrize("name, index", _PARAMS)
def test_construct(name, index):
    fn, arglist = CASES[name]
    run_both(fn, *arglist[index])


@pytest.mark.parametrize("name", sorted(COMPREHENSIONS))
def test_comprehension_body(name):
    fn, arglist = COMPREHENSIONS[name]
    func = compile_fn(fn)
    for args in arglist:
        run_both(fn, *args, func=func)


@pytest.mark.parametrize("passes", [
    [],
    ["simplify", "dce"],
    ["refcount-insertion"],
    ["specialize-float", "guard-elimination", "simplify", "dce", "refcount-insertion"],
], ids=["build-only", "simplify-dce", "refcount-only", "specialize-float"])
def test_other_pipelines(passes):
    """The same cases through other pipelines (the ledger is on whenever
    refcount insertion ran)."""
    for name, (fn, arglist) in CASES.items():
        func = compile_fn(fn, passes)
        for args in arglist:
            run_both(fn, *args, func=func)
