"""Function versions that say "its compiled entry still applies".

A compiled caller calls a compiled callee's machine code directly (call
cells, cells.py) after matching the callee's identity only.  What that code
was compiled from can change under the same identity: a program assigns
`f.__code__` (the trampoline that sent f's calls to its compiled code is
gone), or `__defaults__`/`__kwdefaults__`.  The interpreter itself resets a
function's `func_version` on each of these (3.11-3.14: to 0, or to
FUNC_VERSION_CLEARED on 3.14), for its own specialized calls.

pyjit gives a function whose compiled entry callers may call a version of
its own, with bit 31 set (`stamp`), once its trampoline is installed.  The
call routines (call_routines.py) check that bit before a direct call; a
function whose version lost it goes to the helper `call_entry_stale`
(cells.py), which stamps it again if its trampoline is still its code, and
otherwise makes its callers forget the entry.

The interpreter's own versions count up from 1 (3.11: assigned when a call
to the function is first specialized; 3.12+: the code's version, at
MAKE_FUNCTION), far below bit 31, and it compares versions for equality
only, so a stamped version is one more unique version to it.  3.13 and
3.14 keep a cache indexed by version whose entries name functions: there a
function is only stamped when its version is unset or cleared (as it is
right after its `__code__` is assigned), so it is in no cache slot under
the version it loses, and a stamped version enters none.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import id
import ctypes

from . import layout
from .version import RUNNING

STAMPED = 1 << 31
# The versions a function may lose to a stamp: any before 3.13 (no cache
# names functions by version); unset, or cleared (3.14), after.
_REPLACEABLE = (None if RUNNING < (3, 13)
                else (0, getattr(layout, "FUNC_VERSION_CLEARED", 0)))
_next = [0]


def _field(func) -> ctypes.c_uint32:
    return ctypes.c_uint32.from_address(id(func) + layout.FUNC_VERSION)


def version(func) -> int:
    """func's func_version, as the interpreter keeps it."""
    return _field(func).value


def stamped(func) -> bool:
    return bool(version(func) & STAMPED)


def stamp(func) -> bool:
    """Give func a pyjit version (unique to this stamp) if its version may
    be replaced (_REPLACEABLE) or is already pyjit's; whether func now has
    one."""
    field = _field(func)
    if _REPLACEABLE is None or field.value & STAMPED or field.value in _REPLACEABLE:
        _next[0] = (_next[0] + 1) & (STAMPED - 1)
        field.value = STAMPED | _next[0]
    return bool(field.value & STAMPED)
