"""The comparison, truth and isinstance routines' source, part of the
shared routines (routines.py assembles and formats it with the rest; its
`{NAME}` fields are filled there, its COMPARE_MASK and FLOAT_COMPARE_MASK
are literals of the routines).  routines.py says what each does.
"""

from __future__ import annotations

# Per op (Py_LT, Py_LE, Py_EQ, Py_NE, Py_GT, Py_GE), 3 bits: true when less,
# equal, greater; pyjit_compare tests bit 3 * op + outcome.
COMPARE_MASK = sum(bits << (3 * op) for op, bits in enumerate(
    (0b001, 0b011, 0b010, 0b101, 0b100, 0b110)))

# The same for two floats, 4 bits per op: true when less, equal, greater,
# unordered (a NaN: only != is true, as in float_richcompare).
FLOAT_COMPARE_MASK = sum(bits << (4 * op) for op, bits in enumerate(
    (0b0001, 0b0011, 0b0010, 0b1101, 0b0100, 0b0110)))


SOURCE = """\
// -- comparisons: x0 = a, x1 = b, x2 = op (Py_LT..Py_GE) ---------------------------
pyjit_compare_bool_held:                  // the same, a and b held on the generic path
    mov x3, #3
    b compare_body
pyjit_compare_held:
    mov x3, #2
    b compare_body
pyjit_compare_bool:                       // the same, answering 1, 0 or -1
    mov x3, #1
    b compare_body
pyjit_compare:
    mov x3, #0                            // x3: bit 0 for the truth of the result, bit 1
compare_body:                             // to hold a and b on the generic path
    @small_ints x0, x1, x14, x15, compare_generic, x9, x10, compare_float
    cmp x14, x15
    cset x9, gt
    csinv x9, x9, xzr, ge                 // -1, 0, 1
    add x9, x9, #1                        // the outcome: 0 lt, 1 eq, 2 gt
    add x10, x2, x2, lsl #1
    add x9, x9, x10                       // bit 3 * op + outcome of the mask
    ldr x10, lit_compare_mask
    lsr x10, x10, x9
    tbnz x3, #0, compare_truth
    ldr x0, lit_false
    tbz x10, #0, compare_done
    ldr x0, lit_true
compare_done:
    @incref x0, x9
    ret
compare_truth:
    and x0, x10, #1
    ret
compare_float:                            // floats, or a float and a one-digit int
{compare_doubles}    fcmp d0, d1
    cset x9, cs                           // the outcome: 0 lt, 1 eq, 2 gt, 3 unordered
    cinc x9, x9, hi
    cinc x9, x9, vs
    add x9, x9, x2, lsl #2                // bit 4 * op + outcome of the mask
    ldr x10, lit_float_compare_mask
    lsr x10, x10, x9
    tbnz x3, #0, compare_truth
    ldr x0, lit_false
    tbz x10, #0, compare_done
    ldr x0, lit_true
    b compare_done
{compare_ints}compare_generic:
    tbnz x3, #1, compare_generic_held
    tbnz x3, #0, compare_truth_generic
    ldr x16, lit_rich_compare
    br x16
compare_truth_generic:
    ldr x16, lit_rich_compare
    b truth_of_call
compare_generic_held:                     // PyObject_RichCompare, a and b held across it:
    str x30, [sp, #-48]!                  // the site passes one borrowed (a global: the
    stp x0, x1, [sp, #16]                 // comparison may rebind it, dropping its last
    str x3, [sp, #32]                     // reference; refcount-held-operands)
    @incref x0, x9
    @incref x1, x9
    ldr x16, lit_rich_compare
    blr x16
    str x0, [sp, #40]                     // the result (NULL: it failed)
    ldr x0, [sp, #16]
    @decref_call x0, x9, pyjit_dealloc
    ldr x0, [sp, #24]
    @decref_call x0, x9, pyjit_dealloc
    ldp x3, x0, [sp, #32]
    ldr x30, [sp], #48
    tbz x3, #0, compare_generic_done
    cbz x0, truth_failed
    b pyjit_is_true_release
compare_generic_done:
    ret
truth_of_call:                            // x16(x0..x3): its result's truth, released
    str x30, [sp, #-16]!
    blr x16
    ldr x30, [sp], #16
    cbz x0, truth_failed
pyjit_is_true_release:                    // x0 = object: its truth, then released
    ldr x9, lit_true                      // True and False with no frame
    mov x10, #1
    cmp x0, x9
    b.eq is_true_release_bool
    ldr x9, lit_false
    mov x10, #0
    cmp x0, x9
    b.ne is_true_release_any
is_true_release_bool:                     // x10: the truth
    @decref x0, x9, is_true_release_freed
    mov x0, x10
    ret
is_true_release_freed:                    // (the interpreter never frees them)
    str x30, [sp, #-32]!
    str x10, [sp, #16]
    bl pyjit_dealloc
    ldr x0, [sp, #16]
    ldr x30, [sp], #32
    ret
is_true_release_any:
    str x30, [sp, #-32]!
    str x0, [sp, #16]
    bl pyjit_is_true
    str x0, [sp, #24]
    ldr x0, [sp, #16]
    @decref_call x0, x9, pyjit_dealloc
    ldr x0, [sp, #24]
    ldr x30, [sp], #32
    ret
truth_failed:
    mov x0, #-1
    ret

// -- truth: x0 = object ----------------------------------------------------------------
pyjit_is_true:
    ldr x9, lit_true
    cmp x0, x9
    b.eq is_true_yes
    ldr x9, lit_false
    cmp x0, x9
    b.eq is_true_no
    ldr x9, lit_none
    cmp x0, x9
    b.eq is_true_no
    ldr x9, [x0, #{OB_TYPE}]
    ldr x10, lit_long_type
    cmp x9, x10
    b.ne is_true_sized
    @int_value x0, x12, x11, x13, is_true_yes
    cbz x13, is_true_no                   // an exact int: not zero
    b is_true_yes
is_true_sized:                            // an exact list or tuple: not empty
    ldr x10, lit_list_type
    cmp x9, x10
    b.eq is_true_size
    ldr x10, lit_tuple_type
    cmp x9, x10
    b.ne is_true_call
is_true_size:
    ldr x13, [x0, #{LIST_SIZE}]           // ob_size: the list's and the tuple's
    cbz x13, is_true_no
    b is_true_yes
is_true_call:
    str x30, [sp, #-16]!
    ldr x16, lit_object_is_true
    blr x16
    sxtw x0, w0                           // a C int: 1, 0 or -1 in all 64 bits
    ldr x30, [sp], #16
    ret
is_true_yes:
    mov x0, #1
    ret
is_true_no:
    mov x0, #0
    ret

{container_routines}
// -- isinstance: the vectorcall x0 = callable, x1 = args, x2 = nargsf, x3 = kwnames --
pyjit_isinstance_bool:                    // the same, answering 1, 0 or -1
    mov x5, #1
    b isinstance_body
pyjit_isinstance:
    mov x5, #0                            // x5: 1 for the truth of the result
isinstance_body:
    ldr x9, lit_isinstance
    cmp x0, x9
    b.ne isinstance_generic
    cbnz x3, isinstance_generic
    and x9, x2, #0x7fffffffffffffff       // without PY_VECTORCALL_ARGUMENTS_OFFSET
    cmp x9, #2
    b.ne isinstance_generic
    ldp x10, x11, [x1]                    // obj, cls
    ldr x12, [x10, #{OB_TYPE}]
    cmp x12, x11
    b.eq isinstance_true                  // the exact type
    ldr x13, [x11, #{OB_TYPE}]
    ldr x9, lit_type_type
    cmp x13, x9
    b.ne isinstance_generic               // a metaclass may define __instancecheck__
    ldr x13, [x12, #{TP_MRO}]
    cbz x13, isinstance_generic
    ldr x14, [x13, #{TUPLE_SIZE}]
    add x13, x13, #{TUPLE_ITEM}
isinstance_next:
    cbz x14, isinstance_generic           // not found: False or __class__, the C-API decides
    ldr x15, [x13], #8
    cmp x15, x11
    b.eq isinstance_true
    sub x14, x14, #1
    b isinstance_next
isinstance_true:
    cbnz x5, isinstance_truth
    ldr x0, lit_true
    @incref x0, x9
    ret
isinstance_truth:
    mov x0, #1
    ret
isinstance_generic:
    ldr x16, lit_vectorcall
    cbnz x5, truth_of_call
    br x16

"""
