"""What each HIR op does, in Python, for the interpreter (``interp.py``).

``SEMANTICS`` maps op class -> ``fn(activation, instr, operand_values)``
returning the result; a Python exception raised by ``fn`` is the op
raising.  Control flow, phis and reference counting are the interpreter
core's (``interp.CORE_OPS``).  Error messages follow CPython 3.11's.
"""

from __future__ import annotations

import operator
import sys
import types
from typing import Any, Callable

from .interp import NULL, Activation, InterpError
from .ir import Instr
from .ops_containers import (
    BinarySubscr, BuildConstKeyMap, BuildMap, BuildSet, BuildSlice, BuildString,
    DeleteSubscr, DictMerge, DictUpdate, FormatValue, ForIter, GetIter, ListAppend,
    ListExtend, ListToTuple, LoadTupleItem, MakeList, MakeTuple, MapAdd, RangeIter,
    SetAdd, SetUpdate, StoreSubscr, UnpackEx, UnpackSequence,
)
from .ops_core import (
    BoolNot, BoxBool, BoxFloat, CheckVar, IsIdentical, IsNull, IsTruthy, IsType,
    LoadArg, LoadConst, LoadNull, PrimConst, RefineType, UnboxFloat,
)
from .ops_exc import (
    BeforeWith, CheckExcMatch, FetchException, PopExcept, PushExcInfo, RaiseException,
    Reraise, ReraiseCurrent, WithExceptStart,
)
from .ops_numeric import (
    BinaryOp, BinaryOpKind, CompareKind, CompareOp, Contains, DoubleBinaryOp, DoubleOpKind,
    UnaryOp, UnaryOpKind,
)
from .ops_objects import (
    CallEx, CallMethod, DeleteAttr, DeleteDeref, DeleteGlobal, GetSecondOutput,
    ImportFrom, ImportName, LoadAttrCached, LoadDeref, LoadFreeCell, LoadGlobalCached,
    LoadMethodCached, MakeCell, MakeFunction, StoreAttrCached, StoreDeref, StoreGlobal,
    VectorCall,
)
from .types import Type

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
CONVERSIONS: dict[str, Callable[[Any], str]] = {"": lambda v: v, "str": str, "repr": repr,
                                                "ascii": ascii}
# Types whose instances _PyObject_GetMethod treats as plain methods.
METHOD_DESCRIPTORS = (types.FunctionType, types.MethodDescriptorType)


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


@semantics(CheckVar)
def _check_var(a: Activation, i: CheckVar, v: list) -> Any:
    if v[0] is NULL:
        raise UnboundLocalError(f"cannot access local variable '{i.name}' where it is not "
                                "associated with a value")
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
semantics(UnaryOp)(lambda a, i, v: UNARY_FUNCTIONS[i.kind](v[0]))
semantics(Contains)(lambda a, i, v: v[0] in v[1])

# -- globals and attributes ----------------------------------------------------------


@semantics(LoadGlobalCached)
def _load_global(a: Activation, i: LoadGlobalCached, v: list) -> Any:
    if i.name in a.globals:
        return a.globals[i.name]
    if i.name in a.builtins:
        return a.builtins[i.name]
    raise NameError(f"name '{i.name}' is not defined", name=i.name)


@semantics(StoreGlobal)
def _store_global(a: Activation, i: StoreGlobal, v: list) -> None:
    a.globals[i.name] = v[0]


@semantics(DeleteGlobal)
def _delete_global(a: Activation, i: DeleteGlobal, v: list) -> None:
    if i.name not in a.globals:
        raise NameError(f"name '{i.name}' is not defined", name=i.name)
    del a.globals[i.name]


semantics(LoadAttrCached)(lambda a, i, v: getattr(v[0], i.name))
semantics(StoreAttrCached)(lambda a, i, v: setattr(v[0], i.name, v[1]))
semantics(DeleteAttr)(lambda a, i, v: delattr(v[0], i.name))


def get_method(obj: Any, name: str) -> tuple[Any, Any]:
    """``_PyObject_GetMethod``: (unbound method, obj) or (NULL, attribute)."""
    tp = type(obj)
    if tp.__getattribute__ is object.__getattribute__ and not hasattr(tp, "__getattr__"):
        descr = next((k.__dict__[name] for k in tp.__mro__ if name in k.__dict__), None)
        if isinstance(descr, METHOD_DESCRIPTORS):
            try:
                instance_dict = vars(obj)
            except TypeError:
                instance_dict = {}
            if name not in instance_dict:
                return descr, obj
    return NULL, getattr(obj, name)


@semantics(LoadMethodCached)
def _load_method(a: Activation, i: LoadMethodCached, v: list) -> Any:
    meth, second = get_method(v[0], i.name)
    a.second[i] = second
    return meth


@semantics(BeforeWith)
def _before_with(a: Activation, i: BeforeWith, v: list) -> Any:
    mgr = v[0]
    enter = lookup_special(mgr, "__enter__")
    if enter is NULL:
        raise TypeError(f"'{type(mgr).__name__}' object does not support the context manager protocol")
    exit_ = lookup_special(mgr, "__exit__")
    if exit_ is NULL:
        raise TypeError(f"'{type(mgr).__name__}' object does not support the context manager "
                        "protocol (missed __exit__ method)")
    a.second[i] = enter()
    return exit_


@semantics(GetSecondOutput)
def _second_output(a: Activation, i: GetSecondOutput, v: list) -> Any:
    source = i.operands[0].defn
    if source not in a.second:
        raise InterpError(f"{a.where(i)}: no second output pending")
    return a.second.pop(source)


def lookup_special(obj: Any, name: str) -> Any:
    """``_PyObject_LookupSpecial``: the attribute found on the type, bound."""
    for klass in type(obj).__mro__:
        if name in klass.__dict__:
            attr = klass.__dict__[name]
            get = getattr(type(attr), "__get__", None)
            return get(attr, obj, type(obj)) if get is not None else attr
    return NULL


# -- calls, functions, cells, imports --------------------------------------------------


def call(callable_: Any, args: list, kwnames: tuple[str, ...]) -> Any:
    if not kwnames:
        return callable_(*args)
    split = len(args) - len(kwnames)
    return callable_(*args[:split], **dict(zip(kwnames, args[split:])))


semantics(VectorCall)(lambda a, i, v: call(v[0], v[1:], i.kwnames))


@semantics(CallMethod)
def _call_method(a: Activation, i: CallMethod, v: list) -> Any:
    if v[0] is NULL:
        return call(v[1], v[2:], i.kwnames)
    return call(v[0], v[1:], i.kwnames)


@semantics(CallEx)
def _call_ex(a: Activation, i: CallEx, v: list) -> Any:
    kwargs = v[2] if len(v) > 2 else {}
    return v[0](*v[1], **kwargs)


@semantics(MakeFunction)
def _make_function(a: Activation, i: MakeFunction, v: list) -> Any:
    parts = dict(zip(i.parts, v[1:]))
    fn = types.FunctionType(v[0], a.globals, None, parts.get("defaults"), parts.get("closure"))
    if "kwdefaults" in parts:
        fn.__kwdefaults__ = parts["kwdefaults"]
    if "annotations" in parts:
        ann = parts["annotations"]
        fn.__annotations__ = dict(zip(ann[::2], ann[1::2])) if isinstance(ann, tuple) else ann
    return fn


semantics(MakeCell)(lambda a, i, v: types.CellType() if v[0] is NULL else types.CellType(v[0]))
semantics(LoadFreeCell)(lambda a, i, v: a.closure[i.index])


def _unbound_deref(name: str, is_free: bool) -> Exception:
    if is_free:
        return NameError(f"cannot access free variable '{name}' where it is not associated "
                         "with a value in enclosing scope", name=name)
    return UnboundLocalError(f"cannot access local variable '{name}' where it is not "
                             "associated with a value")


@semantics(LoadDeref)
def _load_deref(a: Activation, i: LoadDeref, v: list) -> Any:
    try:
        return v[0].cell_contents
    except ValueError:
        raise _unbound_deref(i.name, i.is_free) from None


@semantics(StoreDeref)
def _store_deref(a: Activation, i: StoreDeref, v: list) -> None:
    v[0].cell_contents = v[1]


@semantics(DeleteDeref)
def _delete_deref(a: Activation, i: DeleteDeref, v: list) -> None:
    try:
        del v[0].cell_contents
    except ValueError:
        raise _unbound_deref(i.name, i.is_free) from None


@semantics(ImportName)
def _import_name(a: Activation, i: ImportName, v: list) -> Any:
    level, fromlist = v
    return a.builtins["__import__"](i.name, a.globals, None, fromlist, level)


@semantics(ImportFrom)
def _import_from(a: Activation, i: ImportFrom, v: list) -> Any:
    module = v[0]
    try:
        return getattr(module, i.name)
    except AttributeError:
        pkg = getattr(module, "__name__", None)
        if isinstance(pkg, str) and f"{pkg}.{i.name}" in sys.modules:
            return sys.modules[f"{pkg}.{i.name}"]
        raise ImportError(f"cannot import name '{i.name}' from '{pkg}'", name=pkg) from None


# -- containers ------------------------------------------------------------------------

semantics(MakeTuple)(lambda a, i, v: tuple(v))
semantics(MakeList)(lambda a, i, v: list(v))
semantics(BuildSet)(lambda a, i, v: set(v))
semantics(BuildSlice)(lambda a, i, v: slice(*v))
semantics(BuildString)(lambda a, i, v: "".join(v))
semantics(ListToTuple)(lambda a, i, v: tuple(v[0]))
semantics(ListAppend)(lambda a, i, v: v[0].append(v[1]))
semantics(SetAdd)(lambda a, i, v: v[0].add(v[1]))
semantics(SetUpdate)(lambda a, i, v: v[0].update(v[1]))
semantics(BinarySubscr)(lambda a, i, v: v[0][v[1]])
semantics(StoreSubscr)(lambda a, i, v: operator.setitem(v[0], v[1], v[2]))
semantics(DeleteSubscr)(lambda a, i, v: operator.delitem(v[0], v[1]))
semantics(LoadTupleItem)(lambda a, i, v: v[0][i.index])
semantics(GetIter)(lambda a, i, v: iter(v[0]))
semantics(ForIter)(lambda a, i, v: next(v[0], NULL))
semantics(RangeIter)(lambda a, i, v: iter(range(*v)))
semantics(BuildConstKeyMap)(lambda a, i, v: dict(zip(v[0], v[1:])))


@semantics(BuildMap)
def _build_map(a: Activation, i: BuildMap, v: list) -> dict:
    result = {}
    for k in range(0, len(v), 2):
        result[v[k]] = v[k + 1]
    return result


@semantics(MapAdd)
def _map_add(a: Activation, i: MapAdd, v: list) -> None:
    v[0][v[1]] = v[2]


def _iterable(obj: Any) -> bool:
    return hasattr(type(obj), "__iter__") or hasattr(type(obj), "__getitem__")


@semantics(ListExtend)
def _list_extend(a: Activation, i: ListExtend, v: list) -> None:
    if not _iterable(v[1]):
        raise TypeError(f"Value after * must be an iterable, not {type(v[1]).__name__}")
    v[0].extend(v[1])


@semantics(DictUpdate)
def _dict_update(a: Activation, i: DictUpdate, v: list) -> None:
    if not hasattr(v[1], "keys"):
        raise TypeError(f"'{type(v[1]).__name__}' object is not a mapping")
    v[0].update(v[1])


@semantics(DictMerge)
def _dict_merge(a: Activation, i: DictMerge, v: list) -> None:
    target, other, func = v
    name = f"{getattr(func, '__qualname__', type(func).__name__)}()"
    if not hasattr(other, "keys"):
        raise TypeError(f"{name} argument after ** must be a mapping, not {type(other).__name__}")
    for key in other.keys():
        if key in target:
            raise TypeError(f"{name} got multiple values for keyword argument '{key}'")
        target[key] = other[key]


@semantics(FormatValue)
def _format_value(a: Activation, i: FormatValue, v: list) -> str:
    value = CONVERSIONS[i.conversion](v[0])
    return format(value, v[1] if len(v) > 1 else "")


def _iterate_for_unpack(seq: Any) -> Any:
    try:
        return iter(seq)
    except TypeError:
        raise TypeError(f"cannot unpack non-iterable {type(seq).__name__} object") from None


@semantics(UnpackSequence)
def _unpack_sequence(a: Activation, i: UnpackSequence, v: list) -> tuple:
    it = _iterate_for_unpack(v[0])
    items = []
    for got in range(i.count):
        item = next(it, NULL)
        if item is NULL:
            raise ValueError(f"not enough values to unpack (expected {i.count}, got {got})")
        items.append(item)
    if next(it, NULL) is not NULL:
        raise ValueError(f"too many values to unpack (expected {i.count})")
    return tuple(items)


@semantics(UnpackEx)
def _unpack_ex(a: Activation, i: UnpackEx, v: list) -> tuple:
    items = list(_iterate_for_unpack(v[0]))
    need = i.before + i.after
    if len(items) < need:
        raise ValueError(f"not enough values to unpack (expected at least {need}, got {len(items)})")
    end = len(items) - i.after
    return tuple(items[:i.before]) + (items[i.before:end],) + tuple(items[end:])


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


def _is_exception_class(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseException)


@semantics(CheckExcMatch)
def _check_exc_match(a: Activation, i: CheckExcMatch, v: list) -> bool:
    exc, match = v
    classes = match if isinstance(match, tuple) else (match,)
    if not all(_is_exception_class(c) for c in classes):
        raise TypeError("catching classes that do not inherit from BaseException is not allowed")
    return isinstance(exc, match)


def _instantiate(obj: Any, what: str) -> BaseException:
    if _is_exception_class(obj):
        value = obj()
        if not isinstance(value, BaseException):
            raise TypeError(f"calling {obj!r} should have returned an instance of BaseException, "
                            f"not {type(value).__name__}")
        return value
    if isinstance(obj, BaseException):
        return obj
    raise TypeError(f"exceptions must derive from BaseException" if what == "exc"
                    else "exception causes must derive from BaseException")


@semantics(RaiseException)
def _raise(a: Activation, i: RaiseException, v: list) -> None:
    exc = _instantiate(v[0], "exc")
    if len(v) == 1:
        raise exc
    cause = None if v[1] is None else _instantiate(v[1], "cause")
    raise exc from cause


@semantics(Reraise)
def _reraise(a: Activation, i: Reraise, v: list) -> None:
    raise v[0]


@semantics(ReraiseCurrent)
def _reraise_current(a: Activation, i: ReraiseCurrent, v: list) -> None:
    if a.handled is None:
        raise RuntimeError("No active exception to reraise")
    raise a.handled


@semantics(WithExceptStart)
def _with_except_start(a: Activation, i: WithExceptStart, v: list) -> Any:
    exit_, exc = v
    return exit_(type(exc), exc, exc.__traceback__)
