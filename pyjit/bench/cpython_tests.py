"""`pyjit cpython-tests`: CPython's own regression tests as a differential check.

    runs = run_modules(["test_int", "test_bool"], "autojit:1", jobs=2, timeout=900)
    print(format_report(runs)); any(run.disagreements for run in runs)

Each `Lib/test` module runs twice, each time in a process of its own
(unittest_child.py): once in the interpreter (mode nojit), once under the
JIT mode, and the two runs' outcomes are compared test by test.  They
agree when every test has the same outcome in both, except that a test
failing (or erring) in the interpreter may fail or err under the JIT too:
those are the interpreter's own failures here (a missing resource, an
environment difference), not the JIT's.  Anything else is a disagreement,
listed by test id: a test that passes in the interpreter and fails under
the JIT, a skip that is not a skip in both, a test that only one run has,
and a JIT run that crashed or ran out of time.

The default modules (DEFAULT_MODULES) cover the core types (int, float,
bool, list, tuple, dict, set, str formatting), exceptions, scoping,
generators, context managers, itertools, functools and the class machinery
(classes, descriptors, super); the JIT mode covers the functions and
methods each test module defines (modes.py).

docs/cpython-tests.md records the last run of the default modules, the
root cause of every disagreement found, and the differences inherent to
pyjit (a timing assertion, objects the compiler leaves, run time,
traceback frames without locals), which a run still lists.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, Callable

from .children import Done, Task, child_env, progress_line, python_command, run_parallel

DEFAULT_MODULES = (
    "test_int", "test_float", "test_bool", "test_list", "test_tuple", "test_dict",
    "test_set", "test_string", "test_exceptions", "test_scope", "test_generators",
    "test_contextlib", "test_itertools", "test_functools", "test_class", "test_descr",
    "test_super",
)
DEFAULT_TIMEOUT = 900.0          # seconds per module and run
FAILING = ("fail", "error")


@dataclass
class ModuleRun:
    """One run of one module: status done, timeout, crashed or missing."""

    status: str
    tests: dict[str, list[str]] = field(default_factory=dict)   # id -> [outcome, message]
    seconds: float = 0.0
    note: str = ""
    compiled: int = 0
    refused: int = 0
    covered: int = 0

    def count(self, *outcomes: str) -> int:
        return sum(1 for outcome, _ in self.tests.values() if outcome in outcomes)

    def summary(self) -> str:
        if self.status != "done":
            return self.status
        return (f"{len(self.tests)} run, {self.count('fail')} failed, {self.count('error')} "
                f"errors, {self.count('skip')} skipped")


@dataclass
class ModuleComparison:
    module: str
    interpreter: ModuleRun
    jit: ModuleRun
    disagreements: list[tuple[str, str, str, str]] = field(default_factory=list)
    # (test id, interpreter outcome, JIT outcome, JIT message)

    @property
    def agree(self) -> bool:
        return not self.disagreements


def compare_runs(interpreter: ModuleRun, jit: ModuleRun) -> list[tuple[str, str, str, str]]:
    """The disagreements of the JIT's run with the interpreter's."""
    if interpreter.status != "done":
        return []          # nothing to compare with: reported as the interpreter's problem
    if jit.status != "done":
        return [("<module>", "done", jit.status, jit.note)]
    found = []
    for test_id in sorted(set(interpreter.tests) | set(jit.tests)):
        a = interpreter.tests.get(test_id, ["absent", ""])
        b = jit.tests.get(test_id, ["absent", ""])
        if a[0] == b[0] or (a[0] in FAILING and b[0] in FAILING):
            continue
        found.append((test_id, a[0], b[0], b[1] or a[1]))
    return found


def _module_run(done: Done) -> ModuleRun:
    if done.status == "timeout":
        return ModuleRun("timeout", seconds=done.seconds,
                         note=f"killed after {done.seconds:.0f} s")
    if done.status == "crashed":
        return ModuleRun("crashed", seconds=done.seconds, note=done.crash_reason())
    data: dict[str, Any] = done.data
    if "missing" in data:
        return ModuleRun("missing", seconds=done.seconds, note=data["missing"])
    return ModuleRun("done", data["tests"], done.seconds, "", data.get("compiled", 0),
                     data.get("refused", 0), data.get("covered", 0))


def lib_test_missing(python: str | None = None, modules: tuple[str, ...] = ()) -> str | None:
    """One sentence when the interpreter has no Lib/test, or lacks one of
    modules (test_int); else None."""
    code = ("import importlib.util, sys\n"
            "v = '%d.%d.%d' % sys.version_info[:3]\n"
            "ok = importlib.util.find_spec('test') and importlib.util.find_spec('test.support')\n"
            "lack = [m for m in sys.argv[1:] if ok and not importlib.util.find_spec('test.' + m)]\n"
            "print('nolibtest ' + v if not ok else 'lacks %s %s' % (v, ','.join(lack)) if lack "
            "else 'ok')")
    out = subprocess.run([python or sys.executable, "-c", code, *modules], capture_output=True,
                         text=True, timeout=120)
    words = out.stdout.split()
    where = python or sys.executable
    if out.returncode == 0 and words == ["ok"]:
        return None
    if out.returncode == 0 and words[:1] == ["lacks"]:
        return (f"CPython {words[1]} at {where} has no Lib/test module "
                f"{', '.join(words[2].split(','))}")
    version = words[1] if len(words) > 1 else "?"
    return (f"CPython {version} at {where} has no Lib/test (its test package is not "
            "installed), so there are no regression tests to run")


def jit_unsupported(python: str | None = None) -> str | None:
    """pyjit's sentence when it does not support the interpreter, else None."""
    code = ("from pyjit.cpython import version\n"
            "import pyjit.cpython as c\n"
            "try:\n    c.layout\nexcept version.UnsupportedPython as e:\n    print(e)\n")
    out = subprocess.run([python or sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=120, env=child_env())
    text = out.stdout.strip() or (out.stderr.strip().splitlines() or [""])[-1]
    return text or None


def run_modules(modules: list[str], mode: str, *, jobs: int = 2,
                timeout: float | None = DEFAULT_TIMEOUT, python: str | None = None,
                progress: Callable[[str], None] = lambda message: None, runs: int = 1
                ) -> list[ModuleComparison]:
    """Both runs of every module (see the module docstring), in the order
    given; runs: how many times each child runs the module's tests, the
    last time's outcomes compared."""
    tasks = []
    for module in modules:
        for label, run_mode in (("interpreter", "nojit"), ("jit", mode)):
            argv = python_command("pyjit.bench.unittest_child", module, "--mode", run_mode,
                                  *(("--runs", str(runs)) if runs > 1 else ()), python=python)
            tasks.append(Task(f"{module} ({label})", argv, child_env()))
    progress(f"{len(modules)} modules, each in the interpreter and under {mode}, "
             f"{jobs} processes at a time" + (f", at most {timeout:g} s each" if timeout else ""))
    runs: dict[str, ModuleRun] = {}
    for done in run_parallel(tasks, jobs, timeout):
        run = runs[done.key] = _module_run(done)
        progress(progress_line(done, run.summary()))
    results = []
    for module in modules:
        interpreter, jit = runs[f"{module} (interpreter)"], runs[f"{module} (jit)"]
        results.append(ModuleComparison(module, interpreter, jit,
                                        compare_runs(interpreter, jit)))
    return results


def _counts(run: ModuleRun) -> str:
    if run.status != "done":
        return run.status
    return (f"{len(run.tests)}/{run.count('fail')}/{run.count('error')}/"
            f"{run.count('skip')}")


def format_report(results: list[ModuleComparison], mode: str = "", wall: float = 0.0,
                  shown: int = 20) -> str:
    """The per-module table, then every disagreement by test id (at most
    `shown` per module)."""
    header = ["module", "interpreter run/fail/err/skip", "JIT run/fail/err/skip",
              "compiled/covered", "agree", "seconds (interp, JIT)"]
    lines = []
    for r in results:
        agree = "yes" if r.agree else f"NO ({len(r.disagreements)})"
        if r.interpreter.status != "done":
            agree = "-"
        lines.append([r.module, _counts(r.interpreter), _counts(r.jit),
                      f"{r.jit.compiled}/{r.jit.covered}" if r.jit.status == "done" else "-",
                      agree, f"{r.interpreter.seconds:.1f}, {r.jit.seconds:.1f}"])
    widths = [max(len(h), *(len(c[i]) for c in lines)) if lines else len(h)
              for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in lines]
    for r in results:
        for label, run in (("interpreter", r.interpreter), ("JIT", r.jit)):
            if run.status in ("missing", "crashed", "timeout") and run.note:
                out.append(f"{r.module} ({label}): {run.status}: {run.note}")
        if r.disagreements:
            out.append("")
            out.append(f"{r.module}: {len(r.disagreements)} disagreements:")
            for test_id, a, b, message in r.disagreements[:shown]:
                out.append(f"  {test_id}: interpreter {a}, JIT {b}"
                           + (f": {message}" if message else ""))
            if len(r.disagreements) > shown:
                out.append(f"  ... and {len(r.disagreements) - shown} more")
    agreeing = sum(1 for r in results if r.agree and r.interpreter.status == "done")
    tests = sum(len(r.interpreter.tests) for r in results)
    out.append("")
    out.append(f"{agreeing} of {len(results)} modules agree ({tests} tests in the interpreter)"
               + (f"; JIT mode {mode}" if mode else "")
               + (f"; wall time {wall:.0f} s" if wall else ""))
    return "\n".join(out)
