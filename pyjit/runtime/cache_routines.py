"""The shared cache routines: one AArch64 routine per cache kind, loaded
once per engine, that compiled code calls instead of inlining the checks.

    pyjit_cache_load_global(cell)                 -> value (borrowed) | NULL
    pyjit_cache_load_attr(cell, obj)              -> new reference | NULL
    pyjit_cache_load_module_attr(cell, module)    -> new reference | NULL
    pyjit_cache_store_attr(cell, obj, value)      -> 0 | -1
    pyjit_cache_load_method(cell, obj, out)       -> 0 | -1, out[0..1] new refs
    pyjit_cache_load_module_method(cell, module, out)
    pyjit_call_cached(callable, args, nargsf, kwnames, cell) -> vectorcall result

A site costs what a helper call costs (the cell's address is its first
argument), and the checks exist once per engine instead of once per site.
Each routine does its kind's hot path exactly as caches.py states it and
returns without trapping; on a miss it tail-branches to the kind's miss
helper with its arguments untouched, so the helper's result goes straight
back to the site (the helper call is counted against this code in the
engine's dynamic counts, not against the calling function).
`pyjit_call_cached` tail-branches to the cached target, so a compiled
callee returns straight to its caller (entries.py).

The routines follow AAPCS64: they use x9-x17 as scratch, touch the stack
only around their own calls (16-byte aligned), and keep x19-x28.  Addresses
known when they are loaded (helper traps, the stack limit, ModuleType) are
literals at the end of the code.
"""

from __future__ import annotations

import types

from ..aarch64.asmtext import assemble
from ..aarch64.listing import listing
from . import entries, layout
from .caches import AttrCell, CallCell, GlobalCell, MethodCell, ModuleAttrCell

ROUTINES = ("pyjit_cache_load_global", "pyjit_cache_load_attr", "pyjit_cache_load_module_attr",
            "pyjit_cache_store_attr", "pyjit_cache_load_method",
            "pyjit_cache_load_module_method", "pyjit_call_cached")

_SOURCE = """
// -- globals: x0 = GlobalCell --------------------------------------------------------
pyjit_cache_load_global:
    ldp x9, x10, [x0, #{G_GLOBALS}]       // the function's globals and builtins
    ldr x9, [x9, #{MA_VERSION}]
    ldp x11, x12, [x0]                    // the versions the value was found with
    cmp x9, x11
    b.ne load_global_miss
    ldr x10, [x10, #{MA_VERSION}]
    cmp x10, x12
    b.ne load_global_miss
    ldr x0, [x0, #{G_VALUE}]
    ret
load_global_miss:
    ldr x16, lit_load_global_fill
    br x16

// -- instance attributes: x0 = AttrCell, x1 = obj (x2 = value) -----------------------
pyjit_cache_load_attr:
    ldr x9, [x1, #{OB_TYPE}]
    ldp x10, x11, [x0]                    // type, version
    cmp x9, x10
    b.ne load_attr_miss
    ldr w12, [x9, #{TP_VERSION}]
    cmp x12, x11
    b.ne load_attr_miss
    ldr x13, [x1, #{VALUES}]
    cbz x13, load_attr_miss
    ldr x14, [x0, #{A_SLOT}]
    ldr x15, [x13, x14]
    cbz x15, load_attr_miss
    ldr x9, [x15]                         // Py_INCREF
    add x9, x9, #1
    str x9, [x15]
    mov x0, x15
    ret
load_attr_miss:
    ldr x16, lit_load_attr_fill
    br x16

pyjit_cache_store_attr:
    ldr x9, [x1, #{OB_TYPE}]
    ldp x10, x11, [x0]
    cmp x9, x10
    b.ne store_attr_miss
    ldr w12, [x9, #{TP_VERSION}]
    cmp x12, x11
    b.ne store_attr_miss
    ldr x13, [x1, #{VALUES}]
    cbz x13, store_attr_miss
    ldr x14, [x0, #{A_SLOT}]
    add x13, x13, x14
    ldr x15, [x13]                        // the old value: none goes to the helper
    cbz x15, store_attr_miss
    ldr x9, [x2]                          // Py_INCREF(value)
    add x9, x9, #1
    str x9, [x2]
    str x2, [x13]
    ldr x9, [x15]                         // Py_DECREF(old)
    subs x9, x9, #1
    str x9, [x15]
    b.eq store_attr_dealloc
    mov x0, #0
    ret
store_attr_dealloc:
    stp x29, x30, [sp, #-16]!
    mov x29, sp
    mov x0, x15
    ldr x16, lit_dealloc
    blr x16
    ldp x29, x30, [sp], #16
    mov x0, #0
    ret
store_attr_miss:
    ldr x16, lit_store_attr_fill
    br x16

// -- modules: x0 = ModuleAttrCell, x1 = module (x2 = out) ----------------------------
pyjit_cache_load_module_attr:
    ldr x9, [x1, #{OB_TYPE}]
    ldr x10, lit_module_type
    cmp x9, x10
    b.ne module_attr_miss
    ldr x11, [x1, #{MD_DICT}]
    cbz x11, module_attr_miss
    ldr x11, [x11, #{MA_VERSION}]
    ldr x12, [x0, #{M_VERSION}]
    cmp x11, x12
    b.ne module_attr_miss
    ldr x0, [x0, #{M_VALUE}]
    ldr x9, [x0]
    add x9, x9, #1
    str x9, [x0]
    ret
module_attr_miss:
    ldr x16, lit_load_attr_fill
    br x16

pyjit_cache_load_module_method:
    ldr x9, [x1, #{OB_TYPE}]
    ldr x10, lit_module_type
    cmp x9, x10
    b.ne module_method_miss
    ldr x11, [x1, #{MD_DICT}]
    cbz x11, module_method_miss
    ldr x11, [x11, #{MA_VERSION}]
    ldr x12, [x0, #{M_VERSION}]
    cmp x11, x12
    b.ne module_method_miss
    ldr x15, [x0, #{M_VALUE}]
    ldr x9, [x15]
    add x9, x9, #1
    str x9, [x15]
    stp xzr, x15, [x2]                    // (NULL, value)
    mov x0, #0
    ret
module_method_miss:
    ldr x16, lit_load_method_fill
    br x16

// -- methods: x0 = MethodCell, x1 = obj, x2 = out -------------------------------------
pyjit_cache_load_method:
    ldr x9, [x1, #{OB_TYPE}]
    ldp x10, x11, [x0]
    cmp x9, x10
    b.ne load_method_miss
    ldr w12, [x9, #{TP_VERSION}]
    cmp x12, x11
    b.ne load_method_miss
    ldr x13, [x0, #{MT_KEYS}]             // 0: no instance dict to look at
    cbz x13, load_method_found
    ldr x14, [x1, #{MANAGED_DICT}]
    cbnz x14, load_method_miss
    ldr x14, [x9, #{CACHED_KEYS}]
    ldr x14, [x14, #{DK_NENTRIES}]
    add x14, x14, #1
    cmp x14, x13
    b.ne load_method_miss
load_method_found:
    ldr x15, [x0, #{MT_METHOD}]
    ldr x9, [x15]
    add x9, x9, #1
    str x9, [x15]
    ldr x9, [x1]
    add x9, x9, #1
    str x9, [x1]
    stp x15, x1, [x2]                     // (method, obj)
    mov x0, #0
    ret
load_method_miss:
    ldr x16, lit_load_method_fill
    br x16

// -- calls: x0..x3 = the vectorcall, x4 = CallCell ------------------------------------
pyjit_call_cached:
    ldr x9, [x4, #{C_CALLEE}]
    cmp x0, x9
    b.ne call_miss
    ldr x16, [x4, #{C_TARGET}]
call_go:
    ldr x9, lit_stack_limit
    mov x10, sp
    cmp x10, x9
    b.lo call_generic
    br x16                                // the callee returns to our caller
call_miss:
    ldr x16, [x4, #{C_MEGAMORPHIC}]
    cbnz x16, call_go
    stp x29, x30, [sp, #-48]!
    mov x29, sp
    stp x0, x1, [sp, #16]
    stp x2, x3, [sp, #32]
    mov x1, x0
    mov x0, x4
    ldr x2, lit_vectorcall
    ldr x16, lit_call_cell_fill
    blr x16
    mov x16, x0
    ldp x0, x1, [sp, #16]
    ldp x2, x3, [sp, #32]
    ldp x29, x30, [sp], #48
    b call_go
call_generic:
    ldr x16, lit_vectorcall
    br x16

    .p2align 3
lit_load_global_fill:   .quad {load_global_fill:#x}
lit_load_attr_fill:     .quad {load_attr_fill:#x}
lit_store_attr_fill:    .quad {store_attr_fill:#x}
lit_load_method_fill:   .quad {load_method_fill:#x}
lit_call_cell_fill:     .quad {call_cell_fill:#x}
lit_vectorcall:         .quad {PyObject_Vectorcall:#x}
lit_dealloc:            .quad {_Py_Dealloc:#x}
lit_module_type:        .quad {module_type:#x}
lit_stack_limit:        .quad {stack_limit:#x}
"""

_HELPERS = ("load_global_fill", "load_attr_fill", "store_attr_fill", "load_method_fill",
            "call_cell_fill", "PyObject_Vectorcall", "_Py_Dealloc")


def source(addresses: dict[str, int]) -> str:
    """The routines' assembly text with the given addresses (each helper's,
    `module_type` and `stack_limit`)."""
    L = layout
    return _SOURCE.format(
        G_GLOBALS=GlobalCell.GLOBALS, G_VALUE=GlobalCell.VALUE, A_SLOT=AttrCell.SLOT,
        M_VERSION=ModuleAttrCell.VERSION, M_VALUE=ModuleAttrCell.VALUE,
        MT_KEYS=MethodCell.KEYS, MT_METHOD=MethodCell.METHOD,
        C_CALLEE=CallCell.CALLEE, C_TARGET=CallCell.TARGET, C_MEGAMORPHIC=CallCell.MEGAMORPHIC,
        OB_TYPE=L.OB_TYPE, TP_VERSION=L.TYPE_TP_VERSION_TAG, VALUES=L.OBJECT_VALUES,
        MANAGED_DICT=L.OBJECT_MANAGED_DICT, CACHED_KEYS=L.HEAPTYPE_HT_CACHED_KEYS,
        DK_NENTRIES=L.KEYS_DK_NENTRIES, MA_VERSION=L.DICT_MA_VERSION_TAG,
        MD_DICT=L.MODULE_MD_DICT, **addresses)


def load_routines(engine):
    """Assemble the routines for engine, load them, and define a symbol
    for each; returns the LoadedCode."""
    addresses = {name: engine.helper_address(name) for name in _HELPERS}
    addresses["module_type"] = id(types.ModuleType)
    addresses["stack_limit"] = entries.stack_limit(engine)
    code = assemble(source(addresses), "pyjit:cache_routines").code
    loaded = engine.load(code, "pyjit:cache_routines")
    for name in ROUTINES:
        engine.define_symbol(name, loaded.label(name))
    return loaded


def routines_listing(engine) -> str:
    """The annotated listing of the routines as loaded in engine."""
    entries.prepare_engine(engine)
    loaded = entries.routines_of(engine)
    return listing(loaded.code, base=loaded.address, name=loaded.name)
