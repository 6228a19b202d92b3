"""Python implementations of helpers the C-API lacks (or hides in macros).

Each function is declared by its decorator (helpers.python_helper) with the
helper's argument kinds, result kind and failure convention; see helpers.py
for how arguments arrive and results leave.  They raise exactly what
CPython's interpreter raises in the same situation, so that compiled code
and the interpreter fail alike.
"""

from __future__ import annotations

import ctypes
import operator

from . import errstate
from .helpers import NULL, python_helper

_obj = __import__("_ctypes").PyObj_FromPtr
_incref = __import__("_ctypes").Py_INCREF


def _addresses(items: int, n: int):
    """The n pointers of the PyObject* array at address items."""
    if n < 0:
        raise SystemError(f"negative item count {n}")
    return (ctypes.c_uint64 * n).from_address(items) if n else ()


# -- operators --------------------------------------------------------------------------

@python_helper("number_power", ("obj", "obj"), "obj", "null")
def number_power(a, b):
    """a ** b (BINARY_OP NB_POWER; PyNumber_Power with a None modulus)."""
    return operator.pow(a, b)


@python_helper("number_inplace_power", ("obj", "obj"), "obj", "null")
def number_inplace_power(a, b):
    """a **= b (BINARY_OP NB_INPLACE_POWER)."""
    return operator.ipow(a, b)


# -- globals ------------------------------------------------------------------------------

@python_helper("load_global", ("obj", "obj", "obj"), "obj", "null")
def load_global(globals_, builtins, name):
    """LOAD_GLOBAL's slow path: globals[name], else builtins[name], else
    NameError, as the interpreter does (builtins may be any mapping)."""
    if type(globals_) is dict:
        value = globals_.get(name, NULL)
        if value is not NULL:
            return value
    else:
        try:
            return globals_[name]
        except KeyError:
            pass
    try:
        return builtins[name]
    except KeyError:
        raise NameError(f"name '{name}' is not defined", name=name) from None


# -- raising --------------------------------------------------------------------------------

def _instantiate(value, what: str):
    if isinstance(value, type) and issubclass(value, BaseException):
        instance = value()
        if not isinstance(instance, BaseException):
            raise TypeError(f"calling {value!r} should have returned an instance of "
                            f"BaseException, not {type(instance).__name__}")
        return instance
    if isinstance(value, BaseException):
        return value
    raise TypeError(what)


@python_helper("raise_exception", ("obj", "obj_or_null"), "int", "minus_one")
def raise_exception(exc, cause):
    """RAISE_VARARGS 1 or 2: raise exc (a class is instantiated) from cause
    (NULL: no `from`; None: `from None`).  Always fails.  (A bare `raise`
    needs the compiled frame's handled exception: not this helper.)"""
    value = _instantiate(exc, "exceptions must derive from BaseException")
    if cause is not NULL:
        if cause is None:
            value.__cause__ = None
        else:
            value.__cause__ = _instantiate(cause, "exception causes must derive from BaseException")
    raise value


# -- the thread state's exception -------------------------------------------------------

@python_helper("err_occurred", (), "borrowed", "none")
def err_occurred():
    """PyErr_Occurred: the type of the pending exception (borrowed), or NULL."""
    exc = errstate.pending()
    return NULL if exc is None else type(exc)


@python_helper("err_clear", (), "void", "none")
def err_clear():
    """PyErr_Clear."""
    errstate.set_pending(None)


@python_helper("err_matches", ("obj",), "bool", "none")
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


@python_helper("err_stop_iteration_clear", (), "int", "minus_one")
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
    return tuple(_obj(a) for a in _addresses(items, n))


@python_helper("build_list", ("ptr", "int64"), "obj", "null")
def build_list(items, n):
    """BUILD_LIST: a list of the n objects at items (borrowed)."""
    return [_obj(a) for a in _addresses(items, n)]


@python_helper("build_set", ("ptr", "int64"), "obj", "null")
def build_set(items, n):
    """BUILD_SET: a set of the n objects at items (borrowed)."""
    return {_obj(a) for a in _addresses(items, n)}


@python_helper("build_map", ("ptr", "int64"), "obj", "null")
def build_map(items, n):
    """BUILD_MAP: a dict of the n key, value pairs at items (2n borrowed
    objects, key first), later keys winning."""
    addresses = _addresses(items, 2 * n)
    return {_obj(addresses[2 * i]): _obj(addresses[2 * i + 1]) for i in range(n)}


@python_helper("format_value", ("obj", "obj_or_null", "int64"), "obj", "null")
def format_value(value, spec, conversion):
    """FORMAT_VALUE: conversion 0 none, 1 str(), 2 repr(), 3 ascii(), then
    format(value, spec) (spec NULL: "")."""
    if conversion == 1:
        value = str(value)
    elif conversion == 2:
        value = repr(value)
    elif conversion == 3:
        value = ascii(value)
    elif conversion != 0:
        raise SystemError(f"unexpected conversion flag {conversion}")
    if spec is NULL and type(value) is str:
        return value
    return format(value, "" if spec is NULL else spec)


def unpack_items(seq, n: int) -> list:
    """seq's items for UNPACK_SEQUENCE n: exactly n of them, with the
    interpreter's errors."""
    try:
        iterator = iter(seq)
    except TypeError:
        raise TypeError(f"cannot unpack non-iterable {type(seq).__name__} object") from None
    items = []
    for item in iterator:
        if len(items) == n:
            raise ValueError(f"too many values to unpack (expected {n})")
        items.append(item)
    if len(items) < n:
        raise ValueError(f"not enough values to unpack (expected {n}, got {len(items)})")
    return items


@python_helper("unpack_sequence", ("obj", "int64", "ptr"), "int", "minus_one")
def unpack_sequence(seq, n, out):
    """UNPACK_SEQUENCE n: store n new references to seq's items at out[0..n)
    in order (out[0] is the first item)."""
    items = unpack_items(seq, n)
    slots = _addresses(out, n)
    for i, item in enumerate(items):
        _incref(item)
        slots[i] = id(item)
    return 0
