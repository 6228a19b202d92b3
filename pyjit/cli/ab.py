"""`pyjit ab`: two configurations of a target timed interleaved, compared
with paired statistics (pyjit/measure/ab.py, pyjit/measure/stats.py)."""

from __future__ import annotations

import argparse
import json
import sys

from . import passes

SUMMARY = "time two configurations interleaved (A B B A ...) and compare them with a CI"

DESCRIPTION = """\
Time TARGET under configuration A and configuration B in pairs, alternating
which goes first (A B, then B A, ...), after --warmups discarded rounds, and
compare them: the median of each side, B/A of the medians, and the paired
relative deltas d = (B - A) / A: their mean, median, trimmed mean (10% of the
pairs dropped at each end, nothing below 10 pairs), their mean for each
order (far apart when running first or second costs time of its own), and a
95% bootstrap confidence interval of their mean (pairs resampled 10,000
times, --seed).  When the interval contains zero the verdict is "no
detectable difference at 95%".  Few pairs give too narrow an interval (10
pairs: about 90% coverage rather than 95%).

TARGET is a shape (sqrt:200, sqrtpow:64, loop: pyjit shapes) or a
pyperformance benchmark (richards, or a run_benchmark.py path).

A configuration is KEY=VALUE[,KEY=VALUE...]:
  strategy=NAME   a call-lowering strategy: {STRATEGIES}
                  (default: $PYJIT_STRATEGY, else {DEFAULT_STRATEGY})
  mode=MODE       shapes: jit (default) or nojit; benchmarks: nojit,
                  jitlist:PATTERN (default jitlist:__main__:*) or autojit:N,
                  as in pyjit run but over the benchmark's own functions (A
                  and B alternate in one process, where a process-wide mode
                  would cover both); a piece without '=' continues the previous
                  value (mode=jitlist:__main__:f,__main__:g)
  engine=NAME     unicorn (default) or native
  passes=LIST     the HIR passes, as PYJIT_PASSES writes them: NAME,NAME,...
                  instead of the default pipeline, -NAME takes one out
                  (passes=-refcount-held-operands); default: --passes,
                  --disable-pass, else $PYJIT_PASSES, else the default pipeline
A and B may be the same configuration: an A/A run shows the noise.

Each configuration is built on its own: a new instance of the shape's
function or of the benchmark's module, its own engine.  A sample is one
untimed call (the first call after the other configuration ran is slower),
then the median of --loops calls, each timed with time.perf_counter
(benchmarks: per inner loop); every result is checked.  In-process
(default), both configurations are built once and sampled warm.  With
--fresh every sample, warmups included, is a new Python process that builds
the configuration and takes one sample.

Progress goes to stderr.  Exit status 0 when measured, 1 when a
configuration fails (refused, wrong result, exception), 2 for bad arguments
or a target that cannot run here.

examples:
  pyjit ab sqrt:200 --a strategy=direct --b strategy=lazy-stub
  pyjit ab loop --a mode=nojit --b mode=jit --pairs 20 --json
  pyjit ab richards --a mode=nojit --b strategy=stub --pairs 5 --fresh --loops 3
  pyjit ab sqrt:200 --a passes=-refcount-held-operands --b strategy=lazy-stub
"""


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="TARGET",
                        help="a shape (sqrt:200, loop) or a pyperformance benchmark (richards)")
    parser.add_argument("--a", required=True, metavar="KEY=VAL[,...]",
                        help="configuration A (the baseline)")
    parser.add_argument("--b", required=True, metavar="KEY=VAL[,...]",
                        help="configuration B (deltas are B relative to A)")
    parser.add_argument("--pairs", type=int, default=10, help="timed pairs (default 10)")
    parser.add_argument("--warmups", type=int, default=2,
                        help="discarded rounds of one sample each before the pairs (default 2)")
    parser.add_argument("--loops", type=int, default=1,
                        help="calls per sample, whose median is the sample (default 1; "
                             "short shapes want more)")
    passes.add_arguments(parser)
    parser.add_argument("--fresh", action="store_true",
                        help="take every sample in a new process")
    parser.add_argument("--seed", type=int, default=0,
                        help="the bootstrap's random seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from ..measure.ab import MeasureError, SetupError, check_target, parse_config, run_ab

    problem = _check_counts(args)
    if problem:
        return _fail(problem, 2)
    passes.apply(args)
    try:
        check_target(args.target)
        a, b = parse_config(args.a, args.target), parse_config(args.b, args.target)
        result = run_ab(args.target, a, b, pairs=args.pairs, warmups=args.warmups,
                        loops=args.loops, fresh=args.fresh, seed=args.seed, progress=_progress)
    except SetupError as exc:
        return _fail(str(exc), 2)
    except MeasureError as exc:
        return _fail(str(exc), 1)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print_result(result)
    return 0


def _check_counts(args: argparse.Namespace) -> str | None:
    if args.pairs < 2:
        return f"--pairs must be at least 2, not {args.pairs}"
    if args.warmups < 0:
        return f"--warmups must be at least 0, not {args.warmups}"
    if args.loops < 1:
        return f"--loops must be at least 1, not {args.loops}"
    return None


def _fail(message: str, status: int) -> int:
    print(f"pyjit ab: error: {message}", file=sys.stderr)
    return status


def _progress(message: str) -> None:
    print(f"pyjit ab: {message}", file=sys.stderr, flush=True)


def format_time(seconds: float) -> str:
    """seconds in s, ms or us, four significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3)):
        if seconds >= scale:
            return f"{seconds / scale:.4g} {unit}"
    return f"{seconds / 1e-6:.4g} us"


def print_result(result) -> None:
    c = result.comparison
    where = "fresh processes" if result.fresh else "in-process"
    sample = "one call" if result.loops == 1 else f"the median of {result.loops} calls"
    warmups = f"{result.warmups} warmup{'' if result.warmups == 1 else 's'}"
    print(f"{result.target}: {where}, {result.pairs} pairs after {warmups}; a sample is "
          f"{sample}")
    print("order: alternating (A B in odd pairs, B A in even pairs)")
    for label, side, median in (("A", result.a, c.a_median), ("B", result.b, c.b_median)):
        code = f"{side.compiled} compiled, {side.size} bytes" if side.compiled else "no code"
        print(f"  {label} median         {format_time(median):>12}   {side.config.text} "
              f"({code})")
    rows = (("B/A of medians", f"{c.ratio:.4f}"),
            ("mean delta", f"{c.mean_delta:+.2%}"),
            ("median delta", f"{c.median_delta:+.2%}"),
            ("trimmed mean", f"{c.trimmed_mean_delta:+.2%}"),
            (f"{c.confidence:.0%} CI", f"[{c.ci_low:+.2%}, {c.ci_high:+.2%}]"))
    for name, value in rows:
        print(f"  {name:<16}{value:>13}")
    by_order = ", ".join(f"{k} {v:+.2%}" for k, v in c.order_means.items())
    print(f"mean delta by order (first to run): {by_order}")
    print(f"deltas are (B - A) / A per pair; CI: bootstrap of the mean delta, "
          f"{c.resamples} resamples, seed {c.seed}")
    print(f"verdict: {c.verdict}")
