"""The entries of compiled generators, coroutines and async generators.

The trampoline of such a function (install.py) calls its entry with the
parameter slots; the entry returns the delegate of the trampoline's
`yield from`/`await` (cpython/genbody.py), whose step runs the compiled
body once through the engine with (saved, sent, thrown).

Code lifetime: every suspended activation resumes the body's code, so it
stays loaded while anything refers to a step: the entry, until the
function is uncompiled or dies (which empties the entry's cell: a finished
generator keeps the trampoline's code, and so the entry, alive, and must
not keep the body's code loaded), and each live delegate.  Each step
holds the hold of the body's shared code (sharing.py: one for every
function made from the same code), whose death, once no function is
installed with the body either, lets the code go (idle, or retired:
Engine.retire only queues), wherever that happens.
"""

from __future__ import annotations

# Bound at import: the entry is on the call path and a program may rebind
# builtins.
from builtins import id as _id, len
import ctypes
import sys
from typing import Callable

from . import install
from .cpython.genbody import AsyncGeneratorBody, GeneratorBody
from .cpython.tstate import ENTRY_ROOM, per_thread, recursion_counter

_ARRAY3 = ctypes.c_uint64 * 3
# The step's frame, which resuming an interpreted generator does not have
# (the delegate's method stands for the entry's, engine.CALL_FRAMES):
# counted back while the body runs (measured: tests/semantics/
# test_recursion_limit.py).
STEP_FRAMES = 1
_gettrace, _getprofile = sys.gettrace, sys.getprofile


def generator_entry(kind: str, code, func_address: int, interpreted, engine, loaded, hold,
                    tracing_changed: Callable[[], None],
                    delegates: dict[int, int]) -> tuple[list, object, Callable]:
    """(the entry's cell to the step, the hold, the entry) of a compiled
    body of this kind loaded as loaded, for the function at func_address
    (the body's x0): the entry runs `interpreted` (a function object of
    the original code) when the cell is empty or a tracer or profiler is
    set (calling tracing_changed first then).  delegates: the body's
    `yield from` points (hir Function.delegates)."""
    address = loaded.address
    call, addressof = engine.call_function, ctypes.addressof
    body_class = AsyncGeneratorBody if kind == "async generator" else GeneratorBody
    split = install.split_slots

    def step(saved, sent, thrown, frame, _hold=hold):
        # Room for this entry's own work (tstate.ENTRY_ROOM), and the count
        # back for this frame while the body runs (STEP_FRAMES).
        counter = per_thread.counter
        if counter is None:
            counter = recursion_counter()
        counter.value += ENTRY_ROOM + STEP_FRAMES
        try:
            arr = _ARRAY3(_id(saved), _id(sent), _id(thrown))
            return call(address, func_address, addressof(arr), 3, 0, frame, ENTRY_ROOM)
        finally:
            counter.value -= ENTRY_ROOM + STEP_FRAMES

    cell = [step]
    del step

    def entry(*slots):
        body_step = cell[0]
        if body_step is None or _gettrace() is not None or _getprofile() is not None:
            if body_step is not None:
                tracing_changed()
            args, kwargs = split(code, slots)
            return interpreted(*args, **kwargs)
        counter = per_thread.counter              # room for making the delegate
        if counter is None:
            counter = recursion_counter()
        counter.value += ENTRY_ROOM
        try:
            return body_class(body_step, (0, None) + slots, kind, delegates)
        finally:
            counter.value -= ENTRY_ROOM

    return cell, hold, entry
