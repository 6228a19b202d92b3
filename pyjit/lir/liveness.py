"""Liveness and live intervals of LIR virtual registers.

Instructions are numbered in block order (the order of `func.blocks`):
instruction i reads its operands at position 2i and writes its results at
2i + 1, so a value whose last use is instruction i and a value defined by i
do not overlap (they may share a register).  Incoming parameters are
defined at position -1.

An interval is one conservative range [start, end] per vreg, covering
every position where the vreg is live (no holes).  It is correct for any
block order; the allocator only needs `start`, `end` and whether a call
lies strictly inside (`crosses_call`), in which case the value must be in a
callee-saved register or on the stack.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .ir import Block, LirFunction, VReg


@dataclass(eq=False, slots=True)
class Interval:
    vreg: VReg
    start: int
    end: int
    crosses_call: bool = False

    def __repr__(self) -> str:
        mark = " call" if self.crosses_call else ""
        return f"{self.vreg!r}[{self.start},{self.end}{mark}]"


# Each block's instructions' (uses, defs), in order: liveness and the
# interval positions both walk them, so they are asked for once.
Operands = dict[Block, list[tuple[tuple[VReg, ...], tuple[VReg, ...]]]]


def instruction_operands(func: LirFunction) -> Operands:
    """(uses(), defs()) of every instruction, by block."""
    return {block: [(i.uses(), i.defs()) for i in block.instrs] for block in func.blocks}


def block_liveness(func: LirFunction, operands: Operands | None = None,
                   ) -> tuple[dict[Block, set[VReg]], dict[Block, set[VReg]]]:
    """(live_in, live_out) of every block, by backward dataflow.
    operands: instruction_operands(func), when the caller has them."""
    if operands is None:
        operands = instruction_operands(func)
    blocks = func.blocks
    gen: dict[Block, set[VReg]] = {}
    kill: dict[Block, set[VReg]] = {}
    for block in blocks:
        # Forwards: what is read before the block writes it (an instruction
        # reads its operands before it writes its results).
        g: set[VReg] = set()
        k: set[VReg] = set()
        for uses, defs in operands[block]:
            for v in uses:
                if v not in k:
                    g.add(v)
            if defs:
                k.update(defs)
        gen[block], kill[block] = g, k
    successors = {b: b.successors() for b in blocks}
    live_in = {b: set(g) for b, g in gen.items()}
    # (every block is visited at least once, which sets its live_out)
    live_out: dict[Block, set[VReg]] = dict.fromkeys(blocks)   # type: ignore[arg-type]
    preds: dict[Block, list[Block]] = {b: [] for b in blocks}
    for b, succs in successors.items():
        for s in succs:
            preds[s].append(b)
    work = list(blocks)
    queued = set(work)
    while work:
        block = work.pop()
        queued.discard(block)
        succs = successors[block]
        if len(succs) == 1:
            out = live_in[succs[0]].copy()
        else:
            out = set()
            for s in succs:
                out |= live_in[s]
        live_out[block] = out
        new_in = gen[block] | (out - kill[block])
        if new_in != live_in[block]:
            live_in[block] = new_in
            for p in preds[block]:
                if p not in queued:
                    queued.add(p)
                    work.append(p)
    return live_in, live_out


def build_intervals(func: LirFunction) -> list[Interval]:
    """One interval per vreg that is defined or used, sorted by start."""
    operands = instruction_operands(func)
    live_in, live_out = block_liveness(func, operands)
    # Positions are visited in increasing order (a block's live-in values
    # at its first position, then its instructions' operands, then its
    # live-out values at its last position), so a vreg's first position
    # seen is its start and its last one its end.
    start: dict[VReg, int] = {}
    end: dict[VReg, int] = {}

    def touch(values, pos: int) -> None:
        for v in values:
            end[v] = pos
            if v not in start:
                start[v] = pos

    touch(func.params, -1)
    calls: list[int] = []
    pos = 0
    for block in func.blocks:
        first, last = pos, pos + 2 * len(block.instrs) - 1
        if last < first:
            # An empty block (no terminator: not well-formed) has its last
            # position before its first; it passes its values through.
            touch(live_out[block], last)
            touch(live_in[block], first)
            continue
        # A live-in value is read in the block or live out of it, so a
        # later position of the block sets its end: only its start is
        # news here.
        for v in live_in[block]:
            if v not in start:
                start[v] = first
        # (touch inline: twice per instruction)
        for instr, (uses, defs) in zip(block.instrs, operands[block]):
            for v in uses:
                end[v] = pos
                if v not in start:
                    start[v] = pos
            for v in defs:
                end[v] = pos + 1
                if v not in start:
                    start[v] = pos + 1
            if instr.is_call:
                calls.append(pos)
            pos += 2
        # A live-out value is defined in the block or live in, so its start
        # is already set: only its end moves.
        end.update(dict.fromkeys(live_out[block], last))
    # Sorted by (start, vreg id), as plain tuples (the index k keeps equal
    # keys in first-seen order and the vregs out of the comparison).
    by_start = sorted([(lo, v.id, k, v) for k, (v, lo) in enumerate(start.items())])
    intervals = []
    for lo, _, _, v in by_start:
        hi = end[v]
        # A call at position c (uses at c, defs at c + 1) is crossed when
        # the value is live before c and after c + 1.
        i = bisect.bisect_right(calls, lo)
        crosses = i < len(calls) and calls[i] + 1 < hi
        intervals.append(Interval(v, lo, hi, crosses))
    return intervals
