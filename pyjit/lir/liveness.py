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


@dataclass(eq=False)
class Interval:
    vreg: VReg
    start: int
    end: int
    crosses_call: bool = False

    def __repr__(self) -> str:
        mark = " call" if self.crosses_call else ""
        return f"{self.vreg!r}[{self.start},{self.end}{mark}]"


def block_liveness(func: LirFunction) -> tuple[dict[Block, set[VReg]], dict[Block, set[VReg]]]:
    """(live_in, live_out) of every block, by backward dataflow."""
    gen: dict[Block, set[VReg]] = {}
    kill: dict[Block, set[VReg]] = {}
    for block in func.blocks:
        g: set[VReg] = set()
        k: set[VReg] = set()
        for instr in block.instrs:
            g.update(v for v in instr.uses() if v not in k)
            k.update(instr.defs())
        gen[block], kill[block] = g, k
    live_in = {b: set(gen[b]) for b in func.blocks}
    live_out: dict[Block, set[VReg]] = {b: set() for b in func.blocks}
    preds: dict[Block, list[Block]] = {b: [] for b in func.blocks}
    for b in func.blocks:
        for s in b.successors():
            preds[s].append(b)
    work = list(func.blocks)
    queued = set(work)
    while work:
        block = work.pop()
        queued.discard(block)
        out = set().union(*(live_in[s] for s in block.successors())) if block.successors() else set()
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
    live_in, live_out = block_liveness(func)
    lo: dict[VReg, int] = {}
    hi: dict[VReg, int] = {}

    def touch(v: VReg, pos: int) -> None:
        if v not in lo or pos < lo[v]:
            lo[v] = pos
        if v not in hi or pos > hi[v]:
            hi[v] = pos

    for v in func.params:
        touch(v, -1)
    calls: list[int] = []
    index = 0
    for block in func.blocks:
        first = index
        for instr in block.instrs:
            for v in instr.uses():
                touch(v, 2 * index)
            for v in instr.defs():
                touch(v, 2 * index + 1)
            if instr.is_call:
                calls.append(2 * index)
            index += 1
        last = index - 1
        for v in live_in[block]:
            touch(v, 2 * first)
        for v in live_out[block]:
            touch(v, 2 * last + 1)
    intervals = []
    for v, start in lo.items():
        end = hi[v]
        # A call at position c (uses at c, defs at c + 1) is crossed when
        # the value is live before c and after c + 1.
        i = bisect.bisect_right(calls, start)
        crosses = i < len(calls) and calls[i] + 1 < end
        intervals.append(Interval(v, start, end, crosses))
    intervals.sort(key=lambda iv: (iv.start, iv.vreg.id))
    return intervals
