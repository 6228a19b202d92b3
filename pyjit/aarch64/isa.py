"""AArch64 instruction builders: one function per mnemonic.

Each function takes structured operands (`Reg`, ints, floats, `Cond` or
condition names, and the operand types of `operands.py`) and returns the
32-bit instruction word as an int.  Like an assembler, a builder picks the
encoding from the operands and falls back where llvm-mc does (`ldr x0,
[x1, #-8]` is ldur, `add x0, x1, #4096` is imm12 lsl #12, a negative add
immediate is a sub, `mov x0, #imm` is movz, movn or orr).  Operands that no
encoding accepts raise `EncodingError`, naming the instruction, the operand
and the allowed range.

Branch and literal offsets are byte offsets from the instruction itself.

The builders live in topic modules re-exported here:
`isa_arith` (add/sub, logical, shifts, multiply, conditional),
`isa_bits` (moves, bitfields, extensions, bit manipulation),
`isa_mem` (loads/stores), `isa_ctrl` (branches, adr, system),
`isa_fp` (scalar double floating point).

`MNEMONICS` maps every supported mnemonic, spelled as in LLVM assembly, to
its builder; the conditional branch is the single entry "b.cond" taking
(cond, offset).  Python keywords and builtins get a trailing underscore
(`and_`, `str_`).
"""

from __future__ import annotations

from functools import cache
from typing import Callable

from . import isa_arith, isa_bits, isa_ctrl, isa_fp, isa_mem
from .isa_arith import (
    adc, adcs, add, adds, and_, ands, asr, asrv, bic, bics, ccmn, ccmp, cinc, cinv, cmn,
    cmp, cneg, csel, cset, csetm, csinc, csinv, csneg, eon, eor, lsl, lslv, lsr, lsrv,
    madd, mneg, msub, mul, mvn, neg, negs, ngc, ngcs, orn, orr, ror, rorv, sbc, sbcs,
    sdiv, smaddl, smnegl, smsubl, smulh, smull, sub, subs, tst, udiv, umaddl, umnegl,
    umsubl, umulh, umull,
)
from .isa_bits import (
    bfc, bfi, bfm, bfxil, cls, clz, extr, mov, mov_imm_sequence, movk, movn, movz, rbit,
    rev, rev16, rev32, sbfiz, sbfm, sbfx, sxtb, sxth, sxtw, ubfiz, ubfm, ubfx, uxtb, uxth,
    uxtw,
)
from .isa_ctrl import (
    adr, adrp, b, b_cond, bl, blr, br, brk, cbnz, cbz, dc, dc_cvau, dmb, dsb, hlt, ic,
    ic_ivau, isb, mrs, msr, nop, ret, svc, tbnz, tbz, udf,
)
from .isa_fp import (
    fabs, fadd, fcmp, fcmpe, fcsel, fcvtas, fcvtau, fcvtms, fcvtmu, fcvtns, fcvtnu,
    fcvtps, fcvtpu, fcvtzs, fcvtzu, fdiv, fmadd, fmax, fmaxnm, fmin, fminnm, fmov, fmsub,
    fmul, fneg, fnmadd, fnmsub, fnmul, frinta, frinti, frintm, frintn, frintp, frintx,
    frintz, fsqrt, fsub, scvtf, ucvtf,
)
from .isa_mem import (
    ldp, ldpsw, ldr, ldr_literal, ldrb, ldrh, ldrsb, ldrsh, ldrsw, ldrsw_literal, ldur,
    ldurb, ldurh, ldursb, ldursh, ldursw, stp, str_, strb, strh, stur, sturb, sturh,
)
from .operands import EncodingError

# Functions that are not a mnemonic of their own: the literal loads are
# reached through "ldr"/"ldrsw" with an int address, and
# mov_imm_sequence returns several instructions.
_NOT_MNEMONICS = {"ldr_literal", "ldrsw_literal", "mov_imm_sequence", "dc_cvau", "ic_ivau"}
_SPELLING = {"and_": "and", "str_": "str", "b_cond": "b.cond"}


def _collect() -> dict[str, Callable[..., int]]:
    table: dict[str, Callable[..., int]] = {}
    for module in (isa_arith, isa_bits, isa_mem, isa_ctrl, isa_fp):
        for attr, fn in vars(module).items():
            if (attr.startswith("_") or not callable(fn) or isinstance(fn, type)
                    or getattr(fn, "__module__", None) != module.__name__
                    or attr in _NOT_MNEMONICS):
                continue
            table[_SPELLING.get(attr, attr)] = fn
    return dict(sorted(table.items()))


MNEMONICS: dict[str, Callable[..., int]] = _collect()


@cache
def encoded(builder: Callable[..., int], *operands) -> int:
    """builder(*operands), encoded once per distinct operands: for the words
    the code generator emits over and over alike (the zero-offset words of
    label uses, `b #0` or `cbz x19, #0`, whose field the buffer patches;
    the call sequences' `blr x16`; register moves).  Registers are
    interned and the other operands are plain constants, so no entry can
    go stale, and there are few of them."""
    return builder(*operands)


__all__ = [fn.__name__ for fn in MNEMONICS.values()] + sorted(_NOT_MNEMONICS) + [
    "MNEMONICS", "EncodingError", "encoded"]
