"""A program may rebind builtins (`builtins.len = my_len`); compiled code
must then behave exactly as the interpreter does.

- pyjit's own code on the call path of compiled code -- the trampoline's
  entry (jit.py), the engines and their trap path, the helper binding, the
  Python helpers and semantics.py -- never looks a name up in builtins at
  call time, and never imports: the names it calls are bound when its
  module is imported.  Checked statically over the modules that run there,
  and dynamically over every pyjit function that runs while the construct
  corpus (tests/hir/cases.py) runs compiled;
- every builtin function and class rebound to a counting wrapper: each
  case gives the same outcome compiled as interpreted, and the wrappers
  are called the same number of times (so by the program only);
- a builtin the program itself calls, rebound, is what compiled code calls
  too, warm caches and the isinstance routine included, as in the
  interpreter; and once restored, the original again.
"""

from __future__ import annotations

# This module calls these while the builtins are rebound.
from builtins import (BaseException as _BaseException, callable as _callable,
                      getattr as _getattr, isinstance as _isinstance, issubclass as _issubclass,
                      setattr as _setattr, type as _type, vars as _vars)
import builtins
import collections
import dis
import importlib
import importlib.util
import sys
import types
from pathlib import Path

import pytest

import pyjit.installed as installed
import pyjit.jit as jit
from pyjit.cpython.helpers import HELPERS
from pyjit.runtime.helper_binding import bind

_spec = importlib.util.spec_from_file_location(
    "rebound_cases", Path(__file__).parents[1] / "hir" / "cases.py")
cases = importlib.util.module_from_spec(_spec)
sys.modules["rebound_cases"] = cases
_spec.loader.exec_module(cases)

PACKAGE = Path(jit.__file__).parent

# The modules whose code runs while compiled code runs (the engines, their
# traps and counters, the binding, the helpers and what they call).
CALL_PATH_MODULES = [
    "pyjit.cpython.semantics", "pyjit.cpython.helper_impls", "pyjit.cpython.helper_ops",
    "pyjit.cpython.errstate", "pyjit.cpython.cells", "pyjit.cpython.cache_fills",
    "pyjit.cpython.int_pool", "pyjit.cpython.interpreter",
    "pyjit.cpython.null", "pyjit.cpython.frames", "pyjit.cpython.tracebacks", "pyjit.install",
    "pyjit.runtime.helper_binding", "pyjit.runtime.traps", "pyjit.runtime.engine",
    "pyjit.runtime.unicorn_engine", "pyjit.runtime.native_engine",
    "pyjit.runtime.native_helpers", "pyjit.runtime.stacks",
    "pyjit.runtime.engine_faults", "pyjit.runtime.faults", "pyjit.runtime.counts",
    "pyjit.runtime.hostmem", "pyjit.runtime.identity", "pyjit.runtime.native_first_touch",
    "pyjit.runtime.entries",
    "pyjit.runtime.uc_api", "pyjit.runtime.unicorn_context", "pyjit.cpython.interrupts",
    "pyjit.runtime.host_stack", "pyjit.cpython.tstate", "pyjit.autojit",
    "pyjit.cpython.generators", "pyjit.cpython.genbody", "pyjit.cpython.helper_gen",
    "pyjit.genentry", "pyjit.installed", "pyjit.frame_view", "pyjit.runtime.activations",
    "pyjit.runtime.routines", "pyjit.runtime.routine_frames", "pyjit.cpython.type_attrs",
]

_CO_OPTIMIZED = 0x1          # a function's code (not a module's or a class body's)

# Functions of those modules that import, and run only when an engine is
# made, or only for a listing (which needs capstone: commands that only
# compile work without it, tests/test_layering.py).
IMPORTS_WHEN_MADE = {("pyjit.runtime.unicorn_engine", "_add_address_hook"),
                     ("pyjit.runtime.routines", "routines_listing")}


def _nested_codes(code: types.CodeType):
    for const in code.co_consts:
        if _isinstance(const, types.CodeType):
            yield const
            yield from _nested_codes(const)


def builtins_looked_up(code: types.CodeType, namespace: dict) -> list[str]:
    """The names code loads as globals that namespace lacks (so that they
    come from builtins at call time), and the modules it imports."""
    found = []
    for ins in dis.get_instructions(code):
        if ins.opname == "LOAD_GLOBAL" and ins.argval not in namespace:
            found.append(ins.argval)
        elif ins.opname == "IMPORT_NAME":
            found.append(f"import {ins.argval}")
    return found


# -- pyjit's call path binds what it calls -------------------------------------------------

@pytest.mark.parametrize("name", CALL_PATH_MODULES)
def test_call_path_modules_bind_the_builtins_they_call(name):
    module = importlib.import_module(name)
    source = Path(module.__file__).read_text()
    looked_up = {}
    for code in _nested_codes(compile(source, module.__file__, "exec")):
        if code.co_flags & _CO_OPTIMIZED:
            names = [n for n in builtins_looked_up(code, _vars(module))
                     if not (n.startswith("import ")
                             and (name, code.co_qualname) in IMPORTS_WHEN_MADE)]
            if names:
                looked_up[code.co_qualname] = names
    assert looked_up == {}, (
        f"{name}: add these to its `from builtins import ...` line, and import at the top: "
        f"{looked_up}")


def test_generated_helper_bindings_look_nothing_up():
    for helper in HELPERS.values():
        fn = bind(helper)
        assert builtins_looked_up(fn.__code__, fn.__globals__) == [], helper.name


def test_the_entry_of_a_compiled_function_looks_nothing_up():
    def f(x):
        return x

    assert jit.force_compile(f)
    try:
        entry = jit._installed(f).entry
        assert builtins_looked_up(entry.__code__, entry.__globals__) == []
    finally:
        jit.force_uncompile(f)


def test_nothing_pyjit_runs_while_compiled_code_runs_looks_up_a_builtin(monkeypatch):
    # A profiler makes compiled functions run in the interpreter (jit.py,
    # "tracers and profilers"): to watch pyjit's own frames, the entries
    # (installed.py) are made blind to this one, and it is set without the
    # JIT's wrapper.
    monkeypatch.setattr(installed, "_getprofile", lambda: None)
    set_profile = sys.setprofile.__pyjit_original__
    compiled = [(fn, arglists) for fn, arglists in cases.CASES.values()
                if jit.force_compile(fn)]
    seen: dict[types.CodeType, dict] = {}

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_filename.startswith((str(PACKAGE), "<helper", "<pyjit")):
                seen.setdefault(code, frame.f_globals)

    try:
        for fn, arglists in compiled:
            for args in arglists:
                args = cases.fresh(args)
                set_profile(profile)
                try:
                    fn(*args)
                except Exception:  # noqa: BLE001 - some cases raise on purpose
                    pass
                finally:
                    set_profile(None)
    finally:
        for fn, _ in compiled:
            jit.force_uncompile(fn)
    assert len(seen) > 50                   # the engine, the binding, many helpers
    offenders = {f"{Path(code.co_filename).name}:{code.co_qualname}": names
                 for code, namespace in seen.items()
                 if (names := builtins_looked_up(code, namespace))}
    assert offenders == {}


# -- every builtin rebound to a counting wrapper ----------------------------------------------

calls: collections.Counter = collections.Counter()


class _CountingClass(type):
    """A stand-in for a builtin class: calling it counts and makes an
    instance of the real class; isinstance and issubclass see the real one."""

    def __call__(cls, *args, **kwargs):
        calls[cls._name] += 1
        return cls._real(*args, **kwargs)

    def __instancecheck__(cls, obj):
        return _isinstance(obj, cls._real)

    def __subclasscheck__(cls, sub):
        return _issubclass(sub, cls._real)


def _counting(name: str, real):
    if _isinstance(real, _type):
        return _CountingClass(name, (), {"_name": name, "_real": real})

    def wrapper(*args, **kwargs):
        calls[name] += 1
        return real(*args, **kwargs)
    return wrapper


# Exceptions stay (an except clause needs the real class); so do the two
# hooks the compiler's own statements use.
REBOUND = [name for name, value in _vars(builtins).items()
           if _callable(value) and name not in ("__import__", "__build_class__")
           and not (_isinstance(value, _type) and _issubclass(value, BaseException))]
REAL = {name: _getattr(builtins, name) for name in REBOUND}
COUNTING = {name: _counting(name, value) for name, value in REAL.items()}


def run_rebound(fn, arglists) -> tuple[list, dict]:
    """fn called on fresh copies of each argument tuple with every builtin
    in REBOUND counting: the outcomes and the calls per builtin."""
    argsets = [cases.fresh(args) for args in arglists]
    results = []
    calls.clear()
    for name in REBOUND:
        _setattr(builtins, name, COUNTING[name])
    try:
        for args in argsets:
            try:
                results.append(("ok", fn(*args)))
            except _BaseException as exc:
                results.append(("raise", exc))
    finally:
        for name in REBOUND:
            _setattr(builtins, name, REAL[name])
    counted = dict(calls)
    return [_outcome(r) for r in results], counted


def _outcome(result) -> tuple:
    kind, value = result
    if kind == "ok":
        return kind, cases._ADDRESS.sub("0x?", repr(value))
    return kind, type(value).__name__, str(value)


def test_many_builtins_rebound():
    assert {"len", "isinstance", "getattr", "iter", "tuple", "type", "id", "next", "open",
            "dict", "str", "int", "super"} <= set(REBOUND)


@pytest.mark.parametrize("name", list(cases.CASES))
def test_rebound_builtins_are_called_by_the_program_only(name):
    fn, arglists = cases.CASES[name]
    expected = run_rebound(fn, arglists)
    assert jit.force_compile(fn), jit.refusal_reason(fn)
    try:
        got = run_rebound(fn, arglists)
    finally:
        jit.force_uncompile(fn)
    assert got == expected


def test_rebound_builtins_at_the_first_call_of_a_new_engine():
    # The first call of an engine used to start its watchdog thread, whose
    # Python code calls str() and len().
    fn, arglists = cases.CASES["calls"]
    expected = run_rebound(fn, arglists)
    engine = jit.make_engine("unicorn")
    try:
        assert jit.force_compile(fn, engine=engine)
        got = run_rebound(fn, arglists)
    finally:
        jit.force_uncompile(fn)
        engine.close()
    assert got == expected


def test_rebound_builtins_while_counting():
    fn, arglists = cases.CASES["containers"]
    expected = run_rebound(fn, arglists)
    jit.set_counting(True)
    try:
        assert jit.force_compile(fn)
        got = run_rebound(fn, arglists)
    finally:
        jit.force_uncompile(fn)
        jit.set_counting(False)
    assert got == expected


def test_hostile_len_and_tuple_do_not_reach_the_call_path():
    # Before the builtins were bound, the entry's len() told the compiled
    # code how many arguments it had: a SystemError or an emulation fault.
    def g(a, b=2, *rest, **kw):
        pairs = [(k, v) for k, v in kw.items()]
        first, *others = (a, b, *rest)
        return first, others, pairs, f"{a}{b!r}"

    expected = g(1, 2, 3, 4, z=5)
    assert jit.force_compile(g)
    saved = builtins.len, builtins.tuple, builtins.isinstance
    try:
        builtins.len = lambda obj: 1000
        builtins.tuple = lambda *args: ("not", "a", "tuple")
        builtins.isinstance = lambda obj, cls: False
        got = g(1, 2, 3, 4, z=5)
    finally:
        builtins.len, builtins.tuple, builtins.isinstance = saved
        jit.force_uncompile(g)
    assert got == expected


# -- the program's own calls see what it rebound --------------------------------------------

def uses_builtins(x):
    return len(x), isinstance(x, list), type(x).__name__, getattr(x, "missing", "-"), \
        next(iter(x))


def test_compiled_code_calls_the_rebound_builtins_as_the_interpreter_does():
    def rebind():
        builtins.len = lambda obj: -1
        builtins.isinstance = lambda obj, cls: "isinstance"
        builtins.type = lambda obj: types.SimpleNamespace(__name__="T")
        builtins.getattr = lambda obj, name, default: f"getattr {name}"
        builtins.iter = lambda obj: (item for item in ("iter",))

    names = ("len", "isinstance", "type", "getattr", "iter")
    saved = {name: _getattr(builtins, name) for name in names}

    def outcomes():
        before = uses_builtins([7])
        rebind()
        try:
            during = uses_builtins([7])
        finally:
            for name, value in saved.items():
                _setattr(builtins, name, value)
        return before, during, uses_builtins([7])

    interpreted = outcomes()
    assert interpreted[1] == (-1, "isinstance", "T", "getattr missing", "iter")
    assert jit.force_compile(uses_builtins)
    try:
        uses_builtins([1])              # warm: global caches filled, isinstance routine
        assert outcomes() == interpreted
    finally:
        jit.force_uncompile(uses_builtins)
