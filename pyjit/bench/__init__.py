"""Running pyperformance benchmarks under the JIT (`pyjit run`).

loader.py loads a benchmark file unmodified with a stand-in pyperf;
runner.py compiles its functions by mode and runs it, checking the result
against the interpreter's and watching for leaks.
"""

from .loader import BenchmarkError, LoadedBenchmark, load_benchmark
from .runner import BenchResult, run_benchmark

__all__ = ["BenchmarkError", "LoadedBenchmark", "load_benchmark", "BenchResult", "run_benchmark"]
