"""Type inference: recompute every result type from the operand types.

An optimistic fixpoint: results start at Bottom, phis join their inputs,
and an instruction whose operands are not known yet stays Bottom until
they are.  Every transfer function is monotone, so this terminates; the
types only describe values the function can actually produce.

The iteration sweeps over the instructions in reverse postorder until a
sweep changes nothing, evaluating in each sweep only the instructions
with an operand that changed since their last evaluation (fixpoint.py):
the same types as full sweeps, with far fewer evaluations.
"""

from __future__ import annotations

from .cfg import reverse_postorder
from .fixpoint import sweep_to_fixpoint
from .ir import Function, Instr, Value
from .types import Bottom


def infer_types(func: Function) -> None:
    """Recompute the type of every result in the reachable blocks."""
    order = [i for b in reverse_postorder(func) for i in b.instrs if i.result is not None]
    readers = _readers(order)
    for instr in order:
        instr.result.type = Bottom  # type: ignore[union-attr]
    sweep_to_fixpoint(len(order), lambda pos: _evaluate(order[pos]),
                      lambda pos: readers.get(order[pos].result, ()))  # type: ignore[arg-type]


def _readers(order: list[Instr]) -> dict[Value, list[int]]:
    """The positions in order of the instructions reading each value."""
    readers: dict[Value, list[int]] = {}
    for pos, instr in enumerate(order):
        for v in instr.operands:
            readers.setdefault(v, []).append(pos)
    return readers


def _evaluate(instr: Instr) -> bool:
    """Give instr the type its operands make; True if that changed it.
    An instruction other than a phi waits until all its operands are known."""
    if not instr.is_phi:
        for v in instr.operands:
            if v.type.is_bottom:
                return False
    new = instr.safe_infer_type()
    if new == instr.result.type:  # type: ignore[union-attr]
        return False
    instr.result.type = new  # type: ignore[union-attr]
    return True
