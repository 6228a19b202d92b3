"""Scalar double-precision floating point (d registers).

All arithmetic is on doubles (ftype 01); conversions move between d
registers and x/w general registers.
"""

from __future__ import annotations

import math

from .encoding import (
    enc_fp_compare, enc_fp_cond_select, enc_fp_dp1, enc_fp_dp2, enc_fp_dp3, enc_fp_imm,
    enc_fp_int_conv,
)
from .immediates import FpImm8
from .isa_common import SF, ZR_SLOT, bad_operand, cond_code, reject_regs
from .operands import EncodingError
from .registers import Reg

_DOUBLE = 0b01

# --- arithmetic -------------------------------------------------------------------------

_FP_DP2 = {"fmul": 0b0000, "fdiv": 0b0001, "fadd": 0b0010, "fsub": 0b0011,
           "fmax": 0b0100, "fmin": 0b0101, "fmaxnm": 0b0110, "fminnm": 0b0111,
           "fnmul": 0b1000}


def _dp2(name: str, dd: Reg, dn: Reg, dm: Reg) -> int:
    if dd.kind != "d" or dn.kind != "d" or dm.kind != "d":
        reject_regs(name, ("dd", dd, "d", ZR_SLOT), ("dn", dn, "d", ZR_SLOT),
                    ("dm", dm, "d", ZR_SLOT))
    return enc_fp_dp2(_DOUBLE, dm.num, _FP_DP2[name], dn.num, dd.num)


def fadd(dd: Reg, dn: Reg, dm: Reg) -> int:
    return _dp2("fadd", dd, dn, dm)


def fsub(dd: Reg, dn: Reg, dm: Reg) -> int:
    return _dp2("fsub", dd, dn, dm)


def fmul(dd: Reg, dn: Reg, dm: Reg) -> int:
    return _dp2("fmul", dd, dn, dm)


def fdiv(dd: Reg, dn: Reg, dm: Reg) -> int:
    return _dp2("fdiv", dd, dn, dm)


def fmax(dd: Reg, dn: Reg, dm: Reg) -> int:
    """fmax dd, dn, dm (NaN if either operand is NaN)."""
    return _dp2("fmax", dd, dn, dm)


def fmin(dd: Reg, dn: Reg, dm: Reg) -> int:
    """fmin dd, dn, dm (NaN if either operand is NaN)."""
    return _dp2("fmin", dd, dn, dm)


def fmaxnm(dd: Reg, dn: Reg, dm: Reg) -> int:
    """fmaxnm dd, dn, dm (a quiet NaN operand loses to a number)."""
    return _dp2("fmaxnm", dd, dn, dm)


def fminnm(dd: Reg, dn: Reg, dm: Reg) -> int:
    """fminnm dd, dn, dm (a quiet NaN operand loses to a number)."""
    return _dp2("fminnm", dd, dn, dm)


def fnmul(dd: Reg, dn: Reg, dm: Reg) -> int:
    """fnmul dd, dn, dm: dd = -(dn * dm)."""
    return _dp2("fnmul", dd, dn, dm)


_FP_DP1 = {"fmov": 0b000000, "fabs": 0b000001, "fneg": 0b000010, "fsqrt": 0b000011,
           "frintn": 0b001000, "frintp": 0b001001, "frintm": 0b001010, "frintz": 0b001011,
           "frinta": 0b001100, "frintx": 0b001110, "frinti": 0b001111}


def _dp1(name: str, dd: Reg, dn: Reg) -> int:
    if dd.kind != "d" or dn.kind != "d":
        reject_regs(name, ("dd", dd, "d", ZR_SLOT), ("dn", dn, "d", ZR_SLOT))
    return enc_fp_dp1(_DOUBLE, _FP_DP1[name], dn.num, dd.num)


def fneg(dd: Reg, dn: Reg) -> int:
    return _dp1("fneg", dd, dn)


def fabs(dd: Reg, dn: Reg) -> int:
    return _dp1("fabs", dd, dn)


def fsqrt(dd: Reg, dn: Reg) -> int:
    return _dp1("fsqrt", dd, dn)


def frintn(dd: Reg, dn: Reg) -> int:
    """frintn: round to nearest, ties to even."""
    return _dp1("frintn", dd, dn)


def frintp(dd: Reg, dn: Reg) -> int:
    """frintp: round toward +infinity (ceil)."""
    return _dp1("frintp", dd, dn)


def frintm(dd: Reg, dn: Reg) -> int:
    """frintm: round toward -infinity (floor)."""
    return _dp1("frintm", dd, dn)


def frintz(dd: Reg, dn: Reg) -> int:
    """frintz: round toward zero (trunc)."""
    return _dp1("frintz", dd, dn)


def frinta(dd: Reg, dn: Reg) -> int:
    """frinta: round to nearest, ties away from zero."""
    return _dp1("frinta", dd, dn)


def frintx(dd: Reg, dn: Reg) -> int:
    """frintx: round with the FPCR mode, signalling inexact."""
    return _dp1("frintx", dd, dn)


def frinti(dd: Reg, dn: Reg) -> int:
    """frinti: round with the FPCR mode."""
    return _dp1("frinti", dd, dn)


# (o1, o0) per mnemonic.
_FP_DP3 = {"fmadd": (0, 0), "fmsub": (0, 1), "fnmadd": (1, 0), "fnmsub": (1, 1)}


def _dp3(name: str, dd: Reg, dn: Reg, dm: Reg, da: Reg) -> int:
    if dd.kind != "d" or dn.kind != "d" or dm.kind != "d" or da.kind != "d":
        reject_regs(name, ("dd", dd, "d", ZR_SLOT), ("dn", dn, "d", ZR_SLOT),
                    ("dm", dm, "d", ZR_SLOT), ("da", da, "d", ZR_SLOT))
    o1, o0 = _FP_DP3[name]
    return enc_fp_dp3(_DOUBLE, o1, dm.num, o0, da.num, dn.num, dd.num)


def fmadd(dd: Reg, dn: Reg, dm: Reg, da: Reg) -> int:
    """fmadd dd, dn, dm, da: dd = da + dn*dm (fused)."""
    return _dp3("fmadd", dd, dn, dm, da)


def fmsub(dd: Reg, dn: Reg, dm: Reg, da: Reg) -> int:
    """fmsub dd, dn, dm, da: dd = da - dn*dm (fused)."""
    return _dp3("fmsub", dd, dn, dm, da)


def fnmadd(dd: Reg, dn: Reg, dm: Reg, da: Reg) -> int:
    """fnmadd dd, dn, dm, da: dd = -da - dn*dm (fused)."""
    return _dp3("fnmadd", dd, dn, dm, da)


def fnmsub(dd: Reg, dn: Reg, dm: Reg, da: Reg) -> int:
    """fnmsub dd, dn, dm, da: dd = -da + dn*dm (fused)."""
    return _dp3("fnmsub", dd, dn, dm, da)


# --- compare and select -----------------------------------------------------------------

def _is_plus_zero(value: object) -> bool:
    return (type(value) is float or type(value) is int) and value == 0 and \
        math.copysign(1.0, value) > 0


def _fcmp(name: str, signal: int, dn: Reg, dm) -> int:
    if getattr(dn, "kind", None) != "d":
        reject_regs(name, ("dn", dn, "d", ZR_SLOT))
    if type(dm) is Reg:
        if dm.kind != "d":
            reject_regs(name, ("dm", dm, "d", ZR_SLOT))
        return enc_fp_compare(_DOUBLE, dm.num, dn.num, signal << 4)
    if _is_plus_zero(dm):
        return enc_fp_compare(_DOUBLE, 0, dn.num, signal << 4 | 0b01000)
    bad_operand(name, "dm", dm, "a d register or 0.0")


def fcmp(dn: Reg, dm) -> int:
    """fcmp dn, dm | #0.0: compare, quiet NaNs do not signal."""
    return _fcmp("fcmp", 0, dn, dm)


def fcmpe(dn: Reg, dm) -> int:
    """fcmpe dn, dm | #0.0: compare, any NaN signals Invalid Operation."""
    return _fcmp("fcmpe", 1, dn, dm)


def fcsel(dd: Reg, dn: Reg, dm: Reg, cond) -> int:
    """fcsel dd, dn, dm, cond: dd = cond ? dn : dm."""
    if dd.kind != "d" or dn.kind != "d" or dm.kind != "d":
        reject_regs("fcsel", ("dd", dd, "d", ZR_SLOT), ("dn", dn, "d", ZR_SLOT),
                    ("dm", dm, "d", ZR_SLOT))
    return enc_fp_cond_select(_DOUBLE, dm.num, cond_code("fcsel", cond), dn.num, dd.num)


# --- moves and conversions -----------------------------------------------------------------
# Integer <-> FP conversions: (rmode, opcode) per mnemonic.

_FP_TO_INT = {"fcvtns": (0b00, 0b000), "fcvtnu": (0b00, 0b001),
              "fcvtps": (0b01, 0b000), "fcvtpu": (0b01, 0b001),
              "fcvtms": (0b10, 0b000), "fcvtmu": (0b10, 0b001),
              "fcvtzs": (0b11, 0b000), "fcvtzu": (0b11, 0b001),
              "fcvtas": (0b00, 0b100), "fcvtau": (0b00, 0b101)}
_INT_TO_FP = {"scvtf": 0b010, "ucvtf": 0b011}
_FMOV_TO_GPR, _FMOV_FROM_GPR = 0b110, 0b111


def fmov(dst: Reg, src) -> int:
    """fmov dst, src: d <- d, x <- d (bits), d <- x (bits), or d <- a float
    immediate: one of +-(16..31)/16 * 2**(-3..4), or 0.0 (encoded as
    `fmov dd, xzr`, as llvm-mc does)."""
    dkind = getattr(dst, "kind", None)
    if type(src) is Reg:
        skind = src.kind
        if dkind == "d" and skind == "d":
            return enc_fp_dp1(_DOUBLE, _FP_DP1["fmov"], src.num, dst.num)
        if dkind == "x" and skind == "d" and not dst.sp:
            return enc_fp_int_conv(1, _DOUBLE, 0b00, _FMOV_TO_GPR, src.num, dst.num)
        if dkind == "d" and skind == "x" and not src.sp:
            return enc_fp_int_conv(1, _DOUBLE, 0b00, _FMOV_FROM_GPR, src.num, dst.num)
        raise EncodingError(f"fmov: cannot move {src} to {dst}: allowed d <- d, x <- d, "
                            f"d <- x, d <- float immediate")
    if type(src) is float or type(src) is int:
        if dkind != "d":
            reject_regs("fmov", ("dst", dst, "d", ZR_SLOT))
        if _is_plus_zero(src):
            return enc_fp_int_conv(1, _DOUBLE, 0b00, _FMOV_FROM_GPR, 31, dst.num)
        imm8 = FpImm8.field(float(src))
        if imm8 is None:
            raise EncodingError(f"fmov: immediate {src!r} does not fit: allowed "
                                f"+-n/16 * 2**e with n 16..31 and e -3..4 "
                                f"(0.125..31.0 in magnitude), or 0.0")
        return enc_fp_imm(_DOUBLE, imm8, dst.num)
    bad_operand("fmov", "src", src, "a Reg or a float")


def _to_int(name: str, rd: Reg, dn: Reg) -> int:
    sf = SF.get(getattr(rd, "kind", None))
    if sf is None or rd.sp or dn.kind != "d":
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("dn", dn, "d", ZR_SLOT))
    rmode, opcode = _FP_TO_INT[name]
    return enc_fp_int_conv(sf, _DOUBLE, rmode, opcode, dn.num, rd.num)


def _from_int(name: str, dd: Reg, rn: Reg) -> int:
    sf = SF.get(getattr(rn, "kind", None))
    if getattr(dd, "kind", None) != "d" or sf is None or rn.sp:
        reject_regs(name, ("dd", dd, "d", ZR_SLOT), ("rn", rn, "xw", ZR_SLOT))
    return enc_fp_int_conv(sf, _DOUBLE, 0b00, _INT_TO_FP[name], rn.num, dd.num)


def scvtf(dd: Reg, rn: Reg) -> int:
    """scvtf dd, rn: signed integer (w or x) to double."""
    return _from_int("scvtf", dd, rn)


def ucvtf(dd: Reg, rn: Reg) -> int:
    """ucvtf dd, rn: unsigned integer (w or x) to double."""
    return _from_int("ucvtf", dd, rn)


def fcvtzs(rd: Reg, dn: Reg) -> int:
    """fcvtzs rd, dn: double to signed integer, rounding toward zero."""
    return _to_int("fcvtzs", rd, dn)


def fcvtzu(rd: Reg, dn: Reg) -> int:
    """fcvtzu rd, dn: double to unsigned integer, rounding toward zero."""
    return _to_int("fcvtzu", rd, dn)


def fcvtms(rd: Reg, dn: Reg) -> int:
    """fcvtms rd, dn: double to signed integer, rounding toward -inf."""
    return _to_int("fcvtms", rd, dn)


def fcvtmu(rd: Reg, dn: Reg) -> int:
    return _to_int("fcvtmu", rd, dn)


def fcvtps(rd: Reg, dn: Reg) -> int:
    """fcvtps rd, dn: double to signed integer, rounding toward +inf."""
    return _to_int("fcvtps", rd, dn)


def fcvtpu(rd: Reg, dn: Reg) -> int:
    return _to_int("fcvtpu", rd, dn)


def fcvtns(rd: Reg, dn: Reg) -> int:
    """fcvtns rd, dn: double to signed integer, to nearest, ties to even."""
    return _to_int("fcvtns", rd, dn)


def fcvtnu(rd: Reg, dn: Reg) -> int:
    return _to_int("fcvtnu", rd, dn)


def fcvtas(rd: Reg, dn: Reg) -> int:
    """fcvtas rd, dn: double to signed integer, to nearest, ties away."""
    return _to_int("fcvtas", rd, dn)


def fcvtau(rd: Reg, dn: Reg) -> int:
    return _to_int("fcvtau", rd, dn)
