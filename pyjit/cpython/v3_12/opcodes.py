"""The bytecode tables of CPython 3.12 that more than one layer reads.

BINARY_OP's operators and FORMAT_VALUE's conversions are 3.11's; COMPARE_OP
keeps the operator in the oparg's high bits (the low four are for the
specializing interpreter); CALL_INTRINSIC_1 and CALL_INTRINSIC_2 (new in
3.12) name their function by oparg.  Checked against the running
interpreter's `opcode` and `dis` modules by tests/cpython/test_opcodes.py.
"""

# RESUME's oparg from which the interpreter skips the eval breaker check is
# 3.11's (bytecodes.c, RESUME: `if (oparg < 2) CHECK_EVAL_BREAKER()`).
from ..v3_11.opcodes import BINARY_OPS, COMPARE_OPS, FORMAT_CONVERSIONS, RESUME_QUIET  # noqa: F401

# COMPARE_OP's oparg >> COMPARE_OP_SHIFT indexes COMPARE_OPS.
COMPARE_OP_SHIFT = 4

# CALL_INTRINSIC_1's and CALL_INTRINSIC_2's oparg index these
# (Include/internal/pycore_intrinsics.h).
INTRINSICS_1: tuple[str, ...] = (
    "INVALID", "PRINT", "IMPORT_STAR", "STOPITERATION_ERROR", "ASYNC_GEN_WRAP", "UNARY_POSITIVE",
    "LIST_TO_TUPLE", "TYPEVAR", "PARAMSPEC", "TYPEVARTUPLE", "SUBSCRIPT_GENERIC", "TYPEALIAS",
)
INTRINSICS_2: tuple[str, ...] = (
    "INVALID", "PREP_RERAISE_STAR", "TYPEVAR_WITH_BOUND", "TYPEVAR_WITH_CONSTRAINTS",
    "SET_FUNCTION_TYPE_PARAMS",
)
