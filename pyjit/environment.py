"""The one place pyjit reads its environment variables.

    options = compile_options()          # PYJIT_STRATEGY, PYJIT_REFCOUNTS, ...
    settings().engine                    # PYJIT_ENGINE

Read at the edge, by the JIT (`pyjit.jit`), the command line and the
benchmark runner, each time they start a compilation or make an engine, and
turned into a `CompileOptions` (pyjit/options.py) or `Settings`; nothing
below reads the environment.  A bad value is refused with one sentence
naming the variable, the value and the accepted ones (`OptionError`).

    PYJIT_STRATEGY       the call lowering strategy (the registered names)
    PYJIT_REFCOUNTS      outline, inline-incref, inline
    PYJIT_CACHES         shared, inline, off
    PYJIT_DIRECT_CALLS   shared, inline, off
    PYJIT_ENGINE         unicorn, native
    PYJIT_LOG            the JIT log's path ("-": stderr)
    PYJIT_PERF_MAP       1: the native engine writes /tmp/perf-PID.map
    PYJIT_AUTO           `pyjit run`'s default mode autojit:N
    PYJIT_LIST_FILE      `pyjit run`'s default mode jitlist:@FILE
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from .options import CACHE_MODES, REFCOUNT_MODES, CompileOptions, OptionError

ENGINES = ("unicorn", "native")

# CompileOptions field -> (variable, accepted values; None: the strategies)
_OPTIONS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "strategy": ("PYJIT_STRATEGY", None), "refcounts": ("PYJIT_REFCOUNTS", REFCOUNT_MODES),
    "caches": ("PYJIT_CACHES", CACHE_MODES), "direct_calls": ("PYJIT_DIRECT_CALLS", CACHE_MODES),
}


def _value(env: Mapping[str, str], variable: str, allowed: tuple[str, ...]) -> str | None:
    value = env.get(variable) or None
    if value is not None and value not in allowed:
        raise OptionError(f"{variable}={value!r} is not one of: {', '.join(allowed)}")
    return value


def compile_options(env: Mapping[str, str] | None = None) -> CompileOptions:
    """The CompileOptions the environment gives (an unset or empty variable:
    the default); OptionError names a bad value."""
    from .aarch64.calls import strategy_names
    env = os.environ if env is None else env
    values = {}
    for name, (variable, allowed) in _OPTIONS.items():
        value = _value(env, variable, tuple(strategy_names()) if allowed is None else allowed)
        if value is not None:
            values[name] = value
    return CompileOptions(**values)


@dataclass(frozen=True)
class Settings:
    """What the environment says of the JIT itself: the engine, the JIT
    log, the native engine's perf map, and `pyjit run`'s default mode."""

    engine: str = "unicorn"
    log: str | None = None
    perf_map: bool = False
    auto: str | None = None
    list_file: str | None = None


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """The Settings of os.environ (or env); OptionError for a bad value."""
    env = os.environ if env is None else env
    return Settings(engine=_value(env, "PYJIT_ENGINE", ENGINES) or "unicorn",
                    log=env.get("PYJIT_LOG") or None,
                    perf_map=env.get("PYJIT_PERF_MAP") == "1",
                    auto=env.get("PYJIT_AUTO") or None,
                    list_file=env.get("PYJIT_LIST_FILE") or None)
