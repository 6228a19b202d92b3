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
    PYJIT_PASSES         the HIR passes: NAME,NAME,... run instead of the default
                         pipeline, -NAME takes one out (pyjit.hir.passes; the
                         commands' --passes and --disable-pass hand theirs
                         down through it, so child processes see them too)
    PYJIT_ENGINE         unicorn, native
    PYJIT_LOG            the JIT log's path ("-": stderr), in an existing directory
    PYJIT_PERF_MAP       1: the native engine writes /tmp/perf-PID.map (0: not)
    PYJIT_AUTO           `pyjit run`'s default mode autojit:N (N a whole number >= 1)
    PYJIT_LIST_FILE      `pyjit run`'s default mode jitlist:@FILE (an existing file)
    PYJIT_PYTHON_CACHE   where scripts/python.sh keeps the CPython builds it prepares
                         (`pyjit compare --python` looks there too)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from .options import CACHE_MODES, REFCOUNT_MODES, CompileOptions, OptionError, parse_passes

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
    passes = env.get("PYJIT_PASSES") or None
    if passes is not None:
        values["passes"], values["disabled_passes"] = pass_list(passes, "PYJIT_PASSES")
    return CompileOptions(**values)


def with_pass_list(options: CompileOptions, text: str | None, where: str = "the pass list"
                   ) -> CompileOptions:
    """options with the passes of a pass list (None: options unchanged):
    the list replaces the options' passes and passes switched off."""
    if text is None:
        return options
    passes, disabled = pass_list(text, where)
    return options.with_(passes=passes, disabled_passes=disabled)


def pass_list(text: str, where: str) -> tuple[tuple[str, ...] | None, frozenset[str]]:
    """(passes, disabled_passes) of a pass list (options.parse_passes);
    OptionError names an unknown pass and the known ones."""
    from .hir.passes import PASSES
    passes, disabled = parse_passes(text)
    for name in (*(passes or ()), *sorted(disabled)):
        if name not in PASSES:
            raise OptionError(f"{where}: unknown pass {name!r}; the passes are "
                              f"{', '.join(sorted(PASSES))}")
    return passes, disabled


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
                    log=_log_path(env.get("PYJIT_LOG") or None),
                    perf_map=_value(env, "PYJIT_PERF_MAP", ("0", "1")) == "1",
                    auto=_call_count(env.get("PYJIT_AUTO") or None),
                    list_file=_list_file(env.get("PYJIT_LIST_FILE") or None))


def _log_path(path: str | None) -> str | None:
    """PYJIT_LOG: "-" or a file path whose directory exists (whether the
    file can be opened is known when the JIT opens it)."""
    if path is None or path == "-":
        return path
    if os.path.isdir(path):
        raise OptionError(f"PYJIT_LOG={path!r} is a directory: give a file path, or - for "
                          "stderr")
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise OptionError(f"PYJIT_LOG={path!r}: there is no directory {directory!r} to write "
                          "it in")
    return path


def _call_count(text: str | None) -> str | None:
    if text is not None and not (text.isascii() and text.isdigit() and len(text) <= 18
                                 and int(text) >= 1):
        raise OptionError(f"PYJIT_AUTO={text!r} is not a call count: give a whole number "
                          "from 1 up")
    return text


def _list_file(path: str | None) -> str | None:
    if path is not None and not os.path.isfile(path):
        what = "a directory" if os.path.isdir(path) else "not an existing file"
        raise OptionError(f"PYJIT_LIST_FILE={path!r} is {what}: give a file of jitlist "
                          "patterns, one a line")
    return path


def python_cache(env: Mapping[str, str] | None = None) -> str:
    """PYJIT_PYTHON_CACHE, the directory of scripts/python.sh's CPython
    builds (default ~/.cache/pyjit/python)."""
    env = os.environ if env is None else env
    return env.get("PYJIT_PYTHON_CACHE") or os.path.join(
        env.get("HOME") or os.path.expanduser("~"), ".cache", "pyjit", "python")
