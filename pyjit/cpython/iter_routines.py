"""The iterator pools' parts of the number routines (int_routines.py puts
them in its text): pyjit_dealloc's list iterators and pyjit_get_iter's
exact ranges and lists (int_pool.IterPool, RangePool).

A dead list iterator's count word is 0 whole (on 3.14 its flags too), so
pyjit_dealloc writes the pool's count of 1 as a full word.

A pooled list iterator stays tracked by the collector, its count 1 (the
pool's reference, handed to the caller with it): no routine links or
unlinks the collector's list.  Such a link is several loads and stores of
objects any thread allocates into, and a memory hook's Python code (a
first touch the native hook declines) may run between two of them and let
another thread allocate: the list was cut, and the process crashed in
the collector (docs/architecture.md, "Threads, the GIL and emulation
contexts")."""

from __future__ import annotations

from . import layout, objects
from .int_pool import IntPool


def dealloc_iter() -> str:
    """pyjit_dealloc's list iterators (x0, x9 = its type): into the pool of
    dead ones (int_pool.IterPool) while it has room, tracked still, its
    count 1 (the pool's), then its list released as listiter_dealloc
    releases it (last: what that runs finds the pool as it is)."""
    L = layout
    return f"""\
    ldr x10, lit_list_iter_type
    cmp x9, x10
    b.ne dealloc_generic
    ldr x10, lit_iter_pool
    ldp x11, x12, [x10, #{IntPool.COUNT}]                   // count, capacity
    cmp x11, x12
    b.hs dealloc_generic
    mov x12, #1
    str x12, [x0, #{L.OB_REFCNT}]                           // the pool's reference
    add x13, x10, #{IntPool.SLOTS}
    str x0, [x13, x11, lsl #3]
    add x11, x11, #1
    str x11, [x10, #{IntPool.COUNT}]
    ldr x15, [x0, #{L.LISTITER_SEQ}]
    str xzr, [x0, #{L.LISTITER_SEQ}]
    cbz x15, dealloc_iter_done            // exhausted: its list let go before
    mov x0, x15
    @decref x0, x9, pyjit_dealloc
dealloc_iter_done:
    ret
"""


def get_iter() -> str:
    """pyjit_get_iter: an exact range is pyjit_range_iter's (its three
    ints); an exact list with a dead iterator in the pool that nothing but
    the pool holds, that iterator, as list_iter makes one (index 0, the
    list held; the pool's reference is the caller's now);
    else PyObject_GetIter.  A pooled iterator a program holds too (found
    through gc.get_objects()) stays in the pool, dead, until it lets go."""
    L = layout
    ranges = f"""\
    ldr x9, [x0, #{L.OB_TYPE}]
    ldr x10, lit_range_type
    cmp x9, x10
    b.ne get_iter_list
    ldr x1, [x0, #{L.RANGE_STOP}]
    ldr x2, [x0, #{L.RANGE_STEP}]
    ldr x0, [x0, #{L.RANGE_START}]
    b pyjit_range_iter
get_iter_list:
"""
    return ranges + f"""\
    ldr x10, lit_list_type
    cmp x9, x10
    b.ne get_iter_generic
    ldr x10, lit_iter_pool
    ldr x11, [x10, #{IntPool.COUNT}]
    cbz x11, get_iter_generic
    sub x11, x11, #1
    add x12, x10, #{IntPool.SLOTS}
    ldr x12, [x12, x11, lsl #3]           // a dead list iterator: ob_type is it already
{objects.refcount_is_one("x12", "x13", "get_iter_generic")}\
    str x11, [x10, #{IntPool.COUNT}]
    str xzr, [x12, #{L.LISTITER_INDEX}]
    @incref x0, x9
    str x0, [x12, #{L.LISTITER_SEQ}]
    mov x0, x12
    ret
"""
