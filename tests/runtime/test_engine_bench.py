"""Benchmark-style measurements, printed (run with -s to see them).

Nothing here asserts a speed: wall time on a shared machine is noisy, so
each number is the median of several runs and only its sanity is checked.
"""

from __future__ import annotations

import ctypes
import statistics
import time

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.labels import LabelUse
from pyjit.aarch64.operands import Mem, PostIndex
from pyjit.aarch64.registers import X0, X1, X2, X3, X19, X20
from pyjit.runtime import UnicornEngine
from pyjit.cpython.helpers import python_helper
from pyjit.runtime.hostmem import PROT_READ, PROT_WRITE, mmap_anonymous, munmap
from pyjit.runtime.identity import CHUNK
from pyjit.runtime.native_first_touch import SUPPORTED as NATIVE_FIRST_TOUCH

from runtime_support import Asm, leaf

SITES = 200


@python_helper("test_empty_helper", (), "void", "none")
def _empty():
    return None


def median_us(fn, per: int, repeat: int = 7) -> float:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) / per * 1e6)
    return statistics.median(samples)


def many_calls(symbol: str, sites: int = SITES):
    """Calls symbol(x19, x20) `sites` times; returns 0."""
    asm = Asm(f"many_{symbol}").prologue()
    asm.emit(isa.mov(X19, X0), isa.mov(X20, X1))
    for _ in range(sites):
        asm.emit(isa.mov(X0, X19), isa.mov(X1, X20))
        asm.call(symbol)
    asm.emit(isa.mov(X0, 0))
    return asm.epilogue().finish()


def test_trap_call_cost(capsys):
    with UnicornEngine(code_arena_size=4 << 20) as eng:
        ret = eng.load(leaf("ret", isa.ret()))
        empty = eng.load(many_calls("test_empty_helper"))
        none = eng.load(many_calls("Py_IncRef", 0))
        call_us = median_us(lambda: [eng.call(ret.address) for _ in range(200)], 200)
        base = median_us(lambda: eng.call(none.address), 1)
        empty_us = (median_us(lambda: eng.call(empty.address), 1) - base) / SITES
        # A real C helper on cached small ints (no allocation, no leak).
        add = eng.load(many_calls("PyNumber_Add"))
        a, b = 3, 4
        add_us = (median_us(lambda: eng.call(add.address, id(a), id(b)), 1) - base) / SITES
        t0 = time.perf_counter()
        for _ in range(20000):
            a + b
        python_add_us = (time.perf_counter() - t0) / 20000 * 1e6
        assert eng.trap_calls == 8 * SITES * 2       # both loops ran 8 times
    with UnicornEngine(code_arena_size=4 << 20, stale_policy="revalidate_each_helper") as eng:
        empty = eng.load(many_calls("test_empty_helper"))
        none = eng.load(many_calls("Py_IncRef", 0))
        objects = [object(), 1.5, "s", int]           # a few host chunks to revalidate
        for obj in objects:
            eng.call(eng.load(leaf("touch", isa.ldr(X0, Mem(X0, 0)), isa.ret())).address, id(obj))
        base = median_us(lambda: eng.call(none.address), 1)
        paranoid_us = (median_us(lambda: eng.call(empty.address), 1) - base) / SITES
        chunks = len(eng.identity.chunks)
        with capsys.disabled():
            print(f"\n  outermost call of `ret`:            {call_us:7.2f} us")
            print(f"  helper trap, empty Python helper:   {empty_us:7.2f} us / call")
            print(f"  helper trap, PyNumber_Add(3, 4):    {add_us:7.2f} us / call "
                  f"(the add itself, in Python: {python_add_us:.2f} us)")
            print(f"  empty helper trap, revalidate_each_helper, {chunks} chunks: "
                  f"{paranoid_us:7.2f} us / call")
    assert 0 < empty_us < 1000 and 0 < add_us < 1000 and 0 < call_us < 10000


def touch_chunks_code():
    """x0 = array of x1 (>= 1) addresses: load one word from each."""
    asm = Asm("touch")
    top = asm.label("top")
    asm.bind(top)
    asm.emit(isa.ldr(X2, PostIndex(X0, 8)), isa.ldr(X3, Mem(X2, 0)), isa.subs(X1, X1, 1))
    asm.buf.emit_use(isa.b_cond("ne", 0), top, LabelUse.BRANCH19)
    asm.emit(isa.ret())
    return asm.finish()


@pytest.mark.parametrize("native", [True, False], ids=["native-first-touch", "python-first-touch"])
@pytest.mark.parametrize("policy", ["revalidate", "unmap_all"])
def test_stale_page_policy_cost(policy, native, capsys):
    if native and not NATIVE_FIRST_TOUCH:
        pytest.skip("no native first-touch hook on this host")
    regions = [mmap_anonymous(2 * CHUNK, PROT_READ | PROT_WRITE) for _ in range(32)]
    try:
        with UnicornEngine(code_arena_size=1 << 20, stale_policy=policy,
                           native_first_touch=native) as eng:
            touch = eng.load(touch_chunks_code())
            rows = []
            for k in (1, 8, 32):
                array = (ctypes.c_uint64 * k)(*(r + CHUNK for r in regions[:k]))
                address = ctypes.addressof(array)
                eng.call(touch.address, address, k)
                per_call = median_us(lambda: [eng.call(touch.address, address, k)
                                              for _ in range(20)], 20)
                chunks = len(eng.identity.chunks)
                entry = median_us(lambda: [eng.identity.revalidate() for _ in range(100)], 100)
                rows.append((k, chunks, per_call, entry))
            with capsys.disabled():
                print(f"\n  stale policy {policy!r}, {'native' if native else 'Python'} first "
                      "touch: per outermost call touching k chunks")
                for k, chunks, per_call, entry in rows:
                    print(f"    k={k:2d} ({chunks:2d} chunks mapped): {per_call:8.1f} us a call; "
                          f"revalidating all chunks alone: {entry:6.1f} us")
            assert all(per_call > 0 for _, _, per_call, _ in rows)
    finally:
        for r in regions:
            munmap(r, 2 * CHUNK)


def test_first_touch_cost(capsys):
    """A first touch of each of 64 chunks new to the host, in one call:
    mapped by the native hook (in its probe path: memory the table has not
    seen), or by the Python hook (which reads the host's maps on a miss)."""
    rows = []
    for native in ([True] if NATIVE_FIRST_TOUCH else []) + [False]:
        samples = []
        regions = [mmap_anonymous(65 * CHUNK, PROT_READ | PROT_WRITE) for _ in range(5)]
        try:
            with UnicornEngine(code_arena_size=1 << 20, native_first_touch=native) as eng:
                touch = eng.load(touch_chunks_code())
                own = (ctypes.c_uint64 * 1)(id(eng))
                eng.call(touch.address, ctypes.addressof(own), 1)    # the context exists
                for region in regions:
                    base = (region + CHUNK - 1) & ~(CHUNK - 1)
                    array = (ctypes.c_uint64 * 64)(*(base + i * CHUNK for i in range(64)))
                    start = time.perf_counter()
                    eng.call(touch.address, ctypes.addressof(array), 64)
                    samples.append((time.perf_counter() - start) / 64 * 1e6)
                    touched = [eng.identity.covering(a) for a in array]
                    assert all(c is not None and c[1] - c[0] == CHUNK for c in touched)
        finally:
            for region in regions:
                munmap(region, 65 * CHUNK)
        rows.append((native, statistics.median(samples)))
    with capsys.disabled():
        for native, us in rows:
            print(f"\n  first touch of a new chunk, {'native' if native else 'Python'} hook: "
                  f"{us:7.1f} us", end="")
        print()


def test_counting_overhead(capsys):
    from test_engine_counts import loop_code
    with UnicornEngine(code_arena_size=1 << 20) as eng:
        f = eng.load(loop_code("bench_loop"))
        n = 20000
        off = median_us(lambda: eng.call(f.address, n), 5 * n + 5, repeat=5)
        eng.counting = True
        on = median_us(lambda: eng.call(f.address, n), 5 * n + 5, repeat=5)
        assert eng.counts()["bench_loop"].instructions == 6 * (5 * n + 5)
        with capsys.disabled():
            print(f"\n  loop, counting off: {1 / off:8.1f} M instructions/s; "
                  f"counting on: {1 / on:6.1f} M instructions/s")
