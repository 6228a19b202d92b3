"""What a process-wide mode costs pyjit's own compiler.

    python benchmarks/compile_under_autojit.py [--rounds 7] [--handlers 100]

pyjit's compiler is Python and calls the standard library, which a
process-wide mode counts and compiles too (pyjit/autojit.py).  This times
`jit.force_compile` of a function with HANDLERS try/except blocks (a new
function and globals each time: nothing shared) with no mode on and with
`autojit:2` on (after two compiles, so what the compiler calls has had its
chance to be compiled), interleaved, and prints the medians and their
ratio, and what the mode compiled.
"""

from __future__ import annotations

import argparse
import statistics
import time

from pyjit import autojit, jit


def handlers(n: int):
    body = "".join("    try:\n        g()\n    except E:\n        pass\n" for _ in range(n))
    namespace = {"g": int, "E": ValueError}
    exec(compile(f"def f():\n{body}    return 0\n", f"<{n} handlers>", "exec"), namespace)
    return namespace["f"]


def compile_once(n: int) -> float:
    f = handlers(n)
    start = time.perf_counter()
    if not jit.force_compile(f):
        raise RuntimeError(jit.refusal_reason(f))
    seconds = time.perf_counter() - start
    jit.force_uncompile(f)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--handlers", type=int, default=100)
    args = parser.parse_args(argv)
    for _ in range(3):
        compile_once(args.handlers)                 # warm-up
    off, on, names = [], [], set()
    for _ in range(args.rounds):
        off.append(compile_once(args.handlers))
        autojit.start(threshold=2)
        try:
            for _ in range(2):
                compile_once(args.handlers)
            on.append(compile_once(args.handlers))
        finally:
            mode = autojit.stop()
            names |= set(mode.compiled_names)
            for f in mode.compiled_functions():
                jit.force_uncompile(f)
    a, b = statistics.median(off), statistics.median(on)
    print(f"force_compile, {args.handlers} handlers: {a:.3f} s with no mode, {b:.3f} s with "
          f"autojit:2 on (medians of {args.rounds}); ratio {b / a:.2f}")
    print(f"compiled by the mode: {', '.join(sorted(names)) or 'nothing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
