"""`pyjit compare`: call-lowering strategies side by side over many targets
(pyjit/measure/compare.py)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys

from . import passes
from .arguments import output_file

SUMMARY = "compare strategies over shapes and benchmarks: bytes by section, dynamic counts"

DESCRIPTION = """\
Compile every target with every strategy and print one table: a group of
rows per target (total bytes, bytes by section -- code, literals, stubs,
veneers, padding -- and, for benchmarks, dynamic instructions, helper calls,
functions compiled and whether the result matches the interpreter's), a
column per strategy, each value followed by its delta against the baseline
strategy (+N / +x.x%).

targets (comma-separated):
  SHAPE              sqrt:200, sqrtpow:64, loop: compiled, not run
  BENCH              a pyperformance benchmark (richards) or a path to a
                     run_benchmark.py-style file: every function compiled,
                     run once with dynamic counting (sizes only with
                     --no-counts)
  MODULE:QUALNAME    any other TARGET of `pyjit size` (FILE.py:*, ...):
                     compiled, not run

--pass-variant=LIST (repeatable) adds, for each strategy, a column compiled
with that pass list (PYJIT_PASSES syntax: -NAME takes a pass out, NAME,...
replaces the pipeline; write it with '=' when it starts with '-'), labelled
"STRATEGY LIST", with its deltas against the first column: the toggle
experiment, e.g. each reference-count elision pass switched off in turn
over richards (sizes, dynamic instructions, helper calls).

--python V1,V2,... runs the comparison under each CPython (a version such
as 3.14, found on PATH, in pyenv or among scripts/python.sh's builds, or an
interpreter's path), each in a subprocess, and puts them side by side: a
column per version and strategy, deltas against the first version's
baseline.  Running benchmarks with counts needs Unicorn and pyperformance
installed in each interpreter; shapes need only pyjit.

--plot FILE.png draws total bytes against call sites for the sqrt-like
shapes (one line per shape and strategy; a shape given fewer than 3 times,
or sqrt when none is, is also sampled at N = 1, 2, 4, ..., 256) and a bar
chart of bytes by section per strategy for every other target.  Progress
goes to stderr (a benchmark under counting takes seconds to minutes per
strategy).

exit status: 0 when everything compiled and every benchmark matches, 1 when
a benchmark fails or does not match or the JIT fails, 2 for a bad target,
strategy or option.

examples:
  pyjit compare --targets sqrt:1,sqrt:200 --strategies direct,lazy-stub
  pyjit compare --targets sqrt:1,sqrt:2,sqrt:200,sqrtpow:64,richards --plot sizes.png
  pyjit compare --targets nbody --strategies stub,near --baseline near --json
  pyjit compare --targets sqrt:200,sqrtpow:64 --strategies lazy-stub --python 3.11,3.14
  pyjit compare --targets richards,sqrt:200 --strategies lazy-stub \
      --pass-variant=-refcount-frame-values --pass-variant=-refcount-held-operands
"""


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--targets", required=True, metavar="T1,T2,...",
                        help="comma-separated shapes, benchmarks and TARGETs")
    parser.add_argument("--strategies", default="all", metavar="S1,S2,...",
                        help="comma-separated call-lowering strategies among {STRATEGIES}; "
                             "or all (default)")
    parser.add_argument("--baseline", default=None, metavar="NAME",
                        help="the strategy deltas are against (default: the first)")
    passes.add_arguments(parser)
    parser.add_argument("--pass-variant", dest="variants", type=passes.pass_list,
                        action="append", default=[], metavar="LIST",
                        help="also compile each strategy with this pass list (repeatable): "
                             "--pass-variant=-refcount-frame-values")
    parser.add_argument("--no-counts", dest="counts", action="store_false",
                        help="do not run benchmarks: sizes only")
    parser.add_argument("--plot", metavar="FILE.png", type=output_file,
                        help="also draw the sizes (matplotlib)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--python", metavar="V1,V2,...",
                        help="compare under these CPythons side by side (versions or paths)")
    # The plot's samples in the JSON, for a --python parent.
    parser.add_argument("--with-samples", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from ..measure import compare

    passes.apply(args)
    try:
        strategies = parse_strategies(args.strategies)
        labels = [label for label, _, _ in compare.columns(strategies, args.variants)]
        baseline = compare.check_baseline(labels, args.baseline)
        targets = [compare.parse_target(spec) for spec in _split(args.targets, "target")]
        if args.plot and importlib.util.find_spec("matplotlib") is None:
            raise ValueError("--plot needs matplotlib (pip install 'pyjit[plot]')")
        if args.python and args.variants:
            raise ValueError("--pass-variant does not combine with --python yet: compare "
                             "the variants under each interpreter in turn")
        if args.python:
            from ..measure import pythons
            interpreters = [pythons.find_python(spec) for spec in _split(args.python, "python")]
            comparison = pythons.compare_versions(
                interpreters, [t.spec for t in targets], strategies, counts=args.counts,
                baseline=baseline, samples=bool(args.plot), progress=_progress)
    except ValueError as exc:
        print(f"pyjit compare: error: {exc}", file=sys.stderr)
        return 2
    if not args.python:
        comparison = compare.collect(targets, strategies, counts=args.counts,
                                     baseline=baseline, progress=_progress,
                                     variants=args.variants)
    if (args.plot or args.with_samples) and not args.python:
        specs = compare.series_to_sample(targets)
        comparison.samples = compare.collect_samples(specs, strategies, _progress)
    if args.json:
        print(json.dumps(comparison.to_dict(), indent=2))
    else:
        print(compare.format_table(comparison), end="")
    if args.plot:
        compare.plot(comparison, args.plot)
        _progress(f"wrote {args.plot}")
    return 0 if comparison.ok else 1


def parse_strategies(text: str) -> list[str]:
    """The strategies a --strategies value names, each once, in order;
    raises ValueError for an unknown one."""
    from ..measure.sizes import check_strategy

    names: list[str] = []
    for name in _split(text, "strategy"):
        names.extend(check_strategy(name))
    return list(dict.fromkeys(names))


def _split(text: str, what: str) -> list[str]:
    parts = [p.strip() for p in text.split(",")]
    if not all(parts):
        raise ValueError(f"empty {what} in {text!r}")
    return parts


def _progress(message: str) -> None:
    print(f"pyjit compare: {message}", file=sys.stderr, flush=True)
