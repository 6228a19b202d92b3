"""HIR core ops: arguments and constants, phis, control flow, reference
counting, and the checks and guards that refine types.

Each docstring starts with the printed form.
"""

from __future__ import annotations

from typing import Any

from .ir import STEALS_ALL, Block, Instr, Ownership, Value, hir_op
from .types import (
    CBool, CDouble, CInt64, Nullptr, Object, OptObject, Top, Type,
)

# -- arguments and constants -------------------------------------------------


@hir_op
class LoadArg(Instr):
    """``v:Object = LoadArg<index, name>``

    The bound argument in parameter slot ``index`` (after defaults, ``*args``
    and ``**kwargs`` have been bound by the entry).  Borrowed from the caller
    for the whole call."""

    index: int
    name: str
    arg_type: Type = Object
    ownership_kind = Ownership.BORROWED

    def infer_type(self) -> Type:
        return self.arg_type

    def attrs(self) -> list[tuple[str, Any]]:
        return [("index", self.index), ("name", self.name)]


@hir_op
class LoadConst(Instr):
    """``v:Float = LoadConst<0.0>``

    A constant object (from ``co_consts``, or a builtin the builder refers
    to, like ``range``).  Borrowed: the function keeps it alive."""

    constant = True
    value: object
    ownership_kind = Ownership.BORROWED

    def infer_type(self) -> Type:
        return Type.of_object(self.value)


@hir_op
class LoadNull(Instr):
    """``v:Nullptr = LoadNull``

    The NULL pointer: the value of an unbound local, or the empty
    method slot of a call.  Not an object."""

    result_type = Nullptr
    ownership_kind = Ownership.NONE


@hir_op
class PrimConst(Instr):
    """``v:CInt64 = PrimConst<CInt64, 3>``

    An unboxed constant of type ``ctype`` (CInt64, CDouble or CBool)."""

    ctype: Type
    value: Any
    result_type = CInt64 | CDouble | CBool
    ownership_kind = Ownership.NONE

    def infer_type(self) -> Type:
        return self.ctype


def prim_bool(value: bool) -> PrimConst:
    return PrimConst([], ctype=CBool, value=bool(value))


# -- phis and control flow ---------------------------------------------------


@hir_op
class Phi(Instr):
    """``v:T = Phi bb1:v2 bb3:v5``

    SSA join: the value of operand i when control arrived from ``preds[i]``.
    An object phi owns its reference: every input is handed over (stolen) on
    its edge.  Along an exception edge the input is the value held at the
    raising point."""

    is_phi = True
    preds: list[Block]
    steals = STEALS_ALL
    result_type = Top  # whatever its inputs are

    def infer_type(self) -> Type:
        # The join of the inputs' types, as one set of bits (a join per
        # input would build a Type each).
        bits = 0
        for v in self.operands:
            bits |= v.type.bits
        return Type(bits)

    def expected_operand_type(self, index: int) -> Type | None:
        return Top if index < len(self.operands) else None

    def attrs(self) -> list[tuple[str, Any]]:
        return []

    def input_for(self, block: Block) -> Value:
        return self.operands[self.preds.index(block)]

    def set_input(self, block: Block, value: Value) -> None:
        self.operands[self.preds.index(block)] = value

    def add_input(self, block: Block, value: Value) -> None:
        self.preds.append(block)
        self.operands.append(value)

    def remove_pred(self, block: Block) -> None:
        i = self.preds.index(block)
        del self.preds[i]
        del self.operands[i]

    def replace_pred(self, old: Block, new: Block) -> None:
        self.preds = [new if b is old else b for b in self.preds]


@hir_op
class Branch(Instr):
    """``Branch<bb2>``: jump to ``target``."""

    target: Block
    has_result = False
    is_terminator = True
    block_fields = ("target",)

    def successors(self) -> list[Block]:   # block_fields, read directly
        return [self.target]


@hir_op
class CondBranch(Instr):
    """``CondBranch<bb2, bb3> c``: go to ``if_true`` when the CBool ``c`` is
    true, else to ``if_false``."""

    if_true: Block
    if_false: Block
    has_result = False
    is_terminator = True
    block_fields = ("if_true", "if_false")
    operand_types = (CBool,)

    def successors(self) -> list[Block]:   # block_fields, read directly
        return [self.if_true, self.if_false]


@hir_op
class Return(Instr):
    """``Return v``: return ``v`` to the caller, handing over its reference
    (stolen).  Every other owned value must be released before."""

    has_result = False
    is_terminator = True
    steals = (0,)
    operand_types = (Object,)


# -- named locals ----------------------------------------------------------------


@hir_op
class KeepAlive(Instr):
    """``KeepAlive v1 v2 ...``: the values a function's named locals hold
    are used here, where the frame lets go of them: a local rebound or
    deleted (its old value), the function returning or raising without a
    handler, a loop going round (every local: a function that never returns
    holds them for good).  The builder places them so that reference
    counting keeps a local's value alive until then, as CPython's frame
    does, however early its last real use; values reaching a KeepAlive last
    are released right after it, in the order of its operands (the order of
    the frame's slots).  Emits no code."""

    has_result = False
    has_effects = True
    extra_operand_type = OptObject

    def expected_operand_type(self, index: int) -> Type | None:
        return Top if index < len(self.operands) else None


# -- the eval loop's periodic check ---------------------------------------------


@hir_op
class CheckEvalBreaker(Instr):
    """``CheckEvalBreaker``: what the eval loop does at a function's entry
    (3.11's RESUME) and on a loop's back edge (JUMP_BACKWARD, the backward
    conditional jumps): when the interpreter's eval breaker is set, run
    signal handlers and pending calls, hand the GIL to a thread asking for
    it.  Raises what a signal handler raises (or an asynchronous
    exception); arbitrary code may run."""

    has_result = False
    has_effects = True
    may_raise = True
    may_call = True


# -- reference counting ------------------------------------------------------


class _RefcountOp(Instr):
    has_result = False
    has_effects = True


@hir_op
class Incref(_RefcountOp):
    """``Incref v``: ``Py_INCREF(v)``; the holder now owns one more reference."""

    operand_types = (Object,)


@hir_op
class XIncref(_RefcountOp):
    """``XIncref v``: ``Py_XINCREF(v)``: as Incref, nothing when v is NULL."""

    operand_types = (OptObject,)


@hir_op
class Decref(_RefcountOp):
    """``Decref v``: ``Py_DECREF(v)``; may free v and run its finalizer
    (arbitrary code), never raises."""

    may_call = True
    operand_types = (Object,)


@hir_op
class XDecref(_RefcountOp):
    """``XDecref v``: ``Py_XDECREF(v)``: as Decref, nothing when v is NULL."""

    may_call = True
    operand_types = (OptObject,)


# -- checks, guards and truth values -----------------------------------------


@hir_op
class CheckVar(Instr):
    """``v:Object = CheckVar<x> u``

    Raise ``UnboundLocalError`` for local ``name`` when ``u`` is NULL, else
    pass ``u`` on as a non-NULL object: the reference moves from ``u`` to the
    result (``u`` is stolen; the result is new).  guard-elimination drops it
    when u cannot be NULL."""

    name: str
    may_raise = True
    steals = (0,)
    operand_types = (OptObject,)

    def infer_type(self) -> Type:
        return (self.operands[0].type & Object) if self.operands else Object


@hir_op
class RefineType(Instr):
    """``v:Float = RefineType<Float> u``

    Assert (from a dominating check) that ``u`` has type ``type``; the
    reference moves from ``u`` to the result, as for CheckVar."""

    type: Type
    steals = (0,)
    operand_types = (OptObject,)

    def infer_type(self) -> Type:
        return (self.operands[0].type & self.type) if self.operands else self.type


@hir_op
class IsType(Instr):
    """``c:CBool = IsType<Float> v``: ``Py_TYPE(v) == exact type``.

    A guard: the code generator inlines it; guard-elimination folds it when
    v's type decides it."""

    type: Type
    result_type = CBool
    operand_types = (Object,)


@hir_op
class IsNull(Instr):
    """``c:CBool = IsNull v``: ``v == NULL``."""

    result_type = CBool
    operand_types = (OptObject,)


@hir_op
class IsIdentical(Instr):
    """``c:CBool = IsIdentical a b``: Python's ``a is b``."""

    result_type = CBool
    operand_types = (Object, Object)


@hir_op
class BoolNot(Instr):
    """``c:CBool = BoolNot b``: logical negation of a CBool."""

    result_type = CBool
    operand_types = (CBool,)


@hir_op
class BoxBool(Instr):
    """``v:Bool = BoxBool c``: ``Py_True`` or ``Py_False``; borrowed (they
    are never freed)."""

    result_type = Type.of_object(True)
    ownership_kind = Ownership.BORROWED
    operand_types = (CBool,)


@hir_op
class IsTruthy(Instr):
    """``c:CBool = IsTruthy v``: ``PyObject_IsTrue(v)``; the code generator
    inlines True, False and None."""

    result_type = CBool
    may_raise = True
    may_call = True
    operand_types = (Object,)


# -- unboxed floats ------------------------------------------------------------


@hir_op
class UnboxFloat(Instr):
    """``d:CDouble = UnboxFloat v``: the C double inside the exact float v."""

    result_type = CDouble
    operand_types = (Type.of_object(0.0),)


@hir_op
class BoxFloat(Instr):
    """``v:Float = BoxFloat d``: ``PyFloat_FromDouble(d)``, a new reference;
    raises MemoryError."""

    result_type = Type.of_object(0.0)
    may_raise = True
    operand_types = (CDouble,)


__all__ = [
    "BoolNot", "BoxBool", "BoxFloat", "Branch", "CheckEvalBreaker", "CheckVar", "CondBranch",
    "Decref", "Incref", "IsIdentical", "IsNull", "IsTruthy", "IsType", "KeepAlive",
    "LoadArg", "LoadConst", "LoadNull", "Phi", "PrimConst", "RefineType",
    "Return", "UnboxFloat", "XDecref", "XIncref", "prim_bool",
]
