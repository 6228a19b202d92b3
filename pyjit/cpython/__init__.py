"""pyjit.cpython: everything pyjit knows of the running CPython, and no engine.

    from pyjit.cpython import layout, objects, opcodes
    layout.FLOAT_OB_FVAL            # offsetof(PyFloatObject, ob_fval)

One description per CPython version (`v3_11/`, ...) is selected once, here,
at import: `layout` (object layouts, offsets, flags, the refcount rule, the
small-int cache), `objects` (the assembly fragments that read and write
ints and reference counts, for the shared routines) and `opcodes` (the
tables of the bytecode the builders and the lowering share) and `counting`
(the call-counting prologue of the process-wide modes, pyjit/autojit.py).
On a version without a description, importing any of them raises
`UnsupportedPython`
(version.py) with one sentence; the package itself still imports, so that
the command line can report it.

Beside the description, engine-free and written once for every version:
- helpers.py: the helper declarations (C-API functions and the Python
  helpers of helper_impls.py, helper_ops.py, cells.py and cache_fills.py);
- semantics.py: what each operation does, shared by the HIR interpreter
  and the Python helpers;
- errstate.py: the pending exception of compiled code;
- cells.py: the inline cache cells (and the call cells' fill);
- cache_fills.py: the helpers that fill the other cells on a miss;
- routines.py, int_routines.py, consume_routines.py: the sources of the shared routines;
- null.py: NULL as Python code sees it.

Nothing here imports an engine, Unicorn or capstone; every layer of the
pipeline (hir, lir, aarch64, runtime) may import this package.
"""

from __future__ import annotations

import importlib

from .version import RUNNING, SUPPORTED, UnsupportedPython, check_build

_DESCRIBED = ("VERSION", "layout", "objects", "opcodes", "counting")

try:
    _description = importlib.import_module(check_build(RUNNING))
except UnsupportedPython as _exc:
    # Refused at the first use of the description (`from pyjit.cpython import
    # layout` raises it), so that the command line can import this package
    # and say so in one sentence.
    _refusal = _exc

    def __getattr__(name: str):
        if name in _DESCRIBED:
            raise UnsupportedPython(str(_refusal))
        raise AttributeError(f"module 'pyjit.cpython' has no attribute {name!r}")
else:
    VERSION: tuple[int, int] = _description.VERSION
    layout = _description.layout
    objects = _description.objects
    opcodes = _description.opcodes
    counting = _description.counting

__all__ = ["VERSION", "RUNNING", "SUPPORTED", "UnsupportedPython", "layout", "objects",
           "opcodes", "counting"]
