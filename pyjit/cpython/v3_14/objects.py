"""CPython 3.14's objects as the shared routines and the code generator
read and write them.

3.13's fragments (pyjit/cpython/v3_13/objects.py: compact ints, inline
values, range iterators, the running thread state) where 3.14 reads the
same, and its own for what 3.14 changed:

Reference counts (layout.IMMORTAL_REFCNT): an incref adds one to the low
32 bits of ob_refcnt unless they are 3 << 30 or more, a decref leaves an
object alone when bit 31 of its count is set, else takes one from the low
32 bits (the high half holds ob_overflow and ob_flags, which neither
touches).  Ints: the small ints have lv_tag's bit 2 set, which the
non-negative one-digit test masks.  Stack refs (layout.STACKREF_*): the
object of a tagged word.  The recursion count of Python calls is at 3.14's
offset.

Local labels 81, 82 and 83 belong to the reference count fragments: the
text around them must not use those numbers.
"""

from __future__ import annotations

import ctypes
from functools import partial

from . import layout as L
from ..v3_11 import objects as _v3_11
from ..v3_13 import layout as _L313
from ..v3_13.objects import (  # noqa: F401  (what reads nothing 3.14 changed)
    _mem, add_to_insertion_order, no_dict_sharing_values, init_one_digit, instance_dict,
    instance_dict_address, instance_values, no_instance_dict, one_digit_checks,
    one_digit_values, range_iter_advance, range_iter_next,
    small_int_index_shift, take_eval_breaker,
)

# What the fragments imported from 3.13 read is where 3.13 has it.
for _name in ("OB_TYPE", "TYPE_TP_BASICSIZE", "VALUES_VALID", "VALUES_ITEMS", "VALUES_SIZE",
              "VALUES_CAPACITY", "OBJECT_MANAGED_DICT", "LONG_LV_TAG",
              "LONG_OB_DIGIT", "LONG_NON_SIZE_BITS", "LONG_SIGN_MASK", "LONG_SIGN_NEGATIVE",
              "LONG_COMPACT_TAG_LIMIT", "RANGEITER_START", "RANGEITER_LEN",
              "SMALL_INT_STRIDE", "TSTATE_EVAL_BREAKER", "EVAL_BREAKER_REQUESTS_WIDTH",
              "EVAL_GIL_DROP_REQUEST_BIT", "EVAL_EVENTS_MASK"):
    assert getattr(L, _name) == getattr(_L313, _name), _name
assert L.OB_REFCNT == 0 and L.IMMORTAL_BIT == 31 and L.IMMORTAL_REFCNT == 3 << 30
# The two top bits of the low word set <=> the low word >= IMMORTAL_REFCNT.
_SATURATED = (30, 31)
_MASK64 = (1 << 64) - 1


def incref(obj: str, tmp: str, note: str = "Py_INCREF") -> str:
    """Py_INCREF(obj): the low 32 bits plus one, unless both their top bits
    are set (at least 3 << 30: immortal, left alone)."""
    w = "w" + tmp[1:]
    low, high = _SATURATED
    return (f"    ldr {w}, [{obj}]                    // {note}\n"
            f"    tbz {w}, #{high}, 83f\n"
            f"    tbnz {w}, #{low}, 81f                   // >= 3 << 30: immortal, left alone\n"
            "83:\n"
            f"    add {w}, {w}, #1\n"
            f"    str {w}, [{obj}]\n"
            "81:\n")


def decref(obj: str, tmp: str, on_zero: str | None, note: str = "Py_DECREF", call: bool = False,
           kept: str | None = None) -> str:
    """Py_DECREF(obj) without the deallocation: nothing for an immortal
    object (bit 31 of the low word), else the low word minus one, branching
    to on_zero when it reaches zero (obj still in its register); with
    call, calls it (`bl`) instead; with kept, branches there when the
    object lives on and falls through at zero."""
    w = "w" + tmp[1:]
    tail = (f"    b.ne 82f\n    bl {on_zero}\n" if call else
            f"    b.ne {kept}\n" if kept else f"    b.eq {on_zero}\n")
    return (f"    ldr {w}, [{obj}]                    // {note}\n"
            f"    tbnz {w}, #{L.IMMORTAL_BIT}, {kept or '82f'}                   // immortal: left alone\n"
            f"    subs {w}, {w}, #1\n"
            f"    str {w}, [{obj}]\n"
            + tail + "82:\n")


def refcount_is_one(obj: str, tmp: str, otherwise: str) -> str:
    """Go to otherwise unless obj's count (the low 32 bits) is exactly one."""
    w = "w" + tmp[1:]
    return (f"    ldr {w}, [{obj}]                    // Py_REFCNT(obj) == 1\n"
            f"    cmp {w}, #1\n"
            f"    b.ne {otherwise}\n")


def is_immortal(obj: object) -> bool:
    """Whether compiled code may leave out obj's increfs and decrefs: bit
    IMMORTAL_BIT of the low 32 bits of its count is set, so that decrefs do
    nothing (and an incref, below IMMORTAL_REFCNT, only moves the count
    towards it: the object stays immortal whether it runs or not)."""
    return bool(ctypes.c_uint32.from_address(id(obj) + L.OB_REFCNT).value >> L.IMMORTAL_BIT & 1)


def stackref_object(ref: str, dst: str) -> str:
    """dst = the object of the stack ref in register ref (NULL for
    STACKREF_NULL); ref holds no tagged int."""
    return f"    and {dst}, {ref}, #{_MASK64 ^ L.STACKREF_TAG_REFCNT:#x}              // the stack ref's object\n"


enter_recursive_call = partial(_v3_11.enter_recursive_call, offset=L.TSTATE_RECURSION_REMAINING)
leave_recursive_call = partial(_v3_11.leave_recursive_call, offset=L.TSTATE_RECURSION_REMAINING)
