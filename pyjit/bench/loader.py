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
benchmark's code runs, for benchmarks that look `pyperf` up at run time,
and `bench.installed()` does that and makes `sys.modules[bm_NAME]` this copy
(pickle finds a function of the copy that runs by its module's name, as
concurrent_imap's process pool does).

Names are pyperformance's (manifest.py): `pickle_pure_python` is bm_pickle's
file with the options its TOML file gives (`--pure-python pickle`), before
the user's.  What pyperformance's runner provides by running each benchmark
in a fresh process, and this loader by other means:
- the C accelerators a benchmark blocks: with `--pure-python` among its
  options, the modules in `PURE_PYTHON_MODULES` (pickle) are taken out of
  `sys.modules` while the file loads, so its `sys.modules['_pickle'] = None;
  import pickle` makes a pure-Python pickle of its own, as in a fresh
  process; the process's own modules come back afterwards;
- clean-up after the benchmark: a top-level `try: ... finally: CLEANUP` of
  the main block (pathlib removes its temporary directory there) runs its
  `finally` part when the runner is done with the copy (`bench.close()`),
  as it would after pyperf's timing, not when the registration returns;
- the global random generator as the load left it: the copies share it,
  and the runner gives each copy's first call the state its own load left
  (`fresh_random`), so a file that seeds it while loading draws the same
  numbers in every copy (async_tree's memoization variants);
- coroutines: `bench_async_func` registers a coroutine function, which a
  call runs to completion in a new event loop (pyperf's way: the loop is
  set as the current one during the call and closed after it).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import os
import random
import sys
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from . import manifest


class BenchmarkError(Exception):
    """A benchmark that cannot be loaded or run here; the message says why."""


@dataclass
class Registered:
    """One benchmark a file registered: kind is "bench_func",
    "bench_time_func" or "bench_async_func"."""

    name: str
    kind: str
    func: Callable
    args: tuple
    inner_loops: int | None = None
    loop_factory: Callable | None = None     # bench_async_func's event loop maker

    def call(self):
        """One run of the work: func(*args) for bench_func; func(1, *args)
        (one loop) for bench_time_func, which returns a time; for
        bench_async_func, func(*args) awaited in a new event loop."""
        if self.kind == "bench_func":
            return self.func(*self.args)
        if self.kind == "bench_async_func":
            return _run_coroutine(self.func, self.args, self.loop_factory)
        return self.func(1, *self.args)


def _run_coroutine(func: Callable, args: tuple, loop_factory: Callable | None):
    import asyncio
    loop = loop_factory() if loop_factory is not None else asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(func(*args))
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@dataclass
class LoadedBenchmark:
    name: str                       # e.g. "richards"
    path: str
    module: types.ModuleType
    registered: list[Registered] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    stub: types.ModuleType | None = None
    argv: tuple[str, ...] = ()      # the options its parser saw
    cleanup: list[types.CodeType] = field(default_factory=list)   # deferred `finally` parts
    random_state: Any = None        # the global random generator's state after loading

    def fresh_random(self) -> None:
        """Give the global random generator the state this copy's load left
        it in, as a fresh process would have it at the first call (the
        copies share the generator: a file that seeds it while loading
        would otherwise see the draws of the copies run before it)."""
        if self.random_state is not None:
            random.setstate(self.random_state)

    @contextlib.contextmanager
    def installed(self):
        """Inside the block, this copy's stand-in pyperf is `pyperf` and its
        module is `sys.modules[module name]`; both restored after."""
        missing = object()
        name = self.module.__name__
        previous = sys.modules.get(name, missing)
        sys.modules[name] = self.module
        try:
            with installed_pyperf(self.stub):
                yield self
        finally:
            if previous is missing:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous

    def close(self, quiet: bool = False) -> None:
        """Run the main block's deferred clean-up (once); its errors are the
        benchmark's, reported as BenchmarkError (ignored when quiet)."""
        pending, self.cleanup = self.cleanup, []
        for code in pending:
            try:
                with self.installed():
                    exec(code, self.module.__dict__)
            except Exception as exc:  # noqa: BLE001 - whatever the clean-up raises
                if quiet:
                    continue
                raise BenchmarkError(f"the clean-up of benchmark {self.name!r} failed: "
                                     f"{type(exc).__name__}: {exc}") from exc


def benchmarks_dir() -> str:
    """The installed pyperformance's benchmark directory."""
    root = manifest.benchmarks_root()
    if root is None:
        raise BenchmarkError("pyperformance is not installed (pip install pyperformance)")
    return root


def _is_path(name: str) -> bool:
    return name.endswith(".py") or os.sep in name


def benchmark_spec(name: str) -> manifest.BenchmarkSpec | None:
    """pyperformance's description of benchmark `name` (None for a path)."""
    if _is_path(name) and not os.path.isdir(name):
        return None
    benchmarks_dir()
    spec = manifest.find(name)
    if spec is None:
        if os.path.isdir(name):
            raise BenchmarkError(f"{name!r} is a directory: give its run_benchmark.py, or the "
                                 "name of a pyperformance benchmark (richards)")
        raise BenchmarkError(f"no pyperformance benchmark named {name!r} "
                             f"(known: {', '.join(sorted(manifest.names()))})")
    return spec


def benchmark_path(name: str) -> str:
    """The run_benchmark.py of benchmark `name` (or name itself, a path)."""
    if os.path.isdir(name):
        raise BenchmarkError(f"{name!r} is a directory: give its run_benchmark.py, or the "
                             "name of a pyperformance benchmark (richards)")
    if _is_path(name):
        if not os.path.isfile(name):
            what = "not a regular file" if os.path.exists(name) else "no such file"
            raise BenchmarkError(f"{name!r}: {what}")
        return name
    return benchmark_spec(name).runscript


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

        def bench_async_func(self, name, func, *args, inner_loops=None, loop_factory=None,
                             **kwargs):
            self.parse_args()
            sink.append(Registered(str(name), "bench_async_func", func, tuple(args),
                                   inner_loops, loop_factory))

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


# Modules that use a C accelerator when it is there; a benchmark given
# --pure-python (pyperformance's option for pickle) loads with them out of
# sys.modules, so its own import makes them afresh, pure Python if it has
# blocked the accelerator.
PURE_PYTHON_MODULES = ("pickle", "_pickle", "_compat_pickle")


def _split_main(tree: ast.Module) -> tuple[list[ast.stmt], list[ast.stmt]]:
    """(the statements of the file's main blocks, the `finally` parts kept
    for later): a top-level `try: BODY finally: CLEANUP` without handlers
    becomes BODY now, CLEANUP at close()."""
    body: list[ast.stmt] = []
    later: list[ast.stmt] = []
    for node in tree.body:
        if not _is_main_guard(node):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Try) and stmt.finalbody and not stmt.handlers \
                    and not stmt.orelse:
                body.extend(stmt.body)
                later.extend(stmt.finalbody)
            else:
                body.append(stmt)
    return body, later


@contextlib.contextmanager
def _hidden_modules(names: Sequence[str]):
    """Inside the block, sys.modules lacks names; after it, the process's
    own entries are back (whatever the block imported or blocked there)."""
    missing = object()
    saved = {name: sys.modules.pop(name, missing) for name in names}
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is missing:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def load_benchmark(name: str, argv: Sequence[str] = ()) -> LoadedBenchmark:
    """Load benchmark `name` (see the module docstring) with the command
    line options argv for its own argument parser (after the options
    pyperformance's data give it); BenchmarkError when it is missing,
    fails, refuses, registers nothing or rejects argv."""
    path = benchmark_path(name)
    spec = benchmark_spec(name)
    directory = os.path.dirname(os.path.abspath(path))
    dirname = os.path.basename(directory)
    module_name = dirname if dirname.startswith("bm_") else \
        os.path.splitext(os.path.basename(path))[0]
    short = spec.name if spec is not None else \
        (module_name[3:] if module_name.startswith("bm_") else module_name)
    argv = (*(spec.extra_opts if spec is not None else ()), *argv)
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
    main_body, later = _split_main(tree)
    if not main_body:
        raise BenchmarkError(f"{path} has no `if __name__ == '__main__':` block registering "
                             "a benchmark")
    main_code = compile(ast.Module(body=main_body, type_ignores=[]), path, "exec")
    cleanup = [compile(ast.Module(body=later, type_ignores=[]), path, "exec")] if later else []

    registered: list[Registered] = []
    metadata: dict[str, Any] = {}
    stub = make_pyperf_stub(registered, metadata, argv)
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(module_spec)
    loaded = LoadedBenchmark(short, path, module, registered, metadata, stub, tuple(argv),
                             cleanup)
    saved_argv = sys.argv
    previous_module = sys.modules.get(module_name)
    sys.modules[module_name] = module
    sys.path.insert(0, directory)
    sys.argv = [path, *argv]
    hidden = PURE_PYTHON_MODULES if "--pure-python" in argv else ()
    try:
        with installed_pyperf(stub), _hidden_modules(hidden):
            try:
                module_spec.loader.exec_module(module)
                exec(main_code, module.__dict__)
            except BenchmarkError:
                loaded.close(quiet=True)
                raise
            except SystemExit as exc:
                loaded.close(quiet=True)
                if argv:
                    raise BenchmarkError(f"benchmark {short!r} rejects the options "
                                         f"{' '.join(argv)!r} (status {exc.code}; its parser "
                                         "printed why above)") from None
                raise BenchmarkError(f"benchmark {short!r} exited while loading "
                                     f"(status {exc.code})") from None
            except Exception as exc:  # noqa: BLE001 - whatever the file raises
                loaded.close(quiet=True)
                raise BenchmarkError(f"loading benchmark {short!r} failed: "
                                     f"{type(exc).__name__}: {exc}") from exc
    finally:
        sys.argv = saved_argv
        if sys.path and sys.path[0] == directory:
            del sys.path[0]
        if previous_module is not None:
            sys.modules[module_name] = previous_module
    if not registered:
        loaded.close(quiet=True)
        raise BenchmarkError(f"benchmark {short!r} registered nothing with pyperf.Runner")
    loaded.random_state = random.getstate()
    return loaded
