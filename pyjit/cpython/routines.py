"""The sources of the shared routines: one AArch64 routine per cache kind
(and a few fast paths), which compiled code calls instead of inlining the
checks; the runtime assembles and loads them once per engine
(pyjit/runtime/routines.py).

    pyjit_cache_load_global(cell)                 -> value (borrowed) | NULL
    pyjit_cache_load_global_x0(cell)              (the cell in x0: see below)
    pyjit_cache_load_attr(cell, obj)              -> new reference | NULL
    pyjit_cache_load_module_attr(cell, module)    -> new reference | NULL
    pyjit_cache_load_class_attr(cell, cls)        -> new reference | NULL
    pyjit_cache_store_attr(cell, obj, value)      -> 0 | -1
    pyjit_cache_store_attr_consuming(cell, obj, value): the same, value taken
        (store_routines.py)
    pyjit_cache_load_method(cell, obj, out)       -> 0 | -1, out[0..1] new refs
    pyjit_cache_load_module_method(cell, module, out)
    pyjit_call_cached(callable, args, nargsf, kwnames, cell) -> vectorcall result
    pyjit_call_method(method, args, count, kwnames, cell) -> vectorcall result
    pyjit_vectorcall_method(method, args, count, kwnames) -> PyObject_Vectorcall(...)
    pyjit_call_method0(method, args, count, cell), pyjit_vectorcall_method0(method,
        args, count): the same without kwnames
    pyjit_call_method_cached0(method cell, args, count): load, then call
    pyjit_call_method_cached_bool0(the same)      -> the result's truth: 1, 0 | -1
    pyjit_call_target(callable, args, nargsf, kwnames, target) -> vectorcall result
    pyjit_eval_breaker()                          -> handle_eval_breaker(taken)
    pyjit_compare(a, b, op)                       -> PyObject_RichCompare(a, b, op)
    pyjit_compare_bool(a, b, op)                  -> its truth: 1, 0 | -1
    pyjit_compare_held, pyjit_compare_bool_held: the same, a and b held
        across PyObject_RichCompare (a site passing one borrowed)
    pyjit_getitem(container, key)                 -> PyObject_GetItem(container, key)
    pyjit_setitem(container, key, value)          -> PyObject_SetItem(container, key, value)
    pyjit_unpack(seq, n, out)                     -> unpack_into(seq, n, out)
    pyjit_is_true(obj)                            -> PyObject_IsTrue(obj)
    pyjit_is_true_release(obj)                    -> the same, obj released
    pyjit_isinstance(callable, args, nargsf, kwnames) -> PyObject_Vectorcall(...)
    pyjit_isinstance_bool(the same)               -> its truth: 1, 0 | -1
    pyjit_int_<op>(a, b), pyjit_float_<op>(a, b) -> PyNumber_<Op>(a, b)  (INT_OPS)
    pyjit_dealloc(obj)                            -> Py_DecRef(obj), count back at 1
    pyjit_for_iter(iterator, out)                 -> for_iter(iterator, out)
    pyjit_bind_call(callable, args, nargsf, kwnames, entry, n) -> entry's result

A routine's `cell` argument is not in a register: it is the 64-bit word
right after the call instruction (lir ir.Call.word), which the routine
loads with `ldr xN, [x30], #8`, moving its return address past it (into
x0 for the cache routines, whose other arguments are then in x1...; into
x4, or x3 and x4 for pyjit_call_method0, for the call routines).  Only
`pyjit_cache_load_global_x0` takes its cell in x0, for a global loaded at
many sites of a function, which share the cell's one literal.  Calls
between routines enter after that load (`cache_load_method`,
`call_cached`).  A site costs what a helper call costs, less the cell's
load, and the checks exist once per engine instead of once per site.
Each routine does its kind's hot path exactly as cells.py states it
(checking a polymorphic cell's entries in order, stopping at the one whose
key matches) and returns without trapping; on a miss it tail-branches to the kind's miss
helper with its arguments untouched, so the helper's result goes straight
back to the site (the helper call is counted against this code in the
engine's dynamic counts, not against the calling function).
The call routines (`pyjit_call_cached`, `pyjit_call_target`, the method
call routines) are in call_routines.py, which says what they do; the
comparison, truth and isinstance routines' text is in truth_routines.py
(what they do is said below), the dict fragments in dict_fragments.py.

Dicts.  An instance attribute load whose object has a dict of its own
reads it at the cell's hint (`dict_hint_value`), and so does a global
load whose module dict changed version; a method load on such an object,
and a builtin loaded after the globals changed, probe the dict for the
name's absence (`dict_lacks`); on 3.11 and 3.12 a split dict of the
type's shared keys is read and proved by the values slot and the keys'
count (`split_values`, `split_keys`).  cells.py argues each case.

`pyjit_bind_call` is a compiled function's entry when its arguments need
binding (keywords, defaults, another count, `*args`/`**kwargs`).  A
function of n positional parameters (no `*args`, `**kwargs` or
keyword-only ones: n is passed) called with fewer positional arguments
and no keywords, the rest covered by its `__defaults__`, is bound without
a trap: the arguments, then the last defaults, in an array on the
machine stack, the defaults tuple held for the call (a callee that
rebinds `__defaults__` does not free the values it was given), and the
entry called with kwnames BOUND_ARGUMENTS on that array.  Anything else
calls the bind_args helper, which binds them as the interpreter does (a tuple of
every parameter slot, or NULL and its TypeError), calls the function's
entry again on the tuple's items with kwnames BOUND_ARGUMENTS (1, never a
tuple), which the function takes for arguments bound already, releases
the tuple and returns the result.  The function itself then holds nothing
for the binding on any of its paths.

`pyjit_eval_breaker` is the cold path of compiled code's eval breaker
check: it takes the requests (objects.take_eval_breaker: 3.11 and 3.12
clear the word and the runtime's signals hint, 3.13 the request bits of
the thread's word) and tail-branches to the handle_eval_breaker helper
with what it took (helper_impls.py says why).

`pyjit_is_true` answers True, False and None itself (1, 0, 0), and exact
ints (not zero), lists and tuples (not empty), and calls PyObject_IsTrue
for anything else, its int result sign-extended: a truth test is a call
at its site, not three compares and the call.

`pyjit_is_true_release` is `pyjit_is_true` that then releases the object
(failed or not).  `pyjit_compare_bool` is `pyjit_compare` followed by the
truth test of its result, which it releases: its fast paths answer 1 or 0
without a bool object, its generic path calls PyObject_RichCompare and
pyjit_is_true_release; `pyjit_isinstance_bool` is `pyjit_isinstance` so
(1 where the other returns Py_True; PyObject_Vectorcall, then
pyjit_is_true_release, otherwise).

`pyjit_compare` is a fast path without a cell: two
exact ints of at most one digit (ob_size -1..1, value ob_size * digit), or
two exact floats, or an exact float and such an int (as doubles, the int's
exact: what float_richcompare compares in C; with a NaN only != is true:
FLOAT_COMPARE_MASK), compare to Py_True / Py_False (a
new reference); anything else tail-branches to the C-API function, whose
result and exception are the interpreter's.  The subscript and unpacking
routines (`pyjit_getitem`, `pyjit_setitem`, `pyjit_unpack`: exact lists and
tuples) are in container_routines.py, which says what they do.  `pyjit_isinstance` is the vectorcall
of a site that called the builtin `isinstance` when it was compiled: when
the callable still is that builtin, with two positional arguments, and the
object's type is the class or has it in its `__mro__` while the class's
type is exactly `type` (what `PyObject_IsInstance` itself checks first), it
returns Py_True; otherwise it tail-branches to PyObject_Vectorcall.

The number routines (their text is in int_routines.py):
`pyjit_int_<op>` (add, sub, mul, and, or, xor and their in-place forms):
two exact ints of at most one digit give their result without a helper
call: a small int (-5..256, the interpreter's own cached object, a new
reference) or, for a result of at most one digit, an int object taken from
the engine's pool of dead ints (int_pool.py).  Two exact floats, or an
exact float and such an int, give theirs for add, sub, mul and
`pyjit_float_truediv` (and in place; the latter two such ints too): one
IEEE double instruction, the result written into
a float taken from the engine's pool of dead floats; division by zero, a
NaN result (int_routines.py says why) and an empty pool go to the C-API
function.  Anything else tail-branches to the operator's C-API function.
`pyjit_dealloc`, which compiled code calls instead of _Py_Dealloc, puts
dead one-digit ints and dead exact floats in their pools while they have
room; otherwise it sets the count back to one and tail-branches to
Py_DecRef, which frees the object in C.  Under Unicorn a helper call runs
Python code of the engine's before the C function (the trap hook, the
helper's binding), and a cyclic garbage collection there (any allocation
may start one) would find a tracked object at count zero unreachable and
free it itself, before the helper frees it again.  `pyjit_for_iter`
is FOR_ITER's next step for an exact list iterator before its end (the
item, a new reference) and a range iterator before its end (the int, made
as the int routines make theirs); anything else, and the end, goes to the
`for_iter` helper.

The routines follow AAPCS64: they use x9-x17 as scratch, touch the stack
only around their own calls (16-byte aligned), and keep x19-x28.  Addresses
known when they are loaded (helper traps, the stack limit, ModuleType, the
interpreter's state: interpreter.py) are literals at the end of the code.

What the routines read and write of the interpreter's objects (reference
counts, one-digit ints) is written with the version's fragments
(`objects`, e.g. pyjit/cpython/v3_11/objects.py) through macro lines,
`    @incref x15, x9`, which `routine_macros.expand` replaces.  A routine's
frame saves x30 alone (str/ldr): no routine reads x29 (pyjit_bind_call,
which restores sp from it, keeps a frame record), and a store is the
dearest instruction under Unicorn (docs/architecture.md, "What Unicorn
charges").

Symbols compiled code refers to: every name of ROUTINES, DEALLOC (how
compiled code frees an object), STACK_LIMIT_SYMBOL (the address below
which direct calls go through PyObject_Vectorcall; each engine defines it)
and interpreter.EVAL_BREAKER_SYMBOL (the eval breaker word's address, or
where the running thread state is: interpreter.eval_breaker_symbol_address).
"""

from __future__ import annotations

import math
import types

from . import (
    call_routines, container_routines, dict_fragments, dict_versions, int_routines, interpreter,
    layout, store_routines, truth_routines,
)
from .cells import (
    FROM_BUILTINS, METHOD_CALL_CELL, METHOD_HOLD_SELF, AttrCell, CallCell, ClassAttrCell, GlobalCell, MethodCell, ModuleAttrCell,
)
from .consume_routines import consuming
from .int_routines import INT_OPS
from .routine_macros import expand

NAME = "pyjit:cache_routines"      # the routines' name in listings and dynamic counts

ROUTINES = ("pyjit_cache_load_global", "pyjit_cache_load_attr", "pyjit_cache_load_module_attr",
            "pyjit_cache_load_class_attr",
            "pyjit_cache_load_global_x0", "pyjit_cache_store_attr",
            "pyjit_cache_store_attr_consuming", "pyjit_cache_load_method",
            "pyjit_cache_load_module_method", "pyjit_call_method", "pyjit_call_method0",
            "pyjit_call_method_cached0", "pyjit_call_method_cached_bool0",
            "pyjit_vectorcall_method", "pyjit_vectorcall_method0", "pyjit_call_cached",
            "pyjit_call_target",
            "pyjit_compare", "pyjit_compare_bool", "pyjit_compare_held",
            "pyjit_compare_bool_held", "pyjit_getitem", "pyjit_setitem",
            "pyjit_unpack", "pyjit_len", "pyjit_sqrt", "pyjit_list_append", "pyjit_list_pop",
            "pyjit_is_true",
            "pyjit_is_true_release", "pyjit_isinstance", "pyjit_isinstance_bool",
            "pyjit_eval_breaker")

ROUTINES += ("pyjit_dealloc", "pyjit_get_iter", "pyjit_range_iter", "pyjit_for_iter", "pyjit_bind_call") + tuple(
    r for r, _, _ in INT_OPS.values()) + tuple(consuming(r) for r, _, _ in INT_OPS.values())

DEALLOC = "pyjit_dealloc"                   # compiled code frees objects through it
FOR_ITER = "pyjit_for_iter"
EVAL_BREAKER = "pyjit_eval_breaker"         # compiled code found the eval breaker set
CALL_TARGET = "pyjit_call_target"           # a call whose target an inline call cell chose
STACK_LIMIT_SYMBOL = "pyjit_stack_limit"    # defined by each engine
BIND_CALL = "pyjit_bind_call"               # a call whose arguments need binding
BOUND_ARGUMENTS = 1                         # the kwnames of its call back: bound already

_SOURCE = """
// -- globals: the GlobalCell is the word after the call ------------------------------
pyjit_cache_load_global:
    ldr x0, [x30], #8                     // x0 = the cell; return past it
pyjit_cache_load_global_x0:               // x0 = the cell (a global loaded at many sites)
    ldp x9, x10, [x0, #{G_GLOBALS}]       // the function's globals and builtins
    ldr x9, [x9, #{MA_VERSION}]
    ldp x11, x12, [x0]                    // the versions the value was found with
    cmp x9, x11
    b.ne load_global_hint
    ldr x10, [x10, #{MA_VERSION}]
    cmp x10, x12
    b.ne load_global_miss
    ldr x0, [x0, #{G_VALUE}]
    ret
load_global_hint:                         // the globals changed: is the name where it was?
    ldr x13, [x0, #{G_GLOBALS}]
    ldr x15, [x0, #{G_HINT}]
    cmn x15, #{FROM_BUILTINS_NEG}
    b.eq load_global_builtin
    @dict_hint_value x13, {G_HINT}, x15, load_global_miss
    mov x0, x15                           // (borrowed)
    ret
load_global_builtin:                      // still the builtins' if they did not change
    ldr x10, [x0, #{G_BUILTINS}]          // and the globals lack the name
    ldr x10, [x10, #{MA_VERSION}]
    ldr x12, [x0, #{G_BUILTINS_VERSION}]
    cmp x10, x12
    b.ne load_global_miss
    @dict_lacks x13, {G_NAME}, load_global_miss, load_global_lacks
    ldr x0, [x0, #{G_VALUE}]
    ret
load_global_miss:
    ldr x16, lit_load_global_fill
    br x16

// -- instance attributes: the AttrCell after the call, x1 = obj (x2 = value) ---------
pyjit_cache_load_attr:
    ldr x0, [x30], #8
    @type_entry load_attr, {A_END}, {A_ENTRY}
    ldr x14, [x17, #{A_SLOT}]
    tbnz x14, #0, load_attr_member
    @instance_values x1, x13, load_attr_dict
    ldr x15, [x13, x14]
load_attr_found:
    cbz x15, load_attr_miss
    @incref x15, x9
    mov x0, x15
    ret
load_attr_member:                         // a __slots__ member at obj + word - MEMBER,
    tbnz x14, #1, load_attr_dict          // or DICT_ONLY: in a dict of obj only
    sub x14, x14, #{A_MEMBER}
    ldr x15, [x1, x14]
    b load_attr_found
load_attr_dict:                           // obj's values are not in use: its dict at the hint
    @instance_dict x1, x13, load_attr_miss
{split_values}    @dict_hint_value x13, {A_HINT}, x15, load_attr_miss
    b load_attr_found
load_attr_miss:
    ldr x16, lit_load_attr_fill
    br x16

{store_routines}// -- class attributes: the ClassAttrCell after the call, x1 = the class ---------------
pyjit_cache_load_class_attr:
    ldr x0, [x30], #8
    ldr x9, [x1, #{OB_TYPE}]
    ldr x10, lit_type_type
    cmp x9, x10                           // exactly a type: its tp_version_tag is there
    b.ne class_attr_miss
    ldp x11, x12, [x0, #{CA_CLASS}]       // the class and its version
    cmp x1, x11
    b.ne class_attr_miss
    ldr w13, [x1, #{TP_VERSION}]
    cmp x13, x12
    b.ne class_attr_miss
    ldr x0, [x0, #{CA_VALUE}]
    @incref x0, x9
    ret
class_attr_miss:
    ldr x16, lit_load_attr_fill
    br x16

// -- modules: the ModuleAttrCell after the call, x1 = module (x2 = out) ---------------
pyjit_cache_load_module_attr:
    ldr x0, [x30], #8
    @module_value module_attr, x0
    @incref x0, x9
    ret
module_attr_miss:
    ldr x16, lit_load_attr_fill
    br x16

pyjit_cache_load_module_method:
    ldr x0, [x30], #8
    @module_value module_method, x15
    @incref x15, x9
    stp xzr, x15, [x2]                    // (NULL, value)
    mov x0, #0
    ret
module_method_miss:
    ldr x16, lit_load_method_fill
    br x16

// -- methods: the MethodCell after the call, x1 = obj, x2 = out ----------------------
pyjit_cache_load_method:
    ldr x0, [x30], #8
cache_load_method:                        // x0 = the MethodCell
    @method_entry load_method, load_method_dict
load_method_found:
    ldr x15, [x17, #{MT_METHOD}]
    @incref x15, x9
    @incref x1, x9
    stp x15, x1, [x2]                     // (method, obj)
    mov x0, #0
    ret
load_method_dict:                         // a dict of obj's own: the method if it lacks the name
    @instance_dict x1, x13, load_method_miss
{split_keys}    @dict_lacks x13, {MT_NAME}, load_method_miss, load_method_lacks
    b load_method_found
load_method_miss:                         // no entry: obj may be a class of the class entry
    ldr x9, [x1, #{OB_TYPE}]
    ldr x10, lit_type_type
    cmp x9, x10
    b.ne load_method_fill
    ldp x11, x12, [x0, #{MT_CLASS}]       // the class, its version
    cmp x1, x11
    b.ne load_method_fill
    ldr w13, [x1, #{TP_VERSION}]
    cmp x13, x12
    b.ne load_method_fill
    ldp x15, x14, [x0, #{MT_CLASS_FUNC}]  // the function, bind
    @incref x15, x9
    cbz x14, load_method_class_value
    @incref x1, x9
    stp x15, x1, [x2]                     // (function, class): a classmethod's call
    mov x0, #0
    ret
load_method_class_value:
    stp xzr, x15, [x2]                    // (NULL, function)
    mov x0, #0
    ret
load_method_fill:
    ldr x16, lit_load_method_fill
    br x16
""" + call_routines.SOURCE + """
// -- binding: x0..x3 = the vectorcall, x4 = the function's entry, x5 = the parameter
//    count of a signature of positional parameters only (else 0) ---------------------
pyjit_bind_call:
    cbz x5, bind_call_generic
    cbnz x3, bind_call_generic            // keywords
    and x9, x2, #0x7fffffffffffffff       // nargs
    cmp x9, x5
    b.hs bind_call_generic                // too many: the helper raises
    ldr x10, [x0, #{FUNC_DEFAULTS}]
    cbz x10, bind_call_generic
    ldr x11, [x10, #{TUPLE_SIZE}]         // the defaults' count
    sub x12, x5, x9                       // the parameters missing
    cmp x12, x11
    b.hi bind_call_generic                // more than the defaults: the helper raises
    stp x29, x30, [sp, #-32]!
    mov x29, sp
    str x10, [sp, #16]                    // the defaults, held for the call
    @incref x10, x13
    add x13, x5, #1
    and x13, x13, #-2                     // the slots, rounded to 16 bytes
    sub sp, sp, x13, lsl #3
    mov x15, sp                           // every parameter slot: the arguments
    mov x16, #0
bind_call_argument:
    cmp x16, x9
    b.hs bind_call_defaults
    ldr x17, [x1, x16, lsl #3]
    str x17, [x15, x16, lsl #3]
    add x16, x16, #1
    b bind_call_argument
bind_call_defaults:                       // then the last defaults
    sub x17, x11, x12
    add x10, x10, #{TUPLE_ITEM}
    add x10, x10, x17, lsl #3
bind_call_default:
    ldr x17, [x10], #8
    str x17, [x15, x16, lsl #3]
    add x16, x16, #1
    cmp x16, x5
    b.lo bind_call_default
    mov x1, x15
    mov x2, x5
    mov x3, #{BOUND_ARGUMENTS}
    blr x4
    mov sp, x29
    b bind_call_release                   // the defaults, as the tuple below
bind_call_generic:
    stp x29, x30, [sp, #-32]!
    mov x29, sp
    stp x0, x4, [sp, #16]
    ldr x16, lit_bind_args
    blr x16                               // every parameter slot, a new tuple, or NULL
    cbz x0, bind_call_done
    ldp x9, x16, [sp, #16]                // the callable, the entry
    str x0, [sp, #16]                     // the tuple, released after the call
    ldr x2, [x0, #{TUPLE_SIZE}]
    add x1, x0, #{TUPLE_ITEM}
    mov x0, x9
    mov x3, #{BOUND_ARGUMENTS}
    blr x16
bind_call_release:
    str x0, [sp, #24]                     // the result, or NULL
    ldr x0, [sp, #16]                     // released: the tuple or the defaults
    @decref_call x0, x9, pyjit_dealloc
    ldr x0, [sp, #24]
bind_call_done:
    ldp x29, x30, [sp], #32
    ret

// -- the eval breaker was set at a check of compiled code ---------------------------
pyjit_eval_breaker:                       // taken, to the helper: see handle_eval_breaker
    @take_eval_breaker
    ldr x16, lit_handle_eval_breaker
    br x16

""" + truth_routines.SOURCE + """{int_routines}
    .p2align 3
lit_load_global_fill:   .quad {load_global_fill:#x}
lit_load_attr_fill:     .quad {load_attr_fill:#x}
lit_store_attr_fill:    .quad {store_attr_fill:#x}
lit_load_method_fill:   .quad {load_method_fill:#x}
lit_call_cell_fill:     .quad {call_cell_fill:#x}
lit_call_entry_stale:   .quad {call_entry_stale:#x}
lit_init_returned:      .quad {init_returned:#x}
lit_object_new:         .quad {object_new:#x}
lit_vectorcall:         .quad {PyObject_Vectorcall:#x}
lit_dealloc:            .quad {Py_DecRef:#x}
lit_module_type:        .quad {module_type:#x}
lit_stack_limit:        .quad {stack_limit:#x}
lit_rich_compare:       .quad {PyObject_RichCompare:#x}
lit_get_item:           .quad {PyObject_GetItem:#x}
lit_set_item:           .quad {PyObject_SetItem:#x}
lit_set_attr:           .quad {PyObject_SetAttr:#x}
lit_unpack_into:        .quad {unpack_into:#x}
lit_tuple_type:         .quad {tuple_type:#x}
lit_dict_type:          .quad {dict_type:#x}
lit_len:                .quad {len:#x}
lit_math_sqrt:          .quad {math_sqrt:#x}
lit_list_append:        .quad {list_append:#x}
lit_list_pop:           .quad {list_pop:#x}
lit_long_type:          .quad {long_type:#x}
lit_list_type:          .quad {list_type:#x}
lit_true:               .quad {true:#x}
lit_false:              .quad {false:#x}
lit_none:               .quad {none:#x}
lit_object_is_true:     .quad {PyObject_IsTrue:#x}
lit_compare_mask:       .quad {compare_mask:#x}
lit_float_compare_mask: .quad {float_compare_mask:#x}
lit_float_type:         .quad {float_type:#x}
lit_float_pool:         .quad {float_pool:#x}
lit_pool_refill:        .quad {pool_refill:#x}
lit_iter_pool:          .quad {iter_pool:#x}
lit_range_pool:         .quad {range_pool:#x}
lit_range_iter:         .quad {range_iter:#x}
lit_get_iter:           .quad {PyObject_GetIter:#x}
lit_dunder_table:       .quad {dunder_table:#x}
lit_dunder_fill:        .quad {dunder_fill:#x}
lit_binary_op_unsupported: .quad {binary_op_unsupported:#x}
lit_not_implemented:    .quad {not_implemented:#x}
lit_isinstance:         .quad {isinstance:#x}
lit_type_type:          .quad {type_type:#x}
lit_small_ints:         .quad {small_ints:#x}
lit_list_iter_type:     .quad {list_iter_type:#x}
lit_range_iter_type:    .quad {range_iter_type:#x}
lit_range_type:         .quad {range_type:#x}
lit_enum_type:          .quad {enum_type:#x}
lit_for_iter:           .quad {for_iter:#x}
lit_int_pool:           .quad {int_pool:#x}
lit_activations:        .quad {activations:#x}
lit_dict_version_counter: .quad {dict_version_counter:#x}
lit_eval_breaker:       .quad {eval_breaker:#x}
lit_signals_pending:    .quad {signals_pending:#x}
lit_handle_eval_breaker: .quad {handle_eval_breaker:#x}
lit_recursion_error:    .quad {recursion_error:#x}
lit_bind_args:          .quad {bind_args:#x}
{int_literals}"""

# The helpers the routines call (their addresses are literals).
HELPERS_CALLED = ("load_global_fill", "load_attr_fill", "store_attr_fill", "load_method_fill",
                  "call_cell_fill", "call_entry_stale", "init_returned", "pool_refill", "dunder_fill", "PyObject_GetIter", "range_iter",
                  "binary_op_unsupported",
                  "PyObject_Vectorcall", "Py_DecRef",
                  "PyObject_RichCompare", "PyObject_GetItem", "PyObject_SetItem", "PyObject_SetAttr", "unpack_into",
                  "PyObject_IsTrue", "for_iter",
                  "handle_eval_breaker", "recursion_error", "bind_args") + tuple(
    helper for _, helper, _ in INT_OPS.values())

# The recursion limit a call between compiled functions leaves unused: an
# engine runs Python frames of its own on the way to a helper and on its
# way back with the helper's exception (Unicorn's trap hook, the helper's
# invoker, ctypes' call of a C function, the exception's recording;
# natively the ctypes callback and the helper's binding), and a
# RecursionError raised in one of them, outside the helper, is lost (ctypes
# prints it and the emulation goes on with no result).  Measured under
# Unicorn: 4 lost the RecursionError of a recursive function at the limit, 5
# that of a recursive method; 6 lost neither.  8 leaves a margin for the
# helpers' own error paths (an exception's traceback is cleared there,
# which may run finalizers).  An engine whose helper path has its own room
# (a helper's binding: pyjit/runtime/helper_binding.py) says how much it
# keeps instead (RECURSION_KEEP): both engines, exactly what compiled
# code's count carries above the interpreter's, so that a call is refused
# where the interpreter's would be (natively with the Python helpers'
# stubs, pyjit/runtime/native_routines.py).
HELPER_FRAMES = 8

def object_addresses() -> dict[str, int]:
    """The addresses of the interpreter's objects the routines compare with
    or return (types, True/False, the first cached small int), and of the
    parts of its state they read and write (interpreter.py)."""
    return dict(module_type=id(types.ModuleType), long_type=id(int), list_type=id(list),
                tuple_type=id(tuple), dict_type=id(dict), len=id(len),
                list_append=id(list.__dict__["append"]), list_pop=id(list.__dict__["pop"]),
                float_type=id(float),
                true=id(True), false=id(False), none=id(None), isinstance=id(isinstance),
                type_type=id(type), object_new=id(object.__new__), math_sqrt=id(math.sqrt),
                not_implemented=id(NotImplemented),
                small_ints=id(int(str(layout.SMALL_INT_MIN))),
                list_iter_type=id(type(iter([]))), range_iter_type=id(type(iter(range(0)))),
                range_type=id(range),
                enum_type=id(enumerate),
                eval_breaker=interpreter.eval_breaker_symbol_address(),
                signals_pending=interpreter.signals_pending_address(),
                dict_version_counter=dict_versions.counter())


def source(addresses: dict[str, int], keep: int = HELPER_FRAMES) -> str:
    """The routines' assembly text with the given addresses: each helper of
    HELPERS_CALLED's, those of object_addresses(), `stack_limit`,
    `int_pool` and `float_pool` (the engine's); keep: the recursion limit a call between
    compiled functions leaves unused (HELPER_FRAMES, or the engine's
    RECURSION_KEEP)."""
    L = layout
    # pyjit_is_true reads a list's and a tuple's ob_size at one offset;
    # load_attr_dict a cell's hint and name with one ldp, an entry's key
    # and value with another, and finds the entry by a shift
    assert L.LIST_OB_SIZE == L.TUPLE_OB_SIZE, "PyVarObject's ob_size moved"
    assert AttrCell.NAME == AttrCell.HINT + 8 and GlobalCell.NAME == GlobalCell.HINT + 8
    assert (MethodCell.CLASS_VERSION, MethodCell.CLASS_BIND) == (MethodCell.CLASS + 8,
                                                                 MethodCell.CLASS_FUNC + 8)
    assert (L.UNICODE_ENTRY_KEY, L.UNICODE_ENTRY_VALUE) == (0, 8)
    assert L.UNICODE_ENTRY_SIZE == 1 << (L.UNICODE_ENTRY_SIZE.bit_length() - 1)
    compare_doubles, compare_ints = int_routines.doubles("compare", "compare_generic")
    return expand(_SOURCE.format(
        G_GLOBALS=GlobalCell.GLOBALS, G_VALUE=GlobalCell.VALUE, G_HINT=GlobalCell.HINT,
        G_NAME=GlobalCell.NAME, G_BUILTINS=GlobalCell.BUILTINS,
        G_BUILTINS_VERSION=GlobalCell.BUILTINS_VERSION, FROM_BUILTINS_NEG=(1 << 64) - FROM_BUILTINS,
        MT_NAME=MethodCell.NAME, MT_CLASS=MethodCell.CLASS, MT_CLASS_FUNC=MethodCell.CLASS_FUNC, A_SLOT=AttrCell.SLOT,
        A_MEMBER=AttrCell.MEMBER, A_HINT=AttrCell.HINT, A_NAME=AttrCell.NAME, CA_CLASS=ClassAttrCell.CLASS, CA_VALUE=ClassAttrCell.VALUE,
        A_ENTRY=AttrCell.ENTRY, A_END=AttrCell.ENTRY * AttrCell.ENTRIES,
        MT_ENTRY=MethodCell.ENTRY, MT_END=MethodCell.ENTRY * MethodCell.ENTRIES,
        C_ENTRY=CallCell.ENTRY, C_END=CallCell.MEGAMORPHIC,
        M_VERSION=ModuleAttrCell.VERSION, M_VALUE=ModuleAttrCell.VALUE,
        MT_KEYS=MethodCell.KEYS, MT_METHOD=MethodCell.METHOD,
        C_MEGAMORPHIC=CallCell.MEGAMORPHIC, MC_CALL=METHOD_CALL_CELL,
        HOLD_SELF_BIT=METHOD_HOLD_SELF.bit_length() - 1, COUNT_MASK=METHOD_HOLD_SELF - 1,
        C_INSTANCE_VERSION=CallCell.INSTANCE_VERSION, C_INSTANCE_INIT=CallCell.INSTANCE_INIT,
        C_INSTANCE_CELL=CallCell.INSTANCE_CELL,
        OB_TYPE=L.OB_TYPE, TP_VERSION=L.TYPE_TP_VERSION_TAG, CACHED_KEYS=L.HEAPTYPE_HT_CACHED_KEYS,
        DK_NENTRIES=L.KEYS_DK_NENTRIES, MA_VERSION=dict_versions.VERSION,
        MD_DICT=L.MODULE_MD_DICT, LIST_SIZE=L.LIST_OB_SIZE, LIST_ITEM=L.LIST_OB_ITEM,
        compare_mask=truth_routines.COMPARE_MASK,
        float_compare_mask=truth_routines.FLOAT_COMPARE_MASK, HELPER_FRAMES=keep,
        FVAL=L.FLOAT_OB_FVAL,
        TP_MRO=L.TYPE_TP_MRO, TUPLE_SIZE=L.TUPLE_OB_SIZE, TUPLE_ITEM=L.TUPLE_OB_ITEM,
        FUNC_DEFAULTS=L.FUNC_DEFAULTS, FUNC_VERSION=L.FUNC_VERSION,
        BOUND_ARGUMENTS=BOUND_ARGUMENTS,
        int_routines=int_routines.source(), container_routines=container_routines.source(),
        store_routines=store_routines.source(),
        split_values=dict_fragments.split_values(), split_keys=dict_fragments.split_keys(),
        compare_doubles=compare_doubles, compare_ints=compare_ints,
        int_literals="".join(f"lit_{helper}: .quad {addresses[helper]:#x}\n"
                             for _, helper, _ in INT_OPS.values()),
        **addresses))
