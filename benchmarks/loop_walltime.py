"""Wall time of the `loop` shape: CPython against compiled code under Unicorn.

    s = 0
    for i in range(n): s += (i * 3) ^ (i >> 2)
    return s

Three variants of one call `f(n)` are measured side by side in one process:

- cpython:   the interpreter running the shape's own bytecode;
- emulated:  the same function compiled by pyjit, run under the Unicorn
             engine with dynamic counting off;
- counting:  the compiled function with dynamic counting on (the engine's
             block hook runs for every translated block executed).

After a warm-up call of each, every repeat runs the three once, in an order
that rotates from one repeat to the next (so that none always goes first),
and checks each result against CPython's.  Reported: median, min and max
wall time per variant, the ratios emulated / cpython and counting / emulated,
and, from the counted calls, the dynamic counts of one call (instructions,
helper calls, per loop iteration) and the emulated instruction rate.

    python benchmarks/loop_walltime.py [--n 100000] [--repeats 5] [--strategy NAME]
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyjit.jit as jit  # noqa: E402
from pyjit.shapes import make_shape  # noqa: E402

VARIANTS = ("cpython", "emulated", "counting")
NAME = "pyjit_shapes:loop"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Wall time of the loop shape: CPython vs compiled code under Unicorn "
                    "(counting off and on), interleaved over several repeats.",
        epilog="examples:\n  python benchmarks/loop_walltime.py\n"
               "  python benchmarks/loop_walltime.py --n 20000 --repeats 9 --strategy literal\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=_positive, default=100_000,
                        help="the loop's trip count, f(n) (default 100000)")
    parser.add_argument("--repeats", type=_positive, default=5,
                        help="measured calls per variant after the warm-up (default 5)")
    parser.add_argument("--strategy", default=None,
                        help="call-lowering strategy (default: the JIT's default)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    interpreted = make_shape("loop")
    compiled = make_shape("loop")
    if not jit.force_compile(compiled, args.strategy):
        print(f"the loop shape was refused: {jit.refusal_reason(compiled)}", file=sys.stderr)
        return 1
    info = jit.compiled_function(compiled)
    n = args.n
    expected = interpreted(n)

    def call(variant: str) -> float:
        """Run one variant once; its wall time in seconds."""
        fn = interpreted if variant == "cpython" else compiled
        jit.set_counting(variant == "counting")    # outside the timed region
        if variant == "counting":
            jit.reset_dynamic_counts()
        gc.collect()
        start = time.perf_counter()
        result = fn(n)
        elapsed = time.perf_counter() - start
        if result != expected:
            raise AssertionError(f"{variant}: f({n}) = {result}, expected {expected}")
        if variant == "counting":
            counted.append(jit.dynamic_counts()[NAME])
        return elapsed

    counted: list = []
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    try:
        for variant in VARIANTS:                   # warm-up: caches, translations
            call(variant)
        counted.clear()
        for r in range(args.repeats):
            k = r % len(VARIANTS)
            for variant in VARIANTS[k:] + VARIANTS[:k]:
                times[variant].append(call(variant))
    finally:
        jit.set_counting(False)
        jit.force_uncompile(compiled)

    report(args, info, times, counted)
    return 0


def report(args, info, times: dict[str, list[float]], counted: list) -> None:
    import unicorn

    n = args.n
    print(f"loop shape, f({n}); {args.repeats} interleaved repeats after a warm-up; "
          f"Python {platform.python_version()}, Unicorn {unicorn.__version__}")
    print(f"compiled: {info.size} bytes, strategy {info.strategy}")
    print()
    print(f"{'variant':<10}{'median':>12}{'min':>12}{'max':>12}")
    median = {}
    for variant in VARIANTS:
        ts = times[variant]
        median[variant] = statistics.median(ts)
        print(f"{variant:<10}" + "".join(f"{_ms(t):>12}" for t in
                                          (median[variant], min(ts), max(ts))))
    print()
    print(f"emulated / cpython:   {median['emulated'] / median['cpython']:8.1f}x")
    print(f"counting / cpython:   {median['counting'] / median['cpython']:8.1f}x")
    print(f"counting / emulated:  {median['counting'] / median['emulated']:8.2f}x")
    print()
    counts = counted[-1]
    same = all(c == counts for c in counted)
    print(f"dynamic counts of one call (counting on; "
          f"{'identical in all' if same else 'DIFFERENT across the'} {len(counted)} counted calls):")
    for field in ("instructions", "loads", "stores", "taken_branches", "indirect_branches",
                  "helper_calls"):
        value = counts[field]
        print(f"  {field.replace('_', ' '):<18}{value:>12}   {value / n:8.2f} per iteration")
    print(f"emulated rate: {counts['instructions'] / median['emulated'] / 1e6:.1f} M instructions/s "
          f"(counting off), {counts['instructions'] / median['counting'] / 1e6:.1f} M/s (counting on), "
          f"{counts['helper_calls'] / median['emulated'] / 1e6:.2f} M helper calls/s")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


if __name__ == "__main__":
    sys.exit(main())
