"""NativeEngine on hand-written code: calls, helpers of every kind, the
error indicator model, W^X, unloading, cache maintenance, the perf map,
threads, and the refusal on other hosts."""

from __future__ import annotations

import ctypes
import os
import platform
import sys
import threading

import pytest

import pyjit.jit as jit
from pyjit.aarch64 import isa
from pyjit.aarch64.operands import Mem
from pyjit.aarch64.registers import D0, X0, X1
from pyjit.cpython import errstate
from pyjit.runtime import EmulationFault
from pyjit.cpython import layout as L
from pyjit.cpython.helpers import python_helper
from pyjit.runtime.hostmem import read_maps
from pyjit.runtime.native_engine import NativeEngine, NativeUnavailable, perf_map_path

from native_support import calling, leaf, native_only

rc = sys.getrefcount


# -- helpers declared for these tests ---------------------------------------------------

@python_helper("native_test_floordiv", ("obj", "obj"), "obj", "null")
def _floordiv(a, b):
    return a // b


@python_helper("native_test_broken", (), "void", "none")
def _broken():
    raise ValueError("a helper that cannot fail did")


@python_helper("native_test_error_type", (), "borrowed", "none")
def _error_type():
    """The type of the pending exception as Python helpers see it."""
    exc = errstate.pending()
    return type(exc) if exc is not None else None


_nested = {}


@python_helper("native_test_call_nested", ("obj",), "obj", "null")
def _call_nested(x):
    """Calls compiled code again from inside a helper."""
    return _nested["engine"].call_object(_nested["address"], id(x), id(0))


@python_helper("native_test_nested_keeps_pending", (), "borrowed", "none")
def _nested_keeps_pending():
    """Runs with an exception pending: a nested call that succeeds must
    leave it pending afterwards.  Returns its type."""
    assert _nested["engine"].call_object(_nested["address"], id(10**20), id(10)) == 10**19
    exc = errstate.pending()
    return type(exc) if exc is not None else None


# -- the host check -------------------------------------------------------------------------

def test_other_hosts_are_refused_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    with pytest.raises(NativeUnavailable, match="needs AArch64 Linux, but this host is x86_64"):
        NativeEngine()
    with pytest.raises(NativeUnavailable, match="scripts/aarch64-python.sh"):
        jit.make_engine("native")


# -- calls and helpers -----------------------------------------------------------------------

@native_only
def test_leaf_reads_a_live_object(native):
    obj = [1, 2]
    f = native.load(leaf("type", isa.ldr(X0, Mem(X0, L.OB_TYPE)), isa.ret()))
    assert native.call(f.address, id(obj)) == id(list)
    g = native.load(leaf("sum", isa.add(X0, X0, X1), isa.ret()))
    assert native.call(g.address, -1, 0) == (1 << 64) - 1
    native.unload(f)
    native.unload(g)


@native_only
@pytest.mark.parametrize("strategy", ["direct", "literal", "stub", "near"])
def test_c_api_helper_at_its_real_address(native, strategy):
    f = native.load(calling("add", ["PyNumber_Add"], strategy))
    a, b = 10**40, 10**39
    ra, rb = rc(a), rc(b)
    for _ in range(100):
        assert native.call_object(f.address, id(a), id(b)) == a + b
    assert (rc(a), rc(b)) == (ra, rb)
    add = ctypes.cast(ctypes.pythonapi.PyNumber_Add, ctypes.c_void_p).value
    assert native.helper_address("PyNumber_Add") == add
    native.unload(f)


@native_only
def test_c_api_failure_sets_the_real_indicator_and_call_object_raises_it(native):
    f = native.load(calling("add", ["PyNumber_Add"]))
    a = 10**40
    ra = rc(a)
    for _ in range(50):
        with pytest.raises(TypeError, match="unsupported operand"):
            native.call_object(f.address, id(a), id("x"))
    assert rc(a) == ra
    assert native.call(f.address, id(a), id("x")) == 0        # raw: NULL, pending in the slot
    assert isinstance(errstate.take_pending(), TypeError)
    native.unload(f)


@native_only
def test_python_helper_through_a_ctypes_callback(native):
    f = native.load(calling("div", ["native_test_floordiv"]))
    a = 10**30
    ra = rc(a)
    assert native.call_object(f.address, id(a), id(7)) == a // 7
    with pytest.raises(ZeroDivisionError):
        native.call_object(f.address, id(a), id(0))
    assert rc(a) == ra and errstate.pending() is None
    native.unload(f)


@native_only
def test_null_result_without_an_exception_is_a_system_error(native):
    f = native.load(leaf("null", isa.mov(X0, 0), isa.ret()))
    with pytest.raises(SystemError, match=f"code at {f.address:#x} returned NULL without "
                                          "setting an exception"):
        native.call_object(f.address)
    assert errstate.pending() is None
    assert native.call(f.address) == 0 and errstate.pending() is None
    native.unload(f)


@native_only
def test_the_engines_own_routines_stay_loaded_until_close(native):
    with pytest.raises(ValueError, match="own routines stay loaded until close"):
        native.unload(native._runtime)
    assert native._runtime in native.loaded


@native_only
def test_double_and_int_results(native):
    asm = calling("twice", ["PyFloat_AsDouble", "PyFloat_FromDouble"])
    f = native.load(asm)
    assert native.call_object(f.address, id(1.75)) == 1.75
    truth = native.load(calling("truth", ["PyObject_IsTrue"]))
    assert native.call(truth.address, id([1])) & 0xFFFFFFFF == 1
    assert native.call(truth.address, id(())) & 0xFFFFFFFF == 0
    native.unload(f)
    native.unload(truth)


@native_only
def test_a_python_helper_after_a_failed_c_call_sees_the_error(native):
    # PyNumber_Add fails (real indicator), then a Python helper runs: it
    # must find the exception in the slot (surfaced), and Python code must
    # not have run with the real indicator set.
    f = native.load(calling("add_then_look", ["PyNumber_Add", "native_test_error_type"]))
    assert native.call(f.address, id(1), id("x")) == id(TypeError)
    assert isinstance(errstate.take_pending(), TypeError)
    f2 = native.load(calling("fine_then_look", ["PyNumber_Add", "native_test_error_type"]))
    assert native.call(f2.address, id(1), id(2)) == id(None)
    native.unload(f)
    native.unload(f2)


@native_only
def test_err_helpers_see_a_c_api_error(native):
    f = native.load(calling("add_err_occurred", ["PyNumber_Add", "err_occurred"]))
    assert native.call(f.address, id(1), id("x")) == id(TypeError)
    errstate.set_pending(None)
    g = native.load(calling("add_err_clear", ["PyNumber_Add", "err_clear", "err_occurred"]))
    assert native.call(g.address, id(1), id("x")) == 0
    assert errstate.pending() is None
    native.unload(f)
    native.unload(g)


@native_only
def test_a_helper_breaking_its_contract_is_an_emulation_fault(native):
    f = native.load(calling("broken", ["native_test_broken"], after=[isa.mov(X0, 0)]))
    with pytest.raises(EmulationFault, match="native_test_broken cannot fail but raised"):
        native.call(f.address)
    assert errstate.pending() is None
    native.unload(f)


@native_only
def test_nested_entry_from_a_helper(native):
    div = native.load(calling("div", ["native_test_floordiv"]))
    outer = native.load(calling("outer", ["native_test_call_nested"]))
    _nested.update(engine=native, address=div.address)
    x = 10**20
    rx = rc(x)
    # The nested call divides by zero: the helper fails with that exception.
    with pytest.raises(ZeroDivisionError):
        native.call_object(outer.address, id(x))
    assert rc(x) == rx and errstate.pending() is None
    # A C-API failure is pending (real indicator) when a Python helper makes
    # a nested call: it is surfaced, kept across the call, and still there.
    keep = native.load(calling("keep", ["PyNumber_Add", "native_test_nested_keeps_pending"]))
    assert native.call(keep.address, id(1), id("x")) == id(TypeError)
    assert isinstance(errstate.take_pending(), TypeError)
    for code in (keep, outer, div):
        native.unload(code)


# -- memory: W^X, unloading, the cache flush -------------------------------------------

def _perms(address: int) -> str:
    for m in read_maps():
        if m.start <= address < m.end:
            return m.perms
    return "unmapped"


@native_only
def test_code_pages_are_read_execute_never_writable(native):
    f = native.load(calling("add", ["PyNumber_Add"]))
    assert _perms(f.address) == "r-xp"
    arena = native.placement()
    for m in read_maps():
        if m.start < arena.end and m.end > arena.start:
            assert not (m.writable and m.executable), m
    native.unload(f)
    assert _perms(f.address) == "---p"          # given back, still reserved


@native_only
def test_reloading_at_the_same_address_runs_the_new_code(native):
    # Unload and load again: the arena hands the same pages back, so the
    # new bytes only run if the instruction cache was made coherent.
    for value in range(1, 40):
        f = native.load(leaf(f"const{value}", isa.mov(X0, value), isa.ret()))
        assert native.call(f.address) == value
        native.unload(f)


@native_only
def test_the_flush_routine_runs_over_any_range(native):
    f = native.load(leaf("a", isa.mov(X0, 7), isa.ret()))
    native._flush(f.address, f.address)                 # empty
    native._flush(f.address + 1, f.address + 4093)      # unaligned
    assert native.call(f.address) == 7
    native.unload(f)


# -- perf map ------------------------------------------------------------------------------

@native_only
def test_perf_map_lines(monkeypatch):
    path = perf_map_path()
    existed = os.path.exists(path)
    monkeypatch.setenv("PYJIT_PERF_MAP", "1")
    engine = jit.make_engine("native", code_arena_size=1 << 20, near_libpython=False)
    try:
        assert engine.perf_map
        f = engine.load(leaf("perf_probe", isa.mov(X0, 3), isa.ret()), "mod:perf_probe")
        lines = open(path).read().splitlines()
        assert f"{f.address:x} {f.size:x} mod:perf_probe" in lines
        runtime = engine.loaded[0]
        assert f"{runtime.address:x} {runtime.size:x} pyjit:native_runtime" in lines
    finally:
        engine.close()
        if not existed:
            os.unlink(path)


# -- threads ------------------------------------------------------------------------------

_gate, _inside = threading.Event(), threading.Event()


@python_helper("native_test_wait", ("obj",), "obj", "null")
def _wait(x):
    """Blocks until the test opens the gate (releasing the GIL meanwhile)."""
    _inside.set()
    _gate.wait(10)
    return x


def _hold_a_stack(engine):
    """Start a thread inside compiled code that waits in a helper: it
    holds the engine's primary stack until `release()`."""
    _gate.clear()
    _inside.clear()
    f = engine.load(calling("waiting", ["native_test_wait"]))
    results = []
    thread = threading.Thread(target=lambda: results.append(engine.call_object(f.address, id(5))))
    thread.start()
    assert _inside.wait(10)

    def release():
        _gate.set()
        thread.join(10)
        return results
    return release


@native_only
def test_threads_inside_compiled_code_at_once():
    engine = NativeEngine(code_arena_size=1 << 20, thread_stacks=2, thread_stack_size=1 << 20)
    g = engine.load(calling("add", ["PyNumber_Add"]))
    release = _hold_a_stack(engine)
    results = []
    # The primary stack is taken: these run on thread stacks.
    others = [threading.Thread(target=lambda: results.append(
        engine.call_object(g.address, id(40), id(2)))) for _ in range(3)]
    for t in others:
        t.start()
    for t in others:
        t.join(10)
    assert release() == [5] and results == [42, 42, 42]
    engine.close()


@native_only
def test_more_threads_than_stacks_is_a_clean_error():
    engine = NativeEngine(code_arena_size=1 << 20, thread_stacks=0)
    g = engine.load(calling("add", ["PyNumber_Add"]))
    release = _hold_a_stack(engine)
    try:
        with pytest.raises(RuntimeError, match="too many threads"):
            engine.call_object(g.address, id(1), id(2))
    finally:
        assert release() == [5]
    assert engine.call_object(g.address, id(1), id(2)) == 3
    engine.close()


# -- counts are an emulator feature ------------------------------------------------------

@native_only
def test_counts_are_empty_and_counting_is_refused(native):
    assert native.counts() == {} and native.counting is False
    with pytest.raises(ValueError, match="emulator feature"):
        native.counting = True
    native.counting = False
    native.reset_counts()


@native_only
def test_double_argument_registers_reach_c(native):
    # PyFloat_FromDouble(d0): d0 set by the code itself.
    f = native.load(calling("from_double", ["PyFloat_FromDouble"],
                            before=[isa.fmov(D0, 2.5)]))
    assert native.call_object(f.address) == 2.5
    native.unload(f)
