"""Emulation faults: what went wrong, where, and the code around it.

Every way emulated code can go wrong (an access to memory the host does not
have, a write to read-only memory, a jump out of the code, an undefined
instruction or trap, a time or instruction limit, an engine invariant a
helper broke) ends as one `EmulationFault` raised to the outermost caller
of the engine; the host process never crashes because of emulated code.

The message names the function (the loaded code covering the pc, or the
engine's own stubs), the pc as `name+offset`, the reason, and a listing of
the instructions around the pc with the faulting one marked `=>`:

    EmulationFault: read of 8 bytes at 0x10: not mapped in the host
      in wild_load+0x4 (pc 0x7f12a0001004)
          wild_load+0x0: 0x7f12a0001000  d2800201  mov x1, #0x10
      =>  wild_load+0x4: 0x7f12a0001004  f9400020  ldr x0, [x1]
          wild_load+0x8: 0x7f12a0001008  d65f03c0  ret
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import len, max, min, range, super
import struct
from dataclasses import dataclass
from typing import Callable

import capstone
from capstone import arm64_const

CONTEXT_BEFORE = 4
CONTEXT_AFTER = 3

_CS = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
_CS_DETAIL = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
_CS_DETAIL.detail = True
_MASK64 = (1 << 64) - 1


class EmulationFault(Exception):
    """Emulated code did something the engine cannot let it do.

    Attributes: reason (one line), pc (or None when unknown), where (e.g.
    "f+0x14"), function (the covering code's name or None), listing (the
    disassembly around pc, possibly empty)."""

    def __init__(self, reason: str, pc: int | None = None, *, where: str | None = None,
                 function: str | None = None, listing: str = ""):
        self.reason = reason
        self.pc = pc
        self.where = where
        self.function = function
        self.listing = listing
        text = reason
        if pc is not None:
            text += f"\n  in {where or '<unknown code>'} (pc {pc:#x})"
        if listing:
            text += "\n" + listing
        super().__init__(text)


@dataclass(frozen=True, slots=True)
class CodeSpan:
    """A named range of emulated code, for naming pcs in fault messages.
    sections (optional) lists (start offset, end offset, section) so data
    inside the code (literal pools) is shown as data, not disassembled."""

    start: int
    end: int
    name: str
    sections: tuple[tuple[int, int, str], ...] = ()

    def section_at(self, address: int) -> str:
        offset = address - self.start
        for lo, hi, section in self.sections:
            if lo <= offset < hi:
                return section
        return "code"


def disassemble_word(word: int, address: int) -> str:
    """`mnemonic operands` of one AArch64 word, or `.word 0x...` if it is not
    a valid instruction."""
    for insn in _CS.disasm_lite(struct.pack("<I", word), address, 1):
        return f"{insn[2]} {insn[3]}".strip()
    return f".word {word:#010x}"


# Bytes of one register of a load or store, by the register's letter, and the
# mnemonic endings that fix the size whatever the register (ldrb, ldrsh...).
_REGISTER_BYTES = {"x": 8, "w": 4, "q": 16, "d": 8, "s": 4, "h": 2, "b": 1}
_SIZE_SUFFIXES = (("sw", 4), ("b", 1), ("h", 2))
_PAIRS = ("ldp", "stp", "ldnp", "stnp", "ldxp", "stxp", "ldaxp", "stlxp")
_WITH_STATUS = ("stxr", "stlxr", "stxp", "stlxp")      # a status register comes first


def access_size(text: str) -> int | None:
    """Bytes a load or store (`mnemonic operands`, as disassemble_word
    gives it) accesses, both registers of a pair; None for anything else."""
    mnemonic, _, operands = text.partition(" ")
    if not mnemonic.startswith(("ld", "st")) or not operands:
        return None
    pair = 2 if mnemonic.startswith(_PAIRS) else 1
    for suffix, size in _SIZE_SUFFIXES:
        if mnemonic.endswith(suffix):
            return size * pair
    register = operands.split(", ")[1 if mnemonic.startswith(_WITH_STATUS) else 0]
    size = _REGISTER_BYTES.get(register[:1])
    return None if size is None else size * pair


def effective_address(word: int, pc: int, register: Callable[[str], int]) -> int | None:
    """The address the load or store `word` at pc accesses, given
    register(name) -> its value before the instruction (base, plus the
    offset, or the index extended and shifted; a post-indexed access at
    the base); None when word is not a load or store."""
    A = arm64_const
    for insn in _CS_DETAIL.disasm(struct.pack("<I", word), pc, 1):
        for op in insn.operands:
            if op.type != A.ARM64_OP_MEM or not op.mem.base:
                continue
            address = register(insn.reg_name(op.mem.base)) + op.mem.disp
            if op.mem.index:
                index = register(insn.reg_name(op.mem.index))
                if op.ext in (A.ARM64_EXT_UXTW, A.ARM64_EXT_SXTW):
                    index &= 0xFFFFFFFF
                    if op.ext == A.ARM64_EXT_SXTW and index >> 31:
                        index -= 1 << 32
                address += index << (op.shift.value if op.shift.type == A.ARM64_SFT_LSL else 0)
            return address & _MASK64
    return None


def listing_around(pc: int, span: CodeSpan | None, read: Callable[[int, int], bytes | None],
                   before: int = CONTEXT_BEFORE, after: int = CONTEXT_AFTER) -> str:
    """The instructions around pc (limited to span when known), faulting one
    marked.  read(address, size) returns the bytes or None if unreadable."""
    pc &= ~3
    lo, hi = pc - 4 * before, pc + 4 * (after + 1)
    if span is not None:
        lo, hi = max(lo, span.start), min(hi, span.end)
    data = read(lo, hi - lo) if hi > lo else None
    if data is None:
        data = read(pc, 4)
        if data is None:
            return "      (no code readable at pc)"
        lo, hi = pc, pc + 4
    lines = []
    for i in range(0, len(data) - 3, 4):
        address = lo + i
        (word,) = struct.unpack_from("<I", data, i)
        mark = "  =>  " if address == pc else "      "
        label = f"{span.name}+{address - span.start:#x}: " if span is not None else ""
        section = span.section_at(address) if span is not None else "code"
        text = (disassemble_word(word, address) if section in ("code", "stubs", "veneers")
                else f".word {word:#010x}  ({section})")
        lines.append(f"{mark}{label}{address:#x}  {word:08x}  {text}")
    return "\n".join(lines)


def locate(pc: int, span: CodeSpan | None) -> str | None:
    """`name+0xoffset` of pc, or None outside every known span."""
    if span is None:
        return None
    return f"{span.name}+{pc - span.start:#x}"
