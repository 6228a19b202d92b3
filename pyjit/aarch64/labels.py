"""Labels, and every range rule of AArch64 pc-relative fields in one table.

A `Label` is a position in a code buffer (buffer.py manages its state); a
`Fixup` is a pending branch use of one.  An instruction that refers to a
label through a pc-relative immediate field is a *label use*.  `LabelUse`
names the kinds of field; each kind knows

- its reach: `max_forward` and `max_backward`, in bytes from the use
  (`label - use` must lie in `[-max_backward, max_forward]`);
- the alignment the distance must have (`alignment`);
- how to patch the field of an instruction word (`patch`) and read it back
  (`target`), by field arithmetic alone: no encoder is involved;
- which instructions may carry it (`accepts`);
- which `Veneer` extends its reach when the label is too far, if any.

=========  =================  ====================  =====  ========
use        instructions       reach (bytes)         align  veneer
=========  =================  ====================  =====  ========
BRANCH26   b, bl              -128 MiB..+128 MiB-4  4      ABSOLUTE
BRANCH19   b.cond, cbz, cbnz  -1 MiB..+1 MiB-4      4      BRANCH
BRANCH14   tbz, tbnz          -32 KiB..+32 KiB-4    4      BRANCH
LDR19      ldr (literal)      -1 MiB..+1 MiB-4      4      none
ADR21      adr                -1 MiB..+1 MiB-1      1      none
ADRP21     adrp               -4 GiB..+4 GiB-4 KiB  page   none
=========  =================  ====================  =====  ========

ADRP21 encodes a difference of 4 KiB page numbers, `page(label) -
page(use)`, which equals the page difference of the final addresses only if
the code is loaded at a 4 KiB-aligned address: the code buffer assumes it.
Its byte reach above is the distance that is safe wherever in its page the
use sits; `patch` checks the exact page difference.

Veneers: a `BRANCH` veneer is one `b label` placed within reach of the short
branch (which is patched to jump to it); the veneer itself is a BRANCH26
use.  An `ABSOLUTE` veneer is `ldr x16, #8; br x16; .quad label`, the
8-byte literal after it holding the label's address (filled at load time):
it reaches anywhere and clobbers x16 (IP0), which the ABI reserves for such
sequences.  LDR19 and ADR21 have no
veneer: their target itself must come within reach (literal pools are placed
by deadline for that reason).
"""

from __future__ import annotations

from enum import Enum


class LabelError(ValueError):
    """A label is misused: bound twice, never bound, foreign to the buffer."""


class LabelRangeError(LabelError):
    """A label is out of reach of a use, or at a distance the field cannot
    encode (misaligned)."""


class Veneer(Enum):
    """A sequence that extends the reach of a label use.

    code_size and literal_size are in bytes; `use` is the label use the
    veneer itself makes of the label (None when it loads an absolute
    address instead).
    """

    BRANCH = ("b label", 4, 0)
    ABSOLUTE = ("ldr x16, #8; br x16; .quad label", 8, 8)

    def __init__(self, text: str, code_size: int, literal_size: int):
        self.text = text
        self.code_size = code_size
        self.literal_size = literal_size

    @property
    def use(self) -> LabelUse | None:
        return LabelUse.BRANCH26 if self is Veneer.BRANCH else None


class _Field:
    """A signed immediate field of an instruction word.

    Contiguous fields occupy bits [lo, lo + bits); the split field of
    adr/adrp keeps the two low bits of the value in immlo (bits 30:29) and
    the other 19 in immhi (bits 23:5).
    """

    def __init__(self, name: str, lo: int, bits: int, split: bool = False):
        self.name = name
        self.lo = lo
        self.bits = bits
        self.split = split
        if split:
            self.mask = 0b11 << 29 | ((1 << 19) - 1) << 5
        else:
            self.mask = ((1 << bits) - 1) << lo

    def insert(self, word: int, value: int) -> int:
        value &= (1 << self.bits) - 1
        if self.split:
            bits = (value & 0b11) << 29 | (value >> 2) << 5
        else:
            bits = value << self.lo
        return (word & ~self.mask & 0xFFFF_FFFF) | bits

    def extract(self, word: int) -> int:
        if self.split:
            value = ((word >> 5) & ((1 << 19) - 1)) << 2 | (word >> 29) & 0b11
        else:
            value = (word >> self.lo) & ((1 << self.bits) - 1)
        sign = 1 << (self.bits - 1)
        return (value ^ sign) - sign


_IMM26 = _Field("imm26", 0, 26)
_IMM19 = _Field("imm19", 5, 19)
_IMM14 = _Field("imm14", 5, 14)
_IMMHILO = _Field("immhi:immlo", 5, 21, split=True)

# (mask, value) pairs of the opcode bits of the instructions that carry a use.
_B_BL = ((0x7C00_0000, 0x1400_0000),)
_BCOND_CBZ = ((0xFF00_0010, 0x5400_0000), (0x7E00_0000, 0x3400_0000))
_TBZ = ((0x7E00_0000, 0x3600_0000),)
_LDR_LITERAL = ((0x3B00_0000, 0x1800_0000),)  # ldr/ldrsw/prfm (literal), GPR and FP/SIMD
_ADR = ((0x9F00_0000, 0x1000_0000),)
_ADRP = ((0x9F00_0000, 0x9000_0000),)

_PAGE = 4096


class LabelUse(Enum):
    """The kinds of pc-relative field.  See the module docstring's table."""

    #          field     unit    veneer           instructions    mnemonics
    BRANCH26 = (_IMM26,   4,     Veneer.ABSOLUTE, _B_BL,          "b, bl")
    BRANCH19 = (_IMM19,   4,     Veneer.BRANCH,   _BCOND_CBZ,     "b.cond, cbz, cbnz")
    BRANCH14 = (_IMM14,   4,     Veneer.BRANCH,   _TBZ,           "tbz, tbnz")
    LDR19 = (_IMM19,      4,     None,            _LDR_LITERAL,   "ldr (literal)")
    ADR21 = (_IMMHILO,    1,     None,            _ADR,           "adr")
    ADRP21 = (_IMMHILO,   _PAGE, None,            _ADRP,          "adrp")

    def __init__(self, field: _Field, unit: int, veneer: Veneer | None,
                 opcodes: tuple[tuple[int, int], ...], mnemonics: str):
        self.field = field
        self.unit = unit
        self.veneer = veneer
        self.opcodes = opcodes
        self.mnemonics = mnemonics
        # True for uses whose target is code (b, b.cond, cbz, tbz...).
        self.is_branch = veneer is not None
        half = 1 << (field.bits - 1)
        if unit == _PAGE:
            # Safe byte distances wherever the use sits in its page (see
            # the module docstring); `patch` checks the exact page delta.
            self.max_forward = half * _PAGE - _PAGE
            self.max_backward = half * _PAGE
            self.alignment = 1
        else:
            self.max_forward = (half - 1) * unit
            self.max_backward = half * unit
            self.alignment = unit

    # Members are singletons: hashed by identity, in C (Enum's __hash__
    # hashes the name in Python, and the buffer looks uses up per fixup).
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<LabelUse.{self.name}>"

    def accepts(self, word: int) -> bool:
        """True if `word` is an instruction that carries this kind of field."""
        for mask, value in self.opcodes:
            if word & mask == value:
                return True
        return False

    def distance(self, use_offset: int, label_offset: int) -> int:
        """The value the field encodes for a label at label_offset used at
        use_offset: a byte distance divided by the unit, or a page delta."""
        if self.unit == _PAGE:
            return (label_offset // _PAGE) - (use_offset // _PAGE)
        return (label_offset - use_offset) // self.unit

    def in_range(self, use_offset: int, label_offset: int) -> bool:
        """True if the field can encode label_offset from use_offset."""
        delta = label_offset - use_offset
        if self.unit == _PAGE:
            half = 1 << (self.field.bits - 1)
            return -half <= (label_offset // _PAGE) - (use_offset // _PAGE) < half
        return -self.max_backward <= delta <= self.max_forward and not delta % self.unit

    def patch(self, word: int, use_offset: int, label_offset: int) -> int:
        """`word` with its field set to refer to label_offset.

        Offsets are byte offsets in the same buffer (or absolute addresses,
        both alike).  Whatever the field held before is replaced.  Raises
        LabelRangeError when the label is out of reach or misaligned.
        """
        if self.unit == _PAGE:
            if not self.in_range(use_offset, label_offset):
                raise LabelRangeError(self.describe_miss(use_offset, label_offset))
            return self.field.insert(word, self.distance(use_offset, label_offset))
        # in_range and distance in one step: every branch and literal use
        # of a function comes through here.
        delta = label_offset - use_offset
        if not -self.max_backward <= delta <= self.max_forward or delta % self.unit:
            raise LabelRangeError(self.describe_miss(use_offset, label_offset))
        return self.field.insert(word, delta // self.unit)

    def target(self, word: int, use_offset: int) -> int:
        """The offset `word` (at use_offset) refers to: the inverse of patch.
        For ADRP21, the start of the target's page."""
        value = self.field.extract(word)
        if self.unit == _PAGE:
            return (use_offset // _PAGE + value) * _PAGE
        return use_offset + value * self.unit

    def describe_miss(self, use_offset: int, label_offset: int) -> str:
        delta = label_offset - use_offset
        if self.unit != _PAGE and delta % self.unit:
            why = f"a distance of {delta} bytes is not a multiple of {self.unit}"
        else:
            why = (f"a distance of {delta} bytes is out of reach "
                   f"(-{self.max_backward}..+{self.max_forward})")
        return (f"{self.name} ({self.mnemonics}) at offset {use_offset:#x} cannot refer "
                f"to offset {label_offset:#x}: {why}")


class Label:
    """A position in a code buffer.  Create with `CodeBuffer.new_label`
    (code labels) or `CodeBuffer.literal*` (literal labels); compare by
    identity.  Its state belongs to the buffer that made it, which `owner`
    names by a token of the buffer's, not the buffer itself (no reference
    cycle: a finished buffer and its labels are freed by reference counting)."""

    __slots__ = ("name", "index", "_owner", "_offset", "_pending", "_other")

    def __init__(self, owner: object, index: int, name: str):
        self.name = name
        self.index = index
        self._owner = owner
        self._offset: int | None = None
        # Pending uses: BRANCH14, BRANCH19, BRANCH26 fixups, then the
        # LDR19/ADR21/ADRP21 uses (offset, use) that wait for the binding.
        self._pending: tuple[list[Fixup], list[Fixup], list[Fixup]] = ([], [], [])
        self._other: list[tuple[int, LabelUse]] = []

    def __repr__(self) -> str:
        where = "unbound" if self._offset is None else f"at {self._offset:#x}"
        return f"<Label {self.name!r} #{self.index} {where}>"


class Fixup:
    """A pending branch use (BRANCH14/19/26) of a label: the instruction at
    offset must be patched to reach label by `deadline`.  done is set when
    it has been resolved (its heap entry is then stale)."""

    __slots__ = ("offset", "use", "label", "deadline", "done")

    def __init__(self, offset: int, use: LabelUse, label: Label):
        self.offset = offset
        self.use = use
        self.label = label
        self.deadline = offset + use.max_forward
        self.done = False
