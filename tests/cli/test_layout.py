"""Where the command lives: pyjit/cli/, one module per subcommand, above
everything else.  No module outside pyjit/cli/ imports it, and `pyjit --help`
imports none of the heavy parts (subcommands import them inside `run`)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from pyjit.cli import SUBCOMMANDS

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "pyjit"


def imported_modules(path: Path) -> set[str]:
    """The absolute names of the modules path imports (relative ones resolved)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    package = parts if parts[-1] == "__init__" else parts[:-1]
    package = [p for p in package if p != "__init__"]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_nothing_outside_the_cli_imports_it():
    cli_dir = PACKAGE / "cli"
    offenders = {str(path.relative_to(ROOT)): sorted(n for n in imported_modules(path)
                                                     if n == "pyjit.cli" or
                                                     n.startswith("pyjit.cli."))
                 for path in PACKAGE.rglob("*.py") if cli_dir not in path.parents}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_one_module_per_subcommand():
    for name in SUBCOMMANDS:
        assert (PACKAGE / "cli" / f"{name.replace('-', '_')}.py").is_file(), name


def test_help_imports_nothing_heavy():
    code = ("import sys, pyjit.cli as cli; cli.build_parser(); "
            "print('\\n'.join(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    loaded = set(proc.stdout.split())
    heavy = {"unicorn", "capstone", "pyjit.jit", "pyjit.compiler", "pyjit.hir",
             "pyjit.lir", "pyjit.aarch64", "pyjit.runtime", "pyjit.bench"}
    assert loaded & heavy == set()
