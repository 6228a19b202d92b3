"""Control-flow graph utilities: predecessors, orders, dominators, and
edits that keep phis consistent (unreachable-block removal, edge splitting).

Successors include the exception successor of a block (the ``exc_target``
of its raising instruction), so exception edges are ordinary edges here.
"""

from __future__ import annotations

from .ir import Block, Function
from .ops_core import Branch, Phi


def predecessors(func: Function) -> dict[Block, list[Block]]:
    """Each block's predecessors, in layout order, without duplicates."""
    preds: dict[Block, list[Block]] = {b: [] for b in func.blocks}
    for block in func.blocks:
        for succ in block.successors():
            lst = preds.setdefault(succ, [])
            if block not in lst:
                lst.append(block)
    return preds


def reverse_postorder(func: Function) -> list[Block]:
    """Blocks reachable from the entry, in reverse postorder."""
    order: list[Block] = []
    seen = {func.entry}
    stack = [(func.entry, iter(func.entry.successors()))]
    while stack:
        block, succs = stack[-1]
        for succ in succs:
            if succ not in seen:
                seen.add(succ)
                stack.append((succ, iter(succ.successors())))
                break
        else:
            stack.pop()
            order.append(block)
    order.reverse()
    return order


def reachable(func: Function) -> set[Block]:
    """The blocks reachable from the entry (the set reverse_postorder
    orders, without the ordering)."""
    seen = {func.entry}
    stack = [func.entry]
    while stack:
        for succ in stack.pop().successors():
            if succ not in seen:
                seen.add(succ)
                stack.append(succ)
    return seen


def dominators(func: Function) -> dict[Block, Block | None]:
    """Immediate dominators of the reachable blocks (Cooper, Harvey and
    Kennedy's iterative algorithm); the entry maps to None."""
    rpo = reverse_postorder(func)
    index = {b: i for i, b in enumerate(rpo)}
    preds = predecessors(func)
    idom: dict[Block, Block | None] = {func.entry: func.entry}

    def intersect(a: Block, b: Block) -> Block:
        while a is not b:
            while index[a] > index[b]:
                a = idom[a]  # type: ignore[assignment]
            while index[b] > index[a]:
                b = idom[b]  # type: ignore[assignment]
        return a

    changed = True
    while changed:
        changed = False
        for block in rpo[1:]:
            new: Block | None = None
            for p in preds[block]:
                if p in idom:
                    new = p if new is None else intersect(p, new)
            if new is not None and idom.get(block) is not new:
                idom[block] = new
                changed = True
    idom[func.entry] = None
    return idom


def dominates(idom: dict[Block, Block | None], a: Block, b: Block) -> bool:
    """Does block ``a`` dominate block ``b``?"""
    node: Block | None = b
    while node is not None:
        if node is a:
            return True
        node = idom.get(node)
    return False


def remove_unreachable(func: Function) -> bool:
    """Delete blocks not reachable from the entry; drop their phi inputs."""
    live = reachable(func)
    dead = [b for b in func.blocks if b not in live]
    if not dead:
        return False
    dead_set = set(dead)
    func.blocks = [b for b in func.blocks if b in live]
    for block in func.blocks:
        for phi in block.phis:
            assert isinstance(phi, Phi)
            for d in [p for p in phi.preds if p in dead_set]:
                phi.remove_pred(d)
    return True


def split_edge(func: Function, pred: Block, succ: Block) -> Block:
    """Put a new block on the edge pred -> succ (normal or exceptional) and
    return it; succ's phis now name the new block."""
    splits = EdgeSplits(func)
    mid = splits.split(pred, succ)
    splits.place()
    return mid


class EdgeSplits:
    """Many edge splits, placed in the layout at once.

    ``split(pred, succ)`` edits the edge as ``split_edge`` does and returns
    the new block; ``place()`` puts every new block into ``func.blocks``
    where one ``split_edge`` after the other would have (right after its
    predecessor, the latest split first), in one pass over the layout
    instead of one search per split."""

    def __init__(self, func: Function) -> None:
        self.func = func
        self.after: dict[Block, list[Block]] = {}

    def split(self, pred: Block, succ: Block) -> Block:
        mid = Block()
        mid.append(Branch([], target=succ))
        term = pred.terminator
        if term is not None and succ in term.successors():
            term.replace_successor(succ, mid)
        else:
            raising = pred.raising_instr
            assert raising is not None and raising.exc_target is succ, "no such edge"
            raising.exc_target = mid
        for phi in succ.phis:
            assert isinstance(phi, Phi)
            phi.replace_pred(pred, mid)
        self.after.setdefault(pred, []).append(mid)
        return mid

    def place(self) -> None:
        if not self.after:
            return
        out: list[Block] = []
        stack = list(reversed(self.func.blocks))
        while stack:
            block = stack.pop()
            out.append(block)
            stack += self.after.pop(block, ())   # the latest split pops first
        self.func.blocks = out
