"""How often a process-wide mode compiles, and what a call costs, when a
program makes the same nested functions again and again.

    python benchmarks/autojit_sharing.py [--queens 8] [--calls 3]

pyperformance's nqueens makes three generator expressions per permutation
(new function objects of three code objects).  This runs its
`bench_n_queens` once in the interpreter, then CALLS times under
`autojit:1`, printing per call the CPU and wall seconds, how many
functions the mode compiled and how many got code compiled for an earlier
function of the same code (pyjit/sharing.py), and the refusals ("code
arena full" among them).  The benchmark's file is pyperformance's.
"""

from __future__ import annotations

import argparse
import sys
import time
import types
from pathlib import Path

from pyjit import autojit, jit


def nqueens_module() -> types.ModuleType:
    import pyperformance
    path = (Path(pyperformance.__file__).parent / "data-files" / "benchmarks" / "bm_nqueens"
            / "run_benchmark.py")
    source = path.read_text().replace("import pyperf\n", "")
    module = types.ModuleType("bm_nqueens")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queens", type=int, default=8)
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args()
    module = nqueens_module()
    start = time.process_time()
    module.bench_n_queens(args.queens)
    print(f"interpreter: {time.process_time() - start:.3f} s of CPU")
    mode = autojit.start(1, leave_alone=[sys.modules[__name__]])
    try:
        for i in range(1, args.calls + 1):
            cpu, wall = time.process_time(), time.perf_counter()
            module.bench_n_queens(args.queens)
            print(f"call {i}: {time.process_time() - cpu:.2f} s of CPU, "
                  f"{time.perf_counter() - wall:.2f} s wall; compiled {mode.compilations}, "
                  f"shared {mode.shared_installs}, loaded {len(jit.get_engine().loaded)}, "
                  f"refused {len(mode.refused)}", flush=True)
    finally:
        autojit.stop()
    for name, reason in mode.refused.items():
        print(f"refused {name}: {reason}")


if __name__ == "__main__":
    main()
