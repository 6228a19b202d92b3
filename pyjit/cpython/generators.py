"""What generators and coroutines do, for compiled bodies: the semantics of
``yield from``/``await`` (GET_YIELD_FROM_ITER, GET_AWAITABLE, a throw into a
delegating generator), an exception thrown in at a suspension point, and
the generator's own exception-stack item.

Shared by the HIR interpreter (hir/interp_ops.py) and the Python helpers
(helper_gen.py); each function follows what CPython 3.11's ceval.c and
genobject.c do, with their messages (3.12's bytecodes.c and genobject.c do
the same, but for a throw a delegate answers with StopIteration after
closing: 3.12 goes on after the `yield from` with its value, in the
bytecode, CLEANUP_THROW).

A running generator's exception-stack item (``gi_exc_state``) is the top
of the thread state's ``exc_info`` stack: ``gen_send_ex`` pushes it while
the generator runs.  ``sys.exception()`` walks down the stack past empty
items; a throw chains only to the generator's own item
(``_PyErr_ChainStackItem``), so ``own_handled()`` reads the top item alone.
``enter_item``/``leave_item`` push and pop an item as ``gen_send_ex``
does, for the paths where CPython runs the body pushed but pyjit's driver
is called without (``gen.throw``/``gen.close`` delegating to it).
"""

from __future__ import annotations

# Bound at import: compiled code runs this module and a program may rebind
# builtins.
from builtins import (
    BaseException, GeneratorExit, RuntimeError, StopIteration, TypeError, getattr, isinstance,
    bool, issubclass, iter, next, tuple, type,
)
import ctypes
import inspect
import sys
import types

from . import layout
from .semantics import qualified_type_name

_U64 = ctypes.c_uint64
_thread_state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyThreadState_Get", ctypes.pythonapi))
_obj = __import__("_ctypes").PyObj_FromPtr
_ITERABLE_COROUTINE = inspect.CO_ITERABLE_COROUTINE
_GENERATOR, _COROUTINE = types.GeneratorType, types.CoroutineType
_ASYNC_GENERATOR = types.AsyncGeneratorType


# -- the exception stack -------------------------------------------------------------------

def top_item() -> int:
    """The address of the thread's top exception-stack item (a running
    generator's gi_exc_state, else the thread's own)."""
    return _U64.from_address(_thread_state() + layout.TSTATE_EXC_INFO).value


def own_handled():
    """The exception the top item holds (the running generator's own
    handled exception), or None."""
    value = _U64.from_address(top_item() + layout.ERR_STACKITEM_EXC_VALUE).value
    if not value:
        return None
    return _obj(value)


def enter_item(item: int) -> int:
    """Push the exception-stack item at address item (gen_send_ex);
    returns what leave_item needs."""
    slot = _U64.from_address(_thread_state() + layout.TSTATE_EXC_INFO)
    previous = slot.value
    _U64.from_address(item + layout.ERR_STACKITEM_PREVIOUS).value = previous
    slot.value = item
    return previous


def leave_item(item: int, previous: int) -> None:
    _U64.from_address(_thread_state() + layout.TSTATE_EXC_INFO).value = previous
    _U64.from_address(item + layout.ERR_STACKITEM_PREVIOUS).value = 0


_decref = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))


def clear_item(item: int) -> None:
    """Drop the handled exception the item at address item holds, as
    gen_send_ex does when a generator finishes (_PyErr_ClearExcState): a
    body that fails inside a handler leaves its handled exception there,
    and a throw that ends the generator would chain to it."""
    if item:
        slot = _U64.from_address(item + layout.ERR_STACKITEM_EXC_VALUE)
        value = slot.value
        if value:
            slot.value = 0
            _decref(value)


def chain_thrown(exc: BaseException, own) -> BaseException:
    """exc, thrown in at a suspension point, chained to the generator's own
    handled exception own (None: none) as _PyErr_ChainStackItem does
    (with _PyErr_SetObject's cut of a context cycle)."""
    if own is None or own is exc:
        return exc
    o = own
    while True:
        context = o.__context__
        if context is None:
            break
        if context is exc:
            o.__context__ = None
            break
        o = context
    exc.__context__ = own
    return exc


# -- yield from and await ------------------------------------------------------------------

def _is_coroutine(obj) -> bool:
    """A coroutine, or a generator of an iterable coroutine
    (types.coroutine)."""
    t = type(obj)
    return t is _COROUTINE or (t is _GENERATOR and bool(obj.gi_code.co_flags & _ITERABLE_COROUTINE))


def get_yield_from_iter(obj, in_coroutine: bool):
    """GET_YIELD_FROM_ITER."""
    t = type(obj)
    if t is _COROUTINE:
        if not in_coroutine:
            raise TypeError("cannot 'yield from' a coroutine object in a non-coroutine generator")
        return obj
    if t is _GENERATOR:
        return obj
    return iter(obj)


_AWAIT_CONTEXT = {1: "'async with' received an object from __aenter__ that does not implement "
                     "__await__: {}",
                  2: "'async with' received an object from __aexit__ that does not implement "
                     "__await__: {}"}
# 3.14 words the plain case "'T' object can't be awaited" (the type as %T).
_SAYS_CANT_BE_AWAITED = sys.version_info >= (3, 14)


def awaitable_iter(obj, where: int = 0):
    """_PyCoro_GetAwaitableIter (with format_awaitable_error's messages for
    `async with`: where 1 __aenter__, 2 __aexit__)."""
    if _is_coroutine(obj):
        return obj
    getter = getattr(type(obj), "__await__", None)
    if getter is None:
        if where in _AWAIT_CONTEXT:
            raise TypeError(_AWAIT_CONTEXT[where].format(type(obj).__name__))
        if _SAYS_CANT_BE_AWAITED:
            raise TypeError(f"'{qualified_type_name(type(obj))}' object can't be awaited")
        raise TypeError(f"object {type(obj).__name__} can't be used in 'await' expression")
    it = getter(obj)
    if _is_coroutine(it):
        raise TypeError("__await__() returned a coroutine")
    if getattr(type(it), "__next__", None) is None:
        raise TypeError(f"__await__() returned non-iterator of type '{type(it).__name__}'")
    return it


def get_awaitable(obj, where: int):
    """GET_AWAITABLE where: awaitable_iter, and the check that a coroutine
    is not awaited twice."""
    it = awaitable_iter(obj, where)
    if type(it) is _COROUTINE and it.cr_await is not None:
        raise RuntimeError("coroutine is being awaited already")
    return it


def get_aiter(obj):
    """GET_AITER: obj.__aiter__(), which must have __anext__."""
    getter = getattr(type(obj), "__aiter__", None)
    if getter is None:
        raise TypeError("'async for' requires an object with __aiter__ method, got "
                        f"{type(obj).__name__}")
    it = getter(obj)
    if getattr(type(it), "__anext__", None) is None:
        raise TypeError("'async for' received an object from __aiter__ that does not "
                        f"implement __anext__: {type(it).__name__}")
    return it


def get_anext(aiter):
    """GET_ANEXT: the awaitable of aiter.__anext__()."""
    if type(aiter) is _ASYNC_GENERATOR:
        return aiter.__anext__()
    getter = getattr(type(aiter), "__anext__", None)
    if getter is None:
        raise TypeError("'async for' requires an iterator with __anext__ method, got "
                        f"{type(aiter).__name__}")
    following = getter(aiter)
    try:
        return awaitable_iter(following)
    except TypeError as exc:
        raise TypeError("'async for' received an invalid object from __anext__: "
                        f"{type(following).__name__}") from exc


class AsyncGenValue:
    """A value an async generator's compiled body yields as the generator's
    own (ASYNC_GEN_WRAP); any other value it yields is an await's, for the
    event loop.  (The interpreter's wrapper type is not reachable from
    outside CPython: its driver, genbody.AsyncGeneratorBody, tells them
    apart with this one.)"""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


def async_gen_wrap(value) -> AsyncGenValue:
    """ASYNC_GEN_WRAP."""
    return AsyncGenValue(value)


def iter_send(inner, value):
    """SEND (PyIter_Send): (done, value), value being what inner yielded
    (done False) or returned (done True)."""
    try:
        if value is None and getattr(type(inner), "__next__", None) is not None:
            return False, next(inner)
        return False, inner.send(value)
    except StopIteration as stop:
        return True, stop.value


def delegate_throw(inner, exc: BaseException, own):
    """exc thrown into a generator suspended in `yield from inner` (_gen_throw
    with a delegate): (done, value), value being what inner yielded (done
    False) or returned (done True); raises what is to be raised at the
    suspension point, chained to the generator's own handled exception
    (own(): None if none), as gen_send_ex does when it throws it in there
    (_PyErr_ChainStackItem).  A generator delegate chained its exception
    to its own item only, which is empty when it is not handling one."""
    handled = own()          # (read first: the `except` below makes raised the item's)
    try:
        return _delegate_throw(inner, exc)
    except BaseException as raised:
        raise chain_thrown(raised, handled)


def _delegate_throw(inner, exc: BaseException):
    if isinstance(exc, GeneratorExit):
        close = inner.close if type(inner) in (_GENERATOR, _COROUTINE) else \
            getattr(inner, "close", None)
        if close is not None:
            close()
        raise exc
    if type(inner) in (_GENERATOR, _COROUTINE):
        # The interpreter throws into these directly (_gen_throw), as their
        # one-argument throw() does (without 3.12's warning about the
        # three-argument form).
        throw, args = inner.throw, (exc,)
    else:
        throw = getattr(inner, "throw", None)
        if throw is None:
            raise exc
        args = (type(exc), exc, exc.__traceback__)
    try:
        return False, throw(*args)
    except StopIteration as stop:
        return True, stop.value


def normalize_throw(typ, val=None, tb=None) -> BaseException:
    """The exception gen.throw(typ, val, tb) throws in, with _gen_throw's
    TypeErrors for invalid arguments (raised: nothing is thrown in)."""
    if tb is not None and not isinstance(tb, types.TracebackType):
        raise TypeError("throw() third argument must be a traceback object")
    if isinstance(typ, type) and issubclass(typ, BaseException):
        exc = val if isinstance(val, typ) else _instantiated(typ, val)
    elif isinstance(typ, BaseException):
        if val is not None:
            raise TypeError("instance exception may not have a separate value")
        exc = typ
        if tb is None:
            tb = exc.__traceback__
    else:
        raise TypeError("exceptions must be classes or instances deriving from "
                        f"BaseException, not {type(typ).__name__}")
    if tb is not None:
        exc = exc.with_traceback(tb)
    return exc


def _instantiated(typ: type, val) -> BaseException:
    """typ instantiated with val as PyErr_NormalizeException does: when the
    call fails, or gives something not an exception (a TypeError then), that
    failure is the exception thrown in, as it is the normalized one."""
    try:
        if val is None:
            exc = typ()
        elif isinstance(val, tuple):
            exc = typ(*val)
        else:
            exc = typ(val)
        if not isinstance(exc, BaseException):
            raise TypeError(f"calling {typ!r} should have returned an instance of BaseException, "
                            f"not {type(exc).__name__}")
    except BaseException as failed:
        # Without this frame's traceback entry (the rest is the failing
        # class's own), and with no local holding it.
        return failed.with_traceback(failed.__traceback__.tb_next)
    return exc
