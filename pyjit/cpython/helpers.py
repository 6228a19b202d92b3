"""The complete helper table: every helper generated code may call.

    from pyjit.cpython.helpers import HELPERS, Helper, NULL
    HELPERS["PyNumber_Add"].failure        # "null"

Importing this module declares them all: the C-API functions (capi.py) and
the Python implementations (helper_impls.py, helper_ops.py, helper_gen.py, the cache
fills of cache_fills.py and cells.py, and the traceback helpers of tracebacks.py).  helper_decl.py says what a declaration means.
"""

from __future__ import annotations

from . import (cache_fills, capi, cells, dunders, helper_gen, helper_impls,  # noqa: F401
               helper_ops, int_pool, tracebacks)  # (they declare the helpers)
from .capi import BINARY_OP_HELPERS
from .helper_decl import HELPERS, Helper, declare, python_helper, register
from .null import NULL

__all__ = ["HELPERS", "Helper", "NULL", "BINARY_OP_HELPERS", "declare", "python_helper",
           "register"]
