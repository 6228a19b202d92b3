"""Decoding CPython 3.11 bytecode: instructions, the exception table, and
the bytecode-level control-flow graph with stack depths.  3.12 kept the
format (two-byte instructions, inline caches, the exception table), and so
did 3.13 and 3.14: their builders decode with this module too.  Opcode names,
numbers and cache sizes are the running interpreter's (`opcode`, `dis`,
`bytecode_edit.cache_entries`); the sets below name 3.12's and 3.13's as
well (RETURN_CONST; their POP_JUMP_IF_* are 3.11's forward jumps by their
new names).

- ``decode`` walks ``co_code`` (3.11 returns it un-specialized): each
  instruction is two bytes; ``EXTENDED_ARG`` prefixes are folded into the
  argument of the instruction they precede, which then starts at the first
  prefix's offset (jumps land there); inline ``CACHE`` entries that follow an
  instruction are skipped.
- Relative jumps count code units from the end of the instruction and its
  caches, forwards or, for the ``*_BACKWARD_*`` forms, backwards.
- ``exception_table`` parses ``co_exceptiontable``: entries of varints
  (6 bits a byte, 0x40 = more bytes follow, 0x80 marks an entry's first
  byte) giving start, length and target in code units, then
  ``depth << 1 | lasti``.
- ``analyze`` splits the code into blocks, finds the reachable ones and the
  stack depth on entry to each (``dis.stack_effect``), and the normal
  (non-exceptional) predecessors of each block.
"""

from __future__ import annotations

import bisect
import dis
import opcode as _opcode
from dataclasses import dataclass, field
from types import CodeType
from typing import Callable, NamedTuple

from ..cpython.bytecode_edit import cache_entries
from .errors import HIRError

UNCONDITIONAL_JUMPS = frozenset({"JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT"})
CONDITIONAL_JUMPS = frozenset({
    "POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_FORWARD_IF_TRUE",
    "POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_FORWARD_IF_NOT_NONE",
    "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_TRUE",
    "POP_JUMP_BACKWARD_IF_NONE", "POP_JUMP_BACKWARD_IF_NOT_NONE",
    "JUMP_IF_FALSE_OR_POP", "JUMP_IF_TRUE_OR_POP", "FOR_ITER", "SEND",
    "POP_JUMP_IF_FALSE", "POP_JUMP_IF_TRUE", "POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE",
})
NO_FALLTHROUGH = UNCONDITIONAL_JUMPS | {"RETURN_VALUE", "RETURN_CONST", "RAISE_VARARGS", "RERAISE"}
# 3.14's END_ASYNC_FOR is listed as a jump, but its oparg only tells
# sys.monitoring where the loop's step was (bytecodes.c: JUMPBY(0)): it
# falls through when it does not re-raise.
_MONITORING_ONLY = frozenset({"END_ASYNC_FOR"})
_RELATIVE_JUMPS = frozenset(_opcode.opname[op] for op in dis.hasjrel) - _MONITORING_ONLY
# What decode needs of each opcode a code byte can hold (the running
# interpreter's opcodes: fixed for the process): its name, the bytes its
# inline caches take, and for a relative jump the direction its argument
# counts (+1 or -1; 0: not a relative jump).  opname goes on past 255 with
# pseudo-instructions, which never appear in co_code.
_DECODE_INFO: list[tuple[str, int, int]] = [
    (name, 2 * cache_entries(op),
     (-1 if "BACKWARD" in name else 1) if name in _RELATIVE_JUMPS else 0)
    for op, name in enumerate(_opcode.opname[:256])
]


class BcInstr(NamedTuple):
    """One decoded instruction.  ``offset`` is where it starts (its first
    EXTENDED_ARG prefix, if any); ``next_offset`` is past its caches.
    (A named tuple: immutable like a frozen dataclass, and built for every
    instruction of every compiled function at a tuple's cost.)"""

    offset: int
    opname: str
    opcode: int
    arg: int
    next_offset: int
    lineno: int | None
    jump_target: int | None


@dataclass(frozen=True)
class ExceptionEntry:
    """Instructions in [start, end) that raise go to ``target`` with the
    stack cut to ``depth`` (plus the raising offset when ``lasti``)."""

    start: int
    end: int
    target: int
    depth: int
    lasti: bool


def decode(code: CodeType) -> list[BcInstr]:
    raw = code.co_code
    lines = [pos[0] for pos in code.co_positions()]
    out: list[BcInstr] = []
    i = 0
    ext = 0
    start: int | None = None
    while i < len(raw):
        op, arg = raw[i], raw[i + 1]
        name, cache_size, direction = _DECODE_INFO[op]
        if start is None:
            start = i
        if name == "EXTENDED_ARG":
            ext = (ext | arg) << 8
            i += 2
            continue
        full = ext | arg
        nxt = i + 2 + cache_size
        target = nxt + direction * 2 * full if direction else None
        out.append(_new_tuple(BcInstr, (start, name, op, full, nxt, lines[i // 2], target)))
        i, ext, start = nxt, 0, None
    return out


# BcInstr(...) calls the named tuple's __new__, Python code; decode, which
# builds one for every instruction, makes the tuple directly.
_new_tuple = tuple.__new__


def _varints(data: bytes):
    it = iter(data)
    for first in it:
        value = first & 63
        b = first
        while b & 64:
            b = next(it)
            value = (value << 6) | (b & 63)
        yield first & 128, value


def exception_table(code: CodeType) -> list[ExceptionEntry]:
    values = [v for _, v in _varints(code.co_exceptiontable)]
    entries = []
    for k in range(0, len(values) - 3, 4):
        start, length, target, dl = values[k:k + 4]
        entries.append(ExceptionEntry(start * 2, (start + length) * 2, target * 2, dl >> 1, bool(dl & 1)))
    return entries


def stack_effect(instr: BcInstr, jump: bool | None = None) -> int:
    if instr.opname == "RETURN_GENERATOR":
        return 1     # resumed, the frame has None pushed (popped by the POP_TOP after it)
    arg = instr.arg if instr.opcode >= dis.HAVE_ARGUMENT else None
    return dis.stack_effect(instr.opcode, arg, jump=jump)


@dataclass
class BytecodeCFG:
    """Blocks of reachable bytecode: ``starts`` in offset order, each block's
    instructions, entry stack depth and normal predecessors (block starts).

    The exception table's lookups take logarithmic (``handler_for``) or
    constant time (``is_handler_target``, ``handler_targeting``,
    ``handler_at``): a function with thousands of handlers compiles in time
    linear in its size."""

    instrs: list[BcInstr]
    handlers: list[ExceptionEntry]
    starts: list[int] = field(default_factory=list)
    block_instrs: dict[int, list[BcInstr]] = field(default_factory=dict)
    depth: dict[int, int] = field(default_factory=dict)
    preds: dict[int, set[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # CPython's table is sorted by start and its ranges do not overlap;
        # the first entry covering an offset is the one that applies.
        self._by_start = sorted(self.handlers, key=lambda e: e.start)
        self._entry_starts = [e.start for e in self._by_start]
        self._by_target: dict[int, ExceptionEntry] = {}
        for entry in self.handlers:
            self._by_target.setdefault(entry.target, entry)
        # handler_for of every instruction, which the analysis and the
        # builder ask of each: one walk of the instructions and the entries,
        # both in offset order.
        self.handler_at: dict[int, ExceptionEntry | None] = dict.fromkeys(
            [ins.offset for ins in self.instrs])
        if not self.handlers:             # most functions: none covered
            return
        last = -1          # the last entry starting at or before the offset
        for ins in self.instrs:
            while last + 1 < len(self._by_start) and self._by_start[last + 1].start <= ins.offset:
                last += 1
            covering = self._by_start[last] if last >= 0 and ins.offset < self._by_start[last].end else None
            self.handler_at[ins.offset] = covering

    def handler_for(self, offset: int) -> ExceptionEntry | None:
        """The exception table entry covering the instruction at offset."""
        i = bisect.bisect_right(self._entry_starts, offset) - 1
        if i >= 0 and offset < self._by_start[i].end:
            return self._by_start[i]
        return None

    def is_handler_target(self, offset: int) -> bool:
        return offset in self._by_target

    def handler_targeting(self, target: int) -> ExceptionEntry:
        """The first exception table entry whose handler starts at target."""
        return self._by_target[target]


def analyze(code: CodeType,
            left_out: Callable[[ExceptionEntry, dict[int, BcInstr]], bool] | None = None
            ) -> BytecodeCFG:
    """The reachable blocks of code; left_out(entry, instruction by offset):
    an exception table entry to leave out (its handler then catches
    nothing)."""
    instrs = decode(code)
    entries = exception_table(code)
    if left_out is not None:
        by_offset = {ins.offset: ins for ins in instrs}
        entries = [e for e in entries if not left_out(e, by_offset)]
    cfg = BytecodeCFG(instrs, entries)
    starts = {0} | {e.target for e in cfg.handlers}
    for ins in instrs:
        if ins.jump_target is not None:
            starts.add(ins.jump_target)
        if ins.jump_target is not None or ins.opname in NO_FALLTHROUGH:
            starts.add(ins.next_offset)
    blocks: dict[int, list[BcInstr]] = {}
    current: list[BcInstr] = []
    for ins in instrs:
        if ins.offset in starts:
            current = blocks.setdefault(ins.offset, [])
        current.append(ins)
    follow = {s: (instrs_[-1].next_offset if instrs_ else s) for s, instrs_ in blocks.items()}

    def reach(start: int, depth: int, pred: int | None) -> None:
        if start not in blocks:
            raise HIRError(f"jump to offset {start}, which starts no instruction")
        if pred is not None:
            cfg.preds.setdefault(start, set()).add(pred)
        if start in cfg.depth:
            if cfg.depth[start] != depth:
                raise HIRError(f"stack depth {depth} != {cfg.depth[start]} at offset {start}")
            return
        cfg.depth[start] = depth
        work.append(start)

    work: list[int] = []
    reach(0, 0, None)
    while work:
        start = work.pop()
        depth = cfg.depth[start]
        for ins in blocks[start]:
            entry = cfg.handler_at[ins.offset]
            if entry is not None:
                reach(entry.target, entry.depth + 1 + int(entry.lasti), None)
            if ins.jump_target is not None:
                reach(ins.jump_target, depth + stack_effect(ins, jump=True), start)
                if ins.opname in UNCONDITIONAL_JUMPS:
                    break
                depth += stack_effect(ins, jump=False)
            else:
                depth += stack_effect(ins)
            if ins.opname in NO_FALLTHROUGH:
                break
        else:
            if follow[start] in blocks:
                reach(follow[start], depth, start)
    cfg.starts = sorted(cfg.depth)
    cfg.block_instrs = {s: blocks[s] for s in cfg.starts}
    for s in cfg.starts:
        cfg.preds.setdefault(s, set())
    return cfg
