"""Block order: for register allocation, and for emission.

- `thread_jumps(func)`: a block that only jumps elsewhere is bypassed by
  every branch to it, and dropped when nothing reaches it any more.
- `allocation_order(func)`: reverse postorder from the entry.  Cold blocks
  then sit next to the hot code that reaches them, which keeps live
  intervals (one range per vreg) short.
- `emission_order(func)`: hot blocks first, as chains of fall-throughs
  (after a block comes the successor its terminator falls into, when not
  yet placed), then the cold blocks in the same manner (the cold section).
"""

from __future__ import annotations

from . import ir


def thread_jumps(func: ir.LirFunction) -> list[ir.Block]:
    """Bypass jump-only blocks; drop unreachable blocks.  Returns the
    postorder of the remaining blocks (for allocation_order)."""
    entry = func.entry

    def final(block: ir.Block) -> ir.Block:
        seen = set()
        while (len(block.instrs) == 1 and isinstance(block.instrs[0], ir.Jump)
               and not block.instrs[0].release
               and block not in seen and block is not entry):
            seen.add(block)
            block = block.instrs[0].target
        return block

    for block in func.blocks:
        term = block.terminator
        if isinstance(term, ir.Jump):
            term.target = final(term.target)
        elif isinstance(term, (ir.Branch, ir.BranchZero, ir.FBranch)):
            term.then, term.else_ = final(term.then), final(term.else_)
    postorder = _postorder(func)
    reachable = set(postorder)
    func.blocks = [b for b in func.blocks if b in reachable]
    return postorder


def _postorder(func: ir.LirFunction) -> list[ir.Block]:
    """Depth-first postorder, visiting a block's last successor first: the
    then-side of a branch (usually an exit path) then lands right after the
    branch in reverse postorder, rather than after the rest of the body."""
    order: list[ir.Block] = []
    seen = {func.entry}
    stack = [(func.entry, reversed(func.entry.successors()))]
    while stack:
        block, succs = stack[-1]
        for s in succs:
            if s not in seen:
                seen.add(s)
                stack.append((s, reversed(s.successors())))
                break
        else:
            stack.pop()
            order.append(block)
    return order


def allocation_order(func: ir.LirFunction, postorder: list[ir.Block] | None = None) -> None:
    """Reorder func.blocks in reverse postorder (entry first).  postorder:
    what thread_jumps returned, when nothing changed the edges since (the
    postorder only depends on them)."""
    if postorder is None:
        postorder = _postorder(func)
    func.blocks = list(reversed(postorder))


def emission_order(func: ir.LirFunction) -> list[ir.Block]:
    """Hot chains, then cold chains (see the module docstring)."""
    placed: set[ir.Block] = set()
    order: list[ir.Block] = []
    for cold in (False, True):
        for start in func.blocks:
            block = start
            while block is not None and block.cold == cold and block not in placed:
                placed.add(block)
                order.append(block)
                block = _fall_through(block)
    return order


def _fall_through(block: ir.Block) -> ir.Block | None:
    """The successor that should follow block: a jump's target, else the
    branch's else side (the likely path of the lowering's checks)."""
    term = block.terminator
    if isinstance(term, ir.Jump):
        return term.target
    if isinstance(term, (ir.Branch, ir.BranchZero, ir.FBranch)):
        for succ in (term.else_, term.then):
            if succ.cold == block.cold:
                return succ
    return None
