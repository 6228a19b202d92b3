"""Loads and stores: single registers, pairs and pc-relative literals.

Addressing modes are the types of `operands.py`: `Mem(base, offset)`,
`PreIndex`, `PostIndex`, `RegOffset`.  Offsets are byte counts.  `Mem`
picks the scaled unsigned 12-bit form when the offset is a non-negative
multiple of the access size in range, otherwise the unscaled signed 9-bit
form (ldur/stur), exactly as llvm-mc does.  The base is an x register or
sp (register 31 is sp here; xzr is not a valid base).

Like llvm-mc, writeback forms whose base is also a transfer register are
refused (their behaviour is architecturally unpredictable), and so is
ldp with the same register twice.
"""

from __future__ import annotations

from .encoding import (
    PAIR_OFFSET, PAIR_POST, PAIR_PRE, SIMM9_POST, SIMM9_PRE, SIMM9_UNSCALED,
    enc_ldr_literal, enc_ldst_pair, enc_ldst_regoff, enc_ldst_simm9, enc_ldst_uimm12,
)
from .immediates import BranchImm19
from .isa_common import SP_SLOT, ZR_SLOT, bad_operand, reject_regs
from .operands import EncodingError, Mem, PostIndex, PreIndex, RegOffset
from .registers import Reg

# (size, V, opc) per transfer register kind: size is log2 of the access
# size, V selects the FP/SIMD registers, opc the direction and signedness.
_LDST_OPS = {
    "ldr": {"x": (3, 0, 0b01), "w": (2, 0, 0b01), "d": (3, 1, 0b01)},
    "str": {"x": (3, 0, 0b00), "w": (2, 0, 0b00), "d": (3, 1, 0b00)},
    "ldrb": {"w": (0, 0, 0b01)},
    "strb": {"w": (0, 0, 0b00)},
    "ldrh": {"w": (1, 0, 0b01)},
    "strh": {"w": (1, 0, 0b00)},
    "ldrsb": {"x": (0, 0, 0b10), "w": (0, 0, 0b11)},
    "ldrsh": {"x": (1, 0, 0b10), "w": (1, 0, 0b11)},
    "ldrsw": {"x": (2, 0, 0b10)},
}
_KINDS = {name: "".join(ops) for name, ops in _LDST_OPS.items()}


def _reject(name: str, mnemonic: str, rt: Reg, base: Reg) -> None:
    reject_regs(name, ("rt", rt, _KINDS[mnemonic], ZR_SLOT), ("base", base, "x", SP_SLOT))


def _writeback_clash(name: str, rt: Reg, v: int, base: Reg) -> None:
    if not v and not base.sp and rt.num == base.num:
        raise EncodingError(f"{name}: rt {rt} is also the writeback base {base}: unpredictable")


def _ldst_mem(name: str, mnemonic: str, rt: Reg, addr: Mem) -> int:
    fields = _LDST_OPS[mnemonic].get(rt.kind)
    base = addr.base
    if fields is None or rt.sp or base.kind != "x" or (base.num == 31 and not base.sp):
        _reject(name, mnemonic, rt, base)
    size, v, opc = fields
    offset = addr.offset
    if offset >= 0 and not offset & ((1 << size) - 1) and offset < 0x1000 << size:
        return enc_ldst_uimm12(size, v, opc, offset >> size, base.num, rt.num)
    if -256 <= offset < 256:
        return enc_ldst_simm9(size, v, opc, offset & 0x1FF, SIMM9_UNSCALED, base.num, rt.num)
    raise EncodingError(f"{name}: offset {offset} does not fit: allowed a multiple of "
                        f"{1 << size} in 0..{0xFFF << size}, or -256..255")


def _ldst_index(name: str, mnemonic: str, rt: Reg, addr: PreIndex | PostIndex) -> int:
    fields = _LDST_OPS[mnemonic].get(rt.kind)
    base = addr.base
    if fields is None or rt.sp or base.kind != "x" or (base.num == 31 and not base.sp):
        _reject(name, mnemonic, rt, base)
    size, v, opc = fields
    offset = addr.offset
    if not -256 <= offset < 256:
        raise EncodingError(f"{name}: {type(addr).__name__} offset {offset} does not fit: "
                            f"allowed -256..255")
    _writeback_clash(name, rt, v, base)
    idx = SIMM9_PRE if type(addr) is PreIndex else SIMM9_POST
    return enc_ldst_simm9(size, v, opc, offset & 0x1FF, idx, base.num, rt.num)


# option field and index register kind per extend of a register offset.
_REGOFF_EXTEND = {"uxtw": (0b010, "w"), "lsl": (0b011, "x"), "sxtw": (0b110, "w"),
                  "sxtx": (0b111, "x")}


def _ldst_regoff(name: str, mnemonic: str, rt: Reg, addr: RegOffset) -> int:
    fields = _LDST_OPS[mnemonic].get(rt.kind)
    base = addr.base
    index = addr.index
    ext = _REGOFF_EXTEND.get(addr.extend)
    if ext is None:
        bad_operand(name, "index extend", addr.extend, "lsl, uxtw, sxtw, sxtx")
    option, index_kind = ext
    if (fields is None or rt.sp or base.kind != "x" or (base.num == 31 and not base.sp)
            or index.kind != index_kind or index.sp):
        reject_regs(name, ("rt", rt, _KINDS[mnemonic], ZR_SLOT), ("base", base, "x", SP_SLOT),
                    ("index", index, index_kind, ZR_SLOT))
    size, v, opc = fields
    amount = addr.amount
    # S=1 scales the index by the access size.  For byte accesses the only
    # shift is #0, and writing it (S=1) differs from omitting it (S=0).
    if amount is None:
        s = 0
    elif amount == size:
        s = 1
    elif amount == 0:
        s = 0
    else:
        raise EncodingError(f"{name}: index shift #{amount} not allowed: allowed none, "
                            f"#0 or #{size}")
    return enc_ldst_regoff(size, v, opc, index.num, option, s, base.num, rt.num)


def _bad_address(name: str, mnemonic: str, rt: Reg, addr: object) -> int:
    bad_operand(name, "address", addr, "Mem, PreIndex, PostIndex or RegOffset")


_ADDRESS_FORMS = {Mem: _ldst_mem, PreIndex: _ldst_index, PostIndex: _ldst_index,
                  RegOffset: _ldst_regoff}


def ldr(rt: Reg, addr) -> int:
    """ldr rt, addr (rt x, w or d); an int addr is a literal offset
    (see `ldr_literal`)."""
    if type(addr) is int:
        return ldr_literal(rt, addr)
    return _ADDRESS_FORMS.get(type(addr), _bad_address)("ldr", "ldr", rt, addr)


def str_(rt: Reg, addr) -> int:
    """str rt, addr (rt x, w or d)."""
    return _ADDRESS_FORMS.get(type(addr), _bad_address)("str", "str", rt, addr)


def ldrb(wt: Reg, addr) -> int:
    """ldrb wt, addr: load a byte, zero-extended."""
    return _ADDRESS_FORMS.get(type(addr), _bad_address)("ldrb", "ldrb", wt, addr)


def strb(wt: Reg, addr) -> int:
    """strb wt, addr: store the low byte."""
    return _ADDRESS_FORMS.get(type(addr), _bad_address)("strb", "strb", wt, addr)


def ldrh(wt: Reg, addr) -> int:
    """ldrh wt, addr: load a halfword, zero-extended."""
    return _ADDRESS_FORMS.get(type(addr), _bad_address)("ldrh", "ldrh", wt, addr)


def strh(wt: Reg, addr) -> int:
    """strh wt, addr: store the low halfword."""
    return _ADDRESS_FORMS.get(type(addr), _bad_address)("strh", "strh", wt, addr)


def ldrsb(rt: Reg, addr) -> int:
    """ldrsb rt, addr (rt w or x): load a byte, sign-extended."""
    return _ADDRESS_FORMS.get(type(addr), _bad_address)("ldrsb", "ldrsb", rt, addr)


def ldrsh(rt: Reg, addr) -> int:
    """ldrsh rt, addr (rt w or x): load a halfword, sign-extended."""
    return _ADDRESS_FORMS.get(type(addr), _bad_address)("ldrsh", "ldrsh", rt, addr)


def ldrsw(xt: Reg, addr) -> int:
    """ldrsw xt, addr: load a word, sign-extended; an int addr is a
    literal offset (see `ldrsw_literal`)."""
    if type(addr) is int:
        return ldrsw_literal(xt, addr)
    return _ADDRESS_FORMS.get(type(addr), _bad_address)("ldrsw", "ldrsw", xt, addr)


# --- unscaled (ldur/stur family): Mem only, offset -256..255 ---------------------------

def _unscaled(name: str, mnemonic: str, rt: Reg, addr: Mem) -> int:
    if type(addr) is not Mem:
        bad_operand(name, "address", addr, "Mem (base + offset -256..255)")
    fields = _LDST_OPS[mnemonic].get(rt.kind)
    base = addr.base
    if fields is None or rt.sp or base.kind != "x" or (base.num == 31 and not base.sp):
        _reject(name, mnemonic, rt, base)
    size, v, opc = fields
    offset = addr.offset
    if not -256 <= offset < 256:
        raise EncodingError(f"{name}: offset {offset} does not fit: allowed -256..255")
    return enc_ldst_simm9(size, v, opc, offset & 0x1FF, SIMM9_UNSCALED, base.num, rt.num)


def ldur(rt: Reg, mem: Mem) -> int:
    return _unscaled("ldur", "ldr", rt, mem)


def stur(rt: Reg, mem: Mem) -> int:
    return _unscaled("stur", "str", rt, mem)


def ldurb(wt: Reg, mem: Mem) -> int:
    return _unscaled("ldurb", "ldrb", wt, mem)


def sturb(wt: Reg, mem: Mem) -> int:
    return _unscaled("sturb", "strb", wt, mem)


def ldurh(wt: Reg, mem: Mem) -> int:
    return _unscaled("ldurh", "ldrh", wt, mem)


def sturh(wt: Reg, mem: Mem) -> int:
    return _unscaled("sturh", "strh", wt, mem)


def ldursb(rt: Reg, mem: Mem) -> int:
    return _unscaled("ldursb", "ldrsb", rt, mem)


def ldursh(rt: Reg, mem: Mem) -> int:
    return _unscaled("ldursh", "ldrsh", rt, mem)


def ldursw(xt: Reg, mem: Mem) -> int:
    return _unscaled("ldursw", "ldrsw", xt, mem)


# --- pairs ------------------------------------------------------------------------------
# (opc, V, log2 of the register size) per register kind.

_PAIR_OPS = {
    "stp": {"w": (0b00, 0, 2), "x": (0b10, 0, 3), "d": (0b01, 1, 3)},
    "ldp": {"w": (0b00, 0, 2), "x": (0b10, 0, 3), "d": (0b01, 1, 3)},
    "ldpsw": {"x": (0b01, 0, 2)},
}
_PAIR_INDEX = {Mem: PAIR_OFFSET, PreIndex: PAIR_PRE, PostIndex: PAIR_POST}


def _pair(name: str, load: int, rt1: Reg, rt2: Reg, addr) -> int:
    idx = _PAIR_INDEX.get(type(addr))
    if idx is None:
        bad_operand(name, "address", addr, "Mem, PreIndex or PostIndex")
    ops = _PAIR_OPS[name]
    kind = rt1.kind
    fields = ops.get(kind)
    base = addr.base
    if (fields is None or rt1.sp or rt2.kind != kind or rt2.sp or base.kind != "x"
            or (base.num == 31 and not base.sp)):
        reject_regs(name, ("rt1", rt1, "".join(ops), ZR_SLOT), ("rt2", rt2, kind, ZR_SLOT),
                    ("base", base, "x", SP_SLOT))
    opc, v, log2 = fields
    offset = addr.offset
    scale = 1 << log2
    if offset & (scale - 1) or not -64 * scale <= offset < 64 * scale:
        raise EncodingError(f"{name}: offset {offset} does not fit: allowed a multiple of "
                            f"{scale} in {-64 * scale}..{63 * scale}")
    if load and rt1.num == rt2.num:
        raise EncodingError(f"{name}: rt1 and rt2 are both {rt1}: unpredictable")
    if idx != PAIR_OFFSET:
        _writeback_clash(name, rt1, v, base)
        _writeback_clash(name, rt2, v, base)
    return enc_ldst_pair(opc, v, idx, load, (offset >> log2) & 0x7F, rt2.num, base.num,
                         rt1.num)


def ldp(rt1: Reg, rt2: Reg, addr) -> int:
    """ldp rt1, rt2, addr (x, w or d registers; Mem, PreIndex or PostIndex
    with an offset that is a multiple of the register size, -64..63 times)."""
    return _pair("ldp", 1, rt1, rt2, addr)


def stp(rt1: Reg, rt2: Reg, addr) -> int:
    """stp rt1, rt2, addr (as `ldp`)."""
    return _pair("stp", 0, rt1, rt2, addr)


def ldpsw(xt1: Reg, xt2: Reg, addr) -> int:
    """ldpsw xt1, xt2, addr: load two sign-extended words."""
    return _pair("ldpsw", 1, xt1, xt2, addr)


# --- literals ---------------------------------------------------------------------------
# (opc, V) per register kind.

_LITERAL_OPS = {"x": (0b01, 0), "w": (0b00, 0), "d": (0b01, 1)}


def _literal(name: str, opc: int, v: int, rt: Reg, offset: int) -> int:
    imm19 = BranchImm19.field(offset) if type(offset) is int else None
    if imm19 is None:
        raise EncodingError(f"{name}: offset {offset!r} does not fit: allowed "
                            f"{BranchImm19.range_text()}")
    return enc_ldr_literal(opc, v, imm19, rt.num)


def ldr_literal(rt: Reg, offset: int) -> int:
    """ldr rt, #offset: load from pc + offset (rt x, w or d; offset in
    bytes from this instruction, a multiple of 4 within +-1 MiB)."""
    fields = _LITERAL_OPS.get(getattr(rt, "kind", None))
    if fields is None or rt.sp:
        reject_regs("ldr", ("rt", rt, "xwd", ZR_SLOT))
    return _literal("ldr", fields[0], fields[1], rt, offset)


def ldrsw_literal(xt: Reg, offset: int) -> int:
    """ldrsw xt, #offset: load a sign-extended word from pc + offset."""
    if getattr(xt, "kind", None) != "x" or xt.sp:
        reject_regs("ldrsw", ("rt", xt, "x", ZR_SLOT))
    return _literal("ldrsw", 0b10, 0, xt, offset)
