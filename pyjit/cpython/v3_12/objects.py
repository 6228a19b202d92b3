"""CPython 3.12's objects as the shared routines and the code generator
read and write them.

The same functions, with the same contracts, as 3.11's
(pyjit/cpython/v3_11/objects.py, which says how fragments are written);
those that read nothing 3.12 changed are 3.11's own.  What differs:

Reference counts (layout.IMMORTAL_REFCNT): an incref adds one to the low 32
bits of ob_refcnt and writes them back unless they wrapped to zero (the
count of an immortal object saturates at 0xFFFFFFFF); a decref leaves an
object alone when bit 31 of its count is set (immortal), else takes one
from the 64-bit count.  Ints: lv_tag instead of ob_size, below
LONG_COMPACT_TAG_LIMIT for at most one digit, the value (1 - (lv_tag & 3))
* digit[0].  Managed dicts: one tagged word (layout.OBJECT_VALUES).  The
recursion count of Python calls is py_recursion_remaining.

Local labels 81 and 82 belong to the reference count fragments: the text
around them must not use those numbers.
"""

from __future__ import annotations

import ctypes
from functools import partial

from . import layout as L
from ..v3_11 import objects as _v3_11
from ..v3_11.objects import (  # noqa: F401
    _mem, add_to_insertion_order, no_dict_sharing_values, refcount_is_one,
    small_int_index_shift, take_eval_breaker,
)

assert L.VALUES_ORDER_COUNT == _v3_11.L.VALUES_ORDER_COUNT   # add_to_insertion_order
assert L.SMALL_INT_STRIDE == _v3_11.L.SMALL_INT_STRIDE      # small_int_index_shift too
assert L.OB_REFCNT == 0 and L.IMMORTAL_BIT == 31


def incref(obj: str, tmp: str, note: str = "Py_INCREF") -> str:
    """Py_INCREF(obj): the low 32 bits plus one, not written back when they
    wrap (an immortal object)."""
    w = "w" + tmp[1:]
    return (f"    ldr {w}, [{obj}]                    // {note}\n"
            f"    adds {w}, {w}, #1\n"
            f"    b.eq 81f                               // immortal: left alone\n"
            f"    str {w}, [{obj}]\n"
            "81:\n")


def decref(obj: str, tmp: str, on_zero: str | None, note: str = "Py_DECREF", call: bool = False,
           kept: str | None = None) -> str:
    """Py_DECREF(obj) without the deallocation: nothing for an immortal
    object, else branches to on_zero when the count reaches zero (obj still
    in its register); with call, calls it (`bl`) instead; with kept,
    branches there when the object lives on and falls through at zero."""
    tail = (f"    b.ne 82f\n    bl {on_zero}\n" if call else
            f"    b.ne {kept}\n" if kept else f"    b.eq {on_zero}\n")
    return (f"    ldr {tmp}, [{obj}]                    // {note}\n"
            f"    tbnz {tmp}, #{L.IMMORTAL_BIT}, {kept or '82f'}                   // immortal: left alone\n"
            f"    subs {tmp}, {tmp}, #1\n"
            f"    str {tmp}, [{obj}]\n"
            + tail + "82:\n")


def is_immortal(obj: object) -> bool:
    """Whether increfs and decrefs of obj do nothing (so that compiled code
    may leave them out where it knows the object): bit IMMORTAL_BIT of the
    low 32 bits of its count is set.  An object that is immortal stays so:
    3.12 never makes one mortal again while Python code can run (only the
    interpreter's final teardown of interned strings does)."""
    return bool(ctypes.c_uint32.from_address(id(obj) + L.OB_REFCNT).value >> L.IMMORTAL_BIT & 1)


def instance_values(obj: str, values: str, miss: str) -> str:
    """values = the values array of obj, an instance of a type with a
    managed dict; go to miss when the word holds a dict instead."""
    return (f"    ldr {values}, [{obj}, #{L.OBJECT_VALUES}]                    // dict or values\n"
            f"    tbz {values}, #0, {miss}\n"
            f"    add {values}, {values}, #{L.VALUES_TAG}\n")


def instance_dict(obj: str, dst: str, miss: str) -> str:
    """dst = the materialized __dict__ of obj, an instance of a type with a
    managed dict: its dict-or-values word when not tagged as values and
    not NULL; else go to miss."""
    return (f"    ldr {dst}, [{obj}, #{L.OBJECT_MANAGED_DICT}]                    // dict or values\n"
            f"    tbnz {dst}, #0, {miss}\n"
            f"    cbz {dst}, {miss}\n")


def instance_dict_address(address: int) -> int:
    """The address of the materialized __dict__ of the object at address
    (its type has a managed dict), or 0: what instance_dict reads."""
    word = ctypes.c_uint64.from_address(address + L.OBJECT_MANAGED_DICT).value
    return 0 if word & 1 else word


def no_instance_dict(obj: str, tmp: str, miss: str) -> str:
    """Go to miss when obj (its type has a managed dict) has a materialized
    __dict__ (its dict-or-values word is not tagged as values)."""
    return (f"    ldr {tmp}, [{obj}, #{L.OBJECT_VALUES}]                    // dict or values\n"
            f"    tbz {tmp}, #0, {miss}\n")


def one_digit_checks(ints: list[tuple[str, str]], tmp: str, fail: str) -> str:
    """For each (int object, size register): load the int's lv_tag into the
    size register and go to fail unless the int has at most one digit."""
    return "".join(f"    ldr {size}, [{obj}, #{L.LONG_LV_TAG}]\n"
                   f"    cmp {size}, #{L.LONG_COMPACT_TAG_LIMIT}"
                   + ("                           // lv_tag: at most one digit" if k == 0 else "")
                   + f"\n    b.hs {fail}\n" for k, (obj, size) in enumerate(ints))


def one_digit_values(ints: list[tuple[str, str, str]]) -> str:
    """For each (int object, its size register from one_digit_checks, value
    register): the int's value into the value register (the size register
    is clobbered)."""
    loads = "".join(f"    ldr w{value[1:]}, [{obj}, #{L.LONG_OB_DIGIT}]\n"
                    for obj, _, value in ints)
    signs = "".join(f"    and {size}, {size}, #{L.LONG_SIGN_MASK}\n"
                    f"    msub {value}, {value}, {size}, {value}"
                    + ("                     // digit * (1 - sign bits)" if k == 0 else "")
                    + "\n" for k, (_, size, value) in enumerate(ints))
    return loads + signs


def init_one_digit(obj: str, value: str, magnitude: str, tmp: str, count: bool = True) -> str:
    """Make the dead int obj (its ob_type is int already, it has room for
    one digit) the int `value` with one reference; magnitude holds |value|,
    which is below 2**30, and value is not 0 (zero is a cached small int).
    count=False: obj holds one reference already (only its value is
    written)."""
    one_digit = 1 << L.LONG_NON_SIZE_BITS
    counted = (f"    mov {tmp}, #1\n"
               f"    str {tmp}, [{obj}]                    // ob_refcnt\n")
    return ((counted if count else "") +
            f"    asr {tmp}, {value}, #63\n"
            f"    and {tmp}, {tmp}, #{L.LONG_SIGN_NEGATIVE}\n"
            f"    orr {tmp}, {tmp}, #{one_digit}                      // lv_tag: one digit, the sign\n"
            f"    str {tmp}, [{obj}, #{L.LONG_LV_TAG}]\n"
            f"    str w{magnitude[1:]}, [{obj}, #{L.LONG_OB_DIGIT}]\n")


def range_iter_next(it: str, value: str, end: str) -> str:
    """value = the next value of the range iterator `it` (not advanced yet:
    range_iter_advance does that), or go to end when it has none.  3.12's
    iterator has no index: it keeps the next value (start), the step and
    the number of values left (len).  Keeps the next start in x12 and len
    in x16 for range_iter_advance."""
    return (f"    ldp {value}, x13, [{it}, #{L.RANGEITER_START}]    // start, step\n"
            f"    ldr x16, [{it}, #{L.RANGEITER_LEN}]            // values left\n"
            f"    cmp x16, #0\n"
            f"    b.le {end}                 // the end\n"
            f"    add x12, {value}, x13                  // the next start\n")


def range_iter_advance(it: str) -> str:
    """Advance the range iterator `it` past the value range_iter_next gave
    (x12 and x16 as it left them)."""
    return ("    sub x16, x16, #1\n"
            f"    str x12, [{it}, #{L.RANGEITER_START}]\n"
            f"    str x16, [{it}, #{L.RANGEITER_LEN}]\n")


enter_recursive_call = partial(_v3_11.enter_recursive_call, offset=L.TSTATE_RECURSION_REMAINING)
leave_recursive_call = partial(_v3_11.leave_recursive_call, offset=L.TSTATE_RECURSION_REMAINING)

