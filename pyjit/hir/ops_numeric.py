"""HIR operator ops: binary, in-place, unary and comparison operators,
``in``, and float arithmetic on unboxed doubles.

Result types are refined only where CPython's semantics are certain for
exact builtin types (``Long + Long`` is a ``Long``; ``Float ** Float`` may
be complex, so it stays ``Object``).
"""

from __future__ import annotations

from .ir import IdentityHashedEnum, Instr, hir_op
from .types import Bool, CBool, CDouble, Float, List, Long, Object, Str, Tuple, Type


class BinaryOpKind(IdentityHashedEnum):
    """The binary operators, printed as ``BinaryOp<Add>``; the in-place
    forms (``x += y``) are separate kinds because they call ``__iadd__``."""

    ADD = "Add"
    AND = "And"
    FLOOR_DIVIDE = "FloorDivide"
    LSHIFT = "LShift"
    MATRIX_MULTIPLY = "MatrixMultiply"
    MULTIPLY = "Multiply"
    REMAINDER = "Remainder"
    OR = "Or"
    POWER = "Power"
    RSHIFT = "RShift"
    SUBTRACT = "Subtract"
    TRUE_DIVIDE = "TrueDivide"
    XOR = "Xor"
    INPLACE_ADD = "InPlaceAdd"
    INPLACE_AND = "InPlaceAnd"
    INPLACE_FLOOR_DIVIDE = "InPlaceFloorDivide"
    INPLACE_LSHIFT = "InPlaceLShift"
    INPLACE_MATRIX_MULTIPLY = "InPlaceMatrixMultiply"
    INPLACE_MULTIPLY = "InPlaceMultiply"
    INPLACE_REMAINDER = "InPlaceRemainder"
    INPLACE_OR = "InPlaceOr"
    INPLACE_POWER = "InPlacePower"
    INPLACE_RSHIFT = "InPlaceRShift"
    INPLACE_SUBTRACT = "InPlaceSubtract"
    INPLACE_TRUE_DIVIDE = "InPlaceTrueDivide"
    INPLACE_XOR = "InPlaceXor"

    @property
    def inplace(self) -> bool:
        return self.name.startswith("INPLACE_")

    @property
    def base(self) -> BinaryOpKind:
        """The plain operator of an in-place kind (itself otherwise)."""
        return _BASE_KIND[self]

    def __str__(self) -> str:
        return self.value


# Each kind's plain operator (BinaryOpKind.base, asked by type inference
# and folding for every BinaryOp).
_BASE_KIND: dict[BinaryOpKind, BinaryOpKind] = {
    kind: BinaryOpKind[kind.name[len("INPLACE_"):]] if kind.inplace else kind
    for kind in BinaryOpKind}


class CompareKind(IdentityHashedEnum):
    """Rich comparisons, printed as ``CompareOp<Lt>``."""

    LT = "Lt"
    LE = "Le"
    EQ = "Eq"
    NE = "Ne"
    GT = "Gt"
    GE = "Ge"

    def __str__(self) -> str:
        return self.value

    @property
    def symbol(self) -> str:
        """The operator as Python writes it ("<", ..., ">=")."""
        return _COMPARE_SYMBOLS[self.name]


_COMPARE_SYMBOLS = {"LT": "<", "LE": "<=", "EQ": "==", "NE": "!=", "GT": ">", "GE": ">="}


class UnaryOpKind(IdentityHashedEnum):
    """``-x``, ``+x`` and ``~x``, printed as ``UnaryOp<Negative>``."""

    NEGATIVE = "Negative"
    POSITIVE = "Positive"
    INVERT = "Invert"

    def __str__(self) -> str:
        return self.value


_K = BinaryOpKind
_INT = Long | Bool
_NUM = _INT | Float
# Operators closed over exact ints (bool & bool stays bool: handled below).
_INT_CLOSED = {_K.ADD, _K.SUBTRACT, _K.MULTIPLY, _K.FLOOR_DIVIDE, _K.REMAINDER,
               _K.AND, _K.OR, _K.XOR, _K.LSHIFT, _K.RSHIFT}
_FLOAT_CLOSED = {_K.ADD, _K.SUBTRACT, _K.MULTIPLY, _K.TRUE_DIVIDE, _K.FLOOR_DIVIDE,
                 _K.REMAINDER}
_BITWISE = {_K.AND, _K.OR, _K.XOR}


def binary_result_type(kind: BinaryOpKind, left: Type, right: Type) -> Type:
    """The result type of ``left <kind> right`` where it is certain."""
    op = kind.base
    if left.is_bottom or right.is_bottom:
        return Object
    if left <= _INT and right <= _INT:
        if op in _BITWISE and left <= Bool and right <= Bool:
            return Bool
        if op in _INT_CLOSED:
            return Long
        if op is _K.TRUE_DIVIDE:
            return Float
    if left <= _NUM and right <= _NUM and (left <= Float or right <= Float):
        if op in _FLOAT_CLOSED:
            return Float
    for seq in (Str, Tuple, List):
        if op is _K.ADD and left <= seq and right <= seq:
            return seq
    return Object


@hir_op
class BinaryOp(Instr):
    """``v:Object = BinaryOp<Add> left right``

    ``left + right`` (``PyNumber_Add``), and so on for every kind; in-place
    kinds call ``PyNumber_InPlaceAdd`` and friends.  New reference.  An
    operand whose last use it is may be handed to it (``consumed``): the
    int and float routines then put the result in that operand's object
    when nothing else holds it, as CPython 3.11's BINARY_OP_ADD_FLOAT does."""

    kind: BinaryOpKind
    may_raise = True
    may_call = True
    consumable = (0, 1)
    operand_types = (Object, Object)

    def infer_type(self) -> Type:
        return binary_result_type(self.kind, self.operands[0].type, self.operands[1].type)


@hir_op
class CompareOp(Instr):
    """``v:Object = CompareOp<Lt> left right``

    ``PyObject_RichCompare(left, right, Py_LT)``: any object (a bool for
    numbers and strings).  New reference.  Its routine holds both operands
    while the comparison may run code (``held_operands``)."""

    kind: CompareKind
    may_raise = True
    may_call = True
    held_operands = (0, 1)
    operand_types = (Object, Object)

    def infer_type(self) -> Type:
        left, right = (v.type for v in self.operands)
        if (left <= _NUM and right <= _NUM) or (left <= Str and right <= Str):
            return Bool
        return Object


@hir_op
class CompareBool(Instr):
    """``c:CBool = CompareBool<Lt> left right``

    ``PyObject_IsTrue(PyObject_RichCompare(left, right, Py_LT))``, the
    comparison's result released: a comparison only tested (the
    ``truth-tests`` pass makes it of a CompareOp and its IsTruthy).  Its
    routine holds both operands as CompareOp's does."""

    kind: CompareKind
    result_type = CBool
    may_raise = True
    may_call = True
    held_operands = (0, 1)
    operand_types = (Object, Object)


@hir_op
class UnaryOp(Instr):
    """``v:Object = UnaryOp<Negative> operand``: ``-x``, ``+x`` or ``~x``
    (``PyNumber_Negative`` ...).  New reference."""

    kind: UnaryOpKind
    may_raise = True
    may_call = True
    operand_types = (Object,)

    def infer_type(self) -> Type:
        t = self.operands[0].type
        if not t.is_bottom and t <= _INT:
            return Long
        if not t.is_bottom and t <= Float and self.kind is not UnaryOpKind.INVERT:
            return Float
        return Object


@hir_op
class Contains(Instr):
    """``c:CBool = Contains item container``: ``item in container``
    (``PySequence_Contains``)."""

    result_type = CBool
    may_raise = True
    may_call = True
    operand_types = (Object, Object)


class DoubleOpKind(IdentityHashedEnum):
    """Arithmetic on unboxed doubles that cannot fail."""

    ADD = "Add"
    SUBTRACT = "Subtract"
    MULTIPLY = "Multiply"

    def __str__(self) -> str:
        return self.value


@hir_op
class DoubleBinaryOp(Instr):
    """``d:CDouble = DoubleBinaryOp<Add> a b``: IEEE arithmetic on two C
    doubles (``fadd``/``fsub``/``fmul``); never raises."""

    kind: DoubleOpKind
    result_type = CDouble
    operand_types = (CDouble, CDouble)


__all__ = [
    "BinaryOp", "BinaryOpKind", "CompareBool", "CompareKind", "CompareOp", "Contains",
    "DoubleBinaryOp", "DoubleOpKind", "UnaryOp", "UnaryOpKind",
    "binary_result_type",
]
