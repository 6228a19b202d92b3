"""UnicornEngine: run compiled AArch64 code against the host's real objects.

    engine = UnicornEngine()
    f = engine.load(code, "f")                  # CompiledCode -> LoadedCode
    result = engine.call_object(f.address, id(x))   # or raw: engine.call(...)

A facade over one Unicorn instance (STYLE.md: lazy hooks, address-ranged
dispatch, typed faults).  What is mapped in the emulator, all at the same
address as in the host:

- the code arena: a host region (`code_arena_size`) committed up front and
  mapped read+exec as one Unicorn region, in which `load` writes linked
  code; its unused and freed pages are zeros, which decode as `udf #0`, so
  a jump there is a fault naming the address.  (One region, not one per
  function: Unicorn 2.1 finds the RAM block of every store by a linear
  search of its blocks, and stores are a large part of what compiled
  code does.)
- the trap table (traps.py): the engine's entry stub and one stub per
  helper, in a reservation `helper_distance` bytes after the arena (by
  default further than `bl` reaches, like a real libpython), and the
  argument block on a data page;
- the stack: an engine-owned host region with a guard page below it;
- host memory, identity-mapped on first touch (identity.py), with the
  stale-page policy applied at each outermost entry.

Hooks: one UC_HOOK_CODE on the trap pad (helper calls), one
UC_HOOK_MEM_UNMAPPED (first touch), one UC_HOOK_MEM_PROT (fault details),
and, only while counting or bounding instructions, one UC_HOOK_BLOCK over
the code arena.  Adding or removing a hook, or writing code where Unicorn
may have translated code before, drops the stale translations.

Calls and nesting
-----------------
`call(address, x0..x3)` writes the arguments to the block and starts
emulation at the entry stub, which loads them, sets sp (outermost entry
only) and calls the code; it ends at `entry_done`.  Unicorn 2.1 supports
`emu_start` from inside a hook (64 levels deep, the outermost included;
checked by tests): a helper may call `call` again, which enters the entry stub's
nested door, on the current emulated stack below the caller's frame.  The
outer call's state survives by AAPCS64 (see traps.py), so no register is
read or written through Unicorn's API on the call path.

Errors
------
Any fault (unmapped or protected access, jump out of the code, CPU
exception, time or instruction limit, a helper breaking its contract) is
recorded once on the engine, stops every nested level, and is raised as
`EmulationFault` by each `call` level up to the outermost, which clears
it.  A Python exception from a helper is not a fault: it is the helper's
failure, stored as the pending exception (errstate.py) while the helper
returns NULL or -1.

Bounds: `timeout` (seconds, default 30; a watchdog thread stops an
outermost call that runs longer; per call cost: a clock read) and
`max_instructions` (per outermost call, counted by the block hook, so it
slows emulation like counting does).  Unicorn's own `timeout` argument is
not used: it starts a thread per `emu_start` (about 140 us) and is not
nesting-safe.

The engine is not thread-safe: use it from one thread.
"""

from __future__ import annotations

import bisect
import ctypes
import threading
import time
from typing import Callable

from unicorn import (UC_ARCH_ARM64, UC_HOOK_BLOCK, UC_HOOK_CODE, UC_HOOK_MEM_PROT,
                     UC_HOOK_MEM_UNMAPPED, UC_MODE_ARM, UC_PROT_EXEC, UC_PROT_READ,
                     UC_PROT_WRITE, Uc, UcError)
from unicorn.arm64_const import UC_ARM64_REG_CPACR_EL1
from unicorn.unicorn_const import (UC_MEM_FETCH_PROT, UC_MEM_FETCH_UNMAPPED, UC_MEM_READ_PROT,
                                   UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_PROT)

from ..aarch64.calls import CodePlacement
from ..aarch64.compiled import CompiledCode
from ..cpython import errstate
from .counts import BlockCounter, Counts
from .engine_faults import FaultDescriptions
from .faults import EmulationFault
from .loaded import LoadedCode
from .symbols import SymbolTable
from ..cpython.helpers import HELPERS
from .hostmem import PAGE, PageArena, Reservation, page_up
from .identity import IdentityMap
from .traps import E_DONE, E_RESULT, E_SP, E_TARGET, E_X0, TrapTable
from .watchdog import Watchdog

_FPEN = 0b11 << 20          # CPACR_EL1.FPEN: no trapping of FP/SIMD instructions
_MASK64 = (1 << 64) - 1
_ACCESS = {UC_MEM_READ_UNMAPPED: "read", UC_MEM_FETCH_UNMAPPED: "fetch",
           UC_MEM_READ_PROT: "read", UC_MEM_WRITE_PROT: "write", UC_MEM_FETCH_PROT: "fetch"}
STALE_POLICIES = ("revalidate", "revalidate_each_helper", "unmap_all")
MAX_NESTING = 63            # Unicorn 2.1 nests emu_start 64 deep, the outermost included
FLUSH_AFTER_NESTED_CALLS = 100_000   # about 75 MB of translations (see call)


class UnicornEngine(FaultDescriptions):
    """See the module docstring.  Settings are keyword arguments:

    code_arena_size: bytes reserved for compiled code (default 64 MiB);
    helper_distance: bytes from the end of the arena to the trap table,
        exactly (default 1 GiB: out of `bl` reach from any arena byte);
    helper_capacity: how many helpers the trap table holds;
    stack_size: the emulated stack (default 1 MiB) above a guard page;
    counting: start with dynamic counts on;
    max_instructions: instruction budget per outermost call, or None;
    timeout: seconds per outermost call, or None;
    stale_policy: "revalidate", "revalidate_each_helper" or "unmap_all"
        (identity.py);
    tcg_buffer_size: host memory Unicorn keeps for translated code (default
        1 GiB of address space, used as translations accumulate).  When
        the buffer fills, Unicorn 2.1.4 flushes it, and a flush while
        emulation is nested (a helper calling compiled code) crashes the
        process.  Each nested entry makes Unicorn translate again (about
        0.75 KB); the engine drops all translations at an outermost entry
        after FLUSH_AFTER_NESTED_CALLS nested ones, so only a single
        outermost call with more than about a million nested calls can
        fill the buffer.
    """

    def __init__(self, *, code_arena_size: int = 64 << 20, helper_distance: int = 1 << 30,
                 helper_capacity: int = 1024, stack_size: int = 1 << 20,
                 counting: bool = False, max_instructions: int | None = None,
                 timeout: float | None = 30.0, stale_policy: str = "revalidate",
                 tcg_buffer_size: int = 1 << 30):
        if stale_policy not in STALE_POLICIES:
            raise ValueError(f"stale_policy must be one of {STALE_POLICIES}, not {stale_policy!r}")
        self.stale_policy = stale_policy
        self._revalidate_each_helper = stale_policy == "revalidate_each_helper"
        self.timeout = timeout
        self._closed = False
        self.uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
        # Unicorn reserves 1 GiB of host address space per instance for
        # translated code unless told otherwise (must come first).
        self.uc.ctl_set_tcg_buffer_size(tcg_buffer_size)
        self.uc.reg_write(UC_ARM64_REG_CPACR_EL1, _FPEN)
        # Reserve arena, distance and traps as one span, keep the two ends:
        # the distance is then exact whatever else the process has mapped.
        if helper_distance < 0:
            raise ValueError("helper_distance must be >= 0 (the traps follow the arena)")
        code_arena_size, helper_distance = page_up(code_arena_size), page_up(helper_distance)
        trap_size = TrapTable.size_for(helper_capacity)
        span = Reservation(code_arena_size + helper_distance + trap_size)
        arena, self._trap_reservation = span.split(
            [(0, code_arena_size), (code_arena_size + helper_distance, trap_size)])
        self._arena = PageArena(arena, committed=True)
        self.traps = TrapTable(self._trap_reservation, helper_capacity)
        self._stack_reservation = Reservation(stack_size + PAGE)
        self.stack_top = self._stack_reservation.end - 16
        stack_lo = self._stack_reservation.start + PAGE       # the page below is the guard
        self._stack_reservation.commit(stack_lo, stack_size)

        uc = self.uc
        traps = self.traps
        uc.mem_map_ptr(arena.start, arena.size, UC_PROT_READ | UC_PROT_EXEC, arena.start)
        uc.mem_map_ptr(traps.code_start, traps.code_end - traps.code_start,
                       UC_PROT_READ | UC_PROT_EXEC, traps.code_start)
        uc.mem_map_ptr(traps.block, PAGE, UC_PROT_READ | UC_PROT_WRITE, traps.block)
        uc.mem_map_ptr(stack_lo, stack_size, UC_PROT_READ | UC_PROT_WRITE, stack_lo)
        self.identity = IdentityMap(uc)
        for r in (self._arena.reservation, self._trap_reservation, self._stack_reservation):
            self.identity.exclude(r.start, r.end)
        for helper in list(HELPERS.values()):
            self.traps.add(helper)

        self._loaded: list[LoadedCode] = []
        self._starts: list[int] = []
        self._symbols = SymbolTable(self.helper_address)
        self._counter = BlockCounter()
        self._depth = 0
        self._thread: int | None = None
        self._fault: EmulationFault | None = None
        self._detail: tuple[str, int, int, str] | None = None
        self._budget = 0
        self._deadline: float | None = None
        self._timed_out = False
        self._watchdog: Watchdog | None = None
        self.trap_calls = 0
        self._nested_calls = 0          # since translations were last dropped
        self._counting = False
        self._max_instructions = max_instructions
        self._block_hook = None
        self._hooks = [
            _add_address_hook(uc, UC_HOOK_CODE, self._on_trap, traps.pad_start, traps.pad_end - 1),
            uc.hook_add(UC_HOOK_MEM_UNMAPPED, self._on_unmapped),
            uc.hook_add(UC_HOOK_MEM_PROT, self._on_protected),
        ]
        self.counting = counting

    # -- placement and symbols ------------------------------------------------------
    def placement(self) -> CodePlacement:
        """Where `load` puts code: every loaded byte lies in [start, end);
        with the addresses of the shared cache routines (loaded on first
        use), which are in the same arena."""
        from . import routines
        routines.prepare_engine(self)
        return CodePlacement(self._arena.start, self._arena.end, routines.routine_symbols(self))

    @property
    def helper_distance(self) -> int:
        """Bytes from the end of the code arena to the trap table."""
        return self.traps.code_start - self._arena.end

    def helper_address(self, name: str) -> int:
        """The trap address of helper `name` (given a stub on first use if
        it was declared after the engine was created)."""
        address = self.traps.address_of(name)
        if address is None:
            helper = HELPERS.get(name)
            if helper is None:
                raise KeyError(f"no helper named {name!r}")
            lo, hi = self.traps.add(helper)
            # The stub and pad words are new code in pages Unicorn may have
            # translated: drop those translations.
            self.uc.ctl_remove_cache(lo, hi)
            address = self.traps.address_of(name)
        return address

    def define_symbol(self, name: str, address: int) -> None:
        """Resolve relocations against `name` to address in later loads."""
        self._symbols.define(name, address)

    def symbol_address(self, name: str) -> int:
        """The address `define_symbol` gave name (KeyError otherwise)."""
        return self._symbols.defined(name)

    def _resolver(self, resolve: Callable[[str], int] | None) -> Callable[[str], int]:
        return self._symbols.resolver(resolve)

    # -- loading ----------------------------------------------------------------------
    def load(self, code: CompiledCode, name: str | None = None,
             resolve: Callable[[str], int] | None = None) -> LoadedCode:
        """Place code in the arena, link it (helpers -> traps, then defined
        symbols, then resolve), and map it read+execute.  Raises LinkError."""
        self._check_open()
        size = len(code.data)
        address = self._arena.alloc(size)
        try:
            linked = code.link(address, self._resolver(resolve))
        except BaseException:
            self._arena.free(address)
            raise
        ctypes.memmove(address, linked, size)
        # Code may have run at this address before (an unloaded function).
        self.uc.ctl_remove_cache(address, address + self._arena.allocation_size(address))
        loaded = LoadedCode(address, size, name or code.name, code)
        i = bisect.bisect_left(self._starts, address)
        self._starts.insert(i, address)
        self._loaded.insert(i, loaded)
        self._counter.add_code(address, address + size, loaded.name, code)
        return loaded

    def unload(self, loaded: LoadedCode) -> None:
        """Unmap and free loaded code, dropping its translations.  Its
        counts stay in `counts()` until `reset_counts`."""
        i = bisect.bisect_left(self._starts, loaded.address)
        if i >= len(self._loaded) or self._loaded[i] is not loaded:
            raise ValueError(f"{loaded!r} is not loaded in this engine")
        if self._depth:
            raise RuntimeError("cannot unload code while emulated code is running")
        mapped_size = self._arena.allocation_size(loaded.address)
        self._arena.free(loaded.address)          # zeros: udf #0
        self.uc.ctl_remove_cache(loaded.address, loaded.address + mapped_size)
        del self._starts[i], self._loaded[i]
        self._counter.remove_code(loaded.address)

    @property
    def loaded(self) -> list[LoadedCode]:
        return list(self._loaded)

    def code_at(self, address: int) -> LoadedCode | None:
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address < self._loaded[i].end:
            return self._loaded[i]
        return None

    # -- calling ------------------------------------------------------------------------
    def call(self, address: int, x0: int = 0, x1: int = 0, x2: int = 0, x3: int = 0) -> int:
        """Run the code at address with x0..x3 and LR returning to the
        engine; return x0 (unsigned 64-bit).  Raises EmulationFault.

        A NULL result's exception is left pending (errstate; see
        call_object).  An outermost call starts with no pending exception
        (one left untaken by a previous call is dropped).  May be called from
        a helper (nested; a nested call starts with no pending exception and
        the caller's is restored after it unless it left one of its own);
        nesting deeper than MAX_NESTING raises RecursionError, which a helper
        turns into a pending exception like any other."""
        result, exc = self._call(address, x0, x1, x2, x3)
        if exc is not None:
            errstate.set_pending(exc)
        return result

    def _call(self, address: int, x0: int, x1: int, x2: int, x3: int):
        """Run the code; (x0, the exception it left pending or None), with
        the pending-exception slot as it was before the call (empty for an
        outermost call)."""
        if self._closed:
            raise RuntimeError("the engine is closed")
        depth = self._depth
        traps = self.traps
        X = traps.X
        saved = None
        if depth == 0:
            self._begin_outermost()
            if self._nested_calls > FLUSH_AFTER_NESTED_CALLS:
                # Unicorn 2.1.4 translates code again on every nested entry
                # (about 0.75 KB each, never reclaimed); a full buffer is
                # flushed, which crashes if it happens while nested.  Here
                # nothing is running: drop the translations.
                self.uc.ctl_flush_tb()
                self._nested_calls = 0
            X[E_SP] = self.stack_top
            start = traps.enter_outer
        else:
            if threading.get_ident() != self._thread:
                raise RuntimeError("UnicornEngine.call from another thread while emulating")
            if depth >= MAX_NESTING:
                raise RecursionError(f"emulated calls nested more than {MAX_NESTING} deep "
                                     "(Unicorn's limit)")
            start = traps.enter_nested
            saved = errstate.take_pending()
            self._nested_calls += 1
        X[E_X0] = x0 & _MASK64
        X[E_X0 + 1] = x1 & _MASK64
        X[E_X0 + 2] = x2 & _MASK64
        X[E_X0 + 3] = x3 & _MASK64
        X[E_TARGET] = address
        X[E_DONE] = 0
        self._depth = depth + 1
        try:
            self.uc.emu_start(start, traps.entry_done)
        except UcError as exc:
            if self._fault is None:
                self._fault = self._fault_from_error(exc)
        finally:
            self._depth = depth
        done, result = X[E_DONE], X[E_RESULT]
        X[E_DONE] = 0
        if self._fault is None and not done:
            self._fault = self._stopped_fault()
        if depth == 0:
            self._end_outermost()
        fault = self._fault
        if fault is not None:
            if depth == 0:
                self._fault = None
            errstate.set_pending(saved)
            raise fault
        # No local may hold the code's exception: its traceback's frames
        # reach this frame through f_back, which would make a cycle.
        return result, _exchange_pending(saved)

    def call_object(self, address: int, x0: int = 0, x1: int = 0, x2: int = 0, x3: int = 0):
        """`call`, with the result taken as a new reference: returns the
        object (owning that reference), or raises the pending exception when
        the result is NULL, as the interpreter does for a C function.  A
        nested call leaves the caller's pending exception as it was."""
        result, exc = self._call(address, x0, x1, x2, x3)
        if result == 0:
            if exc is None:
                raise SystemError(f"code at {address:#x} returned NULL without setting an "
                                  "exception")
            try:
                raise exc
            finally:
                del exc                 # no reference cycle through this frame
        obj = _obj(result)              # a reference of our own...
        _decref(result)                 # ...replaces the one the code returned
        if exc is not None:
            raise SystemError(f"code at {address:#x} returned a result with an exception set") \
                from exc
        return obj

    def _begin_outermost(self) -> None:
        self._thread = threading.get_ident()
        errstate.set_pending(None)
        self._fault = None
        self._detail = None
        if self.stale_policy == "unmap_all":
            self.identity.unmap_all()
        else:
            self.identity.revalidate()
        if self._block_hook is not None:
            self._counter.begin_entry()
            self._budget = self._max_instructions if self._max_instructions is not None else -1
        if self.timeout is not None:
            self._timed_out = False
            self._deadline = time.monotonic() + self.timeout
            if self._watchdog is None:
                self._watchdog = Watchdog(self)
        return None

    def _end_outermost(self) -> None:
        self._deadline = None

    # -- hooks (never raise: a failure becomes the engine's fault) --------------------
    def _on_trap(self, handle, address, size, key) -> None:
        try:
            k = (address - self.traps.pad_start) >> 2
            self.trap_calls += 1
            if self._block_hook is not None and self._counting:
                self._counter.on_helper_call(self.traps.helpers[k].name)
            self.traps.invokers[k]()
            if self._revalidate_each_helper:
                self.identity.revalidate()
        except EmulationFault as fault:
            if self._fault is None:
                self._fault = fault
        except BaseException as exc:   # an engine bug or an interrupt outside any helper
            if self._fault is None:
                self._fault = self._make_fault(f"engine error in helper trap: {exc!r}", address)
                self._fault.__cause__ = exc
        if self._fault is not None:
            self.uc.emu_stop()

    def _on_unmapped(self, uc, access, address, size, value, user_data) -> bool:
        try:
            if access == UC_MEM_FETCH_UNMAPPED:
                self._detail = ("jump to", address, size, "no code there")
                return False
            reason = self.identity.map_access(address, size)
            if reason is None:
                return True
            kind = "read" if access == UC_MEM_READ_UNMAPPED else "write"
            self._detail = (f"{kind} of {size} bytes at", address, size, reason)
        except BaseException as exc:
            self._detail = ("access to", address, size, f"engine error: {exc!r}")
        return False

    def _on_protected(self, uc, access, address, size, value, user_data) -> bool:
        kind = _ACCESS.get(access, "access")
        if access == UC_MEM_WRITE_PROT:
            try:
                if self.identity.recheck_write(address):
                    return True
            except BaseException as exc:
                self._detail = ("write to", address, size, f"engine error: {exc!r}")
                return False
        reason = "not executable (only loaded code is)" if kind == "fetch" else \
            ("read-only" if kind == "write" else "not readable")
        self._detail = (f"{kind} of {size} bytes at" if kind != "fetch" else "jump to",
                        address, size, reason)
        return False

    def _on_block(self, handle, address, size, key) -> None:
        try:
            n = self._counter.on_block(address, size) if self._counting else size >> 2
            if self._budget >= 0:
                self._budget -= n
                if self._budget < 0 and self._fault is None:
                    self._fault = self._make_fault(
                        f"instruction limit exceeded ({self._max_instructions} instructions)",
                        address)
                    self.uc.emu_stop()
        except BaseException as exc:
            if self._fault is None:
                self._fault = self._make_fault(f"engine error in block hook: {exc!r}", address)
            self.uc.emu_stop()

    # -- counting ------------------------------------------------------------------------
    @property
    def counting(self) -> bool:
        return self._counting

    @counting.setter
    def counting(self, on: bool) -> None:
        self._counting = bool(on)
        self._update_block_hook()

    @property
    def max_instructions(self) -> int | None:
        return self._max_instructions

    @max_instructions.setter
    def max_instructions(self, n: int | None) -> None:
        self._max_instructions = n
        self._update_block_hook()

    def _update_block_hook(self) -> None:
        if self._depth:
            raise RuntimeError("cannot change counting while emulated code is running")
        want = self._counting or self._max_instructions is not None
        if want and self._block_hook is None:
            self._block_hook = _add_address_hook(self.uc, UC_HOOK_BLOCK, self._on_block,
                                                 self._arena.start, self._arena.end - 1)
        elif not want and self._block_hook is not None:
            self.uc.hook_del(self._block_hook)
            self._block_hook = None
        else:
            return
        # Translated blocks carry (or lack) the hook call: retranslate.
        self.uc.ctl_flush_tb()

    def counts(self) -> dict[str, Counts]:
        """Dynamic counts per loaded code name since the last reset."""
        return self._counter.counts()

    def reset_counts(self) -> None:
        self._counter.reset()

    # -- the watchdog's side ------------------------------------------------------------
    def _check_deadline(self) -> None:
        deadline = self._deadline
        if deadline is not None and self._depth and time.monotonic() > deadline:
            self._timed_out = True
            self.uc.emu_stop()

    # -- lifetime ---------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the engine is closed")

    def close(self) -> None:
        """Unmap everything from Unicorn and give the host memory back."""
        if self._closed:
            return
        if self._depth:
            raise RuntimeError("cannot close the engine while emulated code is running")
        self._closed = True
        from . import entries
        entries.release(self)              # the pooled ints
        if self._watchdog is not None:
            self._watchdog.stop()
        for loaded in list(self._loaded):
            self.unload(loaded)
        self.identity.unmap_all()
        # Unicorn must not keep pointers into memory we give back.
        for lo, hi, _ in list(self.uc.mem_regions()):
            self.uc.mem_unmap(lo, hi - lo + 1)
        for r in (self._arena.reservation, self._trap_reservation, self._stack_reservation):
            r.release()

    def __enter__(self) -> UnicornEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _add_address_hook(uc: Uc, htype: int, callback: Callable, begin: int, end: int) -> int:
    """Add a UC_HOOK_CODE or UC_HOOK_BLOCK calling callback(handle, address,
    size, key) for addresses in [begin, end].

    The binding's hook_add wraps a callback in three Python frames (an
    exception guard, an argument adapter, then the callback), which is half
    the cost of a helper trap (0.65 -> 0.33 us for an empty helper,
    measured here).  Our callbacks never raise, so they are registered as
    the ctypes callback itself through the binding's own registration
    routine (which also keeps the callback alive for hook_del).  If a
    future binding lacks it, the public hook_add is used."""
    try:
        from unicorn.unicorn_py3.unicorn import HOOK_CODE_CFUNC
        register = uc._Uc__do_hook_add
    except (ImportError, AttributeError):
        return uc.hook_add(htype, lambda uc, address, size, data: callback(None, address, size, None),
                           begin=begin, end=end)
    return register(htype, HOOK_CODE_CFUNC(callback), begin, end)


_obj = __import__("_ctypes").PyObj_FromPtr
_decref = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))


def _exchange_pending(restore: BaseException | None) -> BaseException | None:
    """Take the pending exception and make `restore` pending instead."""
    exc = errstate.take_pending()
    errstate.set_pending(restore)
    return exc
