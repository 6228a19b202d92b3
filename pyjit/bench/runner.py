"""Running a loaded pyperformance benchmark under the JIT.

    result = run_benchmark("richards", "jitlist:__main__:*", "direct", loops=3)
    result.matches, result.values, result.compiled, result.refusals, result.leak

Modes: see modes.py (nojit, jitlist:PATTERN, autojit:N).

What runs: the first registration (or the one named `bench`).  The file is
loaded three times, in this order: two copies (A, B) each make one call in
the interpreter, the third runs under the JIT: `loops` timed iterations,
each one call (`Registered.call`: `bench_time_func` is `func(1, *args)`,
`bench_async_func` runs its coroutine in a new event loop); a value is
seconds per inner loop.  The check (check.py): the JIT copy's first call
must print what B printed, leave the module's global data in B's state and,
but for a `bench_time_func` (which returns a time), return B's value, and
so must every later call; a difference is excused only where A and B, two
interpreter runs, differ too, and the verdict counts what was excused.
Then, optionally, one call with dynamic counting on, one call counting
the share of Python calls that reach compiled code (share.py), and the
leak check (leak.py), bounded by a time budget.  The copies' deferred
clean-up (loader.py) runs at the end.
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from ..environment import compile_options, with_pass_list
from ..options import OptionError
from . import check, leak as leaks
from .loader import BenchmarkError, LoadedBenchmark, Registered, load_benchmark
from .modes import apply_mode, parse_mode, release, select  # noqa: F401 - re-exported
from .share import compiled_call_share
from .state import shared_objects

DEFAULT_TIMEOUT: float | None = None   # per outermost emulated call: no limit (a limit
                                       # costs Unicorn a timer thread a call)
LEAK_OBJECT_SLACK = leaks.LEAK_OBJECT_SLACK
LEAK_MEMORY_SLACK = leaks.LEAK_MEMORY_SLACK


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
    excused: dict[str, Any] = field(default_factory=dict)   # check.Verdict.to_dict()
    matches: bool = False
    reference: str = ""
    result: str = ""
    error: str | None = None
    candidates: int = 0                 # functions the module defines
    compiled: list[CompiledInfo] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)
    # what the process-wide mode did: functions installed with code compiled
    # for them, and with code compiled for an earlier function of the same
    # code (pyjit/sharing.py)
    compilations: int = 0
    shared_installs: int = 0
    found_late: int = 0          # functions of code it had not counted ahead (unseen_code.py)
    counts: dict[str, dict[str, Any]] | None = None
    leak: dict[str, Any] | None = None
    share: dict[str, Any] | None = None  # share.compiled_call_share, when asked
    bench_args: list[str] = field(default_factory=list)   # what the file's parser saw
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def total_size(self) -> int:
        return sum(c.size for c in self.compiled)

    @property
    def ok(self) -> bool:
        return (self.error is None and self.matches
                and (self.leak is None or self.leak["ok"] is not False))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["total_size"] = self.total_size
        d["ok"] = self.ok
        return d


# -- running ----------------------------------------------------------------------------

def _stderr(message: str) -> None:
    print(f"pyjit run: {message}", file=sys.stderr, flush=True)


def _call(reg: Registered):
    return reg.call()


_same = check.same
_short_repr = check.short_repr


def _same_registration(loaded: LoadedBenchmark, reg: Registered) -> Registered:
    """The registration of the other copy that matches reg."""
    for other in loaded.registered:
        if other.name == reg.name and other.kind == reg.kind:
            return other
    raise BenchmarkError(f"another copy of {loaded.name!r} registers no {reg.name!r}")


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
                  leak_iterations: int = 2, leak_budget: float | None = leaks.DEFAULT_BUDGET,
                  leak_memory: str = "blocks", share: bool = False, bench: str | None = None,
                  bench_args: Sequence[str] = (),
                  timeout: float | None = DEFAULT_TIMEOUT,
                  progress: bool | Callable[[str], None] = True,
                  passes: str | None = None) -> BenchResult:
    """Run benchmark `name` (a pyperformance name or a run_benchmark.py
    path) in `mode` (see modes.py) and return its BenchResult.
    engine: "unicorn" (default, a fresh UnicornEngine with `timeout`),
    "native" (a fresh NativeEngine) or an engine object.  bench_args: the
    benchmark's own command line options (nbody's `--iterations 1000`).
    leak_budget: seconds the leak check may take (None: no limit; leak.py);
    leak_memory: its memory measure, "blocks" or "tracemalloc".
    share: count the share of Python calls that reach compiled code
    (share.py).  passes: a pass list (PYJIT_PASSES syntax) replacing the
    environment's.  Raises BenchmarkError when the benchmark cannot run here
    and ValueError on a bad mode; a failure while running is recorded in
    `result.error`."""
    say = _stderr if progress is True else (progress or (lambda message: None))
    kind, arg = parse_mode(mode)
    leaks.plan_leak_check(0, 0.0, None, leak_memory)        # ValueError now, not after the run
    if loops < 1:
        raise ValueError(f"loops must be >= 1, not {loops}")
    copies: list[LoadedBenchmark] = []
    try:
        # Loaded in this order: the first copy alone sees what happens once
        # per process (an import's own code), and B is loaded as J is.
        for _ in range(3):
            copies.append(load_benchmark(name, bench_args))
        return _run_copies(copies, mode, kind, arg, strategy, passes, loops, engine, counts,
                           leak_iterations, leak_budget, leak_memory, share, bench, timeout,
                           say)
    finally:
        for copy in copies:
            copy.close(quiet=True)


def _pick(loaded: LoadedBenchmark, bench: str | None, name: str) -> Registered:
    regs = loaded.registered
    if bench is not None:
        regs = [r for r in regs if r.name == bench]
        if not regs:
            raise BenchmarkError(f"benchmark {name!r} registers no {bench!r} (it registers: "
                                 f"{', '.join(r.name for r in loaded.registered)})")
    return regs[0]


def _reference(copy: LoadedBenchmark, reg: Registered,
               shared) -> tuple[check.Observation, float]:
    """One interpreter call of a reference copy: (what it left, seconds)."""
    with copy.installed():
        copy.fresh_random()
        start = time.perf_counter()
        try:
            observed = check.observe(reg.call, copy.module, shared)
        except Exception as exc:  # noqa: BLE001
            raise BenchmarkError(f"benchmark {copy.name!r} fails in the interpreter: "
                                 f"{type(exc).__name__}: {exc}") from exc
        return observed, time.perf_counter() - start


def _run_copies(copies, mode, kind, arg, strategy, passes, loops, engine, counts, leak_iterations,
                leak_budget, leak_memory, share, bench, timeout, say) -> BenchResult:
    from .. import jit
    from ..compiler import check_options
    from ..cpython import routines as shared_routines
    from ..target import module_functions

    ref_a, ref_b, loaded = copies
    reg_a = _pick(ref_a, bench, name=ref_a.name)
    reg_b, reg = _same_registration(ref_b, reg_a), _same_registration(loaded, reg_a)
    module = loaded.module
    engine_name, eng = (("none", None) if kind == "nojit" else _make_engine(engine, timeout))
    try:
        options = with_pass_list(compile_options().with_(strategy=strategy), passes)
        check_options(options)
    except OptionError as exc:
        raise BenchmarkError(str(exc)) from None
    values_checked = reg.kind != "bench_time_func"
    result = BenchResult(
        benchmark=loaded.name, registered=reg.name, kind=reg.kind, mode=mode,
        strategy=options.strategy, engine=engine_name,
        loops=loops, inner_loops=reg.inner_loops or 1, module=module.__name__,
        check="values+state" if values_checked else "state", bench_args=list(loaded.argv),
        metadata={k: v for k, v in loaded.metadata.items() if isinstance(v, (str, int, float))})
    functions = module_functions(module)
    result.candidates = len(functions)

    # The references: one call in the interpreter on each of A and B.
    shared = shared_objects([c.module for c in copies])      # alive until the end
    observed_a, _ = _reference(ref_a, reg_a, shared)
    observed_b, result.reference_time = _reference(ref_b, reg_b, shared)
    result.reference = _short_repr(observed_b.value)
    say(f"{loaded.name}: reference runs in the interpreter took {result.reference_time:.3f} s")

    with loaded.installed():
        applied = None
        try:
            applied = apply_mode(kind, arg, functions, module.__name__, options, eng, say,
                                 mode_text=mode,
                                 leave_alone=[ref_a.module, ref_b.module])
            loaded.fresh_random()
            try:
                first_seconds = _timed_iterations(result, reg, loops, observed_a, observed_b,
                                                  module, values_checked, shared, say)
                result.matches = True
                if counts and eng is not None:
                    jit.reset_dynamic_counts(engine=eng)
                    jit.set_counting(True, engine=eng)
                    try:
                        reg.call()
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
                if share and kind != "nojit":
                    result.share = compiled_call_share(reg.call, jit.get_compiled_functions())
                    say(f"share of calls reaching compiled code: {result.share['compiled_calls']}"
                        f" of {result.share['calls']}")
                if leak_iterations > 0:
                    plan = leaks.plan_leak_check(leak_iterations, first_seconds, leak_budget,
                                                 leak_memory)
                    baseline = None
                    if plan.iterations > 0:
                        with ref_b.installed():
                            baseline = leaks.measure_growth(reg_b.call, plan)
                    result.leak = leaks.leak_check(reg.call, plan, baseline, say)
            except Exception as exc:  # noqa: BLE001 - recorded, not raised
                result.matches = False
                result.error = f"{type(exc).__name__}: {exc}"
                say(f"error: {result.error}")
            _record_compiled(result, applied, jit)
        finally:
            release(applied)
    return result


def _timed_iterations(result: BenchResult, reg: Registered, loops: int, observed_a,
                      observed_b, module, values_checked: bool, shared, say) -> float:
    """The timed calls, checked (check.py); the first call's seconds."""
    first = 0.0
    for i in range(1, loops + 1):
        t0 = time.perf_counter()
        if i == 1:
            observed = check.observe(reg.call, module, shared)
            last = observed.value
        else:
            last = reg.call()
        dt = time.perf_counter() - t0
        if i == 1:
            first = dt
            verdict = check.compare(observed_a, observed_b, observed, values_checked,
                                    len(shared))
            result.state, result.excused = verdict.text, verdict.to_dict()
        result.wall_time += dt
        result.values.append(dt / result.inner_loops)
        if values_checked and not check.check_value(last, observed_a, observed_b):
            result.result = _short_repr(last)
            raise BenchmarkError(f"iteration {i} returned {result.result}, the "
                                 f"interpreter {result.reference}")
        say(f"iteration {i}/{loops} done ({dt:.3f} s)")
    result.result = _short_repr(last)
    return first


def _record_compiled(result: BenchResult, applied, jit) -> None:
    """The module's functions compiled or refused, then what the process
    mode compiled or refused elsewhere."""
    if applied is None:
        return
    for func in applied.touched():
        name = f"{func.__module__}:{func.__qualname__}"
        if jit.is_jit_compiled(func):
            result.compiled.append(CompiledInfo(name, jit.get_compiled_size(func),
                                                jit.get_size_breakdown(func)))
        else:
            reason = jit.refusal_reason(func)
            if reason is not None:
                result.refusals[name] = reason
    if applied.process is not None:
        for name, reason in applied.process.refused.items():
            result.refusals.setdefault(name, reason)
        result.compilations = applied.process.compilations
        result.shared_installs = applied.process.shared_installs
        result.found_late = applied.process.found_late
