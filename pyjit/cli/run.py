"""`pyjit run`: a pyperformance benchmark under the JIT (pyjit/bench)."""

from __future__ import annotations

import argparse
import json
import shlex
import sys

from .arguments import output_file, whole_number

SUMMARY = "run a pyperformance benchmark under the JIT, check it, time it"

DESCRIPTION = """\
Load pyperformance benchmark BENCH unmodified (its
data-files/benchmarks/bm_BENCH/run_benchmark.py, or a path to such a file)
twice, with a stand-in pyperf that captures what it registers: one copy
runs once in the interpreter for the reference, the other under the JIT
for --loops timed iterations.  Report whether the JIT's result, output and
module state match the interpreter's, the compiled functions with their
sizes, refusals with their reasons, wall time, dynamic counts (--counts)
and a leak check (gc object counts and tracemalloc memory across extra
iterations).

modes:
  nojit              the interpreter only: nothing is compiled (the default
                     when neither --mode, PYJIT_AUTO nor PYJIT_LIST_FILE
                     says otherwise; the report says so plainly, and
                     --strategy, --engine and --counts are refused with it)
  jitlist:PATTERN    compile the functions whose module:qualname matches
                     PATTERN (fnmatch; __main__ is the benchmark module, so
                     jitlist:__main__:* compiles all of them; several
                     patterns separated by ','; jitlist:@FILE reads one
                     pattern a line)
  autojit:N          compile each function of the benchmark on its N-th call

environment (defaults for the options):
  PYJIT_AUTO=N         --mode autojit:N
  PYJIT_LIST_FILE=F    --mode jitlist:@F
  PYJIT_STRATEGY=S     --strategy S
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
    parser.add_argument("--loops", type=whole_number(1), default=1, metavar="N",
                        help="timed iterations (default 1)")
    parser.add_argument("--counts", action="store_true",
                        help="also run one call with dynamic counting on and report the counts")
    parser.add_argument("--leak-iterations", type=whole_number(0), default=2, metavar="N",
                        help="extra calls for the leak check (0: no leak check; default 2)")
    parser.add_argument("--engine", default=None, choices=["unicorn", "native"],
                        help="unicorn (default: emulated, any host) or native (AArch64 Linux: "
                             "the machine code runs on the CPU)")
    parser.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
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
    from ..bench.runner import DEFAULT_TIMEOUT, parse_mode

    try:
        mode = default_mode() if args.mode is None else args.mode
        _check_options(args, parse_mode(mode)[0])
        try:
            bench_args = shlex.split(args.bench_args)
        except ValueError as exc:
            raise ValueError(f"--bench-args {args.bench_args!r}: {exc}") from None
        result = run_benchmark(args.bench, mode, args.strategy, args.loops,
                               args.engine or "unicorn", counts=args.counts,
                               leak_iterations=args.leak_iterations, bench_args=bench_args,
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
                                              ("--counts", args.counts)) if value]
        if given:
            raise ValueError(f"{', '.join(given)} means nothing in mode nojit, which compiles "
                             "nothing: add --mode 'jitlist:__main__:*' (every function of "
                             "the benchmark) or --mode autojit:N")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number of seconds above 0")
    return value


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
        print(f"compiled {len(r.compiled)} of {r.candidates} functions, {r.total_size} bytes")
        for c in sorted(r.compiled, key=lambda c: -c.size):
            print(f"  {c.size:>8}  {c.name}")
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
    if r.leak:
        lk = r.leak
        print(f"leak check over {lk['iterations']} calls: objects "
              f"{lk['objects_after'] - lk['objects_before']:+d} (interpreter "
              f"{lk['interpreter_objects_growth']:+d}, slack {lk['object_slack']}), memory "
              f"{lk['memory_after'] - lk['memory_before']:+d} bytes (interpreter "
              f"{lk['interpreter_memory_growth']:+d}, slack {lk['memory_slack']}): "
              f"{'ok' if lk['ok'] else 'GROWS'}")


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
