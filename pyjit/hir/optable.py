"""The declarations of every HIR op as a table, for readers of the IR and
writers of the code generator (``format_op_table()``; golden-tested)."""

from __future__ import annotations

from .ir import OPS, STEALS_ALL, STEALS_REST, Instr, Ownership
from .types import OptObject

_RESULT = {Ownership.NEW: "new", Ownership.BORROWED: "borrowed",
           Ownership.BORROWED_VOLATILE: "borrowed-volatile",
           Ownership.BORROWED_FROM: "borrowed-from-operand", Ownership.NONE: "-"}


def op_row(cls: type[Instr]) -> dict[str, str]:
    if not cls.has_result:
        result = "-"
    elif cls.ownership_kind is Ownership.NONE or not cls.result_type.is_refcounted:
        result = f"{cls.result_type} (not an object)"
    else:
        result = _RESULT[cls.ownership_kind]
        if not cls.result_type <= OptObject:
            result += " (when an object)"
    steals = (cls.steals if cls.steals in (STEALS_ALL, STEALS_REST)
              else ",".join(map(str, cls.steals)) or "-")
    return {
        "op": cls.__name__,
        "result": result,
        "may_raise": "yes" if cls.may_raise else "-",
        "may_call": "yes" if cls.may_call else "-",
        "steals": steals,
        "kind": "terminator" if cls.is_terminator else ("effect" if cls.has_effects else ""),
    }


def format_op_table() -> str:
    rows = [op_row(cls) for _, cls in sorted(OPS.items())]
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines += ["  ".join(r[c].ljust(widths[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines) + "\n"
