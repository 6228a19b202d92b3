"""``simplify``: constant folding where CPython's semantics are certain, and
control-flow clean-up.

Folding rules (``FOLDERS``, one per op class) replace an instruction by a
value it provably equals; they only fire on exact builtin constants whose
behaviour no user code can change:

- ``IsIdentical``: the same value, two constants, or disjoint types;
- ``IsTruthy`` of a constant of an immutable builtin type, or of a BoxBool;
- ``BoolNot`` of a constant or of a BoolNot; ``BoxBool`` of a constant;
- ``BinaryOp``/``CompareOp``/``UnaryOp`` on exact int/float (and str for
  comparisons) constants, when the operation succeeds and ints stay small;
- ``CallMethod`` whose method slot is known NULL or known an object
  becomes a ``VectorCall`` (a phi of the slots from both arms of a
  conditional callee, once simplified, is such a case);
- ``DoubleBinaryOp`` of constants; ``UnboxFloat`` of BoxFloat or a constant;
  ``BoxFloat`` of a constant.

Control flow: a CondBranch on a BoolNot branches on its operand, the
arms swapped; one on a constant or with equal targets becomes a Branch; phis with one distinct input go away; a block whose only
predecessor branches to it is merged into it (unless that predecessor
ends with an exception edge); an empty block that only branches on is
bypassed; unreachable blocks are deleted.  A KeepAlive forgets the values
no reference counting concerns (NULL, constants, arguments: what a phi
that went away stood for), and goes when none is left.  Repeats until
nothing changes.
"""

from __future__ import annotations

import bisect
import operator
from typing import Callable

from ..cfg import predecessors, remove_unreachable
from ..ir import Block, Function, Instr, Ownership, Value
from ..ops_core import (
    BoolNot, BoxBool, BoxFloat, Branch, CondBranch, IsIdentical, IsTruthy, KeepAlive, LoadConst,
    LoadNull, PrimConst, UnboxFloat, prim_bool,
)
from ..ops_numeric import (
    BinaryOp, BinaryOpKind, CompareKind, CompareOp, DoubleBinaryOp, DoubleOpKind, UnaryOp,
    UnaryOpKind,
)
from ..ops_objects import CallMethod, VectorCall
from ..ssa import remove_trivial_phis
from ..typeinfer import infer_types
from ..types import CDouble, Nullptr
from .pipeline import Pass, register_pass
from .rewrite import Rule, apply_rules

FOLDERS: dict[type[Instr], Rule] = {}
_FIXED_TRUTH = (bool, int, float, complex, str, bytes, type(None), tuple, frozenset)
_NUMBERS = (int, float)
_K = BinaryOpKind
_SAFE_BINARY = {_K.ADD: operator.add, _K.SUBTRACT: operator.sub, _K.MULTIPLY: operator.mul,
                _K.TRUE_DIVIDE: operator.truediv, _K.FLOOR_DIVIDE: operator.floordiv,
                _K.REMAINDER: operator.mod, _K.AND: operator.and_, _K.OR: operator.or_,
                _K.XOR: operator.xor}
_COMPARE = {CompareKind.LT: operator.lt, CompareKind.LE: operator.le, CompareKind.EQ: operator.eq,
            CompareKind.NE: operator.ne, CompareKind.GT: operator.gt, CompareKind.GE: operator.ge}
_UNARY = {UnaryOpKind.NEGATIVE: operator.neg, UnaryOpKind.POSITIVE: operator.pos,
          UnaryOpKind.INVERT: operator.invert}
_DOUBLE = {DoubleOpKind.ADD: operator.add, DoubleOpKind.SUBTRACT: operator.sub,
           DoubleOpKind.MULTIPLY: operator.mul}
_SMALL_INT = 1 << 62


def folds(cls: type[Instr]) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        if cls in FOLDERS:
            raise ValueError(f"folder for {cls.__name__} registered twice")
        FOLDERS[cls] = fn
        return fn
    return register


def _const(value: Value) -> tuple[bool, object]:
    """(True, the object) when value is a LoadConst."""
    defn = value.defn
    return (True, defn.value) if isinstance(defn, LoadConst) else (False, None)


def _prim(value: Value) -> tuple[bool, object]:
    defn = value.defn
    return (True, defn.value) if isinstance(defn, PrimConst) else (False, None)


def _exact(obj: object, kinds: tuple[type, ...]) -> bool:
    return type(obj) in kinds


@folds(IsIdentical)
def _fold_is(instr: Instr) -> Value | Instr | None:
    a, b = instr.operands
    if a is b:
        return prim_bool(True)
    (ka, va), (kb, vb) = _const(a), _const(b)
    if ka and kb:
        return prim_bool(va is vb)
    if not a.type.is_bottom and not b.type.is_bottom and not a.type.could_be(b.type):
        return prim_bool(False)
    return None


@folds(IsTruthy)
def _fold_truthy(instr: Instr) -> Value | Instr | None:
    value = instr.operands[0]
    if isinstance(value.defn, BoxBool):
        return value.defn.operands[0]
    known, obj = _const(value)
    if known and _exact(obj, _FIXED_TRUTH):
        return prim_bool(bool(obj))
    return None


@folds(BoolNot)
def _fold_not(instr: Instr) -> Value | Instr | None:
    value = instr.operands[0]
    if isinstance(value.defn, BoolNot):
        return value.defn.operands[0]
    known, obj = _prim(value)
    return prim_bool(not obj) if known else None


@folds(BoxBool)
def _fold_box_bool(instr: Instr) -> Value | Instr | None:
    known, obj = _prim(instr.operands[0])
    return LoadConst([], value=bool(obj)) if known else None


def _constant_result(compute: Callable[[], object]) -> Instr | None:
    try:
        result = compute()
    except Exception:  # the operation would raise at run time: leave it there
        return None
    if type(result) is int and abs(result) >= _SMALL_INT:
        return None
    return LoadConst([], value=result)


@folds(BinaryOp)
def _fold_binary(instr: Instr) -> Value | Instr | None:
    (ka, a), (kb, b) = (_const(v) for v in instr.operands)
    fn = _SAFE_BINARY.get(instr.kind.base)  # type: ignore[attr-defined]
    if ka and kb and fn is not None and _exact(a, _NUMBERS) and _exact(b, _NUMBERS):
        return _constant_result(lambda: fn(a, b))
    return None


@folds(CompareOp)
def _fold_compare(instr: Instr) -> Value | Instr | None:
    (ka, a), (kb, b) = (_const(v) for v in instr.operands)
    fn = _COMPARE[instr.kind]  # type: ignore[attr-defined]
    if ka and kb and ((_exact(a, _NUMBERS) and _exact(b, _NUMBERS)) or (_exact(a, (str,)) and _exact(b, (str,)))):
        return _constant_result(lambda: fn(a, b))
    return None


@folds(UnaryOp)
def _fold_unary(instr: Instr) -> Value | Instr | None:
    known, a = _const(instr.operands[0])
    if known and _exact(a, _NUMBERS):
        return _constant_result(lambda: _UNARY[instr.kind](a))  # type: ignore[attr-defined]
    return None


@folds(DoubleBinaryOp)
def _fold_double(instr: Instr) -> Value | Instr | None:
    (ka, a), (kb, b) = (_prim(v) for v in instr.operands)
    if ka and kb:
        return PrimConst([], ctype=CDouble, value=_DOUBLE[instr.kind](a, b))  # type: ignore[attr-defined]
    return None


@folds(UnboxFloat)
def _fold_unbox(instr: Instr) -> Value | Instr | None:
    value = instr.operands[0]
    if isinstance(value.defn, BoxFloat):
        return value.defn.operands[0]
    known, obj = _const(value)
    return PrimConst([], ctype=CDouble, value=obj) if known and type(obj) is float else None


@folds(CallMethod)
def _fold_call_method(instr: Instr) -> Value | Instr | None:
    """The method slot is known: NULL calls the second slot, an object is
    called with the second slot as its first argument."""
    first = instr.operands[0]
    if first.type.is_bottom or not (first.type <= Nullptr or first.type.is_object):
        return None
    operands = instr.operands[1:] if first.type <= Nullptr else instr.operands
    return VectorCall(list(operands), kwnames=instr.kwnames)  # type: ignore[attr-defined]


@folds(BoxFloat)
def _fold_box_float(instr: Instr) -> Value | Instr | None:
    known, obj = _prim(instr.operands[0])
    return LoadConst([], value=float(obj)) if known else None  # type: ignore[arg-type]


def fold_instructions(func: Function) -> bool:
    return apply_rules(func, FOLDERS)


def fold_branches(func: Function) -> bool:
    changed = False
    for block in func.blocks:
        term = block.terminator
        if not isinstance(term, CondBranch):
            continue
        cond = term.operands[0]
        if isinstance(cond.defn, BoolNot):           # branch on the operand, arms swapped
            term.operands[0] = cond.defn.operands[0]
            term.if_true, term.if_false = term.if_false, term.if_true
            changed = True
            continue
        known, value = _prim(cond)
        if term.if_true is term.if_false:
            target, dropped = term.if_true, None
        elif known:
            target, dropped = (term.if_true, term.if_false) if value else (term.if_false, term.if_true)
        else:
            continue
        block.instrs[-1] = Branch([], target=target)
        if dropped is not None and dropped not in block.successors():
            for phi in dropped.phis:
                phi.remove_pred(block)  # type: ignore[attr-defined]
        changed = True
    return changed


def trim_keep_alives(func: Function) -> bool:
    """Drop KeepAlive operands that hold no reference of their own."""
    changed = False
    for block in func.blocks:
        emptied = False     # the block's list is rebuilt only when one goes
        for instr in block.instrs:
            if isinstance(instr, KeepAlive):
                held = [v for v in instr.operands if _holds_a_reference(v)]
                if len(held) != len(instr.operands):
                    changed = True
                    instr.operands = held
                if not held:
                    emptied = True
        if emptied:
            block.instrs = [i for i in block.instrs if i.operands or not isinstance(i, KeepAlive)]
    return changed


def _holds_a_reference(value: Value) -> bool:
    defn = value.defn
    if defn is None or isinstance(defn, LoadNull):
        return False
    return defn.ownership_kind is not Ownership.BORROWED


def merge_blocks(func: Function) -> bool:
    """Merge a block into its only predecessor when that one just branches to it.

    One walk over the blocks with the predecessor sets kept up to date as
    blocks merge (a merge moves the absorbed block's out-edges to the block
    absorbing it): linear in the size of the function."""
    preds = {b: set(p) for b, p in predecessors(func).items()}
    merged: set[Block] = set()
    for block in list(func.blocks):
        term = block.terminator
        if block in merged or not isinstance(term, Branch) or block.exc_successor is not None:
            continue
        succ = term.target
        if succ is block or succ is func.entry or preds[succ] != {block} or succ.phis:
            continue
        block.instrs = block.instrs[:-1] + succ.instrs
        merged.add(succ)
        del preds[succ]
        for after in succ.successors():
            after_preds = preds.setdefault(after, set())
            after_preds.discard(succ)
            after_preds.add(block)
            for phi in after.phis:
                phi.replace_pred(succ, block)  # type: ignore[attr-defined]
    if merged:
        func.blocks = [b for b in func.blocks if b not in merged]
    return bool(merged)


def bypass_empty_blocks(func: Function) -> bool:
    """Send the predecessors of a block holding only ``Branch`` straight on.

    The predecessor lists (in layout order, as ``predecessors`` gives them)
    are kept up to date as edges move, so one walk is linear in the size of
    the function."""
    changed = False
    preds = predecessors(func)
    position = {b: i for i, b in enumerate(func.blocks)}
    for block in list(func.blocks):
        if block is func.entry or len(block.instrs) != 1 or not isinstance(block.instrs[0], Branch):
            continue
        target = block.instrs[0].target  # type: ignore[attr-defined]
        if target is block:
            continue
        kept = []
        for pred in preds[block]:
            if target in pred.successors():
                kept.append(pred)
                continue  # would name the target twice; keep this edge
            _retarget(pred, block, target)
            _insert_in_layout_order(preds.setdefault(target, []), pred, position)
            for phi in target.phis:
                phi.add_input(pred, phi.input_for(block))  # type: ignore[attr-defined]
            changed = True
        preds[block] = kept
        if not kept:
            for phi in target.phis:
                if block in phi.preds:  # type: ignore[attr-defined]
                    phi.remove_pred(block)  # type: ignore[attr-defined]
    return changed


def _insert_in_layout_order(blocks: list[Block], block: Block, position: dict[Block, int]) -> None:
    """Insert block (not in blocks) where layout order puts it."""
    blocks.insert(bisect.bisect_left(blocks, position[block], key=position.__getitem__), block)


def _retarget(pred: Block, old: Block, new: Block) -> None:
    term = pred.terminator
    if term is not None and old in term.successors():
        term.replace_successor(old, new)
    raising = pred.raising_instr
    if raising is not None and raising.exc_target is old:
        raising.exc_target = new


@register_pass
class Simplify(Pass):
    """Constant folding and control-flow clean-up, to a fixpoint."""

    name = "simplify"
    summary = "constant folding, branch folding, trivial phis, block merging"
    leaves_types_inferred = True
    reaches_fixpoint = True     # it stops after a round that changed nothing

    def run(self, func: Function) -> None:
        first = not self.types_inferred
        all_reachable = False   # as every round leaves it
        while True:
            # remove_unreachable has work only after a change to the function
            # (or in the first round): an unchanged round skips it.
            changed = fold_instructions(func)
            changed |= fold_branches(func)
            if changed or not all_reachable:
                changed |= remove_unreachable(func)
            changed |= remove_trivial_phis(func)
            # A KeepAlive has no result and no successor: trimming one
            # leaves the blocks and every type as they were.
            trimmed = trim_keep_alives(func)
            changed |= merge_blocks(func)
            changed |= bypass_empty_blocks(func)
            if changed:
                remove_unreachable(func)
            all_reachable = True
            if changed or first:        # a round that changed nothing leaves the types
                infer_types(func)
            first = False
            if not (changed or trimmed):
                return


__all__ = ["FOLDERS", "Simplify"]
