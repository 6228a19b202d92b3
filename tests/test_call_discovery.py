"""Strategy discovery: a module dropped into pyjit/aarch64/calls/ is found.

Each test works on a copy of the pyjit package in a temporary directory,
with strategy modules added to the copy's calls/ package, and imports it in
a subprocess: the registry of this process (and the source tree) stay as
they are.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pyjit

TESTS = Path(__file__).parent
BUILTIN = ["direct", "literal", "stub", "lazy-stub", "hot-literal", "near"]

# Registers "zz-late" (default order); imported first, listed last.
LATE = '''
from .base import BuildingBlock, CallLowering, register


@register
class Late(CallLowering):
    name = "zz-late"

    def choose(self, site):
        return BuildingBlock.LITERAL if site.hot else BuildingBlock.ABSOLUTE
'''

# Registers "early" between stub (30) and lazy-stub (40); imported last.
EARLY = '''
from .base import BuildingBlock, CallLowering, register


@register
class Early(CallLowering):
    name = "early"
    order = 35

    def choose(self, site):
        return BuildingBlock.STUB if site.hot else BuildingBlock.VENEER
'''


def _copy_with(tmp_path: Path, modules: dict[str, str]) -> Path:
    """A copy of the pyjit package under tmp_path, with `modules` (file name
    -> source) added to its calls/ package; returns the directory to put on
    PYTHONPATH."""
    root = tmp_path / "src"
    shutil.copytree(Path(pyjit.__file__).parent, root / "pyjit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name, source in modules.items():
        (root / "pyjit" / "aarch64" / "calls" / name).write_text(textwrap.dedent(source))
    return root


def _run(root: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd or root,
                          capture_output=True, text=True, timeout=300)


def _names(root: Path) -> subprocess.CompletedProcess:
    return _run(root, "-c", "import json, pyjit.aarch64.calls as c; "
                            "print(json.dumps([c.__file__, c.strategy_names()]))")


def test_dropped_modules_are_registered_in_order(tmp_path):
    root = _copy_with(tmp_path, {"aaa_late.py": LATE, "zzz_early.py": EARLY,
                                 "_helper.py": "VALUE = 1\n"})
    done = _names(root)
    assert done.returncode == 0, done.stderr
    path, names = json.loads(done.stdout)
    assert Path(path).is_relative_to(root)
    assert names == ["direct", "literal", "stub", "early", "lazy-stub", "hot-literal", "near",
                     "zz-late"]


def test_a_module_registering_nothing_is_refused(tmp_path):
    root = _copy_with(tmp_path, {"forgotten.py": "from .base import CallLowering\n"})
    done = _names(root)
    assert done.returncode != 0
    assert "pyjit.aarch64.calls.forgotten registers no call lowering strategy" in done.stderr


def test_a_dropped_strategy_joins_the_parametrized_tests(tmp_path):
    # The call lowering tests, run against the copy: the new strategy's
    # sizes and execution are checked, and its missing golden listing fails.
    root = _copy_with(tmp_path, {"zzz_early.py": EARLY})
    done = _run(root, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
                "-rf", str(TESTS / "test_call_lowering.py"), "-k", "early", cwd=TESTS)
    summary = done.stdout
    failed = [line for line in summary.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1, summary
    assert "test_golden_listing[early]" in failed[0]
    assert re.search(r"golden file \S+/calls/early\.txt is missing; run pytest --update-golden",
                     summary), summary
    # 10 sequences x far/in-reach, and the run under Unicorn.
    assert re.search(r"\b21 passed\b", summary), summary


def test_the_unchanged_copy_lists_exactly_the_builtins(tmp_path):
    done = _names(_copy_with(tmp_path, {}))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[1] == BUILTIN
