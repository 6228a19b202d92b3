"""Machine code shared by every function object made from the same code.

    shared = sharing.find(func, options, engine)      # None: compile it
    shared = sharing.Shared(sharing.key_of(func, options, engine), func, compiled,
                            engine, loaded, generator=...)
    sharing.register(shared)
    shared.acquire(); ...; shared.release(retire=True)  # per function installed
    hold = shared.hold()                              # a generator body's: see below

What compiled code depends on.  Closures, lambdas, comprehensions and
generator expressions are new function objects at every evaluation of
their `def` or expression, all made from one code object.  Compiled
machine code reads the function's closure, defaults, keyword defaults and
the function object itself from the callable it is called with (x0) at
run time; what it embeds is what the compiler read of the code (its
bytecode, constants, names), of the function's globals and builtins (the
dicts themselves, as constants, and the global cache cells made for them,
specialized to their values and guarded by dict versions), and the
options and the engine (the strategy's call sequences, the engine's
routine addresses).  So the key is (code, globals, builtins, options,
engine), as CinderX keys its compiled code on (code, builtins, globals)
(`CompilationKey` in CinderX's Jit/context.h).  A `Shared` holds the code,
the globals, the builtins and the engine strongly: an id in a live key is
never reused by another object.

Lifetime.  Every installed function is a user (`acquire`, `release`); a
compiled generator body is also used by every suspended generator of it:
the steps of its functions' entries and its live delegates hold the
Shared's `hold()`, one object for all of them, whose death means that no
generator runs the body any more.  When the last user goes and no
generator holds the body:
- code compiled for an explicit `force_compile` is unloaded (retired, when
  the last user died: Engine.retire only queues) as before;
- code compiled for a process-wide mode (`retained`) is kept, idle, so that
  the next function made from the same code (a comprehension evaluated in
  a loop, a closure made at each call of its parent, which then dies)
  installs it without compiling or loading again.  At most IDLE_LIMIT
  idle codes of at most IDLE_BYTES bytes together are kept, the least
  recently used one unloaded first, and only while a mode is on
  (`keep_idle`); `drop_idle` unloads them all (the mode's end, a load that
  finds the arena full).
Either way the code goes back to the arena only once no code of the engine
runs (Engine.unload, Engine.retire), with its constants kept until then.

These run wherever a function or a generator dies (a garbage collector
callback, inside the engine): dictionary operations and a queue only.
"""

from __future__ import annotations

import sys
import weakref
from builtins import id as _id
from collections import OrderedDict

from . import install

IDLE_LIMIT = 256                 # idle codes kept for later functions of the same code
IDLE_BYTES = 8 << 20             # bytes of idle code kept (the arena has 64 MiB by default)


class CodeHold:
    """Alive while a generator may still run a compiled generator body."""

    __slots__ = ("__weakref__",)


class Shared:
    """Machine code loaded once for every function object made from the same
    code with the same globals and builtins (module docstring)."""

    def __init__(self, key: tuple, func, compiled, engine, loaded, *, generator: bool,
                 retained: bool = False) -> None:
        self.key = key
        self.code = install.original_code(func)
        self.globals, self.builtins = func.__globals__, func.__builtins__
        self.compiled, self.engine, self.loaded = compiled, engine, loaded
        self.generator = generator
        self.retained = retained     # compiled for a process-wide mode: kept while idle
        self.users = 0               # installed functions
        self.gone = False            # unloaded (or queued to be)
        self.idle = False            # put in _idle (and not taken back by an install)
        self._hold_ref: weakref.ref | None = None
        self.installs = 0            # functions installed with it, over its life

    def matches(self, func) -> bool:
        return (not self.gone and self.code is install.original_code(func)
                and self.globals is func.__globals__ and self.builtins is func.__builtins__)

    def acquire(self) -> bool:
        """One more function runs this code; False, changing nothing, when
        it is unloaded (or an eviction took it from the idle codes first)."""
        if self.idle:
            # Whoever takes it out of _idle owns it: this call, or an
            # eviction (a garbage collector callback, another thread).
            if _idle.pop(self.key, None) is not self:
                return False
            self.idle = False
        elif self.gone:
            return False
        self.users += 1
        self.installs += 1
        return True

    def release(self, retire: bool) -> None:
        """A function no longer runs this code (retire: it died, wherever
        that happened: only queue the unload)."""
        self.users -= 1
        self._maybe_idle(retire)

    def hold(self) -> CodeHold:
        """The object whose life keeps a generator body loaded: the live one,
        or a new one when every earlier one is dead."""
        hold = self._hold_ref() if self._hold_ref is not None else None
        if hold is None:
            hold = CodeHold()
            self._hold_ref = weakref.ref(hold, self._hold_died)
        return hold

    def _hold_died(self, ref) -> None:
        if ref is not self._hold_ref:
            return
        self._hold_ref = None
        try:
            self._maybe_idle(retire=True)
        except (AttributeError, TypeError):
            # While the interpreter finalizes, this module's globals may be
            # None already: nothing is left to unload for.
            if sys is not None and not sys.is_finalizing():
                raise

    def _maybe_idle(self, retire: bool) -> None:
        if self.users > 0 or self.gone or (self._hold_ref is not None
                                           and self._hold_ref() is not None):
            return
        if self.retained and _keeping:
            if not self.idle:
                self.idle = True
                _idle[self.key] = self
                _trim(retire=True)
        else:
            self.free(retire)

    def free(self, retire: bool) -> None:
        """Unload the code (no function runs it; retire: only queue)."""
        if self.gone:
            return
        self.gone = True
        if _shared.get(self.key) is self:
            del _shared[self.key]
        if retire:
            self.engine.retire(self.loaded, self.compiled.consts)
        else:
            self.engine.unload(self.loaded, self.compiled.consts)


_keeping = False                 # a process-wide mode is on: retained code is kept idle
# key -> the Shared loaded for it (in use or idle)
_shared: dict[tuple, Shared] = {}
# key -> idle retained Shared, least recently used first
_idle: "OrderedDict[tuple, Shared]" = OrderedDict()


def key_of(func, options, engine) -> tuple:
    """What the compiled code of func depends on (module docstring)."""
    return (_id(install.original_code(func)), _id(func.__globals__), _id(func.__builtins__),
            options, _id(engine))


def find(func, options, engine) -> Shared | None:
    """The code loaded for func's code, globals, builtins, options and
    engine, in use or idle; None when there is none."""
    shared = _shared.get(key_of(func, options, engine))
    return shared if shared is not None and shared.matches(func) else None


def register(shared: Shared) -> None:
    """Later functions with shared's key install its code."""
    old = _shared.get(shared.key)
    _shared[shared.key] = shared
    if old is not None and old is not shared and _idle.pop(old.key, None) is old:
        old.free(retire=True)


def _take_oldest() -> Shared | None:
    """The least recently idle code, out of _idle (None: none is idle); its
    `idle` stays True: an install that finds it so and not in _idle fails."""
    try:
        _, oldest = _idle.popitem(last=False)
    except KeyError:
        return None
    return oldest


def _trim(retire: bool) -> None:
    total = sum(s.loaded.size for s in list(_idle.values()))
    while len(_idle) > IDLE_LIMIT or total > IDLE_BYTES:
        oldest = _take_oldest()
        if oldest is None:
            return
        total -= oldest.loaded.size
        oldest.free(retire)


def keep_idle(on: bool) -> None:
    """Keep retained code idle (a process-wide mode starts) or no more (it
    stops: the idle code is unloaded)."""
    global _keeping
    _keeping = on
    if not on:
        drop_idle()


def drop_idle(engine=None) -> int:
    """Unload every idle code (of engine, None: of every engine); how many."""
    dropped = 0
    for shared in list(_idle.values()):
        if (engine is None or shared.engine is engine) and _idle.pop(shared.key, None) is shared:
            shared.free(retire=False)
            dropped += 1
    return dropped


def idle_count() -> int:
    """How many idle codes are kept (for tests and reports)."""
    return len(_idle)


def loaded_codes() -> set:
    """The code objects whose compiled code is loaded, in use or idle: a
    function of one of them made later runs it from its first call."""
    return {shared.code for shared in list(_shared.values()) if not shared.gone}


def loaded_count() -> int:
    """How many shared codes are loaded, in use or idle."""
    return len(_shared)
