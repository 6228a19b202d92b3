"""3.11 opcode handlers: stack, locals, constants, globals, attributes,
imports, operators and containers."""

from __future__ import annotations

from ...cpython import opcodes
from ..bytecode_311 import BcInstr
from ..ir import Instr, Value
from ..ops_containers import (
    BinarySubscr, BuildConstKeyMap, BuildMap, BuildSet, BuildSlice, BuildString,
    DeleteSubscr, DictMerge, DictUpdate, FormatValue, ListAppend, ListExtend, ListToTuple,
    LoadTupleItem, LoadUnpackedItem, MakeList, MakeTuple, MapAdd, SetAdd, SetUpdate, StoreSubscr,
    UnpackEx, UnpackSequence,
)
from ..ops_core import BoolNot, BoxBool, IsIdentical
from ..ops_numeric import BinaryOp, BinaryOpKind, CompareKind, CompareOp, Contains, UnaryOp, UnaryOpKind
from ..ops_objects import (
    DeleteAttr, DeleteDeref, DeleteGlobal, ImportFrom, ImportName, LoadAttrCached, LoadDeref,
    LoadFreeCell, LoadGlobalCached, MakeCell, StoreAttrCached, StoreDeref, StoreGlobal,
)
from .driver import HANDLERS, Builder311

# BINARY_OP's and COMPARE_OP's opargs index the version's tables (None for
# an oparg that is no operator: 3.14's SUBSCR, which its builder handles).
BINARY_OP_KINDS: tuple[BinaryOpKind | None, ...] = tuple(BinaryOpKind.__members__.get(name)
                                                         for name in opcodes.BINARY_OPS)
COMPARE_KINDS: tuple[CompareKind, ...] = tuple(
    next(kind for kind in CompareKind if kind.symbol == symbol) for symbol in opcodes.COMPARE_OPS)
UNARY_KINDS = {"UNARY_NEGATIVE": UnaryOpKind.NEGATIVE, "UNARY_POSITIVE": UnaryOpKind.POSITIVE,
               "UNARY_INVERT": UnaryOpKind.INVERT}
FORMAT_CONVERSIONS = opcodes.FORMAT_CONVERSIONS  # FORMAT_VALUE's oparg & 3
BUILD_OPS: dict[str, type[Instr]] = {"BUILD_TUPLE": MakeTuple, "BUILD_LIST": MakeList,
                                     "BUILD_SET": BuildSet, "BUILD_STRING": BuildString,
                                     "BUILD_SLICE": BuildSlice}
ADD_TO_OPS: dict[str, type[Instr]] = {"LIST_APPEND": ListAppend, "SET_ADD": SetAdd,
                                      "LIST_EXTEND": ListExtend, "SET_UPDATE": SetUpdate,
                                      "DICT_UPDATE": DictUpdate}

# -- handlers: stack, locals and constants ---------------------------------------


@HANDLERS("NOP", "PRECALL")
def _no_effect(b: Builder311, ins: BcInstr) -> None:
    pass


@HANDLERS("POP_TOP")
def _pop_top(b: Builder311, ins: BcInstr) -> None:
    b.pop()


@HANDLERS("PUSH_NULL")
def _push_null(b: Builder311, ins: BcInstr) -> None:
    b.push(b.null())


@HANDLERS("COPY")
def _copy(b: Builder311, ins: BcInstr) -> None:
    b.push(b.state.stack[-ins.arg])


@HANDLERS("SWAP")
def _swap(b: Builder311, ins: BcInstr) -> None:
    s = b.state.stack
    s[-1], s[-ins.arg] = s[-ins.arg], s[-1]


@HANDLERS("LOAD_CONST")
def _load_const(b: Builder311, ins: BcInstr) -> None:
    b.push(b.const(b.code.co_consts[ins.arg]))


@HANDLERS("LOAD_ASSERTION_ERROR")
def _load_assertion_error(b: Builder311, ins: BcInstr) -> None:
    b.push(b.const(AssertionError))


@HANDLERS("LOAD_FAST")
def _load_fast(b: Builder311, ins: BcInstr) -> None:
    b.push(b.load_local(ins.arg))


@HANDLERS("STORE_FAST")
def _store_fast(b: Builder311, ins: BcInstr) -> None:
    b.rebind_local(ins.arg, b.pop())


@HANDLERS("DELETE_FAST")
def _delete_fast(b: Builder311, ins: BcInstr) -> None:
    b.load_local(ins.arg)
    b.rebind_local(ins.arg, b.null())


@HANDLERS("MAKE_CELL")
def _make_cell(b: Builder311, ins: BcInstr) -> None:
    b.state.locals[ins.arg] = b.emit(MakeCell([b.state.locals[ins.arg]]))


@HANDLERS("COPY_FREE_VARS")
def _copy_free_vars(b: Builder311, ins: BcInstr) -> None:
    first = len(b.names) - ins.arg
    for j in range(ins.arg):
        b.state.locals[first + j] = b.emit(LoadFreeCell([], index=j, name=b.names[first + j]))


@HANDLERS("LOAD_CLOSURE")
def _load_closure(b: Builder311, ins: BcInstr) -> None:
    b.push(b.state.locals[ins.arg])


@HANDLERS("LOAD_DEREF")
def _load_deref(b: Builder311, ins: BcInstr) -> None:
    cell = b.state.locals[ins.arg]
    b.push(b.emit(LoadDeref([cell], name=b.names[ins.arg], is_free=b.is_free(ins.arg))))


@HANDLERS("STORE_DEREF")
def _store_deref(b: Builder311, ins: BcInstr) -> None:
    b.emit(StoreDeref([b.state.locals[ins.arg], b.pop()], name=b.names[ins.arg]))


@HANDLERS("DELETE_DEREF")
def _delete_deref(b: Builder311, ins: BcInstr) -> None:
    b.emit(DeleteDeref([b.state.locals[ins.arg]], name=b.names[ins.arg], is_free=b.is_free(ins.arg)))


# -- globals, attributes, imports ----------------------------------------------


@HANDLERS("LOAD_GLOBAL")
def _load_global(b: Builder311, ins: BcInstr) -> None:
    if ins.arg & 1:
        b.push(b.null())
    b.push(b.emit(LoadGlobalCached([], name=b.code.co_names[ins.arg >> 1])))


@HANDLERS("STORE_GLOBAL")
def _store_global(b: Builder311, ins: BcInstr) -> None:
    b.emit(StoreGlobal([b.pop()], name=b.code.co_names[ins.arg]))


@HANDLERS("DELETE_GLOBAL")
def _delete_global(b: Builder311, ins: BcInstr) -> None:
    b.emit(DeleteGlobal([], name=b.code.co_names[ins.arg]))


@HANDLERS("LOAD_ATTR")
def _load_attr(b: Builder311, ins: BcInstr) -> None:
    b.push(b.emit(LoadAttrCached([b.pop()], name=b.code.co_names[ins.arg])))


@HANDLERS("STORE_ATTR")
def _store_attr(b: Builder311, ins: BcInstr) -> None:
    obj = b.pop()
    b.emit(StoreAttrCached([obj, b.pop()], name=b.code.co_names[ins.arg]))


@HANDLERS("DELETE_ATTR")
def _delete_attr(b: Builder311, ins: BcInstr) -> None:
    b.emit(DeleteAttr([b.pop()], name=b.code.co_names[ins.arg]))


@HANDLERS("IMPORT_NAME")
def _import_name(b: Builder311, ins: BcInstr) -> None:
    fromlist = b.pop()
    level = b.pop()
    b.push(b.emit(ImportName([level, fromlist], name=b.code.co_names[ins.arg])))


@HANDLERS("IMPORT_FROM")
def _import_from(b: Builder311, ins: BcInstr) -> None:
    b.push(b.emit(ImportFrom([b.state.stack[-1]], name=b.code.co_names[ins.arg])))


# -- operators -----------------------------------------------------------------


@HANDLERS("BINARY_OP")
def _binary_op(b: Builder311, ins: BcInstr) -> None:
    right, left = b.pop(), b.pop()
    b.push(b.emit(BinaryOp([left, right], kind=BINARY_OP_KINDS[ins.arg])))


@HANDLERS("COMPARE_OP")
def _compare_op(b: Builder311, ins: BcInstr) -> None:
    right, left = b.pop(), b.pop()
    b.push(b.emit(CompareOp([left, right], kind=COMPARE_KINDS[ins.arg >> opcodes.COMPARE_OP_SHIFT])))


@HANDLERS("UNARY_NEGATIVE", "UNARY_POSITIVE", "UNARY_INVERT")
def _unary(b: Builder311, ins: BcInstr) -> None:
    b.push(b.emit(UnaryOp([b.pop()], kind=UNARY_KINDS[ins.opname])))


@HANDLERS("UNARY_NOT")
def _unary_not(b: Builder311, ins: BcInstr) -> None:
    b.push(b.emit(BoxBool([b.emit(BoolNot([b.truth(b.pop())]))])))


def push_bool(b: Builder311, cond: Value, invert: bool) -> None:
    if invert:
        cond = b.emit(BoolNot([cond]))
    b.push(b.emit(BoxBool([cond])))


@HANDLERS("IS_OP")
def _is_op(b: Builder311, ins: BcInstr) -> None:
    right, left = b.pop(), b.pop()
    push_bool(b, b.emit(IsIdentical([left, right])), bool(ins.arg))


@HANDLERS("CONTAINS_OP")
def _contains_op(b: Builder311, ins: BcInstr) -> None:
    container, item = b.pop(), b.pop()
    push_bool(b, b.emit(Contains([item, container])), bool(ins.arg))


# -- containers ----------------------------------------------------------------


@HANDLERS(*BUILD_OPS)
def _build(b: Builder311, ins: BcInstr) -> None:
    b.push(b.emit(BUILD_OPS[ins.opname](b.popn(ins.arg))))


@HANDLERS("BUILD_MAP")
def _build_map(b: Builder311, ins: BcInstr) -> None:
    b.push(b.emit(BuildMap(b.popn(2 * ins.arg))))


@HANDLERS("BUILD_CONST_KEY_MAP")
def _build_const_key_map(b: Builder311, ins: BcInstr) -> None:
    keys = b.pop()
    b.push(b.emit(BuildConstKeyMap([keys] + b.popn(ins.arg))))


@HANDLERS(*ADD_TO_OPS)
def _add_to(b: Builder311, ins: BcInstr) -> None:
    item = b.pop()
    b.emit(ADD_TO_OPS[ins.opname]([b.state.stack[-ins.arg], item]))


@HANDLERS("MAP_ADD")
def _map_add(b: Builder311, ins: BcInstr) -> None:
    value, key = b.pop(), b.pop()
    b.emit(MapAdd([b.state.stack[-ins.arg], key, value]))


@HANDLERS("DICT_MERGE")
def _dict_merge(b: Builder311, ins: BcInstr) -> None:
    other = b.pop()
    stack = b.state.stack
    b.emit(DictMerge([stack[-ins.arg], other, stack[-ins.arg - 2]]))


@HANDLERS("LIST_TO_TUPLE")
def _list_to_tuple(b: Builder311, ins: BcInstr) -> None:
    b.push(b.emit(ListToTuple([b.pop()])))


@HANDLERS("FORMAT_VALUE")
def _format_value(b: Builder311, ins: BcInstr) -> None:
    spec = [b.pop()] if ins.arg & 4 else []
    value = b.pop()
    b.push(b.emit(FormatValue([value] + spec, conversion=FORMAT_CONVERSIONS[ins.arg & 3])))


@HANDLERS("BINARY_SUBSCR")
def _binary_subscr(b: Builder311, ins: BcInstr) -> None:
    key, container = b.pop(), b.pop()
    b.push(b.emit(BinarySubscr([container, key])))


@HANDLERS("STORE_SUBSCR")
def _store_subscr(b: Builder311, ins: BcInstr) -> None:
    key, container, value = b.pop(), b.pop(), b.pop()
    b.emit(StoreSubscr([container, key, value]))


@HANDLERS("DELETE_SUBSCR")
def _delete_subscr(b: Builder311, ins: BcInstr) -> None:
    key, container = b.pop(), b.pop()
    b.emit(DeleteSubscr([container, key]))


def _push_items(b: Builder311, tup: Value, count: int, load=LoadTupleItem) -> None:
    items = [b.emit(load([tup], index=i)) for i in range(count)]
    for item in reversed(items):
        b.push(item)


@HANDLERS("UNPACK_SEQUENCE")
def _unpack_sequence(b: Builder311, ins: BcInstr) -> None:
    _push_items(b, b.emit(UnpackSequence([b.pop()], count=ins.arg)), ins.arg, LoadUnpackedItem)


@HANDLERS("UNPACK_EX")
def _unpack_ex(b: Builder311, ins: BcInstr) -> None:
    before, after = ins.arg & 0xFF, ins.arg >> 8
    _push_items(b, b.emit(UnpackEx([b.pop()], before=before, after=after)), before + 1 + after)


