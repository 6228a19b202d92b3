"""The consuming ends of the number routines (int_routines.py): what an
INT_OPS routine does, entered as `pyjit_int_<op>_consuming`, with operands
the site hands over (the HIR's `consumed`, the refcount-consume pass).

x2 names them (bit 0: a, bit 1: b; the plain entry sets it to 0 and falls
through).  A float result goes into a handed-over exact float whose count
is one (one store: the value), an int result that is not a cached small
int into a handed-over one-digit int whose count is one (size and digit
written, the count left at one); otherwise the result is made as the plain
entry makes it.  The handed-over operands not reused are released here; a
float or one-digit int reaching zero goes into its pool without a frame,
anything else through `pyjit_dealloc`.  The generic cases (the C-API
function, the dunder table, NaN, more than one digit, division by zero, a
pool that cannot be refilled) run the plain entry's path
(`op_generic_consume`), then the releases.  This is the reuse CPython 3.11
does in `BINARY_OP_ADD_FLOAT` and its siblings.
"""

from __future__ import annotations

from . import layout
from .int_pool import IntPool


def consuming(routine: str) -> str:
    """The entry of an INT_OPS routine that takes over the operands x2
    names (bit 0: a, bit 1: b): it releases them, or holds its result in
    one that nothing else holds (refcount-consume)."""
    return routine + "_consuming"


def _reuse(operand: str, otherwise: str, write: str, float_type: str | None = None) -> str:
    """The assembly that makes the handed-over operand in `operand` (0:
    none) the result, with `write` putting the value in x0, when nothing
    else holds it (and, for a float result, it is an exact float: its type
    in float_type), then goes to consume_done with the operand taken out
    of the releases; else goes to `otherwise`."""
    type_check = ("" if float_type is None else
                  f"    ldr x11, [{operand}, #{layout.OB_TYPE}]\n"
                  f"    cmp x11, {float_type}\n"
                  f"    b.ne {otherwise}\n")
    return (f"    cbz {operand}, {otherwise}\n"
            f"    @refcount_is_one {operand}, x10, {otherwise}\n"
            f"{type_check}"
            f"    mov x0, {operand}\n"
            f"    mov {operand}, #0\n"
            f"{write}\n"
            "    b consume_done\n")


def _free(obj: str, name: str, back: str) -> str:
    """The assembly at `name` that frees the handed-over operand in `obj`,
    whose count is zero, as pyjit_dealloc does (an exact float or a
    one-digit int into its pool, without a frame), keeping x0 and x4, then
    goes to `back`."""
    L = layout
    return f"""\
{name}:
    ldr x9, [{obj}, #{L.OB_TYPE}]
    ldr x10, lit_float_pool
    ldr x11, lit_float_type
    cmp x9, x11
    b.eq {name}_pool
    ldr x11, lit_long_type
    cmp x9, x11
    b.ne {name}_call
    @one_digit_int {obj}, x11, x11, {name}_call
    ldr x10, lit_int_pool
{name}_pool:
    ldp x11, x12, [x10, #{IntPool.COUNT}]
    cmp x11, x12
    b.hs {name}_call                      // a full pool
    add x13, x10, #{IntPool.SLOTS}
    str {obj}, [x13, x11, lsl #3]
    add x11, x11, #1
    str x11, [x10, #{IntPool.COUNT}]
    b {back}
{name}_call:
    str x30, [sp, #-32]!
    stp x0, x4, [sp, #16]
    mov x0, {obj}
    bl pyjit_dealloc
    ldp x0, x4, [sp, #16]
    ldr x30, [sp], #32
    b {back}
"""


def source(box_consumed: str, take_float_consumed: str) -> str:
    """The consuming ends' assembly text, given int_routines' fragments that
    make an int result (`box` at ic_box) and a float result (`take_float`
    at fc_take), both going on to consume_done."""
    L = layout
    return _SOURCE.format(
        SMALL_NEG=-L.SMALL_INT_MIN, SMALL_SPAN=L.SMALL_INT_MAX - L.SMALL_INT_MIN,
        DIGIT_BITS=L.LONG_DIGIT_BITS, box_consumed=box_consumed,
        take_float_consumed=take_float_consumed,
        free_a=_free("x3", "consume_free_a", "consume_b"),
        free_b=_free("x4", "consume_free_b", "consume_end"),
        reuse_int_a=_reuse("x3", "ic_b", "    @set_one_digit x0, x14, x13, x9"),
        reuse_int_b=_reuse("x4", "ic_box", "    @set_one_digit x0, x14, x13, x9"),
        reuse_float_a=_reuse("x3", "fc_b", f"    str d0, [x0, #{L.FLOAT_OB_FVAL}]", "x12"),
        reuse_float_b=_reuse("x4", "fc_take", f"    str d0, [x0, #{L.FLOAT_OB_FVAL}]", "x12"))


_SOURCE = """\
// -- the consuming entries' ends: x0 = a, x1 = b, x2 = those handed over
//    (bit 0: a, bit 1: b); x3, x4 = the handed-over a and b still to release
//    (0: none) --------------------------------------------------------------------
ic_result:                                // x14 = an int's value: in an operand's
    tst x2, #1                            // object when only the site held it
    csel x3, x0, xzr, ne
    tst x2, #2
    csel x4, x1, xzr, ne
    add x9, x14, #{SMALL_NEG}
    cmp x9, #{SMALL_SPAN}
    b.ls ic_box                           // a cached small int
    cmp x14, #0
    cneg x13, x14, lt
    lsr x9, x13, #{DIGIT_BITS}
    cbnz x9, op_generic_consume           // more than one digit
{reuse_int_a}ic_b:
{reuse_int_b}ic_box:
{box_consumed}
ic_generic:
    b op_generic_consume
fc_result:                                // d0 = a float result
    tst x2, #1
    csel x3, x0, xzr, ne
    tst x2, #2
    csel x4, x1, xzr, ne
    ldr x12, lit_float_type
{reuse_float_a}fc_b:
{reuse_float_b}{take_float_consumed}op_generic_consume:                       // what the plain entry does, then the releases
    str x30, [sp, #-48]!
    stp x0, x1, [sp, #16]
    str x2, [sp, #32]
    bl int_generic
    ldp x3, x4, [sp, #16]
    ldr x2, [sp, #32]
    ldr x30, [sp], #48
    tst x2, #1
    csel x3, x3, xzr, ne
    tst x2, #2
    csel x4, x4, xzr, ne
consume_done:                             // x0 = the result (NULL: the operation failed)
    cbz x3, consume_b
    @decref x3, x10, consume_free_a
consume_b:
    cbz x4, consume_end
    @decref x4, x10, consume_free_b
consume_end:
    ret
{free_a}{free_b}"""
