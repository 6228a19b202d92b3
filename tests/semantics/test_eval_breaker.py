"""Compiled code checks the interpreter's eval breaker where the interpreter
does: at a function's entry (3.11's RESUME) and on every loop back edge
(JUMP_BACKWARD, the backward conditional jumps).  What the check serves
(signals: test_signals.py) includes handing the GIL to a thread that asks
for it, so other threads run while a compiled loop runs.

Both engines run compiled code holding the GIL, so without the check the
thread tests never end: the other thread would wait for the whole loop,
which waits for it.
"""

from __future__ import annotations

import threading
import time

import pytest

import pyjit.jit as jit
from pyjit.hir.build import build_hir
from pyjit.options import CompileOptions
from semantics_support import compiled, fresh  # noqa: F401  (fixtures)

BOUND = 20.0        # seconds a thread may take to get what it waits for (qemu is slow)

SHAPES = {
    "no loop": ("def f(x):\n    return x + 1\n", 1),
    "while True": ("def f(x):\n    while True:\n        x += 1\n", 2),
    "while cond": ("def f(x):\n    while x:\n        x -= 1\n    return x\n", 2),
    "for": ("def f(x):\n    for i in x:\n        pass\n", 2),
    "nested": ("def f(x):\n    for i in x:\n        for j in x:\n            pass\n"
               "    while x:\n        x = 0\n", 4),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_one_check_at_entry_and_one_per_back_edge(shape, fresh):
    source, checks = SHAPES[shape]
    func = build_hir(fresh(source, "f"))
    assert sum(i.opname == "CheckEvalBreaker" for i in func.instructions()) == checks


def test_the_option_leaves_the_checks_out(fresh):
    f = fresh(SHAPES["nested"][0], "f")
    func = build_hir(f, CompileOptions(eval_breaker=False))
    assert not any(i.opname == "CheckEvalBreaker" for i in func.instructions())
    try:
        assert jit.force_compile(f)
        with_checks = jit.get_compiled_size(f)
        assert jit.force_compile(f, options=jit.default_options().with_(eval_breaker=False))
        assert jit.get_compiled_size(f) < with_checks
        assert f([1, 2]) is None
    finally:
        jit.force_uncompile(f)


UNTIL = """
def until(flag):
    n = 0
    while not flag:
        n += 1
    return n
"""


def test_another_thread_runs_while_a_compiled_loop_runs(compiled, fresh):
    """The worker (interpreted) needs the GIL to count and then set the flag
    that ends the main thread's compiled loop."""
    until = compiled(fresh(UNTIL, "until"))
    flag, progress = [], []

    def worker():
        for i in range(200):
            progress.append(i)
        flag.append(True)

    for _ in range(3):
        flag.clear()
        progress.clear()
        start = time.monotonic()
        thread = threading.Thread(target=worker)
        thread.start()
        assert until(flag) >= 0
        thread.join()
        assert len(progress) == 200
        assert time.monotonic() - start < BOUND


def test_two_threads_running_compiled_loops_both_make_progress(compiled, fresh):
    """Each thread counts in a compiled loop until the main thread (which
    needs the GIL too) says stop; all three must get the GIL in turn.  The
    second thread starts once the first one counts (an engine that lets one
    thread at a time run compiled code refuses the second then)."""
    source = """
    def count(slot, counts, stop):
        while not stop:
            counts[slot] += 1
    """
    count = compiled(fresh(source, "count"))
    counts, stop, errors = [0, 0], [], []

    def run(slot):
        try:
            count(slot, counts, stop)
        except RuntimeError as exc:          # an engine that only one thread may enter
            errors.append(exc)

    def wait_for(condition):
        deadline = time.monotonic() + BOUND
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.01)

    threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
    try:
        threads[0].start()
        wait_for(lambda: counts[0] > 0)
        threads[1].start()
        wait_for(lambda: min(counts) >= 1000 or errors)
    finally:
        stop.append(True)
        for t in threads:
            if t.is_alive() or t.ident is not None:
                t.join()
    if errors:
        pytest.skip(f"the engine runs compiled code on one thread at a time: {errors[0]}")
    assert min(counts) >= 1000, counts
