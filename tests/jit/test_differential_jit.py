"""Differential tests: every construct case run by CPython and by compiled
code under Unicorn, under every call-lowering strategy; same result (or
same exception type), and the reference counts of the arguments unchanged.

The cases are the HIR tests' (tests/hir/cases.py): one or more functions
per construct the builder supports.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
from pathlib import Path

import pytest

import pyjit.jit as jit


_spec = importlib.util.spec_from_file_location("jit_cases", Path(__file__).parents[1] / "hir" / "cases.py")
cases = importlib.util.module_from_spec(_spec)
sys.modules["jit_cases"] = cases
_spec.loader.exec_module(cases)
outcome, fresh = cases.outcome, cases.fresh

STRATEGIES = ["direct", "literal", "stub", "lazy-stub", "hot-literal", "near"]




def _case_ids():
    return [(name, i) for name, (_, arglists) in cases.CASES.items() for i in range(len(arglists))]


@pytest.fixture
def compiled_case(request):
    fn = request.param
    yield fn
    jit.force_uncompile(fn)


@pytest.mark.parametrize("name", list(cases.CASES))
def test_construct_matches_cpython(name):
    fn, arglists = cases.CASES[name]
    expected = [outcome(fn, fresh(args)) for args in arglists]
    try:
        assert jit.force_compile(fn), jit.refusal_reason(fn)
        got = [outcome(fn, fresh(args)) for args in arglists]
    finally:
        jit.force_uncompile(fn)
    assert got == expected


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_matches_cpython(strategy):
    mismatches = []
    for name, (fn, arglists) in cases.CASES.items():
        expected = [outcome(fn, fresh(args)) for args in arglists]
        try:
            assert jit.force_compile(fn, strategy), jit.refusal_reason(fn)
            assert jit.compiled_function(fn).strategy == strategy
            got = [outcome(fn, fresh(args)) for args in arglists]
        finally:
            jit.force_uncompile(fn)
        if got != expected:
            mismatches.append((name, expected, got))
    assert not mismatches


def test_inline_refcounts_match_cpython():
    mismatches = []
    for name, (fn, arglists) in cases.CASES.items():
        expected = [outcome(fn, fresh(args)) for args in arglists]
        try:
            assert jit.force_compile(fn, refcounts="inline"), jit.refusal_reason(fn)
            got = [outcome(fn, fresh(args)) for args in arglists]
        finally:
            jit.force_uncompile(fn)
        if got != expected:
            mismatches.append((name, expected, got))
    assert not mismatches


@pytest.mark.parametrize("name", list(cases.CASES))
def test_argument_refcounts_are_balanced(name):
    fn, arglists = cases.CASES[name]
    runs = [fresh(args) for args in arglists]
    try:
        assert jit.force_compile(fn), jit.refusal_reason(fn)
        for args in runs:
            outcome(fn, args)          # warm up caches, interned results...
            watched = [a for a in args if _private(a)]
            before = [sys.getrefcount(a) for a in watched]
            for _ in range(3):
                result = outcome(fn, args)
            del result
            after = [sys.getrefcount(a) for a in watched]
            assert after == before, f"{name}{args!r}"
    finally:
        jit.force_uncompile(fn)


ELISION_PASSES = ["refcount-frame-values", "refcount-held-operands", "refcount-immortal"]


@pytest.mark.parametrize("disabled", ELISION_PASSES + ["all-elision"])
def test_cases_with_an_elision_pass_off(disabled):
    """Every case compiled with one reference-count elision pass (or all
    of them) switched off: the same outcomes, balanced argument counts."""
    from pyjit.options import CompileOptions
    names = ELISION_PASSES if disabled == "all-elision" else [disabled]
    options = CompileOptions(disabled_passes=frozenset(names))
    mismatches = []
    for name, (fn, arglists) in cases.CASES.items():
        runs = [fresh(args) for args in arglists]
        expected = [outcome(fn, fresh(args)) for args in arglists]
        try:
            assert jit.force_compile(fn, options=options), jit.refusal_reason(fn)
            assert not set(names) & set(jit.compiled_function(fn).passes)
            got = [outcome(fn, fresh(args)) for args in arglists]
            for args in runs:
                outcome(fn, args)
                watched = [a for a in args if _private(a)]
                before = [sys.getrefcount(a) for a in watched]
                for _ in range(3):
                    result = outcome(fn, args)
                del result
                assert [sys.getrefcount(a) for a in watched] == before, f"{name}{args!r}"
        finally:
            jit.force_uncompile(fn)
        if got != expected:
            mismatches.append((name, expected, got))
    assert not mismatches


def _private(obj) -> bool:
    """Objects only the test refers to: not the shared small ints,
    singletons and interned strings whose counts anything may change."""
    if obj is None or isinstance(obj, (bool, str)):
        return False
    return not (type(obj) is int and -5 <= obj <= 256)


def test_no_growth_across_repeated_calls():
    def work(n):
        out = []
        for i in range(n):
            out.append((i, str(i), {"k": i * 1.5}))
        return len(out)
    try:
        assert jit.force_compile(work)
        for _ in range(20):
            work(50)
        gc.collect()
        objects_before = len(gc.get_objects())
        for _ in range(200):
            assert work(50) == 50
        gc.collect()
        assert len(gc.get_objects()) - objects_before < 50
    finally:
        jit.force_uncompile(work)


_gen_spec = importlib.util.spec_from_file_location(
    "jit_gen_cases", Path(__file__).parents[1] / "hir" / "gen_cases.py")
gen_cases = importlib.util.module_from_spec(_gen_spec)
sys.modules["jit_gen_cases"] = gen_cases
_gen_spec.loader.exec_module(gen_cases)


@pytest.mark.parametrize("name", list(gen_cases.GENERATOR_CASES))
def test_generator_matches_cpython(name):
    """A compiled generator or coroutine driven step by step (send, throw,
    close...) gives CPython's values, exceptions and event order."""
    fn, args, script = gen_cases.GENERATOR_CASES[name]
    expected = gen_cases.drive(fn, args, script)
    try:
        assert jit.force_compile(fn), jit.refusal_reason(fn)
        got = gen_cases.drive(fn, args, script)
    finally:
        jit.force_uncompile(fn)
    assert got == expected


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_generators_under_every_strategy(strategy):
    mismatches = []
    for name, (fn, args, script) in gen_cases.GENERATOR_CASES.items():
        expected = gen_cases.drive(fn, args, script)
        try:
            assert jit.force_compile(fn, strategy), jit.refusal_reason(fn)
            got = gen_cases.drive(fn, args, script)
        finally:
            jit.force_uncompile(fn)
        if got != expected:
            mismatches.append((name, expected, got))
    assert not mismatches


def test_generators_with_inline_refcounts():
    mismatches = []
    for name, (fn, args, script) in gen_cases.GENERATOR_CASES.items():
        expected = gen_cases.drive(fn, args, script)
        try:
            assert jit.force_compile(fn, refcounts="inline"), jit.refusal_reason(fn)
            got = gen_cases.drive(fn, args, script)
        finally:
            jit.force_uncompile(fn)
        if got != expected:
            mismatches.append((name, expected, got))
    assert not mismatches


def test_delegating_generators_both_compiled():
    """yield from between two compiled generators, and a compiled
    coroutine awaiting a compiled one."""
    fns = [gen_cases.inner, gen_cases.delegates, gen_cases.leaf, gen_cases.awaits]
    scripts = [(gen_cases.delegates, ("d",), ["next", ("send", 1), ("throw", IndexError("i")),
                                              "list"]),
               (gen_cases.awaits, (2,), ["next", ("throw", KeyError("k")), "next"])]
    expected = [gen_cases.drive(*s) for s in scripts]
    try:
        for fn in fns:
            assert jit.force_compile(fn), jit.refusal_reason(fn)
        got = [gen_cases.drive(*s) for s in scripts]
    finally:
        for fn in fns:
            jit.force_uncompile(fn)
    assert got == expected
