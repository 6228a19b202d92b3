"""The modes of `pyjit run`, `pyjit suite` and `pyjit cpython-tests`: what
is compiled, and when, over the whole process (pyjit/autojit.py).

    kind, arg = parse_mode("jitlist:__main__:*")
    applied = apply_mode(kind, arg, module_functions(module), module.__name__,
                         options, engine, say)
    ...                          # run the program
    release(applied)             # the mode off, every function as it was

Modes (as in CinderX):
  nojit             the interpreter only;
  jitlist:PATTERN   every function of the process whose `module:qualname`
                    matches PATTERN (fnmatch wildcards: `json.decoder:*`,
                    `*:*`; `__main__` also stands for the program's module)
                    is compiled: the program module's own before it runs,
                    any other on its first call; several patterns separated
                    by `,`; `@FILE` reads them from FILE, one a line, `#`
                    starting a comment (CinderX's jitlist file format);
  autojit:N         every function of the process (any module, the standard
                    library's included, functions made later included) is
                    compiled on the N-th call of its code.

pyjit's own modules and the ones it runs on are left out (autojit.EXCLUDED).
`Applied.functions` are the program module's functions (what the commands
report first); `Applied.touched()` adds what the process mode compiled.
"""

from __future__ import annotations

import fnmatch
import time
from dataclasses import dataclass, field
from typing import Any, Callable

BROADEST_MODE = "autojit:1"     # every function, compiled on its first call


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
        for p in patterns:
            if ":" not in p and not any(c in p for c in "*?["):
                raise ValueError(f"jitlist pattern {p!r} is not MODULE:QUALNAME "
                                 "(wildcards allowed: json.decoder:*, *:*, *)")
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


@dataclass
class Applied:
    """What a mode did: the module's functions it covers, and the
    process-wide mode (pyjit/autojit.py) while it is on."""
    functions: list = field(default_factory=list)
    process: Any = None

    def touched(self) -> list:
        """The module's functions, then every other function the process
        mode compiled (compiled ones only: the refused are in
        `process.refused`)."""
        seen = {id(f) for f in self.functions}
        extra = [] if self.process is None else self.process.compiled_functions()
        return self.functions + [f for f in extra if id(f) not in seen]


def apply_mode(kind: str, arg: Any, functions: list, module_name: str, options, engine,
               say: Callable[[str], None], mode_text: str = "",
               leave_alone: list = ()) -> Applied:
    """Start the mode over the whole process (pyjit/autojit.py) and, for a
    jitlist, compile what it selects of the module's functions at once;
    what was done (give it to release).  leave_alone: modules whose
    functions stay in the interpreter (the reference copies of `pyjit run`)."""
    from .. import autojit, jit

    applied = Applied()
    if kind == "nojit":
        return applied
    if kind == "jitlist":
        chosen = select(functions, module_name, arg)
        say(f"compiling {len(chosen)} of the {len(functions)} functions of {module_name}; "
            "any other function the patterns select, on its first call")
        t0 = time.perf_counter()
        for i, func in enumerate(chosen, 1):
            applied.functions.append(func)
            jit.force_compile(func, options=options, engine=engine)
            if i % 10 == 0 or i == len(chosen):
                say(f"compiled {i}/{len(chosen)} functions ({time.perf_counter() - t0:.1f} s)")
        applied.process = autojit.start(1, arg, options=options, engine=engine,
                                        main_module=module_name, leave_alone=leave_alone)
    elif kind == "autojit":
        applied.functions.extend(functions)
        applied.process = autojit.start(arg, options=options, engine=engine,
                                        main_module=module_name, leave_alone=leave_alone)
        say(f"counting the calls of {applied.process.counted_at_start} functions, "
            f"compiling each on call {arg}")
    if applied.process is not None and applied.process.watch_note:
        say(applied.process.watch_note)
    return applied


def release(applied: Applied | None) -> None:
    """The process mode off, and every function it or the jitlist compiled
    back to its original code."""
    if applied is None or (not applied.functions and applied.process is None):
        return          # the JIT is not even imported: nojit runs on any version
    from .. import autojit, jit

    if applied.process is not None:
        autojit.stop()                   # first: nothing compiles from here on
    for func in applied.touched():
        jit.force_uncompile(func)
