"""Helpers under the native engine: where a helper's symbol resolves to.

- A helper whose implementation is a C-API function resolves to that
  function's real address in the running CPython
  (`ctypes.cast(ctypes.pythonapi[name], c_void_p).value`): compiled code
  calls it directly, with the GIL held (the engine enters compiled code
  through a ctypes prototype that keeps it), and a failure leaves its
  exception in the thread state's real error indicator, as in C.
- A helper implemented in Python resolves to a ctypes *callback* (a
  CFUNCTYPE thunk): C code calling it runs the same implementation the
  Unicorn engine runs (helper_binding.bind).  A ctypes callback takes the
  GIL itself (PyGILState_Ensure, a no-op on the thread that already holds
  it); CFUNCTYPE and PYFUNCTYPE differ only for calls *from* Python (whether
  the GIL is released around the foreign call), which these are not.
  Arguments arrive as raw values: pointers as unsigned 64-bit integers (so
  NULL is 0, not None), int64 as signed, doubles as floats.  Compiled
  code calls it through a stub of the engine's (native_routines.py,
  `pyjit_python_helper`) that gives the callback's own frames room on the
  recursion counter; the callback's address is a word of the engine's
  callback table, the stub's index.

Each callback enters quietly (no signal handler runs before its `try`) and
first calls `errstate.surface()`: compiled code may call a
Python helper right after a C-API helper failed (to release references on
an error path, or to inspect the error: err_occurred, fetch_exception...),
and Python code must not run with the real indicator set.  A helper that
breaks its contract (EmulationFault from the binding: a "cannot fail"
helper raised, or a bad result) cannot stop a real CPU: the callback hands
the fault to the engine (`on_fault`, raised by the engine when the
outermost call returns) and returns the helper's failure value.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import BaseException, KeyError, RuntimeError, ValueError, len, range
import ctypes
from typing import Callable

from ..cpython import errstate
from ..cpython.tstate import per_thread, quiet_entry
from ..cpython import interrupts
from .faults import EmulationFault
from .helper_binding import bind
from ..cpython.helpers import HELPERS, Helper

# Recursion room the stub (native_routines.py) adds beyond the callback's
# own frames, for surface()'s calls; `run` gives it back for the helper.
SURFACE_ROOM = 10

_ARG_TYPES = {"obj": ctypes.c_uint64, "obj_or_null": ctypes.c_uint64, "ptr": ctypes.c_uint64,
              "int64": ctypes.c_int64, "double": ctypes.c_double}
_RESULT_TYPES = {"obj": ctypes.c_uint64, "borrowed": ctypes.c_uint64, "int": ctypes.c_int,
                 "bool": ctypes.c_int, "int64": ctypes.c_int64, "double": ctypes.c_double,
                 "void": None}


def c_api_address(name: str) -> int:
    """The address of the C-API function `name` in the running CPython."""
    return ctypes.cast(ctypes.pythonapi[name], ctypes.c_void_p).value


def callback(helper: Helper, on_fault: Callable[[Helper, EmulationFault], None]):
    """The ctypes callback running Python helper `helper` (keep it alive as
    long as code may call its address)."""
    if helper.is_c:
        raise ValueError(f"{helper.name} is a C-API function: call it at its address")
    raw = bind(helper)
    surface = errstate.surface
    failure = None if helper.result == "void" else helper.failure_value()
    defer = interrupts.defer

    # Entered quietly (no signal handler runs before the first try); raw
    # catches everything but EmulationFault.  surface() comes first: Python
    # code run with the real indicator set may clear it (an attribute
    # lookup that misses the type cache does).  A signal handler raising at
    # surface's entry is deferred (interrupts.py); one raising right after
    # its check is taken for the real indicator and lands in the slot, which
    # call_object then raises as the call's exception.
    # The stub gave SURFACE_ROOM more than the helper's frames need, for
    # surface(), which calls C through ctypes: given back before the call.
    if helper.result == "void":
        def run(*args):
            try:
                surface()
            except BaseException as exc:
                defer(exc)
            room = per_thread.counter
            room.value -= SURFACE_ROOM
            try:
                raw(*args)
            except EmulationFault as fault:
                on_fault(helper, fault)
            except BaseException as exc:      # a second interruption
                defer(exc)
            finally:
                room.value += SURFACE_ROOM
    else:
        def run(*args):
            try:
                surface()
            except BaseException as exc:
                defer(exc)
            room = per_thread.counter
            room.value -= SURFACE_ROOM
            try:
                return raw(*args)
            except EmulationFault as fault:
                on_fault(helper, fault)
                return failure
            except BaseException as exc:      # a second interruption
                defer(exc)
                return failure
            finally:
                room.value += SURFACE_ROOM
    quiet_entry(run)
    run.__name__ = run.__qualname__ = f"native_{helper.name}"
    prototype = ctypes.CFUNCTYPE(_RESULT_TYPES[helper.result],
                                 *(_ARG_TYPES[kind] for kind in helper.args))
    return prototype(run)


class NativeHelpers:
    """Helper addresses for one engine: C-API addresses, and callbacks made
    on first use and kept for the life of the engine (an address handed to
    code must stay valid: a callback is never dropped before `close`)."""

    def __init__(self, on_fault: Callable[[Helper, EmulationFault], None], table, stubs: int,
                 stub_size: int):
        """table: the callback table (a ctypes array of words the stubs
        read); stubs: the address of stub 0, stub_size apart."""
        self._on_fault = on_fault
        self._addresses: dict[str, int] = {}
        self._callbacks: dict[str, object] = {}
        self._table = table
        self._stubs = stubs
        self._stub_size = stub_size

    def address(self, name: str) -> int:
        address = self._addresses.get(name)
        if address is None:
            helper = HELPERS.get(name)
            if helper is None:
                raise KeyError(f"no helper named {name!r}")
            if helper.is_c:
                address = c_api_address(helper.impl)
            else:
                index = len(self._callbacks)
                if index == len(self._table):
                    raise RuntimeError(f"no stub left for Python helper {name!r}: the native "
                                       f"engine has {len(self._table)}")
                thunk = self._callbacks[name] = callback(helper, self._on_fault)
                self._table[index] = ctypes.cast(thunk, ctypes.c_void_p).value
                address = self._stubs + index * self._stub_size
            self._addresses[name] = address
        return address

    def name_at(self, address: int) -> str | None:
        """The helper whose address this is, if any was handed out."""
        for name, value in self._addresses.items():
            if value == address:
                return name
        return None

    def clear(self) -> None:
        for index in range(len(self._table)):
            self._table[index] = 0
        self._addresses.clear()
        self._callbacks.clear()
