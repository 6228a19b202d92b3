"""The modes of `pyjit run`, `pyjit suite` and `pyjit cpython-tests`: what
is compiled, and when.

    kind, arg = parse_mode("jitlist:__main__:*")
    touched = apply_mode(kind, arg, module_functions(module), module.__name__,
                         options, engine, say)
    ...                          # run the program
    release(touched)             # every function back to its original code

Modes (as in CinderX):
  nojit             the interpreter only;
  jitlist:PATTERN   compile, before running, every function or method the
                    module defines whose `module:qualname` matches PATTERN
                    (fnmatch wildcards; `__main__` stands for the module, so
                    `__main__:*` is all of it); several patterns separated
                    by `,`; `@FILE` reads patterns from FILE, one a line
                    (`#` comments);
  autojit:N         watch every function of the module and compile each on
                    its N-th call.

The functions a mode covers are the ones given (`apply_mode`'s
`functions`: the commands pass the module's own functions and methods).
This is the one place the commands apply a mode, so a mode that covers
more of the process changes here once for all of them.
"""

from __future__ import annotations

import fnmatch
import time
from typing import Any, Callable

from .loader import BenchmarkError

BROADEST_MODE = "autojit:1"     # every covered function, compiled on its first call


def parse_mode(mode: str) -> tuple[str, Any]:
    """("nojit", None), ("jitlist", [patterns]) or ("autojit", N); raises
    ValueError with the accepted forms."""
    kind, _, arg = mode.partition(":")
    if kind == "nojit" and not arg:
        return "nojit", None
    if kind == "jitlist" and arg:
        if arg.startswith("@"):
            try:
                with open(arg[1:], encoding="utf-8") as f:
                    lines = f.read().splitlines()
            except OSError as exc:
                raise ValueError(f"jitlist file {arg[1:]!r}: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise ValueError(f"jitlist file {arg[1:]!r} is not UTF-8 text") from None
            patterns = [ln.split("#", 1)[0].strip() for ln in lines]
        else:
            patterns = [p.strip() for p in arg.split(",")]
        patterns = [p for p in patterns if p]
        if not patterns:
            raise ValueError(f"jitlist {arg!r} has no patterns")
        return "jitlist", patterns
    if kind == "autojit" and arg:
        try:
            n = int(arg)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"autojit needs a call count >= 1, not {arg!r}")
        return "autojit", n
    raise ValueError(f"bad mode {mode!r}: expected nojit, jitlist:PATTERN (or jitlist:@FILE) "
                     "or autojit:N")


def select(functions, module_name: str, patterns: list[str]):
    """The functions whose module:qualname (or __main__:qualname) matches."""
    chosen = []
    for func in functions:
        names = (f"{module_name}:{func.__qualname__}", f"__main__:{func.__qualname__}")
        if any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns):
            chosen.append(func)
    return chosen


def apply_mode(kind: str, arg: Any, functions: list, module_name: str, options, engine,
               say: Callable[[str], None], mode_text: str = "") -> list:
    """Compile or watch what the mode selects of functions; the functions
    touched (give them to release).  BenchmarkError when a jitlist selects
    nothing."""
    from .. import jit

    touched: list = []
    if kind == "jitlist":
        chosen = select(functions, module_name, arg)
        if not chosen:
            raise BenchmarkError(f"mode {mode_text or arg!r} selects none of the "
                                 f"{len(functions)} functions of {module_name} (names are "
                                 f"{module_name}:QUALNAME or __main__:QUALNAME)")
        say(f"compiling {len(chosen)} of {len(functions)} functions")
        t0 = time.perf_counter()
        for i, func in enumerate(chosen, 1):
            touched.append(func)
            jit.force_compile(func, options=options, engine=engine)
            if i % 10 == 0 or i == len(chosen):
                say(f"compiled {i}/{len(chosen)} functions ({time.perf_counter() - t0:.1f} s)")
    elif kind == "autojit":
        for func in functions:
            touched.append(func)
            jit.watch(func, threshold=arg, options=options, engine=engine)
        say(f"watching {len(functions)} functions, compiling each on call {arg}")
    return touched


def release(touched: list) -> None:
    """Every touched function unwatched and uncompiled."""
    if not touched:
        return          # the JIT is not even imported: nojit runs on any version
    from .. import jit

    for func in touched:
        jit.unwatch(func)
        jit.force_uncompile(func)
