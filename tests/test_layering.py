"""The layering of pyjit's packages, read from the source (docs/architecture.md
draws it):

    cli -> jit, bench, measure, compiler -> runtime -> aarch64 -> lir -> hir
                                                        (all of them) -> cpython, options

- every import (at module level or inside a function) goes down or sideways
  within its layer, never up; in particular hir, lir and aarch64 never
  import runtime, and cpython imports none of the pipeline;
- no file-level import cycle: a module never reaches itself through imports;
- compiling needs neither Unicorn nor capstone: importing pyjit.compiler
  loads neither, and `pyjit size` and `pyjit dump --hir --lir` work with
  both absent.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "pyjit"

# The layers, bottom first: a module may import its own layer or a lower one.
LAYERS = {"pyjit.cpython": 0, "pyjit.options": 0, "pyjit.hir": 1, "pyjit.lir": 2,
          "pyjit.aarch64": 3, "pyjit.runtime": 4}
TOP = 5                     # everything else: compiler, install, jit, bench, measure, cli...


def _module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imports_of(name: str) -> set[str]:
    """The pyjit modules `name` imports anywhere in its file: `from X import
    y` counts as X.y when that is a module, else as X."""
    package = name if _is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text(), str(MODULES[name]))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES
                       else module for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def layer(name: str) -> int:
    for prefix, rank in LAYERS.items():
        if name == prefix or name.startswith(prefix + "."):
            return rank
    return TOP


def test_the_graph_sees_the_imports():
    # The reader resolves relative imports and late imports alike.
    assert "pyjit.cpython.semantics" in GRAPH["pyjit.hir.interp_ops"]
    assert "pyjit.lir.lowering" in GRAPH["pyjit.lir.lower_ops"]
    assert "pyjit.hir.stats" in GRAPH["pyjit.jit"]                  # inside a function


def test_imports_never_go_up_a_layer():
    upward = sorted(f"{name} imports {target}" for name, targets in GRAPH.items()
                    for target in targets if layer(target) > layer(name))
    assert upward == []


def test_hir_lir_aarch64_never_import_the_runtime():
    offenders = sorted(f"{name} imports {target}" for name, targets in GRAPH.items()
                       if layer(name) in (1, 2, 3)
                       for target in targets if layer(target) == LAYERS["pyjit.runtime"])
    assert offenders == []


def test_no_import_cycle():
    # Depth-first search; a back edge closes a cycle, reported as its path.
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(GRAPH[name]):
            if state.get(target) == 1:
                cycles.append(" -> ".join(stack[stack.index(target):] + [target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    assert cycles == []


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


def test_compiling_loads_neither_unicorn_nor_capstone():
    proc = _run("import sys, pyjit.compiler, pyjit.measure.sizes; "
                "assert 'unicorn' not in sys.modules and 'capstone' not in sys.modules, "
                "sorted(m for m in sys.modules if m.startswith(('unicorn', 'capstone')))")
    assert proc.returncode == 0, proc.stderr


# Unicorn and capstone made unimportable (a None entry in sys.modules makes
# `import unicorn` raise ImportError), then the command run in-process.
_ABSENT = ("import sys; sys.modules['unicorn'] = None; sys.modules['capstone'] = None; "
           "from pyjit.cli import main; sys.exit(main({argv!r}))")


@pytest.mark.parametrize("argv, expect", [
    (["size", "sqrt:10", "--strategy", "all"], "sqrt_10"),
    (["dump", "sqrt:2", "--hir", "--lir"], "Return"),
])
def test_commands_that_only_compile_work_without_unicorn_and_capstone(argv, expect):
    proc = _run(_ABSENT.format(argv=argv))
    assert proc.returncode == 0, proc.stderr
    assert expect in proc.stdout
