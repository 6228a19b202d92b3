"""What the engines touch of the running thread's interpreter state.

    counter = recursion_counter()     # this thread's frames-left counter (a ctypes int)
    counter.value += 3                # three frames of ours do not count
    quiet_entry(callback)             # no pending-signal check on entering it

- `recursion_counter()`: the thread state's `recursion_remaining`, the
  count the interpreter decrements on entering a frame and raises
  RecursionError at (`sys.setrecursionlimit` rewrites it, keeping the
  depth).  The engines add their own Python frames back to it while
  compiled code runs, so that a compiled activation counts as one frame, as
  the interpreted one did; every addition is taken back when the call
  returns, so the depth the interpreter sees is always consistent.
- `quiet_entry(fn)`: fn's first RESUME gets an oparg from which the
  interpreter does not check the eval breaker, so no signal handler runs
  (and raises) on entering fn, before the first line of its body: for
  functions called from C (ctypes callbacks) whose body catches everything
  (an exception escaping a ctypes callback is printed and lost).  Every
  other check point (after a call, a backward jump, a callee's entry) is
  untouched.

- `c_recursion_counter()`: where the interpreter counts C recursion
  apart (3.12: `c_recursion_remaining`, which entering the eval loop from
  C and calling a C object through `tp_call` count down, and Python calls
  between Python frames leave alone), this thread's counter; None where
  one counter counts both (3.11).  An interpreted call costs it nothing,
  while a compiled activation's call path is C (an emulator or a ctypes
  call, a callback, a helper's call from C): the engines run each level of
  compiled code with the count it had when the thread's outermost compiled
  call started (`ENTRY_FROM_C_COUNTS` says what a C entry costs the frame
  counter), and keep the real C stack safe by their own stack checks.

- `c_stack_soft_limit()`: where C recursion is measured on the stack
  (3.14), the address below which a C call raises RecursionError; the
  Unicorn engine raises it before an entry with less than
  C_STACK_CALLBACK_RESERVE bytes above it (its callbacks, entered from C,
  would raise it where nobody can handle it).
- `use_c_stack(low, top)` / `reset_c_stack()`: where the interpreter
  measures C recursion by the machine stack pointer instead (3.14: against
  limits in the thread state, `C_STACK_MEASURED`), C code running on a
  stack pyjit switched to (the native engine's) must be measured against
  that stack, else the first check finds the stack pointer below the
  thread's hard limit and ends the process; the native engine sets them
  for the outermost entry of a thread and puts the thread's own back after
  it (PyUnstable_ThreadState_SetStackProtection and ...Reset, the public
  API).  Under Unicorn helpers run on the thread's own stack: nothing to do.

Both rest on the version description (`layout.TSTATE_*`,
`opcodes.RESUME_QUIET`); tests/cpython/test_tstate.py checks them against
the running interpreter.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import ValueError, bytearray, bytes, len, range

import ctypes
import dis
import threading
import types

from . import layout, opcodes

_thread_state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyThreadState_Get", ctypes.pythonapi))
_RESUME = dis.opmap["RESUME"]


# What entering the eval loop from C costs the frame counter beyond the
# frame entered (3.11: one, 3.12: nothing; the C counter counts it).
ENTRY_FROM_C_COUNTS: int = layout.RECURSION_COUNT_OF_C_ENTRY
# C recursion an outermost compiled call needs left on the C counter: the
# engines' callbacks (helper traps, memory hooks) enter the eval loop from
# C, which counts, and a RecursionError in their own code would be nobody's
# (the engines raise it before the call instead, as entering a frame there
# would).
C_CALLBACK_RESERVE = 8
# Where C recursion is measured on the stack instead (3.14), the C stack an
# entry into compiled code needs above the interpreter's soft limit: the
# emulator's frames and a callback entering the eval loop from them (about
# 7 KB measured), and what the callback's own C calls use.
C_STACK_CALLBACK_RESERVE = 64 << 10
_C_COUNTER_OFFSET = layout.TSTATE_C_RECURSION_REMAINING


# Recursion room for an entry's own work before and after the engine's call
# (the argument array, the caller's frame, its push and pop): added by the
# entry (jit.py, genentry.py) and passed to Engine.call_function as `room`,
# which counts it in its ENGINE_ROOM.
ENTRY_ROOM = 20


class _PerThread(threading.local):
    counter: ctypes.c_int | None = None
    c_counter: ctypes.c_int | None = None
    c_stack_limit: ctypes.c_size_t | None = None


_per_thread = _PerThread()
per_thread = _per_thread      # what generated code reads (helper_binding.py): .counter or None


def recursion_counter() -> ctypes.c_int:
    """The calling thread's recursion_remaining, as a ctypes int over the
    thread state (made once per thread, valid for the life of the thread)."""
    counter = _per_thread.counter
    if counter is None:
        counter = _per_thread.counter = ctypes.c_int.from_address(
            _thread_state() + layout.TSTATE_RECURSION_REMAINING)
    return counter


def thread_state_address() -> int:
    """The calling thread's PyThreadState (its address)."""
    return ctypes.addressof(recursion_counter()) - layout.TSTATE_RECURSION_REMAINING


def c_recursion_counter() -> ctypes.c_int | None:
    """The calling thread's count of C recursion left, where the version
    keeps one apart from recursion_counter() (else None)."""
    if _C_COUNTER_OFFSET is None:
        return None
    counter = _per_thread.c_counter
    if counter is None:
        counter = _per_thread.c_counter = ctypes.c_int.from_address(
            _thread_state() + _C_COUNTER_OFFSET)
    return counter


def recursion_limit_field() -> ctypes.c_int:
    """The calling thread's copy of the recursion limit (read-only use)."""
    return ctypes.c_int.from_address(_thread_state() + layout.TSTATE_RECURSION_LIMIT)


# 3.14: no C recursion counter, the C stack's limits instead (module docstring).
C_STACK_MEASURED = _C_COUNTER_OFFSET is None and \
    getattr(layout, "TSTATE_C_STACK_SOFT_LIMIT", None) is not None
_set_stack = _reset_stack = None
if C_STACK_MEASURED:
    _set_stack = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)(
        ("PyUnstable_ThreadState_SetStackProtection", ctypes.pythonapi))
    _reset_stack = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(
        ("PyUnstable_ThreadState_ResetStackProtection", ctypes.pythonapi))


def c_stack_soft_limit() -> ctypes.c_size_t | None:
    """The calling thread's C stack address below which the interpreter
    raises RecursionError, where C_STACK_MEASURED (else None)."""
    if not C_STACK_MEASURED:
        return None
    limit = _per_thread.c_stack_limit
    if limit is None:
        limit = _per_thread.c_stack_limit = ctypes.c_size_t.from_address(
            _thread_state() + layout.TSTATE_C_STACK_SOFT_LIMIT)
    return limit


def use_c_stack(low: int, top: int) -> None:
    """C code of the calling thread runs on [low, top) until reset_c_stack()
    (where C_STACK_MEASURED; nothing elsewhere)."""
    if C_STACK_MEASURED and _set_stack(_thread_state(), low, top - low) < 0:
        raise ValueError(f"a C stack of {top - low} bytes is too small for CPython")


def reset_c_stack() -> None:
    """The calling thread's C code runs on its own stack again."""
    if C_STACK_MEASURED:
        _reset_stack(_thread_state())


def quiet_entry(fn: types.FunctionType) -> types.FunctionType:
    """Give fn code whose entry does not check for pending signals (see the
    module docstring); returns fn.  ValueError if its code has no entry
    RESUME to change."""
    code = fn.__code__
    raw = bytearray(code.co_code)
    for i in range(0, len(raw), 2):
        if raw[i] == _RESUME:
            if raw[i + 1] != 0:
                break
            raw[i + 1] = opcodes.RESUME_QUIET
            fn.__code__ = code.replace(co_code=bytes(raw))
            return fn
    raise ValueError(f"{fn.__qualname__} has no entry RESUME to make quiet")
