"""Inserting instructions into a code object, keeping its tables right.

The JIT's process-wide modes (`pyjit/autojit.py`) give every function a
copy of its code with a few instructions inserted after RESUME and a few
appended.  This module does the editing, for the running interpreter's
bytecode (3.11 and later share its formats):

- instructions are (name, argument) pairs, an argument being an int or a
  `Label`; `assemble` lays them out at a given code-unit offset with their
  inline caches (zeros) and as many EXTENDED_ARG prefixes as the argument
  needs, relative jumps measured from the end of the jump's caches;
- the exception table (varints of 6-bit chunks, most significant first,
  0x80 marking an entry's start; offsets in code units) is decoded to
  entries and encoded again with every offset moved;
- inserted units get "no location" entries in the location table, spliced
  between the original entries, which stay byte for byte; where no entry
  ends at the insertion point the table is written again from
  `co_positions()` (one position per code unit; the long form, or the
  no-location form, which every version since 3.11 reads): the same
  positions, in other ranges.

`insert(code, at, body, tail, ...)` is the one operation: `body` goes in
before the instruction at code unit `at`, `tail` after the last unit;
every original instruction at or after `at` moves by the length of `body`.
Relative jumps between original instructions need no change (both ends
move alike) except jumps crossing `at`, which no code has after RESUME.
The result runs the same; CPython's own decoders (`co_positions`, `dis`)
are the oracle of the tests (tests/cpython/test_bytecode_edit.py).
"""

from __future__ import annotations

import dis
import opcode
import types
from dataclasses import dataclass

EXTENDED_ARG = opcode.opmap["EXTENDED_ARG"]
_JUMPS = frozenset(opcode.hasjrel)
_BACKWARD = frozenset(op for op in _JUMPS if "BACKWARD" in opcode.opname[op])


def cache_entries(op: int) -> int:
    """The inline cache units after opcode op."""
    table = opcode._inline_cache_entries
    if isinstance(table, dict):                     # 3.13+: by name
        return table.get(opcode.opname[op], 0)
    return table[op]


@dataclass(frozen=True)
class Label:
    """A place in the instructions being assembled, or (`at`) an absolute
    code unit of the edited code."""
    name: str


def _arg_units(arg: int) -> int:
    """Code units an argument takes (the instruction and its EXTENDED_ARGs)."""
    n = 1
    while arg > 0xFF:
        arg >>= 8
        n += 1
    return n


def assemble(instrs: list, start: int, labels: dict[str, int],
             provisional: bool = False) -> tuple[bytes, dict[str, int]]:
    """instrs (items: (name, arg) or a Label) laid out from code unit start;
    labels: the absolute units of Labels defined elsewhere (updated with
    the ones defined here).  Returns the bytes and the labels.
    provisional: a label not known yet counts as the jump's own place (to
    size instructions before everything is placed)."""
    sizes = [1] * len(instrs)
    while True:
        labels = dict(labels)
        unit = start
        for item, size in zip(instrs, sizes):
            if isinstance(item, Label):
                labels[item.name] = unit
            else:
                unit += size + cache_entries(opcode.opmap[item[0]])
        out = bytearray()
        new_sizes = []
        unit = start
        for item, size in zip(instrs, sizes):
            if isinstance(item, Label):
                new_sizes.append(size)
                continue
            name, arg = item
            op = opcode.opmap[name]
            caches = cache_entries(op)
            if isinstance(arg, Label):
                after = unit + size + caches
                target = labels[arg.name] if not provisional else labels.get(arg.name, after)
                arg = after - target if op in _BACKWARD else target - after
                if arg < 0:
                    raise ValueError(f"{name} cannot reach {target} from {after}")
            need = _arg_units(arg)
            new_sizes.append(max(size, need))
            for shift in range(8 * (size - 1), 0, -8):
                out += bytes((EXTENDED_ARG, (arg >> shift) & 0xFF))
            out += bytes((op, arg & 0xFF)) + bytes(2 * caches)
            unit += size + caches
        if new_sizes == sizes:
            return bytes(out), labels
        sizes = new_sizes


def parameter_loads(code: types.CodeType) -> list[tuple[str, int]]:
    """Instructions pushing each parameter slot's value at a function's
    entry (after RESUME): LOAD_FAST, or LOAD_DEREF for a parameter a
    closure captures (MAKE_CELL has put a cell in its slot)."""
    n = code.co_argcount + code.co_kwonlyargcount
    n += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)     # *args, **kwargs
    cells = set(code.co_cellvars)
    return [("LOAD_DEREF" if code.co_varnames[i] in cells else "LOAD_FAST", i)
            for i in range(n)]


# -- the exception table -----------------------------------------------------

def _write_varint(out: bytearray, value: int, mark: int = 0) -> None:
    chunks = [value & 63]
    value >>= 6
    while value:
        chunks.append(value & 63)
        value >>= 6
    chunks.reverse()
    for i, chunk in enumerate(chunks):
        byte = chunk | (64 if i < len(chunks) - 1 else 0)
        out.append(byte | (mark if i == 0 else 0))


def exception_entries(code: types.CodeType) -> list[tuple[int, int, int, int, bool]]:
    """(start, end, target, depth, lasti) per entry, in code units."""
    return [(e.start // 2, e.end // 2, e.target // 2, e.depth, e.lasti)
            for e in dis._parse_exception_table(code)]


def encode_exception_table(entries) -> bytes:
    out = bytearray()
    for start, end, target, depth, lasti in entries:
        _write_varint(out, start, mark=128)
        _write_varint(out, end - start)
        _write_varint(out, target)
        _write_varint(out, (depth << 1) | int(lasti))
    return bytes(out)


# -- the location table ------------------------------------------------------

def _location_varint(out: bytearray, value: int) -> None:
    while value >= 64:
        out.append(64 | (value & 63))
        value >>= 6
    out.append(value)


def _location_svarint(out: bytearray, value: int) -> None:
    _location_varint(out, (-value << 1) | 1 if value < 0 else value << 1)


def encode_locations(positions: list, firstlineno: int) -> bytes:
    """The location table of code whose units have these positions
    ((line, end_line, col, end_col), None parts allowed)."""
    out = bytearray()
    line = firstlineno
    i = 0
    while i < len(positions):
        pos = positions[i]
        n = 1
        while n < 8 and i + n < len(positions) and positions[i + n] == pos:
            n += 1
        start, end, col, end_col = pos
        if start is None:
            out.append(0x80 | (15 << 3) | (n - 1))
        elif col is None and end_col is None and end in (None, start):
            out.append(0x80 | (13 << 3) | (n - 1))
            _location_svarint(out, start - line)
            line = start
        else:
            out.append(0x80 | (14 << 3) | (n - 1))
            _location_svarint(out, start - line)
            _location_varint(out, (end if end is not None else start) - start)
            _location_varint(out, 0 if col is None else col + 1)
            _location_varint(out, 0 if end_col is None else end_col + 1)
            line = start
        i += n
    return bytes(out)


def _no_location(units: int) -> bytes:
    out = bytearray()
    while units > 0:
        n = min(units, 8)
        out.append(0x80 | (15 << 3) | (n - 1))
        units -= n
    return bytes(out)


def _read_varint(table: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = table[i]
        i += 1
        value |= (byte & 63) << shift
        shift += 6
        if not byte & 64:
            return value, i


def _last_line(table: bytes, firstlineno: int) -> int:
    """The line the location table's decoder holds after its last entry."""
    line, i = firstlineno, 0
    while i < len(table):
        code = (table[i] >> 3) & 15
        i += 1
        if code in (13, 14):
            value, i = _read_varint(table, i)
            line += -(value >> 1) if value & 1 else value >> 1
            if code == 14:
                for _ in range(3):
                    _, i = _read_varint(table, i)
        elif code in (10, 11, 12):
            line += code - 10
            i += 2
        elif code < 10:
            i += 1
    return line


def _on_line(units: int, line: int, previous: int) -> bytes:
    """Entries putting `units` units on `line` (no columns), the decoder
    holding `previous`."""
    out = bytearray()
    while units > 0:
        n = min(units, 8)
        out.append(0x80 | (13 << 3) | (n - 1))
        _location_svarint(out, line - previous)
        previous = line
        units -= n
    return bytes(out)


def splice_locations(code: types.CodeType, at: int, moved: int, appended: int,
                     tail_line: int | None = None) -> bytes:
    """code's location table with `moved` units of no location before unit
    at and `appended` units after the end, on tail_line (None: no
    location): the original entries kept byte for byte (so `co_lines()`
    keeps its ranges) when an entry ends at `at`, else re-encoded from the
    positions (the same positions, other ranges)."""
    table = code.co_linetable
    starts = [i for i, byte in enumerate(table) if byte & 0x80]
    spliced = None
    unit = 0
    for start in starts:
        if unit == at:
            spliced = table[:start] + _no_location(moved) + table[start:]
            break
        unit += (table[start] & 7) + 1
    else:
        if unit == at:
            spliced = table + _no_location(moved)
    if spliced is not None:
        if tail_line is None:
            return spliced + _no_location(appended)
        return spliced + _on_line(appended, tail_line, _last_line(table, code.co_firstlineno))
    positions = list(code.co_positions())
    none = (None, None, None, None)
    tail = none if tail_line is None else (tail_line, tail_line, None, None)
    return encode_locations(positions[:at] + [none] * moved + positions[at:] + [tail] * appended,
                            code.co_firstlineno)


# -- inserting -----------------------------------------------------------------

def first_resume(code: types.CodeType) -> int:
    """The code unit just after the first RESUME (where a function's body
    starts: cells made, free variables copied, a generator created)."""
    for ins in dis.get_instructions(code):
        if ins.opname == "RESUME":
            return ins.offset // 2 + 1
    raise ValueError(f"{code.co_name} has no RESUME")


def insert(code: types.CodeType, at: int, body: list, tail: list, *,
           consts: tuple = (), names: tuple = (), stacksize: int = 0,
           tail_line: int | None = None) -> types.CodeType:
    """code with body inserted before code unit at and tail appended.
    Their arguments may use Label("body") (the first original unit after
    the body) and Labels they define; consts and names are appended to
    co_consts and co_names (the caller computes their indices from the
    lengths of the originals).  The body has no location; the tail is on
    tail_line (None: no location either; a traceback entry of an exception
    raised there would have no line)."""
    raw = code.co_code
    units = len(raw) // 2
    labels: dict[str, int] = {}
    moved = -1
    while True:      # until the body's size (its jumps' EXTENDED_ARGs) settles
        body_bytes, labels = assemble(body, at, labels, provisional=True)
        if len(body_bytes) // 2 == moved:
            break
        moved = len(body_bytes) // 2
        labels["body"] = at + moved
        _, labels = assemble(tail, units + moved, labels, provisional=True)
    tail_bytes, labels = assemble(tail, units + moved, labels)
    body_bytes, labels = assemble(body, at, labels)
    if len(body_bytes) // 2 != moved:
        raise ValueError("the body's size depends on its labels")
    # Jumps crossing `at` would need their arguments changed.
    for ins in dis.get_instructions(code):
        if ins.opcode in _JUMPS:
            here = ins.offset // 2
            if (here < at) != (ins.argval // 2 < at):
                raise ValueError(f"a jump crosses code unit {at} in {code.co_name}")

    def moved_unit(unit: int) -> int:
        return unit if unit < at else unit + moved

    entries = [(moved_unit(s), moved_unit(e) if e > at else e, moved_unit(t), d, l)
               for s, e, t, d, l in exception_entries(code)]
    return code.replace(
        co_code=raw[:2 * at] + body_bytes + raw[2 * at:] + tail_bytes,
        co_consts=code.co_consts + tuple(consts),
        co_names=code.co_names + tuple(names),
        co_stacksize=max(code.co_stacksize, stacksize),
        co_exceptiontable=encode_exception_table(entries),
        co_linetable=splice_locations(code, at, moved, len(tail_bytes) // 2, tail_line))
