"""``specialize-float``: float arithmetic on unboxed doubles, guarded.

A ``BinaryOp`` adding, subtracting or multiplying (in place or not) where
one operand is known to be an exact float and the other may be one becomes

    c1 = IsType<Float> left;  CondBranch c1 -> check_right, slow
    check_right: c2 = IsType<Float> right; CondBranch c2 -> fast, slow
    fast: l = RefineType<Float> left; r = RefineType<Float> right
          d = DoubleBinaryOp<Add> (UnboxFloat l) (UnboxFloat r)
          v_fast = BoxFloat d;  Branch join
    slow: v_slow = BinaryOp<Add> left right;  Branch join
    join: v = Phi fast:v_fast slow:v_slow; ...the rest of the block

Nothing falls back to the interpreter: a failed guard takes the generic
path.  ``guard-elimination`` then folds the guard on the operand whose type
is known, and ``simplify``/``dce`` drop the path that cannot be taken.
Division stays generic (it raises ZeroDivisionError).  An instruction with
an exception edge keeps it: each new may-raise instruction gets the same
handler, with the handler's phis fed the same values.
"""

from __future__ import annotations

from ..ir import Block, Function, Instr
from ..ops_core import (
    BoxFloat, Branch, CondBranch, IsType, Phi, RefineType, UnboxFloat,
)
from ..ops_numeric import BinaryOp, BinaryOpKind, DoubleBinaryOp, DoubleOpKind
from ..typeinfer import infer_types
from ..types import Float
from .pipeline import Pass, register_pass

DOUBLE_KINDS = {BinaryOpKind.ADD: DoubleOpKind.ADD, BinaryOpKind.SUBTRACT: DoubleOpKind.SUBTRACT,
                BinaryOpKind.MULTIPLY: DoubleOpKind.MULTIPLY}


def _candidate(instr: Instr) -> bool:
    if not isinstance(instr, BinaryOp) or instr.kind.base not in DOUBLE_KINDS:
        return False
    left, right = (v.type for v in instr.operands)
    if left.is_bottom or right.is_bottom or not (left.could_be(Float) and right.could_be(Float)):
        return False
    return left <= Float or right <= Float


class _Splitter:
    """Rewrites one BinaryOp of one block into the guarded diamond."""

    def __init__(self, func: Function, block: Block, op: BinaryOp) -> None:
        self.func, self.block, self.op = func, block, op
        self.handler = op.exc_target

    def emit(self, block: Block, instr: Instr) -> Instr:
        instr.lineno, instr.offset = self.op.lineno, self.op.offset
        block.append(instr)
        return instr

    def raising(self, block: Block, instr: Instr) -> Block:
        """Append a may-raise instruction; inside a try it gets the handler
        and ends the block.  Returns the block to continue in."""
        self.emit(block, instr)
        if self.handler is None:
            return block
        instr.exc_target = self.handler
        for phi in self.handler.phis:
            phi.add_input(block, phi.input_for(self.block))  # type: ignore[attr-defined]
        cont = self.new_block()
        block.append(Branch([], target=cont))
        return cont

    def new_block(self) -> Block:
        block = Block()
        self.func.blocks.insert(self.func.blocks.index(self.block) + 1, block)
        return block

    def rewrite(self) -> Instr:
        """Build the diamond; returns the generic BinaryOp of the slow path."""
        block, op = self.block, self.op
        left, right = op.operands
        index = block.instrs.index(op)
        suffix = block.instrs[index + 1:]
        block.instrs = block.instrs[:index]
        old_succs = suffix[-1].successors() if suffix else []
        old_succs += [i.exc_target for i in suffix if i.exc_target is not None]
        join = self.new_block()
        slow = self.new_block()
        fast = self.new_block()
        check_right = self.new_block()
        c1 = self.emit(block, IsType([left], type=Float))
        self.emit(block, CondBranch([c1.result], if_true=check_right, if_false=slow))
        c2 = self.emit(check_right, IsType([right], type=Float))
        self.emit(check_right, CondBranch([c2.result], if_true=fast, if_false=slow))
        lf = self.emit(fast, RefineType([left], type=Float))
        rf = self.emit(fast, RefineType([right], type=Float))
        a = self.emit(fast, UnboxFloat([lf.result]))
        b = self.emit(fast, UnboxFloat([rf.result]))
        d = self.emit(fast, DoubleBinaryOp([a.result, b.result], kind=DOUBLE_KINDS[op.kind.base]))
        boxed = BoxFloat([d.result])
        fast_end = self.raising(fast, boxed)
        self.emit(fast_end, Branch([], target=join))
        generic = BinaryOp([left, right], kind=op.kind)
        slow_end = self.raising(slow, generic)
        self.emit(slow_end, Branch([], target=join))
        phi = Phi([boxed.result, generic.result], preds=[fast_end, slow_end])  # type: ignore[list-item]
        join.instrs = [phi]
        if self.handler is not None:  # op's exception edge left with it
            for hphi in self.handler.phis:
                hphi.remove_pred(block)  # type: ignore[attr-defined]
        join.instrs += suffix
        for succ in old_succs:
            for sphi in succ.phis:
                sphi.replace_pred(block, join)  # type: ignore[attr-defined]
        self.func.replace_uses({op.result: phi.result})  # type: ignore[dict-item]
        return generic


@register_pass
class SpecializeFloat(Pass):
    """Guarded unboxed-double fast paths for float +, - and *."""

    name = "specialize-float"
    summary = "guarded unboxed-double float + - * (not in the default pipeline)"

    def run(self, func: Function) -> None:
        infer_types(func)
        generic: set[Instr] = set()  # slow paths made here are not candidates
        while True:
            found = next(((b, i) for b in func.blocks for i in b.instrs
                          if i not in generic and _candidate(i)), None)
            if found is None:
                break
            generic.add(_Splitter(func, found[0], found[1]).rewrite())  # type: ignore[arg-type]
            infer_types(func)
