"""`pyjit compare --python`: versions side by side, each in a subprocess.

Every CPython this machine has (the running one always) is compared with
itself and against the in-process comparison: the children's sizes are the
ones `pyjit compare` gives without --python.
"""

from __future__ import annotations

import sys

import pytest

from pyjit.cpython.version import SUPPORTED
from pyjit.measure.pythons import find_python

from test_compare_report import cells, run_cli, run_json

RUNNING = "%d.%d" % sys.version_info[:2]


def available_supported() -> list[str]:
    """The supported versions this machine has an interpreter for."""
    found = []
    for version in ("%d.%d" % v for v in SUPPORTED):
        try:
            find_python(version)
        except ValueError:
            continue
        found.append(version)
    return found


def test_versions_side_by_side_match_in_process_sizes():
    versions = available_supported()
    assert RUNNING in versions
    data = run_json("compare", "--targets", "sqrt:1,sqrt:2", "--strategies", "lazy-stub,direct",
                    "--python", ",".join(versions + [sys.executable]))
    here = run_json("compare", "--targets", "sqrt:1,sqrt:2", "--strategies", "lazy-stub,direct")
    # The running version is there twice (by version and by path): numbered.
    names = [f"{v}#1" if v == RUNNING else v for v in versions] + [f"{RUNNING}#2"]
    columns = [f"{name} {s}" for name in names for s in ("lazy-stub", "direct")]
    assert data["strategies"] == columns and data["ok"]
    assert data["baseline"] == columns[0]
    for target in ("sqrt:1", "sqrt:2"):
        row = cells(data, target)
        for strategy in ("lazy-stub", "direct"):
            for name in (f"{RUNNING}#1", f"{RUNNING}#2"):
                assert row[f"{name} {strategy}"]["sizes"] == cells(here, target)[strategy]["sizes"]
        base = row[data["baseline"]]["sizes"]["total"]
        for column in columns[1:]:
            assert row[column]["delta"]["total"]["change"] == row[column]["sizes"]["total"] - base


def test_versions_table_has_a_column_per_version_and_strategy():
    status, table, err = run_cli("compare", "--targets", "sqrt:1", "--strategies", "lazy-stub",
                                 "--python", f"{RUNNING},{sys.executable}")
    assert status == 0, err
    header = table.splitlines()[1].split()
    assert header == ["target", "metric", f"{RUNNING}#1", "lazy-stub", f"{RUNNING}#2", "lazy-stub"]
    assert f"CPython {RUNNING} (1/2)" in err and f"[{RUNNING}] [1/1] sqrt:1 / lazy-stub" in err


@pytest.mark.parametrize("python, message", [
    ("3.10x", "is neither a version (3.12) nor an executable interpreter"),
    ("3.99", "no CPython 3.99 found"),
    ("/dev/null", "is neither a version"),
])
def test_bad_python_exits_2(python, message):
    status, out, err = run_cli("compare", "--targets", "sqrt:1", "--python", python)
    assert status == 2 and out == ""
    assert err.startswith("pyjit compare: error: ") and message in err


def test_unsupported_version_is_one_sentence(tmp_path):
    # An interpreter that is not a supported version: a shell script
    # standing in for it answers the version query and refuses the rest as
    # pyjit does on a version it has no description of.
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\n"
                    "case \"$2\" in *version_info*) echo 3.99; exit 0;; esac\n"
                    "echo 'pyjit compare: error: pyjit does not support CPython 3.99' >&2\n"
                    "exit 2\n")
    fake.chmod(0o755)
    status, out, err = run_cli("compare", "--targets", "sqrt:1", "--python", str(fake))
    assert status == 2 and out == ""
    lines = [line for line in err.splitlines() if "error" in line]
    assert lines == [f"pyjit compare: error: CPython 3.99 ({fake}) exited with status 2: "
                     "pyjit does not support CPython 3.99"]
