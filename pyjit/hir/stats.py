"""Opcode statistics of an HIR function (CinderX's
``get_function_hir_opcode_counts``)."""

from __future__ import annotations

from collections import Counter

from .ir import Function


def opcode_counts(func: Function) -> dict[str, int]:
    """``{"LoadAttrCached": 3, ...}``: how many instructions of each op the
    function holds, sorted by op name."""
    counts = Counter(instr.opname for instr in func.instructions())
    return dict(sorted(counts.items()))


def format_counts(counts: dict[str, int]) -> str:
    """One ``Name count`` line per op, most frequent first."""
    width = max((len(name) for name in counts), default=0)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "".join(f"{name:<{width}} {n}\n" for name, n in rows)
