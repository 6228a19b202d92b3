"""Binary operators on instances of Python classes, without the C-API.

`v - w` on an instance v of a class defining `__sub__` in Python goes,
through the C-API (PyNumber_Subtract), to the class's slot, which calls
`__sub__` from C: for a compiled `__sub__`, an emulation nested in a
helper call (a trap, the trampoline, the engine's entry: about 10 us under
Unicorn).  The int routines (int_routines.py) do the call themselves when
the operands fall in the one case whose semantics are only that call:

- v's class C is a class whose MRO holds only Python classes (and object
  last): no C base gives it another slot, a sequence's concatenation or
  repetition, or a float's or an int's arithmetic to fall back to;
- w is an instance of C too, or an exact int or float (their slots do not
  know C: they answer NotImplemented);
- the operator's method (`__sub__`; for `-=`, `__sub__` when no class of the
  MRO defines `__isub__`) is a Python function F, found as the interpreter
  finds it (the first class of the MRO whose dict has it).

Then the interpreter's binary_op1 calls F(v, w) and nothing else: its
result is the operation's, except NotImplemented, which makes the
interpreter's TypeError ("unsupported operand type(s) for -: 'C' and
'int'"), the `binary_op_unsupported` helper's.  The routines call F
through a call cell of their own (cells.CallCell: its compiled entry when
F is compiled in the engine, PyObject_Vectorcall otherwise), counted
against the recursion limit as a direct call.

The routines find F in a per-engine table (`DunderTable`), indexed by a
hash of C and of the operator's C-API function (the routines' x16), whose
entries are [class, operator, version tag, F or 0, call cell].  An entry
holds while C's version tag is the one it was filled with (any change of C
or of a base gives C a new one, and a tag is never reused); otherwise the
routine asks `dunder_fill`, which writes the entry (F 0: the C-API
function does this operation) in one step, or answers 0 (no version tag:
the C-API function).  F is borrowed: C's dict (or a base's) holds it while
the tag stands.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import TypeError, all, dict, id, object, type
import array
import ctypes
import types
import weakref

from . import layout
from .cells import CallCell, tp_name
from .helper_decl import python_helper

ENTRIES = 512                     # a power of two
ENTRY = 64                        # bytes: the routines index by a shift
TYPE, OP, VERSION, FUNC, CELL = 0, 8, 16, 24, 32
_HEAPTYPE = 1 << 9                # Py_TPFLAGS_HEAPTYPE

# The C-API functions of the operators the int routines do (INT_OPS) ->
# (method name, in-place method name or None, the operator in messages).
OPERATORS = {
    "PyNumber_Add": ("__add__", None, "+"), "PyNumber_Subtract": ("__sub__", None, "-"),
    "PyNumber_Multiply": ("__mul__", None, "*"),
    "PyNumber_TrueDivide": ("__truediv__", None, "/"),
    "PyNumber_FloorDivide": ("__floordiv__", None, "//"),
    "PyNumber_Remainder": ("__mod__", None, "%"), "PyNumber_And": ("__and__", None, "&"),
    "PyNumber_Or": ("__or__", None, "|"), "PyNumber_Xor": ("__xor__", None, "^"),
    "PyNumber_InPlaceAdd": ("__add__", "__iadd__", "+="),
    "PyNumber_InPlaceSubtract": ("__sub__", "__isub__", "-="),
    "PyNumber_InPlaceMultiply": ("__mul__", "__imul__", "*="),
    "PyNumber_InPlaceTrueDivide": ("__truediv__", "__itruediv__", "/="),
    "PyNumber_InPlaceFloorDivide": ("__floordiv__", "__ifloordiv__", "//="),
    "PyNumber_InPlaceRemainder": ("__mod__", "__imod__", "%="),
    "PyNumber_InPlaceAnd": ("__and__", "__iand__", "&="),
    "PyNumber_InPlaceOr": ("__or__", "__ior__", "|="),
    "PyNumber_InPlaceXor": ("__xor__", "__ixor__", "^="),
}


def index(cls_address: int, op_address: int) -> int:
    """The entry of (class, operator): what the routines compute."""
    return ((cls_address >> 4) ^ (op_address >> 2)) & (ENTRIES - 1)


def _lookup(cls, name: str):
    """What _PyType_Lookup finds for name on cls, or None."""
    for base in cls.__mro__:
        found = base.__dict__.get(name)
        if found is not None:
            return found
    return None


def method_for(cls, name: str, inplace: str | None):
    """The Python function F such that the operator on an instance of cls
    (and an instance of cls, an int or a float) is F(v, w) and nothing
    else (module docstring), or None."""
    mro = cls.__mro__
    if mro[-1] is not object or not all(b.__flags__ & _HEAPTYPE for b in mro[:-1]):
        return None
    if inplace is not None and _lookup(cls, inplace) is not None:
        return None
    func = _lookup(cls, name)
    return func if type(func) is types.FunctionType else None


class DunderTable:
    """One engine's table (module docstring): `address` is what the
    routines index; `operators` maps the engine's addresses of the C-API
    functions to OPERATORS' entries."""

    def __init__(self, operators: dict[int, tuple], compiled_entry):
        self._words = array.array("Q", bytes(ENTRIES * ENTRY))
        self.address = self._words.buffer_info()[0]
        self.operators = operators
        self._compiled_entry = compiled_entry
        self._cells: dict[int, CallCell] = {}     # entry index -> its call cell (kept)
        _tables[self.address] = weakref.ref(self)

    def fill(self, cls, op_address: int) -> int:
        """Write the entry of (cls, operator); 1, or 0 when cls has no
        version tag (the C-API function then)."""
        name, inplace, _ = self.operators[op_address]
        func = method_for(cls, name, inplace)
        version = ctypes.c_uint32.from_address(id(cls) + layout.TYPE_TP_VERSION_TAG).value
        if not version:
            return 0
        i = index(id(cls), op_address)
        cell = self._cells.get(i)
        if cell is None:
            cell = self._cells[i] = CallCell(f"dunder {i}", instances=False)
            cell.compiled_entry = self._compiled_entry
        at = i * ENTRY // 8
        self._words[at:at + 5] = array.array(
            "Q", [id(cls), op_address, version, 0 if func is None else id(func), cell.address])
        return 1

    def entry(self, cls, op_address: int) -> list[int]:
        """The words of the entry (cls, operator) would use."""
        at = index(id(cls), op_address) * ENTRY // 8
        return self._words[at:at + 5].tolist()


_tables: dict[int, weakref.ref] = {}


@python_helper("dunder_fill", ("ptr", "obj", "ptr"), "int64", "none", room=True)
def dunder_fill(address, cls, op_address):
    """DunderTable.fill of the table at address (the int routines, when
    the entry of an operand's class and an operator does not hold)."""
    ref = _tables.get(address)
    table = ref() if ref is not None else None
    return table.fill(cls, op_address) if table is not None else 0


@python_helper("binary_op_unsupported", ("obj", "obj", "ptr", "ptr"), "obj", "null")
def binary_op_unsupported(v, w, address, op_address):
    """The interpreter's TypeError when the method a DunderTable entry
    names returned NotImplemented."""
    ref = _tables.get(address)
    table = ref() if ref is not None else None
    symbol = table.operators[op_address][2] if table is not None else "?"
    raise TypeError(f"unsupported operand type(s) for {symbol}: "
                    f"'{tp_name(type(v)):.100s}' and '{tp_name(type(w)):.100s}'")
