"""The island writer: the half of CodeBuffer that emits islands.

An island, emitted at offset I before n more bytes, is laid out as

    pad to 4; b over                     (no branch in the final island)
    A14: veneers `b label` of BRANCH14 uses
    A19: veneers `b label` of BRANCH19 uses
    pad to 8; the pending literals       (8-byte entries, then 4-byte ones)
    pad to 8; A26: absolute veneers `ldr x16, #8; br x16; .quad label`
    over:

and resolves, in that order (buffer.py's docstring states why this keeps
its invariant):

- in A14 then A19, every pending short branch use whose deadline is below
  `T = I + n + E26 + 8` (E26 bounding the island's size): its label gets one
  `b label` veneer, to which all the label's pending short uses are
  redirected; the veneer itself is a new BRANCH26 use of the label;
- every use of a bound label out of backward reach, with one veneer per
  label and area;
- every pending literal, one copy each;
- in A26, every pending BRANCH26 use whose deadline is below `T + 8 +
  4 * (V14 + V19)` (each `b` veneer just made may be one of them) and every
  one out of backward reach: one absolute veneer per label, whose address
  is filled at load time by a RELATIVE64 relocation.

Uses not forced stay pending: their label may still be bound in reach.
"""

from __future__ import annotations

import heapq

from . import isa
from .labels import Fixup, Label, LabelUse
from .pool import INFINITY, Literal
from .registers import IP0

# Classes of veneered uses, indexing the buffer's per-class tables, and the
# bytes of the veneer each needs (4, 4, and 16 with A26's inline address).
B14, B19, B26 = 0, 1, 2
_CLASSES = (LabelUse.BRANCH14, LabelUse.BRANCH19, LabelUse.BRANCH26)
USE_CLASS = {use: cls for cls, use in enumerate(_CLASSES)}
VENEER_BYTES = tuple(use.veneer.code_size + use.veneer.literal_size for use in _CLASSES)


class IslandWriter:
    """Island emission for CodeBuffer, which provides the state (`_heaps`,
    `_far`, `_vbytes`, `_pool`, ...) and the byte-level helpers (`_refer`,
    `_patch`, `_put_word`, `_pad_to`, `_switch_region`, `_worst_island`)."""

    def _emit_island(self, n: int, final: bool = False) -> None:
        """Emit an island before n more bytes (the final island: no branch
        over it, every pending use resolved)."""
        self._pad_to(4)
        start = self.offset
        short_threshold = start + n + self._worst_island() + 8
        long_threshold = short_threshold + 8 + 4 * (self._vbytes[B14] + self._vbytes[B19])
        if final:
            short_threshold = long_threshold = INFINITY
        self._switch_region("veneers")
        if not final:
            self._put_word(isa.encoded(isa.b, 0))
        veneers = literals = 0
        for cls in (B14, B19):
            veneers += self._short_veneers(cls, short_threshold)
        pending = self._pool.take_pending()
        if pending:
            if pending[0].size == 8:
                self._pad_to(8)
            self._switch_region("literals")
            for lit in pending:
                self._place_literal(lit)
            self._switch_region("veneers")
            literals = len(pending)
        veneers += self._absolute_veneers(long_threshold)
        if not final:
            self._patch(start, LabelUse.BRANCH26, self.offset)
        self._switch_region(self._section)
        self.stats.islands += 1
        self.stats.veneers += veneers
        what = [f"{count} {noun}{'s' * (count != 1)}"
                for count, noun in ((veneers, "veneer"), (literals, "literal")) if count]
        self._annotations.setdefault(start, []).insert(
            0, ("final island: " if final else "island: ") + ", ".join(what))

    def _forced(self, cls: int, threshold: int):
        """Pop the live fixups of class cls with deadline below threshold,
        for unbound labels (those of bound labels are in self._far)."""
        heap = self._heaps[cls]
        while heap and heap[0][0] < threshold:
            fixup = heapq.heappop(heap)[2]
            self.stats.heap_pops += 1
            if not fixup.done and fixup.label._offset is None:
                yield fixup

    def _short_veneers(self, cls: int, threshold: int) -> int:
        """Veneers in area cls (A14 or A19); returns how many."""
        count = 0
        for fixup in self._forced(cls, threshold):
            label = fixup.label
            redirected = label._pending[B14] + label._pending[B19]
            for c in (B14, B19):
                if label._pending[c]:
                    self._vbytes[c] -= VENEER_BYTES[c]
                    label._pending[c].clear()
            veneer = self._branch_veneer(label)
            count += 1
            for f in redirected:
                f.done = True
                self._patch(f.offset, f.use, veneer)
        shared: dict[Label, int] = {}
        for fixup in self._far[cls]:
            veneer = shared.get(fixup.label)
            if veneer is None:
                veneer = shared[fixup.label] = self._branch_veneer(fixup.label)
                count += 1
            fixup.done = True
            self._vbytes[cls] -= VENEER_BYTES[cls]
            self._patch(fixup.offset, fixup.use, veneer)
        self._far[cls].clear()
        return count

    def _branch_veneer(self, label: Label) -> int:
        """Emit `b label` here, a BRANCH26 use of label; return its offset."""
        offset = self.offset
        target = self._refer(offset, LabelUse.BRANCH26, label)
        word = isa.encoded(isa.b, 0)
        if target is not None:
            word = LabelUse.BRANCH26.patch(word, offset, target)
        self._put_word(word)
        self._annotations.setdefault(offset, []).append(f"veneer -> {label.name}")
        return offset

    def _absolute_veneers(self, threshold: int) -> int:
        """Absolute veneers in A26; returns how many."""
        jobs: list[tuple[Label, list[Fixup]]] = []
        for fixup in self._forced(B26, threshold):
            label = fixup.label
            jobs.append((label, list(label._pending[B26])))
            label._pending[B26].clear()
            self._vbytes[B26] -= VENEER_BYTES[B26]
        far: dict[Label, list[Fixup]] = {}
        for fixup in self._far[B26]:
            far.setdefault(fixup.label, []).append(fixup)
            self._vbytes[B26] -= VENEER_BYTES[B26]
        self._far[B26].clear()
        jobs.extend(far.items())
        if jobs:
            self._pad_to(8)
        for label, fixups in jobs:
            veneer = self.offset
            self._put_word(isa.encoded(isa.ldr_literal, IP0, 8))
            self._put_word(isa.encoded(isa.br, IP0))
            self._switch_region("literals")
            self._veneer_addresses.append((self.offset, label))
            self._data += bytes(8)
            self.offset += 8
            self._switch_region("veneers")
            self._annotations.setdefault(veneer, []).append(f"veneer -> {label.name} (absolute)")
            for f in fixups:
                f.done = True
                self._patch(f.offset, f.use, veneer)
        return len(jobs)

    def _place_literal(self, lit: Literal) -> None:
        """Place a copy of lit here, in the literals region, and patch its
        pending uses (the 8-byte entries come first: the first one's
        alignment aligns them all)."""
        if lit.size == 8:
            self._pad_to(8)
        offset = self.offset
        self._data += lit.data()
        self.offset += lit.size
        lit.label._offset = offset
        self._literal_copies.append((offset, lit))
        entry = lit.entry(offset)
        self._literal_entries[offset] = entry
        if entry.reloc is not None:
            self._relocs.append(entry.reloc)
        for use_offset, use in lit.uses:
            self._patch(use_offset, use, offset)
        lit.uses = []
        self.stats.literal_copies += 1
