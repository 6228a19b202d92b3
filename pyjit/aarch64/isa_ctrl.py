"""Branches, pc-relative addresses, and system instructions.

Every offset is a signed byte count relative to the address of the
instruction itself (as in `b #8` for llvm-mc), not to the next one.
"""

from __future__ import annotations

from .encoding import (
    enc_barrier, enc_branch_reg, enc_compare_branch, enc_cond_branch, enc_exception,
    enc_hint, enc_pcrel_adr, enc_system, enc_test_branch, enc_uncond_branch_imm, enc_udf,
)
from .immediates import AdrImm21, AdrpImm21, BranchImm14, BranchImm19, BranchImm26
from .isa_common import SF, ZR_SLOT, check_uint, cond_code, reject_regs
from .operands import EncodingError
from .registers import X30, Reg


def _offset(name: str, imm: type, offset: int) -> int:
    field = imm.field(offset) if type(offset) is int else None
    if field is None:
        raise EncodingError(f"{name}: offset {offset!r} does not fit: allowed "
                            f"{imm.range_text()}")
    return field


# --- immediate branches -------------------------------------------------------------

def b(offset: int) -> int:
    """b #offset (+-128 MiB, a multiple of 4)."""
    return enc_uncond_branch_imm(0, _offset("b", BranchImm26, offset))


def bl(offset: int) -> int:
    """bl #offset: branch and link (+-128 MiB, a multiple of 4)."""
    return enc_uncond_branch_imm(1, _offset("bl", BranchImm26, offset))


def b_cond(cond, offset: int) -> int:
    """b.cond #offset (+-1 MiB, a multiple of 4); cond a Cond or its name
    (al and nv are accepted: both branch always)."""
    return enc_cond_branch(_offset("b.cond", BranchImm19, offset), cond_code("b.cond", cond))


def _compare_branch(name: str, op: int, rt: Reg, offset: int) -> int:
    sf = SF.get(getattr(rt, "kind", None))
    if sf is None or rt.sp:
        reject_regs(name, ("rt", rt, "xw", ZR_SLOT))
    return enc_compare_branch(sf, op, _offset(name, BranchImm19, offset), rt.num)


def cbz(rt: Reg, offset: int) -> int:
    """cbz rt, #offset: branch if rt == 0 (+-1 MiB)."""
    return _compare_branch("cbz", 0, rt, offset)


def cbnz(rt: Reg, offset: int) -> int:
    """cbnz rt, #offset: branch if rt != 0 (+-1 MiB)."""
    return _compare_branch("cbnz", 1, rt, offset)


def _test_branch(name: str, op: int, rt: Reg, bit: int, offset: int) -> int:
    sf = SF.get(getattr(rt, "kind", None))
    if sf is None or rt.sp:
        reject_regs(name, ("rt", rt, "xw", ZR_SLOT))
    # The register width is only implied by bit 5 of the bit number.
    check_uint(name, "bit", bit, 63 if sf else 31)
    return enc_test_branch(bit >> 5, op, bit & 0x1F, _offset(name, BranchImm14, offset), rt.num)


def tbz(rt: Reg, bit: int, offset: int) -> int:
    """tbz rt, #bit, #offset: branch if bit `bit` of rt is 0 (+-32 KiB)."""
    return _test_branch("tbz", 0, rt, bit, offset)


def tbnz(rt: Reg, bit: int, offset: int) -> int:
    """tbnz rt, #bit, #offset: branch if bit `bit` of rt is 1 (+-32 KiB)."""
    return _test_branch("tbnz", 1, rt, bit, offset)


# --- register branches ------------------------------------------------------------------

def _branch_reg(name: str, opc: int, rn: Reg) -> int:
    if getattr(rn, "kind", None) != "x" or rn.sp:
        reject_regs(name, ("rn", rn, "x", ZR_SLOT))
    return enc_branch_reg(opc, rn.num)


def br(rn: Reg) -> int:
    """br xn: branch to the address in xn."""
    return _branch_reg("br", 0b0000, rn)


def blr(rn: Reg) -> int:
    """blr xn: call the address in xn."""
    return _branch_reg("blr", 0b0001, rn)


def ret(rn: Reg = X30) -> int:
    """ret {xn}: return to the address in xn (default x30)."""
    return _branch_reg("ret", 0b0010, rn)


# --- pc-relative addresses ---------------------------------------------------------------

def adr(rd: Reg, offset: int) -> int:
    """adr xd, #offset: xd = address of this instruction + offset (+-1 MiB)."""
    if getattr(rd, "kind", None) != "x" or rd.sp:
        reject_regs("adr", ("rd", rd, "x", ZR_SLOT))
    return enc_pcrel_adr(0, _offset("adr", AdrImm21, offset), rd.num)


def adrp(rd: Reg, offset: int) -> int:
    """adrp xd, #offset: xd = (address of this instruction & ~0xfff) +
    offset, offset a multiple of 4096 (the page delta) within +-4 GiB."""
    if getattr(rd, "kind", None) != "x" or rd.sp:
        reject_regs("adrp", ("rd", rd, "x", ZR_SLOT))
    return enc_pcrel_adr(1, _offset("adrp", AdrpImm21, offset), rd.num)


# --- exceptions and hints ---------------------------------------------------------------

def nop() -> int:
    return enc_hint(0, 0)


def brk(imm16: int = 0) -> int:
    """brk #imm16: breakpoint exception."""
    return enc_exception(0b001, check_uint("brk", "immediate", imm16, 0xFFFF), 0b00)


def hlt(imm16: int = 0) -> int:
    """hlt #imm16: halting debug breakpoint."""
    return enc_exception(0b010, check_uint("hlt", "immediate", imm16, 0xFFFF), 0b00)


def svc(imm16: int = 0) -> int:
    """svc #imm16: supervisor call."""
    return enc_exception(0b000, check_uint("svc", "immediate", imm16, 0xFFFF), 0b01)


def udf(imm16: int = 0) -> int:
    """udf #imm16: permanently undefined (always traps)."""
    return enc_udf(check_uint("udf", "immediate", imm16, 0xFFFF))


# --- barriers --------------------------------------------------------------------------

BARRIER_OPTIONS = {"oshld": 1, "oshst": 2, "osh": 3, "nshld": 5, "nshst": 6, "nsh": 7,
                   "ishld": 9, "ishst": 10, "ish": 11, "ld": 13, "st": 14, "sy": 15}


def _barrier_option(name: str, option) -> int:
    if type(option) is int:
        return check_uint(name, "option", option, 15)
    crm = BARRIER_OPTIONS.get(option.lower() if type(option) is str else None)
    if crm is None:
        raise EncodingError(f"{name}: option {option!r} not allowed: allowed "
                            f"{', '.join(BARRIER_OPTIONS)} or an int 0..15")
    return crm


def dmb(option="ish") -> int:
    """dmb option: data memory barrier (option a name such as "ish", or 0..15)."""
    return enc_barrier(_barrier_option("dmb", option), 0b101)


def dsb(option="ish") -> int:
    """dsb option: data synchronization barrier."""
    return enc_barrier(_barrier_option("dsb", option), 0b100)


def isb(option="sy") -> int:
    """isb: instruction synchronization barrier (option sy or 0..15)."""
    if option != "sy" and type(option) is not int:
        raise EncodingError(f"isb: option {option!r} not allowed: allowed sy or an int 0..15")
    return enc_barrier(15 if option == "sy" else check_uint("isb", "option", option, 15),
                       0b110)


# --- cache maintenance and system registers ----------------------------------------------
# (op1, CRn, CRm, op2) of the SYS instruction each operation aliases.

DC_OPS = {"zva": (3, 7, 4, 1), "ivac": (0, 7, 6, 1), "cvac": (3, 7, 10, 1),
          "cvau": (3, 7, 11, 1), "civac": (3, 7, 14, 1)}
IC_OPS = {"ialluis": (0, 7, 1, 0), "iallu": (0, 7, 5, 0), "ivau": (3, 7, 5, 1)}
_IC_WITH_REG = {"ivau"}


def dc(op: str, xt: Reg) -> int:
    """dc op, xt: data cache maintenance by address (op zva, ivac, cvac,
    cvau or civac)."""
    fields = DC_OPS.get(op)
    if fields is None:
        raise EncodingError(f"dc: operation {op!r} not supported: allowed {', '.join(DC_OPS)}")
    if getattr(xt, "kind", None) != "x" or xt.sp:
        reject_regs("dc", ("xt", xt, "x", ZR_SLOT))
    return enc_system(0, 0b01, *fields, xt.num)


def ic(op: str, xt: Reg | None = None) -> int:
    """ic op{, xt}: instruction cache maintenance (ivau takes an address
    register; iallu and ialluis take none)."""
    fields = IC_OPS.get(op)
    if fields is None:
        raise EncodingError(f"ic: operation {op!r} not supported: allowed {', '.join(IC_OPS)}")
    if op in _IC_WITH_REG:
        if getattr(xt, "kind", None) != "x" or xt.sp:
            reject_regs("ic", ("xt", xt, "x", ZR_SLOT))
    elif xt is not None:
        raise EncodingError(f"ic: {op} takes no register, got {xt}")
    return enc_system(0, 0b01, *fields, xt.num if xt is not None else 31)


def dc_cvau(xt: Reg) -> int:
    """dc cvau, xt: clean data cache line to the point of unification."""
    return dc("cvau", xt)


def ic_ivau(xt: Reg) -> int:
    """ic ivau, xt: invalidate instruction cache line to the point of
    unification."""
    return ic("ivau", xt)


# (op0, op1, CRn, CRm, op2, writable) per system register name.
SYSREGS = {
    "nzcv": (3, 3, 4, 2, 0, True), "fpcr": (3, 3, 4, 4, 0, True),
    "fpsr": (3, 3, 4, 4, 1, True), "tpidr_el0": (3, 3, 13, 0, 2, True),
    "tpidrro_el0": (3, 3, 13, 0, 3, True), "cntfrq_el0": (3, 3, 14, 0, 0, True),
    "ctr_el0": (3, 3, 0, 0, 1, False), "dczid_el0": (3, 3, 0, 0, 7, False),
    "cntvct_el0": (3, 3, 14, 0, 2, False),
}


def _sysreg(name: str, sysreg: str, write: bool) -> tuple[int, ...]:
    fields = SYSREGS.get(sysreg.lower() if type(sysreg) is str else None)
    allowed = [r for r, f in SYSREGS.items() if f[5] or not write]
    if fields is None or (write and not fields[5]):
        raise EncodingError(f"{name}: system register {sysreg!r} not supported: allowed "
                            f"{', '.join(allowed)}")
    return fields[:5]


def mrs(xt: Reg, sysreg: str) -> int:
    """mrs xt, sysreg: read a system register (see SYSREGS)."""
    if getattr(xt, "kind", None) != "x" or xt.sp:
        reject_regs("mrs", ("xt", xt, "x", ZR_SLOT))
    return enc_system(1, *_sysreg("mrs", sysreg, False), xt.num)


def msr(sysreg: str, xt: Reg) -> int:
    """msr sysreg, xt: write a system register (see SYSREGS)."""
    if getattr(xt, "kind", None) != "x" or xt.sp:
        reject_regs("msr", ("xt", xt, "x", ZR_SLOT))
    return enc_system(0, *_sysreg("msr", sysreg, True), xt.num)

