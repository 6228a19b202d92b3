"""Differential tests: every construct, run by CPython and by the HIR
interpreter after the default pipeline, with a clean ownership ledger."""

from __future__ import annotations

import pytest

from hir_support import (
    compile_fn, interpreted_generator_function, requires_builder,
    run_both,
)

from cases import CASES, COMPREHENSIONS
from gen_cases import GENERATOR_CASES, drive

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


@pytest.mark.parametrize("name", sorted(GENERATOR_CASES))
@pytest.mark.parametrize("passes", [["refcount-insertion"], None], ids=["build", "default"])
def test_generator(name, passes):
    """A generator or coroutine driven step by step (send, throw, close...)
    by CPython and with its body run by the HIR interpreter (ledger on):
    the same values, exceptions and event order."""
    fn, args, script = GENERATOR_CASES[name]
    func = compile_fn(fn) if passes is None else compile_fn(fn, passes)
    expected = drive(fn, args, script)
    assert drive(interpreted_generator_function(fn, func), args, script) == expected
