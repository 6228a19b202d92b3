"""What watching for functions of code nobody counted costs (pyjit/unseen_code.py).

    python benchmarks/unseen_code_overhead.py [--rounds 7]

A process-wide mode with a threshold no function reaches
(`autojit.start(10**9)`: counting only) runs two loops, once with the
watch and once without it (its `start` made a no-op), alternating, each
round: `calls`, 300,000 calls of a small function (3.12+'s PY_START
callback is gone from a code after its first start: this should cost
nothing), and `allocations`, 400,000 iterations that make objects the
collector tracks and that survive a young collection (3.11's watch looks
at the young generations at every collection of generation 1: its worst
case).  Printed: each loop's median seconds with and without the watch and
their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyjit import autojit, unseen_code  # noqa: E402


def small(x):
    return x + 1


def calls(n: int) -> int:
    s = 0
    for _ in range(n):
        s = small(s)
    return s


def allocations(n: int) -> int:
    keep = []
    for i in range(n):
        keep.append([i, (i, i)])
        if len(keep) > 5000:
            keep = []
    return len(keep)


LOOPS = {"calls": (calls, 300_000), "allocations": (allocations, 400_000)}


def timed(loop, n: int, watch: bool) -> float:
    saved = unseen_code.Watch.start
    if not watch:
        unseen_code.Watch.start = lambda self: None
    try:
        autojit.start(10 ** 9)
    finally:
        unseen_code.Watch.start = saved
    try:
        loop(1000)
        start = time.perf_counter()
        loop(n)
        return time.perf_counter() - start
    finally:
        autojit.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"CPython {sys.version.split()[0]}, {args.rounds} rounds, medians")
    print(f"{'loop':<12} {'watch (s)':>10} {'no watch (s)':>13} {'ratio':>7}")
    for name, (loop, n) in LOOPS.items():
        with_watch, without = [], []
        for r in range(args.rounds):
            order = (True, False) if r % 2 == 0 else (False, True)
            for watch in order:
                (with_watch if watch else without).append(timed(loop, n, watch))
        a, b = statistics.median(with_watch), statistics.median(without)
        print(f"{name:<12} {a:>10.4f} {b:>13.4f} {a / b:>7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
