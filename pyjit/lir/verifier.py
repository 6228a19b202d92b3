"""Checks of LIR well-formedness, and of a register allocation.

`verify(func)` raises `LirError` when:
- a block is empty, has no terminator, or has one before its end;
- a branch goes to a block of another function;
- an operand's class is wrong for its slot (fp arithmetic on gp vregs...);
- a vreg is used on some path from the entry before any definition
  (parameters are defined at entry).

`verify_allocation(func, alloc)` raises when two vregs whose intervals
overlap share a register, or a vreg live across a call sits in a register
the call clobbers.
"""

from __future__ import annotations

from . import ir
from .liveness import block_liveness, build_intervals
from .regalloc import Allocation, SpillSlot


class LirError(Exception):
    pass


_FP_OPERANDS = (ir.FAlu, ir.FUnary, ir.FBranch)


def verify(func: ir.LirFunction) -> None:
    blocks = set(func.blocks)
    if not func.blocks:
        raise LirError(f"{func.name}: no blocks")
    for block in func.blocks:
        if not block.instrs or block.terminator is None:
            raise LirError(f"{func.name}: {block!r} does not end with a terminator")
        for instr in block.instrs[:-1]:
            if instr.is_terminator:
                raise LirError(f"{func.name}: {block!r} has a terminator before its end")
        for succ in block.successors():
            if succ not in blocks:
                raise LirError(f"{func.name}: {block!r} branches to {succ!r} of another function")
        for instr in block.instrs:
            _check_classes(func, block, instr)
    live_in, _ = block_liveness(func)
    undefined = live_in[func.entry] - set(func.params)
    if undefined:
        names = ", ".join(sorted(map(repr, undefined)))
        raise LirError(f"{func.name}: used before any definition on some path: {names}")


def _check_classes(func: ir.LirFunction, block: ir.Block, instr: ir.Instr) -> None:
    want_fp = isinstance(instr, _FP_OPERANDS)
    if isinstance(instr, (ir.Alu, ir.AluFlags, ir.CondSet, ir.Select, ir.Branch, ir.BranchZero)):
        regs = instr.uses() + instr.defs()
        if any(v.cls != ir.GP for v in regs):
            raise LirError(f"{func.name}: {block!r}: integer op on an fp vreg: {instr}")
    if want_fp and any(v.cls != ir.FP for v in instr.uses() + instr.defs()):
        raise LirError(f"{func.name}: {block!r}: fp op on a gp vreg: {instr}")
    if isinstance(instr, (ir.Move, ir.ParallelMove)):
        pairs = [(instr.dst, instr.src)] if isinstance(instr, ir.Move) else zip(instr.dsts, instr.srcs)
        for d, s in pairs:
            if d.cls != s.cls:
                raise LirError(f"{func.name}: {block!r}: move between classes: {instr}")


def verify_allocation(func: ir.LirFunction, alloc: Allocation, clobbered_by_call: set) -> None:
    intervals = build_intervals(func)
    by_reg: dict[object, list] = {}
    for iv in intervals:
        loc = alloc.locations.get(iv.vreg)
        if loc is None:
            raise LirError(f"{func.name}: {iv.vreg!r} has no location")
        if isinstance(loc, SpillSlot):
            continue
        if iv.crosses_call and loc in clobbered_by_call:
            raise LirError(f"{func.name}: {iv.vreg!r} lives across a call in {loc}")
        for other in by_reg.get(loc, ()):
            if other.start <= iv.end and iv.start <= other.end:
                raise LirError(f"{func.name}: {iv.vreg!r} and {other.vreg!r} overlap in {loc}")
        by_reg.setdefault(loc, []).append(iv)
