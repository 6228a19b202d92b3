"""Tracebacks through compiled code are the interpreter's: the compiled
function at the line that failed, its callees' frames (compiled or not),
no frame of pyjit's own, no entry for a re-raise."""

from __future__ import annotations

import traceback

import pytest

from exc_support import both, compiled


def divide(x):
    return 1 // x


def add_then_divide(x):
    y = x + 1
    return divide(x) + y


def raise_here(kind):
    if kind:
        raise KeyError(kind)
    return kind


def catch_and_reraise(kind):
    try:
        raise_here(kind)
    except KeyError:
        raise


def catch_and_wrap(kind):
    try:
        raise_here(kind)
    except KeyError as exc:
        raise ValueError(kind) from exc


def finally_reraises(x):
    try:
        return divide(x)
    finally:
        x = None


def caught_locally(x):
    try:
        return divide(x)
    except ZeroDivisionError as exc:
        return [(fs.name, fs.lineno) for fs in traceback.extract_tb(exc.__traceback__)]


def unbound_local(flag):
    if flag:
        value = 1
    return value


def attribute_error(obj):
    return obj.missing


class UnmakeableError(Exception):
    def __init__(self):
        raise RuntimeError("cannot make UnmakeableError")


def set_by_c(args):
    # C sets an exception class with arguments, not an instance (PyErr_SetObject)
    import _testcapi
    _testcapi.raise_exception(UnmakeableError, args)


def unmakeable_caught_here(args):
    try:
        set_by_c(args)
    except RuntimeError as exc:
        return [fs.name for fs in traceback.extract_tb(exc.__traceback__)]


def unmakeable_caught_above(args):
    try:
        unmakeable_caught_here_nohandler(args)
    except RuntimeError as exc:
        return [fs.name for fs in traceback.extract_tb(exc.__traceback__)]


def unmakeable_caught_here_nohandler(args):
    return set_by_c(args)


def unmakeable_through_finally(args):
    try:
        try:
            set_by_c(args)
        finally:
            args = None
    except RuntimeError as exc:
        return [fs.name for fs in traceback.extract_tb(exc.__traceback__)]


CASES = [
    ("compiled callee", lambda: add_then_divide(0), (add_then_divide, divide)),
    ("interpreted callee", lambda: add_then_divide(0), (add_then_divide,)),
    ("bare re-raise", lambda: catch_and_reraise("k"), (catch_and_reraise, raise_here)),
    ("raise from", lambda: catch_and_wrap("k"), (catch_and_wrap, raise_here)),
    ("finally", lambda: finally_reraises(0), (finally_reraises, divide)),
    ("caught in the function", lambda: caught_locally(0), (caught_locally, divide)),
    ("unbound local", lambda: unbound_local(False), (unbound_local,)),
    ("attribute", lambda: attribute_error(3), (attribute_error,)),
    # The interpreter adds the entries of the frames the class leaves to
    # the unnormalized exception, and drops them when the handler's
    # normalization replaces it by the RuntimeError of the failed __init__
    # (test_exceptions testSettingException): only that error's own entries.
    ("failed instantiation caught", lambda: unmakeable_caught_here(0),
     (unmakeable_caught_here, set_by_c)),
    ("failed instantiation caught above", lambda: unmakeable_caught_above(0),
     (unmakeable_caught_above, unmakeable_caught_here_nohandler, set_by_c)),
    ("failed instantiation through finally", lambda: unmakeable_through_finally(0),
     (unmakeable_through_finally, set_by_c)),
    # (Not when it leaves compiled code for an interpreted caller: that
    # frame adds its entry to the instance, docs/cpython-tests.md.)
    ("instantiated", lambda: unmakeable_caught_here(1), (unmakeable_caught_here, set_by_c)),
]


@pytest.mark.parametrize("name, call, functions", CASES, ids=[c[0] for c in CASES])
def test_as_the_interpreter(name, call, functions):
    interpreted, compiled_outcome = both(call, *functions)
    assert compiled_outcome == interpreted


def test_no_frame_of_pyjit_in_a_printed_traceback():
    with compiled(add_then_divide, divide):
        try:
            add_then_divide(0)
        except ZeroDivisionError as exc:
            text = "".join(traceback.format_exception(exc))
    assert "/pyjit/" not in text and "<helper" not in text
    assert "in add_then_divide\n    return divide(x) + y" in text
    assert "in divide\n    return 1 // x" in text


def subscript_in_expression(d, k):
    return d["a"][k] + 1


def call_in_expression(d):
    x = subscript_in_expression(d, 5) * 2
    return x


def positions(call):
    """Each traceback entry's positions (what the traceback module
    underlines) and the printed traceback, of call's exception."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - comparing with the interpreter
        summary = traceback.extract_tb(exc.__traceback__)
        return ([(fs.name, fs.lineno, fs.end_lineno, fs.colno, fs.end_colno) for fs in summary],
                "".join(traceback.format_exception(exc)))
    raise AssertionError("no exception")


POSITION_CASES = [case for case in CASES if case[0] in (
    "compiled callee", "interpreted callee", "bare re-raise", "raise from", "finally",
    "unbound local", "attribute")] + [
    ("subscript", lambda: call_in_expression({"a": [1]}),
     (call_in_expression, subscript_in_expression)),
]


@pytest.mark.parametrize("name, call, functions", POSITION_CASES,
                         ids=[c[0] for c in POSITION_CASES])
def test_the_traceback_module_underlines_what_the_interpreter_does(name, call, functions):
    # A compiled activation's entry has the failing instruction's offset as
    # tb_lasti, and its frame's code the function's location table.
    interpreted = positions(call)
    with compiled(*functions):
        jitted = positions(call)
    assert jitted == interpreted
    assert "^" in interpreted[1]
