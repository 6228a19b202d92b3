"""`pyjit run-shape`: run a canonical shape once under the JIT.

Compiles the shape with `pyjit.jit.force_compile`, calls it once with its
sample arguments in the engine, checks the result against the shape's
expected value, and with --counts prints the dynamic counts of that call.
"""

from __future__ import annotations

import argparse
import sys
import time

SUMMARY = "run a shape once compiled, check its value, optionally print dynamic counts"

DESCRIPTION = """\
Compile SHAPE (see `pyjit shapes`) and install it, call it once with its
sample argument (f(9.0), f(1000)) under the engine, and compare the result
with the shape's expected value.  With --counts, dynamic counting is on for
that call and its counts are printed: instructions, loads, stores, taken and
indirect branches, helper calls (with the calls per helper).

exit status: 0 when the value is the expected one, 1 when it is not or the
shape was refused, 2 for a bad shape or strategy.

examples:
  pyjit run-shape loop --counts
  pyjit run-shape sqrt:200 --strategy stub
"""

COUNT_FIELDS = ("instructions", "loads", "stores", "taken_branches", "indirect_branches",
                "helper_calls")


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shape", metavar="SHAPE", help="a shape: sqrt:200, sqrtpow:64, loop")
    parser.add_argument("--strategy", default=None, metavar="NAME",
                        help="call-lowering strategy: {STRATEGIES} "
                             "(default: $PYJIT_STRATEGY, else {DEFAULT_STRATEGY})")
    parser.add_argument("--counts", action="store_true",
                        help="print the dynamic counts of the call")


def run(args: argparse.Namespace) -> int:
    from .. import jit
    from ..measure.sizes import check_strategy
    from ..shapes import make_shape, parse_shape

    try:
        shape, n = parse_shape(args.shape)
        strategy = check_strategy(args.strategy)
        if len(strategy) != 1:
            raise ValueError("run-shape takes one strategy, not 'all'")
    except ValueError as exc:
        print(f"pyjit run-shape: error: {exc}", file=sys.stderr)
        return 2
    func = make_shape(args.shape)
    name = f"{func.__module__}:{func.__qualname__}"
    if not jit.force_compile(func, strategy[0]):
        print(f"{args.shape} ({name}): refused: {jit.refusal_reason(func)}")
        return 1
    call_args, expected = shape.sample_args(n), shape.expected(n)
    was_counting = jit.get_engine().counting
    try:
        compiled = jit.compiled_function(func)
        print(f"{args.shape} ({name}): {compiled.size} bytes, strategy {compiled.strategy}")
        if args.counts:
            jit.set_counting(True)
            jit.reset_dynamic_counts()
        start = time.perf_counter()
        result = func(*call_args)
        elapsed = time.perf_counter() - start
        counts = jit.dynamic_counts().get(name) if args.counts else None
    finally:
        jit.force_uncompile(func)
        if args.counts:
            jit.set_counting(was_counting)
    call = f"f({', '.join(map(repr, call_args))})"
    ok = result == expected
    print(f"{call} = {result!r}, expected {expected!r}: {'ok' if ok else 'WRONG'} "
          f"({elapsed * 1e3:.1f} ms emulated{', counting' if args.counts else ''})")
    if counts is not None:
        print_counts(counts)
    return 0 if ok else 1


def print_counts(counts) -> None:
    """The dynamic counts of one function (a runtime Counts), one per line,
    helper calls broken down by helper, most called first."""
    print("dynamic counts:")
    for field in COUNT_FIELDS:
        print(f"  {field.replace('_', ' '):<18}{counts[field]:>12}")
    for helper, k in sorted(counts["helpers"].items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"    {helper:<26}{k:>8}")
