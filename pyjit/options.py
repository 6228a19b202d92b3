"""The options of a compilation.

    options = CompileOptions(strategy="stub", caches="off")
    compile_function(f, options=options)

A `CompileOptions` travels down the pipeline explicitly: the HIR passes,
the lowering (caches, direct calls) and the code generator (strategy,
reference counting) read the fields they need from the object they are
handed, never from globals or the environment.  The environment's PYJIT_*
variables become its defaults at the edge (pyjit/environment.py, the one
place they are read).

This module imports nothing of pyjit: every layer may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# Reference counting: which increfs and decrefs call per-register thunks
# (pyjit/aarch64/codegen.py: "outline" is the smallest code, "inline" runs the
# fewest instructions, "inline-incref" outlines only the decrefs).
REFCOUNT_MODES = ("outline", "inline-incref", "inline")
# Inline caches and direct calls (pyjit/lir/lower_caches.py, lower_calls.py):
# routines shared per engine, checks inline at each site, or generic helpers.
CACHE_MODES = ("shared", "inline", "off")


def parse_passes(text: str) -> tuple[tuple[str, ...] | None, frozenset[str]]:
    """The (passes, disabled_passes) of a pass list as PYJIT_PASSES and
    `--passes` write it: comma-separated names, run in that order instead
    of the default pipeline; a name written -NAME is taken out instead
    (out of the default pipeline when no plain name is given).  Names are
    not checked here (the registry is pyjit.hir.passes.PASSES)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    passes = tuple(n for n in names if not n.startswith("-"))
    disabled = frozenset(n[1:] for n in names if n.startswith("-"))
    return (passes or None), disabled


def format_passes(passes: tuple[str, ...] | None, disabled: frozenset[str]) -> str:
    """The text parse_passes reads back as (passes, disabled)."""
    return ",".join([*(passes or ()), *(f"-{n}" for n in sorted(disabled))])


class OptionError(ValueError):
    """A bad option value; the message is one sentence naming it."""


def _check(what: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise OptionError(f"unknown {what} {value!r}: the accepted values are "
                          f"{', '.join(allowed)}")


@dataclass(frozen=True)
class CompileOptions:
    """How one function is compiled.

    strategy: the call lowering strategy's name (None: the default one);
    refcounts: one of REFCOUNT_MODES; caches and direct_calls: one of
    CACHE_MODES (direct calls between compiled functions, through call
    cells); passes: the HIR pass pipeline by name (None: the default
    pipeline); disabled_passes: names taken out of the pipeline;
    eval_breaker: check the interpreter's eval breaker at function entry
    and on loop back edges, as the interpreter does (False only to measure
    what the checks cost: signals, pending calls and GIL drop requests then
    wait until compiled code returns)."""

    strategy: str | None = None
    refcounts: str = "outline"
    caches: str = "shared"
    direct_calls: str = "shared"
    passes: tuple[str, ...] | None = None
    disabled_passes: frozenset[str] = field(default_factory=frozenset)
    eval_breaker: bool = True

    def __post_init__(self) -> None:
        _check("refcounts mode", self.refcounts, REFCOUNT_MODES)
        _check("caches mode", self.caches, CACHE_MODES)
        _check("direct calls mode", self.direct_calls, CACHE_MODES)
        if self.passes is not None:
            object.__setattr__(self, "passes", tuple(self.passes))
        object.__setattr__(self, "disabled_passes", frozenset(self.disabled_passes))

    def with_(self, **changes) -> CompileOptions:
        """A copy with some fields changed (None for strategy/refcounts
        keeps this object's value)."""
        changes = {k: v for k, v in changes.items()
                   if v is not None or k not in ("strategy", "refcounts")}
        return replace(self, **changes)

    def pipeline(self, default: tuple[str, ...]) -> tuple[str, ...]:
        """The HIR passes to run, given the default pipeline."""
        passes = default if self.passes is None else self.passes
        return tuple(p for p in passes if p not in self.disabled_passes)
