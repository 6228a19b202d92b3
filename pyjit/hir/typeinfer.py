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
    results: list[Value] = [i.result for i in order]  # type: ignore[misc]
    readers = _readers(order, results)
    for result in results:
        result.type = Bottom

    def evaluate(pos: int) -> bool:
        """Give the instruction at pos the type its operands make; True if
        that changed it.  An instruction other than a phi waits until all
        its operands are known.  (Called for every evaluation: a closure
        reading bits directly, not Type.is_bottom and Type.__eq__, with
        Instr.safe_infer_type inline.)"""
        instr = order[pos]
        operands = instr.operands
        if not instr.is_phi:
            for v in operands:
                if not v.type.bits:      # Bottom: not known yet
                    return False
        if len(operands) < len(instr.operand_types):
            new = instr.result_type
        else:
            new = instr.infer_type()
        result = results[pos]
        if new.bits == result.type.bits:
            return False
        result.type = new
        return True

    sweep_to_fixpoint(len(order), evaluate, readers.__getitem__)


def _readers(order: list[Instr], results: list[Value]) -> list[list[int]]:
    """For each position in order, the positions of the instructions
    reading its result (once per operand slot)."""
    position = {result: pos for pos, result in enumerate(results)}
    readers: list[list[int]] = [[] for _ in results]
    for pos, instr in enumerate(order):
        for v in instr.operands:
            defined_at = position.get(v)
            if defined_at is not None:
                readers[defined_at].append(pos)
    return readers

