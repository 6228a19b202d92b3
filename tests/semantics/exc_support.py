"""Running a function in the interpreter and compiled, and describing what
it did in terms that can be compared: the result, or the exception's type,
message, context chain and traceback (function names and lines)."""

from __future__ import annotations

import contextlib
import traceback

import pyjit.jit as jit


def describe(exc: BaseException | None, depth: int = 3):
    """What tests compare of an exception: type, message, the traceback's
    (function, line) pairs, and the same for its __context__ chain."""
    if exc is None or depth == 0:
        return None
    return (type(exc).__name__, str(exc),
            [(fs.name, fs.lineno) for fs in traceback.extract_tb(exc.__traceback__)],
            describe(exc.__context__, depth - 1), exc.__suppress_context__,
            describe(exc.__cause__, depth - 1))


def outcome(call):
    """("ok", value) or ("raise", description), the caller's own traceback
    entry left out."""
    try:
        return "ok", call()
    except BaseException as exc:  # noqa: BLE001 - compared with the interpreter
        return "raise", describe(exc.with_traceback(exc.__traceback__.tb_next))


@contextlib.contextmanager
def compiled(*functions):
    """The functions compiled (each must compile), uncompiled after."""
    for fn in functions:
        assert jit.force_compile(fn), (fn, jit.refusal_reason(fn))
    try:
        yield
    finally:
        for fn in functions:
            jit.force_uncompile(fn)


def both(call, *functions):
    """(the interpreter's outcome, the compiled one's) of call(), with
    functions compiled for the second."""
    first = outcome(call)
    with compiled(*functions):
        second = outcome(call)
    return first, second
