"""`pyjit suite`: pyperformance benchmarks in parallel processes, one table (pyjit/bench/suite.py)."""

from __future__ import annotations

import argparse
import sys

from .arguments import output_file, seconds, whole_number

SUMMARY = "run many pyperformance benchmarks in parallel processes, one table"

DESCRIPTION = """\
Run the pyperformance benchmarks named (or every one with --all), each as
`pyjit run` would, in a child process of its own, --jobs at a time, at a
small size where the benchmark's own options allow (--full-size: its own
defaults).  One table: per benchmark the status (ok, MISMATCH, LEAK,
error, timeout, crashed), compiled/candidate functions, refusals, the
check against the interpreter (and how many places were excused because
two interpreter runs differ there too), the leak check, the JIT's first
call over the interpreter's (jit/interp), the dynamic counts of one call
(--counts), the share of Python calls whose code is compiled (--share:
counted in one more call under a profile function, which makes every
function run interpreted, by code object), and the child's seconds.
Benchmarks that cannot run here are listed as skipped with the reason: a
package their requirements.txt names is not installed (named), their
requires-python excludes this Python, or they time a command line.  A
benchmark running past --timeout is killed and reported as "timeout".

Progress goes to stderr: one line per finished benchmark with its time and
what is still running (and the share, with --share).  --json FILE
writes every row with the child's whole result, after every benchmark, so
a run stopped early keeps the rows it finished.  Exit status 0 when every
benchmark that ran matched the interpreter and leaked nothing (timeouts
and skips do not fail it), 1 otherwise, 2 for bad arguments.

modes: as `pyjit run` (nojit, jitlist:PATTERN, autojit:N, over each child
process); the default is autojit:1, every function compiled on its first
call.

examples:
  pyjit suite richards nbody go --jobs 2
  pyjit suite --all --jobs 2 --json suite.json
  pyjit suite --all --mode nojit            # the harness alone
  pyjit suite richards --counts --share
"""


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="pyperformance benchmarks (names from its MANIFEST), or paths "
                             "of run_benchmark.py files")
    parser.add_argument("--all", action="store_true",
                        help="every benchmark of the installed pyperformance")
    parser.add_argument("--mode", default=None,
                        help="nojit, jitlist:PATTERN or autojit:N (default autojit:1)")
    parser.add_argument("--jobs", "-j", type=whole_number(1, 64), default=None, metavar="N",
                        help="benchmarks run at a time (default: 2, or 1 on one CPU)")
    parser.add_argument("--timeout", type=seconds, default=None, metavar="SECONDS",
                        help="time limit of each benchmark (default 180)")
    parser.add_argument("--full-size", action="store_true",
                        help="run each benchmark at its own default size")
    parser.add_argument("--counts", action="store_true",
                        help="dynamic counts of one call per benchmark")
    parser.add_argument("--share", action="store_true",
                        help="the share of Python calls whose code is compiled (one more "
                             "call per benchmark, under a counting profile function)")
    parser.add_argument("--leak-iterations", type=whole_number(0), default=2, metavar="N",
                        help="extra calls of each benchmark's leak check (0: none; default 2)")
    parser.add_argument("--leak-budget", type=seconds, default=None, metavar="SECONDS",
                        help="time each leak check may take (default 60)")
    parser.add_argument("--leak-memory", choices=["blocks", "tracemalloc"], default="blocks",
                        help="the leak check's memory measure: pymalloc blocks (default, free) "
                             "or tracemalloc's bytes (sees every allocation, slows each one)")
    parser.add_argument("--json", metavar="FILE", type=output_file,
                        help="write every row and result as JSON")


def run(args: argparse.Namespace) -> int:
    from ..bench import suite
    from ..bench.modes import BROADEST_MODE, parse_mode

    def say(message: str) -> None:
        print(f"pyjit suite: {message}", file=sys.stderr, flush=True)

    try:
        if args.all and args.names:
            raise ValueError("give benchmark names or --all, not both")
        if not args.all and not args.names:
            raise ValueError("name the benchmarks to run, or give --all")
        mode = args.mode or BROADEST_MODE
        parse_mode(mode)
        from ..bench.manifest import benchmarks_root
        if benchmarks_root() is None:
            raise ValueError("pyperformance is not installed (pip install pyperformance)")
        specs = suite.select_benchmarks([] if args.all else args.names)
    except ValueError as exc:
        print(f"pyjit suite: error: {exc}", file=sys.stderr)
        return 2
    report = suite.run_suite(
        specs, mode, jobs=args.jobs or suite.default_jobs(),
        timeout=args.timeout or suite.DEFAULT_TIMEOUT, small=not args.full_size,
        counts=args.counts, share=args.share, leak_iterations=args.leak_iterations,
        leak_budget=args.leak_budget or suite.DEFAULT_LEAK_BUDGET, leak_memory=args.leak_memory,
        progress=say,
        checkpoint=(lambda so_far: suite.write_json(so_far, args.json)) if args.json
        else (lambda so_far: None))
    print(suite.format_table(report))
    if args.json:
        try:
            suite.write_json(report, args.json)
        except OSError as exc:
            print(f"pyjit suite: error: cannot write {args.json!r}: {exc.strerror}",
                  file=sys.stderr)
            return 2
    return suite.exit_status(report)
