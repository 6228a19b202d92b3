"""A compiled function's record and the entry its trampoline calls.

    installed = Installed(compiled, engine, loaded, func, shared, on_death, tracing_changed)
    installed.entry(*slots)           # what the trampoline (install.py) calls
    installed.release(retire=True)    # the function no longer runs the code

- `Installed`: a compiled function as loaded in an engine, holding the
  function weakly, with its entry: a plain entry (positional parameters
  passed in place), one binding keywords again, one passing its own frame's
  slots (code that reads its frame), or a generator's (genentry.py).
- the machine code is a `sharing.Shared`: loaded once for every function
  made from the same code with the same globals and builtins.
- `compiler_state.depth` (runtime/own_code.py): nonzero while pyjit's own
  code runs on this thread; entries run the interpreted code meanwhile, as
  they do for a thread that finds every stack of the engine taken by other
  threads (runtime/stacks.py, NoStackLeft).

The JIT's bookkeeping (jit.py) makes and forgets these records.
"""

from __future__ import annotations

import ctypes
import dataclasses
import sys
import weakref
# The builtins the entry of a compiled function calls, bound now: a program
# may rebind builtins.len and the like, and must not break compiled calls.
from builtins import id as _id, len as _len, tuple as _tuple
from types import FunctionType
from typing import Callable

from . import genentry, install
from .compiler import CompiledFunction
from .cpython import frames
from .cpython.tstate import ENTRY_ROOM, per_thread, recursion_counter
from .options import CompileOptions
from .runtime.own_code import own_code as compiler_state
from .runtime.stacks import NoStackLeft
from .sharing import Shared


class Installed:
    """A compiled function as loaded in an engine, with its entry callable:
    what the trampoline (install.py) calls with every parameter slot.

    It holds the function weakly (`func_ref`; `compiled` is the pipeline's
    record without the function): when the function dies, `_collected`
    forgets it and retires its code.  Nothing the function refers to (its
    trampoline, the entry) refers back to this record."""

    def __init__(self, compiled: CompiledFunction, engine, loaded, func, shared: Shared,
                 on_death: Callable[[int], None], tracing_changed: Callable[[], None]):
        self.compiled = (dataclasses.replace(compiled, func=None) if compiled.func is not None
                         else compiled)
        self.engine, self.loaded = engine, loaded
        self.shared = shared
        key = _id(func)
        # (on_death a default: at exit the modules' globals may be None first)
        self.func_ref = weakref.ref(func, lambda _ref, gone=on_death: gone(key))
        code = self.original = install.original_code(func)
        func_address = _id(func)
        address = loaded.address
        call = engine.call_function
        array_of = _ARRAYS
        interpreted = install.shadow(func)
        addressof, gettrace, getprofile, ids = ctypes.addressof, _gettrace, _getprofile, _ids
        split = install.split_slots
        compiler = compiler_state

        caller_frame = frames.caller_frame
        kind = compiled.hir.generator
        self.code_hold = self.step_cell = None
        if kind is not None:
            # A generator, coroutine or async generator (genentry.py).
            self.step_cell, self.code_hold, entry = genentry.generator_entry(
                kind, code, func_address, interpreted, engine, loaded, shared.hold(),
                tracing_changed, compiled.hir.delegates)
        elif compiled.hir.needs_frame:
            # It reads its own frame: its argument array is the trampoline
            # frame's slots, every parameter bound there (lowering.py).
            nslots = _len(install.parameter_names(code))
            locals_of = frames.locals_address

            def entry(*slots):
                if compiler.depth:
                    return install.call_for_trampoline(interpreted, *split(code, slots))
                if gettrace() is not None or getprofile() is not None:
                    tracing_changed()
                    return install.call_for_trampoline(interpreted, *split(code, slots))
                counter = per_thread.counter
                if counter is None:
                    counter = recursion_counter()
                counter.value += ENTRY_ROOM
                try:
                    frame = caller_frame()
                    return call(address, func_address, locals_of(frame), nslots, 0, frame,
                                ENTRY_ROOM)
                except NoStackLeft:
                    return install.call_for_trampoline(interpreted, *split(code, slots))
                finally:
                    counter.value -= ENTRY_ROOM
        elif install.parameter_names(code) == code.co_varnames[:code.co_argcount]:
            # Plain positional parameters: the slots are the vectorcall's
            # arguments, and the compiled entry takes them in place.
            def entry(*slots):
                if compiler.depth:
                    return install.call_for_trampoline(interpreted, slots, {})
                if gettrace() is not None or getprofile() is not None:
                    tracing_changed()
                    return install.call_for_trampoline(interpreted, slots, {})
                counter = per_thread.counter
                if counter is None:
                    counter = recursion_counter()
                counter.value += ENTRY_ROOM
                try:
                    n = _len(slots)
                    arr = array_of(n)(*ids(slots)) if n else None   # alive until the call returns
                    return call(address, func_address, addressof(arr) if n else 0, n, 0,
                                caller_frame(), ENTRY_ROOM)
                except NoStackLeft:
                    return install.call_for_trampoline(interpreted, slots, {})
                finally:
                    counter.value -= ENTRY_ROOM
        else:
            # *args, keyword-only parameters or **kwargs: a vectorcall with
            # keywords, which the compiled entry binds again.
            def entry(*slots):
                args, kwargs = split(code, slots)
                if compiler.depth:
                    return install.call_for_trampoline(interpreted, args, kwargs)
                if gettrace() is not None or getprofile() is not None:
                    tracing_changed()
                    return install.call_for_trampoline(interpreted, args, kwargs)
                counter = per_thread.counter
                if counter is None:
                    counter = recursion_counter()
                counter.value += ENTRY_ROOM
                try:
                    names = _tuple(kwargs)
                    values = args + _tuple(kwargs.values())
                    arr = array_of(_len(values))(*ids(values)) if values else None   # kept alive
                    return call(address, func_address, addressof(arr) if values else 0,
                                _len(args), _id(names) if names else 0, caller_frame(),
                                ENTRY_ROOM)
                except NoStackLeft:
                    return install.call_for_trampoline(interpreted, args, kwargs)
                finally:
                    counter.value -= ENTRY_ROOM
        self.entry = entry

    def release(self, retire: bool) -> None:
        """This function no longer runs the code, which stays while another
        function shares it or, for a generator body, while a generator of it
        is suspended (sharing.py; retire: only queue the unload)."""
        if self.step_cell is not None:
            self.step_cell[0] = None
        self.code_hold = None
        self.shared.release(retire)


def _ids(values) -> list[int]:
    return [_id(v) for v in values]


_gettrace, _getprofile = sys.gettrace, sys.getprofile


class _ArrayTypes(dict):
    def __missing__(self, n: int):
        t = self[n] = ctypes.c_uint64 * n
        return t

    def __call__(self, n: int):
        return self[n]


_ARRAYS = _ArrayTypes()
