"""Sites that do two instructions' work in one routine call: a method load
and its call (pyjit_call_method_cached0), and a comparison only tested
(CompareBool: the truth-tests pass, pyjit_compare_bool).  The
interpreter's results, exceptions, traceback lines and reference counts,
with the pass on and off, and the sites calling the routines they should."""

from __future__ import annotations

import sys
import traceback

import pytest

from pyjit import jit
from pyjit.compiler import compile_function
from pyjit.hir import format_function
from pyjit.options import CompileOptions

OFF = CompileOptions(disabled_passes=frozenset({"truth-tests"}))


def _outcome(func, args):
    try:
        return ("ok", func(*args))
    except Exception as exc:          # noqa: BLE001 (compared with the interpreter's)
        return ("raised", type(exc), str(exc),
                [f.lineno for f in traceback.extract_tb(exc.__traceback__)][1:])


def both(func, *args, options=None):
    """(compiled outcome, interpreted outcome) of func(*args)."""
    jit.force_uncompile(func)
    try:
        want = _outcome(func, args)
        assert jit.force_compile(func, options=options or CompileOptions()), \
            jit.refusal_reason(func)
        return _outcome(func, args), want
    finally:
        jit.force_uncompile(func)


def _targets(func, options=None) -> set[str]:
    return {r.symbol for r in compile_function(func, options=options).emitted.code.relocs}


# -- a method load and its call -----------------------------------------------------------

class Node:
    def __init__(self):
        self.hook = lambda *a: ("hook", a)

    def meth(self, *a):
        return ("meth", a)

    def fails(self, x):
        raise ValueError(x)


class Lazy:
    def __getattr__(self, name):
        if name == "made":
            return lambda *a: ("made", a)
        raise AttributeError(name)


def method_calls(n, x):
    return [n.meth(), n.meth(x), n.meth(x, x), n.hook(x), n.meth(n.meth(x))]


def missing_method(n, x):
    held = [x]
    return held, n.absent(
        x)                              # the load's line and the call's differ


def failing_method(n, x):
    return n.fails(x)


def from_getattr(obj, x):
    return obj.made(x), obj.missing(x)


def test_a_method_load_and_its_call_are_one_routine_call():
    assert "pyjit_call_method_cached0" in _targets(method_calls)


@pytest.mark.parametrize("func", [method_calls, missing_method, failing_method], ids=str)
def test_fused_method_calls_match_the_interpreter(func):
    n, x = Node(), 1234.5
    before_n, before_x = sys.getrefcount(n), sys.getrefcount(x)
    got, want = both(func, n, x)
    assert got == want
    del got, want
    assert (sys.getrefcount(n), sys.getrefcount(x)) == (before_n, before_x)


def test_a_fused_call_follows_the_method_when_the_class_changes():
    n = Node()
    jit.force_compile(method_calls)
    try:
        first = method_calls(n, 1)
        Node.meth = lambda self, *a: ("replaced", a)
        second = method_calls(n, 1)
        n.meth = lambda *a: ("instance", a)          # shadows the class's now
        third = method_calls(n, 1)
    finally:
        jit.force_uncompile(method_calls)
        Node.meth = lambda self, *a: ("meth", a)
    assert first[0] == ("meth", ()) and second[0] == ("replaced", ())
    assert third[0] == ("instance", ())


def test_fused_calls_through_getattr_match_the_interpreter():
    got, want = both(from_getattr, Lazy(), 3)
    assert got == want and got[0] == "raised"


# -- a comparison only tested ------------------------------------------------------------

class Answer:
    """A comparison result whose truth is a value, or raises (None)."""

    def __init__(self, truth):
        self.truth = truth

    def __bool__(self):
        if self.truth is None:
            raise RuntimeError("no truth")
        return self.truth


class Odd:
    """Compares to an Answer, or raises in __lt__."""

    def __init__(self, answer):
        self.answer = answer

    def __lt__(self, other):
        if self.answer == "raise":
            raise TypeError("cannot compare")
        return self.answer

    __le__ = __gt__ = __ge__ = __eq__ = __ne__ = __lt__


def compare_all(a, b):
    out = []
    for k, test in enumerate((a < b, a <= b, a == b, a != b, a > b, a >= b)):
        out.append(k if test else -k)
    if a < b:
        out.append("lt")
    if not a >= b:
        out.append("not ge")
    while a > b:
        out.append("gt")
        break
    return out


def compare_tested(a, b):
    if a < b:
        return "lt"
    if a == b:
        return "eq"
    return "other"


def kept(a, b):
    c = a < b                            # used beyond the test: not fused
    if c:
        return c
    return c


VALUES = [0, 1, -1, 7, 2**40, -2**70, 0.0, -0.0, 1.5, float("nan"), float("inf"), "a", "b", True]


def test_a_tested_comparison_is_one_instruction():
    from pyjit.hir import build_hir, run_pipeline
    from pyjit.hir.passes import DEFAULT_PIPELINE
    text = format_function(run_pipeline(build_hir(compare_tested), DEFAULT_PIPELINE))
    assert "CompareBool<Lt>" in text and "CompareBool<Eq>" in text
    assert "IsTruthy" not in text and "CompareOp" not in text
    text = format_function(run_pipeline(build_hir(kept), DEFAULT_PIPELINE))
    assert "CompareOp<Lt>" in text and "CompareBool" not in text
    assert "pyjit_compare_bool" in _targets(compare_tested)
    assert "pyjit_compare_bool" not in _targets(compare_tested, OFF)
    assert "pyjit_compare_bool" not in _targets(
        compare_tested, CompileOptions(caches="off", direct_calls="off"))


@pytest.mark.parametrize("options", [None, OFF], ids=["on", "off"])
def test_tested_comparisons_match_the_interpreter(options):
    for a in VALUES:
        for b in VALUES:
            if type(a) is str is not type(b) or type(b) is str is not type(a):
                continue
            got, want = both(compare_all, a, b, options=options)
            assert got == want, (a, b)
    got, want = both(kept, 1, 2, options=options)
    assert got == want


@pytest.mark.parametrize("answer", [True, False, None, "raise", "big", "list", "empty"])
def test_a_tested_comparison_releases_its_result(answer):
    # (fresh objects, whose counts nothing else moves)
    result = {"big": 10**30 + 1, "list": [1], "empty": []}.get(answer, answer)
    if answer is True or answer is False or answer is None:
        result = Answer(answer)
    odd = Odd(result)
    before = sys.getrefcount(result)
    got, want = both(compare_tested, odd, 1)
    assert got == want
    got, want = both(compare_all, odd, 1)
    assert got == want
    assert sys.getrefcount(result) == before
    got, want = both(compare_all, 1, "x")              # TypeError from the C comparison
    assert got == want and got[0] == "raised"


# -- a call only tested --------------------------------------------------------------------

class Meta(type):
    def __instancecheck__(cls, obj):
        return cls.answer                 # any object: its truth decides


class Checked(metaclass=Meta):
    answer = True


class Base:
    pass


class Derived(Base):
    pass


def predicate(x):
    return x.answer if isinstance(x, Answer) else x


def call_tests(obj, cls, value):
    out = []
    if isinstance(obj, cls):
        out.append("instance")
    if not isinstance(obj, Base):
        out.append("not a Base")
    if predicate(value):
        out.append("true")
    return out


def test_a_tested_call_is_one_instruction():
    from pyjit.hir import build_hir, run_pipeline
    from pyjit.hir.passes import DEFAULT_PIPELINE
    text = format_function(run_pipeline(build_hir(call_tests), DEFAULT_PIPELINE))
    assert text.count("VectorCallBool") == 3 and "IsTruthy" not in text
    targets = _targets(call_tests)
    assert {"pyjit_isinstance_bool", "pyjit_is_true_release"} <= targets
    assert "pyjit_is_true" not in targets


CALL_CASES = [(Derived(), Base, 1), (Base(), Derived, 0), (3, int, []), (3, (str, int), [1]),
              (Checked(), Checked, "x"), (Derived(), Checked, Answer(False)),
              (Derived(), Derived, Answer(None)), (Derived(), 3, 1)]


@pytest.mark.parametrize("options", [None, OFF], ids=["on", "off"])
@pytest.mark.parametrize("case", range(len(CALL_CASES)))
def test_tested_calls_match_the_interpreter(options, case):
    obj, cls, value = CALL_CASES[case]
    got, want = both(call_tests, obj, cls, value, options=options)
    assert got == want


@pytest.mark.parametrize("answer", [True, False, None, "list", "empty"])
def test_a_tested_call_releases_its_result(answer):
    result = {"list": [1], "empty": []}.get(answer)
    if result is None:
        result = Answer(answer)
    Checked.answer = result
    try:
        before = sys.getrefcount(result)
        got, want = both(call_tests, Derived(), Checked, result)
        assert got == want
        assert sys.getrefcount(result) == before
    finally:
        Checked.answer = True


def test_a_tested_call_of_a_rebound_isinstance_calls_the_new_one():
    saved = call_tests.__globals__.get("isinstance")
    jit.force_compile(call_tests)
    try:
        call_tests.__globals__["isinstance"] = lambda obj, cls: Answer(False)
        assert call_tests(Derived(), Base, 0) == ["not a Base"]
    finally:
        jit.force_uncompile(call_tests)
        if saved is None:
            del call_tests.__globals__["isinstance"]
        else:
            call_tests.__globals__["isinstance"] = saved


class Checker:
    def __init__(self, answer):
        self.answer = answer
        self.attr = lambda: answer        # an instance attribute: the method word NULL

    def check(self, *args):
        if self.answer == "raise":
            raise KeyError("check")
        return self.answer


def method_tests(t, x):
    out = []
    if t.check():                         # fused with its load
        out.append("check")
    if not t.check(x, x):
        out.append("not check")
    if t.attr():
        out.append("attr")
    return out


def test_a_tested_method_call_is_one_instruction():
    from pyjit.hir import build_hir, run_pipeline
    from pyjit.hir.passes import DEFAULT_PIPELINE
    text = format_function(run_pipeline(build_hir(method_tests), DEFAULT_PIPELINE))
    assert text.count("CallMethodBool") == 3 and "IsTruthy" not in text
    assert "pyjit_call_method_cached_bool0" in _targets(method_tests)


@pytest.mark.parametrize("options", [None, OFF, CompileOptions(caches="inline",
                                                              direct_calls="inline")],
                         ids=["on", "off", "inline"])
@pytest.mark.parametrize("answer", [True, False, None, "raise", "list", "empty", "zero", 2.5])
def test_tested_method_calls_match_the_interpreter(options, answer):
    # (fresh objects, whose counts nothing else moves)
    result = {"list": [1], "empty": [], "zero": float("-0.0")}.get(answer, answer)
    if result is True or result is False or result is None:
        result = Answer(result)
    t, x = Checker(result), 10**30 + 7
    before = sys.getrefcount(result), sys.getrefcount(t), sys.getrefcount(x)
    got, want = both(method_tests, t, x, options=options)
    assert got == want
    del got, want
    assert (sys.getrefcount(result), sys.getrefcount(t), sys.getrefcount(x)) == before
