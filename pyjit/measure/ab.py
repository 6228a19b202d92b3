"""Timing two configurations of one target interleaved (`pyjit ab`).

    a = parse_config("strategy=direct", "sqrt:200")
    b = parse_config("strategy=lazy-stub", "sqrt:200")
    result = run_ab("sqrt:200", a, b, pairs=10, warmups=2)
    result.comparison.verdict          # pyjit.measure.stats

A target is a shape (`sqrt:200`, `loop`; pyjit/shapes.py), called with its
sample argument and checked against its expected value, or a pyperformance
benchmark (a name or a run_benchmark.py path, pyjit/bench/loader.py), whose
first registration is called as `pyjit run` calls it and checked against
its result in the interpreter (`bench_func` only).  A configuration sets
`strategy` (a call-lowering strategy), `mode` (shapes: jit or nojit;
benchmarks: nojit, jitlist:PATTERN or autojit:N, default jitlist:__main__:*)
and `engine` (unicorn or native); each configuration gets an engine of its
own, so neither's code shares the other's caches.

Building a configuration: a fresh instance of the target (a shape's
function compiled from source, or the benchmark file loaded as a new
module), the benchmark's reference call in the interpreter, and compiling
what the mode selects (autojit: watching).  A sample is one untimed call,
then the median of `loops` calls, each timed with time.perf_counter and
divided by the benchmark's inner loops; every call's result is checked.
The untimed call keeps from the timed ones what the first call after the
other configuration costs: in-process on the Unicorn engine, the first
call of sqrt:200 after the other configuration's calls measured 3-7% slower
than the next ones (up to 30% on a loaded host), which were steady.  In a fresh process it is
the cold call (Unicorn translates the code, autojit compiles).

In-process, both configurations are built once, sampled `warmups` times
each (discarded), then `pairs` times.  With `fresh`, every sample (warmups
included) is a new process, `python -c` running `worker`: it builds the one
configuration, takes one sample and prints its timed calls as JSON, so
fresh and in-process samples are measured by the same code.  In both, the
pairs alternate which configuration goes first (A then B in odd pairs, B
then A in even ones) so that neither always runs in the other's wake.

Errors: `SetupError` for a target or configuration that cannot run here
(bad keys, unknown strategy or benchmark, no native CPU); `MeasureError` when
a configuration fails while running (a refused shape, a wrong result, an
exception).
"""

from __future__ import annotations

import contextlib
import json
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator

from .. import jit
from ..aarch64.calls import strategy_names
from ..bench.loader import BenchmarkError, benchmark_path, installed_pyperf, load_benchmark
from ..bench.runner import DEFAULT_TIMEOUT, _call, _same, parse_mode, select
from ..environment import compile_options, pass_list
from ..options import CompileOptions, OptionError
from ..runtime import UnicornEngine
from ..shapes import is_shape, make_shape, parse_shape
from ..target import module_functions
from .stats import TRIM, Comparison, compare

KEYS = ("strategy", "mode", "engine", "passes")
ENGINES = ("unicorn", "native")
SHAPE_MODES = ("jit", "nojit")
BENCHMARK_MODE = "jitlist:__main__:*"

WORKER = ("import sys; from pyjit.measure.ab import worker; "
          "sys.exit(worker(sys.argv[1:]))")


class SetupError(ValueError):
    """A target or configuration that cannot be measured here."""


class MeasureError(RuntimeError):
    """A configuration that failed while being built or timed."""


# -- configurations -------------------------------------------------------------------

@dataclass(frozen=True)
class Config:
    """One side of the comparison; `text` is what the user wrote."""

    text: str
    strategy: str | None        # None: $PYJIT_STRATEGY, else the compiler's default
    mode: str
    engine: str
    passes: str | None = None   # a pass list (PYJIT_PASSES syntax); None: the environment's

    def options(self) -> CompileOptions:
        """The compile options of this side: the environment's, with its
        strategy and its passes."""
        try:
            options = compile_options().with_(strategy=self.strategy)
            if self.passes is not None:
                passes, disabled = pass_list(self.passes, f"passes={self.passes}")
                options = options.with_(passes=passes, disabled_passes=disabled)
            return options
        except OptionError as exc:
            raise SetupError(str(exc)) from None


def check_target(target: str) -> None:
    """SetupError unless target is a shape with a valid count or a
    benchmark that exists (checked before the configurations, whose modes
    depend on which it is)."""
    try:
        if is_shape(target):
            parse_shape(target)
        else:
            benchmark_path(target)
    except (ValueError, BenchmarkError) as exc:
        raise SetupError(str(exc)) from None


def parse_config(text: str, target: str) -> Config:
    """The Config that `KEY=VALUE[,KEY=VALUE...]` describes for target.  A
    comma-separated piece without `=` continues the previous value, so that
    `mode=jitlist:__main__:f,__main__:g` keeps both patterns.  Raises
    SetupError naming the problem and the accepted forms."""
    values: dict[str, str] = {}
    for item in _items(text):
        key, _, value = (part.strip() for part in item.partition("="))
        if key not in KEYS:
            raise SetupError(f"unknown key {key!r} in {text!r}; the keys are strategy=NAME, "
                             f"mode=MODE, engine=unicorn|native and passes=LIST")
        if key in values:
            raise SetupError(f"{key} is given twice in {text!r}")
        if not value:
            raise SetupError(f"{key} has no value in {text!r}")
        values[key] = value
    shape = is_shape(target)
    mode = values.get("mode", "jit" if shape else BENCHMARK_MODE)
    _check_mode(mode, shape)
    if mode == "nojit" and ({"strategy", "engine", "passes"} & set(values)):
        raise SetupError(f"{text!r}: mode=nojit runs no compiled code, so strategy, "
                         "engine and passes mean nothing there")
    engine = values.get("engine", "unicorn")
    if engine not in ENGINES:
        raise SetupError(f"unknown engine {engine!r} in {text!r}; the engines are "
                         f"{', '.join(ENGINES)}")
    strategy = values.get("strategy")
    _check_strategy(strategy, text)
    config = Config(text, strategy, mode, engine, values.get("passes"))
    config.options()                    # SetupError for an unknown pass, now
    return config


def _items(text: str) -> list[str]:
    items: list[str] = []
    for piece in text.split(","):
        if "=" in piece:
            items.append(piece)
        elif items:
            items[-1] += "," + piece
        else:
            raise SetupError(f"expected KEY=VALUE[,KEY=VALUE...], not {text!r}")
    return items


def _check_mode(mode: str, shape: bool) -> None:
    if shape:
        if mode not in SHAPE_MODES:
            raise SetupError(f"bad mode {mode!r} for a shape: expected jit or nojit")
        return
    try:
        parse_mode(mode)
    except ValueError as exc:
        raise SetupError(str(exc)) from None


def _check_strategy(strategy: str | None, text: str) -> None:
    if strategy is not None and strategy not in strategy_names():
        raise SetupError(f"unknown strategy {strategy!r} in {text!r}; known: "
                         f"{', '.join(strategy_names())}")


# -- a configuration built in this process --------------------------------------------------

@dataclass
class Prepared:
    """A configuration built in this process, ready to be sampled.  Its
    functions are compiled (or watched) with its own options and engine,
    passed to the JIT explicitly: nothing of the JIT's own settings or the
    environment changes while it runs."""

    config: Config
    call: Callable[[], Any]
    reference: Any = None
    checked: bool = True            # compare every result with `reference`
    inner_loops: int = 1
    engine: Any = None
    options: CompileOptions | None = None
    pyperf_stub: Any = None
    functions: list = field(default_factory=list)   # compiled or watched

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """The benchmark's stand-in pyperf installed (restored after)."""
        with (installed_pyperf(self.pyperf_stub) if self.pyperf_stub
              else contextlib.nullcontext()):
            yield

    def times(self, loops: int) -> list[float]:
        """Seconds per inner loop of `loops` checked calls, after one
        untimed checked call."""
        values = []
        with self.active():
            self.check(self.call_once())
            for _ in range(loops):
                start = time.perf_counter()
                result = self.call_once()
                elapsed = time.perf_counter() - start
                self.check(result)
                values.append(elapsed / self.inner_loops)
        return values

    def call_once(self) -> Any:
        try:
            return self.call()
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            raise MeasureError(f"{self.config.text}: the call raised "
                               f"{type(exc).__name__}: {exc}") from exc

    def check(self, result: Any) -> None:
        if self.checked and not _same(result, self.reference):
            raise MeasureError(f"{self.config.text}: the call returned {result!r:.200}, "
                               f"expected {self.reference!r:.200}")

    def code(self) -> tuple[int, int]:
        """(functions compiled, their total size in bytes)."""
        sizes = [jit.get_compiled_size(f) for f in self.functions if jit.is_jit_compiled(f)]
        return len(sizes), sum(sizes)

    def close(self) -> None:
        for func in self.functions:
            jit.unwatch(func)
            jit.force_uncompile(func)
        if self.engine is not None:
            self.engine.close()


def prepare(target: str, config: Config) -> Prepared:
    """Build config for target (see the module docstring)."""
    build = _prepare_shape if is_shape(target) else _prepare_benchmark
    return build(target, config)


def _make_engine(name: str):
    if name == "unicorn":
        return UnicornEngine(timeout=DEFAULT_TIMEOUT)
    from ..runtime.native_engine import NativeUnavailable
    try:
        return jit.make_engine(name)
    except NativeUnavailable as exc:
        raise SetupError(str(exc)) from None


def _prepare_shape(target: str, config: Config) -> Prepared:
    try:
        shape, n = parse_shape(target)
    except ValueError as exc:
        raise SetupError(str(exc)) from None
    func, args = make_shape(target), shape.sample_args(n)
    prepared = Prepared(config, lambda: func(*args), reference=shape.expected(n),
                        functions=[func])
    if config.mode == "jit":
        prepared.engine = _make_engine(config.engine)
        prepared.options = config.options()
        with prepared.active():
            if not jit.force_compile(func, options=prepared.options, engine=prepared.engine):
                prepared.close()
                raise MeasureError(f"{target} is refused under {config.text}: "
                                   f"{jit.refusal_reason(func)}")
    return prepared


def _prepare_benchmark(target: str, config: Config) -> Prepared:
    try:
        loaded = load_benchmark(target)
    except BenchmarkError as exc:
        raise SetupError(str(exc)) from None
    reg = loaded.registered[0]
    prepared = Prepared(config, lambda: _call(reg), checked=reg.kind == "bench_func",
                        inner_loops=reg.inner_loops or 1, pyperf_stub=loaded.stub)
    with prepared.active():
        try:
            prepared.reference = _call(reg)
        except Exception as exc:  # noqa: BLE001 - whatever the benchmark raises
            raise SetupError(f"benchmark {loaded.name!r} fails in the interpreter: "
                             f"{type(exc).__name__}: {exc}") from None
    kind, arg = parse_mode(config.mode)
    if kind == "nojit":
        return prepared
    functions = module_functions(loaded.module)
    prepared.engine = _make_engine(config.engine)
    prepared.options = config.options()
    with prepared.active():
        if kind == "jitlist":
            prepared.functions = select(functions, loaded.module.__name__, arg)
            if not prepared.functions:
                prepared.close()
                raise SetupError(f"mode {config.mode!r} selects none of the "
                                 f"{len(functions)} functions of {loaded.module.__name__}")
            for func in prepared.functions:
                jit.force_compile(func, options=prepared.options, engine=prepared.engine)
        else:
            prepared.functions = functions
            for func in functions:
                jit.watch(func, threshold=arg, options=prepared.options, engine=prepared.engine)
    return prepared


# -- samplers ------------------------------------------------------------------------

class InProcess:
    """Samples of a configuration built once in this process."""

    def __init__(self, target: str, config: Config, loops: int):
        self.prepared, self.loops = prepare(target, config), loops

    def sample(self) -> float:
        return statistics.median(self.prepared.times(self.loops))

    def code(self) -> tuple[int, int]:
        return self.prepared.code()

    def close(self) -> None:
        self.prepared.close()


class Fresh:
    """Samples of a configuration, each taken by `worker` in a new process."""

    def __init__(self, target: str, config: Config, loops: int):
        self.target, self.config, self.loops = target, config, loops
        self.last: dict[str, Any] = {"compiled": 0, "size": 0}

    def sample(self) -> float:
        argv = [sys.executable, "-c", WORKER, self.target, self.config.text, str(self.loops)]
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or [f"status {done.returncode}"]
            error = SetupError if done.returncode == 2 else MeasureError
            raise error(f"the worker process failed: {lines[-1]}")
        self.last = json.loads(done.stdout.splitlines()[-1])   # the benchmark may print
        return statistics.median(self.last["values"])

    def code(self) -> tuple[int, int]:
        return self.last["compiled"], self.last["size"]

    def close(self) -> None:
        pass


def worker(argv: list[str]) -> int:
    """`python -c WORKER TARGET CONFIG LOOPS`: build the configuration, take
    one sample, print {"values", "compiled", "size"} as JSON; exit status 2
    (SetupError) or 1 (MeasureError) with the message on stderr."""
    target, text, loops = argv
    try:
        prepared = prepare(target, parse_config(text, target))
        try:
            values = prepared.times(int(loops))
            compiled, size = prepared.code()
        finally:
            prepared.close()
    except (SetupError, MeasureError) as exc:
        print(f"pyjit ab worker: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, SetupError) else 1
    print(json.dumps({"values": values, "compiled": compiled, "size": size}))
    return 0


# -- the comparison -------------------------------------------------------------------

@dataclass
class Side:
    """One configuration's samples (seconds) and compiled code."""

    config: Config
    samples: list[float] = field(default_factory=list)
    compiled: int = 0
    size: int = 0


@dataclass
class AbResult:
    target: str
    fresh: bool
    pairs: int
    warmups: int
    loops: int
    first: list[str]                # per pair: "AB" or "BA"
    a: Side
    b: Side
    comparison: Comparison

    def to_dict(self) -> dict[str, Any]:
        c = self.comparison
        stats = asdict(c)
        stats.update(deltas=list(c.deltas), trim=TRIM, detected=c.detected, verdict=c.verdict)
        kind = "shape" if is_shape(self.target) else "benchmark"
        return {"target": self.target, "kind": kind,
                "process": "fresh" if self.fresh else "in-process", "pairs": self.pairs,
                "warmups": self.warmups, "loops": self.loops, "order": "alternating",
                "first": self.first, "a": asdict(self.a), "b": asdict(self.b), "stats": stats}


def pair_order(i: int) -> str:
    """Which configuration goes first in pair i (0-based): "AB" or "BA"."""
    return "AB" if i % 2 == 0 else "BA"


def run_ab(target: str, a: Config, b: Config, *, pairs: int = 10, warmups: int = 2,
           loops: int = 1, fresh: bool = False, seed: int = 0,
           progress: Callable[[str], None] = lambda message: None) -> AbResult:
    """Time a against b on target (see the module docstring) and compare."""
    kind = Fresh if fresh else InProcess
    sides = {"A": Side(a), "B": Side(b)}
    samplers: dict[str, InProcess | Fresh] = {}
    try:
        for label, side in sides.items():
            progress(f"building {label}: {side.config.text}")
            samplers[label] = kind(target, side.config, loops)
        for i in range(warmups):
            for label in pair_order(i):
                samplers[label].sample()
            progress(f"warmup {i + 1}/{warmups} done")
        first = []
        for i in range(pairs):
            first.append(pair_order(i))
            for label in first[-1]:
                sides[label].samples.append(samplers[label].sample())
            a_time, b_time = sides["A"].samples[-1], sides["B"].samples[-1]
            progress(f"pair {i + 1}/{pairs} ({first[-1]}): A {a_time * 1e3:.4g} ms, "
                     f"B {b_time * 1e3:.4g} ms ({(b_time - a_time) / a_time:+.2%})")
        for label, side in sides.items():
            side.compiled, side.size = samplers[label].code()
    finally:
        for sampler in samplers.values():
            sampler.close()
    comparison = compare(sides["A"].samples, sides["B"].samples, order=first, seed=seed)
    return AbResult(target, fresh, pairs, warmups, loops, first, sides["A"], sides["B"],
                    comparison)
