"""Compile time grows linearly with the size of a function.

A function of N `try: g() / except E: pass` blocks has N handlers, each
with its landing block, its exception edges and its phis.  Quadratic steps
(predecessor maps recomputed per merged block, exception table searches
per instruction, edge splits searching the block list, the garbage
collector walking the compiler's objects again and again) once made 3,000
handlers take minutes.  The test compares compile times rather than
asserting absolute ones: compiling ten times the handlers may take at most
twenty times as long (linear is ten; measured here: 13 to 15).  Times are
CPU times of this process (other processes on the machine do not count),
each the median of three compilations, the two sizes interleaved.
"""

from __future__ import annotations

import gc
import statistics
import time

from pyjit.compiler import compile_function

SMALL, LARGE = 300, 3000
RUNS = 3
MAX_RATIO = 20


def handlers(n: int):
    """f() with n try/except blocks, each calling g and catching E."""
    body = "".join("    try:\n        g()\n    except E:\n        pass\n" for _ in range(n))
    namespace = {"g": int, "E": ValueError}
    exec(compile(f"def f():\n{body}    return 0\n", f"<{n} handlers>", "exec"), namespace)
    return namespace["f"]


def _compile_time(fn) -> float:
    gc.collect()                  # what earlier compilations left is not this one's cost
    start = time.process_time()
    compile_function(fn)
    return time.process_time() - start


def test_compile_time_is_linear_in_the_number_of_handlers():
    small, large = handlers(SMALL), handlers(LARGE)
    times: dict[int, list[float]] = {SMALL: [], LARGE: []}
    for _ in range(RUNS):
        times[SMALL].append(_compile_time(small))
        times[LARGE].append(_compile_time(large))
    t_small, t_large = statistics.median(times[SMALL]), statistics.median(times[LARGE])
    ratio = t_large / t_small
    assert ratio < MAX_RATIO, (f"{LARGE} handlers took {t_large:.2f} s, {SMALL} took "
                               f"{t_small:.2f} s: {ratio:.1f} times as long")


def test_each_handler_has_its_landings():
    # What the timing test scales: per handler, two landing blocks (each
    # starting with FetchException) in the compiled function's HIR: the
    # except clause's and its clean-up's (3.11 restores the handled
    # exception when the clause raises).
    for n in (1, 7):
        hir = compile_function(handlers(n)).hir
        landings = [b for b in hir.blocks if b.instrs and type(b.instrs[0]).__name__ == "FetchException"]
        assert len(landings) == 2 * n
