"""The tool benchmarks compile_throughput.py and richards_emulated.py, run in
their --quick configuration (a few seconds each) so that they cannot rot:
each must exit 0 and print its tables.  The numbers themselves are not
checked; the benchmarks measure, the suite does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def _run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_compile_throughput_quick():
    out = _run("compile_throughput.py", "--quick")
    assert "compile throughput, 1 pyperformance benchmark module;" in out
    row = next(line for line in out.splitlines() if line.startswith("nbody "))
    functions, bytecode, machine = row.split()[1:4]
    assert int(functions) > 0 and int(bytecode) > 0 and int(machine) > 0   # all compiled
    for header in ("throughput", "stages"):
        assert any(line.startswith(header) for line in out.splitlines()), header
    assert "refused" not in out


def test_richards_emulated_quick():
    out = _run("richards_emulated.py", "--quick")
    assert "every result equal to the interpreter's (True, 9297, 23246)" in out
    assert "NOT compiled" not in out
    assert "jit / interpreter:" in out
    assert "goal jit / interpreter <= 30x:" in out
    assert "traps (helper calls) per iteration" in out


def test_emulation_speed_one_small_benchmark():
    out = _run("emulation_speed.py", "nbody", "--rounds", "1", "--loops", "2")
    row = next(line for line in out.splitlines() if line.startswith("nbody "))
    cols = row.split()
    assert cols[3].endswith("x") and float(cols[3][:-1]) > 1      # jit/interp
    assert int(cols[4].replace(",", "")) > 100_000                 # bytecodes of one call
    assert all(float(c) > 0 for c in cols[5:9])                    # counts per bytecode
    assert "geometric mean of jit/interp:" in out
