"""Engine, the base of both engines: what it holds once for both (the call
path's pending-exception and NULL rules, loading bookkeeping, symbols,
lifetime, the counting surface of an engine that cannot count).

The call rules run on UnicornEngine here; tests/native runs the NULL rule
on NativeEngine.  The rest runs on a stand-in engine whose "code" is
Python (`PyEngine`), so that the base is checked apart from any machine."""

from __future__ import annotations

import ctypes
import sys

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.registers import X0
from pyjit.aarch64.relocs import LinkError
from pyjit.cpython import errstate
from pyjit.runtime import UnicornEngine
from pyjit.runtime.engine import Engine
from pyjit.cpython.helpers import python_helper
from pyjit.runtime.hostmem import PageArena, Reservation
from pyjit.runtime.native_engine import NativeEngine

from runtime_support import Asm, leaf

rc = sys.getrefcount

SHARED = ("load", "unload", "call", "call_object", "placement", "define_symbol",
          "symbol_address", "loaded", "code_at", "close", "__enter__", "__exit__")


def test_both_engines_derive_from_engine_and_share_its_surface():
    assert issubclass(UnicornEngine, Engine) and issubclass(NativeEngine, Engine)
    for name in SHARED:
        assert getattr(UnicornEngine, name) is getattr(Engine, name), name
        assert getattr(NativeEngine, name) is getattr(Engine, name), name
    for name in ("counting", "counts", "reset_counts"):   # only Unicorn counts
        assert getattr(NativeEngine, name) is getattr(Engine, name), name
        assert getattr(UnicornEngine, name) is not getattr(Engine, name), name
    with pytest.raises(TypeError, match="abstract"):
        Engine(None)


# -- the call rules, on UnicornEngine ------------------------------------------------------

def _add(name: str):
    """f(a, b) = PyNumber_Add(a, b)."""
    return Asm(name).prologue().call("PyNumber_Add").epilogue().finish()


def test_null_result_without_an_exception_is_a_system_error(engine):
    f = engine.load(leaf("null", isa.mov(X0, 0), isa.ret()))
    with pytest.raises(SystemError, match=f"code at {f.address:#x} returned NULL without "
                                          "setting an exception"):
        engine.call_object(f.address)
    assert errstate.pending() is None
    assert engine.call(f.address) == 0 and errstate.pending() is None
    engine.unload(f)


_SENTINEL = object()


@python_helper("engine_base_test_result_and_error", (), "obj", "null")
def _result_and_error():
    """Returns an object with an exception pending: a broken C function."""
    errstate.set_pending(KeyError("left pending"))
    return _SENTINEL


def test_a_result_with_an_exception_set_is_a_system_error(engine):
    f = engine.load(Asm("both").prologue().call("engine_base_test_result_and_error")
                    .epilogue().finish())
    before = rc(_SENTINEL)
    with pytest.raises(SystemError, match="returned a result with an exception set") as info:
        engine.call_object(f.address)
    assert isinstance(info.value.__cause__, KeyError)
    del info
    assert rc(_SENTINEL) == before                   # the result's reference was released
    assert errstate.pending() is None
    engine.unload(f)


def test_raw_call_leaves_the_exception_pending_and_an_outermost_call_drops_a_stale_one(engine):
    f = engine.load(_add("add_base"))
    assert engine.call(f.address, id(1), id("x")) == 0
    assert isinstance(errstate.pending(), TypeError)     # left pending, untaken...
    assert engine.call_object(f.address, id(2), id(3)) == 5
    assert errstate.pending() is None                    # ...and dropped by the next call
    with pytest.raises(TypeError, match="unsupported operand"):
        engine.call_object(f.address, id(1), id("x"))
    assert errstate.pending() is None
    engine.unload(f)


_NESTED: dict = {}


@python_helper("engine_base_test_nested", ("int64",), "void", "none")
def _nested(mode):
    """With a KeyError pending, call compiled code again (mode 0: a
    call_object that succeeds, 1: one that fails, 2: a raw call that
    fails); record what is pending afterwards, then clear it."""
    engine, address = _NESTED["engine"], _NESTED["add"]
    errstate.set_pending(KeyError("the caller's"))
    if mode == 0:
        _NESTED["result"] = engine.call_object(address, id(2), id(3))
    elif mode == 1:
        try:
            engine.call_object(address, id(1), id("x"))
        except TypeError as exc:
            _NESTED["result"] = type(exc)
    else:
        _NESTED["result"] = engine.call(address, id(1), id("x"))
    _NESTED["pending"] = type(errstate.take_pending())


@pytest.mark.parametrize("mode, result, pending", [(0, 5, KeyError), (1, TypeError, KeyError),
                                                   (2, 0, TypeError)])
def test_a_nested_call_keeps_the_callers_pending_exception(engine, mode, result, pending):
    add = engine.load(_add("add_nested"))
    outer = engine.load(Asm("outer_nested").prologue().call("engine_base_test_nested")
                        .epilogue().finish())
    _NESTED.clear()
    _NESTED.update(engine=engine, add=add.address)
    engine.call(outer.address, mode)                  # x0: whatever the void helper left
    assert errstate.pending() is None
    assert (_NESTED["result"], _NESTED["pending"]) == (result, pending)
    engine.unload(outer)
    engine.unload(add)


# -- the rest of the base, on an engine whose code is Python --------------------------------

class PyEngine(Engine):
    """An Engine whose code at an address is a Python function
    (`functions[address](x0, x1, x2, x3) -> x0`); it may set the pending
    exception.  _run follows Engine's contract."""

    _WHAT_RUNS = "Python code"

    def __init__(self):
        super().__init__(PageArena(Reservation(1 << 20)))
        self.functions = {}
        self.made_executable = []
        self.fail_next_write = False
        self.depth = 0

    def _run(self, address, x0, x1, x2, x3):
        self._check_open()
        saved = errstate.take_pending() if self.depth else None
        if not self.depth:
            errstate.set_pending(None)
        self.depth += 1
        try:
            return self.functions[address](x0, x1, x2, x3), saved
        except BaseException:
            errstate.set_pending(saved)
            raise
        finally:
            self.depth -= 1

    def _make_executable(self, address, size):
        if self.fail_next_write:
            raise OSError("cannot make it executable")
        self.made_executable.append((address, size))

    def helper_address(self, name):
        return 0x1000

    def _running(self):
        return self.depth != 0

    def _release(self):
        self._arena.reservation.release()


def test_loading_bookkeeping_and_symbols():
    with PyEngine() as eng:
        eng.define_symbol("answer", 42)
        assert eng.symbol_address("answer") == 42
        with pytest.raises(KeyError):
            eng.symbol_address("question")
        a = eng.load(leaf("a", isa.ret()))
        b = eng.load(leaf("b", isa.ret(), isa.ret()), "bee")
        assert eng.made_executable == [(a.address, 4), (b.address, 8)]
        assert [x.name for x in eng.loaded] == ["a", "bee"] and b.address > a.address
        assert eng.code_at(b.address + 4) is b and eng.code_at(b.address + 8) is None
        assert eng.code_at(a.address - 1) is None
        free = eng._arena.free_runs
        eng.fail_next_write = True
        with pytest.raises(OSError, match="executable"):
            eng.load(leaf("c", isa.ret()))
        eng.fail_next_write = False
        with pytest.raises(LinkError, match="no_such_symbol"):
            eng.load(Asm("d").call("no_such_symbol").finish())
        assert eng._arena.free_runs == free               # failed loads gave their pages back
        eng.unload(a)
        assert eng.loaded == [b] and eng.code_at(a.address) is None
        with pytest.raises(ValueError, match="is not loaded in this engine"):
            eng.unload(a)


def _new_reference(*x) -> int:
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(_SENTINEL))
    return id(_SENTINEL)


def test_call_rules_hold_for_any_engine():
    with PyEngine() as eng:
        eng.functions[0x10] = lambda *x: 0
        eng.functions[0x20] = _new_reference
        with pytest.raises(SystemError, match="code at 0x10 returned NULL without setting"):
            eng.call_object(0x10)
        before = rc(_SENTINEL)
        obj = eng.call_object(0x20)
        assert obj is _SENTINEL
        del obj
        assert rc(_SENTINEL) == before              # call_object owns the one it was given
        assert eng.call(0x10) == 0


def test_an_engine_that_cannot_count():
    with PyEngine() as eng:
        assert eng.counting is False and eng.counts() == {}
        eng.counting = False
        eng.reset_counts()
        with pytest.raises(ValueError, match="emulator feature: this engine cannot count"):
            eng.counting = True


def test_lifetime():
    eng = PyEngine()
    f = eng.load(leaf("f", isa.ret()))

    def close_inside(*x):
        with pytest.raises(RuntimeError, match="cannot close the engine while Python code is"):
            eng.close()
        eng.unload(f)                    # deferred: f is running
        assert f in eng.loaded and f.address not in eng._arena.free_runs
        return 7
    eng.functions[f.address] = close_inside
    assert eng.call(f.address) == 7
    assert eng.loaded == []              # unloaded when the call returned
    with pytest.raises(ValueError, match="is not loaded"):
        eng.unload(f)
    g = eng.load(leaf("g", isa.ret()))
    eng.retire(g)                        # queued only: safe anywhere
    assert eng.loaded == []              # ...and done at the next safe point
    with eng as same:
        assert same is eng
    assert eng.loaded == []                     # close unloaded everything
    for action in (lambda: eng.load(leaf("g", isa.ret())), lambda: eng.call(f.address)):
        with pytest.raises(RuntimeError, match="the engine is closed"):
            action()
    eng.close()                                 # idempotent
