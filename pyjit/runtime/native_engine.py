"""NativeEngine: run compiled AArch64 code on the CPU, on AArch64 Linux.

    engine = NativeEngine()
    f = engine.load(code, "f")                      # CompiledCode -> LoadedCode
    result = engine.call_object(f.address, id(x))   # or raw: engine.call(...)

The same public surface as UnicornEngine (load, unload, call, call_object,
placement, helper_address, define_symbol, loaded, code_at, close): both are
Engines (engine.py), which hold what they do alike; this module holds how
code is written, entered and released on the CPU.  And the same machine
code: `load` only links the CompiledCode the compiler made, so the bytes
are those the Unicorn engine runs for the same function and strategy
(tests/native asserts it); what differs is what the relocations resolve
to.  Constructing one on any other host raises NativeUnavailable.

Memory and W^X
--------------
Code lives in an arena reserved near libpython when possible (so that a
`bl` could reach the C-API; `placement()` says where).  `load` commits
fresh pages read+write, writes the linked code, switches them to
read+execute with mprotect, and only then makes the instruction cache
coherent (native_routines.py: dc cvau / dsb ish / ic ivau / dsb ish / isb,
over the code's lines) before anything can call it.  Invariant: no page of
the arena is ever writable and executable at once; a loaded function's
pages stay read+execute until `unload` gives them back (PROT_NONE).

Calls
-----
`call(address, x0..x3)` enters through the engine's `pyjit_enter` routine
with a ctypes prototype that keeps the GIL (PYFUNCTYPE): compiled code
changes reference counts and calls the C-API, so it must hold the GIL like
any C extension.  The outermost entry of a thread switches to an engine
stack (stacks.py: the stack limit of direct calls is a constant of
the code); a nested entry (a helper calling compiled code) stays on the
current stack, and raises RecursionError when less than `nested_reserve`
bytes are left.  While compiled code runs, the engine's own frames are
kept out of Python's recursion count (Engine.CALL_FRAMES, NATIVE_FRAMES):
a compiled activation counts as one frame; where the version counts C
recursion apart (3.12), each level runs with the count of the thread's
outermost entry, the stack check above standing for it.  Code may be called from
several threads; each thread has its own depth, stack and pending
exception.  A signal handler raising once the code returned is deferred
(interrupts.py) and raised by call_object.

Exceptions (errstate.py states the model)
-----------------------------------------
A C-API helper that fails leaves its exception in the real error indicator;
a Python helper stores it in the errstate slot; every Python helper starts
by moving a set real indicator into the slot.  When compiled code returns,
the prototype's check raises a set real indicator in Python: `call` catches
it and stores it in the slot (the result word survives, see
native_routines.py).  So after `call`, as with UnicornEngine, the pending
exception of a NULL result is in the slot, and `call_object` raises it.

What the native engine cannot do
--------------------------------
- Dynamic counts are an emulator feature (a block hook per executed basic
  block): `counts()` is always empty and `counting = True` raises.
- A bad memory access in compiled code is a real SIGSEGV, not an
  EmulationFault: enable `faulthandler` to see the Python stack, and use
  the perf map or `pyjit.dump_elf` to name the pc.
- There is no timeout: a compiled loop that never calls a helper cannot be
  interrupted (the interpreter checks for signals between bytecodes).

Perf map: with `perf_map=True` (`pyjit.jit.make_engine` passes the
environment's PYJIT_PERF_MAP=1), each load appends `START SIZE NAME` (hex, without 0x)
to /tmp/perf-PID.map, the file Linux `perf` reads for JIT code.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import (
    AttributeError, BaseException, OSError, RecursionError, RuntimeError, ValueError, len, open,
    super,
)
import ctypes
import os
import platform
import struct
import threading

from ..cpython import errstate, frames
from ..cpython import layout
from ..cpython.tstate import (
    C_CALLBACK_RESERVE, ENTRY_FROM_C_COUNTS, c_recursion_counter, recursion_counter,
    reset_c_stack, use_c_stack,
)
from ..cpython import interrupts
from . import collector, native_routines
from .engine import CALL_FRAMES, ENGINE_ROOM, Engine
from .faults import EmulationFault
from .loaded import LoadedCode
from ..cpython.helpers import Helper
from .hostmem import PROT_EXEC, PROT_READ, PageArena, Reservation, mprotect, reserve_near
from .native_helpers import SURFACE_ROOM, NativeHelpers, c_api_address
from .stacks import EngineStacks
from .placement import CODE_ARENA_SIZE

_MASK64 = (1 << 64) - 1
_U64 = ctypes.c_uint64
NESTED_RESERVE = 128 << 10     # stack a nested entry must leave for what runs below it
# Recursion the interpreter counts below _run while compiled code runs, which
# it would not count for an interpreted call: what entering from C the Python
# code a C-API helper calls costs the frame counter (3.11: one, 3.12:
# nothing; with Engine.CALL_FRAMES, a compiled activation counts as one
# frame; a Python helper's callback frames count).
NATIVE_FRAMES = ENTRY_FROM_C_COUNTS
_GIVEBACK = ENGINE_ROOM - CALL_FRAMES - NATIVE_FRAMES
# Room a Python helper's stub adds for the callback's C entry and its two
# frames (`run` and the binding), beyond NATIVE_FRAMES: with it a Python
# helper has what the Unicorn engine's trap hook has (its HOOK_FRAMES).
PYTHON_HELPER_ROOM = 2 + ENTRY_FROM_C_COUNTS
PYTHON_HELPER_STUBS = 256           # Python helpers an engine can call (67 are declared)


class NativeUnavailable(RuntimeError):
    """The native engine needs an AArch64 Linux host."""


def check_host() -> None:
    """Raise NativeUnavailable unless this process runs on AArch64 Linux."""
    machine, system = platform.machine(), platform.system()
    if system != "Linux" or machine.lower() not in ("aarch64", "arm64"):
        raise NativeUnavailable(
            f"the native engine runs the generated AArch64 code on this CPU and needs AArch64 "
            f"Linux, but this host is {machine or 'unknown'} {system or 'unknown'}: use the "
            f"Unicorn engine here (PYJIT_ENGINE=unicorn, the default), or an AArch64 CPython "
            f"under qemu (scripts/aarch64-python.sh)")


def reserve_code_arena(size: int, near_libpython: bool = True) -> Reservation:
    """The reservation a NativeEngine loads code into: near the C-API (the
    first free range above PyNumber_Add's address, else below) when asked
    and possible, else wherever mmap puts it.  Host-independent, so that
    compile-only tests can see the placement a native engine would give."""
    if near_libpython:
        try:
            return reserve_near(size, c_api_address("PyNumber_Add"))
        except (RuntimeError, OSError):
            pass                            # no free range near it: anywhere will do
    return Reservation(size)


class NativeEngine(Engine):
    """See the module docstring (and Engine's, for what every engine does
    alike).  Settings are keyword arguments:

    code_arena_size: bytes reserved for compiled code (default 64 MiB);
    near_libpython: place the arena near the C-API when a free range is
        there (default True; else wherever mmap puts it);
    stack_size: the primary engine stack (default 8 MiB, like a main thread);
    thread_stacks: how many other threads may be inside compiled code at
        once (default 64), each on a stack of thread_stack_size bytes
        (reserved, committed on first use);
    nested_reserve: stack a nested entry must leave (RecursionError below);
    perf_map: append to /tmp/perf-PID.map (default False).
    """

    _WHAT_RUNS = "compiled code"
    # A call between compiled functions is refused where the interpreter
    # would refuse it (routines.py): compiled code's count carries
    # NATIVE_FRAMES above the interpreter's; a Python helper's stub adds
    # the room its callback needs.
    RECURSION_KEEP = NATIVE_FRAMES
    _NO_COUNTS = ("dynamic counts are an emulator feature: the native engine runs on the CPU "
                  "and cannot count (use the Unicorn engine)")

    def __init__(self, *, code_arena_size: int = CODE_ARENA_SIZE, near_libpython: bool = True,
                 stack_size: int = 8 << 20, thread_stacks: int = 64,
                 thread_stack_size: int = 8 << 20, nested_reserve: int = NESTED_RESERVE,
                 perf_map: bool = False):
        check_host()
        super().__init__(PageArena(reserve_code_arena(code_arena_size, near_libpython)))
        self._stacks = EngineStacks(stack_size, thread_stacks, thread_stack_size)
        # The names UnicornEngine uses for its stack (entries.stack_limit reads them).
        self._stack_reservation = self._stacks.primary_reservation
        self.stack_top = self._stacks.primary.top
        self.nested_reserve = nested_reserve
        self.perf_map = perf_map
        self._tls = threading.local()
        self._load_runtime()

    def _load_runtime(self) -> None:
        """Load native_routines.py's code (flushing its page with itself),
        bind the ctypes prototypes the engine calls it through, and make the
        helpers' addresses (Python helpers through its stubs)."""
        table = (_U64 * PYTHON_HELPER_STUBS)()
        code = native_routines.routines(
            ctypes.addressof(table), PYTHON_HELPER_STUBS, c_api_address("PyThreadState_Get"),
            layout.TSTATE_RECURSION_REMAINING, PYTHON_HELPER_ROOM + SURFACE_ROOM)
        self._flush = None          # not there yet: the routine flushes its own lines below
        address = self._write(code, lambda symbol: 0)
        flush = ctypes.PYFUNCTYPE(None, _U64, _U64)(address + code.labels[native_routines.FLUSH][0])
        flush(address, address + len(code.data))
        self._flush = flush
        self._enter = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(
            address + code.labels[native_routines.ENTER][0])
        self._stack_pointer = ctypes.PYFUNCTYPE(_U64)(
            address + code.labels[native_routines.STACK_POINTER][0])
        self._runtime = self._register(LoadedCode(address, len(code.data), code.name, code))
        self._helpers = NativeHelpers(self._on_helper_fault, table,
                                      address + code.labels[native_routines.STUBS][0],
                                      native_routines.STUB_SIZE)

    # -- helpers --------------------------------------------------------------------
    def helper_address(self, name: str) -> int:
        """The address code calls helper `name` at: the C-API function
        itself, or a ctypes callback into its Python implementation."""
        self._check_open()
        return self._helpers.address(name)

    # -- loading ----------------------------------------------------------------------
    def _make_executable(self, address: int, size: int) -> None:
        """Switch the fresh read+write pages to read+execute (never both),
        then make the instruction cache see the new code."""
        mprotect(address, self._arena.allocation_size(address), PROT_READ | PROT_EXEC)
        if self._flush is not None:
            self._flush(address, address + size)

    def _register(self, loaded: LoadedCode) -> LoadedCode:
        super()._register(loaded)
        if self.perf_map:
            write_perf_map([(loaded.address, loaded.size, loaded.name)])
        return loaded

    def _check_unload(self, loaded: LoadedCode) -> None:
        if loaded is self._runtime and not self._closed:
            raise ValueError("the engine's own routines stay loaded until close()")
        super()._check_unload(loaded)

    def _running(self) -> bool:
        return self._stacks.in_use()

    # -- calling ------------------------------------------------------------------------
    def _run(self, address: int, x0: int, x1: int, x2: int, x3: int):
        """Enter the code through pyjit_enter (Engine._run's contract).  The
        outermost call of a thread raises EmulationFault when a helper broke
        its contract during the call; a nested one raises RecursionError with
        less than `nested_reserve` bytes of stack left."""
        try:
            ts = self._tls.state
        except AttributeError:
            ts = self._tls.state = _ThreadState()
        depth = ts.depth
        if depth == 0:
            ts.collecting = False                   # (collector.py: the order matters)
            try:
                ts.collecting = collector.running()
                if ts.collecting:
                    collector.pause()
                if self._closed:
                    raise RuntimeError("the engine is closed")
                if ts.c_counter is not None and ts.c_counter.value < C_CALLBACK_RESERVE:
                    raise RecursionError("maximum recursion depth exceeded")
                errstate.set_pending(None)
                ts.stack = self._stacks.acquire()   # released by the finally below, whatever happens
                # C code called from compiled code runs on that stack: 3.14
                # measures its recursion there (cpython/tstate.py).
                use_c_stack(ts.stack.low, ts.stack.top)
            except BaseException:
                if ts.stack is not None:            # (use_c_stack interrupted: give it back)
                    reset_c_stack()
                    stack, ts.stack = ts.stack, None
                    self._stacks.release(stack)
                if ts.collecting:
                    collector.resume()
                raise
        elif self._stack_pointer() - ts.stack.low < self.nested_reserve:
            raise RecursionError("compiled code nested too deep: less than "
                                 f"{self.nested_reserve >> 10} KiB of engine stack left")
        saved = None
        try:
            if depth == 0:
                new_sp = ts.stack.top
                ts.fault = None
            else:
                new_sp = 0
                saved = errstate.take_pending()
            block = ts.block
            _pack_entry(block, 0, x0 & _MASK64, x1 & _MASK64, x2 & _MASK64, x3 & _MASK64,
                        address, new_sp)
            block[6] = 0
            # The compiled function's frame is the current one while it runs
            # (pyjit/cpython/frames.py): what C code it calls sees that frame.
            # Looked up before the state changes below (a signal handler may
            # raise in any call), switched inside the try.
            frame = frames.innermost()
            if frame:
                slot = frames.current_frame_slot()
                saved_frame = slot.value
            counter, c_counter = ts.counter, ts.c_counter
            ts.depth = depth + 1
            counter.value -= _GIVEBACK
            if c_counter is not None:                    # each level at the outermost's count
                c_left = c_counter.value
                if depth == 0:
                    ts.c_base = c_left
                c_counter.value = ts.c_base
            try:
                if frame:
                    slot.value = frame
                if depth == 0 and ts.collecting:
                    collector.resume()
                self._enter(ts.block_address)
            except BaseException as exc:
                if block[6] or interrupts.is_asynchronous(exc) and errstate.pending() is not None:
                    interrupts.defer(exc)     # a signal handler, after the code returned
                else:                         # the real indicator, set when the code returned
                    errstate.set_pending_caught(exc)
            finally:
                if frame:
                    slot.value = saved_frame
                if c_counter is not None:
                    c_counter.value = c_left
                counter.value += _GIVEBACK
                ts.depth = depth
                if depth == 0:                # (the state is consistent again)
                    try:
                        ts.collecting = collector.running()
                        if ts.collecting:
                            collector.pause()
                    except BaseException as exc:      # a signal handler
                        interrupts.defer(exc)
            result = block[6]
            if depth == 0:
                fault, ts.fault = ts.fault, None
                if fault is not None:
                    errstate.set_pending(None)
                    raise fault
            return result, saved
        except BaseException:
            if saved is not None and errstate.pending() is None:
                errstate.set_pending(saved)  # a nested call leaves it as it was
            raise
        finally:
            if depth == 0:
                stack, ts.stack = ts.stack, None
                try:
                    reset_c_stack()
                except BaseException as exc:        # a signal handler: done again (idempotent)
                    interrupts.defer(exc)
                    reset_c_stack()
                try:
                    self._stacks.release(stack)     # (entered quietly)
                except BaseException as exc:        # a signal handler, once it was released
                    interrupts.defer(exc)
                if ts.collecting:
                    try:
                        collector.resume()
                    except BaseException as exc:    # a signal handler, once it resumed
                        interrupts.defer(exc)

    def _on_helper_fault(self, helper: Helper, fault: EmulationFault) -> None:
        """A helper broke its contract: the outermost call of this thread
        raises the first such fault when compiled code returns."""
        ts = self._tls.state
        if ts.fault is None:
            ts.fault = fault

    # -- lifetime ---------------------------------------------------------------------------
    def _release(self) -> None:
        """Give the helpers' callbacks, the arena and the stacks back."""
        self._helpers.clear()
        self._arena.reservation.release()
        self._stacks.release_memory()


class _ThreadState:
    """What the engine keeps per thread: the entry depth, the stack of the
    outermost entry, the entry block (native_routines.py: x0..x3, target,
    stack, result), the first helper fault of the current entry and the
    thread's recursion counter (cpython/tstate.py)."""

    __slots__ = ("depth", "stack", "block", "block_address", "fault", "counter", "c_counter",
                 "c_base", "collecting")

    def __init__(self) -> None:
        self.counter = recursion_counter()
        self.c_counter = c_recursion_counter()     # None where there is none
        self.c_base = 0                             # c_counter at the outermost entry
        self.depth = 0
        self.stack = None
        self.block = (_U64 * 7)()
        self.block_address = ctypes.addressof(self.block)
        self.fault = None
        self.collecting = False                     # the collector ran before the outermost entry


_pack_entry = struct.Struct("<6Q").pack_into


def perf_map_path(pid: int | None = None) -> str:
    return f"/tmp/perf-{os.getpid() if pid is None else pid}.map"


def write_perf_map(entries: list[tuple[int, int, str]], pid: int | None = None) -> None:
    """Append `START SIZE NAME` lines (hex) to the perf map of the process."""
    with open(perf_map_path(pid), "a") as f:
        for start, size, name in entries:
            f.write(f"{start:x} {size:x} {name}\n")

