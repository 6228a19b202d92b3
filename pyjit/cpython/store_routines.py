"""The attribute store routines (routines.py's list says what each takes):

    pyjit_cache_store_attr(cell, obj, value)            -> 0 | -1
    pyjit_cache_store_attr_consuming(cell, obj, value)  -> 0 | -1, value taken

The AttrCell is the word after the call (x0 once loaded).  A hit stores the
value into obj's slot (its values array, a `__slots__` member, or its own
dict at the cell's hint) and releases the old one; an instance of the
entry's type whose attributes are in a dict that is not its own alone
takes the store STORE_ATTR makes, PyObject_SetAttr; anything else is the
fill helper's.  The plain entry increfs the value it stores and
tail-branches to the helper, whose status goes straight back to the site.
The consuming entry is given the site's reference to the value (the HIR's
`consumed`, the refcount-consume pass: `self.x = <a value used nowhere
else>`): a hit moves that reference into the slot (no incref, and no
Decref at the site), a miss calls the helper and then releases it, on
success and on failure alike.
"""

from __future__ import annotations

from .cells import AttrCell


def source() -> str:
    """Both entries' assembly text (routine macros not yet expanded)."""
    return (_variant("pyjit_cache_store_attr", "store_attr", consuming=False)
            + _variant("pyjit_cache_store_attr_consuming", "store_attr_c", consuming=True))


# The old value's count reached zero (x15): freed, the store done.  One copy,
# in the plain entry, that both entries branch to.
_DEALLOC = """\
store_attr_dealloc:
    str x30, [sp, #-16]!
    mov x0, x15
    bl pyjit_dealloc
    ldr x30, [sp], #16
    mov x0, #0
    ret
"""


def _variant(entry: str, p: str, consuming: bool) -> str:
    """The routine `entry`, its labels prefixed by p."""
    C = AttrCell
    incref = "" if consuming else "    @incref x2, x9\n"
    tail = f"    b {p}_call\n" if consuming else "    br x16\n"
    text = f"""\
{entry}:
    ldr x0, [x30], #8
    @type_entry {p}, {C.ENTRY * C.ENTRIES}, {C.ENTRY}
    ldr x14, [x17, #{C.SLOT}]
    tbnz x14, #0, {p}_member
    @instance_values x1, x13, {p}_dict
    @no_dict_sharing_values x1, x10, {p}_generic
    add x13, x13, x14
    ldr x15, [x13]                        // the old value
    cbz x15, {p}_empty
{p}_replace:
{incref}    str x2, [x13]
    @decref x15, x9, store_attr_dealloc
    mov x0, #0
    ret
{p}_member:                          // a __slots__ member at obj + word - MEMBER
    tbnz x14, #1, {p}_dict           // DICT_ONLY: in a dict of the instance
    sub x14, x14, #{C.MEMBER}
    add x13, x1, x14
    ldr x15, [x13]                        // the old value, or NULL
    cbnz x15, {p}_replace
    b {p}_set
{p}_empty:                           // a new key of the values: its insertion order
    @add_to_insertion_order x1, x13, x14, x10, x11, x12, {p}_miss
{p}_set:
{incref}    str x2, [x13]
    mov x0, #0
    ret
{"" if consuming else _DEALLOC}{p}_dict:                            // a dict of obj's own: the entry at the cell's
    @instance_dict x1, x13, {p}_generic
    @dict_hint_entry x13, {C.HINT}, x15, {p}_hint
    @dict_store_version x13, x9, x10, x11, {p}_generic
    add x13, x12, #8                      // hint replaced, as insertdict replaces it
    b {p}_replace
{p}_hint:                            // no hint yet: the fill looks for one
    ldr x10, [x0, #{C.HINT}]
    cmn x10, #1
    b.ne {p}_generic
{p}_miss:
    ldr x16, lit_store_attr_fill
{tail}{p}_generic:                         // the type's entry, but the attributes are in a
    ldr x9, [x0, #{C.NAME}]               // dict (its own, or sharing the values): the
    mov x0, x1                            // store STORE_ATTR makes, nothing to fill
    mov x1, x9
    ldr x16, lit_set_attr
{tail}"""
    if consuming:
        text += f"""\
{p}_call:                            // the helper (x0-x2 as it takes them), then
    stp x30, x2, [sp, #-16]!              // the value released; x0 = its status
    blr x16
    ldp x30, x2, [sp], #16
    @decref x2, x9, {p}_free
    ret
{p}_free:
    stp x30, x0, [sp, #-16]!
    mov x0, x2
    bl pyjit_dealloc
    ldp x30, x0, [sp], #16
    ret
"""
    return text + "\n"
