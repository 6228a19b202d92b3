"""CPython 3.11's objects as the shared routines read and write them.

Each function returns assembly text (pyjit's assembler syntax, one
instruction a line, four spaces in) for registers and labels the caller
names; every fragment touches only the registers it is given.  The shared
routines (pyjit/cpython/routines.py, int_routines.py) are written with
these, so that what a version changes in its objects (and in the thread
state's recursion count) changes here only.

Reference counts: a plain 64-bit count at OB_REFCNT, no immortal objects.
Ints: ob_size is the signed number of 30-bit digits (0 for zero, -n for a
negative number of n digits), the digits follow at LONG_OB_DIGIT; an int of
at most one digit has ob_size -1, 0 or 1 and the value ob_size * digit[0]
(CPython allocates one digit even for zero).
"""

from __future__ import annotations

import ctypes

from . import layout as L


def _mem(reg: str, offset: int) -> str:
    return f"[{reg}]" if offset == 0 else f"[{reg}, #{offset}]"


def incref(obj: str, tmp: str, note: str = "Py_INCREF") -> str:
    """Py_INCREF(obj)."""
    count = _mem(obj, L.OB_REFCNT)
    return (f"    ldr {tmp}, {count}                    // {note}\n"
            f"    add {tmp}, {tmp}, #1\n"
            f"    str {tmp}, {count}\n")


def decref(obj: str, tmp: str, on_zero: str | None, note: str = "Py_DECREF", call: bool = False,
           kept: str | None = None) -> str:
    """Py_DECREF(obj) without the deallocation: branches to on_zero when the
    count reaches zero (obj still in its register); with call, calls it
    (`bl`) instead and goes on after the fragment; with kept, branches
    there when the object lives on and falls through at zero."""
    count = _mem(obj, L.OB_REFCNT)
    tail = (f"    b.ne 82f\n    bl {on_zero}\n82:\n" if call else
            f"    b.ne {kept}\n" if kept else f"    b.eq {on_zero}\n")
    return (f"    ldr {tmp}, {count}                    // {note}\n"
            f"    subs {tmp}, {tmp}, #1\n"
            f"    str {tmp}, {count}\n" + tail)


def refcount_is_one(obj: str, tmp: str, otherwise: str) -> str:
    """Go to otherwise unless obj's count is exactly one (no one else holds
    it: what enumerate and zip check before they recycle their result)."""
    return (f"    ldr {tmp}, [{obj}]                    // Py_REFCNT(obj) == 1\n"
            f"    cmp {tmp}, #1\n"
            f"    b.ne {otherwise}\n")


def is_immortal(obj: object) -> bool:
    """Whether increfs and decrefs of obj do nothing (so that compiled code
    may leave them out where it knows the object): never on 3.11."""
    return False


def instance_values(obj: str, values: str, miss: str) -> str:
    """values = the values array of obj, an instance of a type with a
    managed dict; go to miss when it has none (its dict is materialized)."""
    return (f"    ldr {values}, {_mem(obj, L.OBJECT_VALUES)}                    // values\n"
            f"    cbz {values}, {miss}\n")


def instance_dict(obj: str, dst: str, miss: str) -> str:
    """dst = the materialized __dict__ of obj, an instance of a type with a
    managed dict; go to miss when it has none."""
    return (f"    ldr {dst}, {_mem(obj, L.OBJECT_MANAGED_DICT)}                    // the dict\n"
            f"    cbz {dst}, {miss}\n")


def instance_dict_address(address: int) -> int:
    """The address of the materialized __dict__ of the object at address
    (its type has a managed dict), or 0: what instance_dict reads."""
    return ctypes.c_uint64.from_address(address + L.OBJECT_MANAGED_DICT).value


def no_dict_sharing_values(obj: str, tmp: str, miss: str) -> str:
    """Before a store into obj's values (instance_values found them): go to
    miss when a dict of obj's shares them, whose version and watchers a
    store must go through.  Nothing on 3.11 and 3.12: a materialized dict
    takes the values over (the values word is then NULL / the dict)."""
    return ""


def add_to_insertion_order(obj: str, slot: str, offset: str, t1: str, t2: str, t3: str,
                           miss: str) -> str:
    """_PyDictValues_AddToInsertionOrder(values, index) for the empty slot
    `slot` = values + offset (offset = 8 * index) of obj's values array,
    before the value is stored there (STORE_ATTR_INSTANCE_VALUE): the
    count byte at values[VALUES_ORDER_COUNT] goes up by one and the order
    byte just below the count's new place, values[-2 - count], gets the
    index.  Every values array of a type has room for every index of its
    shared keys (new_values sizes it for dk_nentries + dk_usable, which a
    split table never outgrows), so this never misses (3.13's does)."""
    w2, w3 = "w" + t2[1:], "w" + t3[1:]
    order = L.VALUES_ORDER_COUNT
    return (f"    sub {t1}, {slot}, {offset}                    // the values array\n"
            f"    ldrb {w2}, [{t1}, #{order}]                  // the insertion order's count\n"
            f"    add {w2}, {w2}, #1\n"
            f"    sub {t3}, {t1}, {t2}\n"
            f"    strb {w2}, [{t1}, #{order}]\n"
            f"    lsr {t2}, {offset}, #3                   // the index\n"
            f"    strb {w2}, [{t3}, #{order}]\n")


def no_instance_dict(obj: str, tmp: str, miss: str) -> str:
    """Go to miss when obj (its type has a managed dict) has a materialized
    __dict__."""
    return (f"    ldr {tmp}, {_mem(obj, L.OBJECT_MANAGED_DICT)}                    // the dict\n"
            f"    cbnz {tmp}, {miss}\n")


def one_digit_checks(ints: list[tuple[str, str]], tmp: str, fail: str) -> str:
    """For each (int object, size register): load the int's size into the
    size register and go to fail unless the int has at most one digit."""
    out = []
    for k, (obj, size) in enumerate(ints):
        note = "// ob_size in -1..1" if k == 0 else ""
        out.append(f"    ldr {size}, [{obj}, #{L.LONG_OB_SIZE}]\n"
                   f"    add {tmp}, {size}, #1\n"
                   f"    cmp {tmp}, #2                            {note}".rstrip() + "\n"
                   f"    b.hi {fail}\n")
    return "".join(out)


def one_digit_values(ints: list[tuple[str, str, str]]) -> str:
    """For each (int object, its size register from one_digit_checks, value
    register): the int's value into the value register."""
    loads = "".join(f"    ldr w{value[1:]}, [{obj}, #{L.LONG_OB_DIGIT}]\n"
                    for obj, _, value in ints)
    muls = "".join(f"    mul {value}, {value}, {size}"
                   + ("                     // the values: ob_size * digit" if k == 0 else "")
                   + "\n" for k, (_, size, value) in enumerate(ints))
    return loads + muls


def init_one_digit(obj: str, value: str, magnitude: str, tmp: str, count: bool = True) -> str:
    """Make the dead int obj (its ob_type is int already, it has room for
    one digit) the int `value` with one reference; magnitude holds |value|,
    which is below 2**30.  count=False: obj holds one reference already
    (only its value is written)."""
    refcount = f"    str {tmp}, {_mem(obj, L.OB_REFCNT)}                    // ob_refcnt\n"
    return (f"    mov {tmp}, #1\n" + (refcount if count else "") +
            f"    cmp {value}, #0\n"
            f"    cneg {tmp}, {tmp}, lt\n"
            f"    str {tmp}, [{obj}, #{L.LONG_OB_SIZE}]\n"
            f"    str w{magnitude[1:]}, [{obj}, #{L.LONG_OB_DIGIT}]\n")


def range_iter_next(it: str, value: str, end: str) -> str:
    """value = the next value of the range iterator `it` (not advanced yet:
    range_iter_advance does that), or go to end when it has none.  Keeps
    what range_iter_advance needs in x12 (and x15 until the value is
    boxed: 3.11's len)."""
    return (f"    ldp x12, x13, [{it}, #{L.RANGEITER_INDEX}]    // index, start\n"
            f"    ldp {value}, x15, [{it}, #{L.RANGEITER_STEP}]     // step, len\n"
            "    cmp x12, x15\n"
            f"    b.ge {end}                 // the end\n"
            f"    madd {value}, x12, {value}, x13               // start + index * step\n")


def range_iter_advance(it: str) -> str:
    """Advance the range iterator `it` past the value range_iter_next gave
    (x12 as it left it)."""
    return ("    add x12, x12, #1\n"
            f"    str x12, [{it}, #{L.RANGEITER_INDEX}]\n")


def small_int_index_shift() -> int:
    """log2 of SMALL_INT_STRIDE: the shift from a small int's index in the
    cache to its byte offset."""
    shift = L.SMALL_INT_STRIDE.bit_length() - 1
    assert 1 << shift == L.SMALL_INT_STRIDE
    return shift


def enter_recursive_call(tstate: str, tmp: str, at_limit: str, keep: str, *,
                         offset: int = L.TSTATE_RECURSION_REMAINING) -> str:
    """_Py_EnterRecursiveCallTstate for the thread state in tstate, keeping
    `keep` frames of the limit unused: take one from recursion_remaining (a
    32-bit count at `offset`) if it is above keep, else go to at_limit
    (tstate and tmp unchanged)."""
    remaining = _mem(tstate, offset)
    w = "w" + tmp[1:]
    return (f"    ldr {w}, {remaining}                    // recursion_remaining\n"
            f"    cmp {w}, #{keep}\n"
            f"    b.le {at_limit}\n"
            f"    sub {w}, {w}, #1\n"
            f"    str {w}, {remaining}\n")


def leave_recursive_call(tstate: str, tmp: str, *,
                         offset: int = L.TSTATE_RECURSION_REMAINING) -> str:
    """_Py_LeaveRecursiveCallTstate for the thread state in tstate (the
    count at `offset`)."""
    remaining = _mem(tstate, offset)
    w = "w" + tmp[1:]
    return (f"    ldr {w}, {remaining}                    // recursion_remaining\n"
            f"    add {w}, {w}, #1\n"
            f"    str {w}, {remaining}\n")


def take_eval_breaker() -> str:
    """The requests of the eval breaker compiled code found set, taken: the
    word (address in literal lit_eval_breaker) and the runtime's signals
    hint (lit_signals_pending) cleared, w0 = the hint's value (what
    interpreter.rearm_eval_breaker puts back).  Uses x9."""
    return ("    ldr x9, lit_eval_breaker\n"
            "    str wzr, [x9]                         // cleared, and the signals hint with it\n"
            "    ldr x9, lit_signals_pending\n"
            "    ldr w0, [x9]\n"
            "    str wzr, [x9]\n")
