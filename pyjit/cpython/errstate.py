"""The exception state of compiled code: the pending exception ("the
thread state's exception") and the handled one (`sys.exc_info()`'s).

Generated code follows the C-API: a helper that fails returns NULL or -1
"with the exception set in the thread state", and the code hands that
failure on to its own caller.  Under the Unicorn engine, helpers run inside
ctypes callbacks (Unicorn hooks), and Python code there cannot leave the
thread state's error indicator set when the callback returns (checked on
3.11): a C-API function called through `ctypes.pythonapi` that sets it
(`PyErr_SetObject` itself, or any failing function) has its exception
re-raised in Python at once, and an exception escaping a ctypes callback is
printed as "Exception ignored on calling ctypes callback function" and
cleared.

So, for emulated code, the thread state's current exception is *modelled*
here, one slot per host thread:

- a helper that fails (a C-API function whose exception ctypes re-raises in
  Python, or a Python implementation that raises) stores its exception with
  `set_pending` and returns its failure value, exactly as C would set it;
- helpers that inspect or clear the thread state's exception
  (`err_occurred`, `err_clear`, ... in helper_impls.py) read this slot;
- a C-API helper runs with the real error indicator clear (the C-API asks
  that of its callers anyway; deallocators and __del__ run "clean");
- on the host side, `take_pending()` / `raise_pending()` turn a NULL result
  into the Python exception (UnicornEngine.call_object does it for you).

Invariant: outside of a helper invocation the real error indicator of the
host thread is clear; the slot holds an exception instance or None.

Under the native engine (native_engine.py) C-API helpers are called by the
machine code itself, at their real addresses, and a failing one leaves its
exception in the *real* indicator, where C puts it; Python helpers still
run in ctypes callbacks and can only set the slot.  The model is then:

- the pending exception is the real indicator when it is set, else the
  slot (the real one is always the newer: every Python helper starts with
  `surface()`, which moves a set real indicator into the slot, so no
  Python code of pyjit ever runs with the real indicator set);
- the inspecting helpers (err_occurred, err_clear, ...) therefore see the
  slot only, under both engines, unchanged;
- when compiled code returns to the native engine, ctypes raises a set real
  indicator in Python (the call's prototype checks it); the engine stores
  it in the slot, so after `call` the pending exception is in the slot,
  as under Unicorn, and `call_object` raises it.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import BaseException, SystemError, TypeError, getattr, isinstance
import ctypes
from operator import attrgetter as _attrgetter
import os
import threading

# The C-API functions looked up below are those of the described versions:
# an undescribed CPython (3.10 has no PyErr_GetHandledException) is refused
# here, in one sentence (UnsupportedPython), not with a failed lookup.
from . import layout  # noqa: F401
from . import interrupts
from .tstate import quiet_entry


class _ErrState(threading.local):
    exc: BaseException | None = None
    replacement: BaseException | None = None
    reraised = False


# Read and written with attribute access only (no call, so no check point
# where a signal handler could raise between a read and its update).
_state = _ErrState()


def pending() -> BaseException | None:
    """The pending exception of emulated code on this thread, or None."""
    return _state.exc


def put_pending(exc: BaseException) -> None:
    """set_pending without its check of exc: no call, so no check point
    (entered quietly), for a failure recorded before anything else."""
    _state.exc = exc


quiet_entry(pending)
quiet_entry(put_pending)


def set_pending(exc: BaseException | None) -> None:
    """Make exc the pending exception (None clears), replacing any previous
    one as `PyErr_SetObject` would."""
    if exc is not None and not isinstance(exc, BaseException):
        raise TypeError(f"set_pending needs an exception instance, not {exc!r}")
    _state.exc = exc
    if exc is None:
        _state.reraised = False


def take_pending() -> BaseException | None:
    """Return the pending exception and clear it (`PyErr_Fetch`); entered
    quietly: a signal handler cannot raise between taking and clearing."""
    exc = _state.exc
    _state.exc = None
    _state.replacement = None
    return exc


quiet_entry(take_pending)


# An exception C sets as a class and arguments (PyErr_SetObject(type, args)
# with no exception being handled) stays unnormalized in 3.11's thread
# state: each frame it leaves adds its traceback entry to that state, and
# the first handler normalizes it, calling the class.  When that call
# raises, its exception replaces the class and, if it has a traceback (the
# failed __init__'s), the entries gathered so far are dropped, the
# handler's own included (_PyErr_NormalizeException).  A C helper's failure
# is normalized at once, where ctypes raises it in the binding's frame, so
# the replacement arrives with only its own entries: marked here, the
# compiled frames it leaves add none until a handler takes it, as the
# interpreter's entries are lost (cpython/tracebacks.py).

def mark_replacement() -> None:
    """The pending exception replaced an unnormalized one (see above)."""
    _state.replacement = _state.exc


def is_replacement(exc: BaseException) -> bool:
    """Whether exc, pending, is marked by mark_replacement."""
    return _state.replacement is exc


_PYJIT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _is_pyjit_frame(frame) -> bool:
    return frame.f_code.co_filename.startswith(_PYJIT_DIR)


def set_pending_caught(exc: BaseException) -> None:
    """set_pending for exc, caught by pyjit's Python code as a C call it
    made failed (the real indicator set): without its first traceback entry
    (the catching frame, without_own_frame), or, when it replaced an
    unnormalized exception (it has no such entry), as it is, marked."""
    if replaced_in(exc, _is_pyjit_frame):
        set_pending(exc)
        mark_replacement()
    else:
        set_pending(without_own_frame(exc))


def replaced_in(exc: BaseException, own) -> bool:
    """Whether exc, caught by Python code as a C call it made failed,
    replaced an unnormalized exception: its traceback does not start with
    the catching frame (own(frame): whether a frame is pyjit's own), which
    every exception the call raised as it was gets first."""
    tb = exc.__traceback__
    return tb is not None and not own(tb.tb_frame)


# The exception being handled (what PUSH_EXC_INFO and POP_EXCEPT move) is the
# thread state's own, as for interpreted code: `sys.exc_info()`, a callee's
# bare `raise`, implicit chaining (__context__) and `traceback.format_exc()`
# all see it.  Through the C-API's PyErr_GetHandledException (the topmost
# handled exception, new reference or NULL) and PyErr_SetHandledException
# (the current exception-stack item's).  PUSH_EXC_INFO saves what the top
# item itself holds (None when nothing), as ceval does, not the topmost
# handled exception: inside a generator whose own item holds nothing while
# an outer frame handles X, saving X would put X in the generator's item at
# POP_EXCEPT, where a later throw() chains to it.  (A version whose layout
# does not describe the item saves the topmost one.)

_get_handled = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyErr_GetHandledException",
                                                   ctypes.pythonapi))
_set_handled = ctypes.PYFUNCTYPE(None, ctypes.py_object)(("PyErr_SetHandledException",
                                                          ctypes.pythonapi))
_obj = __import__("_ctypes").PyObj_FromPtr
_decref = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))


def handled() -> BaseException | None:
    """The exception this thread is handling (sys.exception()), or None."""
    address = _get_handled()
    if not address:
        return None
    exc = _obj(address)
    _decref(address)
    return exc


def set_handled(exc: BaseException | None) -> None:
    """exc (None: nothing) is the handled exception again (POP_EXCEPT).
    Entered quietly; an asynchronous exception at the interpreter's check
    after the call finds it done, and is deferred (interrupts.py)."""
    try:
        _set_handled(exc)
    except BaseException as late:
        interrupts.defer_asynchronous(late)


quiet_entry(set_handled)


_thread_state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyThreadState_Get", ctypes.pythonapi))
_EXC_INFO = getattr(layout, "TSTATE_EXC_INFO", None)
_U64 = ctypes.c_uint64


def own_handled() -> BaseException | None:
    """The exception the thread's top exception-stack item itself holds (a
    running generator's, else the thread's), or None."""
    item = _U64.from_address(_thread_state() + _EXC_INFO).value
    value = _U64.from_address(item + layout.ERR_STACKITEM_EXC_VALUE).value
    return _obj(value) if value else None


def push_handled(exc: BaseException) -> BaseException | None:
    """PUSH_EXC_INFO: exc becomes the handled exception; what the top item
    held before (None if nothing) is returned."""
    prev = own_handled() if _EXC_INFO is not None else handled()
    set_handled(exc)                    # (no check point between the read and this)
    return prev


# A re-raise (RERAISE, a bare `raise`) adds no traceback entry for the frame
# that re-raises: the re-raising helpers set this, the next traceback helper
# (cpython/tracebacks.py) takes it instead of adding the entry.

def set_reraised() -> None:
    _state.reraised = True


def take_reraised() -> bool:
    flag = _state.reraised
    _state.reraised = False
    return flag


def reraised() -> bool:
    """Whether the last failure was a re-raise, left in place."""
    return _state.reraised


quiet_entry(take_reraised)


class Failure:
    """What a compiled call returns instead of raising: the exception of a
    NULL result (see Engine.call_function and the trampoline)."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException):
        self.exc = exc


# A Failure's exception by a C call (no name in the code that uses it: the
# trampolines and the counting tail, whose co_names stay the original's).
failure_exc = _attrgetter("exc")


def raise_pending(what: str = "compiled code") -> None:
    """Raise the pending exception, cleared from the slot; SystemError if
    there is none (a NULL result without an exception, which CPython reports
    the same way)."""
    exc = take_pending()
    if exc is None:
        raise SystemError(f"{what} returned NULL without setting an exception")
    try:
        raise exc
    finally:
        del exc  # no reference cycle through this frame


# PyErr_Occurred through a prototype that checks the error indicator after
# the call (PYFUNCTYPE): when it is set, the call raises it.
_err_occurred = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyErr_Occurred", ctypes.pythonapi))


def surface() -> None:
    """Move the thread state's real error indicator, if set, into the slot
    (replacing the slot's exception: the real one is newer).  For Python
    code entered from machine code that may have left the indicator set
    (the native engine's helper callbacks); a no-op when it is clear, which
    it always is under the Unicorn engine."""
    try:
        _err_occurred()
    except BaseException as exc:
        set_pending_caught(exc)


def without_own_frame(exc: BaseException) -> BaseException:
    """exc without the first entry of its traceback (the frame that caught
    it as it came out of C; the rest is where it was raised).  Never keep
    that entry in a local of the catching frame: frame -> traceback ->
    frame is a cycle that keeps every caller frame, and the arguments they
    hold, alive until the next garbage collection."""
    return exc.with_traceback(exc.__traceback__.tb_next if exc.__traceback__ else None)
