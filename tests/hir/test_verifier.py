"""The verifier on deliberately broken IR: each case breaks one invariant
and must be reported with a recognisable message; the unbroken version of
each shape verifies cleanly."""

from __future__ import annotations

import pytest

from pyjit.hir import Function, VerifyError, verify
from pyjit.hir.ir import Block
from pyjit.hir.ops_core import (
    Branch, CondBranch, Decref, Incref, IsTruthy, LoadArg, LoadConst, Phi, PrimConst, Return,
)
from pyjit.hir.ops_numeric import BinaryOp, BinaryOpKind
from pyjit.hir.ops_objects import GetSecondOutput, LoadAttrCached, LoadMethodCached
from pyjit.hir.types import CBool, CDouble
from pyjit.hir.verifier import problems


def function(*blocks: Block) -> Function:
    func = Function("f", "f", [], None)
    func.blocks = list(blocks)
    return func


def block(*instrs) -> Block:
    b = Block()
    for i in instrs:
        b.append(i)
    return b


def diamond(join_uses_phi: bool = True):
    """entry -> (left | right) -> join; returns the function and its parts."""
    arg = LoadArg([], index=0, name="x")
    cond = IsTruthy([arg.result])
    left, right, join = Block(), Block(), Block()
    entry = block(arg, cond, CondBranch([cond.result], if_true=left, if_false=right))
    one = LoadConst([], value=1)
    two = LoadConst([], value=2)
    left.append(one)
    left.append(Branch([], target=join))
    right.append(two)
    right.append(Branch([], target=join))
    if join_uses_phi:
        phi = Phi([one.result, two.result], preds=[left, right])
        join.append(phi)
        join.append(Return([phi.result]))
    else:
        join.append(Return([one.result]))
    return function(entry, left, right, join), (entry, left, right, join)


def check_broken(func: Function, fragment: str) -> None:
    found = problems(func)
    assert any(fragment in p for p in found), f"expected {fragment!r} in {found}"
    with pytest.raises(VerifyError):
        verify(func)


def test_valid_diamond_verifies():
    func, _ = diamond()
    verify(func)


def test_missing_terminator():
    arg = LoadArg([], index=0, name="x")
    check_broken(function(block(arg)), "does not end with a terminator")


def test_terminator_in_the_middle():
    arg = LoadArg([], index=0, name="x")
    check_broken(function(block(Return([arg.result]), arg, Return([arg.result]))), "terminator in the middle")


def test_use_not_dominated():
    func, _ = diamond(join_uses_phi=False)
    check_broken(func, "does not dominate its use")


def test_phi_missing_an_input():
    func, (_, left, right, join) = diamond()
    join.phis[0].remove_pred(right)
    check_broken(func, "phi inputs from [bb1] but predecessors are [bb1, bb2]")


def test_phi_after_body_instruction():
    func, (_, left, right, join) = diamond()
    phi = join.instrs.pop(0)
    join.insert(1, phi)
    check_broken(func, "phi after a non-phi instruction")


def test_operand_type_mismatch():
    arg = LoadArg([], index=0, name="x")
    target = block(Return([arg.result]))
    bad = CondBranch([arg.result], if_true=target, if_false=target)
    check_broken(function(block(arg, bad), target), "has type Object, expected CBool")


def test_incref_of_unboxed_value():
    d = PrimConst([], ctype=CDouble, value=1.0)
    arg = LoadArg([], index=0, name="x")
    check_broken(function(block(d, arg, Incref([d.result]), Return([arg.result]))), "expected Object")


def test_wrong_operand_count():
    arg = LoadArg([], index=0, name="x")
    add = BinaryOp([arg.result], kind=BinaryOpKind.ADD)
    check_broken(function(block(arg, add, Return([arg.result]))), "takes at least 2 operands")


def test_undefined_operand():
    stray = LoadArg([], index=1, name="y")
    check_broken(function(block(Return([stray.result]))), "is not defined")


def test_unreachable_block():
    arg = LoadArg([], index=0, name="x")
    lost = block(Return([arg.result]))
    check_broken(function(block(arg, Return([arg.result])), lost), "unreachable block")


def test_exception_target_on_instruction_that_cannot_raise():
    arg = LoadArg([], index=0, name="x")
    handler = block(Return([arg.result]))
    nxt = block(Return([arg.result]))
    const = LoadConst([], value=1)
    const.exc_target = handler
    check_broken(function(block(arg, const, Branch([], target=nxt)), nxt, handler),
                 "cannot raise")


def test_raising_instruction_must_end_its_block():
    arg = LoadArg([], index=0, name="x")
    handler = block(Return([arg.result]))
    attr = LoadAttrCached([arg.result], name="a")
    attr.exc_target = handler
    other = LoadConst([], value=1)
    check_broken(function(block(arg, attr, other, Return([arg.result])), handler),
                 "must end its block")


def test_exception_edge_phi_cannot_take_the_raising_result():
    arg = LoadArg([], index=0, name="x")
    handler, normal = Block(), Block()
    attr = LoadAttrCached([arg.result], name="a")
    attr.exc_target = handler
    entry = block(arg, attr, Branch([], target=normal))
    normal.append(Return([attr.result]))
    phi = Phi([attr.result], preds=[entry])
    handler.append(phi)
    handler.append(Return([phi.result]))
    check_broken(function(entry, normal, handler), "raising instruction's own result")


def test_same_successor_twice():
    arg = LoadArg([], index=0, name="x")
    cond = PrimConst([], ctype=CBool, value=True)
    target = block(Return([arg.result]))
    check_broken(function(block(arg, cond, CondBranch([cond.result], if_true=target, if_false=target)),
                          target), "names the same successor twice")


def test_entry_with_predecessors():
    arg = LoadArg([], index=0, name="x")
    entry = Block()
    entry.append(arg)
    entry.append(Branch([], target=entry))
    check_broken(function(entry), "the entry block has predecessors")


def test_value_defined_twice():
    arg = LoadArg([], index=0, name="x")
    check_broken(function(block(arg, arg, Return([arg.result]))), "appears twice")


def test_second_output_must_follow_its_producer():
    arg = LoadArg([], index=0, name="x")
    meth = LoadMethodCached([arg.result], name="m")
    other = LoadConst([], value=1)
    second = GetSecondOutput([meth.result])
    check_broken(function(block(arg, meth, other, second, Return([second.result]))),
                 "does not directly follow")


def test_second_output_of_a_one_result_instruction():
    arg = LoadArg([], index=0, name="x")
    attr = LoadAttrCached([arg.result], name="a")
    second = GetSecondOutput([attr.result])
    check_broken(function(block(arg, attr, second, Return([second.result]))), "two-result instruction")


def test_refcounted_function_needs_release_lists():
    arg = LoadArg([], index=0, name="x")
    attr = LoadAttrCached([arg.result], name="a")
    func = function(block(arg, attr, Return([attr.result])))
    verify(func)
    func.refcounted = True
    check_broken(func, "without a release list")
    attr.exc_release = []
    verify(func)


def test_release_list_on_instruction_that_cannot_raise():
    arg = LoadArg([], index=0, name="x")
    dec = Decref([arg.result])
    dec.exc_release = [arg.result]
    check_broken(function(block(arg, dec, Return([arg.result]))), "release list on an instruction")
