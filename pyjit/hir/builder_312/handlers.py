"""3.12's handler table: 3.11's handlers where the opcode means what it
meant in 3.11, and 3.12's own (see the package docstring)."""

from __future__ import annotations

from ...cpython import opcodes
from ..builder_311 import HANDLERS as HANDLERS_311
from ..builder_311.handlers_flow import for_iter, return_value, super_without_arguments
from ..builder_311.handlers_gen import async_gen_wrap
from ..bytecode_311 import BcInstr
from ..errors import UnsupportedBytecode
from ..ops_containers import BinarySubscr, BuildSlice, ListToTuple, StoreSubscr
from ..ops_core import IsIdentical
from ..ops_numeric import UnaryOp, UnaryOpKind
from ..ops_objects import GetSecondOutput, LoadAttrCached, LoadMethodCached, VectorCall
from .driver import HANDLERS, Builder312

# Opcodes whose 3.12 meaning (stack effect, oparg, semantics) is 3.11's.
SHARED_WITH_3_11 = (
    "NOP", "POP_TOP", "PUSH_NULL", "COPY", "SWAP", "LOAD_CONST", "LOAD_ASSERTION_ERROR",
    "LOAD_FAST", "STORE_FAST", "DELETE_FAST", "MAKE_CELL", "COPY_FREE_VARS", "LOAD_CLOSURE",
    "LOAD_DEREF", "STORE_DEREF", "DELETE_DEREF", "LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL",
    "STORE_ATTR", "DELETE_ATTR", "IMPORT_NAME", "IMPORT_FROM", "BINARY_OP", "COMPARE_OP",
    "UNARY_NEGATIVE", "UNARY_INVERT", "UNARY_NOT", "IS_OP", "CONTAINS_OP", "BUILD_TUPLE",
    "BUILD_LIST", "BUILD_SET", "BUILD_STRING", "BUILD_SLICE", "BUILD_MAP", "BUILD_CONST_KEY_MAP",
    "LIST_APPEND", "SET_ADD", "LIST_EXTEND", "SET_UPDATE", "DICT_UPDATE", "MAP_ADD", "DICT_MERGE",
    "FORMAT_VALUE", "BINARY_SUBSCR", "STORE_SUBSCR", "DELETE_SUBSCR", "UNPACK_SEQUENCE",
    "UNPACK_EX",
    "KW_NAMES", "CALL", "CALL_FUNCTION_EX", "MAKE_FUNCTION", "RETURN_VALUE", "GET_ITER", "RESUME",
    "JUMP_FORWARD", "JUMP_BACKWARD", "RAISE_VARARGS", "RERAISE", "PUSH_EXC_INFO", "POP_EXCEPT",
    "CHECK_EXC_MATCH", "BEFORE_WITH", "WITH_EXCEPT_START", "LOAD_BUILD_CLASS",
    # generators and coroutines (builder_311/handlers_gen.py; SEND's exit
    # keeps the delegate for END_SEND where 3.12's depth says so)
    "RETURN_GENERATOR", "YIELD_VALUE", "SEND", "JUMP_BACKWARD_NO_INTERRUPT",
    "GET_YIELD_FROM_ITER", "GET_AWAITABLE", "BEFORE_ASYNC_WITH", "GET_AITER", "GET_ANEXT",
    "END_ASYNC_FOR",
)
for _name in SHARED_WITH_3_11:
    HANDLERS(_name)(HANDLERS_311.handlers[_name])


# -- conditional jumps: 3.12's only go forward (a loop's condition jumps out
#    and JUMP_BACKWARD goes round), so the branch takes the condition as it
#    is, with the targets swapped for the negative forms.

def _forward_branch(b: Builder312, ins: BcInstr, cond, when: bool) -> None:
    assert ins.jump_target is not None
    taken, other = (ins.jump_target, b.state), (ins.next_offset, b.state)
    if when:
        b.branch(cond, taken, other)
    else:
        b.branch(cond, other, taken)


@HANDLERS("POP_JUMP_IF_TRUE", "POP_JUMP_IF_FALSE")
def _pop_jump_if_bool(b: Builder312, ins: BcInstr) -> None:
    _forward_branch(b, ins, b.truth(b.pop()), ins.opname == "POP_JUMP_IF_TRUE")


@HANDLERS("POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE")
def _pop_jump_if_none(b: Builder312, ins: BcInstr) -> None:
    is_none = b.emit(IsIdentical([b.pop(), b.const(None)]))
    _forward_branch(b, ins, is_none, ins.opname == "POP_JUMP_IF_NONE")


@HANDLERS("LOAD_FAST_CHECK")
def _load_fast_check(b: Builder312, ins: BcInstr) -> None:
    b.push(b.load_local(ins.arg))


@HANDLERS("LOAD_FAST_AND_CLEAR")
def _load_fast_and_clear(b: Builder312, ins: BcInstr) -> None:
    """An inlined comprehension saves the outer value of its variable (NULL
    when unbound, no error): the value moves to the stack, the slot is
    cleared, and a STORE_FAST puts the value back after the loop."""
    b.push(b.state.locals[ins.arg])
    b.state.locals[ins.arg] = b.null()


@HANDLERS("LOAD_ATTR")
def _load_attr(b: Builder312, ins: BcInstr) -> None:
    """oparg >> 1 names the attribute; with bit 0, the method form
    (3.11's LOAD_METHOD): [method, self] or [NULL, attribute]."""
    name = b.code.co_names[ins.arg >> 1]
    if ins.arg & 1:
        meth = b.emit(LoadMethodCached([b.pop()], name=name))
        b.push(meth)
        b.push(b.emit(GetSecondOutput([meth])))
    else:
        b.push(b.emit(LoadAttrCached([b.pop()], name=name)))


@HANDLERS("LOAD_SUPER_ATTR")
def _load_super_attr(b: Builder312, ins: BcInstr) -> None:
    """super(class, self).name (oparg bit 1), the call made as the
    interpreter makes it (PyObject_Vectorcall of the global `super`), or
    super().name: the global `super` called without arguments, which for
    the builtin reads the frame's `__class__` cell and first argument
    (super_without_arguments; the class and self the bytecode loaded for
    the interpreter's specializations are dropped).  Bit 0 is the method
    form, as for LOAD_ATTR."""
    self_, class_, global_super = b.pop(), b.pop(), b.pop()
    if ins.arg & 2:
        proxy = b.emit(VectorCall([global_super, class_, self_]))
    elif "__class__" in b.code.co_freevars:
        proxy = super_without_arguments(b, global_super)
    else:
        raise UnsupportedBytecode(b.func.qualname, "LOAD_SUPER_ATTR without a __class__ cell",
                                  ins.lineno, ins.offset)
    name = b.code.co_names[ins.arg >> 2]
    if ins.arg & 1:
        meth = b.emit(LoadMethodCached([proxy], name=name))
        b.push(meth)
        b.push(b.emit(GetSecondOutput([meth])))
    else:
        b.push(b.emit(LoadAttrCached([proxy], name=name)))


@HANDLERS("RETURN_CONST")
def _return_const(b: Builder312, ins: BcInstr) -> None:
    return_value(b, b.const(b.code.co_consts[ins.arg]))


@HANDLERS("FOR_ITER")
def _for_iter(b: Builder312, ins: BcInstr) -> None:
    """At the end, 3.12 jumps to the END_FOR at the target with the
    iterator still on the stack and a NULL standing for the item; END_FOR
    pops both."""
    for_iter(b, ins, b.state.stack + [b.null()])


@HANDLERS("END_FOR")
def _end_for(b: Builder312, ins: BcInstr) -> None:
    b.pop()
    b.pop()


@HANDLERS("BINARY_SLICE")
def _binary_slice(b: Builder312, ins: BcInstr) -> None:
    stop, start, container = b.pop(), b.pop(), b.pop()
    b.push(b.emit(BinarySubscr([container, b.emit(BuildSlice([start, stop]))])))


@HANDLERS("STORE_SLICE")
def _store_slice(b: Builder312, ins: BcInstr) -> None:
    stop, start, container, value = b.pop(), b.pop(), b.pop(), b.pop()
    b.emit(StoreSubscr([container, b.emit(BuildSlice([start, stop])), value]))


@HANDLERS("CALL_INTRINSIC_1")
def _call_intrinsic_1(b: Builder312, ins: BcInstr) -> None:
    """The intrinsics functions use (`+x`, `(*a,)`, an async generator's
    yield: 3.11's ASYNC_GEN_WRAP); the others (printing in the REPL,
    `import *`, type parameters, and STOPITERATION_ERROR, whose handler the
    driver leaves to the generator driver) are refused, naming the
    intrinsic."""
    intrinsic = opcodes.INTRINSICS_1[ins.arg] if ins.arg < len(opcodes.INTRINSICS_1) else "?"
    if intrinsic == "UNARY_POSITIVE":
        b.push(b.emit(UnaryOp([b.pop()], kind=UnaryOpKind.POSITIVE)))
    elif intrinsic == "LIST_TO_TUPLE":
        b.push(b.emit(ListToTuple([b.pop()])))
    elif intrinsic == "ASYNC_GEN_WRAP":
        async_gen_wrap(b, ins)
    else:
        raise UnsupportedBytecode(b.func.qualname, f"CALL_INTRINSIC_1 ({intrinsic})", ins.lineno,
                                  ins.offset)
