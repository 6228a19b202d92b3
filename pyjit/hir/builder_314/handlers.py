"""3.14's handler table: 3.13's handlers where the opcode means what it
meant in 3.13, and 3.14's own (see the package docstring)."""

from __future__ import annotations

import opcode

from ...cpython import opcodes
from ..builder_311.handlers_values import BINARY_OP_KINDS
from ..builder_313 import HANDLERS as HANDLERS_313
from ..bytecode_311 import BcInstr
from ..errors import UnsupportedBytecode
from ..ops_containers import BinarySubscr, MakeTuple
from ..ops_core import LoadConst, LoadNull
from ..ops_exc import LoadSpecial
from ..ops_objects import VectorCall
from .driver import HANDLERS, Builder314

# Opcodes whose 3.14 meaning (stack effect, oparg, semantics) is 3.13's,
# given the call slots in 3.11's order (builder_313's docstring).
SHARED_WITH_3_13 = (
    "NOP", "POP_TOP", "COPY", "SWAP", "LOAD_CONST", "LOAD_FAST", "LOAD_FAST_CHECK",
    "LOAD_FAST_AND_CLEAR", "LOAD_FAST_LOAD_FAST", "STORE_FAST", "STORE_FAST_LOAD_FAST",
    "STORE_FAST_STORE_FAST", "DELETE_FAST", "MAKE_CELL", "COPY_FREE_VARS", "LOAD_DEREF",
    "STORE_DEREF", "DELETE_DEREF", "LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_ATTR",
    "LOAD_SUPER_ATTR", "STORE_ATTR", "DELETE_ATTR", "IMPORT_NAME", "IMPORT_FROM",
    "UNARY_NEGATIVE", "UNARY_INVERT", "UNARY_NOT", "TO_BOOL", "COMPARE_OP", "IS_OP",
    "CONTAINS_OP", "BUILD_TUPLE", "BUILD_LIST", "BUILD_SET", "BUILD_STRING", "BUILD_SLICE",
    "BUILD_MAP", "LIST_APPEND", "SET_ADD", "LIST_EXTEND", "SET_UPDATE", "DICT_UPDATE", "MAP_ADD",
    "DICT_MERGE", "STORE_SUBSCR", "DELETE_SUBSCR", "BINARY_SLICE", "STORE_SLICE",
    "UNPACK_SEQUENCE", "UNPACK_EX", "CALL", "CALL_KW", "CALL_INTRINSIC_1", "MAKE_FUNCTION",
    "SET_FUNCTION_ATTRIBUTE", "CONVERT_VALUE", "FORMAT_SIMPLE", "FORMAT_WITH_SPEC",
    "RETURN_VALUE", "GET_ITER", "FOR_ITER", "END_FOR", "JUMP_FORWARD", "JUMP_BACKWARD",
    "JUMP_BACKWARD_NO_INTERRUPT", "POP_JUMP_IF_TRUE", "POP_JUMP_IF_FALSE", "POP_JUMP_IF_NONE",
    "POP_JUMP_IF_NOT_NONE", "RAISE_VARARGS", "RERAISE", "PUSH_EXC_INFO", "POP_EXCEPT",
    "CHECK_EXC_MATCH", "WITH_EXCEPT_START", "RESUME", "LOAD_BUILD_CLASS",
    # generators and coroutines: 3.13's bytecode but for `async with`, which
    # enters with LOAD_SPECIAL as `with` does (BEFORE_ASYNC_WITH is gone),
    # and END_ASYNC_FOR's oparg, which only monitoring reads (bytecode_311)
    "RETURN_GENERATOR", "YIELD_VALUE", "SEND", "END_SEND", "CLEANUP_THROW",
    "GET_YIELD_FROM_ITER", "GET_AWAITABLE", "GET_AITER", "GET_ANEXT", "END_ASYNC_FOR",
)
_313 = HANDLERS_313.handlers
for _name in SHARED_WITH_3_13:
    HANDLERS(_name)(_313[_name])

# -- what 3.14 renamed or split off: the same handler ----------------------------------
HANDLERS("LOAD_FAST_BORROW")(_313["LOAD_FAST"])          # borrowing is the refcount pass's
HANDLERS("LOAD_FAST_BORROW_LOAD_FAST_BORROW")(_313["LOAD_FAST_LOAD_FAST"])
HANDLERS("NOT_TAKEN")(_313["NOP"])
HANDLERS("POP_ITER")(_313["POP_TOP"])

_BINARY_OP = _313["BINARY_OP"]
_PUSH_NULL = _313["PUSH_NULL"]
_CALL_FUNCTION_EX = _313["CALL_FUNCTION_EX"]
_SUBSCR = opcodes.BINARY_OPS.index("SUBSCR")
assert BINARY_OP_KINDS[_SUBSCR] is None


# -- constants ----------------------------------------------------------------------------

@HANDLERS("LOAD_SMALL_INT")
def _load_small_int(b: Builder314, ins: BcInstr) -> None:
    b.push(b.const(ins.arg))


@HANDLERS("LOAD_COMMON_CONSTANT")
def _load_common_constant(b: Builder314, ins: BcInstr) -> None:
    """AssertionError, NotImplementedError, tuple, all, any: the
    interpreter's own objects (rebinding the builtin changes nothing)."""
    b.push(b.const(opcode._common_constants[ins.arg]))


# -- operators ------------------------------------------------------------------------------

@HANDLERS("BINARY_OP")
def _binary_op(b: Builder314, ins: BcInstr) -> None:
    """container[key] is BINARY_OP's SUBSCR; the operators are 3.13's."""
    if ins.arg == _SUBSCR:
        key, container = b.pop(), b.pop()
        b.push(b.emit(BinarySubscr([container, key])))
    else:
        _BINARY_OP(b, ins)


# -- calls ----------------------------------------------------------------------------------

@HANDLERS("PUSH_NULL")
def _push_null(b: Builder314, ins: BcInstr) -> None:
    """3.13's (a call's NULL goes below the callable on top), except for
    CALL_FUNCTION_EX's missing keyword mapping, pushed right before it."""
    if b.next_ins is not None and b.next_ins.opname == "CALL_FUNCTION_EX":
        b.push(b.null())
    else:
        _PUSH_NULL(b, ins)


@HANDLERS("CALL_FUNCTION_EX")
def _call_function_ex(b: Builder314, ins: BcInstr) -> None:
    """The keyword mapping is always there, NULL when the call has none:
    3.13's handler with the oparg it would have had."""
    kwargs = b.state.stack[-1]
    if isinstance(kwargs.defn, LoadNull):
        b.pop()
        _CALL_FUNCTION_EX(b, _with_arg(ins, 0))
    else:
        _CALL_FUNCTION_EX(b, _with_arg(ins, 1))


def _with_arg(ins: BcInstr, arg: int) -> BcInstr:
    return BcInstr(ins.offset, ins.opname, ins.opcode, arg, ins.next_offset, ins.lineno,
                   ins.jump_target)


# -- with ---------------------------------------------------------------------------------------

@HANDLERS("LOAD_SPECIAL")
def _load_special(b: Builder314, ins: BcInstr) -> None:
    """The method bound to the manager, NULL in the self slot: the two
    slots in 3.11's order (package docstring)."""
    name = opcode._special_method_names[ins.arg] if ins.arg < len(
        opcode._special_method_names) else None
    if name is None:
        raise UnsupportedBytecode(b.func.qualname, f"LOAD_SPECIAL {ins.arg}", ins.lineno,
                                  ins.offset)
    method = b.emit(LoadSpecial([b.pop()], name=name))
    b.push(b.null())
    b.push(method)


# -- template strings ------------------------------------------------------------------------

# BUILD_INTERPOLATION's conversion (oparg >> 2) -> Interpolation's conversion.
_CONVERSIONS = {"": None, "str": "s", "repr": "r", "ascii": "a"}


@HANDLERS("BUILD_INTERPOLATION")
def _build_interpolation(b: Builder314, ins: BcInstr) -> None:
    """Interpolation(value, expression, conversion, format_spec): the
    value, its source text and (oparg bit 0) the spec on the stack, the
    conversion in oparg >> 2."""
    spec = b.pop() if ins.arg & 1 else b.const("")
    expression, value = b.pop(), b.pop()
    conversion = _CONVERSIONS[opcodes.FORMAT_CONVERSIONS[ins.arg >> 2]]
    b.push(b.emit(VectorCall([b.const(_templatelib().Interpolation), value, expression,
                              b.const(conversion), spec])))


@HANDLERS("BUILD_TEMPLATE")
def _build_template(b: Builder314, ins: BcInstr) -> None:
    """Template(s0, i0, s1, ..., sn) from the strings (a constant tuple) and
    the interpolations (a tuple the function builds): the constructor puts
    the strings and the interpolations back apart as they were.  Other
    shapes are refused."""
    interpolations, strings = b.pop(), b.pop()
    items = _items(interpolations)
    if not (isinstance(strings.defn, LoadConst) and type(strings.defn.value) is tuple
            and items is not None and len(strings.defn.value) == len(items) + 1):
        raise UnsupportedBytecode(b.func.qualname, "BUILD_TEMPLATE (strings or interpolations "
                                  "not built in the function)", ins.lineno, ins.offset)
    parts = [b.const(strings.defn.value[0])]
    for text, item in zip(strings.defn.value[1:], items):
        parts += [item, b.const(text)]
    b.push(b.emit(VectorCall([b.const(_templatelib().Template)] + parts)))


def _items(tup) -> list | None:
    """The items of a tuple the function builds (MakeTuple) or the empty
    constant one; None for any other."""
    if isinstance(tup.defn, MakeTuple):
        return list(tup.defn.operands)
    if isinstance(tup.defn, LoadConst) and tup.defn.value == () and type(tup.defn.value) is tuple:
        return []
    return None


def _templatelib():
    import string.templatelib as templatelib   # noqa: PLC0415  (3.14's, where t-strings exist)
    return templatelib
