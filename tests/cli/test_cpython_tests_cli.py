"""pyjit cpython-tests: Lib/test modules in the interpreter and under the JIT."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
import unittest
from contextlib import redirect_stderr, redirect_stdout

import pytest

from pyjit.bench.children import child_env
from pyjit.bench.cpython_tests import (DEFAULT_MODULES, ModuleComparison, ModuleRun,
                                       compare_runs, format_report, lib_test_missing)
from pyjit.bench.unittest_child import RecordingResult, has_lib_test
from pyjit.cli import main

# The test modules run here, not only Lib/test's package: Debian ships
# test.support with the standard library and the tests apart
# (libpython3.X-testsuite), which its 3.14 build here lacks.
needs_lib_test = pytest.mark.skipif(
    not has_lib_test() or any(importlib.util.find_spec(f"test.{name}") is None
                              for name in ("test_bool", "test_int")),
    reason="this Python has no Lib/test modules test_bool and test_int")


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@needs_lib_test
def test_test_bool_agrees_under_autojit(tmp_path):
    out = tmp_path / "tests.json"
    status, table, err = run_cli("cpython-tests", "test_bool", "--jobs", "2",
                                 "--json", str(out))
    assert status == 0, table + err
    row = next(line.split() for line in table.splitlines() if line.startswith("test_bool "))
    interp, jit = row[1].split("/"), row[2].split("/")
    assert int(interp[0]) >= 25 and interp == jit and row[4] == "yes"
    compiled, covered = map(int, row[3].split("/"))
    assert 0 < compiled <= covered
    assert "1 of 1 modules agree" in table and "JIT mode autojit:1" in table
    assert "[2/2] test_bool (" in err and "running: nothing" in err
    data = json.loads(out.read_text())
    (module,) = data["modules"]
    tests = module["jit"]["tests"]
    assert tests["test.test_bool.BoolTest.test_repr"] == ["pass", ""]


def run(tests: dict) -> ModuleRun:
    return ModuleRun("done", {k: [v, f"msg {k}"] for k, v in tests.items()})


def test_agreement_rules():
    interp = run({"a": "pass", "b": "fail", "c": "error", "d": "skip", "e": "pass",
                  "f": "xfail", "g": "pass"})
    jit = run({"a": "pass", "b": "error", "c": "fail", "d": "pass", "e": "fail",
               "f": "xpass", "h": "pass"})
    found = {d[0]: d[1:3] for d in compare_runs(interp, jit)}
    # a test failing in the interpreter may fail under the JIT; anything else disagrees
    assert found == {"d": ("skip", "pass"), "e": ("pass", "fail"), "f": ("xfail", "xpass"),
                     "g": ("pass", "absent"), "h": ("absent", "pass")}
    crashed = ModuleRun("crashed", note="killed by SIGSEGV")
    assert compare_runs(interp, crashed) == [("<module>", "done", "crashed", "killed by SIGSEGV")]
    report = format_report([ModuleComparison("test_x", interp, jit, compare_runs(interp, jit))])
    assert "NO (5)" in report and "  e: interpreter pass, JIT fail: msg e" in report
    assert "0 of 1 modules agree" in report


def test_recording_result_keeps_outcomes_by_id():
    class Case(unittest.TestCase):
        def test_pass(self):
            pass

        def test_fail(self):
            self.assertEqual(1, 2)

        def test_error(self):
            raise KeyError("k")

        @unittest.skip("no reason")
        def test_skip(self):
            pass

        @unittest.expectedFailure
        def test_xfail(self):
            self.fail()

        def test_sub(self):
            for i in range(3):
                with self.subTest(i=i):
                    self.assertLess(i, 2)

    result = RecordingResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(Case).run(result)
    outcomes = {k.rsplit(".", 1)[-1]: v[0] for k, v in result.outcomes.items()}
    assert outcomes == {"test_pass": "pass", "test_fail": "fail", "test_error": "error",
                        "test_skip": "skip", "test_xfail": "xfail", "test_sub (i=2)": "fail",
                        "test_sub": "fail"}
    assert result.outcomes[next(k for k in result.outcomes if k.endswith("test_error"))][1] \
        == "KeyError: 'k'"


def test_an_interpreter_without_lib_test_is_said_in_one_sentence(tmp_path):
    fake = tmp_path / "fake"
    (fake / "test").mkdir(parents=True)
    (fake / "test" / "__init__.py").write_text("")          # a test package, no test.support
    python = tmp_path / "python-without-lib-test"
    python.write_text(f"#!/bin/sh\nPYTHONPATH={fake} exec {sys.executable} \"$@\"\n")
    python.chmod(0o755)
    sentence = lib_test_missing(str(python))
    assert sentence is not None and "has no Lib/test" in sentence
    out = subprocess.run([sys.executable, "-m", "pyjit.cli", "cpython-tests", "test_int",
                          "--python", str(python)], capture_output=True, text=True,
                         env=child_env(), timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "has no Lib/test" in out.stderr


def test_default_modules_are_the_documented_ones():
    required = {"test_int", "test_float", "test_list", "test_dict", "test_set", "test_tuple",
                "test_string", "test_bool", "test_exceptions", "test_scope",
                "test_generators", "test_contextlib", "test_itertools", "test_functools",
                "test_class", "test_descr", "test_super"}
    assert required <= set(DEFAULT_MODULES)
    help_text = subprocess.run([sys.executable, "-m", "pyjit.cli", "cpython-tests", "--help"],
                               capture_output=True, text=True, env=child_env(),
                               timeout=120).stdout
    assert all(name in help_text for name in DEFAULT_MODULES)


@pytest.mark.parametrize("argv, message", [
    (["foo"], "'foo' is not a Lib/test module name"),
    (["test_int", "--mode", "sometimes"], "bad mode 'sometimes'"),
    (["test_int", "--python", "2.7"], "neither a version"),
    (["test_int", "--jobs", "0"], "0 is out of range"),
])
def test_cpython_tests_bad_arguments_exit_2(argv, message):
    out = subprocess.run([sys.executable, "-m", "pyjit.cli", "cpython-tests", *argv],
                         capture_output=True, text=True, env=child_env(), timeout=120)
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("pyjit cpython-tests: error")


@needs_lib_test
def test_a_missing_module_is_bad_input():
    out = subprocess.run([sys.executable, "-m", "pyjit.cli", "cpython-tests", "test_int",
                          "test_pyjit_surely_absent"], capture_output=True, text=True,
                         env=child_env(), timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert "has no Lib/test module test_pyjit_surely_absent" in out.stderr


@needs_lib_test
def test_runs_compare_the_last_time(tmp_path):
    out = tmp_path / "tests.json"
    status, table, err = run_cli("cpython-tests", "test_bool", "--runs", "2", "--json", str(out))
    assert status == 0, table + err
    data = json.loads(out.read_text())
    (module,) = data["modules"]
    # the outcomes of one run (the last), not of both
    assert len(module["jit"]["tests"]) == len(module["interpreter"]["tests"]) >= 25
    child = tmp_path / "child.json"
    subprocess.run([sys.executable, "-m", "pyjit.bench.unittest_child", "test_bool", "--mode",
                    "nojit", "--runs", "3", "--json-file", str(child)], check=True,
                   env=child_env(), timeout=300)
    answer = json.loads(child.read_text())
    assert answer["runs"] == 3 and len(answer["tests"]) >= 25
    assert "--runs N" in subprocess.run(
        [sys.executable, "-m", "pyjit.cli", "cpython-tests", "--help"], capture_output=True,
        text=True, env=child_env(), timeout=120).stdout
