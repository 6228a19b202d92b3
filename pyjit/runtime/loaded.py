"""`LoadedCode`: compiled code as an engine placed it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..aarch64.compiled import CompiledCode


@dataclass(frozen=True, eq=False)
class LoadedCode:
    """Code placed by an engine's `load`: [address, address + size)."""

    address: int
    size: int
    name: str
    code: CompiledCode = field(repr=False)

    def label(self, name: str) -> int:
        """The address of a label of the compiled code (its first binding)."""
        return self.address + self.code.labels[name][0]

    @property
    def end(self) -> int:
        return self.address + self.size
