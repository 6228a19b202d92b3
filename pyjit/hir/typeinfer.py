"""Type inference: recompute every result type from the operand types.

An optimistic fixpoint: results start at Bottom, phis join their inputs,
and an instruction whose operands are not known yet stays Bottom until
they are.  Every transfer function is monotone, so this terminates; the
types only describe values the function can actually produce.

The iteration is the classic one, sweep after sweep over the instructions
in reverse postorder until a sweep changes nothing, except that a sweep
only evaluates the instructions with an operand that changed since they
were last evaluated: the others would give the type they already have.
So the evaluations that can change a type happen in the same order, with
the same operand types, as in full sweeps, and the result is the same.
"""

from __future__ import annotations

from heapq import heappop, heappush

from .cfg import reverse_postorder
from .ir import Function, Instr, Value
from .types import Bottom


def infer_types(func: Function) -> None:
    """Recompute the type of every result in the reachable blocks."""
    order = [i for b in reverse_postorder(func) for i in b.instrs if i.result is not None]
    readers = _readers(order)
    for instr in order:
        instr.result.type = Bottom  # type: ignore[union-attr]
    # The first sweep evaluates everything; later ones only what is pending.
    pending: list[int] = list(range(len(order)))
    while pending:
        sweep, pending = pending, []
        scheduled = set(sweep)            # positions still due in this sweep
        next_sweep: set[int] = set()
        while sweep:
            pos = heappop(sweep)
            scheduled.discard(pos)
            instr = order[pos]
            if not _evaluate(instr):
                continue
            for reader in readers.get(instr.result, ()):  # type: ignore[arg-type]
                if reader > pos:          # still ahead in this sweep
                    if reader not in scheduled:
                        scheduled.add(reader)
                        heappush(sweep, reader)
                else:                     # behind (or itself): the next sweep
                    next_sweep.add(reader)
        pending = sorted(next_sweep)


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
