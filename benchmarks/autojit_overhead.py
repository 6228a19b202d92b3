"""What counting every call of the process costs the interpreter.

    python benchmarks/autojit_overhead.py [BENCH ...] [--rounds 5] [--loops 4]

`--mode autojit:1000000` counts the calls of every function of the process
(pyjit/autojit.py: a prologue in a copy of each function's code) and, with
a threshold no benchmark reaches, compiles nothing: its time against
`--mode nojit` is the counting's cost.  Each round runs `pyjit run BENCH`
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
MODES = ("nojit", "autojit:1000000")


def run(bench: str, mode: str, loops: int) -> list[float]:
    """The samples (seconds per inner loop) of one `pyjit run`."""
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
    return result["values"][1:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmarks", nargs="*", default=list(DEFAULT))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--loops", type=int, default=4, help="iterations per run (the first "
                        "is dropped)")
    args = parser.parse_args(argv)
    if args.loops < 2 or args.rounds < 1:
        parser.error("--loops must be >= 2 and --rounds >= 1")
    rows, ratios = [], []
    for bench in args.benchmarks:
        samples: dict[str, list[float]] = {m: [] for m in MODES}
        try:
            for r in range(args.rounds):
                for mode in (MODES if r % 2 == 0 else MODES[::-1]):
                    print(f"{bench}: round {r + 1}/{args.rounds}, {mode}", file=sys.stderr)
                    samples[mode] += run(bench, mode, args.loops)
        except RuntimeError as exc:
            print(f"{bench}: skipped: {exc}", file=sys.stderr)
            continue
        base, counted = (statistics.median(samples[m]) for m in MODES)
        ratios.append(counted / base)
        rows.append((bench, base, counted, counted / base, len(samples[MODES[0]])))
    print(f"{'benchmark':16} {'nojit (ms)':>11} {'autojit:1e6 (ms)':>17} {'ratio':>7} {'samples':>8}")
    for bench, base, counted, ratio, n in rows:
        print(f"{bench:16} {base * 1e3:11.3f} {counted * 1e3:17.3f} {ratio:7.3f} {n:8d}")
    if ratios:
        geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"geometric mean of the ratios: {geo:.3f} ({len(ratios)} benchmarks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
