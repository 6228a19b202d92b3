"""UnicornEngine: run compiled AArch64 code against the host's real objects.

    engine = UnicornEngine()
    f = engine.load(code, "f")                  # CompiledCode -> LoadedCode
    result = engine.call_object(f.address, id(x))   # or raw: engine.call(...)

What every engine does alike (loading bookkeeping, symbols, the call path's
exception rules, lifetime, deferred unloads) is Engine's (engine.py).  What
the emulator sees, all at the same address as in the host:

- the code arena: a host region (`code_arena_size`) committed up front and
  mapped read+exec as one Unicorn region, in which `load` writes linked
  code; its unused and freed pages are zeros, which decode as `udf #0`, so
  a jump there is a fault naming the address.  (One region, not one per
  function: Unicorn 2.1 finds the RAM block of every store by a linear
  search of its blocks, and stores are a large part of what compiled
  code does.)
- the trap table (traps.py): the entry stub and one stub per helper, in a
  reservation `helper_distance` bytes after the arena (by default further
  than `bl` reaches, like a real libpython), and an argument block;
- the stacks (stacks.py): the primary stack, whose bottom the stack limit
  of direct calls is computed from, and thread stacks below it;
- host memory, identity-mapped on first touch (identity.py), with the
  stale-page policy applied at each context's first-level entry.

Threads and the GIL
-------------------
Emulation holds the GIL: Unicorn is entered through a ctypes prototype
that keeps it (uc_api.py), as the native engine enters compiled code, so
emulated code changes reference counts exactly as interpreted code would,
with the GIL held.  A memory hook's Python code may give the GIL up in the
middle of a routine, so first touches of host memory are mapped in
machine code where the host allows (native_first_touch.py), and one thread
at a time emulates: a thread holds the
engine's emulation lock (emulation_lock.py) while it runs emulated code and
its hooks, and gives it up around helper calls, where another thread may
run, and then runs on its own emulation context.  Each thread that calls
compiled code gets a chain of contexts (unicorn_context.py: its own
Unicorn instances, argument block, identity map), made on its first call
and closed when the thread ends or the engine closes; loaded code, symbols
and counts are the engine's, shared.  A thread's outermost entry takes a
stack (the primary one if free, else a thread stack below the stack limit,
so that thread's calls between compiled functions go through the generic
path).  Counts are exact for one thread; threads running compiled code at
once interleave their blocks in the shared counter.

Calls and nesting
-----------------
`call(address, x0..x3)` writes the arguments to the context's block and
starts emulation at the entry stub, which loads them, sets sp (a context's
first level only) and calls the code; it ends at `entry_done`.  A helper
may call `call` again: the running context is entered again (Unicorn 2.1
supports emu_start from a hook, 64 levels deep), on the current emulated
stack below the caller's frame; past NEST_PER_CONTEXT levels the thread's
next context takes over, on the same stack.  The outer call's state
survives by AAPCS64 (traps.py), so no register is written through
Unicorn's API on the call path.  A nested entry with less than
`nested_reserve` bytes of stack left raises RecursionError.  While compiled
code runs, the engine's own Python frames (the trampoline, entry,
call_object and _run above it, the hook and invoker of a helper below it)
are added back to the thread's recursion counter: a compiled activation
counts as one frame, as the interpreted one did, so recursion through
compiled and interpreted frames reaches the interpreter's recursion limit
and `sys.setrecursionlimit` holds (cpython/tstate.py).  Where the version
counts C recursion apart (3.12's c_recursion_remaining, which an
interpreted call between Python functions does not touch), each level runs
with the count the thread's outermost entry had: the emulated and host
stack checks above stand for it.

Errors
------
Any fault (unmapped or protected access, jump out of the code, CPU
exception, time or instruction limit, a helper breaking its contract) is
recorded once on the thread's chain, stops every nested level, and is
raised as `EmulationFault` by each `call` level up to the outermost, which
clears it.  A Python exception from a helper is not a fault: it is the
helper's failure, stored as the pending exception (errstate.py) while the
helper returns NULL or -1; an asynchronous one raised in the engine's own
code is deferred (interrupts.py).

Memory
------
Per call the engine allocates nothing that outlives it; translations are
Unicorn's: the exit block is never retranslated (traps.py, "The exit"), and
the translations of unloaded code, which Unicorn invalidates but does not
reclaim, are dropped wholesale at a context's next first-level entry once
`flush_after_unloaded` bytes of code were unloaded since its last flush.

Bounds: none by default.  `timeout` (seconds per outermost call: Unicorn's
own timer thread stops the emulation, about 140 us a call) and
`max_instructions` (per outermost call, counted by the block hook, so it
slows emulation like counting does) are for benchmarks that want them.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import (
    AttributeError, BaseException, ImportError, KeyError, RecursionError, RuntimeError,
    ValueError, bool, id, int, list, max, reversed, set, sorted, sum, super,
)
import os
import threading
import time

from ..cpython import errstate
from ..cpython.tstate import (C_CALLBACK_RESERVE, C_STACK_CALLBACK_RESERVE, ENTRY_FROM_C_COUNTS,
                              quiet_entry)
from ..cpython import interrupts
from . import collector
from .activations import MARK_LEVEL, marks as _marks
from .routines import compiled_return
from .own_code import own_code
from .counts import BlockCounter, Counts
from . import host_stack
from . import emulation_lock
from .emulation_lock import give, take
from .engine import CALL_FRAMES, ENGINE_ROOM, Engine
from .faults import EmulationFault
from .loaded import LoadedCode
from ..cpython.helpers import HELPERS
from .hostmem import PAGE, HostMaps, PageArena, Reservation, page_up
from .native_first_touch import SUPPORTED as NATIVE_FIRST_TOUCH
from .placement import CODE_ARENA_SIZE
from .stacks import EngineStacks
from .traps import E_DONE, E_RESULT, E_SP, E_TARGET, E_X0, TrapTable
from .uc_api import TIMERS, emu_start, keep_spares
from .unicorn_context import (FPEN, NEST_PER_CONTEXT, EmulationContext, ThreadChain,
                               ThreadOwner)

_MASK64 = (1 << 64) - 1
STALE_POLICIES = ("revalidate", "revalidate_each_helper", "unmap_all")
MAX_NESTING = NEST_PER_CONTEXT       # per context; a thread nests as deep as its stack allows
NESTED_RESERVE = 64 << 10            # emulated stack a nested entry must leave
HOST_STACK_RESERVE = 256 << 10       # host C stack a nested entry must leave...
HOST_CHECK_EVERY = 4                 # ...checked every few levels (host_stack.py)
# Unicorn instances kept ready for the contexts a call under a time limit
# makes while its timers run (uc_api.py, "Unicorn's timer and new
# instances"): enough for 4 * 63 nesting levels past the thread's contexts.
TIMER_SPARES = 4
# Recursion the interpreter counts below _run while a helper runs, which it
# would not count for an interpreted call: the hook's and the invoker's
# frames, and what entering Python from C costs the frame counter (3.11:
# one each, 3.12: nothing) for the hook and for the Python code the helper
# calls (measured: tests/semantics).  With Engine.CALL_FRAMES, a compiled
# activation counts as one frame.
HOOK_FRAMES = 2 + 2 * ENTRY_FROM_C_COUNTS
# What _run takes back from Engine.ENGINE_ROOM while compiled code runs.
EMULATION_GIVEBACK = ENGINE_ROOM - CALL_FRAMES - HOOK_FRAMES
FLUSH_AFTER_UNLOADED = 1 << 20       # bytes of unloaded code before a context flushes (measured:
                                     # about 1.4 KB of translations per KB unloaded)


def _check_c_stack(soft_limit: int) -> None:
    """RecursionError where the C stack has less than C_STACK_CALLBACK_RESERVE
    bytes left above the interpreter's soft limit (3.14 measures C
    recursion on the stack; tstate.py)."""
    left = host_stack.here() - soft_limit
    if left < C_STACK_CALLBACK_RESERVE:
        raise RecursionError("maximum recursion depth exceeded: compiled code needs "
                             f"{C_STACK_CALLBACK_RESERVE >> 10} KiB of C stack, "
                             f"{max(left, 0) >> 10} KiB are left")


class _Local(threading.local):
    owner: ThreadOwner | None = None


class UnicornEngine(Engine):
    """See the module docstring (and Engine's, for what every engine
    does alike).  Settings are keyword arguments:

    code_arena_size: bytes reserved for compiled code (default 64 MiB);
    helper_distance: bytes from the end of the arena to the trap table,
        exactly, at least a page (default 1 GiB: out of `bl` reach);
    helper_capacity: how many helpers the trap table holds;
    stack_size: the primary emulated stack (default 1 MiB);
    thread_stacks, thread_stack_size: how many threads may be inside
        compiled code at once besides the primary stack's (default 64), and
        the size of their stacks (default stack_size);
    nested_reserve: stack a nested entry must leave (RecursionError below);
    counting: start with dynamic counts on;
    max_instructions: instruction budget per outermost call, or None;
    timeout: seconds per outermost call, or None (default: no limit);
    stale_policy: "revalidate", "revalidate_each_helper" or "unmap_all"
        (identity.py);
    native_first_touch: map host memory on first touch in machine code
        where it can (native_first_touch.py; default: on hosts that have
        it), or always in the Python hook (False);
    tcg_buffer_size: host memory each Unicorn instance keeps for
        translated code (default 1 GiB of address space, used as
        translations accumulate);
    flush_after_unloaded: bytes of unloaded code after which a context
        drops all its translations at its next first-level entry.
    """

    _WHAT_RUNS = "emulated code"
    # A call between compiled functions is refused where the interpreter
    # would refuse it (routines.py): compiled code's count carries
    # HOOK_FRAMES above the interpreter's, for the trap's own frames, and
    # a helper's binding has room for the rest of its work.
    RECURSION_KEEP = HOOK_FRAMES

    def __init__(self, *, code_arena_size: int = CODE_ARENA_SIZE, helper_distance: int = 1 << 30,
                 helper_capacity: int = 1024, stack_size: int = 1 << 20,
                 thread_stacks: int = 64, thread_stack_size: int | None = None,
                 nested_reserve: int = NESTED_RESERVE, counting: bool = False,
                 max_instructions: int | None = None, timeout: float | None = None,
                 stale_policy: str = "revalidate", tcg_buffer_size: int = 1 << 30,
                 flush_after_unloaded: int = FLUSH_AFTER_UNLOADED,
                 native_first_touch: bool = NATIVE_FIRST_TOUCH):
        if stale_policy not in STALE_POLICIES:
            raise ValueError(f"stale_policy must be one of {STALE_POLICIES}, not {stale_policy!r}")
        if native_first_touch and not NATIVE_FIRST_TOUCH:
            raise ValueError("native_first_touch: this host has no native first-touch hook "
                             "(x86-64 Linux 6.11 or later, with PROCMAP_QUERY on /proc/self/maps)")
        self.native_first_touch = native_first_touch
        code_arena_size, helper_distance = page_up(code_arena_size), page_up(helper_distance)
        if helper_distance < PAGE:
            raise ValueError("helper_distance must be at least a page: the page before the "
                             "trap table stays unmapped (traps.py, 'The exit')")
        self.stale_policy = stale_policy
        self.timeout = timeout
        self.tcg_buffer_size = tcg_buffer_size
        self.flush_after_unloaded = flush_after_unloaded
        self.nested_reserve = nested_reserve
        # Reserve arena, distance and traps as one span, keep the two ends:
        # the distance is then exact whatever else the process has mapped.
        trap_size = TrapTable.size_for(helper_capacity)
        span = Reservation(code_arena_size + helper_distance - PAGE + trap_size)
        arena, self._trap_reservation = span.split(
            [(0, code_arena_size), (code_arena_size + helper_distance - PAGE, trap_size)])
        super().__init__(PageArena(arena, committed=True))
        self.traps = TrapTable(self._trap_reservation, helper_capacity)
        for helper in list(HELPERS.values()):
            self.traps.add(helper)
        self._stacks = EngineStacks(stack_size, thread_stacks, thread_stack_size or stack_size)
        # The names entries.stack_limit reads (both engines).
        self._stack_reservation = self._stacks.primary_reservation
        self.stack_top = self._stacks.primary.top
        self.host_maps = HostMaps()
        self._counter = BlockCounter()
        self._counting = False
        self._max_instructions = max_instructions
        self._contexts: set[EmulationContext] = set()
        self._local = _Local()
        self._inside = 0                  # threads inside emulated code
        self._emulating = threading.RLock()   # held while a thread emulates (emulation_lock.py)
        emulation_lock.register(self)
        self.unloaded_bytes = 0
        self._retired_trap_calls = 0      # of closed contexts
        self._enter_outer, self._enter_nested = self.traps.enter_outer, self.traps.enter_nested
        self._exit = self.traps.entry_done
        self.counting = counting

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
            for ctx in list(self._contexts):
                ctx.remove_cache(lo, hi)
            address = self.traps.address_of(name)
        return address

    # -- contexts ---------------------------------------------------------------------
    def excluded_ranges(self) -> list[tuple[int, int]]:
        """What no context identity-maps: the engine's own reservations."""
        out = [(r.start, r.end) for r in (self._arena.reservation, self._trap_reservation,
                                          self._stacks.primary_reservation)]
        if self._stacks.thread_reservation is not None:
            r = self._stacks.thread_reservation
            out.append((r.start, r.end))
        return out

    def _chain(self) -> ThreadChain:
        """The calling thread's chain, made on its first call."""
        owner = self._local.owner
        if owner is None:
            self._check_open()
            owner = self._local.owner = ThreadOwner(ThreadChain(self))
        return owner.chain

    def _retire_context(self, ctx: EmulationContext) -> None:
        self._contexts.discard(ctx)
        self._retired_trap_calls += ctx.trap_calls

    @property
    def identity(self):
        """The identity map of the calling thread's first context."""
        return self._chain().context(0).identity

    @property
    def trap_calls(self) -> int:
        """Helper traps taken, over every context, ever."""
        return self._retired_trap_calls + sum(ctx.trap_calls for ctx in self._contexts)

    # -- loading ----------------------------------------------------------------------
    def _make_executable(self, address: int, size: int) -> None:
        """The arena is mapped read+execute as a whole: drop what any
        context translated at this address before (an unloaded function's
        code)."""
        end = address + self._arena.allocation_size(address)
        for ctx in list(self._contexts):
            ctx.remove_cache(address, end)

    def _register(self, loaded: LoadedCode) -> LoadedCode:
        super()._register(loaded)
        self._counter.add_code(loaded.address, loaded.end, loaded.name, loaded.code)
        return loaded

    def _free_code(self, loaded: LoadedCode) -> None:
        """Free loaded code (its pages become zeros: `udf #0`) and drop its
        translations.  Its counts stay in `counts()` until `reset_counts`."""
        mapped_size = self._arena.allocation_size(loaded.address)
        self._arena.free(loaded.address)
        for ctx in list(self._contexts):
            ctx.remove_cache(loaded.address, loaded.address + mapped_size)
        self._counter.remove_code(loaded.address)
        self.unloaded_bytes += mapped_size

    def _running(self) -> bool:
        return self._inside != 0

    def _after_fork_in_child(self) -> None:
        """Only the forking thread exists in the child: what the others
        held (their stacks, their count inside emulated code) is free."""
        owner = self._local.owner
        chain = owner.chain if owner is not None else None
        inside = chain is not None and chain.current is not None
        self._inside = 1 if inside else 0
        self._stacks.after_fork(chain.stack if inside else None)

    # -- calling ------------------------------------------------------------------------
    def _run(self, address: int, x0: int, x1: int, x2: int, x3: int):
        """Run the code from the entry stub (Engine._run's contract), in the
        calling thread's current context, or its next one past
        NEST_PER_CONTEXT levels.  Raises EmulationFault for any fault, at
        every nesting level up to the outermost; RecursionError when less
        than nested_reserve bytes of emulated stack (or HOST_STACK_RESERVE
        of the thread's C stack) are left.

        A signal handler may raise at any check point here: before the
        emulation the exception leaves _run with the engine's state as it
        was (the code did not run); once the emulation returned it is
        deferred (interrupts.py), and call_object raises it.  Compiled code
        such a handler (or a finalizer) calls runs in the interpreter while
        this sets up the outermost entry and from the emulation's return to
        the end (own_code.py): only the helpers' code, which the emulation
        is paused in, may enter the engine again."""
        owner = self._local.owner
        chain = owner.chain if owner is not None else self._chain()
        previous = ctx = chain.current
        own = own_code
        marked = False
        if ctx is None:                                  # the thread's outermost entry
            own.depth += 1
            marked = True
            chain.collecting = False                     # (collector.py: the order matters)
            try:
                chain.collecting = collector.running()
                if chain.collecting:
                    collector.pause()
                if self._closed:
                    raise RuntimeError("the engine is closed")
                if chain.c_counter is not None and chain.c_counter.value < C_CALLBACK_RESERVE:
                    raise RecursionError("maximum recursion depth exceeded")
                if chain.c_stack_limit is not None:
                    _check_c_stack(chain.c_stack_limit.value)
                ctx = chain.contexts[0] if chain.contexts else chain.context(0)
                errstate.set_pending(None)
                chain.stack = self._stacks.acquire()     # (no check point between these
                self._inside += 1                        # and the try: _end undoes both)
            except BaseException:
                own.depth -= 1
                if chain.collecting:
                    collector.resume()
                raise
            door = self._enter_outer
            sp = 0
        else:
            sp = ctx.stack_pointer()
            if chain.c_stack_limit is not None:          # (C recursion between levels)
                _check_c_stack(chain.c_stack_limit.value)
            if sp - chain.stack.low < self.nested_reserve:
                raise RecursionError("compiled code nested too deep: less than "
                                     f"{self.nested_reserve >> 10} KiB of emulated stack left")
            if chain.levels % HOST_CHECK_EVERY == 0 and host_stack.left() < HOST_STACK_RESERVE:
                raise RecursionError("compiled code nested too deep: less than "
                                     f"{HOST_STACK_RESERVE >> 10} KiB of the thread's C stack "
                                     "left")
            if ctx.depth >= NEST_PER_CONTEXT:            # Unicorn's limit: the next context
                ctx = chain.context(ctx.index + 1)
                ctx.map_stack(chain.stack)
                sp &= ~15
                door = self._enter_outer
            else:
                door = self._enter_nested
        saved = None
        try:
            if previous is None:
                sp = self._begin(chain, ctx)
            else:
                saved = errstate.take_pending()
            X = ctx.X
            timeout_us = 0
            if ctx.depth == 0:
                ctx.start()
                X[E_SP] = sp
                if chain.deadline is not None:
                    timeout_us = max(1, int((chain.deadline - time.monotonic()) * 1e6))
            X[E_X0] = x0 & _MASK64
            X[E_X0 + 1] = x1 & _MASK64
            X[E_X0 + 2] = x2 & _MASK64
            X[E_X0 + 3] = x3 & _MASK64
            X[E_TARGET] = address
            X[E_DONE] = 0
            counter, c_counter = chain.counter, chain.c_counter
            chain.current = ctx
            ctx.depth += 1
            # (no call from here to the try: a call is a check point)
            ctx.entry_sps[ctx.depth - 1] = sp if door is self._enter_nested else 0
            mark = _marks.top                            # (activations.MARK_LEVEL)
            if mark is not None and mark[MARK_LEVEL] is None:
                mark[MARK_LEVEL] = (ctx, ctx.depth - 1)
            chain.levels += 1
            counter.value -= EMULATION_GIVEBACK
            if c_counter is not None:                    # each level at the outermost's count
                c_left = c_counter.value
                if previous is None:
                    chain.c_base = c_left
                c_counter.value = chain.c_base
            if timeout_us:
                TIMERS[0] += 1                           # (uc_api.py: no instance made meanwhile)
            if previous is None and chain.collecting:
                try:
                    collector.resume()
                except BaseException as exc:             # a signal handler, once it resumed
                    interrupts.defer(exc)
            if not marked:                               # (a handler at the lock's check point runs
                                                         # compiled code in the interpreter)
                own.depth += 1
                marked = True
            held = chain.held_collector                  # paused while the code runs, resumed
            chain.held_collector = False                 # in its helpers (_on_trap)
            try:                                         # (collector.py: the order matters)
                chain.held_collector = collector.running()
                if chain.held_collector:
                    collector.pause()
            except BaseException as exc:                 # a signal handler, once it paused
                interrupts.defer(exc)
            lock = self._emulating
            try:
                take(lock)                               # (waits for a thread emulating)
                status = emu_start(ctx.emu.handle, door, self._exit, timeout_us, 0)
            except BaseException as exc:                 # a signal handler, once it returned
                interrupts.defer(exc)
                status = 0
            finally:
                give(lock)
                if chain.held_collector:
                    try:
                        collector.resume()
                    except BaseException as exc:         # a signal handler, once it resumed
                        interrupts.defer(exc)
                chain.held_collector = held
                if timeout_us:
                    TIMERS[0] -= 1
                if c_counter is not None:
                    c_counter.value = c_left
                counter.value += EMULATION_GIVEBACK
                chain.levels -= 1
                ctx.depth -= 1
                chain.current = previous
                if previous is None:                     # (the state is consistent again)
                    try:
                        chain.collecting = collector.running()
                        if chain.collecting:
                            collector.pause()
                    except BaseException as exc:         # a signal handler
                        interrupts.defer(exc)
            done, result = X[E_DONE], X[E_RESULT]
            X[E_DONE] = 0
            if status or not done or chain.fault is not None:
                self._raise_fault(chain, ctx, status, done, previous is None, saved)
            return result, saved
        except BaseException:
            if saved is not None and errstate.pending() is None:
                errstate.set_pending(saved)              # a nested call leaves it as it was
            raise
        finally:
            if previous is None:
                self._end(chain)
                if chain.collecting:
                    try:
                        collector.resume()
                    except BaseException as exc:         # a signal handler, once it resumed
                        interrupts.defer(exc)
            if marked:
                own.depth -= 1

    def left_at(self, level) -> int | None:
        """Engine.left_at: from the registers of the level's Unicorn
        instance, or what the next level's entry pushed, through the
        routines' frames."""
        ctx, index = level
        stack = ctx.chain.stack
        if stack is None or index >= ctx.depth:
            return None
        x30, sp, x29 = ctx.left_at(index)
        return compiled_return(self, x30, sp, x29, stack.low, stack.top)

    def _begin(self, chain: ThreadChain, ctx: EmulationContext) -> int:
        """A thread's outermost entry, once it holds a stack: start clean;
        returns the initial sp."""
        stack = chain.stack
        ctx.map_stack(stack)
        chain.fault = None
        if self._max_instructions is not None or self._counting:
            self._counter.begin_entry()
            chain.budget = self._max_instructions if self._max_instructions is not None else -1
        if self.timeout is not None:
            # Contexts this call makes while its timers run are spares made now.
            keep_spares(self.tcg_buffer_size, FPEN, TIMER_SPARES)
        chain.deadline = None if self.timeout is None else time.monotonic() + self.timeout
        return stack.top

    def _end(self, chain: ThreadChain) -> None:
        """The thread's outermost entry returns (normally or not).  Entered
        quietly; the state is consistent before the one call it makes."""
        self._inside -= 1
        stack, chain.stack = chain.stack, None
        chain.deadline = None
        chain.fault = None
        try:
            self._stacks.release(stack)
        except BaseException as exc:        # a signal handler, once it was released
            interrupts.defer(exc)

    def _raise_fault(self, chain: ThreadChain, ctx: EmulationContext, status: int, done: int,
                     outermost: bool, saved) -> None:
        fault = chain.fault
        if fault is None:
            if status:
                fault = ctx.fault_from_status(status)
            elif not done:
                timed_out = chain.deadline is not None and time.monotonic() >= chain.deadline
                fault = ctx.stopped_fault(timed_out, self.timeout)
            chain.fault = fault
        if fault is None:
            return
        errstate.set_pending(saved)
        raise fault

    # -- counting ------------------------------------------------------------------------
    @property
    def counting(self) -> bool:
        return self._counting

    @counting.setter
    def counting(self, on: bool) -> None:
        self._set_block_hooks(bool(on), self._max_instructions)
        self._counter.profiling = self._counting

    @property
    def max_instructions(self) -> int | None:
        return self._max_instructions

    @max_instructions.setter
    def max_instructions(self, n: int | None) -> None:
        self._set_block_hooks(self._counting, n)

    def _set_block_hooks(self, counting: bool, max_instructions: int | None) -> None:
        if self._inside:
            raise RuntimeError("cannot change counting while emulated code is running")
        self._counting, self._max_instructions = counting, max_instructions
        for ctx in list(self._contexts):
            ctx.set_block_hook(counting, max_instructions is not None)

    def counts(self) -> dict[str, Counts]:
        """Dynamic counts per loaded code name since the last reset."""
        return self._counter.counts()

    def reset_counts(self) -> None:
        self._counter.reset()

    # -- lifetime ---------------------------------------------------------------------------
    def _release(self) -> None:
        """Close every context and give the host memory back."""
        for ctx in list(self._contexts):
            ctx.chain.close()
        for r in (self._arena.reservation, self._trap_reservation):
            r.release()
        self._stacks.release_memory()


# Called from a finally clause with the engine's state half undone: no signal
# handler may run before its first statement.
quiet_entry(UnicornEngine._end)
