"""The object layout table of the running CPython.

    from pyjit.runtime import layout
    layout.FLOAT_OB_FVAL      # offsetof(PyFloatObject, ob_fval)

Generated code inlines what is true of the running interpreter's structures
(refcounts, types, tuple items, dict versions...); every offset comes from
here, never from a literal in the code generator.  One module per CPython
version (`layout_311.py`, ...) holds the table; this module re-exports the
one matching `sys.version_info` and refuses, at import, to run on a version
it has no table for (a wrong offset would corrupt the host's heap).

Also checked at import: a 64-bit, non-debug build (a debug or trace-refs
build has a different object header).
"""

from __future__ import annotations

import ctypes
import sys

SUPPORTED = ((3, 11),)


class UnsupportedPython(RuntimeError):
    """The running CPython has no layout table in pyjit.runtime."""


def _check_build(version: tuple[int, int]) -> None:
    if version not in SUPPORTED:
        known = ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED)
        raise UnsupportedPython(
            f"pyjit.runtime has no object layout table for CPython {version[0]}.{version[1]} "
            f"(supported: {known}); 3.12 and 3.13 tables are not written yet")
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        raise UnsupportedPython("pyjit.runtime needs a 64-bit CPython")
    if hasattr(sys, "gettotalrefcount") or hasattr(sys, "getobjects"):
        raise UnsupportedPython("pyjit.runtime's layout tables describe release builds; "
                                "this is a debug (Py_DEBUG / Py_TRACE_REFS) build")


_check_build(sys.version_info[:2])

if sys.version_info[:2] == (3, 11):
    from .layout_311 import *  # noqa: E402,F401,F403
    from . import layout_311 as table  # noqa: E402


def names() -> list[str]:
    """The names the table defines (upper-case constants)."""
    return sorted(n for n in vars(table) if n.isupper())


def dict_entries_offset(log2_index_bytes: int) -> int:
    """Offset of a dict keys object's entries from the keys object, given
    its dk_log2_index_bytes."""
    return table.KEYS_DK_INDICES + (1 << log2_index_bytes)
