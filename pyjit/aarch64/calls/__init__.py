"""Call lowering strategies, chosen by name.

    from pyjit.aarch64.calls import get_strategy, CallSite, CallTarget
    lowering = get_strategy("stub")

Importing this package registers the built-in strategies; see `base.py` for
the steps every strategy goes through, the building blocks it chooses from
and their cost table.
"""

from .base import (
    COSTS,
    DEFAULT_STRATEGY,
    BlockCost,
    BuildingBlock,
    CallLowering,
    CallSite,
    CallTarget,
    CodePlacement,
    TargetKind,
    get_strategy,
    register,
    strategy_names,
)
from . import direct, literal, stub, lazy_stub, hot_literal, near  # noqa: F401  (registration)

__all__ = [
    "COSTS", "DEFAULT_STRATEGY", "BlockCost", "BuildingBlock", "CallLowering", "CallSite",
    "CallTarget", "CodePlacement", "TargetKind", "get_strategy", "register", "strategy_names",
]
