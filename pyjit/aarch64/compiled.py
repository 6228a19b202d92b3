"""CompiledCode: what a code buffer hands to the loader, and its accounting.

Sections: every byte belongs to exactly one of

- "code": instructions and data the code generator emitted;
- "stubs", "veneers": what it emitted inside `with buf.section(...)`, plus,
  for "veneers", what the buffer emits to extend reach (veneers, and the
  branch over each island);
- "literals": literal pool entries (and the inline address of absolute
  veneers);
- "padding": alignment fill (zero bytes).

`regions` lists them in order as `(start, end, section)`, tiling the data
exactly, with adjacent runs of one section merged; `sizes` sums them per
section and gives the "total".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from .pool import LiteralEntry
from .relocs import Reloc, link

SECTIONS = ("code", "literals", "stubs", "veneers", "padding")


@dataclass(frozen=True)
class CompiledCode:
    """The result of `CodeBuffer.finish()`."""

    name: str
    data: bytes                                  # unrelocated (relocated fields hold 0)
    relocs: list[Reloc]                          # sorted by offset
    labels: dict[str, list[int]]                 # label name -> offsets, sorted
    sizes: dict[str, int]                        # per section, and "total"
    regions: list[tuple[int, int, str]]          # (start, end, section), tiling data
    literals: dict[int, LiteralEntry]            # pool offset -> what is there
    # offset -> listing annotations: texts, or functions making the text,
    # called when `annotations` is first read (the code generator's
    # descriptions of HIR instructions: most code is never listed)
    notes: dict[int, list[str | Callable[[], str]]] = field(default_factory=dict)

    @property
    def annotations(self) -> dict[int, list[str]]:
        """offset -> the listing annotations there (texts)."""
        made = self.__dict__.get("_annotations")
        if made is None:
            made = {k: [n if isinstance(n, str) else n() for n in v]
                    for k, v in self.notes.items()}
            object.__setattr__(self, "_annotations", made)
        return made

    def link(self, base: int, resolve: Callable[[str], int]) -> bytes:
        """The bytes with relocations applied for loading at `base` (4 KiB
        aligned); resolve(symbol) gives addresses.  Raises LinkError naming
        the symbol and offset."""
        return link(self.data, self.relocs, base, resolve, self.name)


def tile_regions(marks: Sequence[tuple[int, str]], end: int) -> list[tuple[int, int, str]]:
    """Regions from section change marks `(offset, section)` (ascending; a
    mark starts a run that lasts until the next one, the last until end):
    empty runs dropped, adjacent runs of one section merged."""
    regions: list[tuple[int, int, str]] = []
    bounds = list(marks) + [(end, "")]
    for (start, section), (stop, _) in zip(bounds, bounds[1:]):
        if start == stop:
            continue
        if regions and regions[-1][2] == section:
            regions[-1] = (regions[-1][0], stop, section)
        else:
            regions.append((start, stop, section))
    return regions


def section_sizes(regions: list[tuple[int, int, str]], total: int) -> dict[str, int]:
    """Bytes per section (every section present), and "total"."""
    sizes = dict.fromkeys(SECTIONS, 0)
    for start, end, section in regions:
        sizes[section] += end - start
    sizes["total"] = total
    return sizes
