"""The container routines of the shared routines (routines.py): subscripts
and unpacking of exact lists and tuples without a helper call.  Their text
is part of the shared routines' text and uses its literals (lit_list_type,
lit_tuple_type, lit_long_type, the helpers' addresses) and macros.

    pyjit_getitem(container, key)        -> PyObject_GetItem(container, key)
    pyjit_setitem(container, key, value) -> PyObject_SetItem(container, key, value)
    pyjit_unpack(seq, n, out)            -> unpack_into(seq, n, out)
    pyjit_len(callable, args, nargsf, kwnames) -> PyObject_Vectorcall(...)
    pyjit_sqrt(...), pyjit_list_append(...), pyjit_list_pop(...) (the same signature)

`pyjit_getitem`: an exact list or an exact tuple indexed by an exact int of
at most one digit gives the item (a new reference) when the index is in
range, a negative one counting from the end (what list_subscript and
tuplesubscript do with PyNumber_AsSsize_t's index).  `pyjit_setitem`: an
exact list so indexed stores the value (a new reference) and then releases
the old item, in list_ass_item's order, answering 0.  Anything else, and an
index out of range, tail-branches to the C-API function, whose result and
exception are the interpreter's.

`pyjit_unpack` is UNPACK_SEQUENCE's fast path: an exact tuple or an exact
list of exactly n items puts a new reference to each in out[0..n-1] (the
interpreter's UNPACK_SEQUENCE pushes them so) and answers 0; anything else
tail-branches to the unpack_into helper, which iterates it and raises the
interpreter's errors (-1).

`pyjit_len` is the vectorcall of a site that called the builtin `len` when
it was compiled (lower_calls.INTRINSICS): when the callable still is that
builtin, with one positional argument, an exact list or tuple (ob_size) or
an exact dict (ma_used) gives its length as an int made as the int
routines make theirs (int_routines.box: a cached small int, or one from
the pool of dead ints); anything else tail-branches to
PyObject_Vectorcall.  `pyjit_sqrt` does the same for `math.sqrt` of an
exact float that is not negative (nor NaN): `fsqrt` is IEEE's correctly
rounded square root, as C's `sqrt` that math.sqrt calls; the result a
float of the float routines' pool.

`pyjit_list_append` and `pyjit_list_pop` are the targets a call cell
gives the method descriptors `list.append` and `list.pop` (CALL_INTRINSICS;
the cell's word is tagged TAIL_CALL, so the call routines branch to them
as to PyObject_Vectorcall, without counting a frame): `lst.append(x)` on an
exact list with room (ob_size < allocated) stores x (a new reference) and
grows ob_size, what _PyList_AppendTakeRef does before it would resize;
`lst.pop()` on an exact non-empty list whose size after the pop keeps
list_resize from reallocating (allocated >> 1 <= ob_size - 1) takes the
last item (its reference becomes the result) and shrinks ob_size, what
list_pop does then.  Anything else (arguments, a subclass, a list that
must grow or shrink its allocation, an empty one) tail-branches to
PyObject_Vectorcall.
"""

from __future__ import annotations

from . import layout
from .int_routines import box

# list's method descriptor -> the routine its calls go to (through call cells)
CALL_INTRINSICS = {"append": "pyjit_list_append", "pop": "pyjit_list_pop"}
TAIL_CALL = 1       # a call cell target's tag: branch to it, count no frame


def _index(prefix: str, tuples: bool) -> tuple[str, str]:
    """The text that falls through with x13 = the index (an exact one-digit
    int in x1, negative counted from the end), x14 = the length, x15 = the
    items of x0, an exact list (or tuple, when tuples), and goes to
    `{prefix}_generic` for anything else or an index out of range; and the
    tuples' part, to be placed out of the way (after a return).  Uses
    x9-x12."""
    L = layout
    tuple_part = f"""\
{prefix}_tuple:
    ldr x10, lit_tuple_type
    cmp x9, x10
    b.ne {prefix}_generic
    ldr x14, [x0, #{L.TUPLE_OB_SIZE}]
    add x15, x0, #{L.TUPLE_OB_ITEM}
    b {prefix}_index
""" if tuples else ""
    return f"""\
    ldr x9, [x1, #{L.OB_TYPE}]
    ldr x10, lit_long_type
    cmp x9, x10
    b.ne {prefix}_generic
    @int_value x1, x12, x11, x13, {prefix}_generic
    ldr x9, [x0, #{L.OB_TYPE}]
    ldr x10, lit_list_type
    cmp x9, x10
    b.ne {prefix}_{"tuple" if tuples else "generic"}
    ldr x14, [x0, #{L.LIST_OB_SIZE}]
    ldr x15, [x0, #{L.LIST_OB_ITEM}]
{prefix}_index:
    add x10, x13, x14                     // a negative index counts from the end
    cmp x13, #0
    csel x13, x10, x13, lt
    cmp x13, x14
    b.hs {prefix}_generic
""", tuple_part


def _vectorcall_of(builtin: str, nargs: int, generic: str) -> str:
    """The checks of a routine standing for a builtin's vectorcall (x0 =
    the callable, x2 = nargsf, x3 = kwnames): the callable is the builtin
    at literal `builtin`, no keywords, nargs positional arguments; else go
    to generic.  Uses x9."""
    return f"""\
    ldr x9, {builtin}
    cmp x0, x9
    b.ne {generic}
    cbnz x3, {generic}
    and x9, x2, #0x7fffffffffffffff       // without PY_VECTORCALL_ARGUMENTS_OFFSET
    cmp x9, #{nargs}
    b.ne {generic}
"""


def source() -> str:
    """The routines' assembly text (before macro expansion)."""
    L = layout
    get_index, get_tuple = _index("getitem", True)
    set_index, _ = _index("setitem", False)
    return f"""
// -- subscripts: x0 = container, x1 = key (x2 = the value to store) ---------------
pyjit_getitem:
{get_index}\
    ldr x0, [x15, x13, lsl #3]
    @incref x0, x9
    ret
{get_tuple}\
getitem_generic:
    ldr x16, lit_get_item
    br x16

pyjit_setitem:
{set_index}\
    add x15, x15, x13, lsl #3
    ldr x11, [x15]                        // the old item
    @incref x2, x9
    str x2, [x15]
    @decref x11, x9, setitem_dealloc
    mov x0, #0
    ret
setitem_dealloc:
    str x30, [sp, #-16]!
    mov x0, x11
    bl pyjit_dealloc
    ldr x30, [sp], #16
    mov x0, #0
    ret
setitem_generic:
    ldr x16, lit_set_item
    br x16

// -- len(): the vectorcall x0 = callable, x1 = args, x2 = nargsf, x3 = kwnames ------
pyjit_len:
{_vectorcall_of('lit_len', 1, 'len_generic')}\
    ldr x10, [x1]                         // the object
    ldr x9, [x10, #{L.OB_TYPE}]
    ldr x11, lit_list_type
    cmp x9, x11
    b.eq len_sized
    ldr x11, lit_tuple_type
    cmp x9, x11
    b.eq len_sized
    ldr x11, lit_dict_type
    cmp x9, x11
    b.ne len_generic
    ldr x14, [x10, #{L.DICT_MA_USED}]
    b len_box
len_sized:
    ldr x14, [x10, #{L.LIST_OB_SIZE}]     // a list's or a tuple's ob_size
len_box:
{box("x0", "len", "    ret", "    ret", "pyjit_len")}
len_generic:
    ldr x16, lit_vectorcall
    br x16

// -- math.sqrt(x): the vectorcall x0 = callable, x1 = args (fsqrt: IEEE, as C's) ----
pyjit_sqrt:
{_vectorcall_of('lit_math_sqrt', 1, 'sqrt_generic')}\
    ldr x10, [x1]                         // the argument
    ldr x11, [x10, #{L.OB_TYPE}]
    ldr x9, lit_float_type
    cmp x11, x9
    b.ne sqrt_generic
    ldr d0, [x10, #{L.FLOAT_OB_FVAL}]
    fcmp d0, #0.0
    b.lt sqrt_generic                     // negative or NaN: the builtin's answer
    fsqrt d0, d0
    ldr x16, lit_vectorcall               // (float_take's fallback: the call itself)
    b float_take
sqrt_generic:
    ldr x16, lit_vectorcall
    br x16

// -- list.append, list.pop: the vectorcall x0 = the descriptor, x1 = [self, args...] --
pyjit_list_append:
{_vectorcall_of('lit_list_append', 2, 'list_method_generic')}\
    ldp x10, x11, [x1]                    // the list, the item
    ldr x9, [x10, #{L.OB_TYPE}]
    ldr x12, lit_list_type
    cmp x9, x12
    b.ne list_method_generic
    ldr x13, [x10, #{L.LIST_OB_SIZE}]
    ldr x14, [x10, #{L.LIST_ALLOCATED}]
    cmp x13, x14
    b.ge list_method_generic              // no room: the C function grows it (signed:
                                          // a list being sorted has allocated -1)
    @incref x11, x9
    ldr x15, [x10, #{L.LIST_OB_ITEM}]
    str x11, [x15, x13, lsl #3]
    add x13, x13, #1
    str x13, [x10, #{L.LIST_OB_SIZE}]
    ldr x0, lit_none
    @incref x0, x9
    ret
pyjit_list_pop:
{_vectorcall_of('lit_list_pop', 1, 'list_method_generic')}\
    ldr x10, [x1]                         // the list
    ldr x9, [x10, #{L.OB_TYPE}]
    ldr x12, lit_list_type
    cmp x9, x12
    b.ne list_method_generic
    ldr x13, [x10, #{L.LIST_OB_SIZE}]
    cbz x13, list_method_generic          // empty: the C function raises
    sub x13, x13, #1
    ldr x14, [x10, #{L.LIST_ALLOCATED}]
    cmp x13, x14, lsr #1
    b.lo list_method_generic              // list_resize would reallocate
    ldr x15, [x10, #{L.LIST_OB_ITEM}]
    ldr x0, [x15, x13, lsl #3]            // the list's reference is the result's
    str x13, [x10, #{L.LIST_OB_SIZE}]
    ret
list_method_generic:
    ldr x16, lit_vectorcall
    br x16

// -- unpacking: x0 = the sequence, x1 = the count, x2 = where the items go ---------
pyjit_unpack:
    ldr x9, [x0, #{L.OB_TYPE}]
    add x11, x0, #{L.TUPLE_OB_ITEM}       // a tuple's items
    ldr x10, lit_tuple_type
    cmp x9, x10
    b.eq unpack_sized
    ldr x10, lit_list_type
    cmp x9, x10
    b.ne unpack_generic
    ldr x11, [x0, #{L.LIST_OB_ITEM}]      // a list's
unpack_sized:
    ldr x12, [x0, #{L.LIST_OB_SIZE}]      // a list's or a tuple's ob_size
    cmp x12, x1
    b.ne unpack_generic
    cbz x1, unpack_done
unpack_item:
    ldr x12, [x11], #8
    @incref x12, x9
    str x12, [x2], #8
    subs x1, x1, #1
    b.ne unpack_item
unpack_done:
    mov x0, #0
    ret
unpack_generic:
    ldr x16, lit_unpack_into
    br x16
"""
