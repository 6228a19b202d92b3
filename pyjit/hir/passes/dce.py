"""``dce``: delete unreachable blocks, and instructions (phis included)
whose results are unused and that have no effect (``Instr.removable``:
cannot raise, call or change state).  Liveness starts from the
instructions that must stay and flows backwards through operands, so dead
cycles of phis go too."""

from __future__ import annotations

from ..cfg import remove_unreachable
from ..ir import Function, Instr
from .pipeline import Pass, register_pass


def remove_dead_instructions(func: Function) -> bool:
    live: set[Instr] = set()
    work = [i for i in func.instructions() if not i.removable]
    live.update(work)
    while work:
        for value in work.pop().operands:
            defn = value.defn
            if defn is not None and defn not in live:
                live.add(defn)
                work.append(defn)
    changed = False
    for block in func.blocks:
        kept = [i for i in block.instrs if i in live]
        if len(kept) != len(block.instrs):
            block.instrs = kept
            changed = True
    return changed


@register_pass
class DeadCodeElimination(Pass):
    """Unreachable blocks and unused side-effect-free instructions."""

    name = "dce"
    summary = "unreachable blocks and unused effect-free instructions"

    def run(self, func: Function) -> None:
        remove_unreachable(func)
        remove_dead_instructions(func)
