"""`pyjit report`: a benchmark's HIR opcode mix and largest compiled
functions (pyjit/measure/report.py)."""

from __future__ import annotations

import argparse
import json
import sys

from .arguments import whole_number

SUMMARY = "HIR opcode mix and largest compiled functions of a benchmark"

DESCRIPTION = """\
Compile every function of BENCH with one strategy (nothing is run) and
print: the totals in bytes by section; the HIR opcode mix, the --top most
frequent opcodes summed over the compiled functions with their count and
share; the --top largest compiled functions with their sections; the
functions the JIT refused, with the reason.  --json prints every opcode and
every function.

BENCH is a pyperformance benchmark (richards), a path to a
run_benchmark.py-style file, or any TARGET of `pyjit size` (sqrt:200,
MODULE:*, FILE.py:QUALNAME).

exit status: 0 when something compiled and the JIT failed on nothing, 1
otherwise, 2 for a bad target or strategy.

examples:
  pyjit report richards
  pyjit report deltablue --strategy stub --top 20
  pyjit report path/to/run_benchmark.py --json
"""


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bench", metavar="BENCH",
                        help="a benchmark name, a run_benchmark.py path or a TARGET")
    parser.add_argument("--strategy", default=None, metavar="NAME",
                        help="call-lowering strategy: {STRATEGIES} "
                             "(default: $PYJIT_STRATEGY, else {DEFAULT_STRATEGY})")
    parser.add_argument("--top", type=whole_number(1), default=10, metavar="N",
                        help="opcodes and functions shown (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run(args: argparse.Namespace) -> int:
    from ..bench.loader import BenchmarkError
    from ..measure.compare import parse_target
    from ..measure.report import build_report, format_report
    from ..measure.sizes import check_strategy

    try:
        if args.strategy == "all":
            raise ValueError("pyjit report takes one strategy (pyjit compare compares them)")
        strategy = check_strategy(args.strategy)[0]
        report = build_report(parse_target(args.bench), strategy)
    except (ValueError, BenchmarkError) as exc:
        print(f"pyjit report: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(format_report(report, args.top), end="")
    return 0 if report.functions and not report.errors else 1
