"""The public API, modelled on `cinderx.jit`.

    import pyjit
    pyjit.force_compile(f)            # True when f now runs compiled code
    f(9.0)                            # runs under the engine
    pyjit.get_compiled_size(f)        # bytes, -1 when not compiled
    print(pyjit.disassemble(f))

A compiled function is installed with a trampoline (install.py): every
existing reference to it reaches the compiled code.  The engine is the
process's Unicorn engine unless another is selected (`set_engine`).  The JIT
log (`PYJIT_LOG=path`, or `set_log(path)`) records every compile and every
refusal with its reason.

Code lifetime: the JIT's bookkeeping holds compiled (and refused, and
watched) functions weakly.  When a compiled function is collected, a weak
reference's callback (which runs in its deallocation, before its address
can be reused) forgets its entry in every call cell and retires its code;
`force_uncompile` unloads it.  Either way the engine unloads the code once
no code of the engine runs (an activation still running, even of the
function uncompiling itself, finishes normally), and the arena reuses the
pages: there is no cap on how many functions a program compiles over its
life, only on how many are compiled at once (the arena's size: a load that
does not fit is refused, with the reason).  Machine code is shared by the
functions made from the same code with the same globals and builtins
(sharing.py): it goes with the last of them (and the last suspended
generator of a generator body); a process-wide mode keeps some idle code
for the functions of the same code it will make later.
"""

from __future__ import annotations

import ctypes
import dataclasses
import sys
import os
import threading
import weakref
from types import FunctionType
from typing import Any, Callable

from . import install
from .callables import function_of, not_compilable_reason
from .compiler import CompiledFunction, check_options, compile_function, qualified_name
from .cpython.genbody import generator_kind
from .hir.errors import CompileRefused
from .environment import compile_options, settings
from . import frame_view, generator_view, sharing
from .installed import Installed, compiler_state
from .options import CompileOptions, OptionError
from .runtime import entries, routines
from .runtime.emulation_lock import give, take_again

_lock = threading.RLock()


def _give_after_fork() -> None:
    give(_lock)


# A fork waits until no other thread compiles: in the child, where that
# thread does not exist, the lock would stay held (autojit.py and
# emulation_lock.py do the same for theirs; handlers registered later run
# first before a fork, so the locks are taken in the order the code nests
# them: the mode's, this one, the emulation locks, registered at the import
# above).
os.register_at_fork(before=lambda: take_again(_lock), after_in_parent=_give_after_fork,
                    after_in_child=_give_after_fork)
_compiled: dict[int, "Installed"] = {}          # id(func) -> installed (func held weakly)
_refusals: "weakref.WeakKeyDictionary[FunctionType, str]" = weakref.WeakKeyDictionary()
_interpreted_calls: "weakref.WeakKeyDictionary[FunctionType, int]" = weakref.WeakKeyDictionary()
_watched: "weakref.WeakKeyDictionary[FunctionType, FunctionType]" = weakref.WeakKeyDictionary()
# the counting trampolines' entries
_watch_entries: "weakref.WeakKeyDictionary[FunctionType, Callable]" = weakref.WeakKeyDictionary()
_suspended = False                                    # a tracer or profiler is set
_compiler = compiler_state
_gettrace, _getprofile = sys.gettrace, sys.getprofile
_engine = None
_log_file = None
_log_from_environment = True        # PYJIT_LOG names the log until set_log is called
_auto_threshold: int | None = None


def _collected(key: int) -> None:
    """The compiled function whose id was key is being deallocated: no call
    cell may name it any more (before its address is reused), and its code
    goes once nothing runs it.  Dictionary work and a queue only: this runs
    wherever the function dies, even inside the JIT or the engine."""
    try:
        installed = _compiled.pop(key, None)
        if installed is not None:
            entries.forget_entry_id(key)
            installed.release(retire=True)
    except (AttributeError, TypeError):
        # While the interpreter finalizes, modules' globals become None one
        # module after another: nothing is left to forget.
        if sys is not None and not sys.is_finalizing():
            raise


def _installed(func) -> "Installed | None":
    """The record of func if it is compiled now."""
    installed = _compiled.get(id(func))
    return installed if installed is not None and installed.func_ref() is func else None


# -- engine and log ---------------------------------------------------------------

def in_compiler() -> bool:
    """Whether this thread is inside pyjit's compiler now."""
    return _compiler.depth > 0


def get_engine():
    """The engine compiled code is loaded into (created on first use)."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = make_engine(settings().engine)
        return _engine


def current_engine():
    """The JIT's engine if it has been made, else None (makes none)."""
    return _engine


def make_engine(name: str, **kwargs):
    """A new engine by name: "unicorn" (emulated, any host) or "native"
    (AArch64 Linux only; elsewhere NativeUnavailable says so); kwargs go to
    its constructor.  A native engine writes the perf map when PYJIT_PERF_MAP
    is 1 (unless kwargs say)."""
    if name == "unicorn":
        from .runtime import UnicornEngine
        return UnicornEngine(**kwargs)
    if name == "native":
        from .runtime.native_engine import NativeEngine
        kwargs.setdefault("perf_map", settings().perf_map)
        return NativeEngine(**kwargs)
    raise ValueError(f"unknown engine {name!r}: the engines are: unicorn, native")


def set_engine(engine) -> None:
    """Use engine for functions compiled from now on (compiled ones keep
    theirs)."""
    global _engine
    with _lock:
        _engine = engine


def set_log(path: str | None) -> None:
    """Append the JIT log to path (None: stop logging; "-": stderr); from
    then on PYJIT_LOG is not read.  OSError when path cannot be opened."""
    global _log_file, _log_from_environment
    with _lock:
        _log_from_environment = False
        if _log_file is not None and _log_file is not sys.stderr:
            _log_file.close()
        _log_file = None if path is None else (sys.stderr if path == "-" else open(path, "a"))


def _log(message: str) -> None:
    if _log_file is not None:
        _log_file.write(message + "\n")
        _log_file.flush()


def _open_environment_log() -> None:
    """Open the log PYJIT_LOG names, once, unless set_log chose one;
    OptionError when it cannot be opened (read at the first compile, so
    that importing pyjit never fails on the environment)."""
    global _log_from_environment
    if not _log_from_environment:
        return
    path = settings().log
    if path is not None:
        try:
            set_log(path)
        except OSError as exc:
            raise OptionError(f"PYJIT_LOG={path!r} cannot be opened for appending: "
                              f"{exc.strerror}") from None
    _log_from_environment = False


# -- compiling --------------------------------------------------------------------------

def default_options() -> CompileOptions:
    """The options force_compile uses when given none: the environment's
    (PYJIT_STRATEGY, PYJIT_REFCOUNTS, PYJIT_CACHES, PYJIT_DIRECT_CALLS) as
    they are now, over the defaults."""
    return compile_options()


def force_compile(func: Callable, strategy: str | None = None, *,
                  refcounts: str | None = None, options: CompileOptions | None = None,
                  engine=None) -> bool:
    """Compile func now and install it; False, with the reason in the JIT
    log and `refusal_reason(func)`, when it cannot be compiled (anything
    but a Python function, or one the JIT does not support).

    options: the compilation's (None: `default_options()`); strategy (a
    call-lowering strategy's name) and refcounts ("outline",
    "inline-incref" or "inline", see pyjit.aarch64.codegen.REFCOUNT_MODES)
    override its fields.  engine: where to load the code (None: the JIT's
    engine, `get_engine()`).  Code that does not fit in the engine's arena
    (too many functions compiled at once) is a refusal, with the reason.
    A function made from the same code, with the same globals and
    builtins, as one compiled with the same options and engine installs
    the machine code loaded for it (sharing.py) without compiling again.

    Raises OptionError, one sentence naming the value and the accepted
    ones, for an unknown strategy or refcounts mode and for a bad PYJIT_*
    variable (PYJIT_STRATEGY, PYJIT_ENGINE, PYJIT_LOG, ...): those are
    mistakes in how the JIT is set up, not properties of func, and returning
    False would let a program run uncompiled without anyone noticing."""
    return compile_installing(func, strategy, refcounts=refcounts, options=options,
                              engine=engine) is not None


def compile_installing(func: Callable, strategy: str | None = None, *,
                       refcounts: str | None = None, options: CompileOptions | None = None,
                       engine=None, retain: bool = False) -> str | None:
    """force_compile, saying how: "compiled" (compiled and loaded now),
    "shared" (the machine code loaded for another function of the same
    code installed), None (not compiled).  retain: the code stays loaded,
    idle, once no function uses it, for later functions of the same code
    (what the process-wide modes ask: sharing.py)."""
    if options is not None and not isinstance(options, CompileOptions):
        raise TypeError(f"options must be a CompileOptions, not {type(options).__name__}")
    # What pyjit's own code calls from here on (the environment's mapping,
    # dataclasses.replace, the compiler's library functions) runs in the
    # interpreter, and a process-wide mode compiles none of it meanwhile.
    _compiler.depth += 1
    try:
        options = (options or default_options()).with_(strategy=strategy, refcounts=refcounts)
        check_options(options)
        _open_environment_log()
        func = _function_of(func)
        if func is None:
            return None
        with _lock:
            return _compile_and_install(func, options, engine, retain)
    finally:
        _compiler.depth -= 1


def _compile_and_install(func: FunctionType, options: CompileOptions, engine,
                         retain: bool) -> str | None:
    """compile_installing's work, under the lock, inside the compiler."""
    if _installed(func) is not None:
        force_uncompile(func)
    engine = engine if engine is not None else get_engine()
    shared = sharing.find(func, options, engine)
    if shared is not None and _install_shared(func, shared):
        shared.retained = shared.retained or retain
        _log(f"Installed {qualified_name(func)}: the code compiled for another function "
             "made from the same code")
        return "shared"
    try:
        compiled = compile_function(func, options=options, placement=engine.placement())
    except CompileRefused as exc:
        _refusals[func] = exc.reason
        _log(f"Refused {qualified_name(func)}: {exc.reason}")
        return None
    except Exception as exc:  # noqa: BLE001 - a compiler bug must not break the program
        reason = f"internal compiler error: {type(exc).__name__}: {exc}"
        _refusals[func] = reason
        _log(f"Refused {qualified_name(func)}: {reason}")
        return None
    routines.prepare_engine(engine)
    try:
        loaded = _load(engine, compiled)
    except MemoryError as exc:       # the arena is full of live compiled code
        _refusals[func] = reason = f"not loaded: {exc}"
        _log(f"Refused {qualified_name(func)}: {reason}")
        return None
    entries.attach(compiled.consts, engine, loaded.address)
    shared = sharing.Shared(sharing.key_of(func, options, engine), func,
                            dataclasses.replace(compiled, func=None), engine, loaded,
                            generator=compiled.hir.generator is not None, retained=retain)
    sharing.register(shared)
    _install_shared(func, shared)
    _log(f"Finished compiling {compiled.name} in {compiled.compile_ms:.1f} ms, "
         f"{compiled.size} bytes")
    return "compiled"


def install_shared(func: FunctionType, shared: sharing.Shared) -> bool:
    """Install shared's machine code (compiled for another function of the
    same code, globals and builtins) in func without looking for it: what
    a process-wide mode does for the later functions of a code it
    compiled.  False, doing nothing, when that code cannot serve func
    (unloaded since, other globals) or func is compiled already."""
    _compiler.depth += 1
    try:
        with _lock:
            if (not shared.matches(func) or _installed(func) is not None
                    or not _install_shared(func, shared)):
                return False
            if _log_file is not None:
                _log(f"Installed {qualified_name(func)}: the code compiled for another "
                     "function made from the same code")
            return True
    finally:
        _compiler.depth -= 1


def shared_code_of(func: Callable) -> "sharing.Shared | None":
    """The machine code func runs, shared with the other functions of its
    code (sharing.py), or None when it is not compiled."""
    installed = _installed(_function_of(func))
    return installed.shared if installed is not None else None


def _compiled_at(address: int):
    """(the compiled function whose object is at address, the traceback
    information of its code), or None when no compiled function lives
    there (the address is not read)."""
    installed = _compiled.get(address)
    func = installed.func_ref() if installed is not None else None
    if func is None or id(func) != address:
        return None
    return func, installed.compiled.code_info


def _load(engine, compiled: CompiledFunction):
    """Load compiled code; when the arena is full, once more after
    unloading the idle code kept for later functions (sharing.py).  The
    first load puts the views of frames and generators in place
    (frame_view.py, generator_view.py)."""
    frame_view.install(_compiled_at)
    generator_view.install()
    try:
        return engine.load(compiled.code, compiled.name, compiled.emitted.resolve)
    except MemoryError:
        if not sharing.drop_idle(engine):
            raise
        return engine.load(compiled.code, compiled.name, compiled.emitted.resolve)


def _install_shared(func: FunctionType, shared: sharing.Shared) -> bool:
    """func runs shared's code from now on; False when that code is
    unloaded (or about to be: an eviction took it)."""
    if not shared.acquire():         # first: no eviction may take it from here on
        return False
    try:
        installed = Installed(shared.compiled, shared.engine, shared.loaded, func, shared,
                              _collected, _tracing_changed)
    except BaseException:
        shared.release(retire=False)
        raise
    _install(func, installed)
    return True


def _install(func: FunctionType, installed: Installed) -> None:
    """func runs installed's code from now on (a user of its shared code,
    acquired)."""
    _compiled[id(func)] = installed
    if not _suspended:
        install.install(func, installed.entry, installed.compiled.hir.generator)
        _register_entry(func, installed)
    _refusals.pop(func, None)


def _register_entry(func: FunctionType, installed: Installed) -> None:
    """Compiled callers may call func's machine code directly from now on,
    unless func needs its own frame (its trampoline's) or is a generator
    (its machine code is the body its driver resumes)."""
    if not installed.compiled.hir.needs_frame and installed.compiled.hir.generator is None:
        entries.register_entry(func, installed.engine, installed.loaded.address)


def force_uncompile(func: Callable) -> bool:
    """Put func's interpreted code back; False if it was not compiled.
    Callable from inside func: an activation running its compiled code
    finishes on it, and the code is unloaded once no code of the engine
    runs (Engine.unload)."""
    func = _function_of(func)
    with _lock:
        installed = _installed(func)
        if installed is None:
            return False
        install.uninstall(func)
        _forget(func, installed)
        return True


def _forget(func: FunctionType, installed: Installed) -> None:
    """func runs its compiled code no more (its trampoline gone): drop its
    record (under _lock)."""
    del _compiled[id(func)]
    _watched.pop(func, None)
    _watch_entries.pop(func, None)
    # No call cell may keep the entry of code about to be unloaded; the
    # engine unloads it once nothing runs it (func may be running now)
    # and no other function shares it.
    entries.forget_entry(func)
    installed.release(retire=False)


def _function_of(func: Callable) -> FunctionType | None:
    return function_of(func)


def is_jit_compiled(func: Callable) -> bool:
    return _installed(_function_of(func)) is not None


def decided(func: FunctionType) -> bool:
    """Whether pyjit has dealt with func already: compiled (its trampoline
    taken out while a tracer or profiler is set, too), watched, or refused."""
    return _installed(func) is not None or func in _watched or func in _refusals


def refusal_reason(func: Callable) -> str | None:
    """Why func is not compiled, in one sentence: for anything but a Python
    function (a built-in, a class, a functools.partial, ...), why it cannot
    be; for a Python function, why the JIT refused it the last time it was
    compiled (None when it was not refused)."""
    function = _function_of(func)
    if function is None:
        return not_compilable_reason(func)
    return _refusals.get(function)


def compiled_function(func: Callable) -> CompiledFunction | None:
    func = _function_of(func)
    installed = _installed(func)
    return dataclasses.replace(installed.compiled, func=func) if installed is not None else None


def get_compiled_functions() -> list[FunctionType]:
    return [f for f in (i.func_ref() for i in list(_compiled.values())) if f is not None]


def get_compiled_size(func: Callable) -> int:
    """Code + literals + stubs + veneers + padding in bytes, -1 when not
    compiled."""
    compiled = compiled_function(func)
    return compiled.size if compiled is not None else -1


def get_size_breakdown(func: Callable) -> dict[str, int]:
    compiled = compiled_function(func)
    return dict(compiled.code.sizes) if compiled is not None else {}


def get_function_hir_opcode_counts(func: Callable) -> dict[str, int]:
    from .hir.stats import opcode_counts
    compiled = compiled_function(func)
    return opcode_counts(compiled.hir) if compiled is not None else {}


def dump_hir(func: Callable) -> str:
    from .hir.printer import format_function
    compiled = compiled_function(func)
    if compiled is None:
        raise ValueError(f"{func!r} is not compiled")
    return format_function(compiled.hir)


def dump_lir(func: Callable) -> str:
    from .lir.printer import format_function
    compiled = compiled_function(func)
    if compiled is None:
        raise ValueError(f"{func!r} is not compiled")
    return format_function(compiled.lir, compiled.emitted.allocation)


def disassemble(func: Callable) -> str:
    """The annotated listing of func's code as loaded."""
    from .aarch64.listing import listing
    installed = _installed(_function_of(func))
    if installed is None:
        raise ValueError(f"{func!r} is not compiled")
    return listing(installed.compiled.code, base=installed.loaded.address,
                   name=installed.compiled.name)


def dynamic_counts(engine=None) -> dict[str, dict[str, Any]]:
    """Per compiled function (module:qualname): instructions, loads, stores,
    taken_branches, indirect_branches, helper_calls, and helpers (calls per
    helper), counted while counting is on (`set_counting`) in engine (None:
    the JIT's engine)."""
    engine = engine if engine is not None else get_engine()
    return {name: dataclasses.asdict(counts) for name, counts in engine.counts().items()}


def count_interpreted_calls(func: Callable) -> int:
    """Calls of a watched function that ran in the interpreter."""
    func = _function_of(func)
    return _interpreted_calls.get(func, 0) if func is not None else 0


def compile_after_n_calls(n: int | None) -> None:
    """Watched functions compile on their n-th interpreted call (None:
    they are only counted).  See `watch`."""
    global _auto_threshold
    if n is not None and n < 1:
        raise ValueError(f"compile_after_n_calls needs n >= 1 or None, not {n}")
    _auto_threshold = n


def watch(func: Callable, *, threshold: int | None = None,
          options: CompileOptions | None = None, engine=None) -> None:
    """Count func's interpreted calls (a counting trampoline), and compile
    it on the call that reaches the threshold (None: the one
    `compile_after_n_calls` set, as it is at that call); a refused function
    keeps running in the interpreter, counted.  options and engine: what
    the compile uses (see force_compile)."""
    function = _function_of(func)
    if function is None:
        raise TypeError(f"watch needs a Python function: {not_compilable_reason(func)}")
    func = function
    check_options(options or default_options())     # OptionError now, not at the n-th call
    _open_environment_log()
    if threshold is not None and threshold < 1:
        raise ValueError(f"watch needs a threshold >= 1 or None, not {threshold}")
    with _lock:
        if _installed(func) is not None or func in _watched:
            return
        interpreted = install.shadow(func)
        _watched[func] = interpreted
        code = install.original_code(func)
        func_ref = weakref.ref(func)       # the entry lives in func's code: no cycle

        def counting_entry(*slots):
            func = func_ref()
            n = _interpreted_calls[func] = _interpreted_calls.get(func, 0) + 1
            limit = _auto_threshold if threshold is None else threshold
            target = interpreted
            if (limit is not None and n >= limit and func not in _refusals
                    and _compile_watched(func, options, engine)):
                target = func
            args, kwargs = install.split_slots(code, slots)
            if kind is not None:      # the generator (or coroutine) to delegate to
                return target(*args, **kwargs)
            return install.call_for_trampoline(target, args, kwargs)
        kind = generator_kind(code)
        _watch_entries[func] = counting_entry
        if not _suspended:
            install.install(func, counting_entry, kind)


def _compile_watched(func: FunctionType, options: CompileOptions | None, engine) -> bool:
    """force_compile on a watched function's call: a PYJIT_* variable made
    bad since `watch` is a refusal (in the log and refusal_reason), not an
    exception out of the program's call."""
    try:
        return force_compile(func, options=options, engine=engine)
    except OptionError as exc:
        _refusals[func] = str(exc)
        _log(f"Refused {qualified_name(func)}: {exc}")
        return False


def unwatch(func: Callable) -> None:
    """Stop counting func (its original code comes back unless compiled)."""
    func = _function_of(func)
    if func is None:
        return
    with _lock:
        _watch_entries.pop(func, None)
        if _watched.pop(func, None) is not None and _installed(func) is None:
            install.uninstall(func)


# -- tracers and profilers -----------------------------------------------------------
# While a tracer or a profiler is set (sys.settrace, sys.setprofile, or the
# C-API's PyEval_SetTrace/SetProfile), every installed function runs its
# original code in the interpreter, so the tracer sees the program's lines
# and frames and none of pyjit's: the trampolines are taken out (the code
# stays loaded) and call cells forget compiled entries.  sys.settrace and
# sys.setprofile are wrapped to switch before a tracer starts and after it
# stops; a tracer set from C is noticed at the next call of a compiled
# function (which then runs in the interpreter), and its removal at the next
# sys.settrace/sys.setprofile call.

def _tracing_active() -> bool:
    return _gettrace() is not None or _getprofile() is not None


def _tracing_changed(active: bool | None = None) -> None:
    """Take the trampolines out while tracing (active: whether a tracer or
    profiler is set; None: look), put them back after."""
    global _suspended
    with _lock:
        if active is None:
            active = _tracing_active()
        if active == _suspended:
            return
        _suspended = active
        for installed in list(_compiled.values()):
            func = installed.func_ref()
            if func is None:
                continue
            if active:
                install.uninstall(func)
                entries.forget_entry(func)
            elif install.original_code(func) is not installed.original:
                _forget(func, installed)            # the program gave func other code
            else:
                install.install(func, installed.entry, installed.compiled.hir.generator)
                _register_entry(func, installed)
        for func, entry in list(_watch_entries.items()):
            if _installed(func) is None:
                if active:
                    install.uninstall(func)
                else:
                    install.install(func, entry, generator_kind(install.original_code(func)))


def _wrap_tracing_setters() -> None:
    for name in ("settrace", "setprofile"):
        original = getattr(sys, name)
        if getattr(original, "__pyjit_original__", None) is not None:
            continue

        def setter(function, _original=original):
            if function is not None:      # out of the way before the tracer starts
                _tracing_changed(True)
                _original(function)
            else:                         # back only once it has stopped
                _original(function)
                _tracing_changed()
        setter.__name__, setter.__qualname__ = original.__name__, original.__qualname__
        setter.__doc__ = original.__doc__
        setter.__pyjit_original__ = original
        setattr(sys, name, setter)


_wrap_tracing_setters()


def set_counting(on: bool, engine=None) -> None:
    """Switch dynamic counting on or off in engine (None: `get_engine()`).

    The engine adds or removes its block hook and flushes Unicorn's
    translated blocks, so code that already ran is counted (or runs at
    full speed) from its next call on.  Counting slows emulation several
    times over: switch it on only for the calls to measure.  Not allowed
    while emulated code is running."""
    with _lock:
        (engine if engine is not None else get_engine()).counting = on


def reset_dynamic_counts(engine=None) -> None:
    """Zero every function's dynamic counts (`dynamic_counts()`) in engine
    (None: `get_engine()`)."""
    with _lock:
        (engine if engine is not None else get_engine()).reset_counts()


def dump_elf(path: str) -> int:
    """Write all code loaded in the current engine (compiled functions, the
    shared routines, the native engine's own) to path as an AArch64 ELF
    executable, at the addresses it runs at: a FUNC symbol per loaded code
    and one per stub, veneer and literal region, with mapping symbols so
    that `llvm-objdump -d` shows pools as data.  Returns the number of
    loaded codes written."""
    from .elf import write_elf
    with _lock:
        loaded = list(get_engine().loaded)
    write_elf(path, [(code.address, code.name, bytes(ctypes.string_at(code.address, code.size)),
                      code.code.regions) for code in loaded])
    return len(loaded)
