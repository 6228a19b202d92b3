"""The bytecode tables of CPython 3.14 that more than one layer reads.

3.13's tables (COMPARE_OP's operator in oparg >> 5 with the bool bit,
CONVERT_VALUE's conversions, the intrinsics, RESUME's quiet oparg), with
what 3.14 added: BINARY_OP subscripts too (BINARY_SUBSCR is gone; its
oparg is "SUBSCR", after the in-place operators), and
SET_FUNCTION_ATTRIBUTE sets the annotate function (0x10).  Checked against
the running interpreter's `opcode` and `dis` modules by
tests/cpython/test_opcodes.py and test_layout_v3_14.py.
"""

from ..v3_13.opcodes import (  # noqa: F401
    BINARY_OPS as _BINARY_OPS_313, COMPARE_OP_SHIFT, COMPARE_OP_TO_BOOL, COMPARE_OPS,
    FORMAT_CONVERSIONS, FUNCTION_ATTRIBUTES as _FUNCTION_ATTRIBUTES_313, INTRINSICS_1,
    INTRINSICS_2, RESUME_LOCATION_MASK, RESUME_QUIET,
)

# BINARY_OP's oparg indexes this tuple (NB_SUBSCR = 26: container[key]).
BINARY_OPS: tuple[str, ...] = (*_BINARY_OPS_313, "SUBSCR")

# SET_FUNCTION_ATTRIBUTE's oparg -> the field it sets (MAKE_FUNCTION_* flags).
FUNCTION_ATTRIBUTES: dict[int, str] = {**_FUNCTION_ATTRIBUTES_313, 0x10: "annotate"}
