"""The code buffer: labels, fixups, literal pools, islands and veneers.

`CodeBuffer` accumulates the bytes of one function and turns every reference
to a position (a label) into a patched instruction field, whatever the
distance.  `finish()` returns a `CompiledCode` (compiled.py): bytes,
relocations left for load time (relocs.py), and metadata.  The range rules
are in labels.py's `LabelUse` table, the literal pool in pool.py, the
emission of islands in islands.py.

Terms
-----
- *offset*: a byte offset from the start of the buffer.  Instructions sit at
  multiples of 4 (data emitted in between is padded).
- *label*: a position.  A code label is bound once, to the current offset
  (`bind`).  A literal label (`literal`, `literal_reloc`) names a
  deduplicated constant that the buffer places in a pool by itself; it may
  be placed more than once (see pool.py), and refers to its latest copy.
- *label use*: an instruction whose pc-relative field refers to a label, of
  a `LabelUse` kind that fixes its reach.  A use of a bound label in reach is
  patched at once; otherwise it is *pending* (a *fixup*).
- *deadline* of a pending use at offset u: `u + use.max_forward`, the last
  offset its target may have.
- *island*: `b over; <veneers>; <literal pool>; over:`, emitted in the
  middle of the code when a deadline approaches; `finish()` emits a final
  one without the branch.  Layout (islands.py):
      pad to 4; b over; A14: veneers of BRANCH14 uses; A19: of BRANCH19 uses;
      pad to 8; pending literals; pad to 8; A26: absolute veneers; over:
- *veneer*: `b label` extends a BRANCH19/BRANCH14 use to the reach of a
  BRANCH26 use, which it becomes; `ldr x16, #8; br x16; .quad label` (the
  address filled by a RELATIVE64 relocation) extends a BRANCH26 use to
  anywhere.  LDR19/ADR21 uses have none: literals are placed by deadline,
  and a code label out of their reach is an error (LabelRangeError).

Worst-case island
-----------------
V14, V19, V26 count the veneer bytes an island could need per class: a
veneer per label with pending uses of the class (4, 4, 16 bytes) and one
per pending use of a bound label out of backward reach.  P is the size of
the pending literals.  An island placed at offset I puts each target before
    A14 veneers:  I + E14, E14 = 8 + V14           (pad <= 3, b over)
    A19 veneers:  I + E19, E19 = E14 + V19
    literals:     I + EP,  EP  = E19 + 4 + P       (pad <= 4)
    A26 veneers:  I + E26, E26 = EP + 4 + V26      (E26 bounds its size)
Short veneers come first so that a pool or many far BRANCH26 uses never
push a tbz's veneer out of its 32 KiB.

Invariant
---------
Between two calls, with o the current offset: `o + E_c <= D` for every
pending use of class c with deadline D, and `o + EP <= D` for every pending
literal use.  So an island emitted here would give every pending use a
target in reach.  Before emitting n bytes the buffer checks that the
invariant will still hold after them, `o + n <= limit` with limit the
smallest `D - E` over the classes (`_room()`), and if not emits an island
first.  One new use grows V or P by at most 16 bytes, which the check of
`emit_use` reserves (`_RESERVE`).

Island policy
-------------
An island emitted at o before n bytes resolves every pending literal, every
use of a bound label out of backward reach, and every pending use whose
deadline is below `T = o + n + E26 + 8` (forced).  A use left pending has
D >= T and the island ends before `o + E26` minus the bytes reserved for
uses left pending, so the invariant holds after the island and the n bytes.
A forced label gets one veneer to which all its pending short uses are
redirected (a label one use cannot wait for is far; one veneer is cheaper
than several).  Each such `b` veneer is a new BRANCH26 use worth up to 16
bytes where its label counted 4, so BRANCH26 uses are forced below a
threshold larger by `8 + 4 * (V14 + V19)`.  Uses not forced stay pending:
their label may still be bound in reach.

Binding a label resolves its pending uses.  `bind` makes room for the next
instruction first, not counting those uses: an island needed anyway goes
before the label, never between a label and its instruction, and an island
needed only by the label's own uses is not emitted at all.

Cost
----
Branch fixups sit in one heap per class keyed by deadline; binding marks
its fixups done and leaves them there (lazy deletion).  Pending literals
need no heap: an island flushes them all, so the pool keeps only their
nearest deadline.  The per-`emit` fast path is one comparison with `_limit`
(set to -1 while a relocation is pending, the offset is misaligned or the
buffer is finished, to route `emit` through the slow path); every slow check
pops a stale heap entry or emits an island, so the work is linear in the
number of fixups (`stats` counts it).

Limits and safety net: the invariant assumes V and P stay far below 1 MiB
(tens of thousands of distinct labels pending at once would break it), and
a data chunk is at most MAX_DATA_CHUNK bytes.  Every patch checks its range
(LabelUse.patch), so a broken invariant raises LabelRangeError rather than
producing wrong code.
"""

from __future__ import annotations

import heapq
import struct
from dataclasses import dataclass
from operator import attrgetter
from typing import Callable

from .compiled import SECTIONS, CompiledCode, section_sizes, tile_regions
from .islands import USE_CLASS, VENEER_BYTES, IslandWriter
from .labels import Fixup, Label, LabelError, LabelRangeError, LabelUse
from .pool import INFINITY, Literal, LiteralEntry, LiteralPool
from .relocs import LinkError, Reloc, RelocKind

__all__ = ["CodeBuffer", "Label", "Reloc", "RelocKind", "CompiledCode", "LinkError",
           "LabelError", "LabelRangeError", "LiteralEntry", "LabelUse", "BufferStats", "SECTIONS"]

USER_SECTIONS = ("code", "stubs", "veneers", "literals")
# The most one use can add to the worst-case island (an absolute veneer),
# plus the use itself.
_RESERVE = 4 + 16
# Data chunks must be far smaller than the BRANCH26 reach, so that a `b`
# veneer made for a chunk's sake never needs a veneer in the same island.
MAX_DATA_CHUNK = 64 << 20

_WORD = struct.Struct("<I")
_BY_OFFSET = attrgetter("offset")


@dataclass
class BufferStats:
    """How much work label resolution did (for linearity tests and curiosity).

    room_checks: slow-path checks of the island condition (each pops a stale
    fixup, emits an island, or comes with a bind, a relocation or data);
    heap_pushes / heap_pops: fixup heap operations; islands (the final one
    included when emitted), veneers, literal_copies (pool entries placed).
    """

    room_checks: int = 0
    heap_pushes: int = 0
    heap_pops: int = 0
    islands: int = 0
    veneers: int = 0
    literal_copies: int = 0


class CodeBuffer(IslandWriter):
    """Builds one function's machine code.  See the module docstring."""

    def __init__(self, name: str = "code"):
        self.name = name
        self.stats = BufferStats()
        self._data = bytearray()
        # The current offset: read it freely (a plain attribute, as the
        # code generator reads it around every instruction); only the
        # buffer moves it.
        self.offset = 0
        self._labels: list[Label] = []
        # What a label names its buffer by: not the buffer itself, so that
        # the buffer and its labels form no reference cycle and are freed
        # by reference counting, not left to the collector.
        self._token = object()
        # The pool entry of each literal label (the entry names its label;
        # the label does not name its entry, for the same reason).
        self._literal_of: dict[Label, Literal] = {}
        self._pool = LiteralPool()
        self._heaps: tuple[list, list, list] = ([], [], [])
        self._far: tuple[list[Fixup], list[Fixup], list[Fixup]] = ([], [], [])
        self._vbytes = [0, 0, 0]
        self._limit = INFINITY
        self._relocs: list[Reloc] = []
        self._pending_reloc: tuple[RelocKind, str, int] | None = None
        self._section = "code"
        self._regions: list[list] = [[0, "code"]]
        self._annotations: dict[int, list[str]] = {}
        self._literal_entries: dict[int, LiteralEntry] = {}
        self._literal_copies: list[tuple[int, Literal]] = []
        self._veneer_addresses: list[tuple[int, Label]] = []
        self._finished = False

    # -- labels ------------------------------------------------------------
    def new_label(self, name: str = "") -> Label:
        label = Label(self._token, len(self._labels), name or f".L{len(self._labels)}")
        self._labels.append(label)
        return label

    def bind(self, label: Label) -> None:
        """Bind label to the current offset and patch its pending uses.

        An island the next instruction needs is emitted before the label, so
        that an island never separates a label from its instruction; binding
        counts as resolving the label's own uses (an island needed only for
        them is not emitted)."""
        if self._finished:
            self._check_open()
        if not isinstance(label, Label) or label._owner is not self._token:
            self._check_own(label)
        if label in self._literal_of:
            raise LabelError(f"{self.name}: {label.name!r} is a literal label; the buffer places it")
        if label._offset is not None:
            raise LabelError(f"{self.name}: label {label.name!r} bound twice "
                             f"(at {label._offset:#x} and {self.offset:#x})")
        if self.offset + _RESERVE > self._limit:
            self._make_room_for_binding(label)
        offset = label._offset = self.offset
        resolved = False
        for cls, fixups in enumerate(label._pending):
            if fixups:
                resolved = True
                self._vbytes[cls] -= VENEER_BYTES[cls]
                for f in fixups:
                    f.done = True
                    self._patch(f.offset, f.use, offset)
                fixups.clear()
        if label._other:
            for use_offset, use in label._other:
                if not use.in_range(use_offset, offset):
                    raise LabelRangeError(f"{self.name}: label {label.name!r}: "
                                          + use.describe_miss(use_offset, offset))
                self._patch(use_offset, use, offset)
            label._other.clear()
        # Only resolved branch fixups change the room (the limit is
        # otherwise as the room check above left it).
        if resolved:
            self._update_limit()

    def label_offset(self, label: Label) -> int | None:
        """The offset label is bound to (a literal's latest copy), or None."""
        self._check_own(label)
        return label._offset

    # -- literals ----------------------------------------------------------
    def literal(self, value: int, size: int = 8) -> Label:
        """The label of a pool entry holding value (size 8 or 4 bytes),
        deduplicated by (value, size); negative values are two's complement."""
        if size not in (4, 8):
            raise ValueError(f"literal size must be 4 or 8, not {size}")
        bits = 8 * size
        if not -(1 << (bits - 1)) <= value < (1 << bits):
            raise ValueError(f"literal {value:#x} does not fit in {size} bytes")
        value &= (1 << bits) - 1
        key = (value, size, None)
        lit = self._pool.get(key)
        if lit is None:
            lit = self._new_literal(key, size, f"={value:#x}", value=value)
        return lit.label

    def literal_reloc(self, symbol: str, kind: RelocKind = RelocKind.ABS64, addend: int = 0) -> Label:
        """The label of an 8-byte pool entry filled at load time with
        symbol's address + addend; deduplicated by (symbol, kind, addend)."""
        if kind is not RelocKind.ABS64:
            raise ValueError(f"a literal relocation must be ABS64, not {kind.name}")
        if not symbol:
            raise ValueError("a literal relocation needs a symbol")
        key = (symbol, kind, addend)
        lit = self._pool.get(key)
        if lit is None:
            name = f"={symbol}" + (f"{addend:+#x}" if addend else "")
            lit = self._new_literal(key, 8, name, kind=kind, symbol=symbol, addend=addend)
        return lit.label

    def _new_literal(self, key, size: int, name: str, **what) -> Literal:
        label = Label(self._token, -1, name)
        lit = self._literal_of[label] = Literal(key, size, label, **what)
        return self._pool.add(lit)

    # -- emission ----------------------------------------------------------
    def emit(self, word: int) -> None:
        """Emit one 32-bit instruction word in the current section."""
        if self.offset + 4 > self._limit:
            return self._emit_slow(word)
        try:
            self._data += _WORD.pack(word)
        except struct.error:
            raise ValueError(f"{self.name}: instruction word {word!r} is not a 32-bit value") from None
        self.offset += 4

    def _emit_slow(self, word: int) -> None:
        self._check_open()
        if not (type(word) is int and 0 <= word <= 0xFFFF_FFFF):
            raise ValueError(f"{self.name}: instruction word {word!r} is not a 32-bit value")
        reloc = self._pending_reloc
        if reloc is not None and (reloc[0].is_data or not reloc[0].accepts(word)):
            raise ValueError(f"{self.name}: relocation {reloc[0].name} applies to "
                             f"{reloc[0].describe_target()}, not to word {word:#010x}")
        self._pad_to(4)
        self._make_room(4)
        if reloc is not None:
            self._relocs.append(Reloc(self.offset, *reloc))
            self._pending_reloc = None
        self._data += _WORD.pack(word)
        self.offset += 4
        self._update_limit()

    def emit_use(self, word: int, label: Label, use: LabelUse) -> None:
        """Emit an instruction whose `use` field refers to label (its field
        is overwritten: pass it as 0).  Resolved now if the label is bound
        and in reach, else when the label is bound, by an island, or at
        finish."""
        # (_check_open and _check_own called only to raise: every branch
        # and literal load of a function comes through here)
        if self._finished:
            self._check_open()
        if not isinstance(label, Label) or label._owner is not self._token:
            self._check_own(label)
        if not isinstance(use, LabelUse):
            raise TypeError(f"use must be a LabelUse, not {use!r}")
        if not (type(word) is int and 0 <= word <= 0xFFFF_FFFF):
            raise ValueError(f"{self.name}: instruction word {word!r} is not a 32-bit value")
        if not use.accepts(word):
            raise ValueError(f"{self.name}: word {word:#010x} is not one of {use.mnemonics}, "
                             f"which carry {use.name}")
        if self._pending_reloc is not None:
            raise ValueError(f"{self.name}: relocation {self._pending_reloc[0].name} is pending; "
                             "it cannot apply to a label use")
        if use.is_branch and label in self._literal_of:
            raise LabelError(f"{self.name}: {use.name} cannot branch to literal {label.name!r}")
        if self.offset & 3:
            self._pad_to(4)
        if self.offset + _RESERVE > self._limit:
            self._make_room(_RESERVE)
        offset = self.offset
        target = self._refer(offset, use, label)
        if target is not None:
            word = use.patch(word, offset, target)
        self._data += _WORD.pack(word)
        self.offset = offset + 4
        # The room check above left the limit up to date (aligned offset);
        # only a use left pending lowers it.  (_update_limit's other cases,
        # a relocation pending, a misaligned offset or a finished buffer,
        # were all ruled out above.)
        if target is None:
            self._limit = self._room()

    def emit_data(self, data: bytes, align: int = 1) -> None:
        """Emit raw bytes in the current section, first padding to `align`
        (a power of two).  A pending ABS64/RELATIVE64 relocation applies to
        8 bytes of data."""
        self._check_open()
        data = bytes(data)
        if align < 1 or align & (align - 1) or align > 4096:
            raise ValueError(f"alignment must be a power of two up to 4096, not {align}")
        if len(data) > MAX_DATA_CHUNK:
            raise ValueError(f"{self.name}: emit data in chunks of at most {MAX_DATA_CHUNK} bytes")
        reloc = self._pending_reloc
        if reloc is not None and not (reloc[0].is_data and len(data) == 8):
            raise ValueError(f"{self.name}: relocation {reloc[0].name} applies to "
                             f"{reloc[0].describe_target()}, not to {len(data)} bytes of data")
        self._make_room(align - 1 + len(data))
        self._pad_to(align)
        if reloc is not None:
            self._relocs.append(Reloc(self.offset, *reloc))
            self._pending_reloc = None
        self._data += data
        self.offset += len(data)
        self._update_limit()

    def keep_together(self, nbytes: int, uses: int = 2) -> None:
        """Place any island now that the next nbytes (with up to `uses` new
        label uses among them) could need, so that they are emitted
        contiguously (a call and the word its callee reads after it)."""
        self._check_open()
        self._make_room(nbytes + uses * _RESERVE)

    def reloc(self, kind: RelocKind, symbol: str, addend: int = 0) -> None:
        """Attach a relocation to the next instruction emitted (or, for
        ABS64/RELATIVE64, to the next 8 bytes of data)."""
        self._check_open()
        if not isinstance(kind, RelocKind):
            raise TypeError(f"kind must be a RelocKind, not {kind!r}")
        if self._pending_reloc is not None:
            raise ValueError(f"{self.name}: relocation {self._pending_reloc[0].name} is already "
                             "pending: emit its instruction first")
        if kind.needs_symbol and not symbol:
            raise ValueError(f"relocation {kind.name} needs a symbol")
        self._pending_reloc = (kind, symbol, addend)
        self._limit = -1

    def section(self, name: str) -> _Section:
        """Count what is emitted inside `with buf.section(name):` as
        section `name`."""
        if name not in USER_SECTIONS:
            raise ValueError(f"unknown section {name!r}: use one of {', '.join(USER_SECTIONS)}")
        return _Section(self, name)

    def _enter_section(self, name: str) -> str:
        """Make name the current section; the previous one."""
        previous = self._section
        self._section = name
        self._switch_region(name)
        return previous

    def _leave_section(self, previous: str) -> None:
        self._section = previous
        if not self._finished:
            self._switch_region(previous)

    def annotate(self, text: str | Callable[[], str]) -> None:
        """Attach a listing annotation to the current offset (after any
        island the next instruction would need): a text, or a function
        making it when a listing first asks (CompiledCode.annotations)."""
        if self._finished:              # (_check_open inline: once per origin)
            self._check_open()
        if self.offset + _RESERVE > self._limit:
            self._make_room(_RESERVE)
        self._annotations.setdefault(self.offset, []).append(text)

    def word_at(self, offset: int) -> int:
        """The 32-bit word emitted at offset (labels not yet bound read as
        their placeholder field)."""
        return _WORD.unpack_from(self._data, offset)[0]

    # -- finishing ---------------------------------------------------------
    def finish(self) -> CompiledCode:
        """Place the remaining veneers and literals, check every label use is
        resolved, and return the CompiledCode.  The buffer is closed."""
        self._check_open()
        if self._pending_reloc is not None:
            raise ValueError(f"{self.name}: relocation {self._pending_reloc[0].name} was never "
                             "followed by its instruction")
        uses: dict[Label, list[int]] = {}
        for label in self._labels:
            if label._offset is None and (label._other or any(label._pending)):
                uses[label] = [f.offset for fs in label._pending for f in fs]
                uses[label] += [off for off, _ in label._other]
        for offset, label in self._veneer_addresses:
            if label._offset is None:
                uses.setdefault(label, []).append(offset)
        if uses:
            described = "; ".join(
                f"{label.name!r} used at " + ", ".join(f"{off:#x}" for off in sorted(offs)[:4])
                for label, offs in list(uses.items())[:8])
            raise LabelError(f"{self.name}: unbound label(s): {described}")
        if self._pool.pending or any(self._far):
            self._emit_island(0, final=True)
        self._finished = True
        self._limit = -1
        return self._compiled()

    def _compiled(self) -> CompiledCode:
        literals = dict(self._literal_entries)
        relocs = list(self._relocs)
        for offset, target in self._veneer_addresses:
            entry = LiteralEntry(8, reloc=Reloc(offset, RelocKind.RELATIVE64, "", target._offset))
            literals[offset] = entry
            relocs.append(entry.reloc)
        relocs.sort(key=_BY_OFFSET)
        labels: dict[str, list[int]] = {}
        for label in self._labels:
            if label._offset is not None:
                labels.setdefault(label.name, []).append(label._offset)
        for offset, lit in self._literal_copies:
            labels.setdefault(lit.label.name, []).append(offset)
        for offsets in labels.values():
            offsets.sort()
        regions = tile_regions(self._regions, self.offset)
        sizes = section_sizes(regions, len(self._data))
        return CompiledCode(
            name=self.name, data=bytes(self._data), relocs=relocs, labels=labels, sizes=sizes,
            regions=regions, literals=dict(sorted(literals.items())),
            notes=dict(sorted(self._annotations.items())))   # the buffer is closed: no copies

    # -- label uses ----------------------------------------------------------
    def _refer(self, offset: int, use: LabelUse, label: Label) -> int | None:
        """Register a use at offset: the target offset if it can be patched
        now, else None (the use is pending)."""
        lit = self._literal_of.get(label)
        if lit is not None:
            copy = label._offset
            if copy is not None and use.in_range(offset, copy):
                return copy
            self._pool.add_use(lit, offset, use)
            return None
        target = label._offset
        if target is not None:
            if use.in_range(offset, target):
                return target
            if use.veneer is None:
                raise LabelRangeError(f"{self.name}: label {label.name!r}: "
                                      + use.describe_miss(offset, target))
            cls = USE_CLASS[use]
            fixup = Fixup(offset, use, label)
            self._far[cls].append(fixup)
            self._vbytes[cls] += VENEER_BYTES[cls]
            self._push(cls, fixup)
            return None
        if use.veneer is None:
            label._other.append((offset, use))
            return None
        cls = USE_CLASS[use]
        fixup = Fixup(offset, use, label)
        pending = label._pending[cls]
        if not pending:
            self._vbytes[cls] += VENEER_BYTES[cls]
        pending.append(fixup)
        self._push(cls, fixup)
        return None

    def _push(self, cls: int, fixup: Fixup) -> None:
        heapq.heappush(self._heaps[cls], (fixup.deadline, fixup.offset, fixup))
        self.stats.heap_pushes += 1

    def _patch(self, use_offset: int, use: LabelUse, target: int) -> None:
        (word,) = _WORD.unpack_from(self._data, use_offset)
        _WORD.pack_into(self._data, use_offset, use.patch(word, use_offset, target))

    # -- room and islands ----------------------------------------------------
    def _room(self) -> int:
        """The largest offset the next emission may end at (invariant)."""
        v14, v19, v26 = self._vbytes
        h14, h19, h26 = self._heaps
        e14 = 8 + v14                           # end of A14 veneers
        e19 = e14 + v19                         # end of A19 veneers
        ep = e19 + 4 + self._pool.pending_bytes  # end of the pool
        room = self._pool.deadline - ep
        if h14 and h14[0][0] - e14 < room:
            room = h14[0][0] - e14
        if h19 and h19[0][0] - e19 < room:
            room = h19[0][0] - e19
        if h26 and h26[0][0] - (ep + 4 + v26) < room:
            room = h26[0][0] - (ep + 4 + v26)
        return room

    def _worst_island(self) -> int:
        return 16 + sum(self._vbytes) + self._pool.pending_bytes

    def _update_limit(self) -> None:
        if self._pending_reloc is not None or self.offset & 3 or self._finished:
            self._limit = -1
        else:
            self._limit = self._room()

    def _make_room(self, n: int) -> None:
        """Emit an island now if n more bytes would break the invariant."""
        self.stats.room_checks += 1
        self._drop_stale()
        if self.offset + n > self._room():
            self._emit_island(n)
            if self.offset + n > self._room():
                raise LabelRangeError(f"{self.name}: no island can keep every label use in "
                                      f"reach of {n} bytes at offset {self.offset:#x}")
        self._update_limit()

    def _make_room_for_binding(self, label: Label) -> None:
        """_make_room before binding label, not counting the label's pending
        uses, which binding here resolves.  If an island is needed anyway,
        those uses take part in it like any other (re-pushed if their heap
        entries were dropped meanwhile: at most once per use, as the label is
        bound right after)."""
        pending = [f for fixups in label._pending for f in fixups]
        if not pending:
            return self._make_room(_RESERVE)
        self.stats.room_checks += 1
        saved = list(self._vbytes)
        for cls, fixups in enumerate(label._pending):
            if fixups:
                self._vbytes[cls] -= VENEER_BYTES[cls]
        for f in pending:
            f.done = True
        self._drop_stale()
        needed = self.offset + _RESERVE > self._room()
        self._vbytes[:] = saved
        for f in pending:
            f.done = False
        if needed:
            for f in pending:
                self._push(USE_CLASS[f.use], f)
            self._make_room(_RESERVE)

    def _drop_stale(self) -> None:
        """Pop the heap tops that are done (lazy deletion)."""
        for heap in self._heaps:
            while heap and heap[0][2].done:
                heapq.heappop(heap)
                self.stats.heap_pops += 1

    # -- bytes and regions ---------------------------------------------------
    def _put_word(self, word: int) -> None:
        self._data += _WORD.pack(word)
        self.offset += 4

    def _pad_to(self, align: int) -> None:
        pad = -self.offset % align
        if pad:
            section = self._regions[-1][1]
            self._switch_region("padding")
            self._data += bytes(pad)
            self.offset += pad
            self._switch_region(section)

    def _switch_region(self, section: str) -> None:
        last = self._regions[-1]
        if last[1] == section:
            return
        if last[0] == self.offset:
            self._regions.pop()
            if self._regions and self._regions[-1][1] == section:
                return
        self._regions.append([self.offset, section])

    def _check_open(self) -> None:
        if self._finished:
            raise LabelError(f"{self.name}: the buffer is finished")

    def _check_own(self, label: Label) -> None:
        if not isinstance(label, Label) or label._owner is not self._token:
            raise LabelError(f"{self.name}: {label!r} is not a label of this buffer")


class _Section:
    """`with buf.section(name):` (a class rather than a @contextmanager
    generator: a call's word is emitted in one, and the generator's
    StopIteration costs more than the section switch)."""

    __slots__ = ("buf", "name", "previous")

    def __init__(self, buf: CodeBuffer, name: str):
        self.buf, self.name = buf, name

    def __enter__(self) -> CodeBuffer:
        self.previous = self.buf._enter_section(self.name)
        return self.buf

    def __exit__(self, *exc) -> None:
        self.buf._leave_section(self.previous)
