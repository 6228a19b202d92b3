"""Compile throughput: pyjit's pipeline against CPython's compile(), per benchmark.

For each pyperformance benchmark module (richards, nbody, deltablue by
default), loaded the way `pyjit run` loads it (pyjit.bench.loader), every
function and method `pyjit.target.module_functions` finds is compiled to
AArch64 machine code the way `pyjit size` does (`pyjit.measure.sizes.compile_one`:
the full pipeline HIR -> LIR -> codegen, the default strategy, the engine's
placement, nothing loaded).  That time is set against CPython's own
`compile(source, path, "exec")` of the module's source text, measured in
the same run, as a ratio.  Note the two do different work: compile() turns
the whole file (module level included) from source into bytecode; pyjit
turns each function's bytecode into machine code.

Also measured, in the same interleaved repeats:

- +load: `pyjit.jit.force_compile` of every function, i.e. the same compile
  plus loading into the engine and installing the trampoline (each function
  is uncompiled again outside the timed region);
- stages: the pipeline run stage by stage, as `pyjit.compiler.compile_function`
  runs it: HIR (build_hir + the default pass pipeline), LIR (lower_function),
  codegen (`aarch64.codegen.generate`: register allocation, frame, emission,
  call lowering, literal pools).  Register allocation is inside `generate`,
  so it is counted with codegen.  The staged bytes are checked equal to the
  pipeline's.

After one untimed warm-up round, each of R repeats measures every variant
of every benchmark once, each after gc.collect() (the collector stays on:
its work, a good part of pyjit's time, is counted).  Reported: medians, and
the spread of the per-repeat totals.  Throughput is functions and bytes of
bytecode (the functions' co_code; for compile(), of every code object it
produces) per second.

    python benchmarks/compile_throughput.py [--repeats 5] [--strategy NAME]
        [--benchmarks richards,nbody,deltablue] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyjit.compiler as compiler  # noqa: E402
import pyjit.jit as jit  # noqa: E402
from pyjit.aarch64.calls import DEFAULT_STRATEGY  # noqa: E402
from pyjit.aarch64.codegen import generate  # noqa: E402
from pyjit.bench.loader import load_benchmark  # noqa: E402
from pyjit.environment import compile_options  # noqa: E402
from pyjit.measure.sizes import check_strategy, compile_one, engine_placement  # noqa: E402
from pyjit.hir.build import build_hir  # noqa: E402
from pyjit.hir.errors import CompileRefused  # noqa: E402
from pyjit.hir.passes import DEFAULT_PIPELINE, run_pipeline  # noqa: E402
from pyjit.install import original_code  # noqa: E402
from pyjit.lir.lower import LoweringError, lower_function  # noqa: E402
from pyjit.target import module_functions  # noqa: E402

BENCHMARKS = ("richards", "nbody", "deltablue")
VARIANTS = ("pyjit", "load", "stages", "cpython")
STAGES = ("hir", "lir", "codegen")


@dataclass
class Subject:
    """One benchmark module: its functions and source, and what was measured."""

    name: str
    path: str
    source: str
    functions: list[types.FunctionType]
    bytecode: int                       # bytes of co_code over the functions
    cpython_bytecode: int = 0           # bytes of co_code over compile()'s code objects
    machine_code: int = 0               # bytes, total of the compiled functions
    compiled: int = 0
    refused: dict[str, str] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    stage_times: dict[str, list[float]] = field(default_factory=dict)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Compile throughput of pyjit's pipeline vs CPython's compile(), "
                    "per pyperformance benchmark module.",
        epilog="examples:\n  python benchmarks/compile_throughput.py\n"
               "  python benchmarks/compile_throughput.py --repeats 9 --strategy stub\n"
               "  python benchmarks/compile_throughput.py --quick\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=_positive, default=5,
                        help="timed repeats after the warm-up, median (default 5)")
    parser.add_argument("--strategy", default=None, metavar="NAME",
                        help="call-lowering strategy (default: $PYJIT_STRATEGY, else the "
                             "JIT's default, as `pyjit size`)")
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS),
                        help=f"comma-separated pyperformance benchmarks (default "
                             f"{','.join(BENCHMARKS)})")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: nbody only, one repeat, no warm-up")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.benchmarks = 1, "nbody"
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        strategy = check_strategy(args.strategy)[0]
    except ValueError as exc:
        print(f"compile_throughput: {exc}", file=sys.stderr)
        return 2
    placement = engine_placement()
    subjects = [load_subject(name) for name in args.benchmarks.split(",") if name]
    for s in subjects:
        check_staged(s, strategy, placement)
    if not args.quick:
        _progress("warm-up round")
        measure_round(subjects, strategy, placement)
        for s in subjects:
            s.times.clear()
            s.stage_times.clear()
    for r in range(args.repeats):
        _progress(f"repeat {r + 1}/{args.repeats}")
        measure_round(subjects, strategy, placement)
    report(args, strategy, subjects)
    return 0


# -- loading --------------------------------------------------------------------------

def load_subject(name: str) -> Subject:
    loaded = load_benchmark(name)
    functions = module_functions(loaded.module)
    with open(loaded.path, encoding="utf-8") as f:
        source = f.read()
    bytecode = sum(len(original_code(fn).co_code) for fn in functions)
    subject = Subject(loaded.name, loaded.path, source, functions, bytecode)
    subject.cpython_bytecode = _code_bytes(compile(source, loaded.path, "exec"))
    _progress(f"{subject.name}: {len(functions)} functions, {bytecode} bytes of bytecode")
    return subject


def _code_bytes(code: types.CodeType) -> int:
    """co_code bytes of code and every code object nested in it."""
    return len(code.co_code) + sum(_code_bytes(c) for c in code.co_consts
                                   if isinstance(c, types.CodeType))


# -- measuring ------------------------------------------------------------------------

def measure_round(subjects: list[Subject], strategy, placement) -> None:
    """Every variant of every subject once, each after a full collection
    (the collector stays on: its work during a compile is part of it)."""
    for s in subjects:
        for variant in VARIANTS:
            gc.collect()
            if variant == "stages":
                for stage, t in time_stages(s, strategy, placement).items():
                    s.stage_times.setdefault(stage, []).append(t)
                continue
            t = {"pyjit": time_pipeline, "load": time_force_compile,
                 "cpython": time_cpython}[variant](s, strategy, placement)
            s.times.setdefault(variant, []).append(t)


def time_pipeline(s: Subject, strategy, placement) -> float:
    """Seconds to compile every function as `pyjit size` does; records sizes
    and refusals."""
    start = time.perf_counter()
    outcomes = [compile_one(compiler.qualified_name(fn), fn, strategy, placement)
                for fn in s.functions]
    elapsed = time.perf_counter() - start
    s.compiled = sum(o.compiled is not None for o in outcomes)
    s.machine_code = sum(o.compiled.size for o in outcomes if o.compiled is not None)
    s.refused = {o.name: o.refused or o.error for o in outcomes if o.compiled is None}
    return elapsed


def time_force_compile(s: Subject, strategy, placement) -> float:
    """Seconds to force_compile (compile + load + install) every function;
    uncompiled again untimed."""
    start = time.perf_counter()
    for fn in s.functions:
        jit.force_compile(fn, strategy)
    elapsed = time.perf_counter() - start
    for fn in s.functions:
        jit.force_uncompile(fn)
    return elapsed


def time_cpython(s: Subject, strategy, placement) -> float:
    start = time.perf_counter()
    compile(s.source, s.path, "exec")
    return time.perf_counter() - start


def compile_staged(fn, strategy, placement, clock: dict[str, float]):
    """compile_function's stages, one by one, adding each one's seconds to
    clock; the EmittedFunction, or None when refused (the time spent until
    the refusal counts in the stage that refused)."""
    options = compile_options().with_(strategy=strategy)
    t0 = time.perf_counter()
    try:
        hfunc = build_hir(original_code(fn), options)
        run_pipeline(hfunc, options.pipeline(DEFAULT_PIPELINE), options=options,
                     types_inferred=True)
    except CompileRefused:
        clock["hir"] += time.perf_counter() - t0
        return None
    t1 = time.perf_counter()
    clock["hir"] += t1 - t0
    try:
        lfunc, _consts = lower_function(hfunc, fn, options)
    except LoweringError:
        clock["lir"] += time.perf_counter() - t1
        return None
    t2 = time.perf_counter()
    clock["lir"] += t2 - t1
    emitted = generate(lfunc, options.strategy, placement=placement,
                       describe=compiler._describer(hfunc), refcounts=options.refcounts)
    clock["codegen"] += time.perf_counter() - t2
    return emitted


def time_stages(s: Subject, strategy, placement) -> dict[str, float]:
    clock = dict.fromkeys(STAGES, 0.0)
    for fn in s.functions:
        compile_staged(fn, strategy, placement, clock)
    return clock


def check_staged(s: Subject, strategy, placement) -> None:
    """The staged compile must produce the pipeline's bytes (else the stage
    breakdown measures something else)."""
    clock = dict.fromkeys(STAGES, 0.0)
    for fn in s.functions:
        name = compiler.qualified_name(fn)
        whole = compile_one(name, fn, strategy, placement).compiled
        staged = compile_staged(fn, strategy, placement, clock)
        if (whole is None) != (staged is None) or (
                whole is not None and whole.code.data != staged.code.data):
            raise SystemExit(f"compile_throughput: the staged compile of {name} differs from "
                             "compile_function's (has the pipeline changed? see "
                             "compile_staged); the stage breakdown would be wrong")


# -- reporting ------------------------------------------------------------------------

def report(args, strategy, subjects: list[Subject]) -> None:
    print(f"compile throughput, {_plural(len(subjects), 'pyperformance benchmark module')}; "
          f"median of "
          f"{args.repeats} interleaved repeat{'s' if args.repeats != 1 else ''}"
          f"{'' if args.quick else ' after a warm-up'}; Python {platform.python_version()}; "
          f"strategy {strategy or DEFAULT_STRATEGY}, refcounts {compile_options().refcounts}")
    print()
    print(f"{'benchmark':<10}{'functions':>10}{'bytecode B':>11}{'machine B':>11}"
          f"{'pyjit s':>10}{'+load s':>10}{'compile() s':>12}{'ratio':>9}{'+load':>9}")
    total = {v: 0.0 for v in VARIANTS if v != "stages"}
    for s in subjects:
        m = {v: statistics.median(ts) for v, ts in s.times.items()}
        for v in total:
            total[v] += m[v]
        print(f"{s.name:<10}{_functions(s):>10}{s.bytecode:>11}{s.machine_code:>11}"
              f"{m['pyjit']:>10.3f}{m['load']:>10.3f}{m['cpython']:>12.4f}"
              f"{m['pyjit'] / m['cpython']:>8.0f}x{m['load'] / m['cpython']:>8.0f}x")
    if len(subjects) > 1:
        print(f"{'all':<10}{sum(len(s.functions) for s in subjects):>10}"
              f"{sum(s.bytecode for s in subjects):>11}{sum(s.machine_code for s in subjects):>11}"
              f"{total['pyjit']:>10.3f}{total['load']:>10.3f}{total['cpython']:>12.4f}"
              f"{total['pyjit'] / total['cpython']:>8.0f}x{total['load'] / total['cpython']:>8.0f}x")
    print("ratio: pyjit's time over compile()'s (sum of medians on the 'all' row)")
    spread = {v: [sum(s.times[v][r] for s in subjects) for r in range(args.repeats)]
              for v in total}
    print("spread of the per-repeat totals (min-max): " + ", ".join(
        f"{label} {min(spread[v]):.3f}-{max(spread[v]):.3f} s" for v, label in
        (("pyjit", "pyjit"), ("load", "+load"), ("cpython", "compile()"))))
    print()
    print_throughput(subjects)
    print()
    print_stages(subjects)
    for s in subjects:
        for name, reason in s.refused.items():
            print(f"refused {name}: {reason}")


def print_throughput(subjects: list[Subject]) -> None:
    print(f"{'throughput':<10}{'pyjit fn/s':>12}{'pyjit bc B/s':>14}{'machine B/s':>13}"
          f"{'compile() fn/s':>16}{'compile() bc B/s':>18}")
    for s in subjects:
        t = statistics.median(s.times["pyjit"])
        c = statistics.median(s.times["cpython"])
        n = len(s.functions)
        print(f"{s.name:<10}{n / t:>12,.0f}{s.bytecode / t:>14,.0f}{s.machine_code / t:>13,.0f}"
              f"{n / c:>16,.0f}{s.cpython_bytecode / c:>18,.0f}")
    print("bc B: bytes of bytecode (co_code) compiled by pyjit / produced by compile() "
          "(whole module)")


def print_stages(subjects: list[Subject]) -> None:
    print(f"{'stages':<10}" + "".join(f"{st + ' s':>14}" for st in STAGES)
          + f"{'sum s':>10}{'pyjit s':>10}")
    for s in subjects:
        m = {st: statistics.median(s.stage_times[st]) for st in STAGES}
        whole = sum(m.values())
        print(f"{s.name:<10}" + "".join(f"{m[st]:>7.3f} ({m[st] / whole:>3.0%})" for st in STAGES)
              + f"{whole:>10.3f}{statistics.median(s.times['pyjit']):>10.3f}")
    print("hir: build_hir + passes; lir: lower_function; codegen: generate "
          "(register allocation, frame, emission, call lowering)")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _functions(s: Subject) -> str:
    n = len(s.functions)
    return str(n) if s.compiled == n else f"{s.compiled}/{n}"


def _progress(message: str) -> None:
    print(f"compile_throughput: {message}", file=sys.stderr, flush=True)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


if __name__ == "__main__":
    sys.exit(main())
