"""3.13's handler table: 3.12's handlers where the opcode means what it
meant in 3.12, and 3.13's own (see the package docstring)."""

from __future__ import annotations

import builtins

from ...cpython import opcodes
from ..builder_311 import HANDLERS as HANDLERS_311
from ..builder_311.handlers_values import COMPARE_KINDS, FORMAT_CONVERSIONS
from ..builder_312 import HANDLERS as HANDLERS_312
from ..bytecode_311 import BcInstr
from ..errors import UnsupportedBytecode
from ..ops_containers import FormatValue
from ..ops_core import BoxBool, LoadConst
from ..ops_numeric import CompareOp
from ..ops_objects import MakeFunction, VectorCall
from .driver import HANDLERS, Builder313

# Opcodes whose 3.13 meaning (stack effect, oparg, semantics) is 3.12's,
# given the call slots in 3.11's order (package docstring).
SHARED_WITH_3_12 = (
    "NOP", "POP_TOP", "COPY", "SWAP", "LOAD_CONST", "LOAD_ASSERTION_ERROR", "LOAD_FAST",
    "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR", "STORE_FAST", "DELETE_FAST", "MAKE_CELL",
    "COPY_FREE_VARS", "LOAD_DEREF", "STORE_DEREF", "DELETE_DEREF", "LOAD_GLOBAL",
    "STORE_GLOBAL", "DELETE_GLOBAL", "LOAD_ATTR", "LOAD_SUPER_ATTR", "STORE_ATTR", "DELETE_ATTR",
    "IMPORT_NAME", "IMPORT_FROM", "BINARY_OP", "UNARY_NEGATIVE", "UNARY_INVERT", "UNARY_NOT",
    "IS_OP", "CONTAINS_OP", "BUILD_TUPLE", "BUILD_LIST", "BUILD_SET", "BUILD_STRING",
    "BUILD_SLICE", "BUILD_MAP", "BUILD_CONST_KEY_MAP", "LIST_APPEND", "SET_ADD", "LIST_EXTEND",
    "SET_UPDATE", "DICT_UPDATE", "MAP_ADD", "DICT_MERGE", "BINARY_SUBSCR", "STORE_SUBSCR",
    "DELETE_SUBSCR", "BINARY_SLICE", "STORE_SLICE", "UNPACK_SEQUENCE", "UNPACK_EX", "CALL",
    "CALL_FUNCTION_EX", "CALL_INTRINSIC_1", "RETURN_VALUE", "RETURN_CONST", "GET_ITER",
    "FOR_ITER", "JUMP_FORWARD", "JUMP_BACKWARD", "POP_JUMP_IF_TRUE", "POP_JUMP_IF_FALSE",
    "POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE", "RAISE_VARARGS", "RERAISE", "PUSH_EXC_INFO",
    "POP_EXCEPT", "CHECK_EXC_MATCH", "BEFORE_WITH", "WITH_EXCEPT_START", "LOAD_BUILD_CLASS",
    # generators and coroutines (builder_311/handlers_gen.py and 3.12's
    # END_SEND and CLEANUP_THROW; YIELD_VALUE reads the location of the
    # RESUME after it through the builder, whose oparg has a bit more)
    "RETURN_GENERATOR", "YIELD_VALUE", "SEND", "END_SEND", "CLEANUP_THROW",
    "GET_YIELD_FROM_ITER", "GET_AWAITABLE", "BEFORE_ASYNC_WITH", "GET_AITER", "GET_ANEXT",
    "END_ASYNC_FOR",
)
for _name in SHARED_WITH_3_12:
    HANDLERS(_name)(HANDLERS_312.handlers[_name])
# A jump without the eval breaker check (3.11's, there in generators only).
HANDLERS("JUMP_BACKWARD_NO_INTERRUPT")(HANDLERS_311.handlers["JUMP_BACKWARD_NO_INTERRUPT"])

_CALL = HANDLERS_312.handlers["CALL"]

# CONVERT_VALUE's oparg -> the builtin it calls when no FORMAT_SIMPLE follows.
_CONVERTERS = {"str": builtins.str, "repr": builtins.repr, "ascii": builtins.ascii}


# -- the call slots, kept in 3.11's order ------------------------------------------

@HANDLERS("PUSH_NULL")
def _push_null(b: Builder313, ins: BcInstr) -> None:
    """3.13 pushes the NULL after the callable: it goes below it."""
    b.state.stack.insert(len(b.state.stack) - 1, b.null())


@HANDLERS("CALL_KW")
def _call_kw(b: Builder313, ins: BcInstr) -> None:
    """CALL with the keyword names (a constant tuple) on top of the stack."""
    names = b.pop().defn
    if not isinstance(names, LoadConst) or type(names.value) is not tuple:
        raise UnsupportedBytecode(b.func.qualname, "CALL_KW (keyword names not a constant)",
                                  ins.lineno, ins.offset)
    b.kwnames = names.value
    _CALL(b, ins)


# -- locals: the superinstructions (two indices, oparg >> 4 first) ------------------

@HANDLERS("LOAD_FAST_LOAD_FAST")
def _load_fast_load_fast(b: Builder313, ins: BcInstr) -> None:
    b.push(b.load_local(ins.arg >> 4))
    b.push(b.load_local(ins.arg & 15))


@HANDLERS("STORE_FAST_LOAD_FAST")
def _store_fast_load_fast(b: Builder313, ins: BcInstr) -> None:
    b.rebind_local(ins.arg >> 4, b.pop())
    b.push(b.load_local(ins.arg & 15))


@HANDLERS("STORE_FAST_STORE_FAST")
def _store_fast_store_fast(b: Builder313, ins: BcInstr) -> None:
    b.rebind_local(ins.arg >> 4, b.pop())
    b.rebind_local(ins.arg & 15, b.pop())


# -- truth and comparisons -----------------------------------------------------------

@HANDLERS("TO_BOOL")
def _to_bool(b: Builder313, ins: BcInstr) -> None:
    value = b.pop()
    b.push(value if isinstance(value.defn, BoxBool) else b.emit(BoxBool([b.truth(value)])))


@HANDLERS("COMPARE_OP")
def _compare_op(b: Builder313, ins: BcInstr) -> None:
    """The operator in oparg >> 5; with bit 4 (16), bool() of the result."""
    right, left = b.pop(), b.pop()
    kind = COMPARE_KINDS[ins.arg >> opcodes.COMPARE_OP_SHIFT]
    result = b.emit(CompareOp([left, right], kind=kind))
    if ins.arg & opcodes.COMPARE_OP_TO_BOOL:
        result = b.emit(BoxBool([b.truth(result)]))
    b.push(result)


# -- f-strings -------------------------------------------------------------------------

@HANDLERS("CONVERT_VALUE")
def _convert_value(b: Builder313, ins: BcInstr) -> None:
    """str(), repr() or ascii() of the value.  Followed by FORMAT_SIMPLE (a
    field without a spec), both are one FormatValue with the conversion;
    otherwise the conversion is the builtin's call, before the spec is
    computed, as the interpreter does it."""
    conversion = FORMAT_CONVERSIONS[ins.arg]
    value = b.pop()
    if b.next_ins is not None and b.next_ins.opname == "FORMAT_SIMPLE":
        b.formatted = b.emit(FormatValue([value], conversion=conversion))
        b.push(b.formatted)
    else:
        b.push(b.emit(VectorCall([b.const(_CONVERTERS[conversion]), value])))


@HANDLERS("FORMAT_SIMPLE")
def _format_simple(b: Builder313, ins: BcInstr) -> None:
    value = b.pop()
    if value is b.formatted:
        b.formatted = None
        b.push(value)
    else:
        b.push(b.emit(FormatValue([value])))


@HANDLERS("FORMAT_WITH_SPEC")
def _format_with_spec(b: Builder313, ins: BcInstr) -> None:
    spec, value = b.pop(), b.pop()
    b.push(b.emit(FormatValue([value, spec])))


# -- functions ---------------------------------------------------------------------------

@HANDLERS("MAKE_FUNCTION")
def _make_function(b: Builder313, ins: BcInstr) -> None:
    """The function with the parts the SET_FUNCTION_ATTRIBUTEs right after
    it set: their values are under the code object, the first one's on
    top.  They are left on the stack for those instructions to pop."""
    code = b.pop()
    sets = b.following("SET_FUNCTION_ATTRIBUTE")
    parts = [(opcodes.FUNCTION_ATTRIBUTES[s.arg], b.state.stack[-1 - k])
             for k, s in enumerate(sets)]
    parts.reverse()                   # MakeFunction's order: defaults ... closure
    b.push(b.emit(MakeFunction([code] + [v for _, v in parts],
                               parts=tuple(name for name, _ in parts))))


@HANDLERS("SET_FUNCTION_ATTRIBUTE")
def _set_function_attribute(b: Builder313, ins: BcInstr) -> None:
    """Done by the MAKE_FUNCTION before it: the value goes."""
    func = b.pop()
    b.pop()
    b.push(func)


# -- loops and the function's start -------------------------------------------------------

@HANDLERS("END_FOR")
def _end_for(b: Builder313, ins: BcInstr) -> None:
    b.pop()


@HANDLERS("RESUME")
def _resume(b: Builder313, ins: BcInstr) -> None:
    """The eval breaker is checked at a function's start and after a yield
    (the location in the oparg's low bits)."""
    if b.resume_location(ins) < opcodes.RESUME_QUIET:
        b.check_eval_breaker()
