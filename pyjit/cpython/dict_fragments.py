"""Fragments of the shared routines (routines.py) that read a dict, as
CPython's own lookups do: an entry at a cell's hint, the proof that a dict
lacks a name (a probe of its index table), and 3.11/3.12's split tables
of a type's shared keys.  cells.py argues why each answer is the
interpreter's; the layouts are the version's (layout.py).
"""

from __future__ import annotations

from . import dict_versions, layout
from .cells import MethodCell


def dict_hint_value(dict_: str, hint: int, dst: str, miss: str) -> str:
    """dst = the value at the hint of the cell in x0 (its words at hint:
    the hint, the name) in the dict `dict_`, when that is a combined table
    of str keys whose entry there has the name as its key and a value (not
    increfed); else go to miss.  Uses x9-x12 and x14 (cells.py says why a
    hit is the dict's value for the name)."""
    return dict_hint_entry(dict_, hint, dst, miss)


def dict_hint_entry(dict_: str, hint: int, dst: str, miss: str) -> str:
    """dict_hint_value, with the entry's address in x12 too (its key, then
    its value)."""
    L = layout
    shift = L.UNICODE_ENTRY_SIZE.bit_length() - 1
    return f"""\
    ldr x12, [{dict_}, #{L.DICT_MA_VALUES}]
    cbnz x12, {miss}                      // a split table: values of its own
    ldr x12, [{dict_}, #{L.DICT_MA_KEYS}]
    ldrb w10, [x12, #{L.KEYS_DK_KIND}]
    cmp w10, #{L.DICT_KEYS_UNICODE}
    b.ne {miss}
    ldp x10, x11, [x0, #{hint}]                   // the hint, the name
    ldr x9, [x12, #{L.KEYS_DK_NENTRIES}]
    cmp x10, x9
    b.hs {miss}
    ldrb w9, [x12, #{L.KEYS_DK_LOG2_INDEX_BYTES}]
    mov x14, #1
    lsl x9, x14, x9
    add x12, x12, x9                      // past the index table
    add x12, x12, x10, lsl #{shift}
    add x12, x12, #{L.KEYS_DK_INDICES}
    ldp x10, {dst}, [x12]                 // the entry: its key, its value
    cmp x10, x11
    b.ne {miss}
    cbz {dst}, {miss}
"""


def dict_store_version(dict_: str, t1: str, t2: str, t3: str, fail: str) -> str:
    """Before a value of the dict `dict_` is replaced as CPython replaces it
    (insertdict): go to fail when the dict is watched (CPython calls the
    watchers) or, with a value that the collector may track (its type has
    HAVE_GC; x2 is the value), when the dict is untracked (CPython tracks it
    then); else give the dict CPython's next version (dict_versions.py:
    its counter (`lit_dict_version_counter`) plus STORE_INCREMENT, the
    tag's bits below that kept; 3.14 has none to give; fail always when
    the counter was not found).  Uses t1-t3."""
    L = layout
    out = [f"    ldr {t1}, [{dict_}, #-{L.GC_HEAD_SIZE}]      // the collector's next link: 0 when untracked\n"
           f"    cbnz {t1}, 83f\n"
           f"    ldr {t1}, [x2, #{L.OB_TYPE}]\n"
           f"    ldr {t1}, [{t1}, #{L.TYPE_TP_FLAGS}]\n"
           f"    tbnz {t1}, #{L.TPFLAGS_HAVE_GC.bit_length() - 1}, {fail}\n"
           "83:\n"]
    if dict_versions.WATCHER_MASK:
        out.append(f"    ldr {t1}, [{dict_}, #{dict_versions.VERSION}]\n"
                   f"    tst {t1}, #{dict_versions.WATCHER_MASK}\n"
                   f"    b.ne {fail}                           // watched\n")
    if dict_versions.STORE_INCREMENT and not dict_versions.counter():
        out.append(f"    b {fail}                              // no counter to take a version from\n")
    elif dict_versions.STORE_INCREMENT:
        keep = dict_versions.STORE_INCREMENT - 1
        out.append(f"    ldr {t2}, lit_dict_version_counter    // CPython's dict version counter\n"
                   f"    ldr {t3}, [{t2}]\n"
                   f"    add {t3}, {t3}, #{dict_versions.STORE_INCREMENT}\n"
                   f"    str {t3}, [{t2}]\n")
        if keep and not dict_versions.WATCHER_MASK:
            out.append(f"    ldr {t1}, [{dict_}, #{dict_versions.VERSION}]\n")
        if keep:
            out.append(f"    and {t1}, {t1}, #{keep}\n"
                       f"    orr {t3}, {t3}, {t1}\n")
        out.append(f"    str {t3}, [{dict_}, #{dict_versions.VERSION}]\n")
    return "".join(out)


def split_values() -> str:
    """load_attr_dict's first case on 3.11 and 3.12, whose materialized
    instance dict (x13) is a split table of the type's shared keys until
    it needs another order: then the values slot (x14, not DICT_ONLY) of
    the type (x9) is the value's place in the dict's values too.  (3.13's
    dict shares the inline values, which stay `valid` for the values path
    to read.)"""
    if layout.INLINE_VALUES:
        return ""
    L = layout
    return f"""\
    ldr x12, [x13, #{L.DICT_MA_VALUES}]
    cbz x12, load_attr_combined
    tbnz x14, #0, load_attr_miss          // DICT_ONLY: not in the shared keys
    ldr x10, [x13, #{L.DICT_MA_KEYS}]
    ldr x11, [x9, #{L.HEAPTYPE_HT_CACHED_KEYS}]
    cmp x10, x11
    b.ne load_attr_miss                   // not the type's shared keys
    ldr x15, [x12, x14]
    b load_attr_found
load_attr_combined:
"""


MAX_PROBES = 16     # index table slots dict_lacks looks at before it gives up


def dict_lacks(dict_: str, name: int, fail: str, absent: str) -> str:
    """Go on at `absent` (the text ends with it) when the dict `dict_`
    surely lacks the name of the cell in x0 (its address at `name`): a
    combined table of str keys whose index table, probed as dictobject.c
    probes it for the name's hash, reaches an empty slot within MAX_PROBES
    without passing an entry whose key is the name or has its hash; else
    go to fail (tables with indices wider than 2 bytes too).  Uses x3, x4
    and x9-x16."""
    L = layout
    shift = L.UNICODE_ENTRY_SIZE.bit_length() - 1
    return f"""\
    ldr x12, [{dict_}, #{L.DICT_MA_VALUES}]
    cbnz x12, {fail}                      // a split table
    ldr x12, [{dict_}, #{L.DICT_MA_KEYS}]
    ldrb w10, [x12, #{L.KEYS_DK_KIND}]
    cmp w10, #{L.DICT_KEYS_UNICODE}
    b.ne {fail}
    ldr x11, [x0, #{name}]                   // the name
    ldr x3, [x11, #{L.STR_HASH}]             // its hash
    cmn x3, #1
    b.eq {fail}                           // not computed
    ldrb w10, [x12, #{L.KEYS_DK_LOG2_SIZE}]
    ldrb w9, [x12, #{L.KEYS_DK_LOG2_INDEX_BYTES}]
    mov x15, #1
    lsl x16, x15, x9
    add x16, x16, x12                     // the entries, less KEYS_DK_INDICES
    lsl x15, x15, x10
    sub x15, x15, #1                      // the mask
    sub x10, x9, x10                      // log2 of an index's bytes
    cmp x10, #1
    b.hi {fail}
    mov x14, x3                           // perturb
    and x13, x3, x15                      // the first slot
    mov x4, #{MAX_PROBES}
{absent}_probe:
    lsl x9, x13, x10
    add x9, x9, x12
    cbnz x10, {absent}_wide
    ldrsb x9, [x9, #{L.KEYS_DK_INDICES}]
    b {absent}_index
{absent}_wide:
    ldrsh x9, [x9, #{L.KEYS_DK_INDICES}]
{absent}_index:
    cmn x9, #{-L.DKIX_EMPTY}
    b.eq {absent}                         // an empty slot: the name is not there
    tbnz x9, #63, {absent}_next           // a deleted entry
    add x9, x16, x9, lsl #{shift}
    ldr x9, [x9, #{L.KEYS_DK_INDICES + L.UNICODE_ENTRY_KEY}]   // the entry's key
    cmp x9, x11
    b.eq {fail}                           // the name is there
    ldr x9, [x9, #{L.STR_HASH}]
    cmp x9, x3
    b.eq {fail}                           // its hash: an equal str may be there
{absent}_next:
    lsr x14, x14, #{L.DICT_PERTURB_SHIFT}
    add x9, x13, x13, lsl #2
    add x9, x9, x14
    add x9, x9, #1
    and x13, x9, x15
    subs x4, x4, #1
    b.ne {absent}_probe
    b {fail}
{absent}:
"""


def split_keys() -> str:
    """load_method_dict's first case on 3.11 and 3.12 (see _split_values):
    a split table of the type's (x9) shared keys lacks the name when the
    keys do, which the entry (x17) says as the values path's check does."""
    if layout.INLINE_VALUES:
        return ""
    L = layout
    return f"""\
    ldr x12, [x13, #{L.DICT_MA_VALUES}]
    cbz x12, load_method_combined
    ldr x12, [x13, #{L.DICT_MA_KEYS}]
    ldr x14, [x9, #{L.HEAPTYPE_HT_CACHED_KEYS}]
    cmp x12, x14
    b.ne load_method_miss                 // not the type's shared keys
    ldr x14, [x14, #{L.KEYS_DK_NENTRIES}]
    add x14, x14, #1
    ldr x13, [x17, #{MethodCell.KEYS}]
    cmp x14, x13
    b.ne load_method_miss
    b load_method_found
load_method_combined:
"""
