"""What counting every call of the process costs the interpreter.

    python benchmarks/autojit_overhead.py [BENCH ...] [--rounds 5] [--loops 4]
                                          [--threshold 1000000]

`--mode autojit:THRESHOLD` counts the calls of every function of the
process (pyjit/autojit.py: a prologue in a copy of each function's code)
and compiles a function only when its code reaches THRESHOLD calls: its
time against `--mode nojit` is the counting's cost, plus the cost of what
a benchmark calls that often running compiled (emulated), shown in the
"compiled" column (with a higher threshold that column is 0).  Each round runs `pyjit run BENCH`
once in each mode, in separate processes, the order alternating between
rounds; a run's first iteration is dropped (warm-up), the others are its
samples.  Printed per benchmark: the medians of both modes' samples and
their ratio, and the geometric mean of the ratios.  Progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ("richards", "nbody", "float", "chaos", "deltablue", "json_dumps", "regex_compile",
           "logging", "deepcopy", "pyflate")


def run(bench: str, mode: str, loops: int) -> tuple[list[float], int]:
    """The samples (seconds per inner loop) of one `pyjit run`, and how
    many functions it compiled."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, "-m", "pyjit.cli", "run", bench, "--mode", mode,
               "--loops", str(loops), "--leak-iterations", "0", "--json", "-o", out]
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{bench} {mode}: {done.stderr.strip().splitlines()[-1:]}")
        result = json.loads(done.stdout)
    if not result.get("matches"):
        raise RuntimeError(f"{bench} {mode}: the result does not match the interpreter's")
    return result["values"][1:], len(result.get("compiled", []))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmarks", nargs="*", default=list(DEFAULT))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--loops", type=int, default=4, help="iterations per run (the first "
                        "is dropped)")
    parser.add_argument("--threshold", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    modes = ("nojit", f"autojit:{args.threshold}")
    if args.loops < 2 or args.rounds < 1:
        parser.error("--loops must be >= 2 and --rounds >= 1")
    rows, ratios = [], []
    for bench in args.benchmarks:
        samples: dict[str, list[float]] = {m: [] for m in modes}
        compiled = 0
        try:
            for r in range(args.rounds):
                for mode in (modes if r % 2 == 0 else modes[::-1]):
                    print(f"{bench}: round {r + 1}/{args.rounds}, {mode}", file=sys.stderr)
                    values, n = run(bench, mode, args.loops)
                    samples[mode] += values
                    compiled = max(compiled, n)
        except RuntimeError as exc:
            print(f"{bench}: skipped: {exc}", file=sys.stderr)
            continue
        base, counted = (statistics.median(samples[m]) for m in modes)
        ratios.append(counted / base)
        rows.append((bench, base, counted, counted / base, len(samples[modes[0]]), compiled))
    print(f"{'benchmark':16} {'nojit (ms)':>11} {modes[1] + ' (ms)':>22} {'ratio':>7} "
          f"{'samples':>8} {'compiled':>9}")
    for bench, base, counted, ratio, n, compiled in rows:
        print(f"{bench:16} {base * 1e3:11.3f} {counted * 1e3:22.3f} {ratio:7.3f} {n:8d} "
              f"{compiled:9d}")
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"geometric mean of the ratios: {geo:.3f} ({len(ratios)} benchmarks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
