"""Method calls through pyjit_call_method / pyjit_vectorcall_method and
truth tests through pyjit_is_true (cpython/routines.py): the same results,
exceptions and reference counts as the interpreter, for the method word
set (a function found on the type) and NULL (an attribute of the
instance or module, a builtin), with and without keywords, under each
cache and direct-call mode."""

from __future__ import annotations

import math
import sys

import pytest

from pyjit import jit
from pyjit.compiler import compile_function
from pyjit.options import CompileOptions


class Widget:
    def __init__(self):
        self.hook = lambda *a, **k: ("hook", a, tuple(sorted(k.items())))

    def meth(self, *a, **k):
        return ("meth", a, tuple(sorted(k.items())))

    def fails(self, x):
        raise ValueError(x)


def calls(w, x):
    out = [w.meth(), w.meth(x), w.meth(x, key=x), w.hook(x), w.hook(x, key=1)]
    out.append(math.sqrt(x * x))
    out.append("-".join(["a", "b"]))
    lst = []
    lst.append(x)
    out.append(lst)
    return out


def call_fails(w, x):
    held = [x]
    return held, w.fails(x)


class Truth:
    def __init__(self, value):
        self.value = value

    def __bool__(self):
        if self.value is None:
            raise RuntimeError("no truth")
        return self.value


def truths(values):
    out = []
    for v in values:
        if v:
            out.append(1)
        else:
            out.append(0)
    return out


class IntSub(int):
    def __bool__(self):
        return not int(self)


class ListSub(list):
    def __len__(self):
        return 1 - super().__len__()


TRUTH_VALUES = [True, False, None, 0, 1, -1, 2**30 - 1, -(2**30 - 1), 2**30, -(2**30), 2**64,
                -(2**64), 0.0, 2.5, "", "x", [], [0], [None, None], (), (0,), {}, {1: 2},
                IntSub(0), IntSub(5), ListSub(), ListSub([1]), Truth(True), Truth(False),
                object()]
MODES = [dict(), dict(caches="inline", direct_calls="inline"),
         dict(caches="off", direct_calls="off"), dict(direct_calls="off")]


def run(func, args, options):
    jit.force_uncompile(func)
    try:
        want = _outcome(func, args)
        assert jit.force_compile(func, options=CompileOptions(**options)), jit.refusal_reason(func)
        return _outcome(func, args), want
    finally:
        jit.force_uncompile(func)


def _outcome(func, args):
    try:
        return ("ok", func(*args))
    except Exception as exc:          # noqa: BLE001 (compared with the interpreter's)
        return ("raised", type(exc), exc.args)


@pytest.mark.parametrize("options", MODES, ids=str)
def test_method_calls_match_the_interpreter(options):
    w, x = Widget(), 3.0
    before = sys.getrefcount(x)
    got, want = run(calls, (w, x), options)
    assert got == want
    got, want = run(call_fails, (w, x), options)
    assert got == want and got[0] == "raised"
    del got, want
    assert sys.getrefcount(x) == before


@pytest.mark.parametrize("options", MODES, ids=str)
def test_truth_tests_match_the_interpreter(options):
    got, want = run(truths, (TRUTH_VALUES,), options)
    assert got == want
    got, want = run(truths, ([1, Truth(None)],), options)
    assert got == want == ("raised", RuntimeError, ("no truth",))


def test_ints_lists_and_tuples_are_tested_without_a_trap():
    from collections import Counter
    values = [0, 1, -1, 2**30 - 1, 2**40, -(2**40), [], [0], (), (None,)] * 3
    jit.force_uncompile(truths)
    want = truths(values)
    assert jit.force_compile(truths), jit.refusal_reason(truths)
    try:
        jit.set_counting(True)
        jit.reset_dynamic_counts()
        got = truths(values)
        counts = Counter()
        for c in jit.dynamic_counts().values():
            counts.update(c["helpers"])
    finally:
        jit.set_counting(False)
        jit.force_uncompile(truths)
    assert got == want
    assert "PyObject_IsTrue" not in counts, counts


def _targets(func) -> set[str]:
    return {r.symbol for r in compile_function(func).emitted.code.relocs}


def test_the_routines_are_what_the_sites_call():
    from pyjit.shapes import make_shape
    # w.meth(x, key=x); w.meth(): the method load and the call in one routine
    assert {"pyjit_call_method", "pyjit_call_method_cached0"} <= _targets(calls)
    assert "pyjit_vectorcall_method0" in _targets(make_shape("sqrt:2"))   # math.sqrt: a builtin
    assert "pyjit_is_true" in _targets(truths)
