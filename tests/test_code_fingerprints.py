"""scripts/code_fingerprints.py: a fingerprint names the emitted code, not
the process that emitted it (addresses of constants differ from run to
run), and tells different code apart."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from pyjit import compiler
from pyjit.environment import compile_options
from pyjit.measure.sizes import engine_placement
from pyjit.shapes import make_shape

SCRIPT = Path(__file__).parents[1] / "scripts" / "code_fingerprints.py"


def _script():
    spec = importlib.util.spec_from_file_location("code_fingerprints", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fingerprint(fp, strategy: str) -> str:
    options = compile_options().with_(strategy=strategy)
    return fp.outcome(make_shape("sqrtpow:8"), options, engine_placement())


PRINT = ("import importlib.util, sys\n"
         "spec = importlib.util.spec_from_file_location('fp', sys.argv[1])\n"
         "fp = importlib.util.module_from_spec(spec); spec.loader.exec_module(fp)\n"
         "from pyjit.environment import compile_options\n"
         "from pyjit.measure.sizes import engine_placement\n"
         "from pyjit.shapes import make_shape\n"
         "print(fp.outcome(make_shape('sqrtpow:8'), "
         "compile_options().with_(strategy='literal'), engine_placement()))\n")


def test_the_same_code_has_the_same_fingerprint_in_another_process():
    fp = _script()
    here = _fingerprint(fp, "literal")
    assert len(here) == 16 and int(here, 16) >= 0          # a fingerprint, not a refusal
    assert _fingerprint(fp, "literal") == here
    root = str(Path(__file__).parents[1])
    there = subprocess.run([sys.executable, "-c", PRINT, str(SCRIPT)], capture_output=True,
                           text=True, timeout=120, cwd=root,
                           env={**os.environ, "PYTHONPATH": root})
    assert there.returncode == 0, there.stderr
    assert there.stdout.split()[-1] == here


def test_different_code_has_a_different_fingerprint():
    fp = _script()
    compiled = {s: compiler.compile_function(make_shape("sqrtpow:8"),
                                             options=compile_options().with_(strategy=s),
                                             placement=engine_placement())
                for s in ("literal", "direct")}
    assert compiled["literal"].code.data != compiled["direct"].code.data
    assert fp.fingerprint(compiled["literal"]) != fp.fingerprint(compiled["direct"])


def test_compare_reports_the_lines_that_differ(tmp_path, monkeypatch):
    fp = _script()
    monkeypatch.setattr(fp, "fingerprints", lambda: ["a x outline None 1", "b x outline None 2"])
    before = tmp_path / "before.txt"
    before.write_text("a x outline None 1\nb x outline None 3\n")
    assert fp.main([str(tmp_path / "now.txt"), "--compare", str(before)]) == 1
    before.write_text("a x outline None 1\nb x outline None 2\n")
    assert fp.main([str(tmp_path / "now.txt"), "--compare", str(before)]) == 0
