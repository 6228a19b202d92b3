"""Immediate operand types of AArch64 instructions.

Each type answers one question: does this value fit the immediate field of
an instruction, and if so, what are the field's bits?  The shape follows
Cranelift's `imms.rs`:

- ``T.try_from(value, ...)`` returns an instance, or None when the value does
  not fit (never raises for an out-of-range integer);
- an instance exposes its decoded fields (``imm12``, ``shift12``, ...) and
  ``bits``: the encoded field(s) as one int, least significant bit at 0, ready
  to be shifted into place by an encoder;
- ``T.field(value, ...)`` returns those same ``bits`` (or None) without
  building an instance.  It is what the instruction builders call: it is the
  hot path of the encoder, so it allocates nothing.

Values are plain Python ints.  Signed and unsigned views of the same bit
pattern are both accepted where the instruction is about bit patterns
(logical immediates, move-wide); offsets are signed byte counts.
"""

from __future__ import annotations

import struct
from functools import lru_cache

__all__ = [
    "Imm12", "UImm12Scaled", "SImm9", "SImm7Scaled", "ImmLogic", "MoveWide",
    "FpImm8", "BranchImm26", "BranchImm19", "BranchImm14", "AdrImm21",
    "AdrpImm21", "decode_bit_masks",
]

_MASK64 = (1 << 64) - 1


class Imm12:
    """The add/sub immediate: 0..4095, optionally shifted left by 12.

    ``bits`` is ``sh:imm12`` (13 bits), the layout of bits 22..10 of the
    add/sub (immediate) format.
    """

    __slots__ = ("imm12", "shift12")

    def __init__(self, imm12: int, shift12: bool) -> None:
        self.imm12 = imm12
        self.shift12 = shift12

    @staticmethod
    def field(value: int) -> int | None:
        if 0 <= value < 0x1000:
            return value
        if value & 0xFFF == 0 and 0 < value < 0x100_0000:
            return 0x1000 | value >> 12
        return None

    @classmethod
    def try_from(cls, value: int) -> Imm12 | None:
        bits = cls.field(value)
        return None if bits is None else cls(bits & 0xFFF, bool(bits >> 12))

    @property
    def bits(self) -> int:
        return self.shift12 << 12 | self.imm12

    @property
    def value(self) -> int:
        return self.imm12 << (12 if self.shift12 else 0)

    def __repr__(self) -> str:
        return f"Imm12({self.imm12}{', lsl #12' if self.shift12 else ''})"


class UImm12Scaled:
    """The unsigned offset of ldr/str (immediate): a multiple of `scale`
    (the access size in bytes) in 0..4095*scale; ``bits`` is offset/scale."""

    __slots__ = ("value", "scale")

    def __init__(self, value: int, scale: int) -> None:
        self.value = value
        self.scale = scale

    @staticmethod
    def field(value: int, scale: int) -> int | None:
        if value >= 0 and value % scale == 0 and value < scale << 12:
            return value // scale
        return None

    @classmethod
    def try_from(cls, value: int, scale: int) -> UImm12Scaled | None:
        return None if cls.field(value, scale) is None else cls(value, scale)

    @property
    def bits(self) -> int:
        return self.value // self.scale

    def __repr__(self) -> str:
        return f"UImm12Scaled({self.value}, scale={self.scale})"


class _SignedField:
    """A signed immediate, in units of `scale` bytes, stored in `width`
    bits two's complement.  Subclasses set `width` and `scale`; the
    subclass hook then builds their `field` function with the limits bound
    as constants (it runs once per encoded branch, so it is kept lean)."""

    __slots__ = ("value",)
    width = 0
    scale = 1

    def __init__(self, value: int) -> None:
        self.value = value

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        limit = cls.scale << (cls.width - 1)
        lo, hi, align = -limit, limit - cls.scale, cls.scale - 1
        shift, mask = cls.scale.bit_length() - 1, (1 << cls.width) - 1
        assert 1 << shift == cls.scale, "scale must be a power of two"

        def field(value: int) -> int | None:
            """The two's complement field for byte offset `value`, or None."""
            if lo <= value <= hi and not value & align:
                return (value >> shift) & mask
            return None

        cls.field = staticmethod(field)

    @classmethod
    def try_from(cls, value: int) -> _SignedField | None:
        return None if cls.field(value) is None else cls(value)

    @classmethod
    def range_text(cls) -> str:
        """The allowed values, for error messages."""
        limit = cls.scale << (cls.width - 1)
        text = f"{-limit}..{limit - cls.scale}"
        return text if cls.scale == 1 else f"{text}, a multiple of {cls.scale}"

    @property
    def bits(self) -> int:
        return (self.value // self.scale) & ((1 << self.width) - 1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value})"


class SImm9(_SignedField):
    """The unscaled signed byte offset of ldur/stur and pre/post-index
    loads and stores: -256..255."""

    width = 9


class SImm7Scaled:
    """The offset of ldp/stp: a multiple of `scale` (4 or 8) in
    -64*scale..63*scale; ``bits`` is offset/scale in 7 bits."""

    __slots__ = ("value", "scale")

    def __init__(self, value: int, scale: int) -> None:
        self.value = value
        self.scale = scale

    @staticmethod
    def field(value: int, scale: int) -> int | None:
        if -64 * scale <= value < 64 * scale and value % scale == 0:
            return (value // scale) & 0x7F
        return None

    @classmethod
    def try_from(cls, value: int, scale: int) -> SImm7Scaled | None:
        return None if cls.field(value, scale) is None else cls(value, scale)

    @property
    def bits(self) -> int:
        return (self.value // self.scale) & 0x7F

    def __repr__(self) -> str:
        return f"SImm7Scaled({self.value}, scale={self.scale})"


# --- branch and pc-relative offsets (signed byte offsets from the instruction)

class BranchImm26(_SignedField):
    """b/bl: a multiple of 4 in -128 MiB..128 MiB-4 (imm26, in words)."""

    width, scale = 26, 4


class BranchImm19(_SignedField):
    """b.cond, cbz/cbnz, ldr (literal): a multiple of 4 in
    -1 MiB..1 MiB-4 (imm19, in words)."""

    width, scale = 19, 4


class BranchImm14(_SignedField):
    """tbz/tbnz: a multiple of 4 in -32 KiB..32 KiB-4 (imm14, in words)."""

    width, scale = 14, 4


class AdrImm21(_SignedField):
    """adr: any byte offset in -1 MiB..1 MiB-1.

    ``bits`` is the 21-bit field; the instruction splits it into immlo (the
    low 2 bits) and immhi (the high 19)."""

    width = 21


class AdrpImm21(_SignedField):
    """adrp: a page delta in bytes, a multiple of 4096 in -4 GiB..4 GiB-4096
    (imm21 counts 4 KiB pages)."""

    width, scale = 21, 4096


# --- logical (bitmask) immediates

class ImmLogic:
    """A bitmask immediate of and/orr/eor/ands (N:immr:imms).

    The encodable values are: pick an element size e in 2, 4, 8, 16, 32, 64;
    an element is a run of 1..e-1 ones rotated right by 0..e-1; the value is
    that element replicated to fill the register.  0 and all-ones are never
    encodable.  A 32-bit value uses element sizes up to 32 (N=0).

    ``bits`` is ``N:immr:imms`` (13 bits), the layout of bits 22..10 of the
    logical (immediate) format.
    """

    __slots__ = ("value", "is64", "n", "immr", "imms")

    def __init__(self, value: int, is64: bool, n: int, immr: int, imms: int) -> None:
        self.value = value
        self.is64 = is64
        self.n = n
        self.immr = immr
        self.imms = imms

    @staticmethod
    def field(value: int, is64: bool = True) -> int | None:
        """N:immr:imms for `value` (either sign; taken modulo 2**64 or
        2**32), or None if it is not a bitmask immediate."""
        return _logic_bits(value & _MASK64 if is64 else value & 0xFFFF_FFFF, is64)

    @classmethod
    def try_from(cls, value: int, is64: bool = True) -> ImmLogic | None:
        if not (-(1 << 63) <= value <= _MASK64 if is64 else -(1 << 31) <= value <= 0xFFFF_FFFF):
            return None
        bits = cls.field(value, is64)
        if bits is None:
            return None
        width_mask = _MASK64 if is64 else 0xFFFF_FFFF
        return cls(value & width_mask, is64, bits >> 12, bits >> 6 & 0x3F, bits & 0x3F)

    @property
    def bits(self) -> int:
        return self.n << 12 | self.immr << 6 | self.imms

    def __repr__(self) -> str:
        return f"ImmLogic({self.value:#x}, n={self.n}, immr={self.immr}, imms={self.imms})"


@lru_cache(maxsize=4096)
def _logic_bits(value: int, is64: bool) -> int | None:
    # `value` is already reduced to the register width.
    if not is64:
        value |= value << 32  # a 32-bit pattern is a 64-bit one repeated twice
    if value == 0 or value == _MASK64:
        return None
    # Smallest element size whose replication gives back the value.
    size = 64
    while size > 2:
        half = size >> 1
        mask = (1 << half) - 1
        if (value & mask) != (value >> half) & mask:
            break
        size = half
    mask = (1 << size) - 1
    elt = value & mask
    ones = bin(elt).count("1")
    if elt & 1:
        # The run of ones may wrap around the element: look at the zeros,
        # which then form a run that does not wrap.
        zeros_run = ~elt & mask
        start = _ctz(zeros_run) + (size - ones)  # first one after the zeros
        if zeros_run >> _ctz(zeros_run) != (1 << (size - ones)) - 1:
            return None
    else:
        start = _ctz(elt)
        if elt >> start != (1 << ones) - 1:
            return None
    # elt == ROR(ones_run, immr); the run begins at bit `start`.
    immr = (size - start) % size
    # imms: the element size is the position of the highest zero in ~imms
    # (a unary prefix of ones), the run length minus one is below it.
    imms = (~(2 * size - 1) & 0x3F) | (ones - 1)
    n = 1 if size == 64 else 0
    return n << 12 | immr << 6 | imms


def _ctz(x: int) -> int:
    return (x & -x).bit_length() - 1


def decode_bit_masks(n: int, immr: int, imms: int, is64: bool = True) -> int | None:
    """The value of bitmask immediate N:immr:imms (the inverse of
    `ImmLogic`), or None for a reserved encoding."""
    length = (n << 6 | (~imms & 0x3F)).bit_length() - 1
    if length < 1 or (not is64 and n):
        return None
    size = 1 << length
    levels = size - 1
    s, r = imms & levels, immr & levels
    if s == levels:
        return None  # all ones in the element: reserved
    elt = (1 << (s + 1)) - 1
    elt = ((elt >> r) | (elt << (size - r))) & ((1 << size) - 1)
    value = 0
    for shift in range(0, 64 if is64 else 32, size):
        value |= elt << shift
    return value


# --- move wide

class MoveWide:
    """A movz/movn/movk operand: a 16-bit chunk and its position hw
    (shift = 16*hw; hw 0..3 for x, 0..1 for w).  ``bits`` is ``hw:imm16``
    (18 bits), the layout of bits 22..5 of the move wide format."""

    __slots__ = ("imm16", "hw")

    def __init__(self, imm16: int, hw: int) -> None:
        self.imm16 = imm16
        self.hw = hw

    @staticmethod
    def field(value: int, is64: bool = True) -> int | None:
        """hw:imm16 when `value` (unsigned, within the register width) has
        at most one non-zero 16-bit chunk."""
        if value < 0 or value >> (64 if is64 else 32):
            return None
        for hw in range(4 if is64 else 2):
            if value & ~(0xFFFF << 16 * hw) == 0:
                return hw << 16 | value >> 16 * hw
        return None

    @classmethod
    def try_from(cls, value: int, is64: bool = True) -> MoveWide | None:
        """The movz operand that produces `value`."""
        bits = cls.field(value, is64)
        return None if bits is None else cls(bits & 0xFFFF, bits >> 16)

    @classmethod
    def try_from_inverted(cls, value: int, is64: bool = True) -> MoveWide | None:
        """The movn operand that produces `value` (either sign), i.e. the
        movz operand of its bitwise complement."""
        width_mask = _MASK64 if is64 else 0xFFFF_FFFF
        if not -(width_mask >> 1) - 1 <= value <= width_mask:
            return None
        return cls.try_from(~value & width_mask, is64)

    @property
    def bits(self) -> int:
        return self.hw << 16 | self.imm16

    @property
    def shift(self) -> int:
        return 16 * self.hw

    def __repr__(self) -> str:
        return f"MoveWide({self.imm16:#x}, lsl #{self.shift})"


# --- floating point

class FpImm8:
    """The 8-bit immediate of fmov (scalar, immediate) for doubles:
    +-(16+m)/16 * 2**e with m 0..15 and e -3..4 (so 0.0 is not one).

    ``bits`` is imm8 = a:b:cdefgh where the double is
    a : NOT(b) : b*8 : cd : efgh : 0*48.
    """

    __slots__ = ("value", "bits")

    def __init__(self, value: float, bits: int) -> None:
        self.value = value
        self.bits = bits

    @staticmethod
    def field(value: float) -> int | None:
        try:
            raw = struct.unpack("<Q", struct.pack("<d", value))[0]
        except (struct.error, TypeError, OverflowError):
            return None
        if raw & ((1 << 48) - 1):
            return None
        b = raw >> 54 & 1
        if (raw >> 54 & 0xFF) != (0xFF if b else 0) or (raw >> 62 & 1) == b:
            return None
        return (raw >> 63) << 7 | b << 6 | (raw >> 48 & 0x3F)

    @classmethod
    def try_from(cls, value: float) -> FpImm8 | None:
        bits = cls.field(value)
        return None if bits is None else cls(float(value), bits)

    def __repr__(self) -> str:
        return f"FpImm8({self.value!r}, bits={self.bits:#04x})"
