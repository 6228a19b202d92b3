"""The installed pyperformance's list of benchmarks, read from its data files.

    spec = find("pickle_pure_python")
    spec.runscript       # .../bm_pickle/run_benchmark.py
    spec.extra_opts      # ("--pure-python", "pickle"): the file's own options
    missing_requirements(spec)     # ["dulwich"] for what is not installed

pyperformance names a benchmark in its MANIFEST (`data-files/benchmarks/
MANIFEST`, section `[benchmarks]`: a name and `<local>` or `<local:DIR>`)
and describes it in a TOML file: `bm_NAME/pyproject.toml` for `<local>`,
`bm_DIR/bm_NAME.toml` for `<local:DIR>` (one directory, several
benchmarks: `pickle_pure_python` is bm_pickle's run_benchmark.py with the
options `--pure-python pickle`).  The TOML gives `requires-python`, the
`dependencies` and `[tool.pyperformance]` `extra_opts` and `tags`; the
directory's `requirements.txt` lists the packages pyperformance would
install in its virtual environment.  pyperformance's own reader is a
private module, so this one reads the same files with `tomllib`.

A `bm_*` directory with a run_benchmark.py that the MANIFEST does not name
(barnes_hut, bpe_tokeniser, decimal_pi... in 1.14; pyperformance's
default run skips them) is a benchmark too, with `in_manifest` False.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import re
import sys
from dataclasses import dataclass

try:
    import tomllib
except ImportError:       # 3.10 and older: no TOML reader; the defaults stand
    tomllib = None


@dataclass(frozen=True)
class BenchmarkSpec:
    """One pyperformance benchmark as its data files describe it."""

    name: str                       # e.g. "pickle_pure_python"
    directory: str                  # e.g. .../bm_pickle
    extra_opts: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()      # requirements.txt lines, e.g. "dulwich==0.20.23"
    requires_python: str = ""               # e.g. ">=3.8"
    tags: tuple[str, ...] = ()
    in_manifest: bool = True
    script: str = ""                        # the file, when not run_benchmark.py

    @property
    def runscript(self) -> str:
        return self.script or os.path.join(self.directory, "run_benchmark.py")

    @property
    def module_name(self) -> str:
        return os.path.basename(self.directory)


def benchmarks_root() -> str | None:
    """The installed pyperformance's benchmark directory (None: not installed)."""
    try:
        import pyperformance
    except ImportError:
        return None
    return os.path.join(os.path.dirname(pyperformance.__file__), "data-files", "benchmarks")


def _manifest_entries(root: str) -> list[tuple[str, str]]:
    """(name, metafile) rows of the MANIFEST's [benchmarks] section."""
    try:
        with open(os.path.join(root, "MANIFEST"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    rows, section = [], None
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section != "benchmarks":
            continue
        parts = line.split()
        if parts[:2] == ["name", "metafile"] or len(parts) != 2:
            continue
        rows.append((parts[0], parts[1]))
    return rows


def _read_toml(path: str) -> dict:
    if tomllib is None:
        return {}
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, ValueError):
        return {}


def _requirements(directory: str) -> tuple[str, ...]:
    try:
        with open(os.path.join(directory, "requirements.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return ()
    return tuple(ln.split("#", 1)[0].strip() for ln in lines
                 if ln.split("#", 1)[0].strip())


def _spec(root: str, name: str, directory: str, metafile: str,
          in_manifest: bool) -> BenchmarkSpec:
    data = _read_toml(metafile)
    project = data.get("project", {})
    tool = data.get("tool", {}).get("pyperformance", {})
    return BenchmarkSpec(
        name=name, directory=directory,
        extra_opts=tuple(str(o) for o in tool.get("extra_opts", ())),
        requirements=_requirements(directory),
        requires_python=str(project.get("requires-python", "")),
        tags=tuple(str(tool.get("tags", "")).split()),
        in_manifest=in_manifest)


@functools.lru_cache(maxsize=None)
def all_benchmarks() -> tuple[BenchmarkSpec, ...]:
    """Every benchmark of the installed pyperformance, the MANIFEST's in
    its order, then the unlisted directories sorted by name."""
    root = benchmarks_root()
    if root is None or not os.path.isdir(root):
        return ()
    specs: list[BenchmarkSpec] = []
    listed_dirs = set()
    for name, metafile in _manifest_entries(root):
        if metafile == "<local>":
            directory = os.path.join(root, f"bm_{name}")
            meta = os.path.join(directory, "pyproject.toml")
        elif metafile.startswith("<local:") and metafile.endswith(">"):
            directory = os.path.join(root, f"bm_{metafile[7:-1]}")
            meta = os.path.join(directory, f"bm_{name}.toml")
        else:
            continue        # a benchmark from elsewhere: not installed with pyperformance
        if not os.path.isfile(os.path.join(directory, "run_benchmark.py")):
            continue
        listed_dirs.add(directory)
        specs.append(_spec(root, name, directory, meta, True))
    for entry in sorted(os.listdir(root)):
        directory = os.path.join(root, entry)
        if (entry.startswith("bm_") and directory not in listed_dirs
                and os.path.isfile(os.path.join(directory, "run_benchmark.py"))):
            specs.append(_spec(root, entry[3:], directory,
                               os.path.join(directory, "pyproject.toml"), False))
    return tuple(specs)


def find(name: str) -> BenchmarkSpec | None:
    """The benchmark called name (`bm_` prefix allowed), or None."""
    short = name[3:] if name.startswith("bm_") else name
    return next((s for s in all_benchmarks() if s.name == short), None)


def names() -> list[str]:
    return [s.name for s in all_benchmarks()]


_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(line: str) -> str:
    """The distribution a requirements.txt line names ("dask[distributed]==1" -> "dask")."""
    match = _REQUIREMENT_NAME.match(line)
    return match.group(1) if match else line.strip()


def missing_requirements(spec: BenchmarkSpec) -> list[str]:
    """The distributions spec's requirements.txt names that are not installed
    (any installed version counts: a pin that differs is not a reason to skip)."""
    missing = []
    for line in spec.requirements:
        dist = requirement_name(line)
        try:
            importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            missing.append(dist)
    return missing


def installed_versions(spec: BenchmarkSpec) -> dict[str, str]:
    """requirement line -> installed version, for the requirements that are installed."""
    found = {}
    for line in spec.requirements:
        try:
            found[line] = importlib.metadata.version(requirement_name(line))
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def python_supported(spec: BenchmarkSpec, version: tuple[int, ...] = sys.version_info[:2]) -> bool:
    """Whether requires-python (comma-separated `>=X.Y`, `<X.Y` and the like)
    admits version; an unreadable clause admits it."""
    ops = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b,
           "<": lambda a, b: a < b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}
    for clause in filter(None, (c.strip() for c in spec.requires_python.split(","))):
        match = re.fullmatch(r"(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)", clause)
        if match is None:
            continue
        wanted = tuple(int(x) for x in match.group(2).split("."))
        if not ops[match.group(1)](tuple(version[:len(wanted)]), wanted):
            return False
    return True
