"""The share of a benchmark's Python calls that reach compiled code.

    share = compiled_call_share(lambda: reg.call(), jit.get_compiled_functions())
    share["calls"], share["compiled_calls"], share["share"]

Counted in one extra call of the benchmark with a profile function
(`sys.setprofile`) that sees every Python-level call event of the thread,
generator and coroutine resumptions included, and checks whether the
frame's code is the original code of a compiled function or has compiled
code loaded (sharing.py: the next function made of it runs that).  Under
a process-wide mode the frame of a counted copy whose count is used up is
not a call of its own: its prologue's hook makes the call compiled (the
frame that follows is counted).  Calls pyjit's own code makes into the
modules it runs on (weakref's dictionaries, for its records) are its
bookkeeping, not the program's, and so is what they call.  While a
profiler is set, pyjit runs every installed function in the interpreter
(jit.py), so this call is interpreted throughout and slower; what it
counts is which calls *would* have run compiled code, by code object,
including calls between compiled functions that the machine code makes
directly.  Calls on threads the call starts are counted too (a thread
pool's workers: `threading.setprofile`); calls on threads that were
running before are not, nor calls of pyjit's own Python code (the
harness's, the profiler switch's).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable, Iterable

from .. import sharing
from ..autojit import EXCLUDED, passes_to_compiled
from ..jit import in_compiler
from ..install import original_code
from ..cpython.frames import real_back
from ..cpython.own_files import PACKAGE_DIR, is_own_module


def compiled_call_share(call: Callable[[], Any], compiled: Iterable) -> dict[str, Any]:
    """{"calls", "compiled_calls", "share" (0..1, None without calls),
    "seconds", "missed"} of one call of `call`; compiled: the compiled
    functions.  "missed" names the codes called most often that were not
    compiled (`file:line qualname` and their calls), what to look at when
    the share is low."""
    # A code whose compiled code is kept loaded (comprehensions, closures:
    # functions made anew each time) counts even while no function of it lives.
    codes = {original_code(func) for func in compiled} | sharing.loaded_codes()
    counts = [0, 0]
    missed: dict = {}           # code -> calls, for codes not compiled

    mine: dict = {}             # code -> whether it is pyjit's
    runs_on: dict = {}          # code -> whether it is of a module pyjit runs on
    behalf: set = set()         # ids of the frames of such code pyjit called, running

    def ours(frame) -> bool:
        code = frame.f_code
        own = mine.get(code)
        if own is None:
            # (pyjit's dataclasses' methods are code from strings, in
            # pyjit's modules' globals)
            own = mine[code] = (code.co_filename.startswith(PACKAGE_DIR)
                                or is_own_module(frame.f_globals.get("__name__")))
        return own

    def profile(frame, event, arg):
        if event == "return":
            if behalf:
                behalf.discard(id(frame))
            return
        if event == "call":
            code = frame.f_code
            if ours(frame) or passes_to_compiled(code) or in_compiler():
                return                  # (what pyjit's compiler calls is its own)
            back = real_back(frame)
            if back is not None and (id(back) in behalf or ours(back)):
                # pyjit's own bookkeeping (weakref's dictionaries...) and
                # what that calls: not the program's calls
                engine_side = runs_on.get(code)
                if engine_side is None:
                    engine_side = runs_on[code] = _runs_on(frame)
                if engine_side or id(back) in behalf:
                    behalf.add(id(frame))
                    return
            counts[0] += 1
            if code in codes:
                counts[1] += 1
            else:
                missed[code] = missed.get(code, 0) + 1

    previous = sys.getprofile()
    previous_threads = threading.getprofile()
    start = time.perf_counter()
    threading.setprofile(profile)      # threads the call starts (a thread pool's)
    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(previous)
        threading.setprofile(previous_threads)
    seconds = time.perf_counter() - start
    calls, hits = counts
    top = sorted(missed.items(), key=lambda item: -item[1])[:MISSED_SHOWN]
    return {"calls": calls, "compiled_calls": hits,
            "share": hits / calls if calls else None, "seconds": seconds,
            "missed": [[_where(code), n] for code, n in top]}


MISSED_SHOWN = 10


def _runs_on(frame) -> bool:
    """Whether frame's code is of a module the process-wide modes leave
    alone because pyjit runs on it (autojit.EXCLUDED)."""
    name = frame.f_globals.get("__name__")
    return type(name) is str and any(name == m or name.startswith(m + ".") for m in EXCLUDED)


def _where(code) -> str:
    return f"{code.co_filename}:{code.co_firstlineno} {code.co_qualname}"
