"""Helpers: the functions generated code calls, each declared once.

A `Helper` says everything a code generator and an engine need to know:

    declare("PyNumber_Add", ("obj", "obj"), "obj", "null")

- name: the symbol call sites use (`CallTarget(name)`); engines resolve it
  at load time (the Unicorn engine to a trap address).
- args: kinds of the arguments, in order.  Integer-class kinds go in
  x0..x7, "double" in d0..d7 (AAPCS64, each class counted separately):
  "obj" a PyObject* never NULL, "obj_or_null" a PyObject* or NULL,
  "int64" a signed 64-bit integer (also for C `int` / `Py_ssize_t`
  parameters), "ptr" a raw address (e.g. a PyObject** array), "double".
- result: "obj" a new reference in x0, "borrowed" a borrowed reference,
  "int" a C int (in x0, sign-extended), "int64", "bool" (C int 0/1),
  "double" (in d0), "void".
- failure: how an error is signalled, the exception being set in the
  thread state (errstate.py): "null" (x0 = 0), "minus_one" (-1, or -1.0),
  "none" (cannot fail; raising is a helper bug that aborts emulation).
- steals: indices of arguments whose reference the helper consumes, on
  success and on failure, as `PyTuple_SetItem` does.
- impl: the name of a C-API function (called through ctypes.pythonapi,
  GIL held), or a Python function.  A Python implementation receives "obj"
  arguments as objects (borrowed), "obj_or_null" as an object or `NULL`,
  ints and floats as Python numbers; it returns an object (or NULL for an
  "obj" result without error, e.g. end of iteration), a number, or None
  for "void"; it raises to fail.

`HELPERS` maps names to helpers and refuses a name declared twice.  The
built-in Python implementations live in helper_impls.py; how a helper is
called on raw register values is helper_binding.py.
"""

from __future__ import annotations

import ctypes
import opcode
from dataclasses import dataclass
from typing import Callable


ARG_KINDS = ("obj", "obj_or_null", "int64", "double", "ptr")
RESULT_KINDS = ("obj", "borrowed", "int", "int64", "bool", "double", "void")
FAILURES = ("null", "minus_one", "none")

_FAILURES_OF = {
    "obj": ("null", "none"), "borrowed": ("null", "none"),
    "int": ("minus_one", "none"), "int64": ("minus_one", "none"),
    "bool": ("minus_one", "none"), "double": ("minus_one", "none"), "void": ("none",),
}


class _Null:
    """The NULL pointer, as Python implementations see an "obj_or_null"
    argument (distinct from None, which is Py_None) and may return it."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NULL"


NULL = _Null()


@dataclass(frozen=True)
class Helper:
    """One helper; see the module docstring."""

    name: str
    args: tuple[str, ...]
    result: str
    failure: str
    steals: tuple[int, ...] = ()
    impl: str | Callable | None = None
    doc: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"helper name {self.name!r} is not an identifier")
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "steals", tuple(self.steals))
        if self.impl is None:
            object.__setattr__(self, "impl", self.name)
        for kind in self.args:
            if kind not in ARG_KINDS:
                raise ValueError(f"{self.name}: unknown argument kind {kind!r}; use {ARG_KINDS}")
        if self.result not in RESULT_KINDS:
            raise ValueError(f"{self.name}: unknown result kind {self.result!r}; use {RESULT_KINDS}")
        if self.failure not in _FAILURES_OF[self.result]:
            raise ValueError(f"{self.name}: failure {self.failure!r} does not go with a "
                             f"{self.result!r} result (allowed: {_FAILURES_OF[self.result]})")
        ints = sum(kind != "double" for kind in self.args)
        doubles = len(self.args) - ints
        if ints > 8 or doubles > 8:
            raise ValueError(f"{self.name}: more than 8 arguments of one register class")
        for i in self.steals:
            if not 0 <= i < len(self.args) or self.args[i] not in ("obj", "obj_or_null"):
                raise ValueError(f"{self.name}: steals argument {i}, which is not an object")
        if isinstance(self.impl, str):
            if not hasattr(ctypes.pythonapi, self.impl):
                raise ValueError(f"{self.name}: the C-API has no function {self.impl!r}")
        elif not callable(self.impl):
            raise TypeError(f"{self.name}: impl must be a C-API function name or a callable")

    @property
    def is_c(self) -> bool:
        """True when impl is a C-API function."""
        return isinstance(self.impl, str)

    def registers(self) -> tuple[str, ...]:
        """The register of each argument: "x0".."x7" / "d0".."d7"."""
        out, x, d = [], 0, 0
        for kind in self.args:
            if kind == "double":
                out.append(f"d{d}")
                d += 1
            else:
                out.append(f"x{x}")
                x += 1
        return tuple(out)

    @property
    def int_arg_count(self) -> int:
        return sum(kind != "double" for kind in self.args)

    @property
    def double_arg_count(self) -> int:
        return sum(kind == "double" for kind in self.args)

    def failure_value(self) -> int | float:
        """The raw value returned on failure (0 for "none")."""
        if self.failure == "minus_one":
            return -1.0 if self.result == "double" else -1
        return 0


HELPERS: dict[str, Helper] = {}


def register(helper: Helper) -> Helper:
    if helper.name in HELPERS:
        raise ValueError(f"helper {helper.name!r} is declared twice")
    HELPERS[helper.name] = helper
    return helper


def declare(name: str, args: tuple[str, ...], result: str, failure: str,
            steals: tuple[int, ...] = (), impl: str | Callable | None = None,
            doc: str = "") -> Helper:
    """Declare and register a helper (impl defaults to the C-API function
    called `name`)."""
    return register(Helper(name, tuple(args), result, failure, tuple(steals), impl, doc))


def python_helper(name: str, args: tuple[str, ...], result: str, failure: str,
                  steals: tuple[int, ...] = ()):
    """Decorator: declare the decorated function as the Python
    implementation of helper `name` (its docstring is the helper's doc)."""
    def decorate(fn: Callable) -> Callable:
        declare(name, args, result, failure, steals, fn, (fn.__doc__ or "").strip())
        return fn
    return decorate


# -- the C-API helpers ------------------------------------------------------------

O, ON, I64, F, P = "obj", "obj_or_null", "int64", "double", "ptr"

# BINARY_OP's oparg (NB_*) -> helper; index = opcode._nb_ops position.
_NB_C_API = {
    "NB_ADD": "PyNumber_Add", "NB_AND": "PyNumber_And", "NB_FLOOR_DIVIDE": "PyNumber_FloorDivide",
    "NB_LSHIFT": "PyNumber_Lshift", "NB_MATRIX_MULTIPLY": "PyNumber_MatrixMultiply",
    "NB_MULTIPLY": "PyNumber_Multiply", "NB_REMAINDER": "PyNumber_Remainder",
    "NB_OR": "PyNumber_Or", "NB_POWER": "number_power", "NB_RSHIFT": "PyNumber_Rshift",
    "NB_SUBTRACT": "PyNumber_Subtract", "NB_TRUE_DIVIDE": "PyNumber_TrueDivide",
    "NB_XOR": "PyNumber_Xor",
}
_NB_C_API.update({"NB_INPLACE_" + k[3:]: (v.replace("PyNumber_", "PyNumber_InPlace")
                                          if v.startswith("PyNumber_") else "number_inplace_power")
                  for k, v in list(_NB_C_API.items())})
BINARY_OP_HELPERS: tuple[str, ...] = tuple(_NB_C_API[name] for name, _ in opcode._nb_ops)

for _name in sorted(set(BINARY_OP_HELPERS)):
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
# Calls.
declare("PyObject_Vectorcall", (O, P, I64, ON), "obj", "null",
        doc="(callable, args, nargsf, kwnames)")
declare("PyObject_VectorcallMethod", (O, P, I64, ON), "obj", "null",
        doc="(name, args with self first, nargsf, kwnames)")
declare("PyObject_Call", (O, O, ON), "obj", "null", doc="(callable, args tuple, kwargs)")
# Iteration.
declare("PyObject_GetIter", (O,), "obj", "null")
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
declare("PyCell_Set", (O, ON), "int", "minus_one")
# Reference counts (cold paths).
declare("_Py_Dealloc", (O,), "void", "none", doc="the object's refcount is 0")
declare("Py_IncRef", (ON,), "void", "none")
declare("Py_DecRef", (ON,), "void", "none")

from . import helper_impls  # noqa: E402,F401  (registers the Python implementations)
