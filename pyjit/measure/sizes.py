"""Compiling a function for its size, without loading or installing it.

    placement = engine_placement()
    for strategy in check_strategy("all"):
        outcome = compile_one("mod:f", f, strategy, placement)
        if outcome.compiled is not None:
            print(outcome.strategy, sizes_of(outcome.compiled))

The pipeline is the one `pyjit.jit.force_compile` runs (same placement, same
strategy default), so the bytes are those the JIT would install.  Shared by
`pyjit size` and `pyjit dump` (pyjit/cli/), `measure/compare.py` and
`measure/report.py`.  Heavy modules are imported on first use, so the CLI
can import this one while `pyjit --help` stays fast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

SECTIONS = ("code", "literals", "stubs", "veneers", "padding")


@dataclass
class Outcome:
    """One function compiled with one strategy: `compiled` (a
    CompiledFunction), or the refusal reason, or the error of a JIT bug."""

    name: str
    strategy: str
    compiled: Any = None
    refused: str | None = None
    error: str | None = None


def check_strategy(name: str | None) -> list[str | None]:
    """The strategies a --strategy value stands for: [None] (the default,
    $PYJIT_STRATEGY first), [name], or every registered one for 'all'.
    Raises ValueError naming the known strategies."""
    from ..aarch64.calls import strategy_names

    known = strategy_names()
    if name == "all":
        return list(known)
    chosen = name or os.environ.get("PYJIT_STRATEGY") or None
    if chosen is not None and chosen not in known:
        origin = "" if name else " (from $PYJIT_STRATEGY)"
        raise ValueError(f"unknown strategy {chosen!r}{origin}; known: {', '.join(known)}, all")
    return [chosen]


def engine_placement():
    """Where the JIT's engine would load code (what force_compile compiles
    for, so that `near` decides the same way)."""
    from .. import jit
    return jit.get_engine().placement()


def compile_one(name: str, func, strategy: str | None, placement) -> Outcome:
    """Compile func without installing it; refusals and JIT bugs become
    the outcome instead of exceptions."""
    from ..aarch64.calls import DEFAULT_STRATEGY
    from ..compiler import compile_function
    from ..hir.errors import CompileRefused

    shown = strategy or DEFAULT_STRATEGY
    try:
        result = compile_function(func, strategy, placement=placement)
    except CompileRefused as exc:
        return Outcome(name, shown, refused=exc.reason)
    except Exception as exc:  # noqa: BLE001 - a JIT bug must not hide the other functions
        return Outcome(name, shown, error=f"{type(exc).__name__}: {exc}")
    return Outcome(name, result.strategy, compiled=result)


def sizes_of(compiled) -> dict[str, int]:
    """{'total': ..., 'code': ..., ...} of a CompiledFunction."""
    sizes = compiled.code.sizes
    return {"total": sizes["total"], **{s: sizes.get(s, 0) for s in SECTIONS}}
