"""Relocations: the fields of compiled code that are filled at load time.

Compiled bytes never depend on where the code or its helpers will live: what
does is recorded as a `Reloc(offset, kind, symbol, addend)` and applied by
`link(data, relocs, base, resolve)` once the load address `base` and the
symbols' addresses are known.  `S` is `resolve(symbol)`, `A` the addend, `P`
the address of the relocated field (`base + offset`):

==================  ===================  =========================================
kind                applies to           value
==================  ===================  =========================================
ABS64               8 bytes of data      S + A
RELATIVE64          8 bytes of data      base + A (no symbol: an address in the
                                         code itself, e.g. a veneer's target)
CALL26              bl                   imm26 = (S + A - P) / 4, within +-128 MiB
JUMP26              b                    as CALL26
MOVW_UABS_G0_NC     movz/movk, lsl #0    imm16 = (S + A) bits 15:0
MOVW_UABS_G1_NC     movz/movk, lsl #16   imm16 = (S + A) bits 31:16
MOVW_UABS_G2_NC     movz/movk, lsl #32   imm16 = (S + A) bits 47:32
MOVW_UABS_G3        movz/movk, lsl #48   imm16 = (S + A) bits 63:48
==================  ===================  =========================================

The names and semantics are those of the ELF AArch64 ABI (R_AARCH64_*).
The relocated field holds 0 in the unlinked bytes.  `base` must be 4 KiB
aligned (adrp page arithmetic in the code assumes it).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Iterable

from .labels import LabelRangeError, LabelUse

_MASK64 = (1 << 64) - 1
_PAGE = 4096

_MOVZ_MOVK_MASK = 0x7F80_0000      # opc:100101 with sf masked off
_MOVZ = 0x5280_0000
_MOVK = 0x7280_0000
_IMM16_SHIFT = 5


class LinkError(Exception):
    """A relocation cannot be applied.  symbol and offset name the culprit
    (None when the failure is not about one relocation)."""

    def __init__(self, message: str, symbol: str | None = None, offset: int | None = None):
        super().__init__(message)
        self.symbol = symbol
        self.offset = offset


class RelocKind(Enum):
    """Relocation kinds; see the module docstring's table."""

    #                  size  movw group
    ABS64 = ("ABS64", 8, None)
    RELATIVE64 = ("RELATIVE64", 8, None)
    CALL26 = ("CALL26", 4, None)
    JUMP26 = ("JUMP26", 4, None)
    MOVW_UABS_G0_NC = ("MOVW_UABS_G0_NC", 4, 0)
    MOVW_UABS_G1_NC = ("MOVW_UABS_G1_NC", 4, 1)
    MOVW_UABS_G2_NC = ("MOVW_UABS_G2_NC", 4, 2)
    MOVW_UABS_G3 = ("MOVW_UABS_G3", 4, 3)

    def __init__(self, _name: str, size: int, group: int | None):
        self.size = size
        self.group = group

    # Members are singletons: hashed by identity, in C (Enum's __hash__ is
    # Python code; literal keys hold a kind).
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<RelocKind.{self.name}>"

    @property
    def is_data(self) -> bool:
        """True for kinds that fill 8 bytes of data rather than an
        instruction field."""
        return self.size == 8

    @property
    def needs_symbol(self) -> bool:
        return self is not RelocKind.RELATIVE64

    def accepts(self, word: int) -> bool:
        """True if this kind may relocate the instruction `word`."""
        if self is RelocKind.CALL26:
            return word & 0xFC00_0000 == 0x9400_0000
        if self is RelocKind.JUMP26:
            return word & 0xFC00_0000 == 0x1400_0000
        if self.group is not None:
            hw = (word >> 21) & 0b11
            return word & _MOVZ_MOVK_MASK in (_MOVZ, _MOVK) and hw == self.group
        return False

    def describe_target(self) -> str:
        if self is RelocKind.CALL26:
            return "bl"
        if self is RelocKind.JUMP26:
            return "b"
        if self.group is not None:
            return f"movz/movk with lsl #{16 * self.group}"
        return "8 bytes of data"


@dataclass(frozen=True, slots=True)
class Reloc:
    """Fill the field at `offset` according to `kind` with symbol's address
    plus addend (RELATIVE64: the load address plus addend; symbol "")."""

    offset: int
    kind: RelocKind
    symbol: str
    addend: int = 0


def link(data: bytes, relocs: Iterable[Reloc], base: int,
         resolve: Callable[[str], int], name: str = "code") -> bytes:
    """`data` with every relocation applied for loading at `base`.

    resolve(symbol) returns the symbol's address; it may raise (KeyError or
    anything else), which becomes a LinkError naming the symbol.  Raises
    LinkError when base is not 4 KiB aligned, a symbol cannot be resolved, a
    branch target is out of reach or a value overflows its field.
    """
    if base % _PAGE or base < 0:
        raise LinkError(f"{name}: load address {base:#x} is not 4 KiB aligned")
    out = bytearray(data)
    addresses: dict[str, int] = {}
    for r in relocs:
        where = f"{name}+{r.offset:#x}"
        if r.kind is RelocKind.RELATIVE64:
            value = base + r.addend
        else:
            value = _resolve(resolve, r, addresses, where) + r.addend
        if r.kind.is_data:
            if not -(1 << 63) <= value <= _MASK64:
                raise LinkError(f"{where}: {r.kind.name} value {value:#x} of {r.symbol!r} "
                                "does not fit in 64 bits", r.symbol, r.offset)
            struct.pack_into("<Q", out, r.offset, value & _MASK64)
            continue
        (word,) = struct.unpack_from("<I", out, r.offset)
        if r.kind.group is not None:
            if r.kind is RelocKind.MOVW_UABS_G3 and not 0 <= value <= _MASK64:
                raise LinkError(f"{where}: MOVW_UABS_G3 value {value:#x} of {r.symbol!r} "
                                "is not an unsigned 64-bit address", r.symbol, r.offset)
            imm16 = ((value & _MASK64) >> (16 * r.kind.group)) & 0xFFFF
            word = (word & ~(0xFFFF << _IMM16_SHIFT)) | imm16 << _IMM16_SHIFT
        else:  # CALL26, JUMP26
            try:
                word = LabelUse.BRANCH26.patch(word, base + r.offset, value)
            except LabelRangeError:
                raise LinkError(
                    f"{where}: {r.kind.name} to {r.symbol!r} at {value:#x} is out of reach "
                    f"of the branch at {base + r.offset:#x} (distance {value - base - r.offset:+#x}, "
                    f"allowed -128 MiB..+128 MiB-4, multiple of 4)", r.symbol, r.offset) from None
        struct.pack_into("<I", out, r.offset, word)
    return bytes(out)


def _resolve(resolve: Callable[[str], int], r: Reloc, cache: dict[str, int], where: str) -> int:
    address = cache.get(r.symbol)
    if address is None:
        try:
            address = resolve(r.symbol)
        except Exception as exc:  # the resolver's failure, whatever it is, is a link failure
            raise LinkError(f"{where}: cannot resolve symbol {r.symbol!r} for {r.kind.name}: "
                            f"{exc!r}", r.symbol, r.offset) from exc
        if not isinstance(address, int) or isinstance(address, bool):
            raise LinkError(f"{where}: symbol {r.symbol!r} resolved to {address!r}, not an int",
                            r.symbol, r.offset)
        cache[r.symbol] = address
    return address
