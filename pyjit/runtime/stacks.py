"""The stacks compiled code runs on, under either engine.

Compiled code compares sp (or an address on its stack) with one constant,
the engine's stack limit (entries.STACK_LIMIT_SYMBOL): above it, calls
between compiled functions are direct machine-code calls; below it, they go
through PyObject_Vectorcall and a nested engine entry, which the engine
bounds (a nested entry raises RecursionError when little stack is left).
One constant needs stacks at known addresses, so the outermost entry of a
thread switches to a stack the engine owns.  Natively, helpers called from
compiled code (C-API functions, Python callbacks, the interpreter they may
run) run on it too; under Unicorn the stack holds the emulated frames only,
and it is identity-mapped in every emulation context that uses it.

Layout, one reservation, low to high addresses:

    [guard][thread stack 1] ... [guard][thread stack N] [guard][primary stack]

- the *primary* stack is the one the stack limit is computed from
  (`primary_reservation` is its guard page and body: the attributes the
  engines expose as `_stack_reservation` and `stack_top`); a thread that
  enters compiled code while no other thread is inside takes it;
- a thread entering while another one holds the primary stack (the other
  released the GIL inside a helper) takes a *thread stack*: every one lies
  below the limit, so that thread's calls between compiled functions all
  take the generic path (correct, slower), and its recursion is bounded
  like any nested entry.  When all N are taken the entry raises
  NoStackLeft before anything ran: a compiled function's entry then runs
  the call in the interpreter (installed.py), as a thread past the limit
  would run there anyway; a generator's step, which cannot, raises it.

Invariants: a stack is used by one thread at a time (acquired and released
by the outermost entry of the thread, with the GIL held: there is no check
point, where the interpreter could switch threads or run a signal handler,
between a test of the bookkeeping and its update); guard pages are never
made accessible; thread stacks are committed on first use and kept (only
the pages a thread touched cost memory).
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import BaseException, RuntimeError, len, list, range, set
import ctypes
import threading
from dataclasses import dataclass

from ..cpython.tstate import quiet_entry, thread_state_address
from . import activations as _activations
from .hostmem import PAGE, Reservation, page_up

_get_ident = threading.get_ident


class NoStackLeft(RuntimeError):
    """Every stack of the engine is in use by another thread."""


@dataclass(frozen=True)
class Stack:
    """[low, top): usable bytes of one stack (its guard page lies below low)."""

    low: int
    top: int
    primary: bool


class EngineStacks:
    """The primary stack and `thread_stacks` thread stacks (module docstring)."""

    def __init__(self, size: int, thread_stacks: int = 4, thread_stack_size: int | None = None):
        size = page_up(size)
        thread_size = page_up(thread_stack_size or size)
        lower = thread_stacks * (PAGE + thread_size)
        span = Reservation(lower + PAGE + size)
        parts = span.split([(0, lower), (lower, PAGE + size)] if lower else [(0, PAGE + size)])
        self.thread_reservation = parts[0] if lower else None
        self.primary_reservation = parts[-1]
        low = self.primary_reservation.start + PAGE
        self.primary_reservation.commit(low, size)
        self.primary = Stack(low, self.primary_reservation.end, True)
        self._thread_size = thread_size
        self._slots = thread_stacks
        self._free_slots = list(range(thread_stacks - 1, -1, -1))
        self._committed: set[int] = set()
        self._primary_busy = False
        # Two words the call routines read (activations.py): the head of the
        # chain of calls between compiled functions on the primary stack,
        # and the thread state of the thread holding it, which those calls
        # count against; and that thread's identity.
        self.activations = (ctypes.c_uint64 * 2)()
        self.primary_owner: int | None = None
        _activations.register(self)

    def _thread_stack(self, slot: int) -> Stack:
        base = self.thread_reservation.start + slot * (PAGE + self._thread_size)
        low = base + PAGE
        if slot not in self._committed:
            self.thread_reservation.commit(low, self._thread_size)
            self._committed.add(slot)
        return Stack(low, low + self._thread_size, False)

    def acquire(self) -> Stack:
        """A stack for the outermost entry of the calling thread."""
        thread = _get_ident()         # (check points: before anything changes)
        thread_state = thread_state_address()
        if not self._primary_busy:
            self._primary_busy = True
            self.primary_owner = thread
            self.activations[1] = thread_state
            return self.primary
        if not self._free_slots:
            raise NoStackLeft(f"too many threads inside compiled code at once (the engine's "
                              f"thread_stacks setting: {self._slots})")
        slot = self._free_slots[-1]
        del self._free_slots[-1]
        try:
            return self._thread_stack(slot)
        except BaseException:         # an interrupt while committing it: the slot stays free
            self._free_slots.append(slot)
            raise

    def release(self, stack: Stack) -> None:
        """Give back what acquire gave (entered quietly: a signal handler
        cannot raise before the bookkeeping is updated)."""
        if stack.primary:
            self._primary_busy = False
            self.primary_owner = None
            self.activations[0] = 0           # (what a fault left behind)
        else:
            base = stack.low - PAGE
            self._free_slots.append((base - self.thread_reservation.start)
                                    // (PAGE + self._thread_size))

    def after_fork(self, kept: Stack | None) -> None:
        """In a forked child, where only the forking thread exists: every
        stack is free but `kept` (the one that thread holds, if any)."""
        self._primary_busy = kept is not None and kept.primary
        self.primary_owner = _get_ident() if self._primary_busy else None
        if not self._primary_busy:
            self.activations[0] = 0
        held = None if kept is None or kept.primary else \
            (kept.low - PAGE - self.thread_reservation.start) // (PAGE + self._thread_size)
        self._free_slots = [s for s in range(self._slots - 1, -1, -1) if s != held]

    def in_use(self) -> bool:
        """True while any thread is inside compiled code (holds a stack)."""
        return self._primary_busy or len(self._free_slots) < self._slots

    def release_memory(self) -> None:
        for r in (self.thread_reservation, self.primary_reservation):
            if r is not None:
                r.release()


quiet_entry(EngineStacks.release)
