"""Moves, bitfield operations, extensions and bit manipulation.

`mov` with an immediate accepts exactly what llvm-mc's `mov` accepts (one
movz, movn or orr-with-logical-immediate instruction);
`mov_imm_sequence` materializes any constant with movz/movn + movk.
"""

from __future__ import annotations

from .encoding import (
    enc_add_sub_imm, enc_bitfield, enc_dp_1src, enc_extract, enc_logical_imm,
    enc_logical_shifted, enc_move_wide,
)
from .immediates import ImmLogic, MoveWide
from .isa_common import SF, SP_SLOT, WIDTH, ZR_SLOT, bad_operand, reject_regs
from .operands import EncodingError
from .registers import Reg

# --- move wide ----------------------------------------------------------------------

_MOVE_WIDE_OPC = {"movn": 0b00, "movz": 0b10, "movk": 0b11}


def _move_wide(name: str, rd: Reg, imm16: int, shift: int) -> int:
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None or rd.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT))
    if type(imm16) is not int or not 0 <= imm16 <= 0xFFFF:
        raise EncodingError(f"{name}: immediate {imm16!r} out of range: allowed 0..65535")
    if shift not in (0, 16, 32, 48) or shift > 16 and not sf:
        raise EncodingError(f"{name}: shift {shift!r} not allowed: allowed "
                            f"{'0, 16, 32, 48' if sf else '0, 16'}")
    return enc_move_wide(sf, _MOVE_WIDE_OPC[name], shift >> 4, imm16, rd.num)


def movz(rd: Reg, imm16: int, shift: int = 0) -> int:
    """movz rd, #imm16, lsl #shift: rd = imm16 << shift."""
    return _move_wide("movz", rd, imm16, shift)


def movn(rd: Reg, imm16: int, shift: int = 0) -> int:
    """movn rd, #imm16, lsl #shift: rd = ~(imm16 << shift)."""
    return _move_wide("movn", rd, imm16, shift)


def movk(rd: Reg, imm16: int, shift: int = 0) -> int:
    """movk rd, #imm16, lsl #shift: replace bits shift..shift+15 of rd."""
    return _move_wide("movk", rd, imm16, shift)


def _mov_imm(rd: Reg, value: int) -> int:
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None:
        reject_regs("mov", ("rd", rd, "xw", ZR_SLOT))
    width = WIDTH[kind]
    if not -(1 << width - 1) <= value < 1 << width:
        raise EncodingError(f"mov: immediate {value} out of range: allowed "
                            f"{-(1 << width - 1)}..{(1 << width) - 1}")
    mask = (1 << width) - 1
    value &= mask
    # Preference order of the assembler: movz, movn, orr.  Register 31 is
    # the zero register for movz/movn, so `mov sp, #imm` can only be orr.
    if not rd.sp:
        bits = MoveWide.field(value, sf)
        if bits is not None:
            return enc_move_wide(sf, 0b10, bits >> 16, bits & 0xFFFF, rd.num)
        bits = MoveWide.field(~value & mask, sf)
        if bits is not None:
            return enc_move_wide(sf, 0b00, bits >> 16, bits & 0xFFFF, rd.num)
    bits = ImmLogic.field(value, sf)
    if bits is not None:
        if rd.num == 31 and not rd.sp:  # orr's rd 31 is sp: xzr cannot be written
            raise EncodingError(f"mov: immediate {value:#x} needs orr, whose rd cannot be {rd}")
        return enc_logical_imm(sf, 0b01, bits >> 12, bits >> 6 & 0x3F, bits & 0x3F, 31, rd.num)
    raise EncodingError(
        f"mov: immediate {value:#x} does not fit one instruction: allowed a single "
        f"16-bit chunk (movz), its complement (movn) or a logical immediate (orr); "
        f"use mov_imm_sequence")


def mov(rd: Reg, src) -> int:
    """mov rd, src.

    src a Reg: `orr rd, zr, src`, or `add rd, src, #0` when either is sp.
    src an int: movz, else movn, else orr with a logical immediate (signed
    or unsigned view of the register width); EncodingError if none fits.
    """
    if type(src) is int:
        return _mov_imm(rd, src)
    if type(src) is not Reg:
        bad_operand("mov", "src", src, "a Reg or an int")
    kind = rd.kind
    sf = SF.get(kind)
    if rd.sp or src.sp:
        if (sf is None or src.kind != kind or (rd.num == 31 and not rd.sp)
                or (src.num == 31 and not src.sp)):
            reject_regs("mov", ("rd", rd, "xw", SP_SLOT), ("src", src, kind, SP_SLOT))
        return enc_add_sub_imm(sf, 0, 0, 0, 0, src.num, rd.num)
    if sf is None or src.kind != kind:
        reject_regs("mov", ("rd", rd, "xw", ZR_SLOT), ("src", src, kind, ZR_SLOT))
    return enc_logical_shifted(sf, 0b01, 0, 0, src.num, 0, 31, rd.num)


def mov_imm_sequence(rd: Reg, value: int) -> list[int]:
    """The shortest movz/movn + movk sequence that sets rd to `value`.

    value is any integer representable in rd's width, signed or unsigned
    (-2**63..2**64-1 for x, -2**31..2**32-1 for w).  movn is used when more
    16-bit chunks are all-ones than all-zeros; ties go to movz.  0 and -1
    take one instruction.
    """
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None or rd.sp:
        reject_regs("mov_imm_sequence", ("rd", rd, "xw", ZR_SLOT))
    width = WIDTH[kind]
    if type(value) is not int or not -(1 << width - 1) <= value < 1 << width:
        raise EncodingError(f"mov_imm_sequence: value {value!r} out of range: allowed "
                            f"{-(1 << width - 1)}..{(1 << width) - 1}")
    chunks = [value >> shift & 0xFFFF for shift in range(0, width, 16)]
    inverted = chunks.count(0xFFFF) > chunks.count(0)
    skip = 0xFFFF if inverted else 0  # chunks the first instruction already sets
    words = []
    for hw, chunk in enumerate(chunks):
        if chunk == skip:
            continue
        if not words:
            opc, imm16 = (0b00, chunk ^ 0xFFFF) if inverted else (0b10, chunk)
            words.append(enc_move_wide(sf, opc, hw, imm16, rd.num))
        else:
            words.append(enc_move_wide(sf, 0b11, hw, chunk, rd.num))
    if not words:  # every chunk equals `skip`: value is 0 or all ones
        words.append(enc_move_wide(sf, 0b00 if inverted else 0b10, 0, 0, rd.num))
    return words


# --- bitfield --------------------------------------------------------------------------

_BITFIELD_OPC = {"sbfm": 0b00, "bfm": 0b01, "ubfm": 0b10}


def _bitfield(name: str, opc: int, rd: Reg, rn: Reg, immr: int, imms: int) -> int:
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None or rd.sp or rn.kind != kind or rn.sp:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT))
    return enc_bitfield(sf, opc, sf, immr, imms, rn.num, rd.num)


def _field_range(name: str, rd: Reg, lsb: int, width: int) -> int:
    """The register width, after checking 0 <= lsb < it and
    1 <= width <= it - lsb."""
    size = WIDTH.get(getattr(rd, "kind", None))
    if size is None:
        reject_regs(name, ("rd", rd, "xw", ZR_SLOT))
    if type(lsb) is not int or not 0 <= lsb < size:
        raise EncodingError(f"{name}: lsb {lsb!r} out of range: allowed 0..{size - 1}")
    if type(width) is not int or not 1 <= width <= size - lsb:
        raise EncodingError(f"{name}: width {width!r} out of range: allowed 1..{size - lsb} "
                            f"for lsb {lsb}")
    return size


def sbfm(rd: Reg, rn: Reg, immr: int, imms: int) -> int:
    return _raw_bitfield("sbfm", rd, rn, immr, imms)


def bfm(rd: Reg, rn: Reg, immr: int, imms: int) -> int:
    return _raw_bitfield("bfm", rd, rn, immr, imms)


def ubfm(rd: Reg, rn: Reg, immr: int, imms: int) -> int:
    return _raw_bitfield("ubfm", rd, rn, immr, imms)


def _raw_bitfield(name: str, rd: Reg, rn: Reg, immr: int, imms: int) -> int:
    size = WIDTH.get(getattr(rd, "kind", None), 64)
    for what, value in (("immr", immr), ("imms", imms)):
        if type(value) is not int or not 0 <= value < size:
            raise EncodingError(f"{name}: {what} {value!r} out of range: allowed 0..{size - 1}")
    return _bitfield(name, _BITFIELD_OPC[name], rd, rn, immr, imms)


# Extract forms (xBFX, BFXIL): immr = lsb, imms = lsb + width - 1.
# Insert forms (xBFIZ, BFI): immr = -lsb mod size, imms = width - 1.

def ubfx(rd: Reg, rn: Reg, lsb: int, width: int) -> int:
    """ubfx rd, rn, #lsb, #width: rd = zero-extended rn[lsb+width-1:lsb]."""
    _field_range("ubfx", rd, lsb, width)
    return _bitfield("ubfx", 0b10, rd, rn, lsb, lsb + width - 1)


def sbfx(rd: Reg, rn: Reg, lsb: int, width: int) -> int:
    """sbfx rd, rn, #lsb, #width: rd = sign-extended rn[lsb+width-1:lsb]."""
    _field_range("sbfx", rd, lsb, width)
    return _bitfield("sbfx", 0b00, rd, rn, lsb, lsb + width - 1)


def bfxil(rd: Reg, rn: Reg, lsb: int, width: int) -> int:
    """bfxil rd, rn, #lsb, #width: rd[width-1:0] = rn[lsb+width-1:lsb]."""
    _field_range("bfxil", rd, lsb, width)
    return _bitfield("bfxil", 0b01, rd, rn, lsb, lsb + width - 1)


def ubfiz(rd: Reg, rn: Reg, lsb: int, width: int) -> int:
    """ubfiz rd, rn, #lsb, #width: rd = rn[width-1:0] << lsb, zeros elsewhere."""
    size = _field_range("ubfiz", rd, lsb, width)
    return _bitfield("ubfiz", 0b10, rd, rn, -lsb % size, width - 1)


def sbfiz(rd: Reg, rn: Reg, lsb: int, width: int) -> int:
    """sbfiz rd, rn, #lsb, #width: rd = sign-extended rn[width-1:0] << lsb."""
    size = _field_range("sbfiz", rd, lsb, width)
    return _bitfield("sbfiz", 0b00, rd, rn, -lsb % size, width - 1)


def bfi(rd: Reg, rn: Reg, lsb: int, width: int) -> int:
    """bfi rd, rn, #lsb, #width: rd[lsb+width-1:lsb] = rn[width-1:0]."""
    size = _field_range("bfi", rd, lsb, width)
    return _bitfield("bfi", 0b01, rd, rn, -lsb % size, width - 1)


def bfc(rd: Reg, lsb: int, width: int) -> int:
    """bfc rd, #lsb, #width = bfi rd, zr, #lsb, #width (clear the field)."""
    size = _field_range("bfc", rd, lsb, width)
    return _bitfield("bfc", 0b01, rd, Reg(rd.kind, 31), -lsb % size, width - 1)


def extr(rd: Reg, rn: Reg, rm: Reg, lsb: int) -> int:
    """extr rd, rn, rm, #lsb: rd = (rn:rm) >> lsb, low register width bits."""
    kind = rd.kind
    sf = SF.get(kind)
    if sf is None or rd.sp or rn.kind != kind or rn.sp or rm.kind != kind or rm.sp:
        reject_regs("extr", ("rd", rd, "xw", ZR_SLOT), ("rn", rn, kind, ZR_SLOT),
                    ("rm", rm, kind, ZR_SLOT))
    if type(lsb) is not int or not 0 <= lsb < WIDTH[kind]:
        raise EncodingError(f"extr: lsb {lsb!r} out of range: allowed 0..{WIDTH[kind] - 1}")
    return enc_extract(sf, rm.num, lsb, rn.num, rd.num)


# --- extensions ---------------------------------------------------------------------------
# The source is always a w register; the encoding names it by number.
# (opc, imms, destination kinds) per mnemonic; all have immr = 0.

_EXTENDS = {"sxtb": (0b00, 7, "xw"), "sxth": (0b00, 15, "xw"), "sxtw": (0b00, 31, "x"),
            "uxtb": (0b10, 7, "w"), "uxth": (0b10, 15, "w"), "uxtw": (0b10, 31, "x")}


def _extend(name: str, rd: Reg, rn: Reg) -> int:
    opc, imms, kinds = _EXTENDS[name]
    kind = rd.kind
    if kind not in kinds or rd.sp or rn.kind != "w" or rn.sp:
        reject_regs(name, ("rd", rd, kinds, ZR_SLOT), ("rn", rn, "w", ZR_SLOT))
    sf = SF[kind]
    return enc_bitfield(sf, opc, sf, 0, imms, rn.num, rd.num)


def sxtb(rd: Reg, wn: Reg) -> int:
    """sxtb rd, wn (rd x or w): sign-extend the low byte."""
    return _extend("sxtb", rd, wn)


def sxth(rd: Reg, wn: Reg) -> int:
    """sxth rd, wn (rd x or w): sign-extend the low halfword."""
    return _extend("sxth", rd, wn)


def sxtw(xd: Reg, wn: Reg) -> int:
    """sxtw xd, wn: sign-extend a word."""
    return _extend("sxtw", xd, wn)


def uxtb(wd: Reg, wn: Reg) -> int:
    """uxtb wd, wn: zero-extend the low byte (writing wd clears xd's top)."""
    return _extend("uxtb", wd, wn)


def uxth(wd: Reg, wn: Reg) -> int:
    """uxth wd, wn: zero-extend the low halfword."""
    return _extend("uxth", wd, wn)


def uxtw(xd: Reg, wn: Reg) -> int:
    """uxtw xd, wn = ubfx xd, xn, #0, #32, as llvm-mc assembles it (the
    architecture has no uxtw alias; `mov wd, wn` does the same job)."""
    return _extend("uxtw", xd, wn)


# --- data processing, 1 source -------------------------------------------------------------
# opcode per (mnemonic, kind); rev32 exists only for x (for w it is rev).

_DP1 = {("rbit", "x"): 0b000000, ("rbit", "w"): 0b000000,
        ("rev16", "x"): 0b000001, ("rev16", "w"): 0b000001,
        ("rev32", "x"): 0b000010,
        ("rev", "w"): 0b000010, ("rev", "x"): 0b000011,
        ("clz", "x"): 0b000100, ("clz", "w"): 0b000100,
        ("cls", "x"): 0b000101, ("cls", "w"): 0b000101}


def _dp1(name: str, rd: Reg, rn: Reg) -> int:
    kind = rd.kind
    opcode = _DP1.get((name, kind))
    if opcode is None or rd.sp or rn.kind != kind or rn.sp:
        kinds = "x" if name == "rev32" else "xw"
        reject_regs(name, ("rd", rd, kinds, ZR_SLOT), ("rn", rn, kind, ZR_SLOT))
    return enc_dp_1src(SF[kind], opcode, rn.num, rd.num)


def clz(rd: Reg, rn: Reg) -> int:
    """clz rd, rn: count leading zeros."""
    return _dp1("clz", rd, rn)


def cls(rd: Reg, rn: Reg) -> int:
    """cls rd, rn: count leading sign bits."""
    return _dp1("cls", rd, rn)


def rbit(rd: Reg, rn: Reg) -> int:
    """rbit rd, rn: reverse the bit order."""
    return _dp1("rbit", rd, rn)


def rev(rd: Reg, rn: Reg) -> int:
    """rev rd, rn: reverse the byte order."""
    return _dp1("rev", rd, rn)


def rev16(rd: Reg, rn: Reg) -> int:
    """rev16 rd, rn: reverse bytes within each halfword."""
    return _dp1("rev16", rd, rn)


def rev32(xd: Reg, xn: Reg) -> int:
    """rev32 xd, xn: reverse bytes within each word."""
    return _dp1("rev32", xd, xn)
