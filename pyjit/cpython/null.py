"""NULL, as Python code sees a NULL `PyObject*`.

The Python helpers receive it for an "obj_or_null" argument and may return
it; the HIR interpreter holds it where compiled code holds 0 (an unbound
local, LoadNull, the end of an iteration).  It is distinct from None, which
is Py_None, and false.
"""

from __future__ import annotations


# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import super
class _Null:
    """The one NULL."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NULL"

    def __reduce__(self):
        return (_Null, ())


NULL = _Null()
