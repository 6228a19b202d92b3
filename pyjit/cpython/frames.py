"""The interpreter's frame stack, as compiled code takes part in it.

A compiled function entered from Python code runs under its trampoline's
frame (pyjit/install.py): a real interpreter frame with the function's
code object, globals and parameters.  While the machine code runs, that
frame is made the thread's current frame (`tstate->cframe->current_frame`
in 3.11 and 3.12, `tstate->current_frame` in 3.13), so what reads "the caller's frame" from C sees the compiled
function: `globals()`, `locals()`, `vars()`, `dir()`, `eval`/`exec` without
namespaces, `sys._getframe()`, and the `f_back` of every Python frame a call
from compiled code pushes (`inspect.currentframe`, `logging`'s caller,
`warnings`' stack levels).  The engines switch it (`switched`) where control
passes from pyjit's own Python code into machine code or into a helper's C
call; `push`/`pop` keep, per thread, the trampoline frame of the innermost
compiled activation that has one.

A compiled function called directly by another (a call cell) has no frame:
it runs under its caller's.  A function that reads its own frame (see
pyjit/hir's `needs_frame`) is therefore never called directly, and gets its
trampoline frame's local slots as its argument array, where it writes its
current locals before such a read.

Addresses are of `_PyInterpreterFrame`s; offsets come from the version's
layout.
"""

from __future__ import annotations

import ctypes
import threading
import types

from . import layout
from .tstate import quiet_entry

_U64 = ctypes.c_uint64
_U8 = ctypes.c_uint8
# The interpreter's own `frame.f_back` (pyjit/frame_view.py puts a view of
# it in its place): what pyjit's own frame walks read.
real_back = types.FrameType.__dict__["f_back"].__get__
_object_at = __import__("_ctypes").PyObj_FromPtr
_thread_state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyThreadState_Get", ctypes.pythonapi))
class _Innermost(threading.local):
    frame = 0


_state = _Innermost()


def current_frame_slot() -> ctypes.c_uint64:
    """The word holding this thread's current interpreter frame, for the C
    evaluation loop running now (read it again after any Python call)."""
    tstate = _thread_state()
    if layout.TSTATE_CURRENT_FRAME is not None:     # 3.13: no _PyCFrame
        return _U64.from_address(tstate + layout.TSTATE_CURRENT_FRAME)
    cframe = _U64.from_address(tstate + layout.TSTATE_CFRAME).value
    return _U64.from_address(cframe + layout.CFRAME_CURRENT_FRAME)


def caller_frame() -> int:
    """The interpreter frame of the caller of the Python function calling
    this one (a trampoline, when called from its entry; the Python frame
    below a C call, such as a generator's `yield from` calling a
    delegate's `__next__`, past the entry frame of a version that has
    them)."""
    own = current_frame_slot().value                                # this function's
    calling = _U64.from_address(own + layout.IFRAME_PREVIOUS).value  # the entry's
    return _python_frame(_U64.from_address(calling + layout.IFRAME_PREVIOUS).value)


def _python_frame(frame: int) -> int:
    """frame, or the first frame below it that is not an entry frame (see
    the layout's ENTRY_FRAME_OWNERS)."""
    owners = layout.ENTRY_FRAME_OWNERS
    while owners and frame and _U8.from_address(frame + layout.IFRAME_OWNER).value in owners:
        frame = _U64.from_address(frame + layout.IFRAME_PREVIOUS).value
    return frame


def calling_function():
    """The function object whose frame called the Python function calling
    this one (None when that frame runs no function: module code, exec)."""
    own = current_frame_slot().value                                # this function's
    calling = _U64.from_address(own + layout.IFRAME_PREVIOUS).value  # its caller's
    counted = _U64.from_address(calling + layout.IFRAME_PREVIOUS).value
    func = layout.stackref_object(_U64.from_address(counted + layout.IFRAME_FUNC).value)
    if not func:
        return None
    return _object_at(func)                                         # C calls only


def started_function():
    """For a `sys.monitoring` callback calling this: the function object
    of the frame the event is about (the callback's caller, past the entry
    frame of its call from C), or None (module code, exec)."""
    own = current_frame_slot().value                                  # this function's
    callback = _U64.from_address(own + layout.IFRAME_PREVIOUS).value   # the callback's
    started = _python_frame(_U64.from_address(callback + layout.IFRAME_PREVIOUS).value)
    if not started:
        return None
    func = layout.stackref_object(_U64.from_address(started + layout.IFRAME_FUNC).value)
    return _object_at(func) if func else None


def function_address(frame: int) -> int:
    """The address of the function object a frame runs (0: none)."""
    return layout.stackref_object(_U64.from_address(frame + layout.IFRAME_FUNC).value) or 0


def locals_address(frame: int) -> int:
    """The address of a frame's local slots (fast locals, then cells)."""
    return frame + layout.IFRAME_LOCALSPLUS


def push(frame: int) -> int:
    """frame (0: none) is the innermost compiled activation's frame on this
    thread; returns the previous one, for `pop`.  Entered quietly, no call:
    no signal handler runs inside push, pop or innermost."""
    previous = _state.frame
    _state.frame = frame
    return previous


def pop(previous: int) -> None:
    _state.frame = previous


def innermost() -> int:
    """The frame push gave last on this thread (0: none)."""
    return _state.frame


for _fn in (push, pop, innermost):
    quiet_entry(_fn)
del _fn
