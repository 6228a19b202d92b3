"""The lifetime of compiled code: uncompiling (or recompiling) a function
from inside its own running activation, from another frame or thread, and
dropping functions, behave as in the interpreter: the running activation
finishes normally, later calls run the new code, and the old code is freed
once nothing runs it."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

import pyjit.jit as jit


def loaded_named(engine, suffix: str):
    return [code for code in engine.loaded if code.name.endswith(suffix)]


def self_uncompiling(n):
    jit.force_uncompile(self_uncompiling)       # while this activation runs compiled code
    total = 0
    for i in range(n):
        total += i * i                          # the rest of the activation, still compiled
    return [total, jit.is_jit_compiled(self_uncompiling)]


def test_uncompile_from_inside_the_running_function(engine, jit_compile):
    jit_compile(self_uncompiling)
    code = loaded_named(engine, ":self_uncompiling")
    assert len(code) == 1
    assert self_uncompiling(10) == [285, False]
    assert loaded_named(engine, ":self_uncompiling") == []      # freed once it returned
    assert self_uncompiling(10) == [285, False]                   # the interpreter now
    assert not jit.is_jit_compiled(self_uncompiling)


def recompiling(n):
    if n:
        assert jit.force_compile(recompiling)   # new code loaded while the old one runs
        return recompiling(n - 1) + 1
    return 0


def test_recompile_from_inside(engine, jit_compile):
    jit_compile(recompiling)
    assert recompiling(5) == 5
    assert len(loaded_named(engine, ":recompiling")) == 1      # the old copies are gone
    assert jit.is_jit_compiled(recompiling) and recompiling(0) == 0


def uncompile_caller():
    jit.force_uncompile(outer_of_uncompile)
    return 1


def outer_of_uncompile(n):
    # The uncompile happens in a frame below; the loop goes on compiled.
    s = 0
    for i in range(n):
        s += uncompile_caller() + i
    return s


def test_uncompile_from_a_frame_below(engine, jit_compile):
    jit_compile(outer_of_uncompile)
    assert outer_of_uncompile(50) == 50 + sum(range(50))
    assert loaded_named(engine, ":outer_of_uncompile") == []
    assert outer_of_uncompile(3) == 6


def test_uncompile_from_another_thread_while_it_runs(engine, jit_compile):
    entered, done = threading.Event(), threading.Event()

    def wait_inside(x):
        entered.set()
        assert done.wait(20)
        return x

    def running(x):
        return wait_inside(x) * 2 + len([x])

    jit_compile(running)
    results = []
    t = threading.Thread(target=lambda: results.append(running(5)), daemon=True)
    t.start()
    assert entered.wait(20)
    jit.force_uncompile(running)                # the other thread is inside its code
    assert len(loaded_named(engine, "running")) == 1    # kept while it runs
    done.set()
    t.join(20)
    assert results == [11] and not t.is_alive()
    jit.get_engine().loaded                     # a safe point: the unload happens
    assert loaded_named(engine, "running") == []


def make_adder(k):
    def add(x):
        return x + k
    return add


def calls_through_cell(f, x):
    return f(x) + 1


@pytest.mark.parametrize("repeat", range(3))
def test_dropped_functions_are_collected_and_their_code_freed(engine, jit_compile, repeat):
    jit_compile(calls_through_cell)
    before = len(engine.loaded)
    refs = []
    for k in range(40):
        add = make_adder(k)
        assert jit.force_compile(add)
        assert calls_through_cell(add, 1) == k + 2      # its entry cached in a call cell
        refs.append(weakref.ref(add))
        del add
    gc.collect()
    assert all(r() is None for r in refs)               # the JIT kept none of them alive
    assert len(engine.loaded) == before
    # New functions may now have the dead ones' addresses: the call cell
    # must not send them to freed code.
    for k in range(40):
        assert calls_through_cell(make_adder(k), 2) == k + 3


def test_a_function_that_drops_itself_while_running(engine, jit_compile):
    table = {}

    def run(x):
        del table["f"]          # the last reference but the caller's
        gc.collect()
        return x * 3

    f = make_self_dropping(run)
    table["f"] = f
    assert jit.force_compile(f)
    ref = weakref.ref(f)
    del f
    assert table["f"](4) == 12
    gc.collect()
    assert ref() is None and loaded_named(engine, "self_dropping") == []


def make_self_dropping(run):
    def self_dropping(x):
        return run(x) + 0
    return self_dropping


def test_refused_and_watched_functions_are_not_kept_alive(engine):
    def refused():
        yield locals()          # a generator reading its frame is refused

    assert not jit.force_compile(refused)
    watched = make_adder(3)
    jit.watch(watched)
    assert watched(1) == 4 and jit.count_interpreted_calls(watched) == 1
    refs = [weakref.ref(refused), weakref.ref(watched)]
    del refused, watched
    gc.collect()
    assert [r() for r in refs] == [None, None]
