"""The literal pool of a code buffer: deduplicated constants waiting for an
island.

A `Literal` is one distinct pool value, identified by its dedup key:

- `(value, size, None)` for a constant (value taken unsigned, size 4 or 8);
- `(symbol, kind, addend)` for an 8-byte entry filled at load time by a
  relocation (`RelocKind.ABS64`).

Each literal has one `Label` for its whole life.  A literal may be placed
several times: whenever a use finds no placed copy within its reach, the
literal becomes *pending* again and the next pool gets a fresh copy; the
label's offset is always the latest copy.  `LiteralPool` keeps the pending
literals in first-use order, their total size, and the nearest deadline of
their uses; the code buffer places them (see buffer.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable

from .labels import LabelUse
from .relocs import Reloc, RelocKind

INFINITY = 1 << 80  # a deadline no offset reaches


@dataclass(frozen=True, slots=True)
class LiteralEntry:
    """What a placed pool slot holds: an unsigned `value` of `size` bytes,
    or (value None) the `reloc` that fills it at load time."""

    size: int
    value: int | None = None
    reloc: Reloc | None = None


class Literal:
    """One distinct pool value (see the module docstring).

    uses: the pending uses `(use_offset, LabelUse)` to patch when the literal
    is next placed; non-empty exactly when the literal is pending.
    """

    __slots__ = ("key", "size", "value", "kind", "symbol", "addend", "label", "uses")

    def __init__(self, key: Hashable, size: int, label: Any, *, value: int | None = None,
                 kind: RelocKind | None = None, symbol: str = "", addend: int = 0):
        self.key = key
        self.size = size
        self.label = label
        self.value = value
        self.kind = kind
        self.symbol = symbol
        self.addend = addend
        self.uses: list[tuple[int, LabelUse]] = []

    def data(self) -> bytes:
        """The bytes placed in the pool (zeros where a relocation goes)."""
        if self.value is None:
            return bytes(self.size)
        return self.value.to_bytes(self.size, "little")

    def entry(self, offset: int) -> LiteralEntry:
        """The LiteralEntry of a copy placed at `offset`."""
        if self.value is not None:
            return LiteralEntry(self.size, value=self.value)
        return LiteralEntry(8, reloc=Reloc(offset, self.kind, self.symbol, self.addend))


class LiteralPool:
    """Deduplicated literals, and those of them waiting for placement."""

    def __init__(self) -> None:
        self.by_key: dict[Hashable, Literal] = {}
        self.pending: list[Literal] = []
        self.pending_bytes = 0
        # The smallest use_offset + max_forward over pending uses.
        self.deadline = INFINITY

    def get(self, key: Hashable) -> Literal | None:
        return self.by_key.get(key)

    def add(self, literal: Literal) -> Literal:
        self.by_key[literal.key] = literal
        return literal

    def add_use(self, literal: Literal, use_offset: int, use: LabelUse) -> None:
        """Record a use that the literal's next copy must satisfy."""
        if not literal.uses:
            self.pending.append(literal)
            self.pending_bytes += literal.size
        literal.uses.append((use_offset, use))
        deadline = use_offset + use.max_forward
        if deadline < self.deadline:
            self.deadline = deadline

    def take_pending(self) -> list[Literal]:
        """The pending literals in placement order, leaving none pending.

        Order: 8-byte entries, then 4-byte entries, so that one alignment
        to 8 at the start keeps every entry naturally aligned; within a
        size, the order in which they became pending.  The literals keep
        their uses: the caller places each one, patches its uses and clears
        them.
        """
        pending = self.pending
        self.pending = []
        self.pending_bytes = 0
        self.deadline = INFINITY
        return [lit for lit in pending if lit.size == 8] + [lit for lit in pending if lit.size == 4]
