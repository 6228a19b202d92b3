"""`pyjit cpython-tests`: CPython's Lib/test modules in the interpreter and under the JIT (pyjit/bench/cpython_tests.py)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from .arguments import output_file, seconds, whole_number

SUMMARY = "run CPython's Lib/test modules in the interpreter and under the JIT, compare"

DESCRIPTION = """\
Run each CPython regression test module named (default: the list below)
twice, each run in a process of its own: once in the interpreter, once
under the JIT mode (default autojit:1: every function and method the test
module defines compiled on its first call).  Print per module the tests
run, failed, erred and skipped in both runs, how many of the module's
functions were compiled, and whether the runs agree: every test has the
same outcome in both, except that a test failing in the interpreter may
fail under the JIT as well.  Every disagreement is listed by test id.

default modules:
  test_int test_float test_bool test_list test_tuple test_dict test_set
  test_string test_exceptions test_scope test_generators test_contextlib
  test_itertools test_functools test_class test_descr test_super

Some disagreements are inherent to pyjit, not bugs (a timing assertion,
objects the compiler leaves, run time, traceback frames without locals):
docs/cpython-tests.md lists them with the last run's results.

--runs N runs each module's tests N times in its process and compares the
last time's outcomes: from the second time on, the functions a test makes
anew (nested functions, generators, lambdas) are compiled at their first
call under autojit:1, their code's count being used up, where the first
time they ran in the interpreter.

--python runs another interpreter's Lib/test (a version, 3.12, or a path),
with this pyjit on its path; an interpreter without Lib/test is said to
have none, in one sentence, with exit status 2.

Progress goes to stderr.  Exit status 0 when every module agrees, 1 on a
disagreement (a JIT run that crashed or timed out included), 2 for bad
arguments.

examples:
  pyjit cpython-tests --jobs 2
  pyjit cpython-tests test_int test_bool --mode 'jitlist:*'
  pyjit cpython-tests test_int --python 3.12 --mode nojit
  pyjit cpython-tests test_generators test_contextlib --runs 2
"""


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("modules", nargs="*", metavar="MODULE",
                        help="Lib/test modules (test_int, or test.test_int); default: the list "
                             "above")
    parser.add_argument("--mode", default=None,
                        help="the JIT run's mode: nojit, jitlist:PATTERN or autojit:N "
                             "(default autojit:1)")
    parser.add_argument("--jobs", "-j", type=whole_number(1, 64), default=None, metavar="N",
                        help="processes at a time (default: 2, or 1 on one CPU)")
    parser.add_argument("--timeout", type=seconds, default=None, metavar="SECONDS",
                        help="time limit of each module's run (default 900)")
    parser.add_argument("--runs", type=whole_number(1, 10), default=1, metavar="N",
                        help="run each module's tests N times in one process, compare the "
                             "last (default 1)")
    parser.add_argument("--python", default=None, metavar="VERSION|PATH",
                        help="the interpreter whose Lib/test runs (default: this one)")
    parser.add_argument("--json", metavar="FILE", type=output_file,
                        help="write every module's outcomes by test id as JSON")


def _module_name(text: str) -> str:
    name = text[5:] if text.startswith("test.") else text
    if not name.isidentifier() or not name.startswith("test"):
        raise ValueError(f"{text!r} is not a Lib/test module name (test_int, test.test_int)")
    return name


def run(args: argparse.Namespace) -> int:
    from ..bench import cpython_tests
    from ..bench.modes import BROADEST_MODE, parse_mode
    from ..bench.suite import default_jobs

    def say(message: str) -> None:
        print(f"pyjit cpython-tests: {message}", file=sys.stderr, flush=True)

    try:
        mode = args.mode or BROADEST_MODE
        parse_mode(mode)
        modules = [_module_name(m) for m in args.modules] or list(cpython_tests.DEFAULT_MODULES)
        python = None
        if args.python is not None:
            from ..measure.pythons import find_python
            python = find_python(args.python).path
        missing = cpython_tests.lib_test_missing(python, tuple(modules))
        if missing:
            raise ValueError(missing)
        if parse_mode(mode)[0] != "nojit" and python is not None:
            unsupported = cpython_tests.jit_unsupported(python)
            if unsupported:
                raise ValueError(f"{unsupported} (--mode nojit runs the interpreter alone)")
    except ValueError as exc:
        print(f"pyjit cpython-tests: error: {exc}", file=sys.stderr)
        return 2
    start = time.perf_counter()
    results = cpython_tests.run_modules(modules, mode, jobs=args.jobs or default_jobs(),
                                        timeout=args.timeout or cpython_tests.DEFAULT_TIMEOUT,
                                        python=python, progress=say, runs=args.runs)
    wall = time.perf_counter() - start
    print(cpython_tests.format_report(results, mode, wall))
    if args.json:
        try:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump({"mode": mode, "python": python or sys.executable, "wall_time": wall,
                           "modules": [_as_dict(r) for r in results]}, f, indent=1)
        except OSError as exc:
            print(f"pyjit cpython-tests: error: cannot write {args.json!r}: {exc.strerror}",
                  file=sys.stderr)
            return 2
    return 0 if all(r.agree for r in results) else 1


def _as_dict(result) -> dict:
    from dataclasses import asdict
    return asdict(result)
