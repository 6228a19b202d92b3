"""Compiling a function for its size, without loading or installing it.

    placement = engine_placement()
    for strategy in check_strategy("all"):
        outcome = compile_one("mod:f", f, strategy, placement)
        if outcome.compiled is not None:
            print(outcome.strategy, sizes_of(outcome.compiled))

The pipeline is the one `pyjit.jit.force_compile` runs (same placement, same
options from the environment), so the bytes are those the JIT would install.  Shared by
`pyjit size` and `pyjit dump` (pyjit/cli/), `measure/compare.py` and
`measure/report.py`.  Heavy modules are imported on first use, so the CLI
can import this one while `pyjit --help` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SECTIONS = ("code", "literals", "stubs", "veneers", "padding")


@dataclass
class Outcome:
    """One function compiled with one strategy: `compiled` (a
    CompiledFunction), or the refusal reason, or the error of a JIT bug."""

    name: str
    strategy: str
    compiled: Any = None
    refused: str | None = None
    error: str | None = None


def check_strategy(name: str | None) -> list[str | None]:
    """The strategies a --strategy value stands for: [None] (the default,
    $PYJIT_STRATEGY first), [name], or every registered one for 'all'.
    Raises ValueError naming the known strategies (OptionError, one, for
    a bad PYJIT_* variable)."""
    from ..aarch64.calls import strategy_names
    from ..environment import compile_options

    environment = compile_options()
    known = strategy_names()
    if name == "all":
        return list(known)
    if name is not None and name not in known:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(known)}, all")
    return [name or environment.strategy]


def engine_placement():
    """Where the JIT's engine would load code (what force_compile compiles
    for, so that `near` decides the same way): the engine's own placement
    when it exists or is the native one, else the placement a Unicorn
    engine will give, planned without making one (compiling needs no
    emulator)."""
    from .. import jit
    from ..environment import settings
    from ..runtime.placement import planned_placement
    if jit.current_engine() is None and settings().engine == "unicorn":
        return planned_placement()
    return jit.get_engine().placement()


def compile_one(name: str, func, strategy: str | None, placement,
                passes: str | None = None) -> Outcome:
    """Compile func without installing it; refusals and JIT bugs become
    the outcome instead of exceptions.  passes: a pass list
    (PYJIT_PASSES syntax) replacing the environment's."""
    from ..aarch64.calls import DEFAULT_STRATEGY
    from ..compiler import compile_function
    from ..hir.errors import CompileRefused

    from ..environment import compile_options, with_pass_list

    shown = strategy or DEFAULT_STRATEGY
    try:
        options = with_pass_list(compile_options().with_(strategy=strategy), passes)
        result = compile_function(func, options=options, placement=placement)
    except CompileRefused as exc:
        return Outcome(name, shown, refused=exc.reason)
    except Exception as exc:  # noqa: BLE001 - a JIT bug must not hide the other functions
        return Outcome(name, shown, error=f"{type(exc).__name__}: {exc}")
    return Outcome(name, result.strategy, compiled=result)


def sizes_of(compiled) -> dict[str, int]:
    """{'total': ..., 'code': ..., ...} of a CompiledFunction."""
    sizes = compiled.code.sizes
    return {"total": sizes["total"], **{s: sizes.get(s, 0) for s in SECTIONS}}
