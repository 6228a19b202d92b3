"""Loading a pyperformance benchmark file unmodified, with a stand-in pyperf.

    bench = load_benchmark("richards")          # or a path to run_benchmark.py
    bench.module                                # the module, named bm_richards
    bench.registered                            # [Registered(...)] what it asked to run

A benchmark file registers its work from its `if __name__ == "__main__":`
block with `pyperf.Runner().bench_func(...)` and friends.  The file is
executed as a module named after its directory (`bm_richards`), so its
functions are `bm_richards:Task.runTask` and the like, then the bodies of its
top-level `if __name__ == "__main__":` blocks are executed in the module's
namespace (line numbers kept), with a stand-in `pyperf` module in
`sys.modules` whose `Runner` records each registration instead of timing it.
The previous `sys.modules["pyperf"]` (and `sys.path`, `sys.argv`) come back
afterwards; `installed_pyperf()` puts the stand-in back while the
benchmark's code runs, for benchmarks that look `pyperf` up at run time.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import os
import sys
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence


class BenchmarkError(Exception):
    """A benchmark that cannot be loaded or run here; the message says why."""


@dataclass
class Registered:
    """One benchmark a file registered: kind is "bench_func" or
    "bench_time_func"."""

    name: str
    kind: str
    func: Callable
    args: tuple
    inner_loops: int | None = None


@dataclass
class LoadedBenchmark:
    name: str                       # e.g. "richards"
    path: str
    module: types.ModuleType
    registered: list[Registered] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    stub: types.ModuleType | None = None


def benchmarks_dir() -> str:
    """The installed pyperformance's benchmark directory."""
    try:
        import pyperformance
    except ImportError:
        raise BenchmarkError("pyperformance is not installed (pip install pyperformance)") from None
    return os.path.join(os.path.dirname(pyperformance.__file__), "data-files", "benchmarks")


def benchmark_path(name: str) -> str:
    """The run_benchmark.py of benchmark `name` (or name itself, a path)."""
    if os.path.isdir(name):
        raise BenchmarkError(f"{name!r} is a directory: give its run_benchmark.py, or the "
                             "name of a pyperformance benchmark (richards)")
    if name.endswith(".py") or os.sep in name:
        if not os.path.isfile(name):
            what = "not a regular file" if os.path.exists(name) else "no such file"
            raise BenchmarkError(f"{name!r}: {what}")
        return name
    short = name[3:] if name.startswith("bm_") else name
    path = os.path.join(benchmarks_dir(), f"bm_{short}", "run_benchmark.py")
    if not os.path.isfile(path):
        known = sorted(d[3:] for d in os.listdir(benchmarks_dir()) if d.startswith("bm_"))
        raise BenchmarkError(f"no pyperformance benchmark named {name!r} "
                             f"(known: {', '.join(known)})")
    return path


# -- the stand-in pyperf ------------------------------------------------------------

def make_pyperf_stub(sink: list[Registered], metadata: dict[str, Any],
                     argv: Sequence[str] = ()) -> types.ModuleType:
    """A module standing in for pyperf; its Runner appends to sink and
    parses argv (the benchmark's own options, e.g. nbody's --iterations)."""
    try:
        import pyperf as real   # imported before the stand-in replaces it
    except ImportError:
        real = None
    if getattr(real, "_pyjit_stub", False):
        real = getattr(real, "_pyjit_real", None)

    class Runner:
        """Records what the benchmark registers; times nothing."""

        def __init__(self, *args, add_cmdline_args=None, metadata=None, **kwargs):
            self.metadata = _metadata
            if metadata:
                self.metadata.update(metadata)
            self.argparser = argparse.ArgumentParser(prog="pyperf-stand-in")
            self.args = None
            self._add_cmdline_args = add_cmdline_args

        def parse_args(self, args=None):
            if self.args is None:
                self.args = self.argparser.parse_args(list(argv) if args is None else args)
            return self.args

        def _register(self, kind, name, func, args, inner_loops):
            self.parse_args()
            sink.append(Registered(str(name), kind, func, tuple(args), inner_loops))

        def bench_func(self, name, func, *args, inner_loops=None, **kwargs):
            self._register("bench_func", name, func, args, inner_loops)

        def bench_time_func(self, name, func, *args, inner_loops=None, **kwargs):
            self._register("bench_time_func", name, func, args, inner_loops)

        def bench_command(self, name, *args, **kwargs):
            raise BenchmarkError(
                f"benchmark {name!r} uses Runner.bench_command: it times a separate "
                "process (a command line), not Python code this process could compile; "
                "pyjit run cannot run it")

        def bench_async_func(self, name, *args, **kwargs):
            raise BenchmarkError(
                f"benchmark {name!r} uses Runner.bench_async_func: coroutines are not "
                "supported by pyjit run")

    _metadata = metadata
    stub = types.ModuleType("pyperf")
    stub.Runner = Runner
    stub.perf_counter = time.perf_counter
    stub._pyjit_stub = True
    stub._pyjit_real = real
    if real is not None:
        def __getattr__(attr):     # anything else: the real pyperf's
            return getattr(real, attr)
        stub.__getattr__ = __getattr__
    return stub


@contextlib.contextmanager
def installed_pyperf(stub: types.ModuleType):
    """sys.modules["pyperf"] is stub inside the block, restored after."""
    missing = object()
    previous = sys.modules.get("pyperf", missing)
    sys.modules["pyperf"] = stub
    try:
        yield stub
    finally:
        if previous is missing:
            sys.modules.pop("pyperf", None)
        else:
            sys.modules["pyperf"] = previous


# -- loading ----------------------------------------------------------------------

def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(consts) == 1


def load_benchmark(name: str, argv: Sequence[str] = ()) -> LoadedBenchmark:
    """Load benchmark `name` (see the module docstring) with the command
    line options argv for its own argument parser (the defaults when
    empty); BenchmarkError when it is missing, fails, refuses, registers
    nothing or rejects argv."""
    path = benchmark_path(name)
    directory = os.path.dirname(os.path.abspath(path))
    dirname = os.path.basename(directory)
    module_name = dirname if dirname.startswith("bm_") else \
        os.path.splitext(os.path.basename(path))[0]
    short = module_name[3:] if module_name.startswith("bm_") else module_name
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as exc:
        raise BenchmarkError(f"cannot read {path!r}: {exc.strerror}") from None
    try:
        tree = ast.parse(source, path)
    except SyntaxError as exc:
        where = path if exc.lineno is None else f"{path}:{exc.lineno}"
        raise BenchmarkError(f"{where}: syntax error: {exc.msg}") from None
    main_body = [stmt for node in tree.body if _is_main_guard(node) for stmt in node.body]
    if not main_body:
        raise BenchmarkError(f"{path} has no `if __name__ == '__main__':` block registering "
                             "a benchmark")
    main_code = compile(ast.Module(body=main_body, type_ignores=[]), path, "exec")

    registered: list[Registered] = []
    metadata: dict[str, Any] = {}
    stub = make_pyperf_stub(registered, metadata, argv)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    saved_argv = sys.argv
    previous_module = sys.modules.get(module_name)
    sys.modules[module_name] = module
    sys.path.insert(0, directory)
    sys.argv = [path, *argv]
    try:
        with installed_pyperf(stub):
            try:
                spec.loader.exec_module(module)
                exec(main_code, module.__dict__)
            except BenchmarkError:
                raise
            except SystemExit as exc:
                if argv:
                    raise BenchmarkError(f"benchmark {short!r} rejects the options "
                                         f"{' '.join(argv)!r} (status {exc.code}; its parser "
                                         "printed why above)") from None
                raise BenchmarkError(f"benchmark {short!r} exited while loading "
                                     f"(status {exc.code})") from None
            except Exception as exc:  # noqa: BLE001 - whatever the file raises
                raise BenchmarkError(f"loading benchmark {short!r} failed: "
                                     f"{type(exc).__name__}: {exc}") from exc
    finally:
        sys.argv = saved_argv
        if sys.path and sys.path[0] == directory:
            del sys.path[0]
        if previous_module is not None:
            sys.modules[module_name] = previous_module
    if not registered:
        raise BenchmarkError(f"benchmark {short!r} registered nothing with pyperf.Runner")
    return LoadedBenchmark(short, path, module, registered, metadata, stub)
