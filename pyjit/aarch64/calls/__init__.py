"""Call lowering strategies, chosen by name.

    from pyjit.aarch64.calls import get_strategy, CallSite, CallTarget
    lowering = get_strategy("stub")

Importing this package imports every module in it, in sorted order, except
`base` and private modules (named `_x`): each is a strategy module and must
register at least one strategy with `@register` (ImportError otherwise).  A
new strategy is therefore one file dropped here, and no list to edit.

Order: `strategy_names()` lists strategies by their class's `order`, then
by name -- not by import order.  The built-ins use 10 (direct), 20
(literal), 30 (stub), 40 (lazy-stub), 50 (hot-literal), 60 (near); a new
strategy keeps the default order (100) and comes after them, by name,
unless it picks a number to sit in between.

See `base.py` for the steps every strategy goes through, the building
blocks it chooses from and their cost table.
"""

import importlib
import pkgutil

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


def _import_strategy_modules() -> None:
    """Import every strategy module of this package (see the docstring)."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name == "base" or module.name.startswith("_"):
            continue
        before = len(strategy_names())
        importlib.import_module(f"{__name__}.{module.name}")
        if len(strategy_names()) == before:
            raise ImportError(f"{__name__}.{module.name} registers no call lowering strategy "
                              "(decorate its class with @register, or name a helper module _x)")


_import_strategy_modules()

__all__ = [
    "COSTS", "DEFAULT_STRATEGY", "BlockCost", "BuildingBlock", "CallLowering", "CallSite",
    "CallTarget", "CodePlacement", "TargetKind", "get_strategy", "register", "strategy_names",
]
