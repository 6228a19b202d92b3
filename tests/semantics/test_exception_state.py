"""The exception being handled is the thread state's, in compiled code as
in the interpreter: sys.exc_info(), implicit chaining, a callee's bare
raise, traceback.format_exc() and logging.exception see it."""

from __future__ import annotations

import io
import logging
import sys
import traceback

import pytest

from exc_support import both


def raise_in_handler():
    try:
        1 / 0
    except ZeroDivisionError:
        raise ValueError("from the handler")


def raise_from_none_in_handler():
    try:
        {}["k"]
    except KeyError:
        raise ValueError("no context shown") from None


def exc_info_in_handler():
    try:
        int("x")
    except ValueError:
        kind, value, tb = sys.exc_info()
        return kind.__name__, str(value), sys.exception() is value


def format_exc_in_handler():
    try:
        [][1]
    except IndexError:
        return traceback.format_exc().splitlines()[-1]


def exc_info_after_handler():
    try:
        1 / 0
    except ZeroDivisionError:
        pass
    return sys.exc_info()


def reraise_bare():
    raise


def callee_bare_raise_in_handler():
    try:
        {}.pop("missing")
    except KeyError:
        reraise_bare()


def nested_handlers():
    try:
        1 / 0
    except ZeroDivisionError:
        try:
            int("y")
        except ValueError:
            inner = sys.exc_info()[0].__name__
        outer = sys.exc_info()[0].__name__
    return inner, outer


LOG = io.StringIO()
logger = logging.getLogger("pyjit.tests.semantics")
logger.addHandler(logging.StreamHandler(LOG))
logger.propagate = False


def log_exception():
    try:
        None.attribute
    except AttributeError:
        logger.exception("failed here")
    text = LOG.getvalue()
    LOG.seek(0)
    LOG.truncate()
    return [line for line in text.splitlines() if "Error" in line or "failed" in line]


def handled_in_caller():
    try:
        raise OSError("outer")
    except OSError:
        return raise_in_handler()


CASES = [
    (raise_in_handler, ()), (raise_from_none_in_handler, ()), (exc_info_in_handler, ()),
    (format_exc_in_handler, ()), (exc_info_after_handler, ()),
    (callee_bare_raise_in_handler, (reraise_bare,)), (nested_handlers, ()),
    (log_exception, ()), (handled_in_caller, (raise_in_handler,)),
]


@pytest.mark.parametrize("fn, others", CASES, ids=[fn.__name__ for fn, _ in CASES])
def test_as_the_interpreter(fn, others):
    interpreted, compiled = both(fn, fn, *others)
    assert compiled == interpreted


def test_no_handled_exception_leaks_out_of_a_compiled_handler():
    _, compiled = both(exc_info_after_handler, exc_info_after_handler)
    assert compiled == ("ok", (None, None, None))
    assert sys.exc_info() == (None, None, None)
