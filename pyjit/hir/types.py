"""HIR types: a lattice of bit sets.

A type is a set of *atoms*.  Object atoms name exact Python types (``Float``
is exactly ``float``, not a subclass; an instance of a subclass of a builtin
is ``Other``); ``Nullptr`` is the C NULL pointer (an unbound local, an
exhausted iterator); ``CInt64``, ``CDouble`` and ``CBool`` are unboxed
machine values that are never reference counted.

    Object     every object atom           OptObject  Object | Nullptr
    Bottom     no value (unreachable)      Top        everything

``a <= b`` is subtyping (a's atoms are all in b), ``a | b`` the join (phis),
``a & b`` the meet (refinement after a type check), ``a - b`` removal (a
non-NULL check).  A type prints as its name when it has one, else as a
union of names in braces: ``{Float|Long}``.
"""

from __future__ import annotations

import types as _pytypes
from dataclasses import dataclass

# (name, exact Python type) in bit order; Other is "any other object".
_OBJECT_ATOMS: tuple[tuple[str, type | None], ...] = (
    ("Bool", bool),
    ("Long", int),
    ("Float", float),
    ("Str", str),
    ("Bytes", bytes),
    ("Tuple", tuple),
    ("List", list),
    ("Dict", dict),
    ("Set", set),
    ("FrozenSet", frozenset),
    ("NoneType", type(None)),
    ("Slice", slice),
    ("Func", _pytypes.FunctionType),
    ("Cell", _pytypes.CellType),
    ("Type", type),
    ("Code", _pytypes.CodeType),
    ("Other", None),
)
_PRIMITIVE_ATOMS: tuple[str, ...] = ("Nullptr", "CInt64", "CDouble", "CBool")

_ATOM_BITS: dict[str, int] = {}
for _i, (_name, _) in enumerate(_OBJECT_ATOMS):
    _ATOM_BITS[_name] = 1 << _i
for _j, _name in enumerate(_PRIMITIVE_ATOMS):
    _ATOM_BITS[_name] = 1 << (len(_OBJECT_ATOMS) + _j)
_EXACT_TO_ATOM: dict[type, str] = {t: n for n, t in _OBJECT_ATOMS if t is not None}
_OBJECT_BITS = sum(1 << i for i in range(len(_OBJECT_ATOMS)))
_ALL_BITS = (1 << len(_ATOM_BITS)) - 1


@dataclass(frozen=True)
class Type:
    """A set of atoms; immutable and hashable."""

    bits: int

    def __le__(self, other: Type) -> bool:
        return self.bits & ~other.bits == 0

    def __lt__(self, other: Type) -> bool:
        return self <= other and self != other

    def __or__(self, other: Type) -> Type:
        return Type(self.bits | other.bits)

    def __and__(self, other: Type) -> Type:
        return Type(self.bits & other.bits)

    def __sub__(self, other: Type) -> Type:
        return Type(self.bits & ~other.bits)

    def could_be(self, other: Type) -> bool:
        """True when some value has both types."""
        return self.bits & other.bits != 0

    @property
    def is_bottom(self) -> bool:
        return self.bits == 0

    @property
    def is_object(self) -> bool:
        """Every value of this type is a real object (never NULL)."""
        return not self.is_bottom and self <= Object

    @property
    def is_refcounted(self) -> bool:
        """Some value of this type is an object (so it carries a reference)."""
        return self.bits & _OBJECT_BITS != 0   # could_be(Object), asked very often

    @staticmethod
    def of_object(obj: object) -> Type:
        """The exact type atom of a Python object."""
        return _ATOM_OF_EXACT.get(type(obj), Other)

    def atoms(self) -> list[str]:
        return [name for name, bit in _ATOM_BITS.items() if self.bits & bit]

    def __str__(self) -> str:
        name = _NAMES.get(self.bits)
        if name is not None:
            return name
        parts: list[str] = []
        rest = self.bits
        for big in (OptObject, Object):
            if rest & big.bits == big.bits:
                parts.append(_NAMES[big.bits])
                rest &= ~big.bits
        parts += Type(rest).atoms()
        return "{" + "|".join(parts) + "}"

    def __repr__(self) -> str:
        return f"Type({self})"


def _atom(name: str) -> Type:
    return Type(_ATOM_BITS[name])


Bottom = Type(0)
Top = Type(_ALL_BITS)
Object = Type(_OBJECT_BITS)
Nullptr = _atom("Nullptr")
OptObject = Object | Nullptr
CInt64 = _atom("CInt64")
CDouble = _atom("CDouble")
CBool = _atom("CBool")
Bool = _atom("Bool")
Long = _atom("Long")
Float = _atom("Float")
Str = _atom("Str")
Bytes = _atom("Bytes")
Tuple = _atom("Tuple")
List = _atom("List")
Dict = _atom("Dict")
Set = _atom("Set")
FrozenSet = _atom("FrozenSet")
NoneType = _atom("NoneType")
Slice = _atom("Slice")
Func = _atom("Func")
Cell = _atom("Cell")
TypeObj = _atom("Type")
Code = _atom("Code")
Other = _atom("Other")

# The atom of each exact type, made once (of_object, asked for every constant).
_ATOM_OF_EXACT: dict[type, Type] = {t: _atom(n) for t, n in _EXACT_TO_ATOM.items()}

_NAMES: dict[int, str] = {
    0: "Bottom",
    _ALL_BITS: "Top",
    Object.bits: "Object",
    OptObject.bits: "OptObject",
}
for _name in _ATOM_BITS:
    _NAMES[_ATOM_BITS[_name]] = _name

BY_NAME: dict[str, Type] = {name: Type(bits) for bits, name in _NAMES.items()}


def parse_type(text: str) -> Type:
    """Inverse of ``str(Type)``: ``Object``, ``{Float|Long}``, ..."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        result = Bottom
        for part in text[1:-1].split("|"):
            result = result | BY_NAME[part]
        return result
    return BY_NAME[text]
