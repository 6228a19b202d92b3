"""What each HIR op does, in Python, for the interpreter (``interp.py``).

``SEMANTICS`` maps op class -> ``fn(activation, instr, operand_values)``
returning the result; a Python exception raised by ``fn`` is the op
raising.  Control flow, phis and reference counting are the interpreter
core's (``interp.CORE_OPS``).  What an operation does beyond Python's own
operators is ``pyjit.cpython.semantics``'s, the same functions compiled
code's helpers call, so both fail with the interpreter's exceptions and
messages.
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from ..cpython import generators as G
from ..cpython import semantics as S

from ..cpython.null import NULL
from .errors import InterpError
from .ir import Instr
from .ops_containers import (
    BinarySubscr, BuildConstKeyMap, BuildMap, BuildSet, BuildSlice, BuildString,
    DeleteSubscr, DictMerge, DictUpdate, FormatValue, ForIter, GetIter, ListAppend,
    ListExtend, ListToTuple, LoadTupleItem, LoadUnpackedItem, MakeList, MakeTuple, MapAdd, RangeIter,
    SetAdd, SetUpdate, StoreSubscr, UnpackEx, UnpackSequence,
)
from .ops_core import (
    BoolNot, BoxBool, BoxFloat, CheckEvalBreaker, CheckVar, KeepAlive, IsIdentical, IsNull, IsTruthy, IsType,
    LoadArg, LoadConst, LoadNull, PrimConst, RefineType, UnboxFloat,
)
from .ops_exc import (
    BeforeWith, CheckExcMatch, FetchException, LoadSpecial, PopExcept, PushExcInfo,
    RaiseException, Reraise, ReraiseCurrent, WithExceptStart,
)
from .ops_numeric import (
    BinaryOp, BinaryOpKind, CompareBool, CompareKind, CompareOp, Contains, DoubleBinaryOp,
    DoubleOpKind, UnaryOp, UnaryOpKind,
)
from .ops_objects import (
    CallEx, CallMethod, CallMethodBool, DeleteAttr, DeleteDeref, DeleteGlobal, GetSecondOutput, LoadBuildClass,
    SuperNoArgs,
    ImportFrom, ImportName, LoadAttrCached, LoadDeref, LoadFreeCell, LoadGlobalCached,
    LoadMethodCached, MakeCell, MakeFunction, StoreAttrCached, StoreDeref, StoreGlobal,
    SyncFrameLocals, VectorCall, VectorCallBool,
)
from .ops_gen import (
    AsyncGenWrap, GetAIter, GetANext, GenThrow, GetAwaitable, GetYieldFromIter, IterSend, IterThrow, ResumeValue, StoreSuspended,
    SuspendTuple,
)
from .types import Type

# The interpreter's activation (interp.Activation; interp imports this module).
Activation = Any
Semantics = Callable[[Activation, Any, list], Any]
SEMANTICS: dict[type[Instr], Semantics] = {}


def semantics(*classes: type[Instr]) -> Callable[[Semantics], Semantics]:
    def register(fn: Semantics) -> Semantics:
        for cls in classes:
            if cls in SEMANTICS:
                raise ValueError(f"semantics of {cls.__name__} registered twice")
            SEMANTICS[cls] = fn
        return fn
    return register


_K = BinaryOpKind
BINARY_FUNCTIONS: dict[BinaryOpKind, Callable[[Any, Any], Any]] = {
    _K.ADD: operator.add, _K.AND: operator.and_, _K.FLOOR_DIVIDE: operator.floordiv,
    _K.LSHIFT: operator.lshift, _K.MATRIX_MULTIPLY: operator.matmul, _K.MULTIPLY: operator.mul,
    _K.REMAINDER: operator.mod, _K.OR: operator.or_, _K.POWER: operator.pow,
    _K.RSHIFT: operator.rshift, _K.SUBTRACT: operator.sub, _K.TRUE_DIVIDE: operator.truediv,
    _K.XOR: operator.xor,
    _K.INPLACE_ADD: operator.iadd, _K.INPLACE_AND: operator.iand,
    _K.INPLACE_FLOOR_DIVIDE: operator.ifloordiv, _K.INPLACE_LSHIFT: operator.ilshift,
    _K.INPLACE_MATRIX_MULTIPLY: operator.imatmul, _K.INPLACE_MULTIPLY: operator.imul,
    _K.INPLACE_REMAINDER: operator.imod, _K.INPLACE_OR: operator.ior,
    _K.INPLACE_POWER: operator.ipow, _K.INPLACE_RSHIFT: operator.irshift,
    _K.INPLACE_SUBTRACT: operator.isub, _K.INPLACE_TRUE_DIVIDE: operator.itruediv,
    _K.INPLACE_XOR: operator.ixor,
}
COMPARE_FUNCTIONS = {CompareKind.LT: operator.lt, CompareKind.LE: operator.le,
                     CompareKind.EQ: operator.eq, CompareKind.NE: operator.ne,
                     CompareKind.GT: operator.gt, CompareKind.GE: operator.ge}
UNARY_FUNCTIONS = {UnaryOpKind.NEGATIVE: operator.neg, UnaryOpKind.POSITIVE: operator.pos,
                   UnaryOpKind.INVERT: operator.invert}
DOUBLE_FUNCTIONS = {DoubleOpKind.ADD: operator.add, DoubleOpKind.SUBTRACT: operator.sub,
                    DoubleOpKind.MULTIPLY: operator.mul}


# -- values and checks -----------------------------------------------------------

semantics(LoadArg)(lambda a, i, v: a.args[i.index])
semantics(LoadConst)(lambda a, i, v: i.value)
semantics(LoadNull)(lambda a, i, v: NULL)
semantics(PrimConst)(lambda a, i, v: i.value)
semantics(IsNull)(lambda a, i, v: v[0] is NULL)
semantics(IsIdentical)(lambda a, i, v: v[0] is v[1])
semantics(IsType)(lambda a, i, v: Type.of_object(v[0]) <= i.type)
semantics(BoolNot)(lambda a, i, v: not v[0])
semantics(BoxBool)(lambda a, i, v: bool(v[0]))
semantics(IsTruthy)(lambda a, i, v: bool(v[0]))
semantics(CheckEvalBreaker)(lambda a, i, v: S.check_eval_breaker())
semantics(KeepAlive)(lambda a, i, v: None)


@semantics(CheckVar)
def _check_var(a: Activation, i: CheckVar, v: list) -> Any:
    if v[0] is NULL:
        raise S.unbound_local(i.name)
    return v[0]


@semantics(RefineType)
def _refine_type(a: Activation, i: RefineType, v: list) -> Any:
    if v[0] is NULL or not Type.of_object(v[0]) <= i.type:
        raise InterpError(f"{a.where(i)}: {v[0]!r} does not have type {i.type}")
    return v[0]


@semantics(UnboxFloat)
def _unbox_float(a: Activation, i: UnboxFloat, v: list) -> float:
    if type(v[0]) is not float:
        raise InterpError(f"{a.where(i)}: {v[0]!r} is not a float")
    return v[0]


semantics(BoxFloat)(lambda a, i, v: float(v[0]))
semantics(DoubleBinaryOp)(lambda a, i, v: DOUBLE_FUNCTIONS[i.kind](v[0], v[1]))

# -- operators ---------------------------------------------------------------------

semantics(BinaryOp)(lambda a, i, v: BINARY_FUNCTIONS[i.kind](v[0], v[1]))
semantics(CompareOp)(lambda a, i, v: COMPARE_FUNCTIONS[i.kind](v[0], v[1]))
semantics(CompareBool)(lambda a, i, v: bool(COMPARE_FUNCTIONS[i.kind](v[0], v[1])))
semantics(UnaryOp)(lambda a, i, v: UNARY_FUNCTIONS[i.kind](v[0]))
semantics(Contains)(lambda a, i, v: v[0] in v[1])

# -- globals and attributes ----------------------------------------------------------

semantics(LoadGlobalCached)(lambda a, i, v: S.load_global(a.globals, a.builtins, i.name))
semantics(StoreGlobal)(lambda a, i, v: S.store_global(a.globals, i.name, v[0]))
semantics(DeleteGlobal)(lambda a, i, v: S.delete_global(a.globals, i.name))
semantics(LoadAttrCached)(lambda a, i, v: getattr(v[0], i.name))
semantics(StoreAttrCached)(lambda a, i, v: setattr(v[0], i.name, v[1]))
semantics(DeleteAttr)(lambda a, i, v: delattr(v[0], i.name))


@semantics(LoadMethodCached)
def _load_method(a: Activation, i: LoadMethodCached, v: list) -> Any:
    meth, a.second[i] = S.get_method(v[0], i.name)
    return meth


@semantics(BeforeWith)
def _before_with(a: Activation, i: BeforeWith, v: list) -> Any:
    exit_, a.second[i] = (S.before_async_with if i.asynchronous else S.before_with)(v[0])
    return exit_


@semantics(GetSecondOutput)
def _second_output(a: Activation, i: GetSecondOutput, v: list) -> Any:
    source = i.operands[0].defn
    if source not in a.second:
        raise InterpError(f"{a.where(i)}: no second output pending")
    return a.second.pop(source)


# -- calls, functions, cells, imports --------------------------------------------------

semantics(VectorCall)(lambda a, i, v: S.call(v[0], v[1:], i.kwnames))
semantics(VectorCallBool)(lambda a, i, v: bool(S.call(v[0], v[1:], i.kwnames)))


@semantics(CallMethod)
def _call_method(a: Activation, i: CallMethod, v: list) -> Any:
    if v[0] is NULL:
        return S.call(v[1], v[2:], i.kwnames)
    return S.call(v[0], v[1:], i.kwnames)


semantics(CallMethodBool)(lambda a, i, v: bool(_call_method(a, i, v)))
semantics(CallEx)(lambda a, i, v: S.call_ex(*v))


@semantics(MakeFunction)
def _make_function(a: Activation, i: MakeFunction, v: list) -> Any:
    parts = dict(zip(i.parts, v[1:]))
    return S.make_function(v[0], a.globals, *(parts.get(p, NULL) for p in
                                              ("defaults", "kwdefaults", "annotations", "closure",
                                               "annotate")))


semantics(MakeCell)(lambda a, i, v: S.make_cell(v[0]))
semantics(LoadBuildClass)(lambda a, i, v: S.load_build_class(a.builtins))
semantics(SuperNoArgs)(lambda a, i, v: S.super_without_arguments(v[0], v[1], i.argcount,
                                                                 i.first_is_cell))
# The interpreter runs in pyjit's own frame: there is no frame to show locals in.
semantics(SyncFrameLocals)(lambda a, i, v: None)
semantics(LoadFreeCell)(lambda a, i, v: a.closure[i.index])
semantics(LoadDeref)(lambda a, i, v: S.load_deref(v[0], i.name, i.is_free))
semantics(StoreDeref)(lambda a, i, v: setattr(v[0], "cell_contents", v[1]))
semantics(DeleteDeref)(lambda a, i, v: S.delete_deref(v[0], i.name, i.is_free))
semantics(ImportName)(lambda a, i, v: S.import_name(i.name, a.globals, a.builtins, v[1], v[0]))
semantics(ImportFrom)(lambda a, i, v: S.import_from(v[0], i.name))

# -- containers ------------------------------------------------------------------------

semantics(MakeTuple)(lambda a, i, v: tuple(v))
semantics(MakeList)(lambda a, i, v: list(v))
semantics(BuildSet)(lambda a, i, v: set(v))
semantics(BuildSlice)(lambda a, i, v: slice(*v))
semantics(BuildString)(lambda a, i, v: "".join(v))
semantics(BuildMap)(lambda a, i, v: S.build_map(v))
semantics(BuildConstKeyMap)(lambda a, i, v: dict(zip(v[0], v[1:])))
semantics(ListToTuple)(lambda a, i, v: tuple(v[0]))
semantics(ListAppend)(lambda a, i, v: v[0].append(v[1]))
semantics(ListExtend)(lambda a, i, v: S.list_extend(v[0], v[1]))
semantics(SetAdd)(lambda a, i, v: v[0].add(v[1]))
semantics(SetUpdate)(lambda a, i, v: v[0].update(v[1]))
semantics(MapAdd)(lambda a, i, v: operator.setitem(v[0], v[1], v[2]))
semantics(DictUpdate)(lambda a, i, v: S.dict_update(v[0], v[1]))
semantics(DictMerge)(lambda a, i, v: S.dict_merge(*v))
semantics(BinarySubscr)(lambda a, i, v: v[0][v[1]])
semantics(StoreSubscr)(lambda a, i, v: operator.setitem(v[0], v[1], v[2]))
semantics(DeleteSubscr)(lambda a, i, v: operator.delitem(v[0], v[1]))
semantics(LoadTupleItem)(lambda a, i, v: v[0][i.index])
semantics(GetIter)(lambda a, i, v: iter(v[0]))
semantics(ForIter)(lambda a, i, v: S.for_iter(v[0]))
semantics(RangeIter)(lambda a, i, v: S.range_iter(*v))
semantics(FormatValue)(lambda a, i, v: S.format_value(
    v[0], v[1] if len(v) > 1 else NULL, S.CONVERSIONS.index(i.conversion)))
semantics(UnpackSequence)(lambda a, i, v: tuple(S.unpack_sequence(v[0], i.count)))
semantics(LoadUnpackedItem)(lambda a, i, v: v[0][i.index])
semantics(UnpackEx)(lambda a, i, v: S.unpack_ex(v[0], i.before, i.after))

# -- exceptions ------------------------------------------------------------------------


@semantics(FetchException)
def _fetch_exception(a: Activation, i: FetchException, v: list) -> BaseException:
    if a.pending is None:
        raise InterpError(f"{a.where(i)}: no exception is pending")
    exc, a.pending = a.pending, None
    return exc


@semantics(PushExcInfo)
def _push_exc_info(a: Activation, i: PushExcInfo, v: list) -> Any:
    prev, a.handled = a.handled, v[0]
    return prev


@semantics(PopExcept)
def _pop_except(a: Activation, i: PopExcept, v: list) -> None:
    a.handled = v[0]


semantics(CheckExcMatch)(lambda a, i, v: S.check_exc_match(v[0], v[1]))
semantics(RaiseException)(lambda a, i, v: S.raise_exception(v[0], v[1] if len(v) > 1 else NULL))


@semantics(Reraise)
def _reraise(a: Activation, i: Reraise, v: list) -> None:
    raise v[0]


semantics(ReraiseCurrent)(lambda a, i, v: S.reraise_current(a.handled))
semantics(WithExceptStart)(lambda a, i, v: S.with_except_start(v[0], v[1]))
semantics(LoadSpecial)(lambda a, i, v: S.load_special(v[0], i.name))


# -- generators and coroutines (ops_gen.py; the body's driver is cpython/genbody.py) ------

semantics(ResumeValue)(lambda a, i, v: v[0][i.index])
semantics(SuspendTuple)(lambda a, i, v: [NULL] * i.size)   # a list: filled in place


@semantics(StoreSuspended)
def _store_suspended(a: Activation, i: StoreSuspended, v: list) -> None:
    v[0][:] = v[1:]


@semantics(GenThrow)
def _gen_throw(a: Activation, i: GenThrow, v: list) -> None:
    raise G.chain_thrown(v[0], a.handled)


@semantics(IterSend)
def _iter_send(a: Activation, i: IterSend, v: list) -> Any:
    done, a.second[i] = G.iter_send(v[0], v[1])
    return done


@semantics(IterThrow)
def _iter_throw(a: Activation, i: IterThrow, v: list) -> Any:
    done, a.second[i] = G.delegate_throw(v[0], v[1], lambda: a.handled)
    return done


semantics(GetAwaitable)(lambda a, i, v: G.get_awaitable(v[0], i.where))
semantics(GetAIter)(lambda a, i, v: G.get_aiter(v[0]))
semantics(GetANext)(lambda a, i, v: G.get_anext(v[0]))
semantics(AsyncGenWrap)(lambda a, i, v: G.async_gen_wrap(v[0]))
semantics(GetYieldFromIter)(lambda a, i, v: G.get_yield_from_iter(v[0], i.coroutine))
