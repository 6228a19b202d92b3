"""pyjit suite: benchmarks in parallel child processes, one table and a JSON file.

Tiny run_benchmark.py files in a temporary directory stand for benchmarks
that pass, mismatch, hang and crash; nbody runs at its small size."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from contextlib import redirect_stderr, redirect_stdout

import pytest

from pyjit.bench import suite
from pyjit.bench.children import child_env
from pyjit.cli import main

pytest.importorskip("pyperformance")

OK = """
    import pyperf

    def work():
        return sum(i * i for i in range(100))

    if __name__ == "__main__":
        pyperf.Runner().bench_func("ok", work)
"""

MISMATCH = """
    import pyperf
    import pyjit

    def work():
        return 2 if pyjit.is_jit_compiled(work) else 1

    if __name__ == "__main__":
        pyperf.Runner().bench_func("mismatch", work)
"""

HANGS = """
    import time
    import pyperf

    def work():
        while True:
            time.sleep(0.05)

    if __name__ == "__main__":
        pyperf.Runner().bench_func("hangs", work)
"""

CRASHES = """
    import os
    import pyperf

    def work():
        os.abort()

    if __name__ == "__main__":
        pyperf.Runner().bench_func("crashes", work)
"""


def write_bench(directory, name: str, body: str) -> str:
    path = directory / f"bm_{name}"
    path.mkdir()
    (path / "run_benchmark.py").write_text(textwrap.dedent(body))
    return str(path / "run_benchmark.py")


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def row_of(table: str, name: str) -> list[str]:
    return next(line.split() for line in table.splitlines() if line.startswith(name + " "))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """ok, mismatch, hang, crash and a skipped pyperformance benchmark."""
    directory = tmp_path_factory.mktemp("suite")
    paths = {name: write_bench(directory, name, body)
             for name, body in (("ok", OK), ("mismatch", MISMATCH), ("hangs", HANGS),
                                ("crashes", CRASHES))}
    out = directory / "suite.json"
    status, table, err = run_cli("suite", *paths.values(), "dulwich_log", "--mode",
                                 "jitlist:__main__:*", "--jobs", "2", "--timeout", "20",
                                 "--leak-iterations", "1", "--json", str(out))
    return status, table, err, json.loads(out.read_text()), paths


def test_suite_rows_say_what_happened(mixed):
    status, table, _, _, paths = mixed
    assert status == 1                          # a mismatch and a crash fail the suite
    assert row_of(table, paths["ok"])[1:3] == ["ok", "1/1"]
    assert row_of(table, paths["mismatch"])[1] == "MISMATCH"
    assert row_of(table, paths["hangs"])[1] == "timeout"
    assert row_of(table, paths["crashes"])[1] == "crashed"
    assert f"{paths['crashes']}: crashed: killed by SIGABRT: Fatal Python error: Aborted " \
           f'(File "{paths["crashes"]}", line 6 in work)' in table
    assert "iteration 1 returned 2, the interpreter 1" in table
    # the packages it needs that are missing here (dulwich, and on a bare
    # venv certifi and urllib3 too)
    line = next(ln for ln in table.splitlines() if "dulwich_log: needs " in ln)
    assert "dulwich" in line.split("needs ", 1)[1] and line.endswith("(not installed)")
    assert "4 run (" in table and "1 skipped" in table


def test_suite_progress_names_what_is_still_running(mixed):
    _, _, err, _, paths = mixed
    lines = [ln for ln in err.splitlines() if "] " in ln]
    assert len(lines) == 4 and all("running: " in ln for ln in lines)
    assert lines[-1].endswith("running: nothing")
    assert any(f"{paths['hangs']}: timeout in" in ln for ln in lines)


def test_suite_json_has_every_row_and_result(mixed):
    _, _, _, data, paths = mixed
    rows = {row["name"]: row for row in data["rows"]}
    assert data["mode"] == "jitlist:__main__:*" and data["jobs"] == 2
    assert rows[paths["ok"]]["result"]["matches"] is True
    assert rows[paths["ok"]]["result"]["leak"]["ok"] is True
    assert rows["dulwich_log"]["status"] == "skipped"
    assert rows[paths["hangs"]]["result"] is None


def test_suite_nbody_small_with_counts_and_share():
    status, table, err = run_cli("suite", "nbody", "--counts", "--share", "--jobs", "1")
    assert status == 0, table + err
    header, row = table.splitlines()[0].split(), row_of(table, "nbody")
    assert header[-3:] == ["calls", "share", "seconds"]        # "helper calls"
    assert row[1] == "ok" and row[4] == "match" and row[6] == "ok"
    assert row[7].endswith("x") and int(row[8]) > 0 and row[10].endswith("%")


def test_skip_reasons_come_from_pyperformance_data():
    from pyjit.bench import manifest
    assert suite.skip_reason(manifest.find("python_startup")).startswith("times a command")
    assert suite.skip_reason(manifest.find("richards")) is None
    if manifest.missing_requirements(manifest.find("django_template")):
        assert "django" in suite.skip_reason(manifest.find("django_template"))
    assert suite.bench_args_for(manifest.find("nbody"), small=True)[0] == "--iterations"
    assert suite.bench_args_for(manifest.find("nbody"), small=False) == []


@pytest.mark.parametrize("argv, message", [
    ([], "name the benchmarks to run, or give --all"),
    (["--all", "richards"], "not both"),
    (["richards", "--mode", "fast"], "bad mode 'fast'"),
    (["nosuch"], "no pyperformance benchmark named 'nosuch'"),
    (["richards", "--jobs", "0"], "argument --jobs/-j: 0 is out of range"),
    (["richards", "--timeout", "-1"], "is not a number of seconds above 0"),
])
def test_suite_bad_arguments_exit_2(argv, message):
    out = subprocess.run([sys.executable, "-m", "pyjit.cli", "suite", *argv],
                         capture_output=True, text=True, env=child_env(), timeout=120)
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert out.stdout == "" and out.stderr.strip().splitlines()[-1].startswith("pyjit suite: error")


def test_tasks_of_one_group_never_overlap(tmp_path):
    from pyjit.bench.children import Task, run_parallel
    log = tmp_path / "log"
    script = ("import sys, time\n"
              "open(sys.argv[1], 'a').write(f'start {sys.argv[2]}\\n')\n"
              "time.sleep(0.5)\n"
              "open(sys.argv[1], 'a').write(f'end {sys.argv[2]}\\n')\n"
              "open(sys.argv[-1], 'w').write('{}')\n")
    tasks = [Task(name, [sys.executable, "-c", script, str(log), name], group=group)
             for name, group in (("a1", "a"), ("a2", "a"), ("b", ""))]
    done = {d.key: d.status for d in run_parallel(tasks, jobs=3, timeout=30)}
    assert done == {"a1": "done", "a2": "done", "b": "done"}
    events = log.read_text().split("\n")
    assert events.index("end a1") < events.index("start a2")     # a2 waited for a1
    assert events.index("start b") < events.index("end a1")      # b did not
