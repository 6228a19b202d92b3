"""Call lowering strategies, chosen by name.

    from pyjit.aarch64.calls import get_strategy, CallSite, CallTarget
    lowering = get_strategy("stub")

Importing this package registers the built-in strategies; see `base.py` for
the steps every strategy goes through and the sequences it can choose from.
"""

from .base import (
    DEFAULT_STRATEGY,
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
    "DEFAULT_STRATEGY", "CallLowering", "CallSite", "CallTarget", "CodePlacement",
    "TargetKind", "get_strategy", "register", "strategy_names",
]
