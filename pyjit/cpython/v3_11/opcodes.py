"""The bytecode tables of CPython 3.11 that more than one layer reads.

The HIR builder decodes opargs with them, the lowering picks the C-API
function of an operator with them; checked against the running
interpreter's `opcode` and `dis` modules by tests/cpython/test_opcodes.py.
"""

# BINARY_OP's oparg indexes this tuple (Include/opcode.h: NB_ADD = 0, ...,
# the in-place forms after the plain ones).
BINARY_OPS: tuple[str, ...] = (
    "ADD", "AND", "FLOOR_DIVIDE", "LSHIFT", "MATRIX_MULTIPLY", "MULTIPLY", "REMAINDER", "OR",
    "POWER", "RSHIFT", "SUBTRACT", "TRUE_DIVIDE", "XOR",
    "INPLACE_ADD", "INPLACE_AND", "INPLACE_FLOOR_DIVIDE", "INPLACE_LSHIFT",
    "INPLACE_MATRIX_MULTIPLY", "INPLACE_MULTIPLY", "INPLACE_REMAINDER", "INPLACE_OR",
    "INPLACE_POWER", "INPLACE_RSHIFT", "INPLACE_SUBTRACT", "INPLACE_TRUE_DIVIDE", "INPLACE_XOR",
)

# COMPARE_OP's oparg indexes this tuple; it is also the `op` argument of
# PyObject_RichCompare (Py_LT = 0 ... Py_GE = 5).
COMPARE_OPS: tuple[str, ...] = ("<", "<=", "==", "!=", ">", ">=")
# COMPARE_OP's oparg >> COMPARE_OP_SHIFT indexes COMPARE_OPS (3.11: the
# whole oparg).
COMPARE_OP_SHIFT = 0

# FORMAT_VALUE's oparg & 3: the conversion applied before format().
FORMAT_CONVERSIONS: tuple[str, ...] = ("", "str", "repr", "ascii")

# RESUME's oparg: below this value the interpreter checks the eval breaker
# (pending signals, a GIL drop request) when it executes the instruction,
# i.e. on entering a function; from it on (after `yield from` or `await`) it
# does not (ceval.c, RESUME_QUICK: `oparg < 2`).
RESUME_QUIET = 2
