"""Python helpers: operators, globals, raising, the pending exception, and
building containers from arrays.

Each function is declared by its decorator (helper_decl.python_helper) with
the helper's argument kinds, result kind and failure convention
(helper_decl.py says how arguments arrive and results leave).  What an
operation does is semantics.py's, shared with the HIR interpreter; these
functions only turn raw arrays and counts into Python values.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import (
    StopIteration, SystemError, TypeError, bool, dict, enumerate, id, int, isinstance, set,
    tuple, type, zip,
)
import ctypes

from . import errstate, interpreter, semantics
from .helper_decl import python_helper
from .null import NULL

_obj = __import__("_ctypes").PyObj_FromPtr
_incref = __import__("_ctypes").Py_INCREF


def addresses(items: int, n: int):
    """The n pointers of the PyObject* array at address items."""
    if n < 0:
        raise SystemError(f"negative item count {n}")
    return (ctypes.c_uint64 * n).from_address(items) if n else ()


def objects(items: int, n: int) -> list:
    """The n objects (borrowed) of the PyObject* array at address items."""
    return [_obj(a) for a in addresses(items, n)]


def put(slots, i: int, value) -> None:
    """Store a new reference to value (or NULL) in slots[i]."""
    if value is NULL:
        slots[i] = 0
    else:
        _incref(value)
        slots[i] = id(value)


# -- operators --------------------------------------------------------------------------

python_helper("number_power", ("obj", "obj"), "obj", "null")(semantics.number_power)
python_helper("number_inplace_power", ("obj", "obj"), "obj", "null")(
    semantics.number_inplace_power)


# -- globals ------------------------------------------------------------------------------

python_helper("load_global", ("obj", "obj", "obj"), "obj", "null")(semantics.load_global)
python_helper("load_global_borrowed", ("obj", "obj", "obj"), "borrowed", "null")(
    semantics.load_global)


@python_helper("delete_global", ("obj", "obj"), "int", "minus_one")
def delete_global(globals_, name):
    semantics.delete_global(globals_, name)
    return 0


# -- raising --------------------------------------------------------------------------------

@python_helper("raise_exception", ("obj", "obj_or_null"), "int", "minus_one")
def raise_exception(exc, cause):
    """RAISE_VARARGS 1 or 2: raise exc (a class is instantiated) from cause
    (NULL: no `from`; None: `from None`).  Always fails.  (A bare `raise`
    needs the compiled frame's handled exception: not this helper.)"""
    semantics.raise_exception(exc, cause)


# -- the eval breaker --------------------------------------------------------------------

@python_helper("handle_eval_breaker", ("int64",), "int", "minus_one")
def handle_eval_breaker(taken):
    """The eval breaker was set at a check of compiled code (function
    entry, loop back edge), and the shared routine pyjit_eval_breaker
    took its requests (objects.take_eval_breaker: the word and the
    runtime's signals hint, whose value it passes; 3.13: the request bits)
    before calling here: the engine runs Python code of its own first (a
    trap hook, a ctypes callback, after taking the GIL, which recomputes
    the word from the hint), and a check of the eval loop there would run
    a signal handler whose exception nobody receives.  Here they are set
    again and the interpreter serves the requests (semantics.
    check_eval_breaker: signal handlers, pending calls, the GIL to a thread
    waiting for it, an asynchronous exception); without the hint, signals
    are checked too (one may have come between the routine's read and
    clear of it).  0, or -1 with the handler's exception pending, which
    takes the check's exception path."""
    signals_pending = interpreter.rearm_eval_breaker(taken)
    semantics.check_eval_breaker()
    if not signals_pending:
        interpreter.check_signals()
    return 0


@python_helper("recursion_error", ("obj", "ptr", "int64", "obj_or_null"), "obj", "null",
               room=True)
def recursion_error(callee, args, nargsf, kwnames):
    """The vectorcall of a compiled callee that a call between compiled
    functions does not make: the interpreter's recursion limit is reached
    (routines.py, pyjit_call_cached).  Raises the interpreter's
    RecursionError."""
    raise semantics.recursion_error()


# -- the thread state's exception -------------------------------------------------------

@python_helper("err_occurred", (), "borrowed", "none", room=True)
def err_occurred():
    """PyErr_Occurred: the type of the pending exception (borrowed), or NULL."""
    exc = errstate.pending()
    return NULL if exc is None else type(exc)


@python_helper("err_clear", (), "void", "none", room=True)
def err_clear():
    """PyErr_Clear."""
    errstate.set_pending(None)


@python_helper("err_matches", ("obj",), "bool", "none", room=True)
def err_matches(exc_type):
    """PyErr_ExceptionMatches(exc_type): 1 if the pending exception is an
    instance of exc_type (a class or a tuple of classes), else 0."""
    exc = errstate.pending()
    if exc is None:
        return 0
    try:
        return int(isinstance(exc, exc_type))
    except TypeError:
        return 0


@python_helper("err_stop_iteration_clear", (), "int", "minus_one", room=True)
def err_stop_iteration_clear():
    """After PyIter_Next returned NULL: 0 if the iterator is exhausted (a
    pending StopIteration is cleared), -1 if a real exception is pending."""
    exc = errstate.pending()
    if exc is None:
        return 0
    if isinstance(exc, StopIteration):
        errstate.set_pending(None)
        return 0
    raise exc


# -- building -------------------------------------------------------------------------------

@python_helper("build_tuple", ("ptr", "int64"), "obj", "null")
def build_tuple(items, n):
    """BUILD_TUPLE: a tuple of the n objects at items (borrowed)."""
    return tuple(objects(items, n))


@python_helper("build_list", ("ptr", "int64"), "obj", "null")
def build_list(items, n):
    """BUILD_LIST: a list of the n objects at items (borrowed)."""
    return objects(items, n)


@python_helper("build_set", ("ptr", "int64"), "obj", "null")
def build_set(items, n):
    """BUILD_SET: a set of the n objects at items (borrowed)."""
    return set(objects(items, n))


@python_helper("build_map", ("ptr", "int64"), "obj", "null")
def build_map(items, n):
    """BUILD_MAP: a dict of the n key, value pairs at items (2n borrowed
    objects, key first), later keys winning."""
    return semantics.build_map(objects(items, 2 * n))


@python_helper("build_const_key_map", ("obj", "ptr", "int64"), "obj", "null")
def build_const_key_map(keys, values, n):
    """BUILD_CONST_KEY_MAP: the keys tuple with the n values at values."""
    return dict(zip(keys, objects(values, n)))


@python_helper("build_string", ("ptr", "int64"), "obj", "null")
def build_string(parts, n):
    """BUILD_STRING: the n strings at parts, joined."""
    return "".join(objects(parts, n))


@python_helper("format_value", ("obj", "obj_or_null", "int64"), "obj", "null")
def format_value(value, spec, conversion):
    """FORMAT_VALUE: conversion 0 none, 1 str(), 2 repr(), 3 ascii(), then
    format(value, spec) (spec NULL: "")."""
    return semantics.format_value(value, spec, conversion)


@python_helper("unpack_sequence", ("obj", "int64", "ptr"), "int", "minus_one")
def unpack_sequence(seq, n, out):
    """UNPACK_SEQUENCE n: store n new references to seq's items at out[0..n)
    in order (out[0] is the first item)."""
    items = semantics.unpack_sequence(seq, n)
    slots = addresses(out, n)
    for i, item in enumerate(items):
        put(slots, i, item)
    return 0
