"""The interpreter's own state, as compiled code reads and writes it.

    eval_breaker_address()          # PyInterpreterState.ceval.eval_breaker
    signals_pending_address()       # &_PyRuntime.ceval.signals_pending
    gil_last_holder_address()       # &the GIL's last_holder

Two things real programs rely on that compiled code must do like the
eval loop (the offsets are the version's layout, `layout`):

- the eval breaker: a 32-bit word of the interpreter state (3.13: a word of
  each thread state, whose low byte holds the requests), nonzero when
  the eval loop must stop at its next check to run signal handlers and
  pending calls, hand the GIL to a waiting thread, or raise an
  asynchronous exception.  Compiled code tests it where the interpreter
  does (function entry, loop back edges) and, when set, calls the shared
  routine pyjit_eval_breaker (routines.py), which clears it and the
  runtime's signals hint and calls `handle_eval_breaker`
  (helper_impls.py), which sets them again and lets the interpreter serve
  the requests (`rearm_eval_breaker`, semantics.check_eval_breaker).
- the recursion limit: the running thread state's recursion_remaining,
  which a call between compiled functions counts down and up again as an
  interpreted call does (the shared routine pyjit_call_cached).  Only the
  thread holding an engine's primary stack makes such calls, so the thread
  state is that thread's, which the stack's owner records
  (pyjit/runtime/stacks.py, activations.py).

Addresses are of this process's interpreter (the main one): compiled code
gets them through symbols an engine defines at load time (EVAL_BREAKER_SYMBOL)
or as literals of the shared routines.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code's eval breaker
# path runs this module and a program may rebind builtins.bool and the like.
from builtins import bool
import ctypes

from . import layout

EVAL_BREAKER_SYMBOL = "pyjit_eval_breaker_word"   # eval_breaker_symbol_address(); each engine

_interpreter_state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyInterpreterState_Get", ctypes.pythonapi))
_thread_state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyThreadState_Get", ctypes.pythonapi))
# PyErr_CheckSignals through pythonapi (a PyDLL): a -1 result raises the
# handler's exception in Python.
_check_signals = ctypes.pythonapi.PyErr_CheckSignals


def interpreter_state() -> int:
    """The address of the (main) interpreter's PyInterpreterState."""
    return _interpreter_state()


def eval_breaker_address() -> int:
    """The address of the eval breaker word compiled code checks: the
    interpreter's (32 bits; 3.11, 3.12), or the calling thread's (3.13: a
    uintptr whose low byte holds the requests; a signal sets the main
    thread's, a GIL drop request the holder's)."""
    if layout.TSTATE_EVAL_BREAKER is not None:
        return _thread_state() + layout.TSTATE_EVAL_BREAKER
    return _interpreter_state() + layout.INTERP_EVAL_BREAKER


def eval_breaker_symbol_address() -> int:
    """What EVAL_BREAKER_SYMBOL stands for: the eval breaker word's address
    (3.11, 3.12), or, where each thread state has its own (3.13), the
    address of the GIL's last holder, the thread state of the thread
    running compiled code (which holds the GIL), whose word is at
    TSTATE_EVAL_BREAKER in it."""
    if layout.TSTATE_EVAL_BREAKER is not None:
        return gil_last_holder_address()
    return eval_breaker_address()


def _requests() -> ctypes._SimpleCData:
    """The part of the eval breaker word that holds the requests."""
    kind = {4: ctypes.c_uint32, 1: ctypes.c_uint8}[layout.EVAL_BREAKER_REQUESTS_WIDTH]
    return kind.from_address(eval_breaker_address())


def eval_breaker() -> int:
    """The eval breaker's requests now (0: none)."""
    return _requests().value


def rearm_eval_breaker(taken: int) -> bool:
    """Set the eval breaker again after compiled code took its requests on
    finding it set (objects.take_eval_breaker; taken: what it took): the
    next check of the eval loop serves them, and recomputes the word from
    what is left.  3.11 and 3.12 took the signals hint (and the word is set
    to 1), 3.13 the request bits but the GIL drop request (left in place,
    objects.take_eval_breaker says why), which go back.  Whether a signal
    was pending."""
    if layout.TSTATE_EVAL_BREAKER is not None:
        requests = _requests()
        requests.value |= taken
        return bool(taken & layout.EVAL_SIGNALS_PENDING_BIT)
    if taken:
        ctypes.c_int32.from_address(signals_pending_address()).value = 1
    _requests().value = 1
    return bool(taken)


def check_signals() -> None:
    """PyErr_CheckSignals(): run the handlers of the signals that arrived,
    whatever the hint says (in the main thread; elsewhere nothing); raises
    what a handler raises."""
    _check_signals()


def _runtime() -> int:
    return ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))


def signals_pending_address() -> int:
    """The address of the runtime's hint that a signal arrived (32 bits):
    _PyRuntime.ceval.signals_pending (3.11, 3.12), or signals.is_tripped
    (3.13, where the request bit of the eval breaker stands for the
    first)."""
    offset = layout.RUNTIME_SIGNALS_PENDING
    return _runtime() + (offset if offset is not None else layout.RUNTIME_SIGNALS_IS_TRIPPED)


def gil_last_holder_address() -> int:
    """The address of the GIL's last_holder, the thread state of the thread
    that holds or last held the GIL: in _PyRuntime.ceval.gil (3.11), or in
    the GIL the main interpreter's ceval.gil points at (3.12)."""
    if layout.RUNTIME_GIL_LAST_HOLDER is not None:
        return _runtime() + layout.RUNTIME_GIL_LAST_HOLDER
    gil = ctypes.c_uint64.from_address(interpreter_state() + layout.INTERP_CEVAL_GIL).value
    return gil + layout.GIL_LAST_HOLDER


def running_thread_state() -> int:
    """The address of the calling thread's PyThreadState (it holds the GIL)."""
    return _thread_state()


def recursion_remaining(thread_state: int | None = None) -> int:
    """A thread state's recursion_remaining (the caller's by default)."""
    address = running_thread_state() if thread_state is None else thread_state
    return ctypes.c_int32.from_address(address + layout.TSTATE_RECURSION_REMAINING).value
