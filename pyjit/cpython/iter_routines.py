"""The iterator pools' parts of the number routines (int_routines.py puts
them in its text): pyjit_dealloc's list iterators and pyjit_get_iter's
exact ranges and lists (int_pool.IterPool, RangePool; the collector's list
linked as objects.gc_track does on 3.11 to 3.13)."""

from __future__ import annotations

from . import layout, objects
from .int_pool import IntPool


def dealloc_iter() -> str:
    """pyjit_dealloc's list iterators (x0, x9 = its type): into the pool of
    dead ones (int_pool.IterPool) while it has room, as listiter_dealloc
    lets one go: untracked, then its list released (last: what that runs
    finds the pool as it is); where the version's routines do not link the
    collector's list (objects.gc_track), Py_DecRef's."""
    if not hasattr(objects, "gc_track"):
        return ""
    L = layout
    return f"""\
    ldr x10, lit_list_iter_type
    cmp x9, x10
    b.ne dealloc_generic
    ldr x10, lit_gc_young
    cbz x10, dealloc_generic
    ldr x10, lit_iter_pool
    ldp x11, x12, [x10, #{IntPool.COUNT}]                   // count, capacity
    cmp x11, x12
    b.hs dealloc_generic
{objects.gc_untrack("x0", "x12", "x13", "x14")}\
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
    ints); an exact list with a dead iterator in the pool, that iterator,
    as list_iter makes one (count 1, index 0, the list held, tracked last
    in generation 0; 3.11 to 3.13); else PyObject_GetIter."""
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
    if not hasattr(objects, "gc_track"):
        return ranges
    return ranges + f"""\
    ldr x10, lit_list_type
    cmp x9, x10
    b.ne get_iter_generic
    ldr x13, lit_gc_young
    cbz x13, get_iter_generic             // (not found: int_pool.young_generation)
    ldr x10, lit_iter_pool
    ldr x11, [x10, #{IntPool.COUNT}]
    cbz x11, get_iter_generic
    sub x11, x11, #1
    str x11, [x10, #{IntPool.COUNT}]
    add x12, x10, #{IntPool.SLOTS}
    ldr x12, [x12, x11, lsl #3]           // a dead list iterator: ob_type is it already
    mov x9, #1
    str x9, [x12, #{L.OB_REFCNT}]
    str xzr, [x12, #{L.LISTITER_INDEX}]
    @incref x0, x9
    str x0, [x12, #{L.LISTITER_SEQ}]
{objects.gc_track("x12", "x13", "x9", "x10", "x11")}\
    mov x0, x12
    ret
"""
