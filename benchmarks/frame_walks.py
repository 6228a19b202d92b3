"""What reading `frame.f_back` and `frame.f_lineno` costs with pyjit's
frame view in place.

    python benchmarks/frame_walks.py [--rounds 7] [--walks 2000]

Once compiled code is loaded, `frame.f_back` is pyjit's (pyjit/frame_view.py:
a Python descriptor that shows compiled activations without a frame).  One
walk follows `f_back` from a function's own frame to the bottom of the stack.
Measured in one process, interleaved, each round timing every case once
(`--walks` walks each), the medians printed with their ratio to the first:

- interpreter's f_back: the same walk reading the interpreter's own
  descriptor (pyjit.cpython.frames.real_back), the view in place;
- view, nothing running: `frame.f_back` with compiled code loaded, none
  running on the thread;
- view, under compiled: the walk called by a compiled function that a
  compiled function called directly (two activations, one without a frame).

and the same three for a walk that reads each frame's `f_lineno` (moving
with the interpreter's f_back): the interpreter's descriptor, the view
with nothing running, and the view under two compiled activations (the
outer one's trampoline frame is at its call of the inner one; the inner
one's line, where it left machine code, is the engine's to tell).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from pyjit import jit
from pyjit.cpython.frames import real_back

_own_lineno = type(sys._getframe()).__dict__["f_lineno"].__get__


def walk_real(walks: int) -> float:
    start = time.perf_counter()
    for _ in range(walks):
        frame = sys._getframe()
        while frame is not None:
            frame = real_back(frame)
    return time.perf_counter() - start


def walk_view(walks: int) -> float:
    start = time.perf_counter()
    for _ in range(walks):
        frame = sys._getframe()
        while frame is not None:
            frame = frame.f_back
    return time.perf_counter() - start


def inner(walks):
    return walk_view(walks)


def outer(walks):
    return inner(walks)


def lines_real(walks: int) -> float:
    start = time.perf_counter()
    for _ in range(walks):
        frame = sys._getframe()
        while frame is not None:
            _own_lineno(frame)
            frame = real_back(frame)
    return time.perf_counter() - start


def lines_view(walks: int) -> float:
    start = time.perf_counter()
    for _ in range(walks):
        frame = sys._getframe()
        while frame is not None:
            frame.f_lineno
            frame = real_back(frame)
    return time.perf_counter() - start


def inner_lines(walks):
    return lines_view(walks)


def outer_lines(walks):
    return inner_lines(walks)


def depth() -> int:
    frame, n = sys._getframe(), 0
    while frame is not None:
        frame, n = frame.f_back, n + 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--walks", type=int, default=2000)
    args = parser.parse_args(argv)
    for fn in (inner, outer, inner_lines, outer_lines):
        if not jit.force_compile(fn):
            print(f"frame_walks: {fn.__name__} did not compile: {jit.refusal_reason(fn)}",
                  file=sys.stderr)
            return 1
    cases = {"interpreter's f_back": walk_real, "view, nothing running": walk_view,
             "view, under compiled": outer, "interpreter's f_lineno": lines_real,
             "lines, nothing running": lines_view, "lines, under compiled": outer_lines}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for k in range(args.rounds):
        for name, fn in cases.items():
            samples[name].append(fn(args.walks) / args.walks)
        print(f"frame_walks: round {k + 1}/{args.rounds}", file=sys.stderr)
    print(f"a walk from walk_*'s frame, {depth()} frames deep in the interpreter "
          f"(2 more under compiled); medians of {args.rounds} rounds of {args.walks} walks")
    for names in (list(cases)[:3], list(cases)[3:]):
        base = statistics.median(samples[names[0]])
        for name in names:
            median = statistics.median(samples[name])
            print(f"  {name:24} {median * 1e6:9.2f} us a walk  {median / base:7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
