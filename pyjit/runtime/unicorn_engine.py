"""UnicornEngine: run compiled AArch64 code against the host's real objects.

    engine = UnicornEngine()
    f = engine.load(code, "f")                  # CompiledCode -> LoadedCode
    result = engine.call_object(f.address, id(x))   # or raw: engine.call(...)

A facade over one Unicorn instance (STYLE.md: lazy hooks, address-ranged
dispatch, typed faults); what every engine does alike (loading
bookkeeping, symbols, the call path's exception rules, lifetime) is
Engine's (engine.py).  What is mapped in the emulator, all at the same
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

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import (
    AttributeError, BaseException, ImportError, KeyError, RecursionError, RuntimeError, ValueError,
    bool, list, super,
)
import threading
import time
from typing import Callable

from unicorn import (UC_ARCH_ARM64, UC_HOOK_BLOCK, UC_HOOK_CODE, UC_HOOK_MEM_PROT,
                     UC_HOOK_MEM_UNMAPPED, UC_MODE_ARM, UC_PROT_EXEC, UC_PROT_READ,
                     UC_PROT_WRITE, Uc, UcError)
from unicorn.arm64_const import UC_ARM64_REG_CPACR_EL1
from unicorn.unicorn_const import (UC_MEM_FETCH_PROT, UC_MEM_FETCH_UNMAPPED, UC_MEM_READ_PROT,
                                   UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_PROT)

from ..cpython import errstate
from .counts import BlockCounter, Counts
from .engine import Engine
from .engine_faults import FaultDescriptions
from .faults import EmulationFault
from .loaded import LoadedCode
from ..cpython.helpers import HELPERS
from .hostmem import PAGE, PageArena, Reservation, page_up
from .identity import IdentityMap
from .placement import CODE_ARENA_SIZE
from .traps import E_DONE, E_RESULT, E_SP, E_TARGET, E_X0, TrapTable
from .watchdog import Watchdog

_FPEN = 0b11 << 20          # CPACR_EL1.FPEN: no trapping of FP/SIMD instructions
_MASK64 = (1 << 64) - 1
_ACCESS = {UC_MEM_READ_UNMAPPED: "read", UC_MEM_FETCH_UNMAPPED: "fetch",
           UC_MEM_READ_PROT: "read", UC_MEM_WRITE_PROT: "write", UC_MEM_FETCH_PROT: "fetch"}
STALE_POLICIES = ("revalidate", "revalidate_each_helper", "unmap_all")
MAX_NESTING = 63            # Unicorn 2.1 nests emu_start 64 deep, the outermost included
FLUSH_AFTER_NESTED_CALLS = 100_000   # about 75 MB of translations (see _run)


class UnicornEngine(FaultDescriptions, Engine):
    """See the module docstring (and Engine's, for what every engine
    does alike).  Settings are keyword arguments:

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

    _WHAT_RUNS = "emulated code"

    def __init__(self, *, code_arena_size: int = CODE_ARENA_SIZE, helper_distance: int = 1 << 30,
                 helper_capacity: int = 1024, stack_size: int = 1 << 20,
                 counting: bool = False, max_instructions: int | None = None,
                 timeout: float | None = 30.0, stale_policy: str = "revalidate",
                 tcg_buffer_size: int = 1 << 30):
        if stale_policy not in STALE_POLICIES:
            raise ValueError(f"stale_policy must be one of {STALE_POLICIES}, not {stale_policy!r}")
        self.stale_policy = stale_policy
        self._revalidate_each_helper = stale_policy == "revalidate_each_helper"
        self.timeout = timeout
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
        super().__init__(PageArena(arena, committed=True))
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
        if timeout is not None:
            # Now rather than at the first call: starting a thread runs
            # threading's Python code, which calls builtins a program may
            # have rebound by then.
            self._watchdog = Watchdog(self)

    # -- helpers --------------------------------------------------------------------
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

    # -- loading ----------------------------------------------------------------------
    def _make_executable(self, address: int, size: int) -> None:
        """The arena is mapped read+execute as a whole: drop what Unicorn
        translated at this address before (an unloaded function's code)."""
        self.uc.ctl_remove_cache(address, address + self._arena.allocation_size(address))

    def _register(self, loaded: LoadedCode) -> LoadedCode:
        super()._register(loaded)
        self._counter.add_code(loaded.address, loaded.end, loaded.name, loaded.code)
        return loaded

    def _free_code(self, loaded: LoadedCode) -> None:
        """Free loaded code (its pages become zeros: `udf #0`) and drop its
        translations.  Its counts stay in `counts()` until `reset_counts`."""
        mapped_size = self._arena.allocation_size(loaded.address)
        self._arena.free(loaded.address)
        self.uc.ctl_remove_cache(loaded.address, loaded.address + mapped_size)
        self._counter.remove_code(loaded.address)

    def _running(self) -> bool:
        return self._depth != 0

    # -- calling ------------------------------------------------------------------------
    def _run(self, address: int, x0: int, x1: int, x2: int, x3: int):
        """Run the code from the entry stub (Engine._run's contract).  Raises
        EmulationFault for any fault, at every nesting level up to the
        outermost; RecursionError nested more than MAX_NESTING deep."""
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
        return result, saved

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
        self._counter.profiling = self._counting
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
    def _release(self) -> None:
        """Unmap everything from Unicorn and give the host memory back."""
        if self._watchdog is not None:
            self._watchdog.stop()
        self.identity.unmap_all()
        # Unicorn must not keep pointers into memory we give back.
        for lo, hi, _ in list(self.uc.mem_regions()):
            self.uc.mem_unmap(lo, hi - lo + 1)
        for r in (self._arena.reservation, self._trap_reservation, self._stack_reservation):
            r.release()


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

