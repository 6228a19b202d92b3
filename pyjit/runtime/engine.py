"""Engine: what every engine that runs compiled code shares.

    class SomeEngine(Engine):
        def __init__(self, ...):
            super().__init__(PageArena(...))    # the code arena, first
            ...

An engine places CompiledCode in a code arena (`load`, `unload`, `loaded`,
`code_at`, `placement`), links it against its helpers and defined symbols
(`helper_address`, `define_symbol`, `symbol_address`), calls it with the
runtime ABI (`call`, `call_object`), may count what it runs (`counting`,
`counts`, `reset_counts`), and gives everything back on `close` (also as a
context manager).  UnicornEngine (emulated) and NativeEngine (on the CPU)
are the two; this module holds what they do alike, each engine module what
it does its own way.  It knows neither Unicorn nor the native routines.

Code lifetime: `unload` while code of the engine runs (on any thread) is
deferred, and so is `retire` (callable at any point, even from a garbage
collector callback): the code stays in place, and runnable, until no code
of the engine runs, then its pages go back to the arena (at the end of the
outermost call that left the engine idle, or at the next load, unload or
listing).  So a compiled function may uncompile itself, or die, while an
activation of it is still running: that activation finishes normally.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import BaseException, RuntimeError, SystemError, ValueError, len, list, type
import abc
import bisect
import collections
import ctypes
from typing import Callable, Self

from ..aarch64.calls import CodePlacement
from ..aarch64.compiled import CompiledCode
from ..cpython import errstate
from ..cpython.errstate import Failure
from ..cpython.frames import pop as pop_frame, push as push_frame
from ..cpython.tstate import per_thread, recursion_counter
from ..cpython import interrupts
from . import entries, routines
from .activations import enter as enter_activations, leave as leave_activations
from .counts import Counts
from .hostmem import PageArena
from .loaded import LoadedCode
from .symbols import SymbolTable


CALL_FRAMES = 3      # trampoline, entry, call_object and _run: one frame, as interpreted
# Recursion room for the engine's own work around a call (setting up,
# revalidating memory, taking the result): added by call/call_object, and
# taken back by _run, down to CALL_FRAMES plus its own frames, while
# compiled code runs; no code but the engine's runs with it.
ENGINE_ROOM = 50


class Engine(abc.ABC):
    """The shared part of an engine (see the module docstring).

    What a subclass provides
    ------------------------
    - `__init__` calls `Engine.__init__(arena)` with the PageArena code is
      loaded into, before anything loads code or asks for a symbol.
    - `_run(address, x0, x1, x2, x3) -> (result, saved)`: enter the code at
      address with x0..x3 and return x0 as an unsigned 64-bit int, and the
      pending exception of the caller to restore after a nested call (None
      for an outermost one).  On entry it empties the pending-exception slot
      (errstate): an outermost call drops what is there, a nested call (a
      helper calling compiled code of this engine, on the same thread)
      takes it, and returns it as `saved`.  When it returns, the slot holds
      the exception the code left (a failed helper's), or None.  When it
      raises instead (a fault: EmulationFault; a nesting limit:
      RecursionError; a closed engine: RuntimeError), a nested call
      leaves the slot as the caller had it.  It keeps the code's exception
      in no local: the exception's traceback reaches the frames of the
      call path through `f_back`, and a local would make a cycle.
    - `_make_executable(address, size)`: after `load` wrote the linked
      bytes at [address, address + size) (fresh pages of the arena),
      make them executable and the machine see them (an exception there
      gives the pages back).
    - `helper_address(name)`: the address code reaches helper `name` at.
    - `_running()`: whether code of this engine is running (any thread);
      when it turns False at the end of a call, deferred unloads happen.
    - `_release()`: give back what `close` releases, after every loaded
      code was unloaded.
    - `_WHAT_RUNS`: the words for running code in error messages.
    - `_stacks`: the engine's EngineStacks (stacks.py), whose chain of
      calls between compiled functions `call_function` places (None: an
      engine without one).

    A subclass may extend `_register` (a new LoadedCode), `_free_code` (code
    being unloaded, never while code runs), `_check_unload`, and the
    counting surface (`counting`,
    `counts`, `reset_counts`; by default the engine cannot count, and
    `_NO_COUNTS` says why).

    Invariants of `call` and `call_object`
    --------------------------------------
    - An outermost call starts with no pending exception (one left untaken
      by a previous call is dropped).
    - A nested call starts with none, and the caller's pending exception is
      as it was after it, unless (`call` only) the code left one of its own.
    - A NULL result without an exception is a SystemError in
      `call_object`, as the interpreter reports a C function's; a result
      with an exception set is one too (the result's reference is released).
    - The call path is `call`/`call_object` -> `_run`: the engine-specific
      entry adds no frame of its own above `_run`.
    - The recursion counter (cpython/tstate.py) does not count the frames
      of a compiled function's call path: its trampoline and entry,
      `call_object` and `_run` stand for the one frame the interpreter
      would have pushed.  `call`/`call_object` add ENGINE_ROOM to the
      counter; `_run` keeps CALL_FRAMES of it, plus what its own frames
      below it cost, while the compiled code runs (`_emulation_room`).
    - An asynchronous exception deferred on the engine's own code path
      (interrupts.py) is raised by `call_object` when the code returns (the
      result's reference is released), unless a helper raised it first.
    """

    _WHAT_RUNS = "code"
    _stacks = None
    _NO_COUNTS = "dynamic counts are an emulator feature: this engine cannot count"

    def __init__(self, arena: PageArena) -> None:
        self._closed = False
        self._arena = arena
        self._loaded: list[LoadedCode] = []      # sorted by address
        self._starts: list[int] = []             # their addresses
        # (code, what it keeps alive) to unload when no code runs
        self._retired: collections.deque[tuple[LoadedCode, object]] = collections.deque()
        self._symbols = SymbolTable(self.helper_address)

    # -- what a subclass provides ----------------------------------------------------
    @abc.abstractmethod
    def _run(self, address: int, x0: int, x1: int, x2: int, x3: int
             ) -> tuple[int, BaseException | None]:
        """Enter the code: (x0, the caller's pending exception or None).
        See the class docstring for the pending-exception contract."""

    @abc.abstractmethod
    def _make_executable(self, address: int, size: int) -> None:
        """Make the code just written at [address, address + size) runnable."""

    @abc.abstractmethod
    def helper_address(self, name: str) -> int:
        """The address compiled code calls helper `name` at."""

    @abc.abstractmethod
    def _running(self) -> bool:
        """Whether code of this engine is running now (on any thread)."""

    @abc.abstractmethod
    def _release(self) -> None:
        """Give back what close releases (every code is unloaded by then)."""

    # -- placement and symbols ------------------------------------------------------
    def placement(self) -> CodePlacement:
        """Where `load` puts code: every loaded byte lies in [start, end);
        with the addresses of the shared cache routines (loaded on first
        use), which are in the same arena."""
        routines.prepare_engine(self)
        return CodePlacement(self._arena.start, self._arena.end, routines.routine_symbols(self))

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
        """Place code in the arena, link it (helpers, then defined symbols,
        then resolve), and make it executable.  Raises LinkError, and
        MemoryError when the arena has no room."""
        self._check_open()
        self._drain()
        address = self._write(code, self._resolver(resolve))
        return self._register(LoadedCode(address, len(code.data), name or code.name, code))

    def _write(self, code: CompiledCode, resolve: Callable[[str], int]) -> int:
        """Link code into fresh pages of the arena, write it there and make
        it executable; the pages go back if any step fails."""
        size = len(code.data)
        address = self._arena.alloc(size)
        try:
            linked = code.link(address, resolve)
            ctypes.memmove(address, linked, size)
            self._make_executable(address, size)
        except BaseException:
            self._arena.free(address)
            raise
        return address

    def _register(self, loaded: LoadedCode) -> LoadedCode:
        """Record loaded code (`loaded`, `code_at`); returns it."""
        i = bisect.bisect_left(self._starts, loaded.address)
        self._starts.insert(i, loaded.address)
        self._loaded.insert(i, loaded)
        return loaded

    def unload(self, loaded: LoadedCode, keep_alive: object = None) -> None:
        """Give loaded code's pages back; it must not be called again.
        ValueError if it is not loaded in this engine.  While code of this
        engine runs, the pages go back once none does (module docstring);
        keep_alive (the objects the code refers to: its constants, cache
        cells) is held until then."""
        self._index_of(loaded)
        self._check_unload(loaded)
        self._retired.append((loaded, keep_alive))
        self._drain()

    def retire(self, loaded: LoadedCode, keep_alive: object = None) -> None:
        """Unload loaded code as soon as no code of the engine runs, holding
        keep_alive until then.  Safe at any point of any thread (a garbage
        collector callback, the middle of a load): it only queues; the
        unload happens at the next safe point."""
        self._retired.append((loaded, keep_alive))

    def _index_of(self, loaded: LoadedCode) -> int:
        i = bisect.bisect_left(self._starts, loaded.address)
        if i >= len(self._loaded) or self._loaded[i] is not loaded:
            raise ValueError(f"{loaded!r} is not loaded in this engine")
        return i

    def _drain(self) -> None:
        """Unload the retired code, unless code of the engine runs."""
        while self._retired and not self._running():
            loaded, _ = self._retired.popleft()
            i = bisect.bisect_left(self._starts, loaded.address)
            if i < len(self._loaded) and self._loaded[i] is loaded:   # else unloaded already
                del self._starts[i], self._loaded[i]
                self._free_code(loaded)

    def _check_unload(self, loaded: LoadedCode) -> None:
        """Raise if loaded can never be unloaded by the caller."""

    def _free_code(self, loaded: LoadedCode) -> None:
        """Give the pages of loaded code back to the arena."""
        self._arena.free(loaded.address)

    @property
    def loaded(self) -> list[LoadedCode]:
        """Every code loaded now, by address (unloaded code that is still
        running is listed until it goes)."""
        self._drain()
        return list(self._loaded)

    def left_at(self, level) -> int | None:
        """The return address into compiled code of the call by which the
        code of `level` (what the engine set in the entry's activations
        mark) left machine code and is paused, or None where this engine
        cannot tell."""
        return None

    def code_at(self, address: int) -> LoadedCode | None:
        """The loaded code whose bytes include address, or None."""
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address < self._loaded[i].end:
            return self._loaded[i]
        return None

    # -- calling ------------------------------------------------------------------------
    def call(self, address: int, x0: int = 0, x1: int = 0, x2: int = 0, x3: int = 0) -> int:
        """Run the code at address with x0..x3, its return address the
        engine's; return x0 (unsigned 64-bit).

        A NULL result's exception is left pending (errstate; see
        call_object).  An outermost call starts with no pending exception
        (one left untaken by a previous call is dropped).  May be called
        from a helper (nested; a nested call starts with no pending
        exception and the caller's is restored after it unless it left one
        of its own).  Raises RuntimeError when the engine is closed, and
        what the engine raises for faults and nesting (EmulationFault,
        RecursionError: see each engine)."""
        counter = recursion_counter()
        counter.value += ENGINE_ROOM
        try:
            result, saved = self._run(address, x0, x1, x2, x3)
        finally:
            counter.value -= ENGINE_ROOM
            if self._retired:
                self._drain()
        if saved is not None and errstate.pending() is None:
            errstate.set_pending(saved)
        return result

    def call_function(self, address: int, x0: int = 0, x1: int = 0, x2: int = 0,
                      x3: int = 0, frame: int | None = None, room: int = 0):
        """`call`, with the result taken as a new reference: returns the
        object (owning that reference), or, when the result is NULL or a
        signal handler raised while the code ran, an `errstate.Failure`
        holding the exception, which was never raised through this engine's
        frames (the trampoline re-raises it, pyjit/install.py).  A nested
        call leaves the caller's pending exception as it was.  frame (None:
        unchanged): the innermost compiled activation's frame while the
        code runs (cpython/frames.py push and pop, done here with the
        engine's room: a function that lowered the recursion limit to its
        own depth still returns).  room: the recursion room the caller
        added for its own work (ENTRY_ROOM), part of ENGINE_ROOM here."""
        counter = per_thread.counter          # (recursion_counter() is one frame deeper)
        if counter is None:
            counter = recursion_counter()
        added = ENGINE_ROOM - room
        counter.value += added
        previous = None
        marked = False
        try:
            if frame is not None:
                previous = push_frame(frame)
                if self._stacks is not None:
                    mark = enter_activations(self._stacks, frame, self)
                    marked = True
            result, saved = self._run(address, x0, x1, x2, x3)
            exc = errstate.take_pending()
            if saved is not None:
                errstate.set_pending(saved)
            if interrupts.ANY[0] and interrupts.pending() is not None:
                if result:
                    _decref(result)
                result, exc = 0, _with_context(interrupts.take(), exc)
            # No local may hold the exception when this returns: its traceback
            # reaches this frame through f_back (a cycle keeping the callee
            # frames, and their locals, alive until the next collection).
            try:
                if result == 0:
                    return Failure(exc if exc is not None else SystemError(
                        f"code at {address:#x} returned NULL without setting an exception"))
                obj = _obj(result)              # a reference of our own...
                _decref(result)                 # ...replaces the one the code returned
                if exc is not None and interrupts.is_asynchronous(exc):
                    # A signal handler's exception, taken for an error by the
                    # native engine's helper callback (native_helpers.py).
                    del obj
                    return Failure(exc)
                if exc is not None:
                    error = SystemError(f"code at {address:#x} returned a result with an "
                                        "exception set")
                    error.__cause__ = exc
                    return Failure(error)
                return obj
            finally:
                del exc
        finally:
            if marked:
                leave_activations(mark)
            if previous is not None:
                pop_frame(previous)
            counter.value -= added
            if self._retired:
                self._drain()

    def call_object(self, address: int, x0: int = 0, x1: int = 0, x2: int = 0, x3: int = 0):
        """`call_function`, raising the exception of a NULL result, as the
        interpreter does for a C function."""
        result = self.call_function(address, x0, x1, x2, x3)
        if type(result) is Failure:
            try:
                raise result.exc
            finally:
                del result              # no reference cycle through this frame
        return result

    # -- counting (an engine that counts overrides all three) ------------------------
    @property
    def counting(self) -> bool:
        """Whether dynamic counts are collected: always False here."""
        return False

    @counting.setter
    def counting(self, on: bool) -> None:
        if on:
            raise ValueError(self._NO_COUNTS)

    def counts(self) -> dict[str, Counts]:
        """Dynamic counts per loaded code name: always empty here."""
        return {}

    def reset_counts(self) -> None:
        """Zero the dynamic counts (nothing to zero here)."""

    # -- lifetime ---------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the engine is closed")

    def close(self) -> None:
        """Unload every code and give the engine's memory back; a second
        close does nothing.  Code loaded by this engine must not be called
        afterwards.  RuntimeError while code of this engine is running."""
        if self._closed:
            return
        if self._running():
            raise RuntimeError(f"cannot close the engine while {self._WHAT_RUNS} is running")
        self._closed = True
        entries.release(self)              # the pooled ints
        self._retired.extend((loaded, None) for loaded in self._loaded)
        self._drain()
        self._release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _with_context(exc: BaseException, context: BaseException | None) -> BaseException:
    """exc, with the code's own exception (if any) as its context."""
    if context is not None and exc.__context__ is None and context is not exc:
        exc.__context__ = context
    return exc


_obj = __import__("_ctypes").PyObj_FromPtr
_decref = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))
