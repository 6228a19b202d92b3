"""The options of a compilation, and the one place the environment is read.

    options = CompileOptions(strategy="stub", caches="off")
    compile_function(f, options=options)
    CompileOptions.from_environment()      # PYJIT_* as defaults

A `CompileOptions` travels down the pipeline explicitly: the HIR passes,
the lowering (caches, direct calls) and the code generator (strategy,
reference counting) read the fields they need from the object they are
handed, never from globals or the environment.  Environment variables are
read only here (`from_environment`, `environment`), at the edge: the JIT,
the command line and the benchmark runner turn them into options and
settings, and a bad value is refused with one sentence naming the
variable, the value and the accepted ones.

This module imports nothing of pyjit at import time (every layer may import
it); validating a strategy name asks the call lowering registry when an
options object is made from the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Mapping

# Reference counting: which increfs and decrefs call per-register thunks
# (pyjit/aarch64/codegen.py: "outline" is the smallest code, "inline" runs the
# fewest instructions, "inline-incref" outlines only the decrefs).
REFCOUNT_MODES = ("outline", "inline-incref", "inline")
# Inline caches and direct calls (pyjit/lir/lower_caches.py, lower_calls.py):
# routines shared per engine, checks inline at each site, or generic helpers.
CACHE_MODES = ("shared", "inline", "off")
ENGINES = ("unicorn", "native")


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
    pipeline); disabled_passes: names taken out of the pipeline."""

    strategy: str | None = None
    refcounts: str = "outline"
    caches: str = "shared"
    direct_calls: str = "shared"
    passes: tuple[str, ...] | None = None
    disabled_passes: frozenset[str] = field(default_factory=frozenset)

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

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> CompileOptions:
        """The options PYJIT_STRATEGY, PYJIT_REFCOUNTS, PYJIT_CACHES and
        PYJIT_DIRECT_CALLS give (unset or empty: the default); OptionError
        names a bad one."""
        env = os.environ if env is None else env
        values = {}
        for name, (variable, allowed) in _VARIABLES.items():
            value = env.get(variable) or None
            if value is None:
                continue
            if allowed is None:                     # the strategy: the registry knows
                from .aarch64.calls import strategy_names
                allowed = tuple(strategy_names())
            if value not in allowed:
                raise OptionError(f"{variable}={value!r} is not one of: {', '.join(allowed)}")
            values[name] = value
        return cls(**values)


# field -> (environment variable, accepted values; None: the strategy names)
_VARIABLES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "strategy": ("PYJIT_STRATEGY", None), "refcounts": ("PYJIT_REFCOUNTS", REFCOUNT_MODES),
    "caches": ("PYJIT_CACHES", CACHE_MODES), "direct_calls": ("PYJIT_DIRECT_CALLS", CACHE_MODES),
}


@dataclass(frozen=True)
class Environment:
    """The settings of the JIT itself that the environment gives: the
    engine (PYJIT_ENGINE), the JIT log (PYJIT_LOG), the native engine's perf
    map (PYJIT_PERF_MAP=1), and `pyjit run`'s default mode (PYJIT_AUTO,
    PYJIT_LIST_FILE)."""

    engine: str = "unicorn"
    log: str | None = None
    perf_map: bool = False
    auto: str | None = None
    list_file: str | None = None


def environment(env: Mapping[str, str] | None = None) -> Environment:
    """The Environment of os.environ (or env); OptionError for a bad value."""
    env = os.environ if env is None else env
    engine = env.get("PYJIT_ENGINE") or "unicorn"
    if engine not in ENGINES:
        raise OptionError(f"PYJIT_ENGINE={engine!r} is not one of: {', '.join(ENGINES)}")
    return Environment(engine=engine, log=env.get("PYJIT_LOG") or None,
                       perf_map=env.get("PYJIT_PERF_MAP") == "1",
                       auto=env.get("PYJIT_AUTO") or None,
                       list_file=env.get("PYJIT_LIST_FILE") or None)
