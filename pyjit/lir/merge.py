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
    signatures: dict[ir.Block, tuple] = {}    # kept while a block's successors stay
    while True:
        replace: dict[ir.Block, ir.Block] = {}
        for group in _look_alikes(func):
            canon: dict[Any, ir.Block] = {}
            for block in group:
                key = signatures.get(block)
                if key is None:
                    key = signatures[block] = tuple(_signature(i, alloc) for i in block.instrs)
                first = canon.setdefault(key, block)
                if first is not block:
                    replace[block] = first
        if not replace:
            return removed
        for block in func.blocks:
            term = block.terminator
            if isinstance(term, ir.Jump):
                if term.target in replace:
                    term.target = replace[term.target]
                    signatures.pop(block, None)
            elif isinstance(term, _TERMINATORS):
                if term.then in replace or term.else_ in replace:
                    term.then = replace.get(term.then, term.then)
                    term.else_ = replace.get(term.else_, term.else_)
                    signatures.pop(block, None)
        func.blocks = [b for b in func.blocks if b not in replace]
        removed += len(replace)


def _look_alikes(func: ir.LirFunction) -> list[list[ir.Block]]:
    """The blocks but the entry that share their temperature, instruction
    classes and successors with another block, in groups, each in block
    order: blocks that are interchangeable share all three, and few
    blocks do, so the full signatures (which look at every operand) are
    computed for those few only."""
    groups: dict[tuple, list[ir.Block]] = {}
    entry = func.entry
    for block in func.blocks:
        if block is not entry:
            key = (block.cold, tuple(map(type, block.instrs)),
                   tuple([s.id for s in block.successors()]))
            groups.setdefault(key, []).append(block)
    return [group for group in groups.values() if len(group) > 1]


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
