"""3.11 opcode handlers: calls, iteration, jumps, exceptions and ``with``."""

from __future__ import annotations

import builtins

from ..bytecode_311 import BcInstr
from ..ir import Block, Value
from ..ops_containers import ForIter, GetIter, MakeTuple, RangeIter
from ..ops_core import (
    BoolNot, Branch, CondBranch, IsIdentical, IsNull, LoadNull, Phi, RefineType, Return,
)
from ..ops_exc import (
    BeforeWith, CheckExcMatch, PopExcept, PushExcInfo, RaiseException, Reraise, ReraiseCurrent,
    WithExceptStart,
)
from ..ops_objects import (
    CallEx, CallMethod, GetSecondOutput, LoadAttrCached, LoadBuildClass, LoadGlobalCached,
    LoadMethodCached, MakeFunction, SuperNoArgs, SyncFrameLocals, VectorCall,
)
from ..ssa import FrameState
from ..types import Object
from .driver import HANDLERS, Builder311
from .handlers_values import push_bool

MAKE_FUNCTION_PARTS = ((8, "closure"), (4, "annotations"), (2, "kwdefaults"), (1, "defaults"))

# -- calls and functions -------------------------------------------------------


@HANDLERS("LOAD_METHOD")
def _load_method(b: Builder311, ins: BcInstr) -> None:
    meth = b.emit(LoadMethodCached([b.pop()], name=b.code.co_names[ins.arg]))
    b.push(meth)
    b.push(b.emit(GetSecondOutput([meth])))


@HANDLERS("KW_NAMES")
def _kw_names(b: Builder311, ins: BcInstr) -> None:
    b.kwnames = tuple(b.code.co_consts[ins.arg])


# Calls that may read the calling frame, by the name they are reached
# through: the function gets a frame (see hir.ir.Function.needs_frame) and
# shows its current locals in it before such a call.
FRAME_READERS = frozenset({"globals", "locals", "vars", "dir", "eval", "exec", "_getframe",
                           "_getframemodulename", "currentframe", "stack", "getframeinfo",
                           "breakpoint"})


def _reads_frame(first: Value, second: Value) -> bool:
    callee = second if isinstance(first.defn, LoadNull) else first
    defn = callee.defn
    return (isinstance(defn, (LoadGlobalCached, LoadAttrCached, LoadMethodCached))
            and defn.name in FRAME_READERS)


def _sync_frame_locals(b: Builder311) -> None:
    """Show the current values of the function's locals in its frame: the
    plain ones, and the content of parameters held in cells (a cell
    variable that is no parameter has no slot in the trampoline's frame)."""
    code = b.code
    cells = set(code.co_cellvars)
    slots = tuple(range(len(code.co_varnames)))
    b.func.needs_frame = True
    b.emit(SyncFrameLocals([b.state.locals[i] for i in slots], slots=slots,
                           cells=tuple(i for i in slots if code.co_varnames[i] in cells)))


@HANDLERS("CALL")
def _call(b: Builder311, ins: BcInstr) -> None:
    args = b.popn(ins.arg)
    second = b.pop()
    first = b.pop()
    kwnames = b.take_kwnames()
    if _reads_frame(first, second):
        _sync_frame_locals(b)
    if isinstance(first.defn, LoadNull):
        if not kwnames and _range_iteration(b, second, args):
            return
        if not kwnames and not args and _zero_argument_super(b, second):
            return
        b.push(b.emit(VectorCall([second] + args, kwnames=kwnames)))
    elif first.type.is_object:
        b.push(b.emit(VectorCall([first, second] + args, kwnames=kwnames)))
    else:
        b.push(b.emit(CallMethod([first, second] + args, kwnames=kwnames)))


def _range_iteration(b: Builder311, callee: Value, args: list[Value]) -> bool:
    """``iter(range(...))`` of the global ``range``: a guarded RangeIter,
    the generic call as the fallback; consumes the following GET_ITER."""
    load = callee.defn
    if not (isinstance(load, LoadGlobalCached) and load.name == "range" and 1 <= len(args) <= 3
            and b.next_ins is not None and b.next_ins.opname == "GET_ITER"):
        return False
    guard = b.emit(IsIdentical([callee, b.const(builtins.range)]))
    fast, slow, join = b.func.new_block(), b.func.new_block(), b.func.new_block()
    b.emit(CondBranch([guard], if_true=fast, if_false=slow))
    ends: list[tuple[Block, Value]] = []
    for block, make in ((fast, lambda: b.emit(RangeIter(list(args)))),
                        (slow, lambda: b.emit(GetIter([b.emit(VectorCall([callee] + args))])))):
        b.current = block
        value = make()
        ends.append((b.current, value))
        b.emit(Branch([], target=join))
    phi = Phi([v for _, v in ends], preds=[blk for blk, _ in ends])
    join.append(phi)
    b.current = join
    b.push(phi.result)  # type: ignore[arg-type]
    b.skip_get_iter = True
    return True


def _zero_argument_super(b: Builder311, callee: Value) -> bool:
    """``super()`` of the global ``super`` in a function with a
    ``__class__`` cell (see super_without_arguments)."""
    load = callee.defn
    if not (isinstance(load, LoadGlobalCached) and load.name == "super"
            and "__class__" in b.code.co_freevars):
        return False
    b.push(super_without_arguments(b, callee))
    return True


def super_without_arguments(b: Builder311, callee: Value) -> Value:
    """callee() in a function with a ``__class__`` cell: when callee is the
    builtin ``super``, ``super(__class__, first local)`` (SuperNoArgs:
    compiled code knows both; the interpreter reads them from the frame),
    else the generic call."""
    code = b.code
    cell = b.state.locals[b.names.index("__class__", len(b.names) - b.nfree)]
    first = b.state.locals[0] if code.co_argcount else b.null()
    first_is_cell = bool(code.co_argcount) and code.co_varnames[0] in code.co_cellvars
    guard = b.emit(IsIdentical([callee, b.const(builtins.super)]))
    fast, slow, join = b.func.new_block(), b.func.new_block(), b.func.new_block()
    b.emit(CondBranch([guard], if_true=fast, if_false=slow))
    ends: list[tuple[Block, Value]] = []
    for block, make in ((fast, lambda: b.emit(SuperNoArgs([cell, first], argcount=code.co_argcount,
                                                          first_is_cell=first_is_cell))),
                        (slow, lambda: b.emit(VectorCall([callee])))):
        b.current = block
        value = make()
        ends.append((b.current, value))
        b.emit(Branch([], target=join))
    phi = Phi([v for _, v in ends], preds=[blk for blk, _ in ends])
    join.append(phi)
    b.current = join
    return phi.result  # type: ignore[return-value]


@HANDLERS("LOAD_BUILD_CLASS")
def _load_build_class(b: Builder311, ins: BcInstr) -> None:
    b.push(b.emit(LoadBuildClass([])))


@HANDLERS("CALL_FUNCTION_EX")
def _call_function_ex(b: Builder311, ins: BcInstr) -> None:
    kwargs = [b.pop()] if ins.arg & 1 else []
    args = b.pop()
    func = b.pop()
    b.pop()  # the NULL below the callable
    b.push(b.emit(CallEx([func, args] + kwargs)))


@HANDLERS("MAKE_FUNCTION")
def _make_function(b: Builder311, ins: BcInstr) -> None:
    code = b.pop()
    popped = [(name, b.pop()) for flag, name in MAKE_FUNCTION_PARTS if ins.arg & flag]
    popped.reverse()
    b.push(b.emit(MakeFunction([code] + [v for _, v in popped], parts=tuple(n for n, _ in popped))))


@HANDLERS("RETURN_VALUE")
def _return_value(b: Builder311, ins: BcInstr) -> None:
    return_value(b, b.pop())


def return_value(b: Builder311, value: Value) -> None:
    """The function returns value (a generator's body: its end, the 1-tuple
    of hir/ops_gen.py)."""
    b.keep_locals_alive()
    if b.generator:
        b.emit(Return([b.emit(MakeTuple([value]))]))
    else:
        b.emit(Return([value]))


# -- iteration and control flow --------------------------------------------------


@HANDLERS("GET_ITER")
def _get_iter(b: Builder311, ins: BcInstr) -> None:
    b.push(b.emit(GetIter([b.pop()])))


@HANDLERS("FOR_ITER")
def _for_iter(b: Builder311, ins: BcInstr) -> None:
    for_iter(b, ins, b.state.stack[:-1])


def for_iter(b: Builder311, ins: BcInstr, exit_stack: list[Value]) -> None:
    """The next item of the iterator on top, pushed; at the end, the jump
    target with exit_stack (3.11: the iterator popped)."""
    item = b.emit(ForIter([b.state.stack[-1]]))
    done = b.emit(IsNull([item]))
    exit_state = FrameState(list(b.state.locals), exit_stack)
    assert ins.jump_target is not None
    exit_block = b.edge_to(ins.jump_target, exit_state)
    body = b.func.new_block()
    b.emit(CondBranch([done], if_true=exit_block, if_false=body))
    b.current = body
    b.push(b.emit(RefineType([item], type=Object)))


@HANDLERS("RESUME")
def _resume(b: Builder311, ins: BcInstr) -> None:
    """At a function's start (oparg 0) and after a yield (1) 3.11 checks
    the eval breaker; not after a yield from or await (2, 3)."""
    if ins.arg < 2:
        b.check_eval_breaker()


@HANDLERS("JUMP_FORWARD", "JUMP_BACKWARD")
def _jump(b: Builder311, ins: BcInstr) -> None:
    assert ins.jump_target is not None
    if ins.opname == "JUMP_BACKWARD":
        b.keep_locals_alive()
        b.check_eval_breaker()
    b.jump(ins.jump_target)


def _pop_and_branch(b: Builder311, ins: BcInstr, cond: Value) -> None:
    """Branch to the jump target when ``cond`` holds, else fall through; a
    backward jump checks the eval breaker when it is taken."""
    assert ins.jump_target is not None
    if "BACKWARD" in ins.opname:
        b.branch_back(cond, ins.jump_target, ins.next_offset)
    else:
        b.branch(cond, (ins.jump_target, b.state), (ins.next_offset, b.state))


@HANDLERS("POP_JUMP_FORWARD_IF_TRUE", "POP_JUMP_BACKWARD_IF_TRUE")
def _pop_jump_if_true(b: Builder311, ins: BcInstr) -> None:
    _pop_and_branch(b, ins, b.truth(b.pop()))


@HANDLERS("POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_FALSE")
def _pop_jump_if_false(b: Builder311, ins: BcInstr) -> None:
    _pop_and_branch(b, ins, b.emit(BoolNot([b.truth(b.pop())])))


@HANDLERS("POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_BACKWARD_IF_NONE")
def _pop_jump_if_none(b: Builder311, ins: BcInstr) -> None:
    value = b.pop()
    _pop_and_branch(b, ins, b.emit(IsIdentical([value, b.const(None)])))


@HANDLERS("POP_JUMP_FORWARD_IF_NOT_NONE", "POP_JUMP_BACKWARD_IF_NOT_NONE")
def _pop_jump_if_not_none(b: Builder311, ins: BcInstr) -> None:
    value = b.pop()
    is_none = b.emit(IsIdentical([value, b.const(None)]))
    _pop_and_branch(b, ins, b.emit(BoolNot([is_none])))


@HANDLERS("JUMP_IF_TRUE_OR_POP", "JUMP_IF_FALSE_OR_POP")
def _jump_if_or_pop(b: Builder311, ins: BcInstr) -> None:
    cond = b.truth(b.state.stack[-1])
    kept = b.state.copy()
    popped = FrameState(list(b.state.locals), b.state.stack[:-1])
    assert ins.jump_target is not None
    taken, other = (ins.jump_target, kept), (ins.next_offset, popped)
    if ins.opname == "JUMP_IF_TRUE_OR_POP":
        b.branch(cond, taken, other)
    else:
        b.branch(cond, other, taken)


# -- exceptions and with ---------------------------------------------------------


def leaving_by_exception(b: Builder311) -> None:
    """A raise no handler of this function catches ends it: the locals are
    let go of (just before; the frame's are when the exception leaves)."""
    if b.exception_landing() is None:
        b.keep_locals_alive()


@HANDLERS("RAISE_VARARGS")
def _raise_varargs(b: Builder311, ins: BcInstr) -> None:
    if ins.arg == 0:
        leaving_by_exception(b)
        b.emit(ReraiseCurrent([]))
    else:
        operands = b.popn(ins.arg)
        leaving_by_exception(b)
        b.emit(RaiseException(operands))


@HANDLERS("RERAISE")
def _reraise(b: Builder311, ins: BcInstr) -> None:
    exc = b.pop()
    leaving_by_exception(b)
    reraise = Reraise([exc])
    b.emit(reraise)
    if ins.arg:
        # RERAISE n puts the frame back at the instruction that raised
        # (lasti): the frame is left at that line, not at this one's (the
        # traceback helpers keep the line of the frame's entry)
        reraise.lineno = None


@HANDLERS("PUSH_EXC_INFO")
def _push_exc_info(b: Builder311, ins: BcInstr) -> None:
    exc = b.pop()
    b.push(b.emit(PushExcInfo([exc])))
    b.push(exc)


@HANDLERS("POP_EXCEPT")
def _pop_except(b: Builder311, ins: BcInstr) -> None:
    b.emit(PopExcept([b.pop()]))


@HANDLERS("CHECK_EXC_MATCH")
def _check_exc_match(b: Builder311, ins: BcInstr) -> None:
    match_type = b.pop()
    push_bool(b, b.emit(CheckExcMatch([b.state.stack[-1], match_type])), False)


@HANDLERS("BEFORE_WITH")
def _before_with(b: Builder311, ins: BcInstr) -> None:
    exit_ = b.emit(BeforeWith([b.pop()]))
    b.push(exit_)
    b.push(b.emit(GetSecondOutput([exit_])))


@HANDLERS("WITH_EXCEPT_START")
def _with_except_start(b: Builder311, ins: BcInstr) -> None:
    stack = b.state.stack
    b.push(b.emit(WithExceptStart([stack[-4], stack[-1]])))

