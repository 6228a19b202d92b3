"""CPython 3.13's objects as the shared routines and the code generator
read and write them.

3.12's fragments (pyjit/cpython/v3_12/objects.py: the immortal-aware
reference counts, compact ints, range iterators, the recursion count, the
running thread state) with 3.13's offsets, and its own for what 3.13
changed: an instance's attribute values live after the object, at its
type's tp_basicsize, and are the attributes while their `valid` byte is
set (layout.INLINE_VALUES).

Local labels 81 and 82 belong to the reference count fragments: the text
around them must not use those numbers.
"""

from __future__ import annotations

from functools import partial

from . import layout as L
from ..v3_11 import objects as _v3_11
from ..v3_11.objects import (  # noqa: F401  (the dict word)
    instance_dict, instance_dict_address,
)
from ..v3_12 import layout as _L312
from ..v3_12.objects import (  # noqa: F401  (what reads nothing 3.13 changed)
    _mem, decref, incref, init_one_digit, is_immortal,
    one_digit_checks, one_digit_values, range_iter_advance, range_iter_next,
    refcount_is_one, small_int_index_shift,
)

# What the fragments imported from 3.12 read is where 3.12 has it, and 3.11's.
assert L.OBJECT_MANAGED_DICT == _v3_11.L.OBJECT_MANAGED_DICT   # instance_dict
for _name in ("OB_REFCNT", "IMMORTAL_BIT", "LONG_LV_TAG", "LONG_OB_DIGIT", "RANGEITER_START",
              "RANGEITER_LEN", "SMALL_INT_STRIDE"):
    assert getattr(L, _name) == getattr(_L312, _name), _name


def _inline_values_header(obj: str, dst: str) -> str:
    """dst = the address of obj's inline PyDictValues (obj + tp_basicsize)."""
    return (f"    ldr {dst}, [{obj}, #{L.OB_TYPE}]\n"
            f"    ldr {dst}, [{dst}, #{L.TYPE_TP_BASICSIZE}]\n"
            f"    add {dst}, {obj}, {dst}                   // inline values after the object\n")


def instance_values(obj: str, values: str, miss: str) -> str:
    """values = the values array of obj, an instance of a type with inline
    values; go to miss when they are no longer its attributes (their
    `valid` byte is clear: a dict of its own holds them).  The header is
    found twice rather than in a second register."""
    w = "w" + values[1:]
    return (_inline_values_header(obj, values)
            + f"    ldrb {w}, [{values}, #{L.VALUES_VALID}]             // valid?\n"
            f"    cbz {w}, {miss}\n"
            + _inline_values_header(obj, values)
            + f"    add {values}, {values}, #{L.VALUES_ITEMS}\n")


def no_dict_sharing_values(obj: str, tmp: str, miss: str) -> str:
    """Before a store into obj's inline values (instance_values found them
    `valid`): go to miss when obj has a dict (OBJECT_MANAGED_DICT), which
    shares them until it needs a table of its own.  A store must then go
    through the dict: its version, its watchers (a dict that is some
    function's globals) and, for a new key, its ma_used change too; what
    CPython's _GUARD_DORV_NO_DICT leaves to the generic path."""
    return (f"    ldr {tmp}, [{obj}, #{L.OBJECT_MANAGED_DICT}]                    // the dict\n"
            f"    cbnz {tmp}, {miss}\n")


def add_to_insertion_order(obj: str, slot: str, offset: str, t1: str, t2: str, t3: str,
                           miss: str) -> str:
    """_PyDictValues_AddToInsertionOrder(values, index) for the empty slot
    `slot` = values->values + offset (offset = 8 * index) of obj's inline
    values, before the value is stored there (STORE_ATTR_INSTANCE_VALUE):
    the order bytes follow the `capacity` value pointers; byte `size` of
    them gets the index and `size` goes up by one.  The capacity is the
    shared keys' usable size when the type made its first instance, which
    a split table never outgrows, so every index fits and this never goes
    to miss (obj has no dict: no_dict_sharing_values came first)."""
    w2, w3 = ("w" + t[1:] for t in (t2, t3))
    items = L.VALUES_ITEMS
    return (f"    sub {t1}, {slot}, {offset}                    // the values\n"
            f"    ldrb {w2}, [{t1}, #{L.VALUES_CAPACITY - items}]                 // capacity\n"
            f"    add {t2}, {t1}, {t2}, lsl #3                 // the order bytes\n"
            f"    ldrb {w3}, [{t1}, #{L.VALUES_SIZE - items}]                 // size\n"
            f"    add {t2}, {t2}, {t3}\n"
            f"    add {w3}, {w3}, #1\n"
            f"    strb {w3}, [{t1}, #{L.VALUES_SIZE - items}]\n"
            f"    lsr {t3}, {offset}, #3                   // the index\n"
            f"    strb {w3}, [{t2}]\n")


def no_instance_dict(obj: str, tmp: str, miss: str) -> str:
    """Go to miss when obj's attributes are no longer its inline values (a
    dict of its own holds them, and may hold any name): what 3.13's
    LOAD_ATTR_METHOD_WITH_VALUES checks."""
    w = "w" + tmp[1:]
    return (_inline_values_header(obj, tmp)
            + f"    ldrb {w}, [{tmp}, #{L.VALUES_VALID}]             // valid?\n"
            f"    cbz {w}, {miss}\n")


def take_eval_breaker() -> str:
    """The requests of the running thread's eval breaker compiled code found
    set, taken: the request bits of its low byte (layout.EVAL_EVENTS_BITS;
    the instrumentation version above them stays) cleared, w0 = the bits
    (what interpreter.rearm_eval_breaker puts back), except the GIL drop
    request, which stays set: any check may serve it (the engine's own
    Python code on the way to the helper too), and put back after another
    thread took the GIL it would make this one wait, in drop_gil, for a
    switch nobody asks for.  The thread state is the GIL's last holder
    (literal lit_eval_breaker: its address), the thread running compiled
    code.  A signal is one of the bits (EVAL_SIGNALS_PENDING_BIT): no
    runtime hint to clear.  Uses x9 and x16."""
    assert L.EVAL_BREAKER_REQUESTS_WIDTH == 1
    kept = L.EVAL_GIL_DROP_REQUEST_BIT
    offset = L.TSTATE_EVAL_BREAKER
    return ("    ldr x9, lit_eval_breaker\n"
            "    ldr x9, [x9]                          // the running thread state\n"
            f"    ldrb w0, [x9, #{offset}]                    // the requests\n"
            f"    and w16, w0, #{kept:#x}                     // the GIL drop request stays\n"
            f"    strb w16, [x9, #{offset}]\n"
            f"    and w0, w0, #{L.EVAL_EVENTS_MASK & ~kept:#x}                    // the others, taken\n")


enter_recursive_call = partial(_v3_11.enter_recursive_call, offset=L.TSTATE_RECURSION_REMAINING)
leave_recursive_call = partial(_v3_11.leave_recursive_call, offset=L.TSTATE_RECURSION_REMAINING)
