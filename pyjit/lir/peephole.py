"""Small rewrites of the LIR before register allocation (`simplify`).

`drop_redundant_stores`: a store of a value to a frame area word that
already holds it (the value was loaded from, or stored to, that very word
earlier in the block, and nothing since could have written the word) is
dropped.  A method call stores `self` into the argument array's slot that
the method load had just written it to: one store a method call.  What may
write an area word: a store to an area, and any call (an area's address
may have been handed to a callee before).

`drop_dead_loads`: a load from a frame area whose value nothing uses is
dropped (self's second load when the call routine takes self from the
slot: the dropped store was its only use).

`fuse_compare_branches`: a block ending with `dst = a COND b` (CondSet)
and a branch on dst, which nothing else uses, branches on the comparison
itself (cmp + b.cond instead of cmp + cset + cbz), provided nothing in
between redefines a or b.
"""

from __future__ import annotations

from collections import Counter

from . import ir


def simplify(func: ir.LirFunction) -> None:
    drop_redundant_stores(func)
    # An area load reads no vreg: dropping dead ones leaves the counts
    # valid for the fusion.
    uses = use_counts(func)
    drop_dead_loads(func, uses)
    fuse_compare_branches(func, uses)


def use_counts(func: ir.LirFunction) -> dict[ir.VReg, int]:
    """How many times each vreg is read (once per operand)."""
    operands = [v for block in func.blocks for instr in block.instrs for v in instr.uses()]
    return dict(Counter(operands))      # (Counter counts in C; first-use order)


def fuse_compare_branches(func: ir.LirFunction, uses: dict[ir.VReg, int] | None = None) -> int:
    """Fuse such compares into their branches in place; the number fused.
    uses: use_counts(func), when the caller has them."""
    if uses is None:
        uses = use_counts(func)
    fused = 0
    for block in func.blocks:
        term = block.instrs[-1] if block.instrs else None
        if not (isinstance(term, ir.BranchZero) and term.bit is None and not term.release
                and uses.get(term.a) == 1):
            continue
        k = _compare_defining(block, term.a)
        if k is None:
            continue
        compare = block.instrs[k]
        operands = set(compare.uses())
        if any(operands & set(i.defs()) for i in block.instrs[k + 1:-1]):
            continue
        then, else_ = (term.then, term.else_) if term.nonzero else (term.else_, term.then)
        del block.instrs[k]
        block.instrs[-1] = ir.Branch(compare.cond, compare.a, compare.b, then, else_)
        fused += 1
    return fused


def _compare_defining(block: ir.Block, v: ir.VReg) -> int | None:
    """The index of the CondSet of block that last defines v before its
    terminator, or None (v defined otherwise, or not in block)."""
    for k in range(len(block.instrs) - 2, -1, -1):
        instr = block.instrs[k]
        if v in instr.defs():
            return k if isinstance(instr, ir.CondSet) else None
    return None


def drop_dead_loads(func: ir.LirFunction, used: dict[ir.VReg, int] | None = None) -> int:
    """Drop area loads whose value is not used; the number dropped.
    used: use_counts(func), when the caller has them."""
    if used is None:
        used = use_counts(func)
    dropped = 0
    for block in func.blocks:
        kept = [i for i in block.instrs
                if not (isinstance(i, ir.Load) and isinstance(i.base, ir.StackArea)
                        and i.dst not in used)]
        dropped += len(block.instrs) - len(kept)
        block.instrs = kept
    return dropped


def drop_redundant_stores(func: ir.LirFunction) -> int:
    """Drop such stores from func in place; the number dropped."""
    dropped = 0
    for block in func.blocks:
        holds: dict[tuple[int, int, int], ir.VReg] = {}   # (area, offset, width) -> value
        kept = []
        for instr in block.instrs:
            kind = type(instr)
            if kind is ir.Store and isinstance(instr.base, ir.StackArea):
                key = (instr.base.index, instr.offset, instr.width)
                if holds.get(key) is instr.src:
                    dropped += 1
                    continue
                _forget(holds, instr.base.index, instr.offset, instr.width)
                holds[key] = instr.src
            elif kind is ir.Load and isinstance(instr.base, ir.StackArea):
                _forget_value(holds, instr.dst)
                holds[(instr.base.index, instr.offset, instr.width)] = instr.dst
            elif instr.is_call or kind in _MAY_WRITE_AREAS:
                holds.clear()
            elif holds:
                for v in instr.defs():
                    _forget_value(holds, v)
            kept.append(instr)
        block.instrs = kept
    return dropped


# Besides calls, what may write an area word (a store through a vreg may
# point into an area).
_MAY_WRITE_AREAS = frozenset({ir.Store, ir.SaveRegisters, ir.SaveReturnAddress})


def _forget(holds: dict, area: int, offset: int, width: int) -> None:
    """Forget what overlaps [offset, offset + width) of area."""
    for key in [k for k in holds if k[0] == area and k[1] < offset + width and offset < k[1] + k[2]]:
        del holds[key]


def _forget_value(holds: dict, v: ir.VReg) -> None:
    """A new definition of v: the words said to hold v no longer do."""
    for key in [k for k, held in holds.items() if held is v]:
        del holds[key]
