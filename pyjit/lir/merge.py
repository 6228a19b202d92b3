"""Tail merging: blocks that do the same thing with the same registers
become one.

After register allocation, two blocks are interchangeable when their
instructions are equal once every vreg is replaced by its location, every
successor by its (already merged) representative, and the listing origins
are ignored.  Exception paths are the typical case: each may-raise
instruction has one, releasing the values it holds, and with registers
reused line after line, many store the same registers and jump to the same
tail.  Merging repeats until nothing changes (merging successors can make
their predecessors equal).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from . import ir
from .regalloc import Allocation

_TERMINATORS = (ir.Jump, ir.Branch, ir.BranchZero, ir.FBranch)


def merge_identical_blocks(func: ir.LirFunction, alloc: Allocation) -> int:
    """Merge interchangeable blocks of func in place; the number removed."""
    removed = 0
    while True:
        canon: dict[Any, ir.Block] = {}
        replace: dict[ir.Block, ir.Block] = {}
        for block in func.blocks:
            if block is func.entry:
                continue
            key = (block.cold, tuple(_signature(i, alloc) for i in block.instrs))
            first = canon.setdefault(key, block)
            if first is not block:
                replace[block] = first
        if not replace:
            return removed
        for block in func.blocks:
            term = block.terminator
            if isinstance(term, ir.Jump):
                term.target = replace.get(term.target, term.target)
            elif isinstance(term, _TERMINATORS):
                term.then = replace.get(term.then, term.then)
                term.else_ = replace.get(term.else_, term.else_)
        func.blocks = [b for b in func.blocks if b not in replace]
        removed += len(replace)


def _signature(instr: ir.Instr, alloc: Allocation) -> tuple:
    def value(x: Any) -> Any:
        if isinstance(x, ir.VReg):
            return ("loc", alloc.locations.get(x, x))
        if isinstance(x, ir.Block):
            return ("block", x.id)
        if isinstance(x, ir.StackArea):
            return ("area", x.index)
        if isinstance(x, list):
            return tuple(value(y) for y in x)
        return x

    cls = type(instr)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(instr) if f.name != "origin")
    return (cls.__name__,) + tuple(value(getattr(instr, name)) for name in names)


_FIELDS: dict[type, tuple[str, ...]] = {}     # an instruction class's fields but origin
