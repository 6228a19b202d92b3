"""3.11 opcode handlers of generators, coroutines and async generators:
RETURN_GENERATOR, YIELD_VALUE, SEND and its loop, GET_YIELD_FROM_ITER,
GET_AWAITABLE, `async with` and `async for`, ASYNC_GEN_WRAP (see
hir/ops_gen.py for the body's shape and resume.py for its resume points).

`yield from x` and `await x` are, in 3.11 bytecode,

    GET_YIELD_FROM_ITER | GET_AWAITABLE     iter
    LOAD_CONST None
    L: SEND exit                            iter.send(v); done: pop iter, push result, jump
       YIELD_VALUE                          yield what iter yielded
       RESUME 2 | 3
       JUMP_BACKWARD_NO_INTERRUPT L
    exit: ...

A throw into the generator suspended in that YIELD_VALUE goes to the
delegate (IterThrow), as gen.throw does: what it yields is yielded again
from the same point, its return value leaves the loop at `exit`, its
exception is raised at the yield.  Any other yield raises a thrown
exception where it is (GenThrow), through the function's own handlers.
"""

from __future__ import annotations

from ..bytecode_311 import BcInstr
from ..errors import CompileRefused
from ..ir import Value
from ..ops_core import BoolNot, CondBranch, IsIdentical
from ..ops_exc import BeforeWith, CheckExcMatch, Reraise
from ..ops_gen import (
    AsyncGenWrap, GenThrow, GetAIter, GetANext, GetAwaitable, GetYieldFromIter, IterSend,
    IterThrow,
)
from ..ops_objects import GetSecondOutput
from ..ssa import FrameState
from .driver import HANDLERS, Builder311
from .handlers_flow import leaving_by_exception


def _resume_points(b: Builder311, ins: BcInstr):
    if b.resume is None:
        raise CompileRefused(b.func.qualname, f"{ins.opname} at line {ins.lineno} outside a "
                             "generator or coroutine")
    return b.resume


@HANDLERS("RETURN_GENERATOR")
def _return_generator(b: Builder311, ins: BcInstr) -> None:
    """The generator object is made by the trampoline; the body starts
    after it, where the interpreter pushes None (popped by POP_TOP)."""
    _resume_points(b, ins)
    b.push(b.const(None))


@HANDLERS("YIELD_VALUE")
def _yield_value(b: Builder311, ins: BcInstr) -> None:
    points = _resume_points(b, ins)
    yielded = b.pop()
    slots = b.state.slots()
    kept = points.kept(slots)
    point = len(points.blocks)
    points.suspend(point, yielded, [slots[i] for i in kept])
    b.current = points.new_point()
    resumed = points.resume(point, slots, kept)
    nlocals = len(b.state.locals)
    # Resumed, the frame has the value sent pushed (None when an exception
    # is thrown in, which raises here with that stack: a handler's depth
    # may take the value in).
    b.state = FrameState(resumed[:nlocals], resumed[nlocals:] + [points.sent])
    b.pre_state = b.state.copy()
    is_throw = b.emit(BoolNot([b.emit(IsIdentical([points.thrown, b.const(None)]))]))
    thrown, cont = b.func.new_block(), b.func.new_block()
    b.emit(CondBranch([is_throw], if_true=thrown, if_false=cont))
    b.current = thrown
    following = b.next_ins
    if following is not None and following.opname == "RESUME" and \
            b.resume_location(following) >= 2:
        # the delegate is the top of the stack the suspension kept
        b.func.delegates[point] = 2 + kept.index(len(slots) - 1)
        _throw_to_delegate(b, point, kept)
    else:
        b.emit(GenThrow([points.thrown]))
    b.current = cont


def _throw_to_delegate(b: Builder311, point: int, kept: list[int]) -> None:
    """The yield of a SEND loop: the delegate (below the value sent) takes
    the thrown exception (module docstring)."""
    points = b.resume
    stack = b.state.stack[:-1]        # ..., the delegate
    done = b.emit(IterThrow([stack[-1], points.thrown]))
    value = b.emit(GetSecondOutput([done]))
    again, finished = b.func.new_block(), b.func.new_block()
    b.emit(CondBranch([done], if_true=finished, if_false=again))
    b.current = again
    slots = b.state.locals + stack
    points.suspend(point, value, [slots[i] for i in kept])
    b.current = finished
    assert b.send_exit is not None
    b.jump_with(b.send_exit, send_exit_state(b, b.send_exit, stack, value))


def send_exit_state(b: Builder311, exit_offset: int, stack: list[Value],
                    value: Value) -> FrameState:
    """The state a SEND loop is left with, the delegate returned value:
    stack (ending with the delegate) with value on top, the delegate popped
    where the exit's depth says so (3.11's SEND pops it, 3.12's leaves it to
    END_SEND)."""
    depth = b.cfg.depth[exit_offset]
    return FrameState(list(b.state.locals), stack[:depth - 1] + [value])


@HANDLERS("SEND")
def _send(b: Builder311, ins: BcInstr) -> None:
    _resume_points(b, ins)
    value = b.pop()
    inner = b.state.stack[-1]
    done = b.emit(IterSend([inner, value]))
    result = b.emit(GetSecondOutput([done]))
    assert ins.jump_target is not None
    b.send_exit = ins.jump_target
    exit_block = b.edge_to(ins.jump_target,
                           send_exit_state(b, ins.jump_target, b.state.stack, result))
    body = b.func.new_block()
    b.emit(CondBranch([done], if_true=exit_block, if_false=body))
    b.current = body
    b.push(result)


@HANDLERS("JUMP_BACKWARD_NO_INTERRUPT")
def _jump_no_interrupt(b: Builder311, ins: BcInstr) -> None:
    assert ins.jump_target is not None
    b.jump(ins.jump_target)


@HANDLERS("GET_YIELD_FROM_ITER")
def _get_yield_from_iter(b: Builder311, ins: BcInstr) -> None:
    _resume_points(b, ins)
    b.push(b.emit(GetYieldFromIter([b.pop()], coroutine=b.iterable_coroutine)))


@HANDLERS("GET_AWAITABLE")
def _get_awaitable(b: Builder311, ins: BcInstr) -> None:
    _resume_points(b, ins)
    b.push(b.emit(GetAwaitable([b.pop()], where=ins.arg)))


# -- async with, async for, async generators --------------------------------------------


@HANDLERS("BEFORE_ASYNC_WITH")
def _before_async_with(b: Builder311, ins: BcInstr) -> None:
    _resume_points(b, ins)
    exit_ = b.emit(BeforeWith([b.pop()], asynchronous=True))
    b.push(exit_)
    b.push(b.emit(GetSecondOutput([exit_])))


@HANDLERS("GET_AITER")
def _get_aiter(b: Builder311, ins: BcInstr) -> None:
    _resume_points(b, ins)
    b.push(b.emit(GetAIter([b.pop()])))


@HANDLERS("GET_ANEXT")
def _get_anext(b: Builder311, ins: BcInstr) -> None:
    _resume_points(b, ins)
    b.push(b.emit(GetANext([b.state.stack[-1]])))


@HANDLERS("END_ASYNC_FOR")
def _end_async_for(b: Builder311, ins: BcInstr) -> None:
    """The handler of an `async for` step: StopAsyncIteration ends the loop
    (the iterator popped), anything else goes on as it is."""
    exc = b.pop()
    ended = b.emit(CheckExcMatch([exc, b.const(StopAsyncIteration)]))
    done, other = b.func.new_block(), b.func.new_block()
    b.emit(CondBranch([ended], if_true=done, if_false=other))
    b.current = other
    leaving_by_exception(b)
    b.emit(Reraise([exc]))
    b.current = done
    b.pop()


@HANDLERS("ASYNC_GEN_WRAP")
def async_gen_wrap(b: Builder311, ins: BcInstr) -> None:
    """An async generator's own yield: its value wrapped (genbody.py's
    AsyncGeneratorBody tells it from an await's)."""
    _resume_points(b, ins)
    b.push(b.emit(AsyncGenWrap([b.pop()])))
