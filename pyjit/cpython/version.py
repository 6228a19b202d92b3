"""Which CPython is running, and whether pyjit has a description of it.

    from pyjit.cpython.version import RUNNING, SUPPORTED, UnsupportedPython

A description (one package per version, `v3_11/`, ...) says what generated
code may inline about the interpreter's structures.  A wrong offset would
corrupt the host's heap, so a version without one is refused when
`pyjit.cpython` is imported, with one sentence naming the version and the
supported ones (`UnsupportedPython`, whose message is what the `pyjit`
command prints, exit status 2).

Also refused: a 32-bit CPython, a debug or trace-refs build, and a
free-threaded build (3.13 on, Py_GIL_DISABLED: its reference count is
split into ob_ref_local and ob_ref_shared): their object header is larger
than a release build's with the GIL.
"""

from __future__ import annotations

import ctypes
import sys
import sysconfig

# version -> the package describing it
SUPPORTED: dict[tuple[int, int], str] = {(3, 11): "pyjit.cpython.v3_11",
                                         (3, 12): "pyjit.cpython.v3_12",
                                         (3, 13): "pyjit.cpython.v3_13",
                                         (3, 14): "pyjit.cpython.v3_14"}

RUNNING: tuple[int, int] = sys.version_info[:2]


class UnsupportedPython(RuntimeError):
    """The running CPython is not one pyjit describes; the message is one
    sentence."""


def check_build(version: tuple[int, int] = RUNNING) -> str:
    """The description package of `version` for this build; raises
    UnsupportedPython (one sentence) when there is none."""
    known = ", ".join(f"{major}.{minor}" for major, minor in SUPPORTED)
    if version not in SUPPORTED:
        raise UnsupportedPython(
            f"pyjit does not support CPython {version[0]}.{version[1]}: it describes the object "
            f"layout of CPython {known} only")
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        raise UnsupportedPython("pyjit needs a 64-bit CPython: this one has "
                                f"{8 * ctypes.sizeof(ctypes.c_void_p)}-bit pointers")
    if hasattr(sys, "gettotalrefcount") or hasattr(sys, "getobjects"):
        raise UnsupportedPython("pyjit describes release builds of CPython, and this is a debug "
                                "(Py_DEBUG or Py_TRACE_REFS) build with a larger object header")
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        raise UnsupportedPython("pyjit describes CPython builds with the GIL, and this is a "
                                "free-threaded build with a larger object header")
    return SUPPORTED[version]
