"""Memory over a program's life: calls allocate nothing that outlives
them, dropped compiled functions give their code back, and the arena is
reused, so the number of functions a program compiles is not capped.

RSS is read from /proc/self/statm in a fresh subprocess (so what other
tests left does not count), as a slope over many calls after a warm-up;
`benchmarks/memory_slope.py` measures the full million calls."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import pyjit.jit as jit
from pyjit.environment import settings

from conftest import is_unicorn

ROOT = Path(__file__).parents[2]


def run_python(source: str, timeout: float = 120) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(source)], capture_output=True,
                         text=True, env=env, timeout=timeout, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


RSS_SLOPE = """
    import sys
    import pyjit
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096
    def f():
        return 1
    def g(x, y):
        return [x, y]
    assert pyjit.force_compile(f) and pyjit.force_compile(g)
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else {calls}
    for _ in range(calls // 5):                  # warm-up: translations, caches
        f(); g(1, 2)
    before = rss()
    for _ in range(calls):
        f(); g(1, 2)
    print((rss() - before) / calls)
"""


def test_calls_do_not_grow_memory(engine):
    calls = 100_000 if is_unicorn(engine) else 20_000     # native runs under qemu here
    per_call = float(run_python(RSS_SLOPE.format(calls=calls)))
    # 20 MB over a million calls at most (measured: 0 bytes a call).
    assert per_call < 20.0, f"{per_call:.1f} bytes of RSS per call"


CYCLES = """
    import gc, sys, types
    import pyjit.jit as jit
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096
    def f(x):
        return [x, x + 1]
    def cycle(i):
        g = types.FunctionType(f.__code__, f.__globals__, "g%d" % i)
        assert jit.force_compile(g)
        assert g(i) == [i, i + 1]
        if i % 2:
            jit.force_uncompile(g)       # else it is dropped, and collected
    n = {cycles}
    for i in range(n // 2):
        cycle(i)
    gc.collect()
    base = len(jit.get_engine().loaded)         # the engine's own code, the shared routines
    before = rss()
    for i in range(n):
        cycle(i)
    gc.collect()
    print((rss() - before) / n, len(jit.get_engine().loaded) - base)
"""


def test_compile_call_drop_cycles_do_not_grow_memory(engine):
    cycles = 1_500 if is_unicorn(engine) else 150
    per_cycle, loaded = run_python(CYCLES.format(cycles=cycles)).split()
    assert int(loaded) == 0                     # every compiled function's code went
    if is_unicorn(engine):
        # Measured: about 35 bytes a cycle over 1,500 cycles, where it was
        # 37 KB; translations of unloaded code are flushed.  (Natively, here
        # under qemu, RSS includes qemu's own translations of every load.)
        assert float(per_cycle) < 4096, f"{float(per_cycle):.0f} bytes of RSS per cycle"


def make(i: int):
    def fresh(x):
        return x + i
    return fresh


def test_a_collected_function_gives_its_code_back(engine):
    f = make(1)
    assert jit.force_compile(f) and f(1) == 2
    loaded = next(code for code in engine.loaded if code.name.endswith("make.<locals>.fresh"))
    del f
    gc.collect()
    assert loaded not in engine.loaded
    assert all(jit.refusal_reason(fn) is None for fn in jit.get_compiled_functions())


def test_the_arena_is_reused_beyond_its_capacity():
    """Compile, call and drop 3,000 functions in an engine whose arena holds
    48: without reuse the 49th load would fail."""
    try:
        small = jit.make_engine(settings().engine, code_arena_size=64 << 12)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    with small:
        n = 3_000 if is_unicorn(small) else 300
        base = None
        for i in range(n):
            f = types.FunctionType(make(i).__code__, make(i).__globals__, "f",
                                   None, make(i).__closure__)
            assert jit.force_compile(f, engine=small), jit.refusal_reason(f)
            assert f(1) == i + 1
            del f
            if base is None:
                base = len(small.loaded)       # the engine's own code, the shared routines
        gc.collect()
        assert len(small.loaded) == base


def test_compiling_fifty_thousand_functions_over_a_programs_life():
    """The real count the brief asks for, cheaply: one compiled function's
    bytes loaded 50,000 times in a small arena, as force_compile would
    load them, each unloaded when its function is dropped."""
    try:
        small = jit.make_engine(settings().engine, code_arena_size=32 << 12)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    with small:
        f = make(7)
        assert jit.force_compile(f, engine=small)
        base = len(small.loaded) - 1
        code = jit.compiled_function(f).code
        resolve = jit.compiled_function(f).emitted.resolve
        n = 50_000 if is_unicorn(small) else 5_000
        for _ in range(n):
            small.retire(small.load(code, "copy", resolve))
        jit.force_uncompile(f)
        assert len(small.loaded) == base
