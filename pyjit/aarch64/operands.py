"""Structured operands of AArch64 instructions, and the encoder's error type.

These are the values the instruction builders in `isa.py` take besides
registers and plain integers:

- `Cond`: a condition code (`Cond.EQ`, ..., or parsed from "eq", "hs", ...).
- `Shifted(reg, op, amount)`: a shifted register operand, `x2, lsl #3`.
- `Extended(reg, op, amount)`: an extended register operand, `w2, sxtw #2`.
- Addressing modes: `Mem(base, offset)` is `[base, #offset]`,
  `PreIndex(base, offset)` is `[base, #offset]!`,
  `PostIndex(base, offset)` is `[base], #offset`,
  `RegOffset(base, index, extend, amount)` is `[base, index{, extend #amount}]`.

Byte offsets are always in bytes, never pre-scaled: `Mem(X1, 16)` is
`[x1, #16]` whatever the access size.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .registers import Reg


class EncodingError(ValueError):
    """An instruction cannot be encoded with the operands given.

    The message names the instruction, the operand and what is allowed, e.g.
    "add: immediate 4097 does not fit: allowed 0..4095, or a multiple of
    4096 up to 16773120 (lsl #12)".
    """


class Cond(IntEnum):
    EQ = 0
    NE = 1
    HS = 2
    LO = 3
    MI = 4
    PL = 5
    VS = 6
    VC = 7
    HI = 8
    LS = 9
    GE = 10
    LT = 11
    GT = 12
    LE = 13
    AL = 14
    NV = 15

    def invert(self) -> Cond:
        return Cond(self.value ^ 1)

    @classmethod
    def parse(cls, text: str) -> Cond:
        name = text.strip().lower()
        name = _COND_ALIASES.get(name, name)
        try:
            return cls[name.upper()]
        except KeyError:
            raise EncodingError(f"unknown condition {text!r}") from None

    def __str__(self) -> str:
        return self.name.lower()


_COND_ALIASES = {"cs": "hs", "cc": "lo"}

SHIFT_OPS = ("lsl", "lsr", "asr", "ror")
EXTEND_OPS = ("uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx")


@dataclass(frozen=True, slots=True)
class Shifted:
    """`reg, op #amount` with op in lsl/lsr/asr/ror."""

    reg: Reg
    op: str = "lsl"
    amount: int = 0

    def __post_init__(self) -> None:
        if self.op not in SHIFT_OPS:
            raise EncodingError(f"unknown shift {self.op!r}: allowed {', '.join(SHIFT_OPS)}")


@dataclass(frozen=True, slots=True)
class Extended:
    """`reg, op #amount` with op an extend (uxtb..sxtx) or "lsl" (as an
    alias of uxtx/uxtw where the instruction allows it)."""

    reg: Reg
    op: str
    amount: int = 0

    def __post_init__(self) -> None:
        if self.op not in EXTEND_OPS and self.op != "lsl":
            raise EncodingError(f"unknown extend {self.op!r}: allowed {', '.join(EXTEND_OPS)}, lsl")


@dataclass(frozen=True, slots=True)
class Mem:
    """`[base, #offset]` (offset in bytes; signed)."""

    base: Reg
    offset: int = 0


@dataclass(frozen=True, slots=True)
class PreIndex:
    """`[base, #offset]!`: base += offset, then access."""

    base: Reg
    offset: int


@dataclass(frozen=True, slots=True)
class PostIndex:
    """`[base], #offset`: access, then base += offset."""

    base: Reg
    offset: int


@dataclass(frozen=True, slots=True)
class RegOffset:
    """`[base, index{, extend {#amount}}]`.

    extend is "lsl" (64-bit index), "uxtw"/"sxtw" (32-bit index) or "sxtx".
    amount is None when no shift is written; otherwise it must be 0 or the
    log2 of the access size (an explicit `#0` is encoded differently from
    no amount only for byte accesses, as in the architecture).
    """

    base: Reg
    index: Reg
    extend: str = "lsl"
    amount: int | None = None


Address = Mem | PreIndex | PostIndex | RegOffset
