"""The C-API functions generated code calls as helpers, declared once.

Each is called at its real address (natively) or through ctypes (under
Unicorn) with the C-API's own contract; helper_decl.py says what the
argument, result and failure kinds mean.  `BINARY_OP_HELPERS` maps a binary
operator (a name of the version's opcodes.BINARY_OPS) to its helper.
"""

from __future__ import annotations

from .helper_decl import declare

O, ON, I64, F, P = "obj", "obj_or_null", "int64", "double", "ptr"

# The C-API function of each binary operator (the names of
# opcodes.BINARY_OPS, version-independent); ** has no two-argument C-API
# function (PyNumber_Power takes a modulus): Python helpers do it.
_PLAIN = {
    "ADD": "PyNumber_Add", "AND": "PyNumber_And", "FLOOR_DIVIDE": "PyNumber_FloorDivide",
    "LSHIFT": "PyNumber_Lshift", "MATRIX_MULTIPLY": "PyNumber_MatrixMultiply",
    "MULTIPLY": "PyNumber_Multiply", "REMAINDER": "PyNumber_Remainder", "OR": "PyNumber_Or",
    "POWER": "number_power", "RSHIFT": "PyNumber_Rshift", "SUBTRACT": "PyNumber_Subtract",
    "TRUE_DIVIDE": "PyNumber_TrueDivide", "XOR": "PyNumber_Xor",
}
BINARY_OP_HELPERS: dict[str, str] = dict(_PLAIN)
BINARY_OP_HELPERS.update({
    "INPLACE_" + op: (helper.replace("PyNumber_", "PyNumber_InPlace")
                      if helper.startswith("PyNumber_") else "number_inplace_power")
    for op, helper in _PLAIN.items()})

for _name in sorted(set(BINARY_OP_HELPERS.values())):
    if _name.startswith("PyNumber_"):
        declare(_name, (O, O), "obj", "null")

# Unary operators, truthiness, comparison, containment.
declare("PyNumber_Negative", (O,), "obj", "null")
declare("PyNumber_Positive", (O,), "obj", "null")
declare("PyNumber_Invert", (O,), "obj", "null")
declare("PyNumber_Absolute", (O,), "obj", "null")
declare("PyNumber_Index", (O,), "obj", "null")
declare("PyObject_Not", (O,), "int", "minus_one")
declare("PyObject_IsTrue", (O,), "int", "minus_one")
declare("PyObject_RichCompare", (O, O, I64), "obj", "null", doc="op is Py_LT..Py_GE (0..5)")
declare("PyObject_RichCompareBool", (O, O, I64), "int", "minus_one")
declare("PySequence_Contains", (O, O), "int", "minus_one", doc="(container, item)")
declare("PyObject_IsInstance", (O, O), "int", "minus_one")
declare("PyObject_Hash", (O,), "int64", "minus_one")
# Attributes and items.
declare("PyObject_GetAttr", (O, O), "obj", "null")
declare("PyObject_SetAttr", (O, O, ON), "int", "minus_one", doc="value NULL deletes")
declare("PyObject_GetItem", (O, O), "obj", "null")
declare("PyObject_SetItem", (O, O, O), "int", "minus_one")
declare("PyObject_DelItem", (O, O), "int", "minus_one")
# The running thread state (the shared call routine asks when compiled code
# runs without the GIL, where _PyRuntime's pointer to it is NULL).
declare("PyThreadState_Get", (), "int64", "none", doc="the calling thread's PyThreadState *")
# Calls.
declare("PyObject_Vectorcall", (O, P, I64, ON), "obj", "null",
        doc="(callable, args, nargsf, kwnames)")
declare("PyObject_VectorcallMethod", (O, P, I64, ON), "obj", "null",
        doc="(name, args with self first, nargsf, kwnames)")
declare("PyObject_Call", (O, O, ON), "obj", "null", doc="(callable, args tuple, kwargs)")
# Iteration.
declare("PyObject_GetIter", (O,), "obj", "null")
declare("PyIter_Send", (O, O, P), "int", "minus_one",
        doc="(iter, value, &result): 1 yielded, 0 returned, -1 failed")
declare("PyIter_Next", (O,), "obj", "null",
        doc="NULL without an exception at the end: check err_occurred")
# Building containers.
declare("PyTuple_New", (I64,), "obj", "null", doc="items are NULL until set")
declare("PyTuple_SetItem", (O, I64, O), "int", "minus_one", steals=(2,))
declare("PyList_New", (I64,), "obj", "null", doc="items are NULL until set")
declare("PyList_SetItem", (O, I64, O), "int", "minus_one", steals=(2,))
declare("PyList_Append", (O, O), "int", "minus_one")
declare("PyList_AsTuple", (O,), "obj", "null")
declare("_PyList_Extend", (O, O), "obj", "null", doc="returns None (new reference)")
declare("PyDict_New", (), "obj", "null")
declare("PyDict_SetItem", (O, O, O), "int", "minus_one")
declare("PyDict_Update", (O, O), "int", "minus_one")
declare("PySet_New", (ON,), "obj", "null")
declare("PySet_Add", (O, O), "int", "minus_one")
declare("_PySet_Update", (O, O), "int", "minus_one")
declare("PySequence_Tuple", (O,), "obj", "null")
declare("PySequence_List", (O,), "obj", "null")
declare("PySlice_New", (ON, ON, ON), "obj", "null")
# Numbers.
declare("PyFloat_FromDouble", (F,), "obj", "null")
declare("PyFloat_AsDouble", (O,), "double", "minus_one", doc="-1.0 may be a value: check")
declare("PyLong_FromLongLong", (I64,), "obj", "null")
declare("PyLong_AsLongLong", (O,), "int64", "minus_one", doc="-1 may be a value: check")
declare("PyBool_FromLong", (I64,), "obj", "null")
# Strings and formatting.
declare("PyObject_Format", (O, ON), "obj", "null")
declare("PyObject_Str", (O,), "obj", "null")
declare("PyObject_Repr", (O,), "obj", "null")
declare("PyObject_ASCII", (O,), "obj", "null")
declare("_PyUnicode_JoinArray", (O, P, I64), "obj", "null", doc="(separator, items, n)")
# Cells.
declare("PyCell_New", (ON,), "obj", "null")
declare("PyCell_Get", (O,), "obj", "null")
# (fails only on a non-cell: STORE_DEREF's set cannot fail; setting twice is harmless)
declare("PyCell_Set", (O, ON), "int", "none")
# Reference counts (cold paths).
declare("_Py_Dealloc", (O,), "void", "none", doc="the object's refcount is 0")
declare("Py_IncRef", (ON,), "void", "none")
declare("Py_DecRef", (ON,), "void", "none")

