"""3.12's handler table: 3.11's handlers where the opcode means what it
meant in 3.11, and 3.12's own (see the package docstring)."""

from __future__ import annotations

from ...cpython import opcodes
from ..builder_311 import HANDLERS as HANDLERS_311
from ..builder_311.handlers_flow import for_iter
from ..bytecode_311 import BcInstr
from ..errors import UnsupportedBytecode
from ..ops_containers import BinarySubscr, BuildSlice, ListToTuple, StoreSubscr
from ..ops_core import IsIdentical, Return
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
    "CHECK_EXC_MATCH", "BEFORE_WITH", "WITH_EXCEPT_START",
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
    """super(class, self).name, the call made as the interpreter makes it
    (PyObject_Vectorcall of the global `super`); bit 0 of the oparg is the
    method form, as for LOAD_ATTR.  The zero-argument form is refused by
    the driver before any bytecode is read."""
    if not ins.arg & 2:
        raise UnsupportedBytecode(b.func.qualname, ins.opname, ins.lineno, ins.offset)
    self_, class_, global_super = b.pop(), b.pop(), b.pop()
    proxy = b.emit(VectorCall([global_super, class_, self_]))
    name = b.code.co_names[ins.arg >> 2]
    if ins.arg & 1:
        meth = b.emit(LoadMethodCached([proxy], name=name))
        b.push(meth)
        b.push(b.emit(GetSecondOutput([meth])))
    else:
        b.push(b.emit(LoadAttrCached([proxy], name=name)))


@HANDLERS("RETURN_CONST")
def _return_const(b: Builder312, ins: BcInstr) -> None:
    value = b.const(b.code.co_consts[ins.arg])
    b.keep_locals_alive()
    b.emit(Return([value]))


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
    """The intrinsics ordinary functions use (`+x`, `(*a,)`); the others
    (printing in the REPL, `import *`, generators, type parameters) are
    refused, naming the intrinsic."""
    intrinsic = opcodes.INTRINSICS_1[ins.arg] if ins.arg < len(opcodes.INTRINSICS_1) else "?"
    if intrinsic == "UNARY_POSITIVE":
        b.push(b.emit(UnaryOp([b.pop()], kind=UnaryOpKind.POSITIVE)))
    elif intrinsic == "LIST_TO_TUPLE":
        b.push(b.emit(ListToTuple([b.pop()])))
    else:
        raise UnsupportedBytecode(b.func.qualname, f"CALL_INTRINSIC_1 ({intrinsic})", ins.lineno,
                                  ins.offset)
