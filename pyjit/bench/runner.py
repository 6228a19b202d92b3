"""Running a loaded pyperformance benchmark under the JIT.

    result = run_benchmark("richards", "jitlist:__main__:*", "direct", loops=3)
    result.matches, result.values, result.compiled, result.refusals, result.leak

Modes (as in CinderX):
  nojit             the interpreter only;
  jitlist:PATTERN   compile, before running, every function or method the
                    benchmark module defines whose `module:qualname`
                    matches PATTERN (fnmatch wildcards; `__main__` stands
                    for the benchmark module, so `__main__:*` is all of
                    it); several patterns separated by `,`; `@FILE` reads
                    patterns from FILE, one a line (`#` comments);
  autojit:N         watch every function of the module and compile each on
                    its N-th call.

What runs: the first registration (or the one named `bench`).  The file is
loaded twice.  One copy makes the reference: one call in the interpreter.
The other copy runs under the JIT: `loops` timed iterations, each one call
of the callable (`bench_time_func`: `func(1, *args)`); a value is seconds
per inner loop.  The check: the JIT copy's first call must print what the
reference call printed and leave the module's global data in the same
state (bench/state.py), and for `bench_func` every call must return the
reference's value (a `bench_time_func` returns a time: nothing to
compare).  Then, optionally, one call with dynamic counting on, and the
leak check: after a warm call, gc object counts and tracemalloc's traced
memory before and after `leak_iterations` more calls must not grow by more
than the interpreter's own growth over as many calls (measured on the
reference copy) plus a small slack.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import io
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from ..environment import compile_options
from ..options import OptionError
from .loader import (BenchmarkError, LoadedBenchmark, Registered, installed_pyperf,
                     load_benchmark)
from .state import describe_difference, first_difference, snapshot, snapshot_module

DEFAULT_TIMEOUT: float | None = None   # per outermost emulated call: no limit (a limit
                                       # costs Unicorn a timer thread a call)
LEAK_OBJECT_SLACK = 200         # objects
LEAK_MEMORY_SLACK = 256 << 10   # bytes


@dataclass
class CompiledInfo:
    name: str
    size: int
    sections: dict[str, int]


@dataclass
class BenchResult:
    benchmark: str                      # e.g. "richards"
    registered: str                     # the name it registered under
    kind: str                           # bench_func or bench_time_func
    mode: str
    strategy: str | None
    engine: str
    loops: int
    inner_loops: int
    module: str                         # e.g. "bm_richards"
    values: list[float] = field(default_factory=list)   # s per inner loop, per iteration
    wall_time: float = 0.0              # s, all timed iterations
    reference_time: float = 0.0         # s, the interpreter's reference call
    check: str = "values+state"         # "values+state" or "state" (bench_time_func)
    state: str = ""                     # how output and module state compared
    matches: bool = False
    reference: str = ""
    result: str = ""
    error: str | None = None
    candidates: int = 0                 # functions the module defines
    compiled: list[CompiledInfo] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)
    counts: dict[str, dict[str, Any]] | None = None
    leak: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def total_size(self) -> int:
        return sum(c.size for c in self.compiled)

    @property
    def ok(self) -> bool:
        return self.error is None and self.matches and (self.leak is None or self.leak["ok"])

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["total_size"] = self.total_size
        d["ok"] = self.ok
        return d


# -- modes ----------------------------------------------------------------------------

def parse_mode(mode: str) -> tuple[str, Any]:
    """("nojit", None), ("jitlist", [patterns]) or ("autojit", N); raises
    ValueError with the accepted forms."""
    kind, _, arg = mode.partition(":")
    if kind == "nojit" and not arg:
        return "nojit", None
    if kind == "jitlist" and arg:
        if arg.startswith("@"):
            try:
                with open(arg[1:], encoding="utf-8") as f:
                    lines = f.read().splitlines()
            except OSError as exc:
                raise ValueError(f"jitlist file {arg[1:]!r}: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise ValueError(f"jitlist file {arg[1:]!r} is not UTF-8 text") from None
            patterns = [ln.split("#", 1)[0].strip() for ln in lines]
        else:
            patterns = [p.strip() for p in arg.split(",")]
        patterns = [p for p in patterns if p]
        if not patterns:
            raise ValueError(f"jitlist {arg!r} has no patterns")
        return "jitlist", patterns
    if kind == "autojit" and arg:
        try:
            n = int(arg)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"autojit needs a call count >= 1, not {arg!r}")
        return "autojit", n
    raise ValueError(f"bad mode {mode!r}: expected nojit, jitlist:PATTERN (or jitlist:@FILE) "
                     "or autojit:N")


def select(functions, module_name: str, patterns: list[str]):
    """The functions whose module:qualname (or __main__:qualname) matches."""
    chosen = []
    for func in functions:
        names = (f"{module_name}:{func.__qualname__}", f"__main__:{func.__qualname__}")
        if any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
            chosen.append(func)
    return chosen


# -- running ----------------------------------------------------------------------------

def _stderr(message: str) -> None:
    print(f"pyjit run: {message}", file=sys.stderr, flush=True)


def _call(reg: Registered):
    if reg.kind == "bench_func":
        return reg.func(*reg.args)
    return reg.func(1, *reg.args)


def _call_capturing(reg: Registered):
    """(the call's value, what it printed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        value = _call(reg)
    return value, out.getvalue()


def _same_registration(loaded: LoadedBenchmark, reg: Registered) -> Registered:
    """The registration of the other copy that matches reg."""
    for other in loaded.registered:
        if other.name == reg.name and other.kind == reg.kind:
            return other
    raise BenchmarkError(f"the second copy of {loaded.name!r} registers no {reg.name!r}")


def _compare_state(ref_output: str, ref_state, output: str, state) -> str:
    """What matched, when the output and the module state are the
    reference's; BenchmarkError saying where they differ otherwise."""
    if output != ref_output:
        a, b = ref_output.splitlines(), output.splitlines()
        line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        raise BenchmarkError(f"the first call printed something else than the interpreter's "
                             f"(line {line + 1} of {len(a)}: interpreter "
                             f"{_short_repr(a[line] if line < len(a) else None)}, JIT "
                             f"{_short_repr(b[line] if line < len(b) else None)})")
    (ref_snap, ref_cut), (snap, cut) = ref_state, state
    diff = first_difference(ref_snap, snap)
    if diff is not None:
        raise BenchmarkError("the first call left the module's global data in another state "
                             "than the interpreter's: " + describe_difference(diff))
    lines = len(output.splitlines())
    return (f"output ({lines} lines) and module state match"
            + (" (state compared up to its first objects only)" if ref_cut or cut else ""))


def _same(a, b) -> bool:
    """a == b, or, for objects without a useful equality (a class that
    compares by identity), the same structure (bench/state.py)."""
    try:
        if a == b:
            return True
    except Exception:  # noqa: BLE001 - an odd __eq__
        pass
    return first_difference(snapshot(a)[0], snapshot(b)[0]) is None


def _short_repr(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _make_engine(engine, timeout: float | None):
    """(name, engine object) for "unicorn" (a fresh UnicornEngine with
    timeout), "native" (a fresh NativeEngine: AArch64 Linux only) or an
    engine object."""
    if engine is None or engine == "unicorn":
        from ..runtime import UnicornEngine
        return "unicorn", UnicornEngine(timeout=timeout)
    if engine == "native":
        from ..runtime.native_engine import NativeEngine, NativeUnavailable
        try:
            return "native", NativeEngine()
        except NativeUnavailable as exc:
            raise BenchmarkError(f"--engine native: {exc}") from None
    if isinstance(engine, str):
        raise BenchmarkError(f"unknown engine {engine!r}: use unicorn or native")
    return type(engine).__name__, engine


def run_benchmark(name: str, mode: str = "nojit", strategy: str | None = None,
                  loops: int = 1, engine=None, *, counts: bool = False,
                  leak_iterations: int = 2, bench: str | None = None,
                  bench_args: Sequence[str] = (),
                  timeout: float | None = DEFAULT_TIMEOUT,
                  progress: bool | Callable[[str], None] = True) -> BenchResult:
    """Run benchmark `name` (a pyperformance name or a run_benchmark.py
    path) in `mode` (see the module docstring) and return its BenchResult.
    engine: "unicorn" (default, a fresh UnicornEngine with `timeout`),
    "native" (a fresh NativeEngine) or an engine object.  bench_args: the
    benchmark's own command line options (nbody's `--iterations 1000`).  Raises BenchmarkError when the benchmark cannot run here
    and ValueError on a bad mode; a failure while running is recorded in
    `result.error`."""
    from .. import jit
    from ..compiler import check_options
    from ..cpython import routines as shared_routines
    from ..target import module_functions

    say = _stderr if progress is True else (progress or (lambda message: None))
    kind, arg = parse_mode(mode)
    if loops < 1:
        raise ValueError(f"loops must be >= 1, not {loops}")
    loaded = load_benchmark(name, bench_args)
    regs = loaded.registered
    if bench is not None:
        regs = [r for r in regs if r.name == bench]
        if not regs:
            raise BenchmarkError(f"benchmark {name!r} registers no {bench!r} (it registers: "
                                 f"{', '.join(r.name for r in loaded.registered)})")
    reg = regs[0]
    module = loaded.module
    engine_name, eng = (("none", None) if kind == "nojit" else _make_engine(engine, timeout))
    try:
        options = compile_options().with_(strategy=strategy)
        check_options(options)
    except OptionError as exc:
        raise BenchmarkError(str(exc)) from None
    result = BenchResult(
        benchmark=loaded.name, registered=reg.name, kind=reg.kind, mode=mode,
        strategy=options.strategy, engine=engine_name,
        loops=loops, inner_loops=reg.inner_loops or 1, module=module.__name__,
        check="values+state" if reg.kind == "bench_func" else "state",
        metadata={k: v for k, v in loaded.metadata.items() if isinstance(v, (str, int, float))})
    functions = module_functions(module)
    result.candidates = len(functions)

    # The reference: one call in the interpreter, on a copy of its own.
    ref_loaded = load_benchmark(name, bench_args)
    ref_reg = _same_registration(ref_loaded, reg)
    with installed_pyperf(ref_loaded.stub):
        start = time.perf_counter()
        try:
            reference, ref_output = _call_capturing(ref_reg)
        except Exception as exc:  # noqa: BLE001
            raise BenchmarkError(f"benchmark {loaded.name!r} fails in the interpreter: "
                                 f"{type(exc).__name__}: {exc}") from exc
        result.reference_time = time.perf_counter() - start
        ref_state = snapshot_module(ref_loaded.module)
        result.reference = _short_repr(reference)
        say(f"{loaded.name}: reference run in the interpreter took "
            f"{result.reference_time:.3f} s")
        # The interpreter's own growth over the same calls, the leak check's
        # baseline (some benchmarks keep a little per call by design).
        baseline = (_measure_growth(ref_reg, leak_iterations)
                    if leak_iterations > 0 and kind != "nojit" else None)

    with installed_pyperf(loaded.stub):
        touched = []
        try:
            if kind == "jitlist":
                chosen = select(functions, module.__name__, arg)
                if not chosen:
                    raise BenchmarkError(f"mode {mode!r} selects none of the {len(functions)} "
                                         f"functions of {module.__name__} (names are "
                                         f"{module.__name__}:QUALNAME or __main__:QUALNAME)")
                say(f"compiling {len(chosen)} of {len(functions)} functions")
                t0 = time.perf_counter()
                for i, func in enumerate(chosen, 1):
                    touched.append(func)
                    jit.force_compile(func, options=options, engine=eng)
                    if i % 10 == 0 or i == len(chosen):
                        say(f"compiled {i}/{len(chosen)} functions "
                            f"({time.perf_counter() - t0:.1f} s)")
            elif kind == "autojit":
                for func in functions:
                    touched.append(func)
                    jit.watch(func, threshold=arg, options=options, engine=eng)
                say(f"watching {len(functions)} functions, compiling each on call {arg}")

            # The timed iterations.
            last = None
            try:
                for i in range(1, loops + 1):
                    t0 = time.perf_counter()
                    if i == 1:
                        last, output = _call_capturing(reg)
                    else:
                        last = _call(reg)
                    dt = time.perf_counter() - t0
                    if i == 1:
                        result.state = _compare_state(ref_output, ref_state, output,
                                                      snapshot_module(module))
                    result.wall_time += dt
                    result.values.append(dt / result.inner_loops)
                    if reg.kind == "bench_func" and not _same(last, reference):
                        result.result = _short_repr(last)
                        raise BenchmarkError(f"iteration {i} returned {result.result}, the "
                                             f"interpreter {result.reference}")
                    say(f"iteration {i}/{loops} done ({dt:.3f} s)")
                result.result = _short_repr(last)
                result.matches = True
                if counts and eng is not None:
                    jit.reset_dynamic_counts(engine=eng)
                    jit.set_counting(True, engine=eng)
                    try:
                        _call(reg)
                    finally:
                        jit.set_counting(False, engine=eng)
                    # The benchmark's functions, and the engine's shared
                    # routines, which run on their behalf (the engine is the
                    # run's own unless one was given).
                    mine = {f"{f.__module__}:{f.__qualname__}" for f in functions}
                    mine.add(shared_routines.NAME)
                    result.counts = {k: v for k, v in jit.dynamic_counts(engine=eng).items()
                                     if k in mine}
                    say(f"counted one call ({len(result.counts)} functions)")
                if leak_iterations > 0:
                    result.leak = _leak_check(reg, leak_iterations, baseline, say)
            except Exception as exc:  # noqa: BLE001 - recorded, not raised
                result.matches = False
                result.error = f"{type(exc).__name__}: {exc}"
                say(f"error: {result.error}")
            _record_compiled(result, touched, jit)
        finally:
            for func in touched:
                jit.unwatch(func)
                jit.force_uncompile(func)
    return result


def _record_compiled(result: BenchResult, functions, jit) -> None:
    for func in functions:
        name = f"{func.__module__}:{func.__qualname__}"
        if jit.is_jit_compiled(func):
            result.compiled.append(CompiledInfo(name, jit.get_compiled_size(func),
                                                jit.get_size_breakdown(func)))
        else:
            reason = jit.refusal_reason(func)
            if reason is not None:
                result.refusals[name] = reason


def _measure_growth(reg: Registered, iterations: int) -> tuple[int, int, int, int]:
    """(objects before, after, traced bytes before, after) `iterations`
    calls, after a warm call."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        _call(reg)                       # warm, under tracing
        gc.collect()
        objects0 = len(gc.get_objects())
        memory0 = tracemalloc.get_traced_memory()[0]
        for _ in range(iterations):
            _call(reg)
        gc.collect()
        objects1 = len(gc.get_objects())
        memory1 = tracemalloc.get_traced_memory()[0]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return objects0, objects1, memory0, memory1


def _leak_check(reg: Registered, iterations: int, baseline, say) -> dict[str, Any]:
    """Growth across `iterations` calls, beyond the interpreter's own growth
    (baseline, from _measure_growth, or None: none) plus a small slack."""
    objects0, objects1, memory0, memory1 = _measure_growth(reg, iterations)
    base_objects = base_memory = 0
    if baseline is not None:
        base_objects, base_memory = baseline[1] - baseline[0], baseline[3] - baseline[2]
    leak = {"iterations": iterations, "objects_before": objects0, "objects_after": objects1,
            "memory_before": memory0, "memory_after": memory1,
            "interpreter_objects_growth": base_objects,
            "interpreter_memory_growth": base_memory,
            "object_slack": LEAK_OBJECT_SLACK, "memory_slack": LEAK_MEMORY_SLACK}
    leak["ok"] = (objects1 - objects0 - max(base_objects, 0) <= LEAK_OBJECT_SLACK
                  and memory1 - memory0 - max(base_memory, 0) <= LEAK_MEMORY_SLACK)
    say(f"leak check over {iterations} calls: objects {objects1 - objects0:+d} "
        f"(interpreter {base_objects:+d}), memory {memory1 - memory0:+d} bytes "
        f"(interpreter {base_memory:+d}): {'ok' if leak['ok'] else 'GROWS'}")
    return leak
