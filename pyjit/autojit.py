"""Process-wide modes: every Python function the process runs is counted,
and compiled on its N-th call (autojit) or, if its name is on a list, on
its first (jitlist), as CinderX does.

    mode = autojit.start(threshold=1000)                 # autojit:1000
    mode = autojit.start(threshold=1, patterns=["json.decoder:*"])
    ...                                                  # the program runs
    autojit.stop()                                       # everything back

How calls are counted.  The interpreter has no call counter a program can
read, and a counting wrapper in Python costs a call about 1.4 us (50 times
a plain call).  Instead each function's code gets a copy with a prologue
(the version's `counting` module: four instructions after RESUME, one C
call of `next` on the code's record's `itertools.repeat(None, N - 1)`, a
constant of the copy; no name is added to co_names): a call costs the
interpreter a few nanoseconds more.  When the iterator runs
out, the N-th call of that code (counted per code object, over every
function made from it, as CinderX counts) takes the appended tail, which
calls the hook with the parameters.  The hook compiles the function
(`jit.force_compile`, which installs its trampoline) and runs the call
compiled, returning its result; or, for a refused function, one the mode
does not select, or with no mode on, gives the function the code without
the prologue and lets the call go on in the interpreter.  A generator or
coroutine function is compiled at its N-th call, which goes on in the
interpreter (its frame already exists).  A later function of a code the
mode compiled gets the same machine code without compiling (sharing.py),
at its first call, or when compiled code makes it (`_made`, through
`semantics.function_made`), before it: a generator expression made in a
compiled loop runs compiled at its only call.  Calls made by pyjit's own code
(its compiler, the mode's start) do not count: a code whose count they
use up counts again from zero once they are done.

Which code is counted: code of functions (CO_OPTIMIZED | CO_NEWLOCALS);
module and class bodies are not, but the code objects in their constants
are, recursively, so that functions made later (nested functions,
closures, lambdas, comprehensions, methods of classes made later) count
from their first call.  Reached are: every function alive when the mode
starts (the garbage collector lists them), and the code of every module
imported while it is on (the source and bytecode loaders' `get_code` is
wrapped).  Functions made from code compiled at run time from strings
(`exec`, `compile`: namedtuple's and dataclass's generated methods) are
found running (unseen_code.py: at their code's first start on 3.12+, at
a collection on 3.11) and counted from then on.

Left alone: pyjit's own code and the modules it runs on (EXCLUDED), whose
compiled versions would run inside the engine they are part of.

What a program can see: a counted function's `__code__` is the copy
(the same names, lines, positions and exception table, so tracebacks,
`inspect` and tracers see the original; `dis` shows the prologue), and
it cannot be marshalled (the counter and the hook in its constants).
`stop()` gives every function its original code back.
"""

from __future__ import annotations

# Bound at import: a program may rebind builtins.len and the like.
from builtins import (
    Exception, RuntimeError, ValueError, any, bool, frozenset, getattr, id, int, isinstance, len, list,
    next, object, str, tuple, type, zip,
)
import atexit
import fnmatch
import gc
import operator as _operator
import re
import sys
import os
import threading
import types
import weakref
from dataclasses import dataclass, field
from functools import partial
from importlib import _bootstrap_external

from . import install, jit, sharing, unseen_code
from .cpython import counting as prologue
from .cpython import frames, semantics
from .cpython.bytecode_edit import first_resume, insert
from .cpython import counter
from .cpython.errstate import Failure, failure_exc
from .cpython.tstate import per_thread as _per_thread
from .cpython.tstate import recursion_counter as _recursion_counter
from .cpython.own_files import is_own_file
from .runtime.emulation_lock import give, take_again

# Modules whose functions stay in the interpreter: pyjit itself and what it
# runs on (the engine's bindings, the import machinery, ctypes, threading).
EXCLUDED: tuple[str, ...] = (
    "pyjit", "unicorn", "capstone", "keystone", "ctypes", "importlib", "threading",
    "weakref", "_weakrefset", "zipimport", "encodings", "codecs",
)
_FUNCTION_CODE = 0x01 | 0x02          # CO_OPTIMIZED | CO_NEWLOCALS
COMPILE_ROOM = 400                    # recursion allowance of the mode's hook (arrived)
# Frames between a counted call's own frame and its compiled code's
# trampoline on the first call: the hook's, call_for_trampoline's, and the
# call of the trampoline from C (measured on 3.11 and 3.12:
# tests/jit/test_autojit.py).
FIRST_CALL_FRAMES = 3
_SUSPENDS = 0x20 | 0x80 | 0x200       # CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR
_FunctionType = types.FunctionType
_CodeType = types.CodeType


class _GoOn:
    """The hook's answer meaning "run this call in the interpreter"."""

    def __repr__(self) -> str:
        return "<pyjit: go on in the interpreter>"


GO_ON = _GoOn()


@dataclass
class Mode:
    """A process-wide mode while it is on: its settings and what it did."""
    threshold: int
    patterns: tuple[str, ...] | None = None
    options: object = None
    engine: object = None
    excluded: tuple[str, ...] = EXCLUDED
    main_module: str | None = None      # also matched as __main__ by patterns
    left_alone: frozenset = frozenset()  # ids of module dicts whose functions are not counted
    counted_at_start: int = 0
    found_late: int = 0          # functions of code counted when found running (unseen_code)
    watch: object = None         # the unseen_code.Watch finding them
    watch_note: str | None = None   # why it could not watch, if it could not
    # id -> weak reference, for the compiled functions still alive: a
    # function that dies leaves (comprehensions and closures are made, and
    # compiled, anew at each call of their parent: a list of every one
    # would grow with the calls)
    compiled: dict = field(default_factory=dict)
    compiled_names: dict[str, int] = field(default_factory=dict)   # module:qualname -> functions
    # functions installed with code compiled for them, and with code compiled
    # for an earlier function of the same code (sharing.py)
    compilations: int = 0
    shared_installs: int = 0
    refused: dict[str, str] = field(default_factory=dict)   # module:qualname -> reason
    later: list = field(default_factory=list)   # (function, record): counted by pyjit's calls

    def name_of(self, func) -> str:
        module = getattr(func, "__module__", None) or func.__globals__.get("__name__", "?")
        return f"{module}:{func.__qualname__}"

    def excludes(self, module: str | None, filename: str) -> bool:
        if is_own_file(filename):
            return True
        module = module or ""
        return any(module == name or module.startswith(name + ".") for name in self.excluded)

    def selects(self, func) -> bool:
        if id(func.__globals__) in self.left_alone:
            return False
        if self.excludes(func.__globals__.get("__name__"), func.__code__.co_filename):
            return False
        if self.patterns is None:
            return True
        name = self.name_of(func)
        if self._matches(name) is not None:
            return True
        return (self.main_module is not None and name.startswith(self.main_module + ":")
                and self._matches("__main__:" + func.__qualname__) is not None)

    def __post_init__(self) -> None:
        # One regular expression for the patterns: matching runs in C, so a
        # profiler sees no call of pyjit's on the program's behalf.
        pattern = "|".join(f"(?:{fnmatch.translate(p)})" for p in self.patterns or ())
        self._matches = re.compile(pattern).match

    def compiled_functions(self) -> list:
        return [f for f in (ref() for ref in list(self.compiled.values())) if f is not None]

    def record_compiled(self, func) -> None:
        key = id(func)
        self.compiled[key] = weakref.ref(func, partial(_forget_compiled, self.compiled, key))


_lock = threading.RLock()


def _give_after_fork() -> None:
    give(_lock)


# A fork waits until no other thread is in the mode's bookkeeping (jit.py says why).
os.register_at_fork(before=lambda: take_again(_lock), after_in_parent=_give_after_fork,
                    after_in_child=_give_after_fork)
_mode: Mode | None = None
_compiling = threading.local()
_records: dict[int, "_Counted"] = {}        # id(original code) -> its record
_by_code: dict[int, "_Counted"] = {}        # id(counted or uncounted code) -> record
_patched: list = []


class _Counted:
    """One function code object counted: the original, the original with
    counted nested code in its constants (`uncounted`: what runs, and is
    compiled, once counting stops), and the counted copy."""

    __slots__ = ("original", "uncounted", "counted", "suspends", "it", "shared", "arrived_once",
                 "__weakref__")

    def __init__(self, original: _CodeType, uncounted: _CodeType, threshold: int) -> None:
        self.original = original
        self.uncounted = uncounted
        self.suspends = bool(original.co_flags & _SUSPENDS)
        self.shared = None       # weak reference to the code compiled for it last (sharing.py)
        self.arrived_once = False   # a function's count ran out: the hook decided its code
        self.it = counter.new(threshold - 1)
        base_c = len(uncounted.co_consts)
        body, tail, stack = prologue.counting_code(
            uncounted,
            consts={"counter": base_c, "hook": base_c + 1, "go_on": base_c + 2,
                    "Failure": base_c + 3, "type": base_c + 4, "exc_of": base_c + 5})
        at = first_resume(uncounted)
        resume_line = list(uncounted.co_positions())[at - 1][0]
        self.counted = insert(
            uncounted, at, body, tail,
            consts=(self.it, self.arrived, GO_ON, Failure, type, failure_exc),
            names=(), stacksize=stack,
            # an exception raised in the tail (a RecursionError entering the
            # hook) is at the def line, as the trampoline's
            tail_line=resume_line if resume_line is not None else uncounted.co_firstlineno)
        install.register_counted(self.counted, uncounted)

    def recount(self, threshold: int) -> None:
        """Count the code's calls from zero again: the counter in the
        counted code's constants is given its count back."""
        counter.reset(self.it, threshold - 1)

    def arrived(self, *slots, _go_on=GO_ON, _frames=frames):
        """The tail's hook: the calling function's code ran out of count.
        (Its defaults keep what it needs while the interpreter finalizes
        this module.)"""
        if _mode is None:            # off, or this module finalized (its globals None)
            func = _frames.calling_function()
            if func is not None and func.__code__ is self.counted:
                func.__code__ = self.original
            return _go_on
        # The mode's work (selecting, compiling) is pyjit's, not the
        # program's: it runs with COMPILE_ROOM more frames of recursion
        # allowance, so that a first call near the recursion limit compiles
        # where the interpreter would just run it; the call itself gets the
        # count back, but for the frames this path adds (FIRST_CALL_FRAMES).
        counter = _per_thread.counter           # (_recursion_counter() is a frame deeper)
        if counter is None:
            counter = _recursion_counter()
        counter.value += COMPILE_ROOM
        try:
            func = frames.calling_function()
            if type(func) is not _FunctionType or func.__code__ is not self.counted:
                return GO_ON
            mode = _mode
            self.arrived_once = True
            func.__code__ = self.uncounted           # counted no more, whatever comes next
            if not mode.selects(func):
                return GO_ON
            if getattr(_compiling, "depth", 0) or jit.in_compiler():   # made by pyjit's own code
                mode.later.append((func, self))
                return GO_ON
            done = _compile(mode, func, self)
            _count_again(mode)
            if not done or self.suspends:
                return GO_ON
            args, kwargs = install.split_slots(self.uncounted, slots)
            counter.value -= COMPILE_ROOM - FIRST_CALL_FRAMES
            try:
                return install.call_for_trampoline(func, args, kwargs)
            finally:
                counter.value += COMPILE_ROOM - FIRST_CALL_FRAMES
        finally:
            counter.value -= COMPILE_ROOM


def _compile(mode: Mode, func, record: _Counted) -> bool:
    """Compile func for the mode; whether it was compiled and installed.  A
    function whose code the mode compiled for an earlier function gets
    that machine code straight away (sharing.py: with the same globals and
    builtins; a closure or comprehension made again, for one)."""
    shared = record.shared() if record.shared is not None else None
    if shared is not None and jit.install_shared(func, shared):
        _installed_shared(mode, func)
        return install.is_installed(func)
    how = jit.compile_installing(func, options=mode.options, engine=mode.engine, retain=True)
    shared = jit.shared_code_of(func) if how is not None else None
    if shared is not None:
        record.shared = weakref.ref(shared)
    if how == "shared":
        _installed_shared(mode, func)
    elif how == "compiled":
        mode.compilations += 1
        _record(mode, func)
    else:
        mode.refused[mode.name_of(func)] = jit.refusal_reason(func) or "not compiled"
    return how is not None and install.is_installed(func)


def _installed_shared(mode: Mode, func) -> None:
    mode.shared_installs += 1
    _record(mode, func)


def _record(mode: Mode, func) -> None:
    mode.record_compiled(func)
    name = mode.name_of(func)
    mode.compiled_names[name] = mode.compiled_names.get(name, 0) + 1


def _made(func) -> None:
    """A function compiled code made (semantics.function_made): when the
    mode compiled its code already, it runs that machine code from its
    first call on (a generator expression's first call is its only one,
    which the counting tail would leave in the interpreter)."""
    record = _by_code.get(id(func.__code__))
    if record is None or record.shared is None or func.__code__ is not record.counted:
        return
    shared, mode = record.shared(), _mode
    if shared is None or mode is None or not mode.selects(func):
        return
    func.__code__ = record.uncounted
    try:
        done = jit.install_shared(func, shared)
    except Exception:            # noqa: BLE001 - the program's MAKE_FUNCTION must not fail
        done = False
    if done:
        _installed_shared(mode, func)
    else:
        func.__code__ = record.counted


def _forget_compiled(compiled: dict, key: int, ref) -> None:
    # (compiled bound when the reference was made: at exit this module's
    # globals may be None before the functions die)
    if compiled.get(key) is ref:
        del compiled[key]


def _count_again(mode: Mode) -> None:
    """Functions whose count pyjit's own calls used up (its compiler's, the
    mode's start) count again from zero: only the program's calls count."""
    if getattr(_compiling, "depth", 0) or jit.in_compiler():
        return
    while mode.later and _mode is mode:
        func, record = mode.later.pop()
        record.recount(mode.threshold)
        if func.__code__ is record.uncounted:
            func.__code__ = record.counted


def _counted_code(code: _CodeType, threshold: int) -> _CodeType:
    """code with every nested function code counted; a function's code
    itself gets the prologue."""
    record = _by_code.get(id(code))
    if record is not None and (code is record.counted or code is record.uncounted):
        return record.counted
    record = _records.get(id(code))
    if record is not None and record.original is code:
        return record.counted
    consts = tuple(_counted_code(c, threshold) if isinstance(c, _CodeType) else c
                   for c in code.co_consts)
    changed = any(a is not b for a, b in zip(consts, code.co_consts))
    inner = code.replace(co_consts=consts) if changed else code
    if code.co_flags & _FUNCTION_CODE != _FUNCTION_CODE:
        return inner                             # a module or class body
    try:
        record = _Counted(code, inner, threshold)
    except ValueError:                           # code the editor cannot handle: not counted
        return inner
    _records[id(code)] = record
    _by_code[id(record.counted)] = record
    _by_code[id(record.uncounted)] = record
    return record.counted


def _count(func, mode: Mode) -> bool:
    code = func.__code__
    if id(func.__globals__) in mode.left_alone:
        return False
    if install.is_installed(func) or mode.excludes(func.__globals__.get("__name__"),
                                                    code.co_filename):
        return False
    counted = _counted_code(code, mode.threshold)
    if counted is code:
        return False
    func.__code__ = counted
    return True


def _unseen(func, code) -> bool | None:
    """unseen_code's `found`: func (None: none known) runs code the mode did
    not count ahead (compiled from a string, for one).  Counts code from
    now on, gives func the counted copy; whether other functions of code may
    still come (its original, from a string, makes more), None when the
    mode is busy on this thread (ask later)."""
    mode = _mode
    if mode is None:
        return False
    record = _by_code.get(id(code))
    if record is not None and (code is record.counted or code is record.uncounted) and (
            code is not record.original or record.arrived_once):
        # counted, or left uncounted by the hook on purpose (compiled,
        # refused, not selected); a function holding the original of a code
        # counted as another's constant was made by an uncounted parent
        return False
    if code.co_flags & _FUNCTION_CODE != _FUNCTION_CODE:
        return False                              # a module or class body
    if type(func) is not _FunctionType:
        return False                              # no function runs it (exec of its code)
    if func.__code__ is not code:
        return True                               # swapped meanwhile: later frames may tell
    if not mode.selects(func) or jit.decided(func):
        return False       # (a compiled function runs its original while a profiler is set)
    if _lock._is_owned() or getattr(_compiling, "depth", 0) or jit.in_compiler():
        return None
    if not _lock.acquire(blocking=False):
        return None
    try:
        if _mode is not mode:
            return False
        if not _count(func, mode):
            return False
        if _STARTED_CALL_COUNTS:
            # the call that started (it runs interpreted) is one of the code's
            next(_by_code[id(func.__code__)].it, None)
        mode.found_late += 1
        return True
    finally:
        _lock.release()


# On 3.12+ the watcher reports a code when its frame starts: that call
# counts.  On 3.11 it reports functions found at a collection, called any
# number of times before: their count goes on from where it is.
_STARTED_CALL_COUNTS = hasattr(sys, "monitoring")


def _get_code_wrapper(get_code):
    def counting_get_code(self, fullname):
        code = get_code(self, fullname)
        mode = _mode
        if code is None or mode is None or mode.excludes(fullname, code.co_filename):
            return code
        with _lock:
            return _counted_code(code, mode.threshold)
    counting_get_code.__wrapped__ = get_code
    return counting_get_code


_LOADERS = (_bootstrap_external.SourceLoader, _bootstrap_external.SourcelessFileLoader)


def start(threshold: int = 1, patterns=None, *, options=None, engine=None,
          excluded: tuple[str, ...] = EXCLUDED, main_module: str | None = None,
          leave_alone=()) -> Mode:
    """Count every function of the process (see the module docstring) and
    compile each selected one when its code reaches threshold calls;
    patterns (fnmatch, against "module:qualname", and "__main__:qualname"
    for main_module's functions) select, None selects all.  options and
    engine: what compiling uses (see jit.force_compile).  leave_alone:
    modules whose functions are neither counted nor compiled.  RuntimeError
    if a mode is on already."""
    global _mode
    if type(threshold) is not int or threshold < 1:
        raise ValueError(f"the threshold must be an int >= 1, not {threshold!r}")
    with _lock:
        if _mode is not None:
            raise RuntimeError("a process-wide JIT mode is on already (autojit.stop() ends it)")
        mode = Mode(threshold, tuple(patterns) if patterns is not None else None,
                    options, engine, tuple(excluded), main_module,
                    frozenset(id(m.__dict__) for m in leave_alone))
        for cls in _LOADERS:
            original = cls.__dict__["get_code"]
            cls.get_code = _get_code_wrapper(original)
            _patched.append((cls, original))
        _mode = mode
        sharing.keep_idle(True)
        semantics.function_made = _made
        _compiling.depth = getattr(_compiling, "depth", 0) + 1   # pyjit's own calls wait
        try:
            for obj in gc.get_objects():
                if type(obj) is _FunctionType:
                    mode.counted_at_start += _count(obj, mode)
        finally:
            _compiling.depth -= 1
        _count_again(mode)
        mode.watch = unseen_code.Watch(_unseen)
        mode.watch_note = mode.watch.start()
        if not _stop_at_exit:
            atexit.register(stop)        # nothing counted runs while the interpreter finalizes
            _stop_at_exit.append(True)
        return mode


_stop_at_exit: list = []


def stop() -> Mode | None:
    """End the mode: the loaders as they were, every function with counted
    code given its original code back (compiled functions stay compiled:
    their trampolines give back the original too).  The mode, or None."""
    global _mode
    with _lock:
        mode, _mode = _mode, None
        while _patched:
            cls, original = _patched.pop()
            cls.get_code = original
        if mode is None:
            return None
        if mode.watch is not None:
            mode.watch.stop()
        semantics.function_made = None
        sharing.keep_idle(False)   # code kept for later functions of the same code goes
        for record in _records.values():
            record.shared = None
        for obj in gc.get_objects():
            if type(obj) is not _FunctionType:
                continue
            record = _by_code.get(id(obj.__code__))
            if record is not None and (obj.__code__ is record.counted
                                       or obj.__code__ is record.uncounted):
                obj.__code__ = record.original
            kept = install.original_code(obj) if install.is_installed(obj) else None
            record = _by_code.get(id(kept)) if kept is not None else None
            if record is not None and kept is record.uncounted:
                install.replace_original(obj, record.original)
        return mode


def passes_to_compiled(code) -> bool:
    """Whether a frame of `code` is only the way into compiled code: a
    counted copy whose count is used up and whose code is compiled, so its
    prologue's hook runs the call compiled (bench/share.py counts the call
    there, not twice)."""
    record = _by_code.get(id(code))
    if record is None or code is not record.counted or _mode is None:
        return False
    shared = record.shared() if record.shared is not None else None
    return shared is not None and not shared.gone and _operator.length_hint(record.it) == 0


def current() -> Mode | None:
    """The mode on, or None."""
    return _mode
