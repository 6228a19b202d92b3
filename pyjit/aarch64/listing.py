"""Annotated listings of compiled code, disassembled by capstone.

    print(listing(code))

One line per instruction or literal: address, bytes, text, and after `//`
what pyjit knows of it: relocations (`reloc CALL26 PyNumber_Add`), the
literal's value or symbol, the label a branch goes to, and the annotations
the code generator attached (stub names, HIR instructions).  Label
definitions get a line of their own.  A header gives the size by section.

Listings are for people and golden tests: the text is deterministic for a
given `CompiledCode` and base address.
"""

from __future__ import annotations

import re
from functools import lru_cache

import capstone

from .buffer import CompiledCode

_BYTES_COLUMN = 12  # "xx xx xx xx "
_TEXT_COLUMN = 32
_BRANCH_TARGET = re.compile(r"#0x([0-9a-f]+)$")
_SECTIONS = ("code", "literals", "stubs", "veneers", "padding")


@lru_cache(maxsize=1)
def _disassembler() -> capstone.Cs:
    return capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)


def size_line(code: CompiledCode) -> str:
    parts = ", ".join(f"{s} {code.sizes.get(s, 0)}" for s in _SECTIONS)
    return f"{code.sizes['total']} bytes ({parts})"


def disassemble_word(word: bytes, address: int) -> str:
    """capstone's text for one 4-byte instruction (".inst 0x..." if undefined)."""
    for insn in _disassembler().disasm(word, address):
        return f"{insn.mnemonic} {insn.op_str}".strip()
    return f".inst 0x{int.from_bytes(word, 'little'):08x}"


def listing(code: CompiledCode, base: int = 0, name: str | None = None) -> str:
    """The annotated listing of `code` as if loaded at `base`."""
    labels_at: dict[int, list[str]] = {}
    for label, offsets in code.labels.items():
        if not label or label.startswith(".L"):   # local labels, as in assembly
            continue
        for off in offsets:
            labels_at.setdefault(off, []).append(label)
    relocs_at: dict[int, list[str]] = {}
    for r in code.relocs:
        addend = f"{r.addend:+d}" if r.addend else ""
        relocs_at.setdefault(r.offset, []).append(f"reloc {r.kind.name} {r.symbol}{addend}")

    out = [f"// {name or code.name}: {size_line(code)}"]
    for start, end, section in code.regions:
        off = start
        while off < end:
            for label in labels_at.get(off, ()):
                out.append(f"{label}:")
            if section == "literals" and off in code.literals:
                entry = code.literals[off]
                size = entry.size
                text = f".quad 0x{_value(code, off, size):016x}" if size == 8 else \
                    f".word 0x{_value(code, off, size):08x}"
                notes = _literal_note(entry)
            elif section in ("literals", "padding"):
                size = min(4, end - off)
                text = f".{'word' if size == 4 else 'byte'} 0x{_value(code, off, size):0{2 * size}x}"
                notes = ["padding" if section == "padding" else section]
            else:
                size = 4
                text = disassemble_word(code.data[off:off + 4], base + off)
                notes = _branch_note(text, base, labels_at)
            notes = relocs_at.get(off, []) + notes + code.annotations.get(off, [])
            out.append(_line(base + off, code.data[off:off + size], text, notes))
            off += size
    return "\n".join(out) + "\n"


def _value(code: CompiledCode, off: int, size: int) -> int:
    return int.from_bytes(code.data[off:off + size], "little")


def _literal_note(entry) -> list[str]:
    # A relocated literal is already named by its label and its reloc note.
    return [] if getattr(entry, "reloc", None) is not None else [f"literal {entry.value}"]


def _branch_note(text: str, base: int, labels_at: dict[int, list[str]]) -> list[str]:
    m = _BRANCH_TARGET.search(text)
    if m is None:
        return []
    names = labels_at.get(int(m.group(1), 16) - base)
    return [f"-> {', '.join(names)}"] if names else []


def _line(address: int, data: bytes, text: str, notes: list[str]) -> str:
    hexbytes = " ".join(f"{b:02x}" for b in data[:4])
    left = f"{address:#010x}  {hexbytes:<{_BYTES_COLUMN}} {text}"
    if len(data) > 4:
        left = f"{address:#010x}  {' '.join(f'{b:02x}' for b in data):<{_BYTES_COLUMN}} {text}"
    if not notes:
        return left
    return f"{left:<{_TEXT_COLUMN + 28}} // {'; '.join(notes)}"
