"""The bytecode tables of CPython 3.13 that more than one layer reads.

BINARY_OP's operators and CALL_INTRINSIC_1's are 3.12's; CALL_INTRINSIC_2
gained SET_TYPEPARAM_DEFAULT (PEP 696).  COMPARE_OP keeps the
operator in oparg >> 5 and, in bit 4, asks for the result as a bool (the
compiler sets it where the result is only tested).  f-strings: CONVERT_VALUE's
oparg is the conversion (FORMAT_CONVERSIONS, 3.11's FORMAT_VALUE low bits),
then FORMAT_SIMPLE or FORMAT_WITH_SPEC.  MAKE_FUNCTION takes no oparg: each
SET_FUNCTION_ATTRIBUTE sets one field, named by its oparg (FUNCTION_ATTRIBUTES).
Checked against the running interpreter's `opcode` and `dis` modules by
tests/cpython/test_opcodes.py.
"""

from ..v3_12.opcodes import (  # noqa: F401
    BINARY_OPS, COMPARE_OPS, FORMAT_CONVERSIONS, INTRINSICS_1, INTRINSICS_2 as _INTRINSICS_2_312,
    RESUME_QUIET,
)

INTRINSICS_2: tuple[str, ...] = (*_INTRINSICS_2_312, "SET_TYPEPARAM_DEFAULT")

# COMPARE_OP's oparg >> COMPARE_OP_SHIFT indexes COMPARE_OPS; the bit
# COMPARE_OP_TO_BOOL asks for bool(result).
COMPARE_OP_SHIFT = 5
COMPARE_OP_TO_BOOL = 16

# SET_FUNCTION_ATTRIBUTE's oparg -> the field it sets (MAKE_FUNCTION_* flags).
FUNCTION_ATTRIBUTES: dict[int, str] = {0x01: "defaults", 0x02: "kwdefaults",
                                       0x04: "annotations", 0x08: "closure"}

# RESUME's oparg: its location (0 the function's start, 1 after a yield, 2
# after a yield from, 3 after an await) in these low bits, below
# RESUME_QUIET checking the eval breaker; the bit above them says whether
# the exception stack is one deep (bytecodes.c, RESUME).
RESUME_LOCATION_MASK = 3
