"""The syntax of AArch64 assembly text (LLVM/GNU flavour), without encodings.

`parse_source(text)` turns a whole text into `Statement`s, one per label
definition, instruction or directive, each tagged with its `Source` (line
number and text).  A statement that does not parse becomes a `SyntaxProblem`
in the same stream, so a caller can stop at the first one or collect them
all.  Nothing here knows what an instruction means: operands are plain syntax
nodes, and `asmtext.py` turns them into the values `isa.py` takes.

Lexical rules (those of `llvm-mc -triple=aarch64`, plus two comment forms):

- `//` starts a comment that runs to the end of the line; `/* ... */` may
  span lines (line numbers are kept).
- A line whose first non-blank character is `#` or `;` is a comment (cpp
  line markers, Darwin-style comments).  Elsewhere `#` introduces an
  immediate and `;` separates statements, as in llvm-mc for ELF targets.
- `name:` defines a label and may be followed by a statement on the same
  line.  A decimal `N:` defines a numeric local label, referred to as `Nf`
  (the next definition) or `Nb` (the previous one).
- Integers are decimal, `0x` hex, `0b` binary or, with a leading `0`, octal
  (as llvm-mc reads them), optionally signed; the `#` before an immediate
  is optional.  A number with a `.` or an exponent is a float (`#1.0`).
- Mnemonics, registers, shifts, conditions and barrier options are
  case-insensitive; label names are case-sensitive.

Operand nodes, each printing itself in canonical form (lowercase, `, `
between parts):

- `Reg`                         x0, w1, sp, d2 (fp/lr print as x29/x30)
- `Imm(value, hex)`             #8, #-16, #0xff
- `FImm(value, text)`           #1.0, #-2.5
- `ShiftSpec(op, amount)`       lsl #3, sxtw #2, uxtw (follows a register or
                                an immediate as an operand of its own)
- `Memory(base, offset, index, shift, writeback)`
                                [x0], [x0, #8], [x0, #8]!, [x0, x1, lsl #3];
                                `[x0], #8` is a Memory then an Imm operand
- `Symbol(name)`                a label, condition, barrier or system
                                operation name, as written
- `LocalRef(number, forward)`   1f, 2b
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Union

from .operands import EXTEND_OPS, SHIFT_OPS
from .registers import Reg, parse_reg


class StatementError(ValueError):
    """A statement that cannot be parsed (here) or lowered (asmtext.py);
    the message says why.  `assemble` attaches the line to it in AsmError."""


# -- operand nodes -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Imm:
    """An integer immediate; `hex` remembers the spelling for printing."""

    value: int
    hex: bool = False

    def __str__(self) -> str:
        if self.hex:
            return f"#{'-' if self.value < 0 else ''}0x{abs(self.value):x}"
        return f"#{self.value}"


@dataclass(frozen=True, slots=True)
class FImm:
    """A floating-point immediate, printed as written (`#1.0`)."""

    value: float
    text: str

    def __str__(self) -> str:
        return f"#{self.text}"


@dataclass(frozen=True, slots=True)
class ShiftSpec:
    """A shift or extend operator with an optional amount: `lsl #3`, `uxtw`."""

    op: str
    amount: Imm | None = None

    def __str__(self) -> str:
        return self.op if self.amount is None else f"{self.op} {self.amount}"


@dataclass(frozen=True, slots=True)
class Memory:
    """A bracketed address: `[base{, #offset | , index{, shift}}]{!}`."""

    base: Reg
    offset: Imm | None = None
    index: Reg | None = None
    shift: ShiftSpec | None = None
    writeback: bool = False

    def __str__(self) -> str:
        parts = [self.base.name]
        if self.offset is not None:
            parts.append(str(self.offset))
        if self.index is not None:
            parts.append(self.index.name)
        if self.shift is not None:
            parts.append(str(self.shift))
        return "[" + ", ".join(parts) + "]" + ("!" if self.writeback else "")


@dataclass(frozen=True, slots=True)
class Symbol:
    """A bare name: label, condition code, barrier option or system op."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class LocalRef:
    """A reference to numeric local label `number`: `1f` or `1b`."""

    number: int
    forward: bool

    def __str__(self) -> str:
        return f"{self.number}{'f' if self.forward else 'b'}"


Operand = Union[Reg, Imm, FImm, ShiftSpec, Memory, Symbol, LocalRef]


# -- statements --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Source:
    """Where a statement comes from: 1-based line number and its text."""

    lineno: int
    text: str


@dataclass(frozen=True, slots=True)
class LabelDef:
    """`name:`; `name` is a symbol, or the decimal digits of a local label."""

    name: str
    src: Source

    @property
    def is_local(self) -> bool:
        return self.name.isdigit()


@dataclass(frozen=True, slots=True)
class Instruction:
    """`mnemonic operand, operand, ...`; the mnemonic is lowercase."""

    mnemonic: str
    operands: tuple[Operand, ...]
    src: Source

    @property
    def operand_text(self) -> str:
        return ", ".join(str(op) for op in self.operands)

    def __str__(self) -> str:
        ops = self.operand_text
        return f"{self.mnemonic}\t{ops}" if ops else self.mnemonic


@dataclass(frozen=True, slots=True)
class Directive:
    """`.name arg, arg, ...`; the name is lowercase with its dot, the
    arguments are raw text (their meaning depends on the directive)."""

    name: str
    args: tuple[str, ...]
    src: Source

    @property
    def operand_text(self) -> str:
        return ", ".join(self.args)

    def __str__(self) -> str:
        return f"{self.name}\t{self.operand_text}" if self.args else self.name


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """A statement that did not parse, in place of the statement."""

    reason: str
    src: Source


Statement = Union[LabelDef, Instruction, Directive]


# -- lexical patterns ----------------------------------------------------------

_IDENT = r"[A-Za-z_.$][\w.$]*"
_LABEL_DEF = re.compile(rf"\s*({_IDENT}|\d+)\s*:(?!:)")
_MNEMONIC = re.compile(r"[A-Za-z][\w.]*")
_DIRECTIVE = re.compile(r"\.[A-Za-z_][\w.]*")
_SYMBOL = re.compile(rf"{_IDENT}$")
_LOCAL_REF = re.compile(r"(\d+)([fb])$", re.IGNORECASE)
_INT = re.compile(r"([+-]?)(0x[0-9a-f]+|0b[01]+|0[0-7]*|[1-9][0-9]*)$", re.IGNORECASE)
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+(?=e))(e[+-]?\d+)?$", re.IGNORECASE)
_REG_LIKE = re.compile(r"([xwbhsdqv])(\d+)$", re.IGNORECASE)
_SHIFT_OPS = (*SHIFT_OPS, *EXTEND_OPS, "msl")
_SHIFT = re.compile(rf"({'|'.join(_SHIFT_OPS)})(?:\s+(.*))?$", re.IGNORECASE)
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_INT_BASES = {"0x": 16, "0b": 2}


# -- operands ----------------------------------------------------------------

def parse_int(text: str) -> Imm:
    """`text` (with or without `#`) as an integer immediate."""
    body = text.strip()
    body = body[1:].strip() if body.startswith("#") else body
    m = _INT.match(body)
    if m is None:
        raise StatementError(f"expected an integer, got {text.strip()!r}")
    sign, digits = m.groups()
    prefix = digits[:2].lower()
    if prefix in _INT_BASES:
        value = int(digits[2:], _INT_BASES[prefix])
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits, 8)
    else:
        value = int(digits, 10)
    return Imm(-value if sign == "-" else value, hex=prefix == "0x")


def _parse_immediate(text: str) -> Imm | FImm:
    body = text[1:].strip() if text.startswith("#") else text
    if _FLOAT.match(body):
        return FImm(float(body), body.lstrip("+").lower())
    return parse_int(text)


def _parse_register(text: str) -> Reg:
    reg = parse_reg(text)
    if reg is not None:
        return reg
    m = _REG_LIKE.match(text)
    if m is not None:
        if int(m.group(2)) > 31:
            raise StatementError(f"invalid register {text!r}: registers are numbered 0..31")
        raise StatementError(
            f"unsupported register {text!r}: only x, w and d registers are supported")
    raise StatementError(f"expected a register, got {text!r}")


def _looks_like_register(text: str) -> bool:
    return parse_reg(text) is not None or _REG_LIKE.match(text) is not None


def _parse_shift(text: str) -> ShiftSpec | None:
    m = _SHIFT.match(text)
    if m is None:
        return None
    op, amount = m.group(1).lower(), m.group(2)
    return ShiftSpec(op, parse_int(amount) if amount else None)


def _parse_memory(text: str) -> Memory:
    close = text.find("]")
    if close < 0:
        raise StatementError(f"missing ']' in {text!r}")
    tail = text[close + 1:].strip()
    if tail not in ("", "!"):
        raise StatementError(f"unexpected {tail!r} after ']' in {text!r}")
    parts = [p.strip() for p in text[1:close].split(",")]
    base = _parse_register(parts[0])
    offset = index = shift = None
    if len(parts) >= 2:
        if _looks_like_register(parts[1]):
            index = _parse_register(parts[1])
        else:
            node = _parse_immediate(parts[1])
            if isinstance(node, FImm):
                raise StatementError(f"address offset must be an integer, got {parts[1]!r}")
            offset = node
    if len(parts) >= 3:
        shift = _parse_shift(parts[2])
        if index is None or shift is None:
            raise StatementError(
                f"unexpected {parts[2]!r} in {text!r}: only a register index takes a shift/extend")
    if len(parts) > 3:
        raise StatementError(f"too many parts in address {text!r}")
    writeback = tail == "!"
    if writeback and offset is None:
        raise StatementError(f"pre-index writeback needs an immediate offset: {text!r}")
    return Memory(base, offset, index, shift, writeback)


def parse_operand(text: str) -> Operand:
    """One comma-separated operand (the parts of a `[...]` kept together)."""
    text = text.strip()
    if not text:
        raise StatementError("empty operand")
    if text.startswith("["):
        return _parse_memory(text)
    if text[0] in "#+-" or text[0].isdigit() or re.match(r"\.\d", text):
        m = _LOCAL_REF.match(text)
        if m is not None:
            return LocalRef(int(m.group(1)), m.group(2).lower() == "f")
        return _parse_immediate(text)
    shift = _parse_shift(text)
    if shift is not None:
        return shift
    if _looks_like_register(text):
        return _parse_register(text)
    if _SYMBOL.match(text):
        return Symbol(text)
    raise StatementError(f"cannot parse operand {text!r}")


def split_operands(text: str) -> list[str]:
    """Split at the commas outside brackets: `x0, [x1, #8]` -> 2 parts."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
            if depth < 0:
                raise StatementError(f"unbalanced {ch!r}")
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise StatementError("unbalanced '['")
    parts.append(text[start:])
    parts = [p.strip() for p in parts]
    if parts == [""]:
        return []
    if "" in parts:
        raise StatementError("empty operand")
    return parts


# -- statements --------------------------------------------------------------

def _parse_statement(text: str, src: Source) -> Iterator[Statement]:
    """The label definitions, then the instruction or directive, of one
    `;`-separated statement."""
    while (m := _LABEL_DEF.match(text)) is not None:
        yield LabelDef(m.group(1), src)
        text = text[m.end():]
    text = text.strip()
    if not text:
        return
    m = _DIRECTIVE.match(text) or _MNEMONIC.match(text)
    if m is None:
        raise StatementError(f"expected a mnemonic, got {text.split()[0]!r}")
    name, rest = m.group(0).lower(), text[m.end():]
    if rest and not rest[0].isspace():
        raise StatementError(f"unexpected {rest[0]!r} after {m.group(0)!r}")
    parts = split_operands(rest)
    if name.startswith("."):
        yield Directive(name, tuple(parts), src)
    else:
        yield Instruction(name, tuple(parse_operand(p) for p in parts), src)


def parse_line(line: str, lineno: int) -> list[Statement | SyntaxProblem]:
    """Every statement of one line, block comments already blanked out.

    A `;`-separated statement that does not parse becomes a SyntaxProblem
    (with the statement's text); the other statements of the line stand.
    """
    code = line.split("//", 1)[0]
    stripped = code.strip()
    if not stripped or stripped[0] in "#;":
        return []
    out: list[Statement | SyntaxProblem] = []
    for piece in code.split(";"):
        src = Source(lineno, piece.strip())
        if not src.text:
            continue
        try:
            out.extend(_parse_statement(piece, src))
        except StatementError as exc:
            out.append(SyntaxProblem(str(exc), src))
    return out


def parse_source(text: str) -> Iterator[Statement | SyntaxProblem]:
    """Every statement of `text` in order, a SyntaxProblem in place of each
    statement that does not parse."""
    text = _BLOCK_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n") + " ", text)
    for lineno, line in enumerate(text.splitlines(), start=1):
        if "/*" in line.split("//", 1)[0]:
            yield SyntaxProblem("unterminated /* comment", Source(lineno, line.strip()))
            return
        yield from parse_line(line, lineno)
