"""How much of the calling thread's C stack is left (Linux, glibc or musl).

Nested emulation recurses on the host's C stack, which the interpreter
does not (3.11 runs Python-to-Python calls without C recursion): each
compiled activation entered from a helper costs emu_start, Unicorn's
execution loop, the hook's ctypes callback and the interpreter entered
from C, about 5.5 KB measured here.  Python's recursion limit does not
bound that (a program may raise it to run deep interpreted recursion), so
the Unicorn engine checks the C stack itself before nesting
(`UnicornEngine._run`), and raises RecursionError where a crash would
follow.

- `bounds()`: the lowest usable address of the thread's C stack
  (pthread_getattr_np, once per thread);
- `here()`: an address in the current C stack frame, close to the stack
  pointer: dl_iterate_phdr passes its callback a pointer to a structure
  on its own stack (both glibc and musl keep it there), and the callback
  stops the iteration at once.  About 2 us, so the engine asks every few
  nesting levels only.
"""

from __future__ import annotations

import ctypes
import threading

from ..cpython.tstate import quiet_entry

_libc = ctypes.CDLL(None, use_errno=True)
_ATTR_SIZE = 128                       # >= sizeof(pthread_attr_t) everywhere Linux runs

_pthread_self = ctypes.PYFUNCTYPE(ctypes.c_ulong)(("pthread_self", _libc))
_getattr_np = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("pthread_getattr_np", _libc))
_getstack = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                              ctypes.POINTER(ctypes.c_size_t))(("pthread_attr_getstack", _libc))
_destroy = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(("pthread_attr_destroy", _libc))

_Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
_iterate = ctypes.PYFUNCTYPE(ctypes.c_int, _Callback, ctypes.c_void_p)(("dl_iterate_phdr", _libc))


class _PerThread(threading.local):
    low: int | None = None
    address = 0


_per_thread = _PerThread()


def _note(info, size, data) -> int:
    _per_thread.address = info or 0
    return 1                              # stop after the first object


_note_callback = _Callback(quiet_entry(_note))     # no check point at all: nothing can raise


def bounds() -> int:
    """The lowest address of the calling thread's C stack (0 if unknown)."""
    low = _per_thread.low
    if low is None:
        attr = ctypes.create_string_buffer(_ATTR_SIZE)
        address, size = ctypes.c_void_p(), ctypes.c_size_t()
        low = 0
        if _getattr_np(_pthread_self(), attr) == 0:
            if _getstack(attr, ctypes.byref(address), ctypes.byref(size)) == 0:
                low = address.value or 0
            _destroy(attr)
        _per_thread.low = low
    return low


def here() -> int:
    """An address in the C stack, a few hundred bytes below the caller's
    frame."""
    _iterate(_note_callback, None)
    return _per_thread.address


def left() -> int:
    """Bytes of C stack left below here (a large number when unknown)."""
    low = bounds()
    return here() - low if low else 1 << 62
