"""The HIR verifier: structural, SSA and type invariants.

``verify(func)`` raises ``VerifyError`` listing every problem found;
``problems(func)`` returns the list.  Checked:

- blocks: every block is reachable, non-empty and ends with its only
  terminator; phis come first; no block names the same successor twice; the
  entry has no predecessors;
- phis: one input per predecessor, no input for anything else;
- SSA: each value is defined once, by the instruction that holds it; every
  use is dominated by its definition (a phi input by the end of its
  predecessor; along an exception edge, never by the raising instruction's
  own result);
- exception edges: only may-raise instructions have an ``exc_target``, and
  such an instruction is its block's terminator or is followed only by a
  ``Branch``; ``exc_release`` lists defined, dominating values;
- operands: the number and the type each op declares;
- GetSecondOutput right after its two-result instruction on its normal path;
- a refcounted function records ``exc_release`` on every may-raise instruction.
"""

from __future__ import annotations

from .cfg import dominates, dominators, predecessors, reverse_postorder
from .errors import VerifyError
from .ir import Block, Function, Instr, Value
from .ops_core import Branch, Phi
from .ops_objects import GetSecondOutput
from .printer import Namer


def verify(func: Function) -> None:
    found = problems(func)
    if found:
        raise VerifyError(found)


def problems(func: Function) -> list[str]:
    return _Verifier(func).run()


class _Verifier:
    def __init__(self, func: Function) -> None:
        self.func = func
        self.namer = Namer(func)
        self.errors: list[str] = []

    def err(self, where: Block | Instr | None, message: str) -> None:
        if isinstance(where, Block):
            prefix = f"{self.namer.block(where)}: "
        elif isinstance(where, Instr):
            prefix = f"{self.namer.block(self.block_of.get(where, Block()))}: {where.opname}: "
        else:
            prefix = ""
        self.errors.append(prefix + message)

    def run(self) -> list[str]:
        func = self.func
        if not func.blocks:
            return ["function has no blocks"]
        self.block_of: dict[Instr, Block] = {}
        self.defs: dict[Value, tuple[Block, int]] = {}
        for block in func.blocks:
            for pos, instr in enumerate(block.instrs):
                if instr in self.block_of:
                    self.err(block, f"{instr.opname} appears twice in the function")
                self.block_of[instr] = block
                if instr.result is not None:
                    if instr.result in self.defs:
                        self.err(block, f"{self.namer.value(instr.result)} defined twice")
                    self.defs[instr.result] = (block, pos)
        self.preds = predecessors(func)
        reachable = set(reverse_postorder(func))
        for block in func.blocks:
            if block not in reachable:
                self.err(block, "unreachable block")
        if self.preds[func.entry]:
            self.err(func.entry, "the entry block has predecessors")
        self.idom = dominators(func)
        for block in func.blocks:
            self.check_block(block)
        return self.errors

    # -- blocks ------------------------------------------------------------
    def check_block(self, block: Block) -> None:
        if not block.instrs:
            self.err(block, "empty block")
            return
        if not block.instrs[-1].is_terminator:
            self.err(block, "does not end with a terminator")
        in_phis = True
        for pos, instr in enumerate(block.instrs):
            if instr.is_terminator and pos != len(block.instrs) - 1:
                self.err(instr, "terminator in the middle of a block")
            if isinstance(instr, Phi):
                if not in_phis:
                    self.err(instr, "phi after a non-phi instruction")
                self.check_phi(block, instr)
            else:
                in_phis = False
                self.check_operands(block, pos, instr)
            self.check_instr(block, pos, instr)
        succs = block.successors()
        for succ in succs:
            if succ not in self.block_of_set():
                self.err(block, f"successor {self.namer.block(succ)} is not in the function")
        if len(set(succs)) != len(succs):
            self.err(block, "names the same successor twice")

    def block_of_set(self) -> set[Block]:
        if not hasattr(self, "_blocks"):
            self._blocks = set(self.func.blocks)
        return self._blocks

    def check_phi(self, block: Block, phi: Phi) -> None:
        preds = self.preds.get(block, [])
        if len(set(phi.preds)) != len(phi.preds):
            self.err(phi, "phi names a predecessor twice")
        if set(phi.preds) != set(preds) or len(phi.preds) != len(phi.operands):
            names = ", ".join(self.namer.block(b) for b in phi.preds)
            want = ", ".join(self.namer.block(b) for b in preds)
            self.err(phi, f"phi inputs from [{names}] but predecessors are [{want}]")
        for pred, value in zip(phi.preds, phi.operands):
            if value not in self.defs:
                self.err(phi, f"input {self.namer.value(value)} is not defined")
                continue
            def_block, _ = self.defs[value]
            if pred in self.idom and not dominates(self.idom, def_block, pred):
                self.err(phi, f"input {self.namer.value(value)} does not dominate "
                              f"the end of {self.namer.block(pred)}")
            raising = pred.raising_instr
            if raising is not None and raising.exc_target is block and raising.result is value:
                self.err(phi, "exception-edge input is the raising instruction's own result")

    def dominated(self, value: Value, block: Block, pos: int) -> bool:
        def_block, def_pos = self.defs[value]
        if def_block is block:
            return def_pos < pos
        return dominates(self.idom, def_block, block)

    def check_operands(self, block: Block, pos: int, instr: Instr) -> None:
        for value in instr.operands:
            if value not in self.defs:
                self.err(instr, f"operand {self.namer.value(value)} is not defined")
            elif not self.dominated(value, block, pos):
                self.err(instr, f"operand {self.namer.value(value)} does not dominate its use")
        for value in instr.exc_release or []:
            if value not in self.defs or not self.dominated(value, block, pos):
                self.err(instr, f"released value {self.namer.value(value)} is not available")

    # -- instructions ------------------------------------------------------
    def check_instr(self, block: Block, pos: int, instr: Instr) -> None:
        if instr.has_result != (instr.result is not None):
            self.err(instr, "result presence does not match the op")
        if instr.result is not None and instr.result.defn is not instr:
            self.err(instr, "result does not name its defining instruction")
        if not isinstance(instr, Phi):
            self.check_types(instr)
        if instr.exc_target is not None:
            if not instr.may_raise:
                self.err(instr, "exception target on an instruction that cannot raise")
            last = len(block.instrs) - 1
            follows = block.instrs[pos + 1:]
            if not (pos == last or (pos == last - 1 and isinstance(follows[0], Branch))):
                self.err(instr, "instruction with an exception target must end its block "
                                "(only a Branch may follow)")
        if instr.exc_release is not None and not instr.may_raise:
            self.err(instr, "release list on an instruction that cannot raise")
        if self.func.refcounted and instr.may_raise and instr.exc_release is None:
            self.err(instr, "refcounted function without a release list")
        if isinstance(instr, GetSecondOutput):
            self.check_second_output(block, pos, instr)

    def check_types(self, instr: Instr) -> None:
        n = len(instr.operands)
        if n < len(instr.operand_types):
            self.err(instr, f"takes at least {len(instr.operand_types)} operands, has {n}")
        for i, value in enumerate(instr.operands):
            want = instr.expected_operand_type(i)
            if want is None:
                self.err(instr, f"too many operands ({n})")
                break
            if not value.type <= want:
                self.err(instr, f"operand {i} ({self.namer.value(value)}) has type "
                                f"{value.type}, expected {want}")

    def check_second_output(self, block: Block, pos: int, instr: Instr) -> None:
        source = instr.operands[0].defn if instr.operands else None
        if source is None or not source.has_second_output:
            self.err(instr, "operand is not defined by a two-result instruction")
            return
        prev = block.instrs[pos - 1] if pos > 0 else None
        if prev is source:
            return
        src_block = self.block_of.get(source)
        if (pos == len(block.phis) and src_block is not None and source.exc_target is not None
                and src_block.normal_successors() == [block]):
            return
        self.err(instr, "does not directly follow its two-result instruction")
