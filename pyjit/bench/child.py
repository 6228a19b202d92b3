"""One benchmark of `pyjit suite`, in a process of its own.

    python -m pyjit.bench.child NAME --mode MODE [--bench-args ARGS] [--counts]
        [--share] [--leak-iterations N] [--leak-budget S] [--leak-memory M]
        --json-file FILE

Runs `run_benchmark` and writes its result (BenchResult.to_dict()) to FILE,
or `{"cannot_run": reason}` when the benchmark cannot run here (a
BenchmarkError or a bad mode before anything ran).  What the benchmark
prints goes to this process's stdout, which the suite keeps apart.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyjit.bench.child")
    parser.add_argument("bench")
    parser.add_argument("--mode", required=True)
    parser.add_argument("--bench-args", default="")
    parser.add_argument("--counts", action="store_true")
    parser.add_argument("--share", action="store_true")
    parser.add_argument("--leak-iterations", type=int, default=2)
    parser.add_argument("--leak-budget", type=float, default=None)
    parser.add_argument("--leak-memory", default="blocks")
    parser.add_argument("--json-file", required=True)
    args = parser.parse_args(argv)

    from .loader import BenchmarkError
    from .runner import run_benchmark

    try:
        result = run_benchmark(args.bench, args.mode, counts=args.counts, share=args.share,
                               leak_iterations=args.leak_iterations,
                               leak_budget=args.leak_budget, leak_memory=args.leak_memory,
                               bench_args=shlex.split(args.bench_args))
        answer = result.to_dict()
    except (BenchmarkError, ValueError) as exc:
        answer = {"cannot_run": str(exc)}
    with open(args.json_file, "w", encoding="utf-8") as f:
        json.dump(answer, f, default=repr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
