"""One CPython `Lib/test` module of `pyjit cpython-tests`, in a process of its own.

    python -m pyjit.bench.unittest_child test_int --mode autojit:1 --json-file FILE

Imports `test.MODULE`, applies the mode to the functions and methods the
module defines (modes.py; `nojit`: none), loads its tests with unittest's
loader (its `load_tests` included, so doctests come too) and runs them,
recording each test's outcome by id: pass, fail, error, skip, xfail
(expected failure), xpass (unexpected success).  A failing subtest is
recorded under the subtest's id; a test whose subtests failed and that
recorded nothing else is a fail.  Writes
`{"module", "python", "mode", "tests": {id: [outcome, first line of the
message]}, "seconds", "compiled", "refused", "covered"}` to FILE, or
`{"missing": sentence}` when this Python has no such module.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import time
import unittest

OUTCOMES = ("pass", "fail", "error", "skip", "xfail", "xpass")


class RecordingResult(unittest.TestResult):
    """A TestResult that keeps every test's outcome by id."""

    def __init__(self):
        super().__init__()
        self.buffer = True           # the tests' own output stays out of the log
        self.outcomes: dict[str, list[str]] = {}

    def _record(self, test, outcome: str, message: str = "") -> None:
        self.outcomes[test.id()] = [outcome, message]

    @staticmethod
    def _message(err) -> str:
        exc_type, value = err[0], err[1]
        text = f"{exc_type.__name__}: {value}" if exc_type is not None else str(value)
        return text.strip().splitlines()[0][:300] if text.strip() else exc_type.__name__

    def addSuccess(self, test):
        super().addSuccess(test)
        self._record(test, "pass")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, "fail", self._message(err))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, "error", self._message(err))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, "skip", str(reason)[:300])

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, "xpass")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._record(subtest, "fail" if failed else "error", self._message(err))

    def stopTest(self, test):
        super().stopTest(test)
        if test.id() not in self.outcomes:
            self._record(test, "fail", "subtests failed")


def has_lib_test() -> bool:
    return (importlib.util.find_spec("test") is not None
            and importlib.util.find_spec("test.support") is not None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyjit.bench.unittest_child")
    parser.add_argument("module")
    parser.add_argument("--mode", required=True)
    parser.add_argument("--json-file", required=True)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    version = ".".join(map(str, sys.version_info[:3]))
    name = args.module if args.module.startswith("test.") else f"test.{args.module}"

    def write(answer) -> int:
        with open(args.json_file, "w", encoding="utf-8") as f:
            json.dump(answer, f)
        return 0

    if not has_lib_test():
        return write({"missing": f"CPython {version} at {sys.executable} has no Lib/test "
                                 "(its test package is not installed)"})
    if importlib.util.find_spec(name) is None:
        return write({"missing": f"CPython {version} has no module {name}"})

    from .modes import apply_mode, parse_mode, release

    kind, arg = parse_mode(args.mode)
    module = importlib.import_module(name)
    applied = None
    covered = compiled = refused = 0
    start = time.perf_counter()
    result = RecordingResult()
    try:
        if kind != "nojit":
            from .. import jit
            from ..environment import compile_options
            from ..target import module_functions
            applied = apply_mode(kind, arg, module_functions(module), module.__name__,
                                 compile_options(), None, lambda message: None, args.mode)
        for _ in range(max(1, args.runs)):      # the last run's outcomes are kept
            result = RecordingResult()
            unittest.defaultTestLoader.loadTestsFromModule(module).run(result)
        if applied is not None:
            # The functions the mode reached: compiled, or refused (by name,
            # as the process mode records them).
            touched = applied.touched()
            compiled = sum(1 for f in touched if jit.is_jit_compiled(f))
            refused = len({*(f"{f.__module__}:{f.__qualname__}" for f in touched
                             if jit.refusal_reason(f) is not None),
                           *(applied.process.refused if applied.process else ())})
            covered = compiled + refused
    finally:
        release(applied)
    return write({"module": args.module, "python": version, "mode": args.mode,
                  "runs": max(1, args.runs),
                  "tests": result.outcomes, "seconds": time.perf_counter() - start,
                  "covered": covered, "compiled": compiled, "refused": refused})


if __name__ == "__main__":
    sys.exit(main())
