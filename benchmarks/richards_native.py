"""One richards iteration on the CPU: the interpreter against every function
compiled by the native engine (AArch64 Linux only).

On an x86-64 host, run it with the AArch64 CPython under qemu user-mode:

    bash scripts/aarch64-python.sh benchmarks/richards_native.py [--repeats 7]
        [--strategy NAME]

The pyperformance richards benchmark is loaded twice (two independent
module instances); every function of one copy is compiled
(`jitlist:__main__:*`) into a NativeEngine, the other stays in the
interpreter.  After a warm-up call of each, every repeat times one
iteration (`Richards().run(1)`, the registered call) of each copy, the
order alternating between repeats, and checks the compiled copy's result
and task counters against the interpreter's.  Reported: the median, min
and max per variant and the ratio of the medians.

Under qemu both the interpreter and the compiled code are translated by
qemu, and helpers are real C-API calls: the ratio says how the two compare
under qemu, not on hardware.  The script says which it ran under
(scripts/aarch64-python.sh sets PYJIT_UNDER_QEMU).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyjit.jit as jit  # noqa: E402
from pyjit.bench.loader import installed_pyperf, load_benchmark  # noqa: E402
from pyjit.target import module_functions  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (default 7)")
    parser.add_argument("--strategy", default=None, help="call lowering strategy (default: "
                                                         "the compiler's)")
    return parser.parse_args(argv)


def run_once(loaded) -> tuple[float, tuple]:
    reg = loaded.registered[0]
    area = loaded.module.taskWorkArea
    gc.collect()
    with installed_pyperf(loaded.stub):
        t0 = time.perf_counter()
        value = reg.func(*reg.args)
        elapsed = time.perf_counter() - t0
    return elapsed, (value, area.holdCount, area.qpktCount)


def main(argv=None) -> int:
    args = parse_args(argv)
    from pyjit.runtime.native_engine import NativeEngine, NativeUnavailable
    try:
        engine = NativeEngine()
    except NativeUnavailable as exc:
        print(f"richards_native: {exc}", file=sys.stderr)
        return 2
    interpreted, compiled = load_benchmark("richards"), load_benchmark("richards")
    jit.set_engine(engine)
    functions = module_functions(compiled.module)
    refused = [f.__qualname__ for f in functions if not jit.force_compile(f, args.strategy)]
    if refused:
        print(f"richards_native: refused: {refused}", file=sys.stderr)
        return 1
    size = sum(jit.get_compiled_size(f) for f in functions)
    times = {"interpreter": [], "native": []}
    copies = {"interpreter": interpreted, "native": compiled}
    for name in times:                       # warm-up
        run_once(copies[name])
    for i in range(args.repeats):
        order = list(times) if i % 2 == 0 else list(reversed(times))
        results = {}
        for name in order:
            elapsed, results[name] = run_once(copies[name])
            times[name].append(elapsed)
        if results["native"] != results["interpreter"]:
            print(f"richards_native: repeat {i + 1}: compiled {results['native']} != "
                  f"interpreter {results['interpreter']}", file=sys.stderr)
            return 1
        print(f"repeat {i + 1}/{args.repeats}: interpreter {times['interpreter'][-1]:.4f} s, "
              f"native {times['native'][-1]:.4f} s", file=sys.stderr, flush=True)
    under = ("qemu user-mode (qemu timings, not a hardware's)"
             if os.environ.get("PYJIT_UNDER_QEMU") else "this CPU")
    print(f"richards, one iteration; {len(functions)} functions compiled ({size} bytes, "
          f"strategy {args.strategy or 'default'}); {args.repeats} alternating repeats after "
          f"a warm-up; Python {platform.python_version()} {platform.machine()} under {under}")
    print(f"{'variant':12s} {'median':>10s} {'min':>10s} {'max':>10s}")
    for name, values in times.items():
        print(f"{name:12s} {statistics.median(values):9.4f}s {min(values):9.4f}s "
              f"{max(values):9.4f}s")
    ratio = statistics.median(times["native"]) / statistics.median(times["interpreter"])
    print(f"native / interpreter: {ratio:.2f}x (every result equal to the interpreter's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
