"""SSA construction from an abstract interpreter's frame (any CPython
version; it knows no bytecode).

The bytecode builder walks the code block by block, keeping a
``FrameState``: the SSA value in each local slot and on each stack slot.
Where control flow joins (several predecessors, or a loop back edge) the
builder asks for a *join block*, which starts with one phi per local and per
stack slot; every edge into it records its predecessor block and the state it
carries (``add_incoming``).  ``finish`` then gives the phis their inputs,
deletes the trivial ones (all inputs the same value, or the phi itself) and
the dead ones, drops unreachable blocks and infers types: the usual pruned
SSA form.

Exception edges: ``emit`` gives every may-raise instruction emitted inside a
``try`` region an ``exc_target``: the *landing block* of its handler, a join
block whose phis take the locals and the handler's stack prefix as they
were when the bytecode instruction started (``snapshot``).  The raising
instruction then ends its block (``Branch`` to a fresh block that continues
the normal path), so each raising point is one predecessor of the landing
and each phi input is the value held at that point.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cfg import remove_unreachable
from .errors import HIRError
from .ir import Block, Function, Instr, Value
from .ops_core import Branch, Phi
from .typeinfer import infer_types
from .types import Bottom


@dataclass
class FrameState:
    """The SSA values of the local slots and the value stack."""

    locals: list[Value]
    stack: list[Value]

    def copy(self) -> FrameState:
        return FrameState(list(self.locals), list(self.stack))

    def slots(self) -> list[Value]:
        return self.locals + self.stack


@dataclass
class Landing:
    """The landing block of one exception handler and the stack depth its
    phis cover."""

    block: Block
    depth: int


class FrameBuilder:
    """Emission, join blocks, exception landings and SSA clean-up."""

    def __init__(self, func: Function) -> None:
        self.func = func
        self.current: Block | None = None
        self.state = FrameState([], [])
        self.lineno: int | None = None
        self.offset: int | None = None
        self.join_phis: dict[Block, list[Phi]] = {}
        self.incoming: dict[Block, list[tuple[Block, FrameState]]] = {}

    # -- hooks for the version-specific builder ------------------------------
    def exception_landing(self) -> Landing | None:
        """The landing for an exception raised by the current instruction
        (None: the function's error exit)."""
        raise NotImplementedError

    def snapshot(self) -> FrameState:
        """The frame state at the start of the current bytecode instruction."""
        raise NotImplementedError

    # -- emission --------------------------------------------------------------
    def emit(self, instr: Instr) -> Value:
        """Append ``instr`` to the current block; give it its exception edge
        and, if it is not a terminator, continue in a new block after it.
        Returns the result (or None for instructions without one)."""
        if self.current is None:
            raise HIRError(f"{instr.opname} emitted after a terminator")
        instr.lineno, instr.offset = self.lineno, self.offset
        self.current.instrs.append(instr)    # (Block.append, without its call)
        if instr.may_raise:
            landing = self.exception_landing()
            if landing is not None:
                instr.exc_target = landing.block
                snap = self.snapshot()
                state = FrameState(list(snap.locals), list(snap.stack[:landing.depth]))
                self.add_incoming(landing.block, self.current, state)
                if not instr.is_terminator:
                    self.current = self.new_block_after()
        if instr.is_terminator:
            self.current = None
        return instr.result  # type: ignore[return-value]

    def new_block_after(self) -> Block:
        """End the current block with a Branch to a new block; return it."""
        block = self.func.new_block()
        assert self.current is not None
        self.current.append(Branch([], target=block))
        return block

    # -- joins -----------------------------------------------------------------
    def new_join(self, nlocals: int, depth: int) -> tuple[Block, FrameState]:
        """A block starting with a phi for each of nlocals locals and depth
        stack slots; returns it and the state made of the phis."""
        block = self.func.new_block()
        phis = [Phi([], preds=[]) for _ in range(nlocals + depth)]
        for phi in phis:
            phi.result.type = Bottom  # type: ignore[union-attr]
            block.append(phi)
        self.join_phis[block] = phis
        self.incoming[block] = []
        values = [p.result for p in phis]
        return block, FrameState(values[:nlocals], values[nlocals:])  # type: ignore[arg-type]

    def add_incoming(self, join: Block, pred: Block, state: FrameState) -> None:
        want = len(self.join_phis[join])
        if len(state.slots()) != want:
            raise HIRError(f"edge into a join with {want} slots carries {len(state.slots())}")
        self.incoming[join].append((pred, state.copy()))

    # -- finishing -------------------------------------------------------------
    def finish(self) -> Function:
        for join, phis in self.join_phis.items():
            for pred, state in self.incoming[join]:
                for phi, value in zip(phis, state.slots()):
                    phi.add_input(pred, value)
        remove_unreachable(self.func)
        remove_trivial_phis(self.func)
        remove_dead_phis(self.func)
        infer_types(self.func)
        return self.func


def remove_trivial_phis(func: Function) -> bool:
    """Replace every phi whose inputs are one value (or itself) by that value."""
    changed_any = False
    while True:
        mapping: dict[Value, Value] = {}
        holding: list[Block] = []       # the blocks of the phis replaced
        for block in func.blocks:
            found = len(mapping)
            for phi in block.phis:
                only = _only_input(phi, mapping)
                if only is not None:
                    mapping[phi.result] = only  # type: ignore[index]
            if len(mapping) > found:
                holding.append(block)
        if not mapping:
            return changed_any
        changed_any = True
        for block in holding:
            block.instrs = [i for i in block.instrs if i.result not in mapping]
        func.replace_uses(mapping)


def _only_input(phi: Instr, mapping: dict[Value, Value]) -> Value | None:
    """The one value phi's inputs are (through mapping), itself aside;
    None if there are several (or none)."""
    result = phi.result
    only = None
    for v in phi.operands:
        v = mapping.get(v, v)
        if v is result or v is only:
            continue
        if only is not None:
            return None
        only = v
    return only


def remove_dead_phis(func: Function) -> bool:
    """Delete phis whose values reach no instruction other than dead phis."""
    phis = {phi.result: phi for b in func.blocks for phi in b.phis}
    live: set[Value] = set()     # first every value an instruction other than a phi uses
    for block in func.blocks:
        for instr in block.instrs:
            if not isinstance(instr, Phi):
                live.update(instr.operands)
                if instr.exc_release:
                    live.update(instr.exc_release)
    live.intersection_update(phis)
    work = list(live)
    while work:
        for v in phis[work.pop()].operands:
            if v in phis and v not in live:
                live.add(v)
                work.append(v)
    dead = set(phis) - live
    if dead:
        for block in func.blocks:
            block.instrs = [i for i in block.instrs if i.result not in dead or not isinstance(i, Phi)]
    return bool(dead)
