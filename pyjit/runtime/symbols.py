"""The symbols an engine links compiled code against.

Helpers resolve to the engine's own address for them (a trap under
Unicorn, the C function or a callback natively); other symbols to what
`define` recorded; anything else to the resolver the caller of `load`
passes (a compiled function's constants).
"""

from __future__ import annotations

from typing import Callable

from ..cpython.helpers import HELPERS


class SymbolTable:
    def __init__(self, helper_address: Callable[[str], int]):
        self._helper_address = helper_address
        self._defined: dict[str, int] = {}

    def define(self, name: str, address: int) -> None:
        """Resolve relocations against name to address in later loads."""
        if name in HELPERS:
            raise ValueError(f"{name!r} is a helper: its address is the engine's")
        self._defined[name] = address

    def defined(self, name: str) -> int:
        """The address define() recorded for name (KeyError otherwise)."""
        return self._defined[name]

    def resolver(self, resolve: Callable[[str], int] | None) -> Callable[[str], int]:
        """The function CompiledCode.link calls for each symbol."""
        def resolve_symbol(symbol: str) -> int:
            if symbol in HELPERS:
                return self._helper_address(symbol)
            address = self._defined.get(symbol)
            if address is not None:
                return address
            if resolve is not None:
                return resolve(symbol)
            raise KeyError(f"{symbol!r} is not a helper, not defined with define_symbol, "
                           "and no resolver was given")
        return resolve_symbol
