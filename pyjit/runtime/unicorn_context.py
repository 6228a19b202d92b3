"""Emulation contexts: the Unicorn instances a UnicornEngine runs code in.

    chain = ThreadChain(engine)          # one per thread that calls compiled code
    ctx = chain.context(0)               # its first context (made on first use)

An `EmulationContext` is one Unicorn instance (uc_api.Emulator) with
everything that belongs to one thread's emulation and nothing else:

- the engine's code arena and trap code, mapped read+execute (the same
  host memory in every context: loaded code is shared);
- its own argument block: a host page of its own mapped at the trap
  table's block address (traps.py), so two threads never share argument
  slots;
- its own identity map (identity.py) of host memory, and the stacks its
  thread has used, mapped on first use;
- its hooks: the helper trap, the TLB fills (tlb_fill.py: in machine code
  where the host allows, with the first touch of host memory,
  native_first_touch.py; else, and for what that declines, in Python:
  first touches, protection, refusals), and (while counting or bounding
  instructions) the block hook.  No memory hook: one would keep every
  store on Unicorn's slow path.

A `ThreadChain` is what one thread has: its contexts, in nesting order,
the context running now (`current`), the stack of its outermost entry, the
first fault of the current call, the instruction budget and deadline, and
its recursion counter (cpython/tstate.py).  A helper that calls compiled
code enters the running context again (a nested emu_start); Unicorn nests
64 deep, so past NEST_PER_CONTEXT levels the next entry takes the thread's
next context (made on first use), on the same stack just below the
caller's frame.  Nesting is bounded by Python's recursion limit and the
stack, not by Unicorn.

Invariants: a context is used by one thread only (its chain's), and by
every other thread only for what the engine does to all contexts under the
GIL (dropping translations of new or unloaded code, adding or removing the
block hook while no code runs, closing).  Every call into Unicorn keeps the
GIL (uc_api.py).  A chain's contexts are closed when its thread ends (a
finalizer on what the thread-local holds) or when the engine closes.

Hooks never raise (an exception escaping a ctypes callback is printed and
lost): they enter quietly (no signal handler runs before their `try`), a
helper's failure is the helper binding's business, an engine error or a
helper's broken contract becomes the chain's fault (raised by the engine
at every nesting level), and an asynchronous exception (interrupts.py) is
deferred, the hook's work done all the same.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import BaseException, len, set, type

import ctypes
import weakref
from functools import partial
from sys import is_finalizing as _is_finalizing

from unicorn import (UC_HOOK_BLOCK, UC_HOOK_CODE, UC_HOOK_TLB_FILL, UC_PROT_EXEC, UC_PROT_READ,
                     UC_PROT_WRITE)

from ..cpython import tstate
from ..cpython.tstate import quiet_entry
from ..cpython import interrupts
from . import collector
from .emulation_lock import take
from .engine_faults import FaultDescriptions
from .faults import EmulationFault
from .hostmem import PAGE, PROT_READ, PROT_WRITE, mmap_anonymous, munmap
from .identity import CHUNK, IdentityMap
from . import tlb_fill
from .native_first_touch import NativeFirstTouch
from .own_code import own_code
from .traps import TrapTable
from .tlb_fill import TLB_PAGE
from .uc_api import FP, LR, PC, SP, code_hook, fill_hook, make_emulator

FPEN = 0b11 << 20          # CPACR_EL1.FPEN: no trapping of FP/SIMD instructions
_KIND = {UC_PROT_READ: "read", UC_PROT_WRITE: "write"}
NEST_PER_CONTEXT = 63       # Unicorn 2.1 nests emu_start 64 deep, the outermost included
MEMORY_HOOK_FRAMES = 50     # recursion allowance of a memory hook (identity mapping's frames),
                            # on the frame counter and the C counter alike


class ThreadChain:
    """One thread's emulation state and contexts (module docstring).  Made
    by the engine on the thread's first call; `close()` closes its
    contexts (idempotent)."""

    def __init__(self, engine):
        self.engine = engine
        self.contexts: list[EmulationContext] = []
        self.current: EmulationContext | None = None
        self.levels = 0                   # emu_start levels running, over all contexts
        self.stack = None                 # the stacks.Stack of the outermost entry
        self.collecting = False           # the collector ran before the outermost entry (collector.py)
        self.held_collector = False       # the running emulation paused it; its helpers resume it
        self.fault: EmulationFault | None = None
        self.budget = -1                  # instructions left (-1: unbounded)
        self.deadline: float | None = None
        self.counter = tstate.recursion_counter()
        self.c_counter = tstate.c_recursion_counter()    # None where there is none
        self.c_base = 0                   # c_counter at the outermost entry
        self.c_stack_limit = tstate.c_stack_soft_limit()   # None where not measured
        self.closed = False

    def context(self, i: int) -> EmulationContext:
        """The thread's i-th context (i <= len(contexts)), made on first use."""
        if i == len(self.contexts):
            self.contexts.append(EmulationContext(self.engine, self, i))
        return self.contexts[i]

    def close(self) -> None:
        self.closed = True
        for ctx in self.contexts:
            ctx.close()
        self.contexts.clear()


class ThreadOwner:
    """What the engine's thread-local holds for a thread: its chain, closed
    by a finalizer when the thread ends (the chain itself is in reference
    cycles with its contexts, so it cannot be the finalizer's target)."""

    __slots__ = ("chain", "__weakref__")

    def __init__(self, chain: ThreadChain):
        self.chain = chain
        # A weak reference's callback rather than weakref.finalize, whose
        # Python code calls builtins a program may have rebound.  Not at
        # exit: a daemon thread may still be inside emulated code.
        _owner_refs.add(weakref.ref(self, partial(_owner_gone, chain)))


_owner_refs: set = set()             # the weak references, alive until they fire


def _owner_gone(chain: ThreadChain, ref: weakref.ref, owners=_owner_refs,
                finalizing=_is_finalizing) -> None:
    # (defaults: at exit this module's globals may be None before the owner dies)
    owners.discard(ref)
    if not finalizing():
        chain.close()


class EmulationContext(FaultDescriptions):
    """One Unicorn instance of an engine (module docstring)."""

    def __init__(self, engine, chain: ThreadChain, index: int):
        self.engine, self.chain, self.index = engine, chain, index
        self.block = 0
        self.depth = 0                    # emu_start levels running in this instance
        # per level running here (the first `depth`), outermost first: the
        # sp it was entered with through enter_nested (the paused level below
        # pushed x29 and x30 under it), or 0; set without a call (unicorn_engine)
        self.entry_sps: list[int] = [0] * NEST_PER_CONTEXT
        self.trap_calls = 0
        self.emu = make_emulator(engine.tcg_buffer_size, FPEN)
        try:
            self._set_up(engine)
        except BaseException:           # an error, or a signal handler: nothing leaks
            self.close()
            raise
        engine._contexts.add(self)

    def _set_up(self, engine) -> None:
        traps = engine.traps
        emu = self.emu
        self.block = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE)
        self.X, self.S, self.D = TrapTable.block_views(self.block)
        arena = engine._arena
        emu.mem_map_ptr(arena.start, arena.end - arena.start, UC_PROT_READ | UC_PROT_EXEC,
                        arena.start)
        emu.mem_map_ptr(traps.code_start, traps.code_end - traps.code_start,
                        UC_PROT_READ | UC_PROT_EXEC, traps.code_start)
        emu.mem_map_ptr(traps.block, PAGE, UC_PROT_READ | UC_PROT_WRITE, self.block)
        self.first_touch = NativeFirstTouch() if engine.native_first_touch else None
        self.perms = tlb_fill.PermsCache(self.first_touch)
        self.identity = IdentityMap(emu, engine.host_maps, self.first_touch, self.perms)
        for lo, hi in engine.excluded_ranges():
            self.identity.exclude(lo, hi)
        if self.first_touch is not None:
            if not engine.host_maps.refreshes:      # the kernel's special mappings are refused
                engine.host_maps.refresh()
            self.identity.refresh_native()
        self._stacks_mapped: set[int] = set()
        self.flushed_at = engine.unloaded_bytes
        self._detail: tuple[str, int, int | None, str, int] | None = None
        self._pad_start = traps.pad_start
        self._invokers = traps.invokers
        self._helpers = traps.helpers
        self._counter = engine._counter
        self._emulating = engine._emulating
        self._counting = False
        self._revalidate_each_helper = engine.stale_policy == "revalidate_each_helper"
        self._block_hook = None
        emu.hook_add(UC_HOOK_CODE, code_hook(self._on_trap), traps.pad_start, traps.pad_end - 1)
        # No memory hook: its mere presence keeps stores on Unicorn's slow path
        # (tlb_fill.py).  TLB misses go to the fill hooks, the native one
        # first (Unicorn asks them in the order added).
        self.nowhere = traps.code_start - PAGE      # never mapped (traps.py: the exit)
        self.fixed = ((arena.start, arena.end, UC_PROT_READ | UC_PROT_EXEC),
                      (traps.code_start, traps.code_end, UC_PROT_READ | UC_PROT_EXEC),
                      (traps.block, traps.block + PAGE, UC_PROT_READ | UC_PROT_WRITE))
        if tlb_fill.SUPPORTED:
            emu.hook_add(UC_HOOK_TLB_FILL, tlb_fill.hook_address(), user_data=self.perms.address)
        emu.hook_add(UC_HOOK_TLB_FILL, fill_hook(self._on_fill))
        self.set_block_hook(engine.counting, engine.max_instructions is not None)

    # -- what the engine asks ----------------------------------------------------------
    def stack_pointer(self) -> int:
        """sp of this instance (for a nested entry: the trapping caller's)."""
        return self.emu.reg_read(SP)

    def left_at(self, level: int) -> tuple[int, int, int]:
        """(x30, sp, x29) of this instance's level `level` (below depth) at
        the call that paused it: the registers, for the
        innermost level; else what the next level's entry pushed."""
        if level + 1 < self.depth:
            sp = self.entry_sps[level + 1]
            pushed = (ctypes.c_uint64 * 2).from_address(sp - 16)
            return pushed[1], sp, pushed[0]
        emu = self.emu
        return emu.reg_read(LR), emu.reg_read(SP), emu.reg_read(FP)

    def map_stack(self, stack) -> None:
        """Map a stack (stacks.Stack) the thread runs on, once."""
        if stack.low not in self._stacks_mapped:
            self.emu.mem_map_ptr(stack.low, stack.top - stack.low, UC_PROT_READ | UC_PROT_WRITE,
                                 stack.low)
            self._stacks_mapped.add(stack.low)
            self.fixed += ((stack.low, stack.top, UC_PROT_READ | UC_PROT_WRITE),)

    def start(self) -> None:
        """This instance is entered at its first level: apply the stale-page
        policy, and drop all translations when enough code was unloaded
        since the last time (unloaded code's translations are invalid but
        keep their room in the translation buffer until a flush, which is
        only safe here, with nothing of this instance running)."""
        engine = self.engine
        if engine.stale_policy == "unmap_all":
            self.identity.unmap_all()
        else:
            self.identity.revalidate()
        if engine.unloaded_bytes - self.flushed_at > engine.flush_after_unloaded:
            self.emu.flush_tb()
            self.flushed_at = engine.unloaded_bytes

    def remove_cache(self, lo: int, hi: int) -> None:
        self.emu.remove_cache(lo, hi)

    def set_block_hook(self, counting: bool, budget: bool) -> None:
        """Add or remove the block hook (counting or an instruction budget);
        never while this instance runs.  Translated blocks carry (or lack)
        the hook call: they are dropped when it changes."""
        self._counting = counting
        want = counting or budget
        if want == (self._block_hook is not None):
            return
        arena = self.engine._arena
        if want:
            self._block_hook = self.emu.hook_add(UC_HOOK_BLOCK, code_hook(self._on_block),
                                                 arena.start, arena.end - 1)
        else:
            self.emu.hook_del(self._block_hook)
            self._block_hook = None
        self.emu.flush_tb()

    def close(self) -> None:
        """Close the Unicorn instance and give the block page back."""
        if self.emu.handle:
            self.engine._retire_context(self)
            self.emu.close()
        if self.block:
            block, self.block = self.block, 0
            munmap(block, PAGE)

    # -- hooks -------------------------------------------------------------------------
    def _on_trap(self, handle, address, size, key) -> None:
        k = (address - self._pad_start) >> 2
        self.trap_calls += 1
        if self._counting:          # before the helper: charged to the calling block
            self._count_helper(k, address)
        done = False
        own = own_code              # the program's code runs compiled in the helper (own_code.py)
        marked = own.depth
        # Other threads may emulate while the helper runs.  Given up and taken
        # back while own.depth is marked: compiled code a signal handler calls
        # at those check points runs in the interpreter, and leaves the block
        # (the helper's arguments, then its result) alone.
        lock = self._emulating
        try:
            lock.release()
        except BaseException as exc:      # a signal handler, once released
            self._hook_error(exc, address)
        chain = self.chain
        held = chain.held_collector
        if held:                    # collections happen in helpers, as in the interpreter's C
            try:
                collector.resume()
            except BaseException as exc:      # a signal handler, once it resumed
                self._hook_error(exc, address)
        own.depth = 0
        try:
            self._invokers[k](self.X, self.S, self.D)
            done = True
            if self._revalidate_each_helper:
                self.identity.revalidate()
        except EmulationFault as fault:
            if self.chain.fault is None:
                self.chain.fault = fault
        except BaseException as exc:
            if done:
                self._hook_error(exc, address)
            elif self.chain.fault is None:     # the invoker never raises but faults
                fault = self.chain.fault = self.make_fault(
                    f"engine error in helper trap: {exc!r}", address)
                fault.__cause__ = exc
        own.depth = marked
        if held:                    # (a helper that switched the collector off keeps it off)
            try:
                chain.held_collector = False
                chain.held_collector = collector.running()
                if chain.held_collector:
                    collector.pause()
            except BaseException as exc:      # a signal handler
                self._hook_error(exc, address)
        try:
            lock.acquire()
        except BaseException as exc:      # a signal handler, while waiting or once it is held
            self._hook_error(exc, address)
            self._hold(lock, address)
        if self.chain.fault is not None:
            self._stop()

    def _hold(self, lock, address: int) -> None:
        try:
            if not lock._is_owned():
                take(lock)
        except BaseException as exc:      # a second one
            self._hook_error(exc, address)

    def _count_helper(self, k: int, address: int) -> None:
        # (with room: compiled code may call a helper with none of the
        # recursion limit left: UnicornEngine.RECURSION_KEEP)
        counter = self.chain.counter
        counter.value += MEMORY_HOOK_FRAMES
        try:
            self._counter.on_helper_call(self._helpers[k].name)
        except BaseException as exc:
            self._hook_error(exc, address)
        finally:
            counter.value -= MEMORY_HOOK_FRAMES

    def _stop(self) -> None:
        """Stop this instance's emulation (a fault is recorded)."""
        try:
            self.emu.emu_stop()
        except BaseException as exc:        # a signal handler, after the stop
            interrupts.defer(exc)

    def _hook_error(self, exc: BaseException, address: int) -> None:
        """An exception in a hook's own code: deferred if asynchronous, else
        the chain's fault (an engine bug)."""
        if interrupts.is_asynchronous(exc):
            interrupts.defer(exc)
        elif self.chain.fault is None:
            fault = self.chain.fault = self.make_fault(f"engine error in a hook: {exc!r}", address)
            fault.__cause__ = exc

    def _on_fill(self, handle, address, access, entry, user_data) -> bool:
        """A TLB miss the native hook declined (tlb_fill.py): the page's
        physical address and permissions into entry, mapping the page on
        first touch; False refuses the access (the detail says why)."""
        try:
            return self._guarded(self._fill, access, address, entry.contents)
        except BaseException:           # only a second interruption gets here
            self._detail = ("access to", address, None, "interrupted twice in the memory hook",
                            None)
            return False

    def _guarded(self, work, access: int, address: int, entry) -> bool:
        """work(access, address, entry) with room on the recursion counter;
        when an asynchronous exception interrupts it, the exception is
        deferred, the identity map's record resynchronized with Unicorn
        (the work may have stopped between a change and its record), and
        the work done again; an engine error refuses the access with the
        error as its detail.  Straight-line code: its first check point is
        inside the first try."""
        counter, c_counter = self.chain.counter, self.chain.c_counter
        counter.value += MEMORY_HOOK_FRAMES
        if c_counter is not None:
            c_counter.value += MEMORY_HOOK_FRAMES
        try:
            try:
                return work(access, address, entry)
            except BaseException as exc:
                if not self._recover(exc, address):
                    return False
            try:
                return work(access, address, entry)
            except BaseException as exc:
                if not self._recover(exc, address):
                    return False
            return work(access, address, entry)
        finally:
            counter.value -= MEMORY_HOOK_FRAMES
            if c_counter is not None:
                c_counter.value -= MEMORY_HOOK_FRAMES

    def _recover(self, exc: BaseException, address: int) -> bool:
        """After exc interrupted a memory hook's work: True (try again) when
        exc is asynchronous, deferred; False (refuse the access) for an
        engine error, recorded as the detail."""
        if not interrupts.is_asynchronous(exc):
            self._refuse("access to", address, f"engine error: {self._engine_error(exc, address)}")
            return False
        interrupts.defer(exc)
        self.identity.resync(self.emu.mem_regions())
        return True

    def _engine_error(self, exc: BaseException, address: int) -> str:
        """exc (Unicorn's error names itself only in str) with what Unicorn
        and the identity map have around address."""
        around = (address & ~(CHUNK - 1)) - CHUNK, (address & ~(CHUNK - 1)) + 2 * CHUNK
        try:
            regions = [f"[{lo:#x}, {hi:#x}) perms {p}" for lo, hi, p in self.emu.mem_regions()
                       if lo < around[1] and hi > around[0]]
        except BaseException:           # noqa: BLE001 - a description only
            regions = ["(Unicorn's regions unreadable)"]
        chunks = [f"[{lo:#x}, {hi:#x})" for lo, hi, _ in self.identity.chunks
                  if lo < around[1] and hi > around[0]]
        return (f"{type(exc).__name__}: {exc}; Unicorn maps {', '.join(regions) or 'nothing'} "
                f"there, the identity map {', '.join(chunks) or 'nothing'}")

    def _fill(self, access: int, address: int, entry) -> bool:
        """Fill entry for an access of kind `access` at address's page;
        False when refused (with the detail)."""
        want = tlb_fill.WANT[access]
        if want == UC_PROT_EXEC:
            for lo, hi, perms in self.fixed:
                if lo <= address < hi and perms & UC_PROT_EXEC:
                    page = address & -TLB_PAGE
                    self.perms.put(page, page + TLB_PAGE, perms)
                    entry.paddr, entry.perms = address, perms
                    return True
            # Not code: a physical page Unicorn has nothing at, so that a
            # jump there faults as unmapped (engine_faults) and Unicorn's
            # own fetch fills (its invalidation of a page being unmapped,
            # the page before `until`) find no code.  A refused fill would
            # raise in the middle of those.  The page before `until` is
            # nowhere's own (traps.py, "The exit"), filled after every
            # emu_start: cached, the native hook answers it (its paddr, the
            # address, lies on nowhere's page too).
            if address & -TLB_PAGE == self.nowhere:
                self.perms.put(self.nowhere, self.nowhere + TLB_PAGE, UC_PROT_EXEC)
            entry.paddr, entry.perms = self.nowhere, UC_PROT_EXEC
            return True
        page = address & -TLB_PAGE
        for lo, hi, perms in self.fixed:
            if lo <= page < hi:
                self.perms.put(page, page + TLB_PAGE, perms)
                break
        else:
            identity = self.identity
            chunk = identity.covering(page)
            if chunk is None:
                reason = identity.map_access(page, 1)
                if reason is not None:
                    self._refuse(_KIND[want], address, reason)
                    return False
                chunk = identity.covering(page)
            if want == UC_PROT_WRITE and not chunk[2] & UC_PROT_WRITE and \
                    identity.recheck_write(page):
                chunk = identity.covering(page)
            lo, hi, perms = chunk
            self.perms.put(lo, hi, perms)
        if not perms & want:
            self._refuse(_KIND[want], address,
                         "read-only" if want == UC_PROT_WRITE else "not readable")
            return False
        entry.paddr, entry.perms = address, perms
        return True

    def _refuse(self, what: str, address: int, why: str) -> None:
        """Record why an access at address was refused, for the fault of
        the instruction at pc now (Unicorn restored pc before the fill;
        a fill that was only Unicorn's probe faults nothing, and its detail
        is not used for a later fault elsewhere)."""
        self._detail = (what, address, None, why, self.emu.reg_read(PC))

    def _on_block(self, handle, address, size, key) -> None:
        chain = self.chain
        try:
            n = self._counter.on_block(address, size) if self._counting else size >> 2
            if chain.budget >= 0:
                chain.budget -= n
                if chain.budget < 0 and chain.fault is None:
                    chain.fault = self.make_fault(
                        f"instruction limit exceeded ({self.engine.max_instructions} "
                        "instructions)", address)
        except BaseException as exc:
            self._hook_error(exc, address)
        if chain.fault is not None:
            self._stop()


# What runs between compiled code and a helper, or outside any try of a
# hook, enters without a signal check (cpython/tstate.quiet_entry).
for _fn in (EmulationContext._on_trap, EmulationContext._on_fill, EmulationContext._on_block,
            EmulationContext._count_helper, EmulationContext._stop, EmulationContext._hold,
            EmulationContext._hook_error, EmulationContext._guarded,
            EmulationContext._recover):
    quiet_entry(_fn)
del _fn
