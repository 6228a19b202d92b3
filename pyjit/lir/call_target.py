"""What a call goes to: shared by the LIR's `Call` and the call lowering
strategies (pyjit/aarch64/calls), which sit above the LIR."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TargetKind(enum.Enum):
    HELPER = "helper"        # a C-API function or a Python-implemented helper
    FUNCTION = "function"    # another compiled function's entry
    RUNTIME = "runtime"      # a runtime routine (the shared routines, ...)

    # Members are singletons: hashed by identity, in C (Enum's __hash__ is
    # Python code; a CallTarget's hash, per call site, includes its kind).
    __hash__ = object.__hash__


@dataclass(frozen=True, slots=True)
class CallTarget:
    """What a call goes to.

    symbol is resolved to an address at load time.  address, when known at
    compile time (the engine knows where its helpers live), lets strategies
    such as `near` decide whether a direct `bl` can reach.
    """

    symbol: str
    kind: TargetKind = TargetKind.HELPER
    address: int | None = None
