"""Asynchronous exceptions on the engines' own code paths: kept, then raised
where compiled code can fail.

A Python signal handler runs at any check point of Python code (after a
call returns, on entering a function, at a backward jump), and whatever it
raises (KeyboardInterrupt, an exception from a SIGALRM handler) appears
there.  Between compiled code and a helper lies engine code (the trap hook,
the helper binding, the native callbacks), so such an exception can appear
in it, or in a helper that has no failure to report it with.  The rules:

- in a helper that can fail (its implementation, or the binding around the
  call): it is that helper's failure: the pending exception, and compiled
  code takes its error path (helper_binding.py);
- anywhere else on the trap path, and in a helper that cannot fail
  (`Py_DecRef`, `release_and_exit`...): it is *deferred*: kept for the thread
  (`defer`), then raised by the next helper call of that thread that can
  fail (instead of the helper: `take` in the binding) or by the engine when
  compiled code returns to it (`Engine.call_object`), whichever comes first.

So such an exception is never printed as "Exception ignored on calling
ctypes callback" (the engines' callbacks enter quietly and catch
everything, cpython/tstate.quiet_entry) and never becomes an
EmulationFault.  One exception is deferred at a time: a second one raised
before the first was delivered is dropped, as a second signal arriving
while the interpreter is still raising the first would end up.

`is_asynchronous(exc)` tells such an exception from a helper breaking its
contract (a helper that cannot fail raising an ordinary exception of its
own, which stays a fault).
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import Exception, OSError, ValueError, getattr, isinstance, set

import signal
import threading
import types

from .tstate import quiet_entry


class _Deferred(threading.local):
    exc: BaseException | None = None


_state = _Deferred()
ANY = [0]       # threads holding a deferred exception: the hot path tests ANY[0] only


def defer(exc: BaseException) -> None:
    """Keep exc for this thread (the first one wins until it is taken)."""
    if _state.exc is None:
        _state.exc = exc
        ANY[0] += 1


def take() -> BaseException | None:
    """This thread's deferred exception, cleared (None when there is none);
    entered quietly: a signal handler cannot raise between taking and
    clearing."""
    exc = _state.exc
    if exc is not None:
        _state.exc = None
        ANY[0] -= 1
    return exc


def defer_asynchronous(exc: BaseException) -> None:
    """Defer exc if it is asynchronous (is_asynchronous), else raise it:
    for code whose work is done when the interpreter's check after its
    last call raises."""
    if not is_asynchronous(exc):
        raise exc
    defer(exc)


quiet_entry(defer)
quiet_entry(take)
quiet_entry(defer_asynchronous)


def pending() -> BaseException | None:
    """This thread's deferred exception, left in place."""
    return _state.exc


def _handler_codes() -> set[types.CodeType]:
    codes = set()
    for signum in signal.valid_signals():
        try:
            handler = signal.getsignal(signum)
        except (OSError, ValueError):
            continue
        handler = getattr(handler, "__func__", handler)
        code = getattr(handler, "__code__", None)
        if code is not None:
            codes.add(code)
    return codes


def is_asynchronous(exc: BaseException) -> bool:
    """Whether exc came from outside the code it interrupted: not an
    Exception (KeyboardInterrupt, SystemExit, GeneratorExit), or raised
    through a frame of an installed Python signal handler."""
    if not isinstance(exc, Exception):
        return True
    codes = _handler_codes()
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code in codes:
            return True
        tb = tb.tb_next
    return False
