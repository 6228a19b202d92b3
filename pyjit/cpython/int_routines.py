"""The number routines of the shared routines (routines.py): small-int and
exact-float arithmetic, freeing into the pools of dead ints and floats
(int_pool.py) and FOR_ITER over list and range iterators and enumerate
over a list.  Their assembly
text is part of the shared routines' text and uses its literals
(lit_long_type, lit_float_type, lit_small_ints, lit_int_pool,
lit_float_pool, the iterator types, the helpers' addresses).

    pyjit_int_<op>(a, b), pyjit_float_<op>(a, b) -> PyNumber_<Op>(a, b)  (INT_OPS)
    pyjit_dealloc(obj)            -> Py_DecRef(obj) with its count back at 1
    pyjit_for_iter(iterator, out) -> for_iter(iterator, out)

Floor division and remainder of two such ints (`pyjit_int_floordiv`,
`pyjit_int_mod` and the in-place forms) divide with `sdiv` and move a
quotient rounded towards zero down by one, and the remainder by b, when
the remainder is not zero and its sign is not b's: Python's floor
division and a remainder with the divisor's sign, what long_divmod gives.
A zero divisor goes to the C-API function (its ZeroDivisionError); the
results have at most one digit, as |a // b| <= |a| and |a % b| < |b|.

A one-digit int result is made the same way by the arithmetic and by the
range iterator (`box`): the interpreter's cached small int for -5..256, else
an object from the pool with the value written in, else the C-API function.

Every routine of INT_OPS also does exact floats (ob_type exactly float;
subclasses and anything else go on to the C-API function) for + - * and /
(the and/or/xor ones leave floats to the C-API function, which raises,
and the floor division and remainder ones leave them to it to compute):
two floats, or a float and an exact int of at most one digit (converted
to a double exactly, as PyLong_AsDouble does in float_add and the others),
and for / also two such ints (long_true_divide divides their exact
doubles too): both as doubles in d0 and d1 (`doubles`), one IEEE double
operation (what float_add, float_sub, float_mul
and float_div do in C, so the result is the interpreter's bit for bit;
never a fused multiply-add), and the result in a float from the pool of
dead floats (ob_refcnt 1, ob_fval), or the C-API function when the pool is
empty.  Division by zero (0.0 or -0.0) goes to the C-API function, which
raises the interpreter's ZeroDivisionError.  So does a NaN result: the
NaN an invalid operation makes differs between hosts (x86's is negative,
AArch64's positive, and which operand's payload a two-NaN operation keeps
differs too), and under Unicorn the interpreter is an x86 one; the C-API
function computes it as the interpreter does.
"""

from __future__ import annotations

from . import consume_routines, dunders, iter_routines, layout, objects
from .consume_routines import consuming
from .int_pool import FloatPool, IntPool

# BinaryOp kind -> (routine, the C-API function it falls back to, the
# operation's number in the routines' dispatch: add, sub, and, or, xor,
# mul, true division, floor division, remainder; the int dispatch takes
# 0..5, 7 and 8, the float one 0, 1, 5, 6)
INT_OPS: dict[str, tuple[str, str, int]] = {
    "ADD": ("pyjit_int_add", "PyNumber_Add", 0),
    "INPLACE_ADD": ("pyjit_int_iadd", "PyNumber_InPlaceAdd", 0),
    "SUBTRACT": ("pyjit_int_sub", "PyNumber_Subtract", 1),
    "INPLACE_SUBTRACT": ("pyjit_int_isub", "PyNumber_InPlaceSubtract", 1),
    "AND": ("pyjit_int_and", "PyNumber_And", 2),
    "INPLACE_AND": ("pyjit_int_iand", "PyNumber_InPlaceAnd", 2),
    "OR": ("pyjit_int_or", "PyNumber_Or", 3),
    "INPLACE_OR": ("pyjit_int_ior", "PyNumber_InPlaceOr", 3),
    "XOR": ("pyjit_int_xor", "PyNumber_Xor", 4),
    "INPLACE_XOR": ("pyjit_int_ixor", "PyNumber_InPlaceXor", 4),
    "MULTIPLY": ("pyjit_int_mul", "PyNumber_Multiply", 5),
    "INPLACE_MULTIPLY": ("pyjit_int_imul", "PyNumber_InPlaceMultiply", 5),
    "TRUE_DIVIDE": ("pyjit_float_truediv", "PyNumber_TrueDivide", 6),
    "INPLACE_TRUE_DIVIDE": ("pyjit_float_itruediv", "PyNumber_InPlaceTrueDivide", 6),
    "FLOOR_DIVIDE": ("pyjit_int_floordiv", "PyNumber_FloorDivide", 7),
    "INPLACE_FLOOR_DIVIDE": ("pyjit_int_ifloordiv", "PyNumber_InPlaceFloorDivide", 7),
    "REMAINDER": ("pyjit_int_mod", "PyNumber_Remainder", 8),
    "INPLACE_REMAINDER": ("pyjit_int_imod", "PyNumber_InPlaceRemainder", 8),
}
FLOAT_TRUEDIV = 6       # the operation the float dispatch alone does (no int fast path)


def box(result: str, prefix: str, done_small: str, done_pool: str,
        retry: str | None = None) -> str:
    """The assembly that makes the int whose value is in x14 into register
    `result` (a new reference), using x9-x11 and x13; it ends with
    done_small or done_pool, or branches to `{prefix}_generic` when the value
    needs the C-API (more than one digit, or the pool is empty and none
    could be made); done_small must end in a branch.  retry: where to go
    on once the pool_refill helper refilled an empty pool (other threads
    ran meanwhile): the routine's start, for a value read from a mutable
    object (a list's length, an iterator's index), which must be read
    again; None: take from the pool at once (a value of immutable ints)."""
    L = layout
    return f"""\
    add x9, x14, #{-L.SMALL_INT_MIN}
    cmp x9, #{L.SMALL_INT_MAX - L.SMALL_INT_MIN}                          // the cached small ints
    b.hi {prefix}_new
    ldr {result}, lit_small_ints
    add {result}, {result}, x9, lsl #{objects.small_int_index_shift()}
    @incref {result}, x9
{done_small}
{prefix}_refill:                          // an empty pool: refilled by one helper call
    str x30, [sp, #-16]!
    bl pool_refill
    ldr x30, [sp], #16
    cbnz x9, {retry or prefix + "_take"}
    b {prefix}_generic                    // none made
{prefix}_new:
    cmp x14, #0
    cneg x13, x14, lt                     // |value|
    lsr x9, x13, #{L.LONG_DIGIT_BITS}
    cbnz x9, {prefix}_generic             // more than one digit
{prefix}_take:
    ldr x10, lit_int_pool
    ldr x11, [x10, #{IntPool.COUNT}]                        // the pool's count
    cbz x11, {prefix}_refill
    sub x11, x11, #1
    str x11, [x10, #{IntPool.COUNT}]
    add x9, x10, #{IntPool.SLOTS}
    ldr {result}, [x9, x11, lsl #3]       // a dead int: ob_type is int already
    @init_one_digit {result}, x14, x13, x9
{done_pool}"""


def doubles(prefix: str, fail: str) -> tuple[str, str]:
    """The assembly that loads a (x0) and b (x1) as doubles into d0 and d1
    when each is an exact float (its ob_fval) or an exact int of at most one
    digit (converted: exactly, as PyLong_AsDouble does), else goes to fail;
    uses x10-x14.  Two parts: the text that falls through with both loaded,
    and the ints' conversions, to be placed out of the way (after a branch)."""
    L = layout
    inline = f"""\
    ldr x10, lit_float_type
    ldr x11, [x0, #{L.OB_TYPE}]
    cmp x11, x10
    b.ne {prefix}_a_int
    ldr d0, [x0, #{L.FLOAT_OB_FVAL}]
{prefix}_b:
    ldr x11, [x1, #{L.OB_TYPE}]
    cmp x11, x10
    b.ne {prefix}_b_int
    ldr d1, [x1, #{L.FLOAT_OB_FVAL}]
{prefix}_go:
"""
    outline = "".join(f"""\
{prefix}_{name}_int:                             // an exact one-digit int: converted exactly
    ldr x12, lit_long_type
    cmp x11, x12
    b.ne {fail}
{objects.one_digit_checks([(obj, "x12")], "x13", fail)}\
{objects.one_digit_values([(obj, "x12", "x14")])}\
    scvtf {d}, x14
    b {prefix}_{back}
""" for name, obj, d, back in (("a", "x0", "d0", "b"), ("b", "x1", "d1", "go")))
    return inline, outline


def take_float(prefix: str, done: str, empty: str) -> str:
    """The assembly at `{prefix}_take` that makes the double in d0 a float
    from the pool of dead floats (x0, a new reference; uses x9-x11), then
    `done`; an empty pool is refilled by one helper call (x0-x17 and d0-d1
    kept), and `empty` runs when none could be made."""
    L = layout
    return f"""\
{prefix}_take:
    ldr x10, lit_float_pool
    ldr x11, [x10, #{FloatPool.COUNT}]                        // the pool's count
    cbz x11, {prefix}_refill
    sub x11, x11, #1
    str x11, [x10, #{FloatPool.COUNT}]
    add x9, x10, #{FloatPool.SLOTS}
    ldr x0, [x9, x11, lsl #3]             // a dead float: ob_type is float already
    mov x9, #1
    str x9, [x0, #{L.OB_REFCNT}]            // ob_refcnt
    str d0, [x0, #{L.FLOAT_OB_FVAL}]
{done}
{prefix}_refill:                             // an empty pool: refilled by one helper call
    str x30, [sp, #-16]!
    bl pool_refill
    ldr x30, [sp], #16
    cbnz x9, {prefix}_take
{empty}
"""


def source() -> str:
    """The routines' assembly text (labels and literals as above)."""
    L = layout
    float_doubles, float_ints = doubles("float", "op_generic")
    entries = "".join(f"{routine}:\n    mov x2, #0\n{consuming(routine)}:\n"
                      f"    mov x9, #{number}\n    ldr x16, lit_{helper}\n"
                      f"    b {'float_op' if number == FLOAT_TRUEDIV else 'int_op'}\n"
                      for routine, helper, number in INT_OPS.values())
    return _SOURCE.format(
        dealloc_iter=iter_routines.dealloc_iter(), get_iter=iter_routines.get_iter(),
        RANGEITER_START=L.RANGEITER_START, RANGEITER_STEP=L.RANGEITER_STEP,
        RANGEITER_LEN=L.RANGEITER_LEN,
        range_index=("" if L.RANGEITER_INDEX is None else
                     f"    str xzr, [x0, #{L.RANGEITER_INDEX}]\n"),
        int_entries=entries, OB_TYPE=L.OB_TYPE, OB_REFCNT=L.OB_REFCNT, LONG_SIZE=L.LONG_OB_SIZE,
        LONG_DIGIT=L.LONG_OB_DIGIT, LIST_SIZE=L.LIST_OB_SIZE, LIST_ITEM=L.LIST_OB_ITEM,
        LISTITER_INDEX=L.LISTITER_INDEX, LISTITER_SEQ=L.LISTITER_SEQ,
        ENUM_INDEX=L.ENUM_INDEX, ENUM_SIT=L.ENUM_SIT, ENUM_RESULT=L.ENUM_RESULT,
        ENUM_LONGINDEX=L.ENUM_LONGINDEX, GC_HEAD_SIZE=L.GC_HEAD_SIZE, TUPLE_ITEM=L.TUPLE_OB_ITEM,
        SMALL_NEG=-L.SMALL_INT_MIN, SMALL_SPAN=L.SMALL_INT_MAX - L.SMALL_INT_MIN,
        DIGIT_BITS=L.LONG_DIGIT_BITS, POOL_COUNT=IntPool.COUNT, POOL_SLOTS=IntPool.SLOTS, FVAL=L.FLOAT_OB_FVAL,
        FPOOL_COUNT=FloatPool.COUNT, FPOOL_SLOTS=FloatPool.SLOTS,
        TP_FLAGS=L.TYPE_TP_FLAGS, HEAPTYPE_BIT=9, TP_VERSION=L.TYPE_TP_VERSION_TAG,
        DUNDER_MASK=dunders.ENTRIES - 1, DUNDER_SHIFT=dunders.ENTRY.bit_length() - 1,
        DT_TYPE=dunders.TYPE, DT_VERSION=dunders.VERSION, DT_CELL=dunders.CELL,
        box_int=box("x0", "int", "    ret", "    ret"),
        take_float=take_float("float", "    ret",
                              "    br x16                                // none made: x16(x0..x3), "
                              "the C function"),
        consume_ends=consume_routines.source(
            box("x0", "ic", "    b consume_done", "    b consume_done"),
            take_float("fc", "    b consume_done", "    b op_generic_consume")),
        float_doubles=float_doubles, float_ints=float_ints,
        box_range=box("x15", "for_iter", "    b for_iter_range_got", "", "pyjit_for_iter"),
        box_enum=box("x15", "for_enum", "    b for_iter_enum_boxed", "", "pyjit_for_iter"),
        end_index=("" if L.LISTITER_END_INDEX is None else
                   f"    tbnz x12, #63, for_iter_none          // negative: an end that keeps it\n"
                   f"    mov x13, #{L.LISTITER_END_INDEX}\n"
                   f"    str x13, [x0, #{L.LISTITER_INDEX}]\n"))


_SOURCE = """
// -- int arithmetic: x0 = a, x1 = b; the entry points set x9 (the
//    operation) and x16 (its C-API function) ---------------------------------
{int_entries}
int_op:                                   // x2 = the operands handed over (0: none)
    @small_ints x0, x1, x14, x15, op_generic, x10, x11, float_op
    cbz x9, int_add
    cmp x9, #1
    b.eq int_sub
    cmp x9, #2
    b.eq int_and
    cmp x9, #3
    b.eq int_or
    cmp x9, #4
    b.eq int_xor
    cmp x9, #5
    b.eq int_mul
    cbz x15, op_generic                   // 7: //, 8: %; ZeroDivisionError, the interpreter's
    sdiv x10, x14, x15                    // the quotient rounded towards zero,
    msub x11, x10, x15, x14               // the remainder with a's sign
    cbz x11, int_divmod
    eor x12, x11, x15
    tbz x12, #63, int_divmod              // b's sign too: floor is truncation
    sub x10, x10, #1                      // else Python's floor and b's sign
    add x11, x11, x15
int_divmod:
    cmp x9, #7
    csel x14, x10, x11, eq
    b int_result
int_xor:
    eor x14, x14, x15
    b int_result
int_mul:                                  // |a|, |b| < 2**30: no overflow
    mul x14, x14, x15
    b int_result
int_add:
    add x14, x14, x15
    b int_result
int_sub:
    sub x14, x14, x15
    b int_result
int_and:
    and x14, x14, x15
    b int_result
int_or:
    orr x14, x14, x15
int_result:
    cbnz x2, ic_result
{box_int}
op_generic:                               // x2: the operands handed over are released after
    cbnz x2, op_generic_consume
int_generic:                              // not numbers the routines do: a method of a's
    ldr x10, [x0, #{OB_TYPE}]              // Python class the dunder table names (dunders.py),
    ldr w11, [x10, #{TP_FLAGS}]            // else the C-API function
    tbz w11, #{HEAPTYPE_BIT}, int_c
    ldr x11, [x1, #{OB_TYPE}]
    cmp x11, x10
    b.eq int_dunder
    ldr x12, lit_long_type
    cmp x11, x12
    b.eq int_dunder
    ldr x12, lit_float_type
    cmp x11, x12
    b.ne int_c
int_dunder:                               // x10 = a's class, x16 = the operator
    ldr x11, lit_dunder_table
    lsr x12, x10, #4
    eor x12, x12, x16, lsr #2
    and x12, x12, #{DUNDER_MASK}
    add x11, x11, x12, lsl #{DUNDER_SHIFT}
    ldp x12, x13, [x11, #{DT_TYPE}]        // its class, its operator
    cmp x12, x10
    b.ne int_dunder_fill
    cmp x13, x16
    b.ne int_dunder_fill
    ldr w12, [x10, #{TP_VERSION}]
    ldp x13, x14, [x11, #{DT_VERSION}]     // the version tag it holds for, the method
    cmp x12, x13
    b.ne int_dunder_fill
    cbz x14, int_c                        // none: the C-API function does it
    str x30, [sp, #-48]!
    stp x0, x1, [sp, #24]                 // [a free word, a, b]: method(a, b)
    str x16, [sp, #40]
    ldr x4, [x11, #{DT_CELL}]
    mov x0, x14
    add x1, sp, #24
    mov x2, #2
    orr x2, x2, #0x8000000000000000       // PY_VECTORCALL_ARGUMENTS_OFFSET
    mov x3, #0
    bl call_cached                        // through the entry's call cell (call_routines.py)
    ldr x9, lit_not_implemented
    cmp x0, x9
    b.eq int_dunder_unsupported
    ldr x30, [sp], #48
    ret
int_dunder_unsupported:                   // binary_op's TypeError
    @decref_call x0, x9, pyjit_dealloc
    ldp x0, x1, [sp, #24]
    ldr x2, lit_dunder_table
    ldr x3, [sp, #40]
    ldr x16, lit_binary_op_unsupported
    blr x16
    ldr x30, [sp], #48
    ret
int_dunder_fill:                          // ask the table (dunders.dunder_fill)
    str x30, [sp, #-48]!
    stp x0, x1, [sp, #16]
    str x16, [sp, #32]
    ldr x0, lit_dunder_table
    mov x1, x10
    mov x2, x16
    ldr x16, lit_dunder_fill
    blr x16
    mov x9, x0
    ldp x0, x1, [sp, #16]
    ldr x16, [sp, #32]
    ldr x30, [sp], #48
    ldr x10, [x0, #{OB_TYPE}]
    cbnz x9, int_dunder
int_c:
    br x16

// -- float arithmetic: not two one-digit ints; two exact floats? ------------------
float_op:
{float_doubles}    cmp x9, #5
    b.eq float_mul
    cbz x9, float_add
    cmp x9, #1
    b.eq float_sub
    cmp x9, #6
    b.ne op_generic                       // & | ^: the C-API function raises
    fcmp d1, #0.0
    b.eq op_generic                       // ZeroDivisionError, the interpreter's
    fdiv d0, d0, d1
    b float_result
float_mul:
    fmul d0, d0, d1
    b float_result
float_add:
    fadd d0, d0, d1
    b float_result
float_sub:
    fsub d0, d0, d1
float_result:
    fcmp d0, d0
    b.vs op_generic                       // NaN: the host's, from the C-API function
    cbnz x2, fc_result
{take_float}{consume_ends}// -- x10 = an empty pool: x9 = what the pool_refill helper added (int_pool.py),
//    every other register x0-x17 and d0-d1 kept -----------------------------------
pool_refill:
    str x30, [sp, #-176]!
    stp x0, x1, [sp, #16]
    stp x2, x3, [sp, #32]
    stp x4, x5, [sp, #48]
    stp x6, x7, [sp, #64]
    stp x8, x10, [sp, #80]
    stp x11, x12, [sp, #96]
    stp x13, x14, [sp, #112]
    stp x15, x16, [sp, #128]
    str x17, [sp, #144]
    stp d0, d1, [sp, #152]
    mov x0, x10
    ldr x16, lit_pool_refill
    blr x16
    mov x9, x0
    ldp x0, x1, [sp, #16]
    ldp x2, x3, [sp, #32]
    ldp x4, x5, [sp, #48]
    ldp x6, x7, [sp, #64]
    ldp x8, x10, [sp, #80]
    ldp x11, x12, [sp, #96]
    ldp x13, x14, [sp, #112]
    ldp x15, x16, [sp, #128]
    ldr x17, [sp, #144]
    ldp d0, d1, [sp, #152]
    ldr x30, [sp], #176
    ret
{float_ints}
// -- freeing: x0 = an object whose count is zero --------------------------------
pyjit_dealloc:
    ldr x9, [x0, #{OB_TYPE}]
    ldr x10, lit_long_type
    cmp x9, x10
    b.ne dealloc_float
    @one_digit_int x0, x11, x11, dealloc_generic
    ldr x10, lit_int_pool
dealloc_pool:                             // x10 = the int or float pool
    ldp x11, x12, [x10, #{POOL_COUNT}]                   // count, capacity
    cmp x11, x12
    b.hs dealloc_generic
    add x13, x10, #{POOL_SLOTS}
    str x0, [x13, x11, lsl #3]
    add x11, x11, #1
    str x11, [x10, #{POOL_COUNT}]
    ret
dealloc_float:
    ldr x10, lit_float_type
    cmp x9, x10
    b.ne dealloc_iter
    ldr x10, lit_float_pool
    b dealloc_pool
dealloc_iter:
    ldr x10, lit_range_iter_type
    cmp x9, x10
    b.ne dealloc_list_iter
    ldr x10, lit_range_pool
    b dealloc_pool
dealloc_list_iter:
{dealloc_iter}dealloc_generic:
    mov x9, #1                            // the count back to one, and Py_DecRef
    str x9, [x0, #{OB_REFCNT}]            // frees the object from C: no Python code
    ldr x16, lit_dealloc                  // (an engine's trap) sees it at zero
    br x16

// -- RangeIter: iter(range(x0[, x1[, x2]])) of the builtin range (NULL: not
//    given) -> a new reference, NULL: exact one-digit ints from the pool -------
pyjit_range_iter:
    ldr x9, lit_long_type
    ldr x10, [x0, #{OB_TYPE}]
    cmp x10, x9
    b.ne range_iter_generic
    @int_value x0, x12, x10, x13, range_iter_generic
    mov x14, #0                           // range(stop)
    mov x15, x13
    mov x11, #1
    cbz x1, range_iter_len
    ldr x10, [x1, #{OB_TYPE}]
    cmp x10, x9
    b.ne range_iter_generic
    @int_value x1, x12, x10, x15, range_iter_generic
    mov x14, x13                          // range(start, stop)
    cbz x2, range_iter_len
    ldr x10, [x2, #{OB_TYPE}]
    cmp x10, x9
    b.ne range_iter_generic
    @int_value x2, x12, x10, x11, range_iter_generic
    cbz x11, range_iter_generic           // step 0: range's ValueError
range_iter_len:                           // x14 start, x15 stop, x11 step: x13 = the
    mov x13, #0                           // length, as get_len_of_range
    tbnz x11, #63, range_iter_down
    cmp x14, x15
    b.ge range_iter_take
    sub x13, x15, x14
    sub x13, x13, #1
    udiv x13, x13, x11
    add x13, x13, #1
    b range_iter_take
range_iter_down:
    cmp x14, x15
    b.le range_iter_take
    sub x13, x14, x15
    sub x13, x13, #1
    neg x12, x11
    udiv x13, x13, x12
    add x13, x13, #1
range_iter_take:
    ldr x10, lit_range_pool
    ldr x9, [x10, #{POOL_COUNT}]
    cbz x9, range_iter_refill
    sub x9, x9, #1
    str x9, [x10, #{POOL_COUNT}]
    add x12, x10, #{POOL_SLOTS}
    ldr x0, [x12, x9, lsl #3]             // a dead range iterator: ob_type is it already
    mov x9, #1
    str x9, [x0, #{OB_REFCNT}]
{range_index}    str x14, [x0, #{RANGEITER_START}]
    str x11, [x0, #{RANGEITER_STEP}]
    str x13, [x0, #{RANGEITER_LEN}]
    ret
range_iter_refill:
    str x30, [sp, #-16]!
    bl pool_refill
    ldr x30, [sp], #16
    cbnz x9, range_iter_take
range_iter_generic:
    ldr x16, lit_range_iter
    br x16

// -- GET_ITER: x0 = an iterable -> a new reference to its iterator, NULL -----------
pyjit_get_iter:
{get_iter}get_iter_generic:
    ldr x16, lit_get_iter
    br x16

// -- FOR_ITER: x0 = iterator, x1 = out; 1 with the next item in out[0] ------------
pyjit_for_iter:
    ldr x9, [x0, #{OB_TYPE}]
    ldr x10, lit_list_iter_type
    cmp x9, x10
    b.ne for_iter_range
    ldr x11, [x0, #{LISTITER_SEQ}]
    cbz x11, for_iter_none                // exhausted before
    ldr x12, [x0, #{LISTITER_INDEX}]
    ldr x13, [x11, #{LIST_SIZE}]
    cmp x12, x13
    b.hs for_iter_list_end
    ldr x14, [x11, #{LIST_ITEM}]
    ldr x15, [x14, x12, lsl #3]
    add x12, x12, #1
    str x12, [x0, #{LISTITER_INDEX}]
    @incref x15, x9
    str x15, [x1]
    mov x0, #1
    ret
for_iter_range:
    ldr x10, lit_range_iter_type
    cmp x9, x10
    b.ne for_iter_enum
    @range_iter_next x0, x14, for_iter_none
{box_range}for_iter_range_got:
    @range_iter_advance x0
    str x15, [x1]
    mov x0, #1
    ret
for_iter_enum:                            // enumerate over a list: checked first,
    ldr x10, lit_enum_type                // then done (nothing changed before)
    cmp x9, x10
    b.ne for_iter_generic
    ldr x10, [x0, #{ENUM_LONGINDEX}]
    cbnz x10, for_iter_generic            // an index past PY_SSIZE_T_MAX
    ldr x10, [x0, #{ENUM_SIT}]
    ldr x11, [x10, #{OB_TYPE}]
    ldr x12, lit_list_iter_type
    cmp x11, x12
    b.ne for_iter_generic
    ldr x11, [x10, #{LISTITER_SEQ}]
    cbz x11, for_iter_none                // the list's end: enumerate's too
    ldr x12, [x10, #{LISTITER_INDEX}]
    ldr x13, [x11, #{LIST_SIZE}]
    cmp x12, x13
    b.lo for_iter_enum_item
    mov x0, x10
    b for_iter_list_end
for_iter_enum_item:
    ldr x13, [x0, #{ENUM_RESULT}]
    @refcount_is_one x13, x15, for_iter_generic
    ldr x15, [x13, #-{GC_HEAD_SIZE}]      // the collector's next link: 0 when it
    cbz x15, for_iter_generic             // untracked the pair, which enumerate retracks
    ldr x14, [x0, #{ENUM_INDEX}]
{box_enum}for_iter_enum_boxed:                      // x15 = the index, a new reference
    ldr x14, [x0, #{ENUM_INDEX}]
    add x14, x14, #1
    str x14, [x0, #{ENUM_INDEX}]
    ldr x10, [x0, #{ENUM_SIT}]
    ldr x11, [x10, #{LISTITER_SEQ}]
    ldr x12, [x10, #{LISTITER_INDEX}]
    ldr x14, [x11, #{LIST_ITEM}]
    ldr x14, [x14, x12, lsl #3]           // the item
    add x12, x12, #1
    str x12, [x10, #{LISTITER_INDEX}]
    @incref x14, x9
    ldr x13, [x0, #{ENUM_RESULT}]         // the pair, recycled: out[0]
    @incref x13, x9
    str x13, [x1]
    ldp x10, x11, [x13, #{TUPLE_ITEM}]    // the old index and item, released last
    stp x15, x14, [x13, #{TUPLE_ITEM}]
    str x30, [sp, #-32]!
    str x11, [sp, #16]
    mov x0, x10
    @decref_call x0, x9, pyjit_dealloc
    ldr x0, [sp, #16]
    @decref_call x0, x9, pyjit_dealloc
    ldr x30, [sp], #32
    mov x0, #1
    ret
for_iter_list_end:                        // x0 = a list iterator at its end, x11 = its
{end_index}    str xzr, [x0, #{LISTITER_SEQ}]        // list, x12 = its index: the list let go
    mov x0, x11
    @decref x0, x9, for_iter_list_release
for_iter_none:
    mov x0, #0
    ret
for_iter_list_release:
    str x30, [sp, #-16]!
    bl pyjit_dealloc
    ldr x30, [sp], #16
    mov x0, #0
    ret
for_enum_generic:                         // the index needs the C-API
for_iter_generic:
    ldr x16, lit_for_iter
    br x16

"""
