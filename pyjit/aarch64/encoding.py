"""AArch64 instruction formats: one function per encoding format.

Every function takes the format's fields as plain ints, in the order they
appear in the instruction word (most significant first, as in the Arm ARM
encoding diagrams), checks that each fits its width, and returns the 32-bit
instruction word.  No operand semantics live here (which register may be
SP, which immediate forms exist): that is `isa.py`'s job.

Fixed bits are written as binary literals split with `_` at the
architecture's field boundaries and shifted to the position of their lowest
field, so each constant can be read against the encoding diagram.

Width checks use one combined test per call, `a >> 1 | b >> 12 | ...`,
which is zero exactly when every field is non-negative and fits; only on
failure are fields examined one by one to name the culprit.
"""

from __future__ import annotations

from .operands import EncodingError


def _bad_field(fmt: str, spec: tuple[tuple[str, int], ...], *values: int) -> None:
    for (name, width), value in zip(spec, values):
        if not 0 <= value < 1 << width:
            raise EncodingError(
                f"{fmt}: field {name}={value} does not fit in {width} bits")
    raise AssertionError("unreachable: no field is out of range")  # pragma: no cover


# --- data processing, immediate ---------------------------------------------

_ADD_SUB_IMM = (("sf", 1), ("op", 1), ("S", 1), ("sh", 1), ("imm12", 12), ("Rn", 5), ("Rd", 5))


def enc_add_sub_imm(sf: int, op: int, s: int, sh: int, imm12: int, rn: int, rd: int) -> int:
    """ADD/ADDS/SUB/SUBS (immediate): sf op S 100010 sh imm12 Rn Rd."""
    if sf >> 1 | op >> 1 | s >> 1 | sh >> 1 | imm12 >> 12 | rn >> 5 | rd >> 5:
        _bad_field("add/sub (immediate)", _ADD_SUB_IMM, sf, op, s, sh, imm12, rn, rd)
    return (sf << 31 | op << 30 | s << 29 | 0b100010 << 23 | sh << 22
            | imm12 << 10 | rn << 5 | rd)


_LOGICAL_IMM = (("sf", 1), ("opc", 2), ("N", 1), ("immr", 6), ("imms", 6), ("Rn", 5), ("Rd", 5))


def enc_logical_imm(sf: int, opc: int, n: int, immr: int, imms: int, rn: int, rd: int) -> int:
    """AND/ORR/EOR/ANDS (immediate): sf opc 100100 N immr imms Rn Rd."""
    if sf >> 1 | opc >> 2 | n >> 1 | immr >> 6 | imms >> 6 | rn >> 5 | rd >> 5:
        _bad_field("logical (immediate)", _LOGICAL_IMM, sf, opc, n, immr, imms, rn, rd)
    return (sf << 31 | opc << 29 | 0b100100 << 23 | n << 22 | immr << 16
            | imms << 10 | rn << 5 | rd)


_MOVE_WIDE = (("sf", 1), ("opc", 2), ("hw", 2), ("imm16", 16), ("Rd", 5))


def enc_move_wide(sf: int, opc: int, hw: int, imm16: int, rd: int) -> int:
    """MOVN (opc 00) / MOVZ (10) / MOVK (11): sf opc 100101 hw imm16 Rd."""
    if sf >> 1 | opc >> 2 | hw >> 2 | imm16 >> 16 | rd >> 5 or opc == 0b01:
        if opc == 0b01:
            raise EncodingError("move wide: opc 01 is unallocated")
        _bad_field("move wide", _MOVE_WIDE, sf, opc, hw, imm16, rd)
    return sf << 31 | opc << 29 | 0b100101 << 23 | hw << 21 | imm16 << 5 | rd


_BITFIELD = (("sf", 1), ("opc", 2), ("N", 1), ("immr", 6), ("imms", 6), ("Rn", 5), ("Rd", 5))


def enc_bitfield(sf: int, opc: int, n: int, immr: int, imms: int, rn: int, rd: int) -> int:
    """SBFM (opc 00) / BFM (01) / UBFM (10): sf opc 100110 N immr imms Rn Rd."""
    if sf >> 1 | opc >> 2 | n >> 1 | immr >> 6 | imms >> 6 | rn >> 5 | rd >> 5:
        _bad_field("bitfield", _BITFIELD, sf, opc, n, immr, imms, rn, rd)
    return (sf << 31 | opc << 29 | 0b100110 << 23 | n << 22 | immr << 16
            | imms << 10 | rn << 5 | rd)


_EXTRACT = (("sf", 1), ("Rm", 5), ("imms", 6), ("Rn", 5), ("Rd", 5))


def enc_extract(sf: int, rm: int, imms: int, rn: int, rd: int) -> int:
    """EXTR: sf 00 100111 N 0 Rm imms Rn Rd, with N = sf."""
    if sf >> 1 | rm >> 5 | imms >> 6 | rn >> 5 | rd >> 5:
        _bad_field("extract", _EXTRACT, sf, rm, imms, rn, rd)
    return (sf << 31 | 0b00_100111 << 23 | sf << 22 | rm << 16 | imms << 10
            | rn << 5 | rd)


_PCREL = (("op", 1), ("imm21", 21), ("Rd", 5))


def enc_pcrel_adr(op: int, imm21: int, rd: int) -> int:
    """ADR (op 0) / ADRP (1): op immlo 10000 immhi Rd, where imm21 is the
    two's complement field immhi:immlo."""
    if op >> 1 | imm21 >> 21 | rd >> 5:
        _bad_field("pc-relative addressing", _PCREL, op, imm21, rd)
    return op << 31 | (imm21 & 3) << 29 | 0b10000 << 24 | (imm21 >> 2) << 5 | rd


# --- data processing, register ----------------------------------------------

_ADD_SUB_SHIFTED = (("sf", 1), ("op", 1), ("S", 1), ("shift", 2), ("Rm", 5), ("imm6", 6),
                    ("Rn", 5), ("Rd", 5))


def enc_add_sub_shifted(sf: int, op: int, s: int, shift: int, rm: int, imm6: int,
                        rn: int, rd: int) -> int:
    """ADD/SUB (shifted register): sf op S 01011 shift 0 Rm imm6 Rn Rd."""
    if (sf >> 1 | op >> 1 | s >> 1 | shift >> 2 | rm >> 5 | imm6 >> 6 | rn >> 5
            | rd >> 5 or shift == 0b11):
        if shift == 0b11:
            raise EncodingError("add/sub (shifted register): shift 11 (ror) is reserved")
        _bad_field("add/sub (shifted register)", _ADD_SUB_SHIFTED,
                   sf, op, s, shift, rm, imm6, rn, rd)
    return (sf << 31 | op << 30 | s << 29 | 0b01011 << 24 | shift << 22 | rm << 16
            | imm6 << 10 | rn << 5 | rd)


_ADD_SUB_EXT = (("sf", 1), ("op", 1), ("S", 1), ("Rm", 5), ("option", 3), ("imm3", 3),
                ("Rn", 5), ("Rd", 5))


def enc_add_sub_ext(sf: int, op: int, s: int, rm: int, option: int, imm3: int,
                    rn: int, rd: int) -> int:
    """ADD/SUB (extended register): sf op S 01011 00 1 Rm option imm3 Rn Rd.
    imm3 (the left shift after extension) is architecturally 0..4."""
    if (sf >> 1 | op >> 1 | s >> 1 | rm >> 5 | option >> 3 | imm3 >> 3 | rn >> 5
            | rd >> 5 or imm3 > 4):
        if 4 < imm3 < 8:
            raise EncodingError(f"add/sub (extended register): shift {imm3} is reserved (0..4)")
        _bad_field("add/sub (extended register)", _ADD_SUB_EXT,
                   sf, op, s, rm, option, imm3, rn, rd)
    return (sf << 31 | op << 30 | s << 29 | 0b01011_00_1 << 21 | rm << 16
            | option << 13 | imm3 << 10 | rn << 5 | rd)


_ADD_SUB_CARRY = (("sf", 1), ("op", 1), ("S", 1), ("Rm", 5), ("Rn", 5), ("Rd", 5))


def enc_add_sub_carry(sf: int, op: int, s: int, rm: int, rn: int, rd: int) -> int:
    """ADC/ADCS/SBC/SBCS: sf op S 11010000 Rm 000000 Rn Rd."""
    if sf >> 1 | op >> 1 | s >> 1 | rm >> 5 | rn >> 5 | rd >> 5:
        _bad_field("add/sub with carry", _ADD_SUB_CARRY, sf, op, s, rm, rn, rd)
    return (sf << 31 | op << 30 | s << 29 | 0b11010000 << 21 | rm << 16
            | rn << 5 | rd)


_LOGICAL_SHIFTED = (("sf", 1), ("opc", 2), ("shift", 2), ("N", 1), ("Rm", 5), ("imm6", 6),
                    ("Rn", 5), ("Rd", 5))


def enc_logical_shifted(sf: int, opc: int, shift: int, n: int, rm: int, imm6: int,
                        rn: int, rd: int) -> int:
    """AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS (shifted register):
    sf opc 01010 shift N Rm imm6 Rn Rd (N inverts Rm)."""
    if (sf >> 1 | opc >> 2 | shift >> 2 | n >> 1 | rm >> 5 | imm6 >> 6 | rn >> 5
            | rd >> 5):
        _bad_field("logical (shifted register)", _LOGICAL_SHIFTED,
                   sf, opc, shift, n, rm, imm6, rn, rd)
    return (sf << 31 | opc << 29 | 0b01010 << 24 | shift << 22 | n << 21 | rm << 16
            | imm6 << 10 | rn << 5 | rd)


_DP_1SRC = (("sf", 1), ("opcode", 6), ("Rn", 5), ("Rd", 5))


def enc_dp_1src(sf: int, opcode: int, rn: int, rd: int) -> int:
    """RBIT/REV16/REV32/REV/CLZ/CLS: sf 1 0 11010110 00000 opcode Rn Rd."""
    if sf >> 1 | opcode >> 6 | rn >> 5 | rd >> 5:
        _bad_field("data processing (1 source)", _DP_1SRC, sf, opcode, rn, rd)
    return sf << 31 | 0b1_0_11010110_00000 << 16 | opcode << 10 | rn << 5 | rd


_DP_2SRC = (("sf", 1), ("Rm", 5), ("opcode", 6), ("Rn", 5), ("Rd", 5))


def enc_dp_2src(sf: int, rm: int, opcode: int, rn: int, rd: int) -> int:
    """UDIV/SDIV/LSLV/LSRV/ASRV/RORV: sf 0 0 11010110 Rm opcode Rn Rd."""
    if sf >> 1 | rm >> 5 | opcode >> 6 | rn >> 5 | rd >> 5:
        _bad_field("data processing (2 source)", _DP_2SRC, sf, rm, opcode, rn, rd)
    return sf << 31 | 0b0_0_11010110 << 21 | rm << 16 | opcode << 10 | rn << 5 | rd


_DP_3SRC = (("sf", 1), ("op54", 2), ("op31", 3), ("Rm", 5), ("o0", 1), ("Ra", 5),
            ("Rn", 5), ("Rd", 5))


def enc_dp_3src(sf: int, op54: int, op31: int, rm: int, o0: int, ra: int, rn: int,
                rd: int) -> int:
    """MADD/MSUB/SMADDL/SMSUBL/SMULH/UMADDL/UMSUBL/UMULH:
    sf op54 11011 op31 Rm o0 Ra Rn Rd."""
    if (sf >> 1 | op54 >> 2 | op31 >> 3 | rm >> 5 | o0 >> 1 | ra >> 5 | rn >> 5
            | rd >> 5):
        _bad_field("data processing (3 source)", _DP_3SRC, sf, op54, op31, rm, o0, ra, rn, rd)
    return (sf << 31 | op54 << 29 | 0b11011 << 24 | op31 << 21 | rm << 16 | o0 << 15
            | ra << 10 | rn << 5 | rd)


_COND_SELECT = (("sf", 1), ("op", 1), ("S", 1), ("Rm", 5), ("cond", 4), ("op2", 2),
                ("Rn", 5), ("Rd", 5))


def enc_cond_select(sf: int, op: int, s: int, rm: int, cond: int, op2: int, rn: int,
                    rd: int) -> int:
    """CSEL/CSINC/CSINV/CSNEG: sf op S 11010100 Rm cond op2 Rn Rd."""
    if sf >> 1 | op >> 1 | s >> 1 | rm >> 5 | cond >> 4 | op2 >> 2 | rn >> 5 | rd >> 5:
        _bad_field("conditional select", _COND_SELECT, sf, op, s, rm, cond, op2, rn, rd)
    return (sf << 31 | op << 30 | s << 29 | 0b11010100 << 21 | rm << 16 | cond << 12
            | op2 << 10 | rn << 5 | rd)


_COND_COMPARE = (("sf", 1), ("op", 1), ("imm", 1), ("Rm/imm5", 5), ("cond", 4), ("Rn", 5),
                 ("nzcv", 4))


def enc_cond_compare(sf: int, op: int, imm: int, rm_imm5: int, cond: int, rn: int,
                     nzcv: int) -> int:
    """CCMN (op 0) / CCMP (op 1), register (imm 0) or immediate (imm 1):
    sf op 1 11010010 Rm|imm5 cond imm 0 Rn 0 nzcv."""
    if sf >> 1 | op >> 1 | imm >> 1 | rm_imm5 >> 5 | cond >> 4 | rn >> 5 | nzcv >> 4:
        _bad_field("conditional compare", _COND_COMPARE, sf, op, imm, rm_imm5, cond, rn, nzcv)
    return (sf << 31 | op << 30 | 0b1_11010010 << 21 | rm_imm5 << 16 | cond << 12
            | imm << 11 | rn << 5 | nzcv)


# --- loads and stores --------------------------------------------------------

_LDST_UIMM12 = (("size", 2), ("V", 1), ("opc", 2), ("imm12", 12), ("Rn", 5), ("Rt", 5))


def enc_ldst_uimm12(size: int, v: int, opc: int, imm12: int, rn: int, rt: int) -> int:
    """Load/store register (unsigned immediate, scaled by the access size):
    size 111 V 01 opc imm12 Rn Rt."""
    if size >> 2 | v >> 1 | opc >> 2 | imm12 >> 12 | rn >> 5 | rt >> 5:
        _bad_field("load/store (unsigned immediate)", _LDST_UIMM12, size, v, opc, imm12, rn, rt)
    return (size << 30 | 0b111_0_01 << 24 | v << 26 | opc << 22 | imm12 << 10
            | rn << 5 | rt)


# Index modes of `enc_ldst_simm9`.
SIMM9_UNSCALED, SIMM9_POST, SIMM9_PRE = 0b00, 0b01, 0b11

_LDST_SIMM9 = (("size", 2), ("V", 1), ("opc", 2), ("imm9", 9), ("idx", 2), ("Rn", 5),
               ("Rt", 5))


def enc_ldst_simm9(size: int, v: int, opc: int, imm9: int, idx: int, rn: int, rt: int) -> int:
    """Load/store register, 9-bit signed byte offset: unscaled (LDUR..,
    idx 00), post-index (01) or pre-index (11):
    size 111 V 00 opc 0 imm9 idx Rn Rt.  imm9 is the two's complement field."""
    if (size >> 2 | v >> 1 | opc >> 2 | imm9 >> 9 | idx >> 2 | rn >> 5 | rt >> 5
            or idx == 0b10):
        if idx == 0b10:
            raise EncodingError("load/store (9-bit offset): idx 10 is the unprivileged form")
        _bad_field("load/store (9-bit offset)", _LDST_SIMM9, size, v, opc, imm9, idx, rn, rt)
    return (size << 30 | 0b111_0_00 << 24 | v << 26 | opc << 22 | imm9 << 12
            | idx << 10 | rn << 5 | rt)


_LDST_REGOFF = (("size", 2), ("V", 1), ("opc", 2), ("Rm", 5), ("option", 3), ("S", 1),
                ("Rn", 5), ("Rt", 5))


def enc_ldst_regoff(size: int, v: int, opc: int, rm: int, option: int, s: int, rn: int,
                    rt: int) -> int:
    """Load/store register (register offset):
    size 111 V 00 opc 1 Rm option S 10 Rn Rt.  option is 010 (uxtw),
    011 (lsl), 110 (sxtw) or 111 (sxtx); S scales the index by the size."""
    if (size >> 2 | v >> 1 | opc >> 2 | rm >> 5 | option >> 3 | s >> 1 | rn >> 5
            | rt >> 5 or not option & 0b010):
        if 0 <= option < 8 and not option & 0b010:
            raise EncodingError(f"load/store (register offset): option {option:03b} is reserved")
        _bad_field("load/store (register offset)", _LDST_REGOFF,
                   size, v, opc, rm, option, s, rn, rt)
    return (size << 30 | 0b111_0_00_00_1 << 21 | v << 26 | opc << 22 | rm << 16
            | option << 13 | s << 12 | 0b10 << 10 | rn << 5 | rt)


# Index modes of `enc_ldst_pair`.
PAIR_POST, PAIR_OFFSET, PAIR_PRE = 0b01, 0b10, 0b11

_LDST_PAIR = (("opc", 2), ("V", 1), ("idx", 2), ("L", 1), ("imm7", 7), ("Rt2", 5), ("Rn", 5),
              ("Rt", 5))


def enc_ldst_pair(opc: int, v: int, idx: int, l: int, imm7: int, rt2: int, rn: int,
                  rt: int) -> int:
    """LDP/STP/LDPSW: opc 101 V 0 idx L imm7 Rt2 Rn Rt, idx 01 post-index,
    10 signed offset, 11 pre-index; imm7 is scaled by the register size."""
    if (opc >> 2 | v >> 1 | idx >> 2 | l >> 1 | imm7 >> 7 | rt2 >> 5 | rn >> 5
            | rt >> 5 or not idx):
        if idx == 0:
            raise EncodingError("load/store pair: idx 00 is the non-temporal form")
        _bad_field("load/store pair", _LDST_PAIR, opc, v, idx, l, imm7, rt2, rn, rt)
    return (opc << 30 | 0b101_0_0 << 25 | v << 26 | idx << 23 | l << 22 | imm7 << 15
            | rt2 << 10 | rn << 5 | rt)


_LDR_LITERAL = (("opc", 2), ("V", 1), ("imm19", 19), ("Rt", 5))


def enc_ldr_literal(opc: int, v: int, imm19: int, rt: int) -> int:
    """LDR/LDRSW (literal): opc 011 V 00 imm19 Rt (imm19 in words)."""
    if opc >> 2 | v >> 1 | imm19 >> 19 | rt >> 5:
        _bad_field("load register (literal)", _LDR_LITERAL, opc, v, imm19, rt)
    return opc << 30 | 0b011_0_00 << 24 | v << 26 | imm19 << 5 | rt


# --- branches ----------------------------------------------------------------

def enc_uncond_branch_imm(op: int, imm26: int) -> int:
    """B (op 0) / BL (op 1): op 00101 imm26 (imm26 in words)."""
    if op >> 1 | imm26 >> 26:
        _bad_field("unconditional branch (immediate)", (("op", 1), ("imm26", 26)), op, imm26)
    return op << 31 | 0b00101 << 26 | imm26


def enc_cond_branch(imm19: int, cond: int) -> int:
    """B.cond: 0101010 0 imm19 0 cond."""
    if imm19 >> 19 | cond >> 4:
        _bad_field("conditional branch", (("imm19", 19), ("cond", 4)), imm19, cond)
    return 0b0101010_0 << 24 | imm19 << 5 | cond


_COMPARE_BRANCH = (("sf", 1), ("op", 1), ("imm19", 19), ("Rt", 5))


def enc_compare_branch(sf: int, op: int, imm19: int, rt: int) -> int:
    """CBZ (op 0) / CBNZ (op 1): sf 011010 op imm19 Rt."""
    if sf >> 1 | op >> 1 | imm19 >> 19 | rt >> 5:
        _bad_field("compare and branch", _COMPARE_BRANCH, sf, op, imm19, rt)
    return sf << 31 | 0b011010 << 25 | op << 24 | imm19 << 5 | rt


_TEST_BRANCH = (("b5", 1), ("op", 1), ("b40", 5), ("imm14", 14), ("Rt", 5))


def enc_test_branch(b5: int, op: int, b40: int, imm14: int, rt: int) -> int:
    """TBZ (op 0) / TBNZ (op 1): b5 011011 op b40 imm14 Rt."""
    if b5 >> 1 | op >> 1 | b40 >> 5 | imm14 >> 14 | rt >> 5:
        _bad_field("test and branch", _TEST_BRANCH, b5, op, b40, imm14, rt)
    return b5 << 31 | 0b011011 << 25 | op << 24 | b40 << 19 | imm14 << 5 | rt


def enc_branch_reg(opc: int, rn: int) -> int:
    """BR (opc 0000) / BLR (0001) / RET (0010):
    1101011 opc 11111 000000 Rn 00000."""
    if opc >> 4 | rn >> 5:
        _bad_field("branch (register)", (("opc", 4), ("Rn", 5)), opc, rn)
    return 0b1101011_0000_11111_000000 << 10 | opc << 21 | rn << 5


# --- exceptions and system ---------------------------------------------------

def enc_exception(opc: int, imm16: int, ll: int) -> int:
    """SVC (opc 000, LL 01) / HVC / SMC / BRK (001, 00) / HLT (010, 00):
    11010100 opc imm16 000 LL."""
    if opc >> 3 | imm16 >> 16 | ll >> 2:
        _bad_field("exception generation", (("opc", 3), ("imm16", 16), ("LL", 2)), opc, imm16, ll)
    return 0b11010100 << 24 | opc << 21 | imm16 << 5 | ll


def enc_udf(imm16: int) -> int:
    """UDF (permanently undefined): 0000000000000000 imm16."""
    if imm16 >> 16:
        _bad_field("udf", (("imm16", 16),), imm16)
    return imm16


def enc_hint(crm: int, op2: int) -> int:
    """HINT (NOP is CRm 0000 op2 000): 1101010100 0 00 011 0010 CRm op2 11111."""
    if crm >> 4 | op2 >> 3:
        _bad_field("hint", (("CRm", 4), ("op2", 3)), crm, op2)
    return 0b1101010100_0_00_011_0010 << 12 | crm << 8 | op2 << 5 | 0b11111


def enc_barrier(crm: int, op2: int) -> int:
    """DSB (op2 100) / DMB (101) / ISB (110), CRm the option:
    1101010100 0 00 011 0011 CRm op2 11111."""
    if crm >> 4 | op2 >> 3:
        _bad_field("barrier", (("CRm", 4), ("op2", 3)), crm, op2)
    return 0b1101010100_0_00_011_0011 << 12 | crm << 8 | op2 << 5 | 0b11111


_SYSTEM = (("L", 1), ("op0", 2), ("op1", 3), ("CRn", 4), ("CRm", 4), ("op2", 3), ("Rt", 5))


def enc_system(l: int, op0: int, op1: int, crn: int, crm: int, op2: int, rt: int) -> int:
    """SYS (L 0, op0 01; DC/IC are aliases), SYSL, MSR (register: L 0, op0
    1x), MRS (L 1, op0 1x): 1101010100 L op0 op1 CRn CRm op2 Rt."""
    if l >> 1 | op0 >> 2 | op1 >> 3 | crn >> 4 | crm >> 4 | op2 >> 3 | rt >> 5:
        _bad_field("system", _SYSTEM, l, op0, op1, crn, crm, op2, rt)
    return (0b1101010100 << 22 | l << 21 | op0 << 19 | op1 << 16 | crn << 12
            | crm << 8 | op2 << 5 | rt)


# --- scalar floating point ---------------------------------------------------
# `ftype` is the precision: 00 single, 01 double, 11 half.

_FP_DP1 = (("type", 2), ("opcode", 6), ("Rn", 5), ("Rd", 5))


def enc_fp_dp1(ftype: int, opcode: int, rn: int, rd: int) -> int:
    """FMOV/FABS/FNEG/FSQRT/FCVT/FRINT* (register):
    0 0 0 11110 type 1 opcode 10000 Rn Rd."""
    if ftype >> 2 | opcode >> 6 | rn >> 5 | rd >> 5:
        _bad_field("floating-point (1 source)", _FP_DP1, ftype, opcode, rn, rd)
    return (0b0_0_0_11110 << 24 | ftype << 22 | 1 << 21 | opcode << 15
            | 0b10000 << 10 | rn << 5 | rd)


_FP_DP2 = (("type", 2), ("Rm", 5), ("opcode", 4), ("Rn", 5), ("Rd", 5))


def enc_fp_dp2(ftype: int, rm: int, opcode: int, rn: int, rd: int) -> int:
    """FMUL/FDIV/FADD/FSUB/FMAX/FMIN/FMAXNM/FMINNM/FNMUL:
    0 0 0 11110 type 1 Rm opcode 10 Rn Rd."""
    if ftype >> 2 | rm >> 5 | opcode >> 4 | rn >> 5 | rd >> 5:
        _bad_field("floating-point (2 source)", _FP_DP2, ftype, rm, opcode, rn, rd)
    return (0b0_0_0_11110 << 24 | ftype << 22 | 1 << 21 | rm << 16 | opcode << 12
            | 0b10 << 10 | rn << 5 | rd)


_FP_DP3 = (("type", 2), ("o1", 1), ("Rm", 5), ("o0", 1), ("Ra", 5), ("Rn", 5), ("Rd", 5))


def enc_fp_dp3(ftype: int, o1: int, rm: int, o0: int, ra: int, rn: int, rd: int) -> int:
    """FMADD/FMSUB/FNMADD/FNMSUB: 0 0 0 11111 type o1 Rm o0 Ra Rn Rd."""
    if ftype >> 2 | o1 >> 1 | rm >> 5 | o0 >> 1 | ra >> 5 | rn >> 5 | rd >> 5:
        _bad_field("floating-point (3 source)", _FP_DP3, ftype, o1, rm, o0, ra, rn, rd)
    return (0b0_0_0_11111 << 24 | ftype << 22 | o1 << 21 | rm << 16 | o0 << 15
            | ra << 10 | rn << 5 | rd)


_FP_COMPARE = (("type", 2), ("Rm", 5), ("Rn", 5), ("opcode2", 5))


def enc_fp_compare(ftype: int, rm: int, rn: int, opcode2: int) -> int:
    """FCMP/FCMPE: 0 0 0 11110 type 1 Rm 00 1000 Rn opcode2, opcode2 is
    E:Z:000 (E signals on quiet NaNs, Z compares with +0.0, Rm then 0)."""
    if ftype >> 2 | rm >> 5 | rn >> 5 | opcode2 >> 5:
        _bad_field("floating-point compare", _FP_COMPARE, ftype, rm, rn, opcode2)
    return (0b0_0_0_11110 << 24 | ftype << 22 | 1 << 21 | rm << 16 | 0b00_1000 << 10
            | rn << 5 | opcode2)


_FP_COND_SELECT = (("type", 2), ("Rm", 5), ("cond", 4), ("Rn", 5), ("Rd", 5))


def enc_fp_cond_select(ftype: int, rm: int, cond: int, rn: int, rd: int) -> int:
    """FCSEL: 0 0 0 11110 type 1 Rm cond 11 Rn Rd."""
    if ftype >> 2 | rm >> 5 | cond >> 4 | rn >> 5 | rd >> 5:
        _bad_field("floating-point conditional select", _FP_COND_SELECT, ftype, rm, cond, rn, rd)
    return (0b0_0_0_11110 << 24 | ftype << 22 | 1 << 21 | rm << 16 | cond << 12
            | 0b11 << 10 | rn << 5 | rd)


def enc_fp_imm(ftype: int, imm8: int, rd: int) -> int:
    """FMOV (scalar, immediate): 0 0 0 11110 type 1 imm8 100 00000 Rd."""
    if ftype >> 2 | imm8 >> 8 | rd >> 5:
        _bad_field("floating-point immediate", (("type", 2), ("imm8", 8), ("Rd", 5)),
                   ftype, imm8, rd)
    return (0b0_0_0_11110 << 24 | ftype << 22 | 1 << 21 | imm8 << 13 | 0b100_00000 << 5
            | rd)


_FP_INT = (("sf", 1), ("type", 2), ("rmode", 2), ("opcode", 3), ("Rn", 5), ("Rd", 5))


def enc_fp_int_conv(sf: int, ftype: int, rmode: int, opcode: int, rn: int, rd: int) -> int:
    """Conversions between floating point and integer registers (SCVTF,
    UCVTF, FCVT[NPMZA][SU], FMOV general):
    sf 0 0 11110 type 1 rmode opcode 000000 Rn Rd."""
    if sf >> 1 | ftype >> 2 | rmode >> 2 | opcode >> 3 | rn >> 5 | rd >> 5:
        _bad_field("floating-point/integer conversion", _FP_INT, sf, ftype, rmode, opcode, rn, rd)
    return (sf << 31 | 0b0_0_11110 << 24 | ftype << 22 | 1 << 21 | rmode << 19
            | opcode << 16 | rn << 5 | rd)
