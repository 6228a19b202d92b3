"""Assemble AArch64 assembly text into a `CodeBuffer`.

    result = assemble("loop: subs x0, x0, #1\\n b.ne loop\\n ret\\n")
    result.code.data        # the machine code (a CompiledCode)
    result.lines            # per statement: line number, text, offset, bytes

The syntax is llvm-mc's (see `asmsyntax.py` for the lexical rules); what an
instruction means is `isa.py`'s: an instruction line is looked up in
`isa.MNEMONICS` and its operands are turned into the values the builder
takes, by rules that hold for every mnemonic:

- `b.<cond>` (any `<base>.<cond>`) calls `<base>.cond` with the condition
  first;
- `ldr`/`ldrsw` with a label or immediate instead of an address is the
  literal form (`ldr_literal`, `ldrsw_literal`);
- `reg, <shift> #n` is `Shifted`, `reg, <extend> #n` is `Extended`;
  `#imm, lsl #n` is the value `imm << n` for add/sub/cmp/cmn (n 0 or 12)
  and the two arguments `imm, n` for movz/movk/movn;
- `[base]`, `[base, #off]` are `Mem`, `[base, #off]!` is `PreIndex`,
  `[base], #off` is `PostIndex`, `[base, index{, ext #n}]` is `RegOffset`;
- a name is a label when it is the target of a PC-relative instruction,
  else a `Cond` when it names a condition (`eq`, ..., `cs`/`cc`), else a
  lowercase string for the builder to check (barrier options `dmb ish`,
  cache operations `dc cvau, x0`, system registers);
- an immediate target is a byte offset from the instruction.

An instruction whose target is a label is emitted with offset 0 through
`CodeBuffer.emit_use`, so the buffer resolves it (and knows its reach: a
branch out of reach gets a veneer, an adr/ldr literal out of reach is an
error).  Data directives (`.byte`, `.hword`, `.word`, `.quad`/`.xword`,
`.inst`) emit their values little-endian; `.p2align`/`.align`/`.balign` pad
with zeros to a 4-byte boundary, then with `nop`s, as llvm-mc does in code;
`.text`, `.globl`, `.type` and `.size` are accepted and ignored.

`AsmResult.lines` accounts for every byte of the code, in order: besides
one line per statement, an implicit `.p2align 2` line pads an instruction
that follows unaligned data, and an "island" line holds what the buffer
placed by itself (veneers).

Errors: the first statement that does not parse, names an unknown mnemonic
or label, or does not encode raises `AsmError` with its line number, text
and reason (an `EncodingError`'s message as is).  With `keep_going=True`
every bad statement is reported, in one `AsmError` whose `errors` lists them.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

from . import isa
from .asmsyntax import (Directive, FImm, Imm, Instruction, LabelDef, LocalRef, Memory, Operand,
                        ShiftSpec, Source, StatementError, Symbol, SyntaxProblem, parse_int,
                        parse_operand, parse_source)
from .buffer import CodeBuffer, CompiledCode, Label
from .labels import LabelRangeError, LabelUse
from .operands import (EXTEND_OPS, SHIFT_OPS, Cond, EncodingError, Extended, Mem, PostIndex,
                       PreIndex, RegOffset, Shifted)
from .registers import Reg


class AsmError(Exception):
    """A statement that cannot be assembled.

    `lineno` and `text` locate it, `reason` says why.  When several
    statements were bad (`keep_going=True`), `errors` lists one AsmError per
    bad statement in source order and this one is the first of them.
    """

    def __init__(self, lineno: int, text: str, reason: str) -> None:
        super().__init__(f"line {lineno}: {text}: {reason}")
        self.lineno = lineno
        self.text = text
        self.reason = reason
        self.errors: list[AsmError] = [self]


@dataclass(frozen=True, slots=True)
class AsmLine:
    """One assembled statement.

    kind is "label", "instruction", "data" (data and alignment directives),
    "directive" (ignored ones) or "island" (bytes the buffer added: veneers
    for far branches, shown as `.inst` words); op is the mnemonic, directive
    or label name and operands the canonical operand text.  data holds the bytes
    the statement put at `offset` in the final code, branches resolved
    (zeros of the right length until the buffer is finished).
    """

    lineno: int
    kind: str
    op: str
    operands: str
    offset: int
    data: bytes = b""

    @property
    def text(self) -> str:
        if self.kind == "label":
            return f"{self.op}:"
        return f"{self.op}\t{self.operands}" if self.operands else self.op


@dataclass
class AsmResult:
    """The assembled code and, in source order, what each statement gave."""

    code: CompiledCode
    lines: list[AsmLine] = field(default_factory=list)

    @property
    def data(self) -> bytes:
        return self.code.data


# -- how syntax maps onto isa builders ----------------------------------------

# The literal (PC-relative) form of a load when its operand is not an address.
_LITERAL_FORMS = {"ldr": "ldr_literal", "ldrsw": "ldrsw_literal"}

# Builders whose last argument is a PC-relative byte offset, and the buffer's
# label use that patches it when the operand is a label.
_LABEL_USES = {
    "b": LabelUse.BRANCH26, "bl": LabelUse.BRANCH26,
    "b.cond": LabelUse.BRANCH19, "cbz": LabelUse.BRANCH19, "cbnz": LabelUse.BRANCH19,
    "tbz": LabelUse.BRANCH14, "tbnz": LabelUse.BRANCH14,
    "ldr_literal": LabelUse.LDR19, "ldrsw_literal": LabelUse.LDR19,
    "adr": LabelUse.ADR21, "adrp": LabelUse.ADRP21,
}

_LABEL_TARGETS = f"labels are targets of {', '.join(sorted(_LABEL_USES))}"

# The builders that take `#imm, lsl #n`, and how: add/sub take the value
# imm << n (n 0 or 12, as the encoding has), move-wide takes (imm16, n).
_SHIFTED_IMMEDIATES = {**dict.fromkeys(("add", "adds", "sub", "subs", "cmp", "cmn"), "fold"),
                       **dict.fromkeys(("movz", "movk", "movn"), "split")}

_DATA_SIZES = {".byte": 1, ".hword": 2, ".short": 2, ".half": 2, ".word": 4, ".long": 4,
               ".int": 4, ".inst": 4, ".quad": 8, ".xword": 8, ".dword": 8}
_ALIGN_DIRECTIVES = {".p2align": "log2", ".align": "log2", ".balign": "bytes"}
_IGNORED_DIRECTIVES = frozenset({".text", ".globl", ".global", ".type", ".size"})


def _condition(name: str) -> Cond | None:
    try:
        return Cond.parse(name)
    except EncodingError:
        return None


# -- lowering: one instruction's syntax -> one builder call ----------------------

@dataclass(frozen=True, slots=True)
class BuilderCall:
    """How an instruction is encoded: `builder(*args)`.

    name is the builder's key in isa.MNEMONICS ("add", "b.cond") or,
    for literal loads, its isa function name ("ldr_literal").  When the
    target operand is a label, `target` is that operand, `use` the buffer's
    LabelUse for it and the offset argument is 0 (the buffer patches it).
    """

    name: str
    builder: Callable[..., int]
    args: tuple
    target: Symbol | LocalRef | None = None

    @property
    def use(self) -> LabelUse | None:
        return _LABEL_USES[self.name] if self.target is not None else None

    def encode(self) -> int:
        """The instruction word; raises StatementError with the builder's reason."""
        try:
            inspect.signature(self.builder).bind(*self.args)
        except TypeError:
            raise StatementError(_arity_message(self.name, self.builder, len(self.args))) from None
        try:
            return self.builder(*self.args)
        except EncodingError as exc:
            raise StatementError(str(exc)) from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise StatementError(f"invalid operands for {self.name}: {exc}") from None


def lower(insn: Instruction) -> BuilderCall:
    """The builder call for `insn` (see the module docstring for the rules).

    Raises StatementError for an unknown mnemonic or operands that no
    builder takes; whether the values encode is the builder's business
    (`encode`).
    """
    name, builder, args, operands = _resolve(insn)
    target = None
    i = 0
    while i < len(operands):
        node = operands[i]
        nxt = operands[i + 1] if i + 1 < len(operands) else None
        i += 1
        if isinstance(nxt, ShiftSpec) and isinstance(node, (Reg, Imm)):
            args.extend(_shifted(name, node, nxt))
            i += 1
        elif isinstance(node, Memory):
            post = nxt if isinstance(nxt, Imm) else None
            args.append(_address(node, post))
            i += post is not None
        elif isinstance(node, (Imm, FImm)):
            args.append(node.value)
        elif isinstance(node, Reg):
            args.append(node)
        elif isinstance(node, (Symbol, LocalRef)) and name in _LABEL_USES and i == len(operands):
            target = node
            args.append(0)
        elif isinstance(node, Symbol):
            args.append(_keyword(node))
        elif isinstance(node, ShiftSpec):
            raise StatementError(f"'{node}' must follow a register or an immediate")
        else:
            raise StatementError(f"label {node} is not allowed here: {_LABEL_TARGETS}")
    return BuilderCall(name, builder, tuple(args), target)


def _resolve(insn: Instruction) -> tuple[str, Callable[..., int], list, list[Operand]]:
    """The builder's name and function, the leading arguments the mnemonic
    itself gives (a condition), and the operands left to convert."""
    mnemonic, operands = insn.mnemonic, list(insn.operands)
    literal = _LITERAL_FORMS.get(mnemonic)
    if literal is not None and not any(isinstance(op, Memory) for op in operands):
        return literal, getattr(isa, literal), [], operands
    base, dot, suffix = mnemonic.partition(".")
    if dot and (cond := _condition(suffix)) is not None:
        return f"{base}.cond", _lookup(f"{base}.cond", mnemonic), [cond], operands
    return mnemonic, _lookup(mnemonic, mnemonic), [], operands


def _lookup(key: str, written: str) -> Callable[..., int]:
    builder = isa.MNEMONICS.get(key)
    if builder is None:
        raise StatementError(f"unknown mnemonic {written!r}")
    return builder


def _keyword(node: Symbol) -> Cond | str:
    """A name that is not a label: a condition, or a word for the builder."""
    lower_name = node.name.lower()
    cond = _condition(lower_name)
    return lower_name if cond is None else cond


def _shifted(name: str, node: Reg | Imm, spec: ShiftSpec) -> list:
    amount = spec.amount.value if spec.amount is not None else 0
    if isinstance(node, Imm):
        how = _SHIFTED_IMMEDIATES.get(name)
        if how is None:
            raise StatementError(f"{name} takes no shifted immediate ('{node}, {spec}')")
        if spec.op != "lsl":
            raise StatementError(f"an immediate can only be shifted by lsl, not {spec.op}")
        if how == "split":
            return [node.value, amount]
        if amount not in (0, 12):
            raise StatementError(
                f"{name}: immediate shift must be lsl #0 or lsl #12, not #{amount}")
        return [node.value << amount]
    if spec.op in SHIFT_OPS:
        return [Shifted(node, spec.op, amount)]
    if spec.op in EXTEND_OPS:
        return [Extended(node, spec.op, amount)]
    raise StatementError(f"shift {spec.op!r} is not supported")


def _address(mem: Memory, post: Imm | None) -> Mem | PreIndex | PostIndex | RegOffset:
    if post is not None:
        if mem.offset is not None or mem.index is not None:
            raise StatementError(f"post-index needs a bare base register: {mem}, {post}")
        return PostIndex(mem.base, post.value)
    if mem.index is not None:
        spec = mem.shift
        if spec is None:
            return RegOffset(mem.base, mem.index)
        amount = spec.amount.value if spec.amount is not None else None
        return RegOffset(mem.base, mem.index, spec.op, amount)
    offset = mem.offset.value if mem.offset is not None else 0
    return PreIndex(mem.base, offset) if mem.writeback else Mem(mem.base, offset)


def _arity_message(name: str, builder: Callable[..., int], given: int) -> str:
    params = list(inspect.signature(builder).parameters.values())
    required = [p.name for p in params if p.default is inspect.Parameter.empty]
    optional = [f"[{p.name}]" for p in params if p.default is not inspect.Parameter.empty]
    expected = ", ".join(required + optional) or "none"
    return f"wrong number of operands for {name}: got {given}, expected {expected}"


# -- assembler ---------------------------------------------------------------

class _Assembler:
    """Feeds statements to one CodeBuffer; collects lines and errors."""

    def __init__(self, name: str) -> None:
        self.buf = CodeBuffer(name=name)
        self.lines: list[AsmLine] = []
        self.labels: dict[str, Label] = {}          # buffer label by key
        self.bound: dict[str, int] = {}             # key -> line of definition
        self.uses: list[tuple[str, str, Source]] = []   # (as written, key, where)
        self.local_prev: dict[int, str] = {}        # N -> key of the last `N:`
        self.local_next: dict[int, str] = {}        # N -> key an `Nf` waits for
        self.local_count = 0

    # labels: symbolic ones keep their name in the buffer, numeric local
    # ones get a unique ".L<N>.<k>" per definition.

    def _label(self, key: str) -> Label:
        if key not in self.labels:
            self.labels[key] = self.buf.new_label(key)
        return self.labels[key]

    def _fresh_local(self, number: int) -> str:
        self.local_count += 1
        return f".L{number}.{self.local_count}"

    def define(self, stmt: LabelDef) -> None:
        if stmt.is_local:
            number = int(stmt.name)
            key = self.local_next.pop(number, None) or self._fresh_local(number)
            self.local_prev[number] = key
        else:
            key = stmt.name
            if key in self.bound:
                raise StatementError(f"label {key!r} already defined on line {self.bound[key]}")
        self.bound[key] = stmt.src.lineno
        try:
            self.buf.bind(self._label(key))
        except LabelRangeError as exc:   # a pending adr/ldr literal use is too far
            raise StatementError(str(exc)) from None
        self.lines.append(AsmLine(stmt.src.lineno, "label", stmt.name, "", self.buf.offset))

    def target(self, node: Symbol | LocalRef, src: Source) -> Label:
        if isinstance(node, Symbol):
            key = node.name
        elif node.forward:
            if node.number not in self.local_next:
                self.local_next[node.number] = self._fresh_local(node.number)
            key = self.local_next[node.number]
        elif node.number in self.local_prev:
            key = self.local_prev[node.number]
        else:
            raise StatementError(f"no earlier definition of local label {node.number}")
        self.uses.append((str(node), key, src))
        return self._label(key)

    def undefined_labels(self) -> list[AsmError]:
        return [AsmError(src.lineno, src.text, f"undefined label {written!r}")
                for written, key, src in self.uses if key not in self.bound]

    def instruction(self, insn: Instruction) -> None:
        call = lower(insn)
        word = call.encode()
        label = None if call.target is None else self.target(call.target, insn.src)
        self._align_word(insn.src.lineno)
        try:
            if label is None:
                self.buf.emit(word)
            else:
                self.buf.emit_use(word, label, call.use)
        except LabelRangeError as exc:   # a bound label out of adr/ldr literal reach
            raise StatementError(str(exc)) from None
        self._record(insn.src.lineno, "instruction", insn.mnemonic, insn.operand_text, 4)

    def _align_word(self, lineno: int) -> None:
        """Pad with zeros to a multiple of 4 before an instruction word.

        Instructions must sit at multiples of 4 (for the CPU and for the
        buffer); after data that leaves the offset unaligned the padding is
        listed as an implicit `.p2align 2` of the instruction's line, where
        llvm-mc would place the instruction unaligned.
        """
        pad = -self.buf.offset % 4
        if pad:
            self.buf.emit_data(bytes(pad))
            self._record(lineno, "data", ".p2align", "2", pad)

    # directives

    def directive(self, stmt: Directive) -> None:
        if stmt.name in _DATA_SIZES:
            self._data(stmt)
        elif stmt.name in _ALIGN_DIRECTIVES:
            self._align(stmt)
        elif stmt.name in _IGNORED_DIRECTIVES:
            self.lines.append(AsmLine(stmt.src.lineno, "directive", stmt.name,
                                      stmt.operand_text, self.buf.offset))
        else:
            raise StatementError(f"unsupported directive {stmt.name}")

    def _data(self, stmt: Directive) -> None:
        size = _DATA_SIZES[stmt.name]
        if not stmt.args:
            raise StatementError(f"{stmt.name} needs at least one value")
        values = [self._data_value(stmt.name, arg, size) for arg in stmt.args]
        if stmt.name == ".inst":
            self._align_word(stmt.src.lineno)
            for value in values:
                self.buf.emit(value)
        else:
            self.buf.emit_data(b"".join(v.to_bytes(size, "little") for v in values))
        self._record(stmt.src.lineno, "data", stmt.name,
                     ", ".join(str(parse_int(a))[1:] for a in stmt.args), size * len(values))

    @staticmethod
    def _data_value(directive: str, text: str, size: int) -> int:
        node = parse_operand(text)
        if isinstance(node, (Symbol, LocalRef)):
            raise StatementError(f"{directive}: label values are not supported (no relocations in "
                          f"assembled text), got {text!r}")
        if not isinstance(node, Imm):
            raise StatementError(f"{directive}: expected an integer, got {text!r}")
        bits = 8 * size
        if not -(1 << (bits - 1)) <= node.value < 1 << bits:
            raise StatementError(f"{directive}: value {text} does not fit in {bits} bits")
        return node.value & ((1 << bits) - 1)

    def _align(self, stmt: Directive) -> None:
        if len(stmt.args) != 1:
            raise StatementError(
                f"{stmt.name} takes one argument (fill and limit are not supported)")
        n = parse_int(stmt.args[0]).value
        log2 = _ALIGN_DIRECTIVES[stmt.name] == "log2"
        if log2 and not 0 <= n <= 16 or not log2 and (n <= 0 or n & (n - 1) or n > 1 << 16):
            raise StatementError(f"{stmt.name}: bad alignment {stmt.args[0]}")
        align = 1 << n if log2 else n
        pad = -self.buf.offset % align
        zeros = pad % 4
        if zeros:
            self.buf.emit_data(bytes(zeros))
        for _ in range(pad // 4):
            self.buf.emit(isa.nop())
        self._record(stmt.src.lineno, "data", stmt.name, str(n), pad)

    def _record(self, lineno: int, kind: str, op: str, operands: str, size: int) -> None:
        """Note a statement that just emitted `size` bytes (its offset is
        taken after the emit, so that anything the buffer placed before it,
        such as an island, is not counted as the statement's)."""
        self.lines.append(AsmLine(lineno, kind, op, operands, self.buf.offset - size, bytes(size)))


def assemble(text: str, name: str = "asm", *, keep_going: bool = False) -> AsmResult:
    """Assemble `text` into a CompiledCode named `name`.

    Raises AsmError for the first statement that fails; with keep_going,
    bad statements are skipped and, if there were any, one AsmError listing
    them all (in `errors`) is raised at the end.
    """
    asm = _Assembler(name)
    errors: list[AsmError] = []
    for stmt in parse_source(text):
        try:
            if isinstance(stmt, SyntaxProblem):
                raise StatementError(stmt.reason)
            if isinstance(stmt, LabelDef):
                asm.define(stmt)
            elif isinstance(stmt, Instruction):
                asm.instruction(stmt)
            else:
                asm.directive(stmt)
        except StatementError as exc:
            error = AsmError(stmt.src.lineno, stmt.src.text, str(exc))
            if not keep_going:
                raise error from None
            errors.append(error)
    errors = sorted(errors + asm.undefined_labels(), key=lambda e: e.lineno)
    if errors:
        first = errors[0]
        first.errors = errors
        raise first
    code = asm.buf.finish()
    lines = [AsmLine(ln.lineno, ln.kind, ln.op, ln.operands, ln.offset,
                     code.data[ln.offset:ln.offset + len(ln.data)])
             for ln in asm.lines]
    return AsmResult(code, _with_islands(lines, code.data))


def _with_islands(lines: list[AsmLine], data: bytes) -> list[AsmLine]:
    """`lines` with an "island" line for each run of bytes that the buffer
    placed by itself (veneers for branches out of reach), so that the lines
    account for every byte.  An island is shown as `.inst` words (`.byte`
    if it has unaligned padding) and takes the line number of the statement
    it precedes (and the labels bound after it)."""
    out: list[AsmLine] = []
    end = 0
    for line in lines + [AsmLine(lines[-1].lineno if lines else 0, "end", "", "", len(data))]:
        if line.data or line.kind == "end":
            if line.offset > end:
                at = len(out)
                while at and not out[at - 1].data and out[at - 1].offset > end:
                    at -= 1
                out.insert(at, _island(line.lineno, end, data[end:line.offset]))
            end = line.offset + len(line.data)
        if line.kind != "end":
            out.append(line)
    return out


def _island(lineno: int, offset: int, chunk: bytes) -> AsmLine:
    if len(chunk) % 4:   # padding after unaligned data: show bytes
        return AsmLine(lineno, "island", ".byte", ", ".join(map(str, chunk)), offset, chunk)
    words = (int.from_bytes(chunk[i:i + 4], "little") for i in range(0, len(chunk), 4))
    return AsmLine(lineno, "island", ".inst", ", ".join(f"{w:#010x}" for w in words),
                   offset, chunk)
