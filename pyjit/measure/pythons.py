"""Comparisons across CPython versions: `pyjit compare --python 3.11,3.14`.

    interpreters = [find_python(spec) for spec in ("3.11", "3.14")]
    comparison = compare_versions(interpreters, ["sqrt:200"], ["lazy-stub"], counts=False)
    print(format_table(comparison))          # columns "3.11 lazy-stub", "3.14 lazy-stub"

Each version's interpreter runs `python -m pyjit.cli compare ... --json` in a
subprocess with this pyjit first on its path (compiling needs nothing but
pyjit; running a benchmark with counts also needs Unicorn and pyperformance
in that interpreter).  The children's JSON is merged into one Comparison
whose columns are (version, strategy) pairs, deltas against the first
version's baseline strategy, so that one table shows what a version costs.

An interpreter is named by a path or by a version, found, in order: the
running interpreter; `pythonX.Y` on PATH; pyenv's newest X.Y.N; a Debian
build that scripts/python.sh prepared (PYJIT_PYTHON_CACHE, default
~/.cache/pyjit/python).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .compare import Cell, Comparison, Row, Sample, Target, check_baseline

_VERSION = re.compile(r"^3\.\d{1,2}$")
PYJIT_ROOT = Path(__file__).resolve().parents[2]      # the directory holding pyjit/

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str          # "3.14"


def find_python(spec: str, env: dict[str, str] | None = None) -> Interpreter:
    """The interpreter spec names (a version "3.14" or a path); ValueError
    with one sentence when there is none."""
    env = dict(os.environ) if env is None else env
    if not _VERSION.match(spec):
        if not (os.path.isfile(spec) and os.access(spec, os.X_OK)):
            raise ValueError(f"--python {spec!r} is neither a version (3.12) nor an "
                             "executable interpreter")
        return _checked(Interpreter(spec, _version_of(spec, spec)))
    for candidate in _candidates(spec, env):
        if _version_of(candidate, None) == spec:
            return _checked(Interpreter(candidate, spec))
    from ..environment import python_cache
    raise ValueError(f"no CPython {spec} found (looked for python{spec} on PATH, in pyenv and "
                     f"in {python_cache(env)}): prepare it with `scripts/python.sh {spec} "
                     "--prepare` from a pyjit checkout, or give the interpreter's path")


def _checked(interpreter: Interpreter) -> Interpreter:
    if tuple(map(int, interpreter.version.split("."))) < (3, 11):
        raise ValueError(f"{interpreter.path} is CPython {interpreter.version}, and pyjit runs "
                         "on CPython 3.11 and newer")
    return interpreter


def _candidates(version: str, env: dict[str, str]):
    from ..environment import python_cache
    if "%d.%d" % sys.version_info[:2] == version:
        yield sys.executable
    for directory in env.get("PATH", "").split(os.pathsep):
        path = os.path.join(directory, f"python{version}")
        if directory and os.access(path, os.X_OK):
            yield path
    pyenv = Path(env.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    releases = [d for d in pyenv.glob(f"{version}.*") if re.fullmatch(r"3\.\d+\.\d+", d.name)]
    for release in sorted(releases, key=lambda d: int(d.name.split(".")[2]), reverse=True):
        yield str(release / "bin" / "python")
    for root in sorted(Path(python_cache(env)).glob(f"{version}-*")):
        yield str(root / "usr" / "bin" / f"python{version}")


def _version_of(path: str, spec: str | None) -> str | None:
    """"X.Y" of the interpreter at path; None (or ValueError naming spec,
    when given) when it does not run."""
    try:
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        out = None
    if out is None or out.returncode != 0:
        if spec is None:
            return None
        raise ValueError(f"--python {spec!r} does not run as a Python interpreter")
    return out.stdout.strip()


def compare_versions(interpreters: list[Interpreter], targets: list[str], strategies: list[str],
                     *, counts: bool = True, baseline: str | None = None, samples: bool = False,
                     progress: Progress = lambda message: None) -> Comparison:
    """Every target under every strategy on every interpreter, one column
    per (version, strategy); raises ValueError when a child refuses its
    arguments (a target its version cannot resolve, an unsupported
    version) or fails outright."""
    baseline = check_baseline(strategies, baseline)
    names = column_names(interpreters)
    results = []
    for index, (interpreter, name) in enumerate(zip(interpreters, names), 1):
        progress(f"CPython {interpreter.version} ({index}/{len(interpreters)}): "
                 f"{interpreter.path}")
        results.append((name, _run_child(interpreter, targets, strategies, counts, samples,
                                         progress)))
    return merge(results, strategies, baseline, counts)


def column_names(interpreters: list[Interpreter]) -> list[str]:
    """Each interpreter's name in the columns: its version, numbered
    (3.13#1, 3.13#2) when two interpreters have the same."""
    versions = [i.version for i in interpreters]
    seen: dict[str, int] = {}
    names = []
    for version in versions:
        seen[version] = seen.get(version, 0) + 1
        names.append(version if versions.count(version) == 1 else f"{version}#{seen[version]}")
    return names


def _run_child(interpreter: Interpreter, targets: list[str], strategies: list[str],
               counts: bool, samples: bool, progress: Progress) -> dict:
    argv = [interpreter.path, "-m", "pyjit.cli", "compare", "--targets", ",".join(targets),
            "--strategies", ",".join(strategies), "--json"]
    argv += [] if counts else ["--no-counts"]
    argv += ["--with-samples"] if samples else []
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(PYJIT_ROOT)] + [p for p in env.get(
        "PYTHONPATH", "").split(os.pathsep) if p])
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
    stdout: list[str] = []
    reader = threading.Thread(target=lambda: stdout.append(child.stdout.read()), daemon=True)
    reader.start()
    last = ""
    for line in child.stderr:
        line = line.rstrip("\n").removeprefix("pyjit compare: ")
        if line:
            last = line
            if not line.startswith("error: "):      # the child's refusal: said once, below
                progress(f"[{interpreter.version}] {line}")
    child.wait()
    reader.join()
    try:
        return json.loads("".join(stdout))
    except ValueError:
        raise ValueError(f"CPython {interpreter.version} ({interpreter.path}) exited with "
                         f"status {child.returncode}: {last.removeprefix('error: ') or 'no message'}"
                         ) from None


def label(version: str, strategy: str) -> str:
    """The column of strategy under the interpreter named version."""
    return f"{version} {strategy}"


def merge(results: list[tuple[str, dict]], strategies: list[str], baseline: str,
          counts: bool) -> Comparison:
    """One Comparison from the children's JSON (by column name): rows by
    target, columns by (version, strategy)."""
    columns = [label(name, s) for name, _ in results for s in strategies]
    rows: dict[str, Row] = {}
    found_samples = []
    for version, data in results:
        for entry in data["targets"]:
            row = rows.setdefault(entry["target"],
                                  Row(Target(entry["target"], entry["kind"]), {}))
            for strategy, cell in entry["cells"].items():
                name = label(version, strategy)
                row.cells[name] = cell_from_dict(cell, name)
        found_samples += [Sample(s["shape"], s["n"], label(version, s["strategy"]),
                                 s["total"]) for s in data.get("samples", ())]
    for row in rows.values():
        for name in columns:
            row.cells.setdefault(name, Cell(name, errors=["not compared on this version"]))
    return Comparison(columns, label(results[0][0], baseline), counts,
                      list(rows.values()), found_samples)


def cell_from_dict(data: dict, strategy: str) -> Cell:
    """The Cell a child's `Cell.to_dict()` describes, under a new column name."""
    return Cell(strategy, sizes=data["sizes"], candidates=data["candidates"],
                functions=data["functions"], refused=data["refused"], errors=data["errors"],
                instructions=data["instructions"], helper_calls=data["helper_calls"],
                matches=data["matches"], seconds=data["seconds"])
