"""The share of a benchmark's Python calls that reach compiled code.

    share = compiled_call_share(lambda: reg.call(), jit.get_compiled_functions())
    share["calls"], share["compiled_calls"], share["share"]

Counted in one extra call of the benchmark with a profile function
(`sys.setprofile`) that sees every Python-level call event of the thread,
generator and coroutine resumptions included, and checks whether the
frame's code is the original code of a compiled function.  While a
profiler is set, pyjit runs every installed function in the interpreter
(jit.py), so this call is interpreted throughout and slower; what it
counts is which calls *would* have run compiled code, by code object,
including calls between compiled functions that the machine code makes
directly.  Calls made on other threads are not counted, nor calls of
pyjit's own Python code (the harness's, the profiler switch's).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Iterable

from ..install import original_code

_PYJIT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def compiled_call_share(call: Callable[[], Any], compiled: Iterable) -> dict[str, Any]:
    """{"calls", "compiled_calls", "share" (0..1, None without calls),
    "seconds"} of one call of `call`; compiled: the compiled functions."""
    codes = {original_code(func) for func in compiled}
    counts = [0, 0]

    mine: dict = {}             # code -> whether it is pyjit's

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            ours = mine.get(code)
            if ours is None:
                ours = mine[code] = code.co_filename.startswith(_PYJIT_DIR)
            if ours:
                return
            counts[0] += 1
            if code in codes:
                counts[1] += 1

    previous = sys.getprofile()
    start = time.perf_counter()
    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(previous)
    seconds = time.perf_counter() - start
    calls, hits = counts
    return {"calls": calls, "compiled_calls": hits,
            "share": hits / calls if calls else None, "seconds": seconds}
