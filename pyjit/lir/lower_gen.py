"""The lowering of generator and coroutine ops (hir/ops_gen.py).

The state tuple is read and written in place: a resumed value is a load of
a tuple item and a store of NULL there (its reference taken), a suspension
is PyTuple_New and stores of the point, the value yielded and the saved
values (their references move into the tuple).  One step of `yield from`/`await` is PyIter_Send itself; a throw is
a Python helper.
"""

from __future__ import annotations

from ..cpython import layout
from ..hir import ops_gen as G
from . import ir
from .lower_ops import helper_op
from .lowering import FunctionLowering, lowers

L = FunctionLowering


@lowers(G.ResumeValue)
def _resume_value(lw: L, instr: G.ResumeValue) -> None:
    saved, offset = lw.vreg(instr.operands[0]), layout.TUPLE_OB_ITEM + 8 * instr.index
    lw.emit(ir.Load(lw.vreg(instr.result), saved, offset))
    lw.emit(ir.Store(ir.ZERO, saved, offset))      # the reference moves out


@lowers(G.SuspendTuple)
def _suspend_tuple(lw: L, instr: G.SuspendTuple) -> None:
    helper_op(lw, instr, "PyTuple_New", [lw.imm(instr.size)])


@lowers(G.StoreSuspended)
def _store_suspended(lw: L, instr: G.StoreSuspended) -> None:
    state, *values = (lw.vreg(v) for v in instr.operands)
    for i, value in enumerate(values):
        lw.emit(ir.Store(value, state, layout.TUPLE_OB_ITEM + 8 * i))


@lowers(G.GenThrow)
def _gen_throw(lw: L, instr: G.GenThrow) -> None:
    lw.call("gen_throw", [lw.vreg(instr.operands[0])])
    lw.jump_to_exc(instr)


def _step(lw: L, instr, helper: str) -> None:
    """helper(iter, value, &out) -> 1 yielded, 0 returned, -1 failed:
    instr's result is "returned", its second output the value."""
    area = lw.area(1)
    out = lw.new()
    lw.emit(ir.AreaAddr(out, area, 0))
    inner, value = (lw.vreg(v) for v in instr.operands)
    status = lw.call(helper, [inner, value, out], value=True)
    lw.check(instr, helper, status)
    second = lw.second[instr.result] = lw.new()
    lw.emit(ir.Load(second, area, 0))
    lw.emit(ir.CondSet("eq", lw.vreg(instr.result), status, 0))


@lowers(G.IterSend)
def _iter_send(lw: L, instr: G.IterSend) -> None:
    _step(lw, instr, "PyIter_Send")


@lowers(G.IterThrow)
def _iter_throw(lw: L, instr: G.IterThrow) -> None:
    _step(lw, instr, "iter_throw")


@lowers(G.GetAwaitable)
def _get_awaitable(lw: L, instr: G.GetAwaitable) -> None:
    helper_op(lw, instr, "get_awaitable", [lw.vreg(instr.operands[0]), lw.imm(instr.where)])


@lowers(G.GetYieldFromIter)
def _get_yield_from_iter(lw: L, instr: G.GetYieldFromIter) -> None:
    helper_op(lw, instr, "get_yield_from_iter",
              [lw.vreg(instr.operands[0]), lw.imm(int(instr.coroutine))])


@lowers(G.GetAIter)
def _get_aiter(lw: L, instr: G.GetAIter) -> None:
    helper_op(lw, instr, "get_aiter", [lw.vreg(instr.operands[0])])


@lowers(G.GetANext)
def _get_anext(lw: L, instr: G.GetANext) -> None:
    helper_op(lw, instr, "get_anext", [lw.vreg(instr.operands[0])])


@lowers(G.AsyncGenWrap)
def _async_gen_wrap(lw: L, instr: G.AsyncGenWrap) -> None:
    helper_op(lw, instr, "async_gen_wrap", [lw.vreg(instr.operands[0])])
