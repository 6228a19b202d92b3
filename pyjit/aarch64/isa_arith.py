"""Integer arithmetic: add/sub, logical, shifts, multiply/divide, carry,
conditional select and conditional compare.

Every builder takes registers (`Reg`), ints and the structured operands of
`operands.py`, picks the encoding an assembler would pick, and returns the
32-bit instruction word.  Operand size comes from the first register (x:
64-bit, w: 32-bit); the other registers must match it.  In messages the
register form of a second operand is called "rm".
"""

from __future__ import annotations

from .encoding import (
    enc_add_sub_carry, enc_add_sub_ext, enc_add_sub_imm, enc_add_sub_shifted,
    enc_bitfield, enc_cond_compare, enc_cond_select, enc_dp_2src, enc_dp_3src,
    enc_extract, enc_logical_imm, enc_logical_shifted,
)
from .immediates import Imm12, ImmLogic
from .isa_common import (
    SF, SP_SLOT, WIDTH, ZR, ZR_SLOT, bad_operand, check_uint, cond_code, reject_regs,
)
from .operands import EncodingError, Extended, Shifted
from .registers import XZR, Reg

SHIFT_CODES = {"lsl": 0b00, "lsr": 0b01, "asr": 0b10, "ror": 0b11}
EXTEND_CODES = {"uxtb": 0b000, "uxth": 0b001, "uxtw": 0b010, "uxtx": 0b011,
                "sxtb": 0b100, "sxth": 0b101, "sxtw": 0b110, "sxtx": 0b111}

_IMM12_RANGE = "0..4095, or a multiple of 4096 up to 16773120 (lsl #12), or the negation of either"


def _shift_amount(name: str, sh: Shifted, width: int) -> int:
    amount = sh.amount
    if type(amount) is int and 0 <= amount < width:
        return amount
    raise EncodingError(f"{name}: shift amount {amount!r} out of range: allowed 0..{width - 1}")


# --- add / sub -------------------------------------------------------------------
# Forms, by the type of the second operand.  (op, S): add 0 0, adds 0 1,
# sub 1 0, subs 1 1.

def _add_sub_imm(name: str, op: int, s: int, rd: Reg, rn: Reg, imm: int) -> int:
    kind = rd.kind
    sf = SF.get(kind)
    # Register 31 is sp in rn, and in rd unless the flags are set.
    if (sf is None or rn.kind != kind or (rn.num == 31 and not rn.sp)
            or (rd.sp if s else rd.num == 31 and not rd.sp)):
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT if s else SP_SLOT),
                    ("rn", rn, kind, SP_SLOT))
    if 0 <= imm < 0x1000:
        return enc_add_sub_imm(sf, op, s, 0, imm, rn.num, rd.num)
    bits = Imm12.field(imm)
    if bits is None:
        # Like llvm-mc: a negative immediate flips add <-> sub.
        bits = Imm12.field(-imm)
        if bits is None:
            raise EncodingError(f"{name}: immediate {imm} does not fit: allowed {_IMM12_RANGE}")
        op ^= 1
    return enc_add_sub_imm(sf, op, s, bits >> 12, bits & 0xFFF, rn.num, rd.num)


def _add_sub_ext_form(name: str, op: int, s: int, rd: Reg, rn: Reg, rm: Reg, option: int,
                      amount: int) -> int:
    kind = rd.kind
    sf = SF.get(kind)
    # A 64-bit operation extends a w register, except for uxtx/sxtx.
    rm_kind = "x" if sf and option & 0b011 == 0b011 else "w"
    if (sf is None or rn.kind != kind or (rn.num == 31 and not rn.sp)
            or (rd.sp if s else rd.num == 31 and not rd.sp)
            or rm.kind != rm_kind or rm.sp):
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT if s else SP_SLOT),
                    ("rn", rn, kind, SP_SLOT), ("rm", rm, rm_kind, ZR_SLOT))
    if type(amount) is not int or not 0 <= amount <= 4:
        raise EncodingError(f"{name}: extend shift {amount!r} out of range: allowed 0..4")
    return enc_add_sub_ext(sf, op, s, rm.num, option, amount, rn.num, rd.num)


def _add_sub_reg(name: str, op: int, s: int, rd: Reg, rn: Reg, rm: Reg) -> int:
    kind = rd.kind
    if rd.sp or rn.sp:
        # The shifted-register form has no sp: use the extended form with
        # uxtx (uxtw for 32-bit) #0, as assemblers do.
        return _add_sub_ext_form(name, op, s, rd, rn, rm, 0b011 if kind == "x" else 0b010, 0)
    sf = SF.get(kind)
    if sf is None or rn.kind != kind or rm.kind != kind or rm.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT),
                    ("rm", rm, kind, ZR_SLOT))
    return enc_add_sub_shifted(sf, op, s, 0, rm.num, 0, rn.num, rd.num)


def _add_sub_shifted(name: str, op: int, s: int, rd: Reg, rn: Reg, sh: Shifted) -> int:
    kind = rd.kind
    if rd.sp or rn.sp:
        if sh.op == "lsl" and type(sh.amount) is int and 0 <= sh.amount <= 4:
            return _add_sub_ext_form(name, op, s, rd, rn, sh.reg,
                                     0b011 if kind == "x" else 0b010, sh.amount)
        raise EncodingError(f"{name}: with sp as rd or rn the shift must be lsl #0..4, "
                            f"got {sh.op} #{sh.amount}")
    sf = SF.get(kind)
    rm = sh.reg
    if sf is None or rn.kind != kind or rm.kind != kind or rm.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT),
                    ("rm", rm, kind, ZR_SLOT))
    shift = SHIFT_CODES[sh.op]
    if shift == 0b11:
        raise EncodingError(f"{name}: shift ror not allowed: allowed lsl, lsr, asr")
    return enc_add_sub_shifted(sf, op, s, shift, rm.num, _shift_amount(name, sh, WIDTH[kind]),
                               rn.num, rd.num)


def _add_sub_extended(name: str, op: int, s: int, rd: Reg, rn: Reg, ext: Extended) -> int:
    if ext.op == "lsl":
        # "lsl" names uxtx/uxtw only when sp is involved; otherwise
        # `x2, lsl #n` is the shifted-register form (use Shifted).
        if not (rd.sp or rn.sp):
            raise EncodingError(f"{name}: extend lsl needs sp as rd or rn: allowed "
                                f"{', '.join(EXTEND_CODES)} (use Shifted for lsl)")
        option = 0b011 if rd.kind == "x" else 0b010
    else:
        option = EXTEND_CODES[ext.op]
    return _add_sub_ext_form(name, op, s, rd, rn, ext.reg, option, ext.amount)


def _bad_add_sub_op2(name: str, op: int, s: int, rd: Reg, rn: Reg, op2: object) -> int:
    bad_operand(name, "op2", op2, "an int, Reg, Shifted or Extended")


_ADD_SUB_FORMS = {int: _add_sub_imm, Reg: _add_sub_reg, Shifted: _add_sub_shifted,
                  Extended: _add_sub_extended}


def add(rd: Reg, rn: Reg, op2) -> int:
    """add rd, rn, op2 (op2: int, Reg, Shifted or Extended; a negative
    immediate encodes as sub, sp in rd/rn selects the extended form)."""
    return _ADD_SUB_FORMS.get(type(op2), _bad_add_sub_op2)("add", 0, 0, rd, rn, op2)


def adds(rd: Reg, rn: Reg, op2) -> int:
    """adds rd, rn, op2 (as `add`, setting flags; rd cannot be sp)."""
    return _ADD_SUB_FORMS.get(type(op2), _bad_add_sub_op2)("adds", 0, 1, rd, rn, op2)


def sub(rd: Reg, rn: Reg, op2) -> int:
    """sub rd, rn, op2 (as `add`)."""
    return _ADD_SUB_FORMS.get(type(op2), _bad_add_sub_op2)("sub", 1, 0, rd, rn, op2)


def subs(rd: Reg, rn: Reg, op2) -> int:
    """subs rd, rn, op2 (as `add`, setting flags; rd cannot be sp)."""
    return _ADD_SUB_FORMS.get(type(op2), _bad_add_sub_op2)("subs", 1, 1, rd, rn, op2)


def cmp(rn: Reg, op2) -> int:
    """cmp rn, op2 = subs zr, rn, op2."""
    zr = ZR.get(getattr(rn, "kind", None), XZR)
    return _ADD_SUB_FORMS.get(type(op2), _bad_add_sub_op2)("cmp", 1, 1, zr, rn, op2)


def cmn(rn: Reg, op2) -> int:
    """cmn rn, op2 = adds zr, rn, op2."""
    zr = ZR.get(getattr(rn, "kind", None), XZR)
    return _ADD_SUB_FORMS.get(type(op2), _bad_add_sub_op2)("cmn", 0, 1, zr, rn, op2)


def _neg(name: str, s: int, rd: Reg, op2) -> int:
    if type(op2) is not Reg and type(op2) is not Shifted:
        bad_operand(name, "op2", op2, "a Reg or Shifted")
    if getattr(rd, "sp", False):
        raise EncodingError(f"{name}: rd cannot be {rd}: register 31 is the zero register here")
    zr = ZR.get(getattr(rd, "kind", None), XZR)
    return _ADD_SUB_FORMS[type(op2)](name, 1, s, rd, zr, op2)


def neg(rd: Reg, op2) -> int:
    """neg rd, op2 = sub rd, zr, op2 (op2 Reg or Shifted)."""
    return _neg("neg", 0, rd, op2)


def negs(rd: Reg, op2) -> int:
    """negs rd, op2 = subs rd, zr, op2 (op2 Reg or Shifted)."""
    return _neg("negs", 1, rd, op2)


# --- add / sub with carry ----------------------------------------------------------

_CARRY = {"adc": (0, 0), "adcs": (0, 1), "sbc": (1, 0), "sbcs": (1, 1)}


def _carry(name: str, mnemonic: str, rd: Reg, rn: Reg, rm: Reg) -> int:
    op, s = _CARRY[mnemonic]
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None or rd.sp or rn.kind != kind or rn.sp or rm.kind != kind or rm.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT),
                    ("rm", rm, kind, ZR_SLOT))
    return enc_add_sub_carry(sf, op, s, rm.num, rn.num, rd.num)


def adc(rd: Reg, rn: Reg, rm: Reg) -> int:
    """adc rd, rn, rm: rd = rn + rm + C."""
    return _carry("adc", "adc", rd, rn, rm)


def adcs(rd: Reg, rn: Reg, rm: Reg) -> int:
    return _carry("adcs", "adcs", rd, rn, rm)


def sbc(rd: Reg, rn: Reg, rm: Reg) -> int:
    """sbc rd, rn, rm: rd = rn - rm - !C."""
    return _carry("sbc", "sbc", rd, rn, rm)


def sbcs(rd: Reg, rn: Reg, rm: Reg) -> int:
    return _carry("sbcs", "sbcs", rd, rn, rm)


def ngc(rd: Reg, rm: Reg) -> int:
    """ngc rd, rm = sbc rd, zr, rm."""
    return _carry("ngc", "sbc", rd, ZR.get(getattr(rd, "kind", None), XZR), rm)


def ngcs(rd: Reg, rm: Reg) -> int:
    """ngcs rd, rm = sbcs rd, zr, rm."""
    return _carry("ngcs", "sbcs", rd, ZR.get(getattr(rd, "kind", None), XZR), rm)


# --- logical -------------------------------------------------------------------------
# (opc, N) per mnemonic; N=1 inverts the register operand.

_LOGICAL = {"and": (0b00, 0), "bic": (0b00, 1), "orr": (0b01, 0), "orn": (0b01, 1),
            "eor": (0b10, 0), "eon": (0b10, 1), "ands": (0b11, 0), "bics": (0b11, 1)}


def _logical_imm(name: str, opc: int, n: int, rd: Reg, rn: Reg, imm: int) -> int:
    kind = rd.kind
    sf = SF.get(kind)
    # rd is sp-capable except for ands (flags), rn is always the zero register.
    if (sf is None or rn.kind != kind or rn.sp
            or (rd.sp if opc == 0b11 else rd.num == 31 and not rd.sp)):
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT if opc == 0b11 else SP_SLOT),
                    ("rn", rn, kind, ZR_SLOT))
    width = WIDTH[kind]
    if not -(1 << width - 1) <= imm < 1 << width:
        raise EncodingError(f"{name}: immediate {imm:#x} out of range: allowed "
                            f"{-(1 << width - 1)}..{(1 << width) - 1}")
    bits = ImmLogic.field(imm, sf)
    if bits is None:
        raise EncodingError(
            f"{name}: immediate {imm:#x} is not a logical immediate: allowed a rotated run "
            f"of ones replicated in 2, 4, 8, 16, 32{', 64' if sf else ''}-bit elements "
            f"(not 0 or all ones)")
    return enc_logical_imm(sf, opc, bits >> 12, bits >> 6 & 0x3F, bits & 0x3F, rn.num, rd.num)


def _logical_reg(name: str, opc: int, n: int, rd: Reg, rn: Reg, rm: Reg) -> int:
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None or rd.sp or rn.kind != kind or rn.sp or rm.kind != kind or rm.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT),
                    ("rm", rm, kind, ZR_SLOT))
    return enc_logical_shifted(sf, opc, 0, n, rm.num, 0, rn.num, rd.num)


def _logical_shifted(name: str, opc: int, n: int, rd: Reg, rn: Reg, sh: Shifted) -> int:
    kind = rd.kind
    sf = SF.get(kind)
    rm = sh.reg
    if sf is None or rd.sp or rn.kind != kind or rn.sp or rm.kind != kind or rm.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT),
                    ("rm", rm, kind, ZR_SLOT))
    return enc_logical_shifted(sf, opc, SHIFT_CODES[sh.op], n, rm.num,
                               _shift_amount(name, sh, WIDTH[kind]), rn.num, rd.num)


def _bad_logical_op2(name: str, opc: int, n: int, rd: Reg, rn: Reg, op2: object) -> int:
    bad_operand(name, "op2", op2,
                "a Reg or Shifted" if n else "an int (logical immediate), Reg or Shifted")


_LOGICAL_FORMS = {int: _logical_imm, Reg: _logical_reg, Shifted: _logical_shifted}
_LOGICAL_REG_FORMS = {Reg: _logical_reg, Shifted: _logical_shifted}


def and_(rd: Reg, rn: Reg, op2) -> int:
    """and rd, rn, op2 (op2: logical immediate int, Reg or Shifted)."""
    return _LOGICAL_FORMS.get(type(op2), _bad_logical_op2)("and", 0b00, 0, rd, rn, op2)


def orr(rd: Reg, rn: Reg, op2) -> int:
    """orr rd, rn, op2 (op2: logical immediate int, Reg or Shifted)."""
    return _LOGICAL_FORMS.get(type(op2), _bad_logical_op2)("orr", 0b01, 0, rd, rn, op2)


def eor(rd: Reg, rn: Reg, op2) -> int:
    """eor rd, rn, op2 (op2: logical immediate int, Reg or Shifted)."""
    return _LOGICAL_FORMS.get(type(op2), _bad_logical_op2)("eor", 0b10, 0, rd, rn, op2)


def ands(rd: Reg, rn: Reg, op2) -> int:
    """ands rd, rn, op2 (op2: logical immediate int, Reg or Shifted)."""
    return _LOGICAL_FORMS.get(type(op2), _bad_logical_op2)("ands", 0b11, 0, rd, rn, op2)


def bic(rd: Reg, rn: Reg, op2) -> int:
    """bic rd, rn, op2 (op2: Reg or Shifted)."""
    return _LOGICAL_REG_FORMS.get(type(op2), _bad_logical_op2)("bic", 0b00, 1, rd, rn, op2)


def bics(rd: Reg, rn: Reg, op2) -> int:
    """bics rd, rn, op2 (op2: Reg or Shifted)."""
    return _LOGICAL_REG_FORMS.get(type(op2), _bad_logical_op2)("bics", 0b11, 1, rd, rn, op2)


def orn(rd: Reg, rn: Reg, op2) -> int:
    """orn rd, rn, op2 (op2: Reg or Shifted)."""
    return _LOGICAL_REG_FORMS.get(type(op2), _bad_logical_op2)("orn", 0b01, 1, rd, rn, op2)


def eon(rd: Reg, rn: Reg, op2) -> int:
    """eon rd, rn, op2 (op2: Reg or Shifted)."""
    return _LOGICAL_REG_FORMS.get(type(op2), _bad_logical_op2)("eon", 0b10, 1, rd, rn, op2)


def tst(rn: Reg, op2) -> int:
    """tst rn, op2 = ands zr, rn, op2."""
    zr = ZR.get(getattr(rn, "kind", None), XZR)
    return _LOGICAL_FORMS.get(type(op2), _bad_logical_op2)("tst", 0b11, 0, zr, rn, op2)


def mvn(rd: Reg, op2) -> int:
    """mvn rd, op2 = orn rd, zr, op2 (op2: Reg or Shifted)."""
    zr = ZR.get(getattr(rd, "kind", None), XZR)
    return _LOGICAL_REG_FORMS.get(type(op2), _bad_logical_op2)("mvn", 0b01, 1, rd, zr, op2)


# --- shifts ----------------------------------------------------------------------------
# Immediate shifts are aliases of ubfm/sbfm/extr; register shifts are the
# "variable" data-processing (2 source) instructions.

_DP2_OPCODES = {"udiv": 0b000010, "sdiv": 0b000011, "lslv": 0b001000, "lsrv": 0b001001,
                "asrv": 0b001010, "rorv": 0b001011}
_SHIFT_VARIABLE = {"lsl": "lslv", "lsr": "lsrv", "asr": "asrv", "ror": "rorv"}


def _dp2(name: str, rd: Reg, rn: Reg, rm: Reg) -> int:
    opcode = _DP2_OPCODES[_SHIFT_VARIABLE.get(name, name)]
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None or rd.sp or rn.kind != kind or rn.sp or rm.kind != kind or rm.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT),
                    ("rm", rm, kind, ZR_SLOT))
    return enc_dp_2src(sf, rm.num, opcode, rn.num, rd.num)


def _shift(name: str, rd: Reg, rn: Reg, amount) -> int:
    if type(amount) is not int:
        if type(amount) is Reg:
            return _dp2(name, rd, rn, amount)
        bad_operand(name, "shift", amount, "an int or a Reg")
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None or rd.sp or rn.kind != kind or rn.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT))
    width = WIDTH[kind]
    if not 0 <= amount < width:
        raise EncodingError(f"{name}: shift amount {amount} out of range: allowed 0..{width - 1}")
    if name == "lsl":
        return enc_bitfield(sf, 0b10, sf, -amount % width, width - 1 - amount, rn.num, rd.num)
    if name == "ror":
        return enc_extract(sf, rn.num, amount, rn.num, rd.num)
    # lsr (ubfm) / asr (sbfm) #amount = xbfm rd, rn, #amount, #width-1
    return enc_bitfield(sf, 0b10 if name == "lsr" else 0b00, sf, amount, width - 1,
                        rn.num, rd.num)


def lsl(rd: Reg, rn: Reg, op) -> int:
    """lsl rd, rn, #op (ubfm) or lsl rd, rn, rm (lslv)."""
    return _shift("lsl", rd, rn, op)


def lsr(rd: Reg, rn: Reg, op) -> int:
    """lsr rd, rn, #op (ubfm) or lsr rd, rn, rm (lsrv)."""
    return _shift("lsr", rd, rn, op)


def asr(rd: Reg, rn: Reg, op) -> int:
    """asr rd, rn, #op (sbfm) or asr rd, rn, rm (asrv)."""
    return _shift("asr", rd, rn, op)


def ror(rd: Reg, rn: Reg, op) -> int:
    """ror rd, rn, #op (extr rd, rn, rn) or ror rd, rn, rm (rorv)."""
    return _shift("ror", rd, rn, op)


def lslv(rd: Reg, rn: Reg, rm: Reg) -> int:
    return _dp2("lslv", rd, rn, rm)


def lsrv(rd: Reg, rn: Reg, rm: Reg) -> int:
    return _dp2("lsrv", rd, rn, rm)


def asrv(rd: Reg, rn: Reg, rm: Reg) -> int:
    return _dp2("asrv", rd, rn, rm)


def rorv(rd: Reg, rn: Reg, rm: Reg) -> int:
    return _dp2("rorv", rd, rn, rm)


def sdiv(rd: Reg, rn: Reg, rm: Reg) -> int:
    return _dp2("sdiv", rd, rn, rm)


def udiv(rd: Reg, rn: Reg, rm: Reg) -> int:
    return _dp2("udiv", rd, rn, rm)


# --- multiply ------------------------------------------------------------------------------
# (op31, o0, long) per mnemonic; long forms take w sources and x rd/ra.

_MUL = {"madd": (0b000, 0, False), "msub": (0b000, 1, False),
        "smaddl": (0b001, 0, True), "smsubl": (0b001, 1, True),
        "umaddl": (0b101, 0, True), "umsubl": (0b101, 1, True),
        "smulh": (0b010, 0, None), "umulh": (0b110, 0, None)}


def _mul(name: str, mnemonic: str, rd: Reg, rn: Reg, rm: Reg, ra: Reg) -> int:
    op31, o0, long = _MUL[mnemonic]
    kind = rd.kind
    if long is False:  # madd/msub: one size throughout
        sf, src, rd_kinds = SF.get(kind), kind, "xw"
    else:  # the long and high multiplies have a 64-bit result only
        sf, src, rd_kinds = (1 if kind == "x" else None), ("w" if long else "x"), "x"
    if (sf is None or rd.sp or rn.kind != src or rn.sp or rm.kind != src or rm.sp
            or ra.kind != kind or ra.sp):
        reject_regs(name, ("rd", rd, rd_kinds, ZR_SLOT), ("rn", rn, src, ZR_SLOT),
                    ("rm", rm, src, ZR_SLOT), ("ra", ra, kind, ZR_SLOT))
    return enc_dp_3src(sf, 0b00, op31, rm.num, o0, ra.num, rn.num, rd.num)


def madd(rd: Reg, rn: Reg, rm: Reg, ra: Reg) -> int:
    """madd rd, rn, rm, ra: rd = ra + rn*rm."""
    return _mul("madd", "madd", rd, rn, rm, ra)


def msub(rd: Reg, rn: Reg, rm: Reg, ra: Reg) -> int:
    """msub rd, rn, rm, ra: rd = ra - rn*rm."""
    return _mul("msub", "msub", rd, rn, rm, ra)


def mul(rd: Reg, rn: Reg, rm: Reg) -> int:
    """mul rd, rn, rm = madd rd, rn, rm, zr."""
    return _mul("mul", "madd", rd, rn, rm, ZR.get(getattr(rd, "kind", None), XZR))


def mneg(rd: Reg, rn: Reg, rm: Reg) -> int:
    """mneg rd, rn, rm = msub rd, rn, rm, zr."""
    return _mul("mneg", "msub", rd, rn, rm, ZR.get(getattr(rd, "kind", None), XZR))


def smaddl(xd: Reg, wn: Reg, wm: Reg, xa: Reg) -> int:
    return _mul("smaddl", "smaddl", xd, wn, wm, xa)


def smsubl(xd: Reg, wn: Reg, wm: Reg, xa: Reg) -> int:
    return _mul("smsubl", "smsubl", xd, wn, wm, xa)


def umaddl(xd: Reg, wn: Reg, wm: Reg, xa: Reg) -> int:
    return _mul("umaddl", "umaddl", xd, wn, wm, xa)


def umsubl(xd: Reg, wn: Reg, wm: Reg, xa: Reg) -> int:
    return _mul("umsubl", "umsubl", xd, wn, wm, xa)


def smull(xd: Reg, wn: Reg, wm: Reg) -> int:
    """smull xd, wn, wm = smaddl xd, wn, wm, xzr."""
    return _mul("smull", "smaddl", xd, wn, wm, XZR)


def umull(xd: Reg, wn: Reg, wm: Reg) -> int:
    """umull xd, wn, wm = umaddl xd, wn, wm, xzr."""
    return _mul("umull", "umaddl", xd, wn, wm, XZR)


def smnegl(xd: Reg, wn: Reg, wm: Reg) -> int:
    """smnegl xd, wn, wm = smsubl xd, wn, wm, xzr."""
    return _mul("smnegl", "smsubl", xd, wn, wm, XZR)


def umnegl(xd: Reg, wn: Reg, wm: Reg) -> int:
    """umnegl xd, wn, wm = umsubl xd, wn, wm, xzr."""
    return _mul("umnegl", "umsubl", xd, wn, wm, XZR)


def smulh(xd: Reg, xn: Reg, xm: Reg) -> int:
    """smulh xd, xn, xm: high 64 bits of the signed 128-bit product."""
    return _mul("smulh", "smulh", xd, xn, xm, XZR)


def umulh(xd: Reg, xn: Reg, xm: Reg) -> int:
    """umulh xd, xn, xm: high 64 bits of the unsigned 128-bit product."""
    return _mul("umulh", "umulh", xd, xn, xm, XZR)


# --- conditional select ------------------------------------------------------------------
# (op, op2) per mnemonic.

_CSEL = {"csel": (0, 0b00), "csinc": (0, 0b01), "csinv": (1, 0b00), "csneg": (1, 0b01)}


def _csel(name: str, mnemonic: str, rd: Reg, rn: Reg, rm: Reg, cond: int) -> int:
    op, op2 = _CSEL[mnemonic]
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None or rd.sp or rn.kind != kind or rn.sp or rm.kind != kind or rm.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT),
                    ("rm", rm, kind, ZR_SLOT))
    return enc_cond_select(sf, op, 0, rm.num, cond, op2, rn.num, rd.num)


def csel(rd: Reg, rn: Reg, rm: Reg, cond) -> int:
    """csel rd, rn, rm, cond: rd = cond ? rn : rm."""
    return _csel("csel", "csel", rd, rn, rm, cond_code("csel", cond))


def csinc(rd: Reg, rn: Reg, rm: Reg, cond) -> int:
    """csinc rd, rn, rm, cond: rd = cond ? rn : rm + 1."""
    return _csel("csinc", "csinc", rd, rn, rm, cond_code("csinc", cond))


def csinv(rd: Reg, rn: Reg, rm: Reg, cond) -> int:
    """csinv rd, rn, rm, cond: rd = cond ? rn : ~rm."""
    return _csel("csinv", "csinv", rd, rn, rm, cond_code("csinv", cond))


def csneg(rd: Reg, rn: Reg, rm: Reg, cond) -> int:
    """csneg rd, rn, rm, cond: rd = cond ? rn : -rm."""
    return _csel("csneg", "csneg", rd, rn, rm, cond_code("csneg", cond))


# The aliases below test the inverted condition, so al/nv are refused.

def cset(rd: Reg, cond) -> int:
    """cset rd, cond = csinc rd, zr, zr, !cond (rd = cond ? 1 : 0)."""
    zr = ZR.get(getattr(rd, "kind", None), XZR)
    return _csel("cset", "csinc", rd, zr, zr, cond_code("cset", cond, False) ^ 1)


def csetm(rd: Reg, cond) -> int:
    """csetm rd, cond = csinv rd, zr, zr, !cond (rd = cond ? -1 : 0)."""
    zr = ZR.get(getattr(rd, "kind", None), XZR)
    return _csel("csetm", "csinv", rd, zr, zr, cond_code("csetm", cond, False) ^ 1)


def cinc(rd: Reg, rn: Reg, cond) -> int:
    """cinc rd, rn, cond = csinc rd, rn, rn, !cond."""
    return _csel("cinc", "csinc", rd, rn, rn, cond_code("cinc", cond, False) ^ 1)


def cinv(rd: Reg, rn: Reg, cond) -> int:
    """cinv rd, rn, cond = csinv rd, rn, rn, !cond."""
    return _csel("cinv", "csinv", rd, rn, rn, cond_code("cinv", cond, False) ^ 1)


def cneg(rd: Reg, rn: Reg, cond) -> int:
    """cneg rd, rn, cond = csneg rd, rn, rn, !cond."""
    return _csel("cneg", "csneg", rd, rn, rn, cond_code("cneg", cond, False) ^ 1)


# --- conditional compare -------------------------------------------------------------------

def _ccmp(name: str, op: int, rn: Reg, rm_or_imm, nzcv: int, cond) -> int:
    kind = rn.kind
    sf = SF.get(kind)
    code = cond_code(name, cond)
    check_uint(name, "nzcv", nzcv, 15)
    if type(rm_or_imm) is int:
        if sf is None or rn.sp:
            reject_regs(name, ("rn", rn, "xw", ZR_SLOT))
        check_uint(name, "immediate", rm_or_imm, 31)
        return enc_cond_compare(sf, op, 1, rm_or_imm, code, rn.num, nzcv)
    rm = rm_or_imm
    if type(rm) is not Reg:
        bad_operand(name, "op", rm, "a Reg or an int 0..31")
    if sf is None or rn.sp or rm.kind != kind or rm.sp:
        reject_regs(name, ("rn", rn, "xw", ZR_SLOT), ("rm", rm, kind, ZR_SLOT))
    return enc_cond_compare(sf, op, 0, rm.num, code, rn.num, nzcv)


def ccmp(rn: Reg, op, nzcv: int, cond) -> int:
    """ccmp rn, op, #nzcv, cond: flags = cond ? cmp(rn, op) : nzcv
    (op a Reg or an int 0..31)."""
    return _ccmp("ccmp", 1, rn, op, nzcv, cond)


def ccmn(rn: Reg, op, nzcv: int, cond) -> int:
    """ccmn rn, op, #nzcv, cond: flags = cond ? cmn(rn, op) : nzcv."""
    return _ccmp("ccmn", 0, rn, op, nzcv, cond)
