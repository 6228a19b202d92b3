"""How far compiled code under Unicorn is from the interpreter, and why.

    python benchmarks/emulation_speed.py [BENCH ...] [--rounds 3] [--loops 3]
                                         [--no-counts] [--json FILE]

Time.  Each round runs `pyjit run BENCH` once with `--mode nojit` and once
with `--mode 'jitlist:*'` (every function of the process compiled: the
benchmark's before it runs, any other on its first call), in separate
processes, the order alternating between rounds, at the small size `pyjit
suite` uses (its SMALL_ARGS, the benchmark's own options).  A run's first
iteration is dropped (the warm-up; the JIT's compiles happen in it); per
mode the samples of all rounds give a median; the ratio is the JIT's
median over the interpreter's, and the geometric mean of the ratios closes
the table.

Counts (deterministic).  One more JIT run with `--counts` counts one call
of the benchmark's own functions (and the shared routines they run):
emulated instructions, stores, indirect branches and helper calls.  A
child process loads the benchmark the same way, makes one call, and counts
the bytecodes the interpreter executes in the benchmark's own code in a
second call (sys.monitoring's INSTRUCTION events on 3.12+, opcode tracing
on 3.11).  Printed: each count per executed bytecode.

Progress goes to stderr.  The default benchmarks are issue 13's speed set.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ("richards", "nbody", "deltablue", "float", "chaos", "go", "raytrace",
           "spectral_norm", "unpack_sequence", "hexiom")
JIT_MODE = "jitlist:*"
COUNTED = ("instructions", "stores", "indirect_branches", "helper_calls")


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def small_args(bench: str) -> list[str]:
    """The options `pyjit suite` runs bench with at its small size."""
    from pyjit.bench import manifest, suite
    spec = manifest.find(bench)
    if spec is None:
        raise SystemExit(f"emulation_speed: no pyperformance benchmark named {bench!r}")
    return suite.bench_args_for(spec, True)


def pyjit_run(bench: str, mode: str, loops: int, extra: list[str]) -> dict:
    """The JSON result of one `pyjit run` (RuntimeError when it fails or
    does not match the interpreter)."""
    cmd = [sys.executable, "-m", "pyjit.cli", "run", bench, "--mode", mode,
           "--loops", str(loops), "--leak-iterations", "0", "--json"] + extra
    args = small_args(bench)
    if args:
        cmd += ["--bench-args", shlex.join(args)]
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
    if done.returncode not in (0, 1):
        tail = done.stderr.strip().splitlines()[-1:]
        raise RuntimeError(f"{bench} {mode}: pyjit run failed: {tail}")
    result = json.loads(done.stdout)
    if not result.get("matches"):
        raise RuntimeError(f"{bench} {mode}: the result does not match the interpreter's "
                           f"({result.get('error')})")
    return result


def bytecodes(bench: str) -> int:
    """Bytecodes the interpreter executes in the benchmark's own code in
    one call (the second: the first warms up), counted in a child."""
    cmd = [sys.executable, os.path.abspath(__file__), "--count-bytecodes", bench]
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{bench}: counting bytecodes failed: "
                           f"{done.stderr.strip().splitlines()[-1:]}")
    return int(done.stdout.split()[-1])


def _count_bytecodes_here(bench: str) -> int:
    """(In the child.)  Load bench, call it once, count one more call."""
    from pyjit.bench.loader import load_benchmark
    loaded = load_benchmark(bench, small_args(bench))
    reg = loaded.registered[0]
    path = os.path.realpath(loaded.path)
    with loaded.installed():
        loaded.fresh_random()
        reg.call()
        counted = [0]
        if sys.version_info >= (3, 12):
            mon = sys.monitoring
            tool = mon.PROFILER_ID
            mon.use_tool_id(tool, "emulation_speed")
            mine: dict = {}

            def instruction(code, offset):
                own = mine.get(code)
                if own is None:
                    own = mine[code] = os.path.realpath(code.co_filename) == path
                if not own:
                    return mon.DISABLE
                counted[0] += 1

            mon.register_callback(tool, mon.events.INSTRUCTION, instruction)
            mon.set_events(tool, mon.events.INSTRUCTION)
            try:
                reg.call()
            finally:
                mon.set_events(tool, 0)
                mon.register_callback(tool, mon.events.INSTRUCTION, None)
                mon.free_tool_id(tool)
        else:
            def local(frame, event, arg):
                if event == "opcode":
                    counted[0] += 1
                return local

            def tracer(frame, event, arg):
                if os.path.realpath(frame.f_code.co_filename) != path:
                    return None
                frame.f_trace_opcodes = True
                return local

            sys.settrace(tracer)
            try:
                reg.call()
            finally:
                sys.settrace(None)
    return counted[0]


def measure(bench: str, rounds: int, loops: int, counts: bool) -> dict:
    modes = ("nojit", JIT_MODE)
    samples: dict[str, list[float]] = {m: [] for m in modes}
    for r in range(rounds):
        for mode in (modes if r % 2 == 0 else modes[::-1]):
            print(f"{bench}: round {r + 1}/{rounds}, {mode}", file=sys.stderr)
            samples[mode] += pyjit_run(bench, mode, loops, [])["values"][1:]
    row = {"benchmark": bench, "bench_args": small_args(bench),
           "interpreter_s": statistics.median(samples["nojit"]),
           "jit_s": statistics.median(samples[JIT_MODE]), "samples": samples}
    row["ratio"] = row["jit_s"] / row["interpreter_s"]
    if counts:
        print(f"{bench}: counting one call", file=sys.stderr)
        per_function = pyjit_run(bench, JIT_MODE, 1, ["--counts"]).get("counts") or {}
        totals = {k: sum(c.get(k, 0) for c in per_function.values()) for k in COUNTED}
        row["counts"] = totals
        row["bytecodes"] = bytecodes(bench)
    return row


def format_table(rows: list[dict]) -> str:
    head = ["benchmark", "interp (ms)", "jit (ms)", "jit/interp", "bytecodes", "insns/bc",
            "stores/bc", "indirect/bc", "helpers/bc"]
    lines = [head]
    for row in rows:
        line = [row["benchmark"], f"{row['interpreter_s'] * 1e3:.2f}", f"{row['jit_s'] * 1e3:.2f}",
                f"{row['ratio']:.1f}x"]
        n = row.get("bytecodes")
        if n:
            c = row["counts"]
            line += [f"{n:,}"] + [f"{c[k] / n:.3f}" for k in COUNTED]
        else:
            line += ["-"] * 5
        lines.append(line)
    widths = [max(len(str(r[i])) for r in lines) for i in range(len(head))]
    text = ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                      for i, (c, w) in enumerate(zip(r, widths))) for r in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    ratios = [row["ratio"] for row in rows]
    if ratios:
        gmean = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        text.append(f"geometric mean of jit/interp: {gmean:.1f}x ({len(ratios)} benchmarks)")
    return "\n".join(text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("benchmarks", nargs="*", default=list(DEFAULT))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--loops", type=int, default=3,
                        help="iterations per run (the first is dropped)")
    parser.add_argument("--no-counts", action="store_true", help="time only")
    parser.add_argument("--json", metavar="FILE", help="every row, with its samples")
    parser.add_argument("--count-bytecodes", metavar="BENCH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.count_bytecodes:
        print(_count_bytecodes_here(args.count_bytecodes))
        return 0
    if args.loops < 2 or args.rounds < 1:
        parser.error("--loops must be >= 2 and --rounds >= 1")
    rows = []
    for bench in args.benchmarks:
        try:
            rows.append(measure(bench, args.rounds, args.loops, not args.no_counts))
        except RuntimeError as exc:
            print(f"{bench}: skipped: {exc}", file=sys.stderr)
    print(format_table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0 if len(rows) == len(args.benchmarks) else 1


if __name__ == "__main__":
    sys.exit(main())
