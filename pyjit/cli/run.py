"""`pyjit run`: a pyperformance benchmark under the JIT (pyjit/bench)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from . import passes
from .arguments import output_file, seconds, whole_number

SUMMARY = "run a pyperformance benchmark under the JIT, check it, time it"

DESCRIPTION = """\
Load pyperformance benchmark BENCH unmodified (its
data-files/benchmarks/bm_BENCH/run_benchmark.py, or a path to such a file)
three times, with a stand-in pyperf that captures what it registers: two
copies run once each in the interpreter for the reference, the third under
the JIT for --loops timed iterations.  Report whether the JIT's result,
output and module state match the interpreter's, the compiled functions
with their sizes, refusals with their reasons, wall time, dynamic counts
(--counts), the share of calls reaching compiled code (--share) and a leak
check (gc object counts and pymalloc blocks across extra iterations,
within --leak-budget seconds).  The JIT copy is compared with the second
interpreter copy, and a place where the two interpreter runs differ too (a
temporary directory's name, a time) is excused and counted in the report;
objects the copies share (a logger from logging.getLogger) are compared by
class only.  BENCH is a name from pyperformance's MANIFEST
(pickle_pure_python runs bm_pickle with the options its manifest entry
gives) or a path.

modes:
  nojit              the interpreter only: nothing is compiled (the default
                     when neither --mode, PYJIT_AUTO nor PYJIT_LIST_FILE
                     says otherwise; the report says so plainly, and
                     --strategy, --engine and --counts are refused with it)
  jitlist:PATTERN    compile every function of the process whose
                     module:qualname matches PATTERN (fnmatch: json.decoder:*,
                     *:*, *; __main__ is also the benchmark module, so
                     jitlist:__main__:* compiles all of its functions):
                     the benchmark's before it runs, any other on its first
                     call; several patterns separated by ','; jitlist:@FILE
                     reads CinderX's jitlist file format (MODULE:QUALNAME a
                     line, # comments)
  autojit:N          compile every function of the process (the standard
                     library's, nested functions, lambdas, comprehensions
                     and modules imported later included; pyjit's own code
                     and what it runs on excluded) on the N-th call of its
                     code

environment (defaults for the options):
  PYJIT_AUTO=N         --mode autojit:N
  PYJIT_LIST_FILE=F    --mode jitlist:@F
  PYJIT_STRATEGY=S     --strategy S
  PYJIT_PASSES=P       the HIR passes (--passes, --disable-pass; pyjit size --help
                       lists them)
  PYJIT_LOG=PATH       the JIT log (compiles and refusals) to PATH ('-': stderr)

Progress goes to stderr.  Exit status 0 when the results match and nothing
leaks, 1 otherwise, 2 for bad arguments (mode, strategy, counts, a
PYJIT_* variable) or a benchmark that cannot run here.

examples:
  pyjit run richards --mode 'jitlist:__main__:*' --loops 3
  pyjit run nbody --mode autojit:2 --counts --json
  pyjit run richards --mode 'jitlist:*' -o richards.json
  python -m pyperf compare_to base.json richards.json
"""


def default_mode() -> str:
    from ..environment import settings
    env = settings()
    if env.auto:
        return f"autojit:{env.auto}"
    if env.list_file:
        return f"jitlist:@{env.list_file}"
    return "nojit"


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bench", metavar="BENCH",
                        help="a pyperformance benchmark name (richards) or a run_benchmark.py path")
    parser.add_argument("--mode", default=None,
                        help="nojit, jitlist:PATTERN or autojit:N (default from PYJIT_AUTO / "
                             "PYJIT_LIST_FILE, else nojit: nothing compiled)")
    parser.add_argument("--strategy", default=None, metavar="NAME",
                        help="call-lowering strategy of the compiled functions: "
                             "{STRATEGIES} (default: $PYJIT_STRATEGY, else "
                             "{DEFAULT_STRATEGY}); needs a mode that compiles")
    passes.add_arguments(parser)
    parser.add_argument("--loops", type=whole_number(1), default=1, metavar="N",
                        help="timed iterations (default 1)")
    parser.add_argument("--counts", action="store_true",
                        help="also run one call with dynamic counting on and report the counts")
    parser.add_argument("--leak-iterations", type=whole_number(0), default=2, metavar="N",
                        help="extra calls for the leak check (0: no leak check; default 2)")
    parser.add_argument("--leak-budget", type=seconds, default=None, metavar="SECONDS",
                        help="time the leak check may take (default 120): past it, fewer "
                             "iterations (and blocks rather than tracemalloc), then no check, "
                             "and the report says which")
    parser.add_argument("--leak-memory", choices=["blocks", "tracemalloc"], default="blocks",
                        help="the leak check's memory measure: pymalloc blocks (default, free "
                             "to read, blind above 512 bytes) or tracemalloc's bytes (sees "
                             "every allocation, slows each one)")
    parser.add_argument("--share", action="store_true",
                        help="also run one call under a counting profile function and report "
                             "the share of Python calls whose code is compiled")
    parser.add_argument("--engine", default=None, choices=["unicorn", "native"],
                        help="unicorn (default: emulated, any host) or native (AArch64 Linux: "
                             "the machine code runs on the CPU)")
    parser.add_argument("--timeout", type=seconds, default=None, metavar="SECONDS",
                        help="the emulator's time limit per outermost call, seconds "
                             "(default: none; the native engine has none either)")
    parser.add_argument("--bench-args", default="", metavar="ARGS",
                        help="options for the benchmark's own parser, as one string "
                             "(e.g. --bench-args='--iterations 2000' for nbody)")
    parser.add_argument("--json", action="store_true", help="print all results as JSON")
    parser.add_argument("-o", "--output", metavar="FILE", type=output_file,
                        help="write pyperf-compatible JSON (python -m pyperf compare_to reads it)")


def run(args: argparse.Namespace) -> int:
    from ..bench import BenchmarkError, run_benchmark
    from ..bench.leak import DEFAULT_BUDGET
    from ..bench.runner import DEFAULT_TIMEOUT, parse_mode

    try:
        mode = default_mode() if args.mode is None else args.mode
        _check_options(args, parse_mode(mode)[0])
        passes.apply(args)
        try:
            bench_args = shlex.split(args.bench_args)
        except ValueError as exc:
            raise ValueError(f"--bench-args {args.bench_args!r}: {exc}") from None
        result = run_benchmark(args.bench, mode, args.strategy, args.loops,
                               args.engine or "unicorn", counts=args.counts,
                               leak_iterations=args.leak_iterations,
                               leak_budget=args.leak_budget or DEFAULT_BUDGET,
                               leak_memory=args.leak_memory,
                               share=args.share, bench_args=bench_args,
                               timeout=args.timeout or DEFAULT_TIMEOUT)
    except (BenchmarkError, ValueError) as exc:     # OptionError is a ValueError
        print(f"pyjit run: error: {exc}", file=sys.stderr)
        return 2
    if args.output:
        try:
            write_pyperf_json(result, args.output)
        except OSError as exc:
            print(f"pyjit run: error: cannot write {args.output!r}: {exc.strerror}",
                  file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    else:
        print_result(result, defaulted=args.mode is None)
    return 0 if result.ok else 1


def _check_options(args: argparse.Namespace, kind: str) -> None:
    """ValueError for an unknown strategy, and for options that mean
    nothing when the mode compiles nothing."""
    from ..measure.sizes import check_strategy

    if args.strategy is not None:
        if args.strategy == "all":
            raise ValueError("pyjit run takes one strategy, not 'all' (pyjit compare "
                             "compares them)")
        check_strategy(args.strategy)
    if kind == "nojit":
        given = [option for option, value in (("--strategy", args.strategy),
                                              ("--engine", args.engine),
                                              ("--passes", args.passes),
                                              ("--disable-pass", args.disable_pass),
                                              ("--counts", args.counts),
                                              ("--share", args.share)) if value]
        if given:
            raise ValueError(f"{', '.join(given)} means nothing in mode nojit, which compiles "
                             "nothing: add --mode 'jitlist:__main__:*' (every function of "
                             "the benchmark) or --mode autojit:N")


def print_result(r, defaulted: bool = False) -> None:
    """The report of a BenchResult; defaulted: the mode was not given."""
    print(f"{r.benchmark} ({r.registered}, {r.kind}) mode {r.mode}, strategy "
          f"{r.strategy or 'default'}, engine {r.engine}")
    if r.mode == "nojit":
        why = ("no --mode, PYJIT_AUTO or PYJIT_LIST_FILE, so the mode is nojit"
               if defaulted else "mode nojit")
        print(f"nothing compiled: {why} (the interpreter only); --mode "
              "'jitlist:__main__:*' compiles every function of the benchmark")
    else:
        own = sum(1 for c in r.compiled if c.name.startswith(r.module + ":"))
        print(f"compiled {len(r.compiled)} functions, {r.total_size} bytes: {own} of the "
              f"benchmark's {r.candidates}, {len(r.compiled) - own} of other modules")
        for c in sorted(r.compiled, key=lambda c: -c.size):
            print(f"  {c.size:>8}  {c.name}")
        if r.compilations or r.shared_installs:
            print(f"the mode compiled {r.compilations} times, and installed code compiled "
                  f"for another function of the same code {r.shared_installs} times")
        if r.found_late:
            print(f"it found {r.found_late} functions of code compiled at run time "
                  f"(exec, eval, dataclasses, namedtuple) and counted them from then on")
        if r.refusals:
            print(f"refused {len(r.refusals)}:")
            for name, reason in r.refusals.items():
                print(f"  {name}: {reason}")
    verdict = "matches the interpreter" if r.matches else "DOES NOT match the interpreter"
    if r.check == "values+state":
        print(f"result: {verdict} (reference {r.reference}); {r.state or 'state not compared'}")
    else:
        print(f"check: {verdict}: {r.state or 'state not compared'} (a {r.kind} returns a "
              "time, not a result)")
    if r.error:
        print(f"error: {r.error}")
    if r.values:
        per = ", ".join(f"{v:.4f}" for v in r.values)
        print(f"wall time: {r.wall_time:.3f} s over {len(r.values)} iterations "
              f"(s per iteration: {per}); interpreter reference {r.reference_time:.4f} s")
    if r.counts:
        total = {k: sum(c[k] for c in r.counts.values())
                 for k in ("instructions", "helper_calls")}
        print(f"dynamic counts (one call): {total['instructions']} instructions, "
              f"{total['helper_calls']} helper calls in {len(r.counts)} functions")
    if r.share:
        sh = r.share
        shown = "-" if sh["share"] is None else f"{100 * sh['share']:.1f}%"
        print(f"share of Python calls whose code is compiled: {shown} ({sh['compiled_calls']} "
              f"of {sh['calls']}, counted in one profiled call)")
        if sh.get("missed") and sh["share"] is not None and sh["share"] < 1:
            print("  called most and not compiled:")
            for where, n in sh["missed"][:5]:
                print(f"    {n:>9} {where}")
    if r.leak and r.leak["ok"] is None:
        print(f"leak check {r.leak['note']}")
    elif r.leak:
        lk = r.leak
        unit = lk.get("memory_unit", "bytes")
        print(f"leak check over {lk['iterations']} calls: objects "
              f"{lk['objects_after'] - lk['objects_before']:+d} (interpreter "
              f"{lk['interpreter_objects_growth']:+d}, slack {lk['object_slack']}), memory "
              f"{lk['memory_after'] - lk['memory_before']:+d} {unit} (interpreter "
              f"{lk['interpreter_memory_growth']:+d}, slack {lk['memory_slack']}): "
              f"{'ok' if lk['ok'] else 'GROWS'}"
              + (f" ({lk['note']})" if lk.get("note") else ""))


def write_pyperf_json(r, path: str) -> None:
    """pyperf-compatible JSON: one benchmark, its values in seconds, sizes
    (bytes) and counts (integers) in the metadata."""
    metadata = {"name": r.benchmark, "loops": 1, "inner_loops": r.inner_loops,
                "pyjit_mode": r.mode, "pyjit_strategy": r.strategy or "default",
                "pyjit_engine": r.engine, "pyjit_matches": str(r.matches),
                "pyjit_compiled": len(r.compiled), "pyjit_refused": len(r.refusals),
                "pyjit_size": r.total_size}
    if r.counts:
        metadata["pyjit_instructions"] = sum(c["instructions"] for c in r.counts.values())
        metadata["pyjit_helper_calls"] = sum(c["helper_calls"] for c in r.counts.values())
    if r.metadata.get("description"):
        metadata["description"] = str(r.metadata["description"])
    values = [v for v in r.values if v > 0]
    try:
        import pyperf
    except ImportError:
        pyperf = None
    if pyperf is not None and values:
        run = pyperf.Run(values, metadata=metadata, collect_metadata=False)
        pyperf.BenchmarkSuite([pyperf.Benchmark([run])]).dump(path, replace=True)
        return
    # Without pyperf: its file format, version 1.0.
    data = {"version": "1.0", "metadata": {},
            "benchmarks": [{"runs": [{"metadata": metadata, "values": values}]}]}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)
