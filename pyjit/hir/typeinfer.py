"""Type inference: recompute every result type from the operand types.

An optimistic fixpoint: results start at Bottom, phis join their inputs,
and an instruction whose operands are not known yet stays Bottom until
they are.  Every transfer function is monotone, so this terminates; the
types only describe values the function can actually produce.
"""

from __future__ import annotations

from .cfg import reverse_postorder
from .ir import Function
from .ops_core import Phi
from .types import Bottom


def infer_types(func: Function) -> None:
    """Recompute the type of every result in the reachable blocks."""
    order = [i for b in reverse_postorder(func) for i in b.instrs if i.result is not None]
    for instr in order:
        instr.result.type = Bottom  # type: ignore[union-attr]
    changed = True
    while changed:
        changed = False
        for instr in order:
            if not isinstance(instr, Phi) and any(v.type.is_bottom for v in instr.operands):
                continue
            new = instr.safe_infer_type()
            if new != instr.result.type:  # type: ignore[union-attr]
                instr.result.type = new  # type: ignore[union-attr]
                changed = True
