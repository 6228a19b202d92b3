"""RSS of a process calling compiled functions a million times.

    python benchmarks/memory_slope.py [--calls 1000000] [--chunks 10] [--engine unicorn]

Compiles `def f(): return 1` and `def g(x, y): return [x, y]`, warms up
(translations, caches), then calls both `calls` times in `chunks` equal
chunks, printing RSS (from /proc/self/statm) after each chunk, the growth
over the whole run and per call.  The target: under 20 MB over a million
calls (tests/semantics/test_memory.py checks the slope on fewer calls).
Also prints the time per call pair.
"""

from __future__ import annotations

import argparse
import time

import pyjit.jit as jit


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def f():
    return 1


def g(x, y):
    return [x, y]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--engine", default=None, help="unicorn or native (default: PYJIT_ENGINE)")
    args = parser.parse_args()
    if args.engine:
        jit.set_engine(jit.make_engine(args.engine))
    assert jit.force_compile(f) and jit.force_compile(g)
    for _ in range(10_000):
        f()
        g(1, 2)
    start, t0 = rss(), time.perf_counter()
    per_chunk = args.calls // args.chunks
    print(f"after warm-up: {start / 2**20:.1f} MiB")
    for k in range(args.chunks):
        for _ in range(per_chunk):
            f()
            g(1, 2)
        now = rss()
        print(f"{(k + 1) * per_chunk:>10,} calls: {now / 2**20:8.1f} MiB "
              f"({(now - start) / 2**20:+.2f})")
    elapsed = time.perf_counter() - t0
    calls = per_chunk * args.chunks
    print(f"growth: {(rss() - start) / 2**20:.2f} MiB over {calls:,} call pairs, "
          f"{(rss() - start) / calls:.2f} bytes a pair; {elapsed / calls * 1e6:.2f} us a pair")


if __name__ == "__main__":
    main()
