"""Replacing an attribute of a built-in type: the descriptor put in the
type's own dict (a static type's too: `gc.get_referents` of its mappingproxy
is the dict itself), and the interpreter's type attribute cache told
(`PyType_Modified`), so that every lookup, specialized ones included,
finds the new one.  What C code reads through the type's slots is not
changed, only what attribute lookups find."""

from __future__ import annotations

# Bound at import: the views run while a program may have rebound builtins.
from builtins import AttributeError
import ctypes
import gc

_type_modified = ctypes.PYFUNCTYPE(None, ctypes.py_object)(("PyType_Modified", ctypes.pythonapi))


def replace(cls: type, name: str, descriptor) -> None:
    """cls.name becomes descriptor (nothing done when it already is)."""
    own = gc.get_referents(cls.__dict__)[0]
    if own.get(name) is not descriptor:
        own[name] = descriptor
        _type_modified(cls)


class ReadOnlyView:
    """A read-only data descriptor computing `get(obj)` for an attribute
    the interpreter defines read-only, failing as its setter does."""

    __slots__ = ("_get", "_message")

    def __init__(self, get, name: str, owner_name: str) -> None:
        self._get = get
        self._message = f"attribute '{name}' of '{owner_name}' objects is not writable"

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return self._get(obj)

    def __set__(self, obj, value):
        raise AttributeError(self._message)

    def __delete__(self, obj):
        raise AttributeError(self._message)


class ReadingView:
    """A data descriptor computing `get(obj)` for reads of an attribute
    the interpreter lets programs write (a frame's `f_lineno`, from a trace
    function): writes and deletes go to the interpreter's own descriptor,
    which also stays what `get` falls back on."""

    __slots__ = ("_get", "_own")

    def __init__(self, get, own) -> None:
        self._get, self._own = get, own

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        return self._get(obj)

    def __set__(self, obj, value):
        self._own.__set__(obj, value)

    def __delete__(self, obj):
        self._own.__delete__(obj)
