"""UnicornEngine: emulated code on real objects, helper traps, nesting."""

from __future__ import annotations

import ctypes
import math
import sys

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.operands import Mem
from pyjit.aarch64.registers import D0, D1, X0, X1, X2, X3, X19, X21
from pyjit.cpython import errstate
from pyjit.runtime import EmulationFault, UnicornEngine
from pyjit.cpython import layout as L
from pyjit.cpython.helpers import python_helper
from pyjit.runtime import uc_api
from pyjit.runtime.unicorn_context import FPEN
from pyjit.runtime.unicorn_engine import MAX_NESTING, TIMER_SPARES

from runtime_support import RC_EXTRA, Asm, leaf, py_decref

rc = sys.getrefcount


def test_read_refcount_and_type_of_a_live_object(engine):
    obj = [1, 2]
    f = engine.load(leaf("refcnt", isa.ldr(X0, Mem(X0, L.OB_REFCNT)), isa.ret()))
    t = engine.load(leaf("type", isa.ldr(X0, Mem(X0, L.OB_TYPE)), isa.ret()))
    expected = ctypes.c_int64.from_address(id(obj)).value   # (3.14's getrefcount borrows its argument)
    assert expected in (rc(obj), rc(obj) - 1)
    assert engine.call(f.address, id(obj)) == expected
    assert engine.call(t.address, id(obj)) == id(list)
    assert engine.call(t.address, id(1.5)) == id(float)


def test_incref_from_emulated_code_is_seen_by_the_host(engine):
    obj = object()
    before = rc(obj)
    f = engine.load(leaf("incref", isa.ldr(X1, Mem(X0, L.OB_REFCNT)), isa.add(X1, X1, 1),
                         isa.str_(X1, Mem(X0, L.OB_REFCNT)), isa.ret()))
    engine.call(f.address, id(obj))
    assert rc(obj) == before + 1
    py_decref(id(obj))
    assert rc(obj) == before


def test_arguments_and_unsigned_result(engine):
    f = engine.load(leaf("sum4", isa.add(X0, X0, X1), isa.add(X0, X0, X2), isa.add(X0, X0, X3),
                         isa.ret()))
    assert engine.call(f.address, 1, 20, 300, 4000) == 4321
    assert engine.call(f.address, -1, 0) == (1 << 64) - 1


def add_function(name: str = "add", strategy: str = "literal", **kw):
    """f(a, b) = PyNumber_Add(a, b), through a helper call."""
    asm = Asm(name, strategy, **kw)
    asm.prologue().call("PyNumber_Add").epilogue()
    return asm.finish()


def test_pynumber_add_through_a_trap_balances_refcounts(engine):
    f = engine.load(add_function())
    a, b = 10**40, 10**39
    ra, rb = rc(a), rc(b)
    result = engine.call_object(f.address, id(a), id(b))
    n = rc(result)
    assert result == a + b and n == 1 + RC_EXTRA
    assert (rc(a), rc(b)) == (ra, rb)
    assert engine.call_object(f.address, id("ab"), id("cd")) == "abcd"


def test_c_helper_failure_is_raised_by_call_object(engine):
    f = engine.load(add_function("add_fail"))
    a = 10**40
    ra = rc(a)
    with pytest.raises(TypeError, match="unsupported operand"):
        engine.call_object(f.address, id(a), id("x"))
    assert rc(a) == ra
    assert engine.call(f.address, id(a), id("x")) == 0        # raw: NULL, pending set
    assert isinstance(errstate.take_pending(), TypeError)


@python_helper("test_floordiv", ("obj", "obj"), "obj", "null")
def _floordiv(a, b):
    return a // b


def test_python_helper_exception_propagates_as_null_then_raises(engine):
    asm = Asm("div")
    asm.prologue().call("test_floordiv").epilogue()
    f = engine.load(asm.finish())
    a, zero = 10**30, 0
    ra = rc(a)
    assert engine.call_object(f.address, id(a), id(7)) == a // 7
    with pytest.raises(ZeroDivisionError) as info:
        engine.call_object(f.address, id(a), id(zero))
    assert info.value.__traceback__ is not None
    del info
    assert rc(a) == ra and errstate.pending() is None


def test_trap_per_result_kind_int_double_void(engine):
    # int: PyObject_IsTrue ; double in and out through d registers.
    truth = engine.load(Asm("truth").prologue().call("PyObject_IsTrue").epilogue().finish())
    assert engine.call(truth.address, id([1])) == 1
    assert engine.call(truth.address, id(())) == 0
    # A double result: PyFloat_AsDouble, then back into an object.
    asm = Asm("roundtrip").prologue()
    asm.call("PyFloat_AsDouble")                 # d0 = value
    asm.emit(isa.fadd(D0, D0, D0))
    asm.call("PyFloat_FromDouble")               # x0 = new float
    f = engine.load(asm.epilogue().finish())
    x = 1.75
    rx = rc(x)
    y = engine.call_object(f.address, id(x))
    assert y == 3.5 and rc(y) == 1 + RC_EXTRA and rc(x) == rx
    # void: Py_IncRef, then the -1 of an int result with an exception.
    inc = engine.load(Asm("inc").prologue().call("Py_IncRef").epilogue().finish())
    obj = object()
    before = rc(obj)
    engine.call(inc.address, id(obj))
    assert rc(obj) == before + 1
    py_decref(id(obj))
    neg = engine.load(Asm("neg").prologue().call("PyObject_IsTrue").epilogue().finish())

    class Bad:
        def __bool__(self):
            raise ValueError("no truth")
    assert engine.call(neg.address, id(Bad())) & 0xFFFFFFFF == 0xFFFFFFFF
    assert isinstance(errstate.take_pending(), ValueError)


def test_floating_point_is_enabled(engine):
    # d0 = a.ob_fval * b.ob_fval + 0.5, returned as raw bits
    f = engine.load(leaf("fp", isa.ldr(D0, Mem(X0, L.FLOAT_OB_FVAL)),
                         isa.ldr(D1, Mem(X1, L.FLOAT_OB_FVAL)), isa.fmul(D0, D0, D1),
                         isa.fmov(D1, 0.5), isa.fadd(D0, D0, D1), isa.fmov(X0, D0), isa.ret()))
    bits = engine.call(f.address, id(1.5), id(-3.0))
    assert ctypes.c_double.from_buffer_copy(bits.to_bytes(8, "little")).value == -4.0


# -- nesting -----------------------------------------------------------------------

_NESTED = {}


@python_helper("test_reenter", ("obj", "obj"), "obj", "null")
def _reenter(a, b):
    """Calls back into emulated code: inner(a, b) + 1000."""
    engine, inner = _NESTED["engine"], _NESTED["inner"]
    return engine.call_object(inner, id(a), id(b)) + 1000


@python_helper("test_recurse", ("obj",), "obj", "null")
def _recurse(n):
    """fact(n) by re-entering emulated code that calls back here."""
    if n <= 1:
        return 1
    engine, fact = _NESTED["engine"], _NESTED["fact"]
    below = n - 1                  # alive while its id is used
    return n * engine.call_object(fact, id(below))


def test_nested_entry_from_a_helper(engine):
    inner = engine.load(add_function("inner"))
    # outer(a, b, cell): r = test_reenter(a, b); *cell = x19 (still 77); return r
    asm = Asm("outer").prologue()
    asm.emit(isa.mov(X19, 77), isa.mov(X21, X2))
    asm.call("test_reenter")
    asm.emit(isa.str_(X19, Mem(X21, 0)))        # runs only if the outer frame resumed
    outer = engine.load(asm.epilogue().finish())
    _NESTED.update(engine=engine, inner=inner.address)
    a, b = 10**25, 10**26
    ra, rb = rc(a), rc(b)
    cell = ctypes.c_uint64(0)
    assert engine.call_object(outer.address, id(a), id(b), ctypes.addressof(cell)) == a + b + 1000
    assert cell.value == 77
    assert (rc(a), rc(b)) == (ra, rb)


def test_deep_recursion_through_helpers(engine):
    fact = engine.load(Asm("fact").prologue().call("test_recurse").epilogue().finish())
    _NESTED.update(engine=engine, fact=fact.address)
    assert engine.call_object(fact.address, id(12)) == 479001600
    # An error deep down propagates through every level as a pending exception.
    with pytest.raises(TypeError):
        engine.call_object(fact.address, id("x"))
    # Unicorn nests 64 deep: deeper, the thread's next context takes over,
    # on the same emulated stack.
    assert engine.call_object(fact.address, id(MAX_NESTING)) == math.factorial(MAX_NESTING)
    chain = engine._chain()
    assert len(chain.contexts) == 1
    n = 3 * MAX_NESTING + 5
    assert engine.call_object(fact.address, id(n)) == math.factorial(n)
    assert len(chain.contexts) == 4 and chain.levels == 0 and chain.current is None
    assert all(ctx.depth == 0 for ctx in chain.contexts)
    assert engine.call_object(fact.address, id(5)) == 120


def test_contexts_made_under_a_time_limit_are_spares_made_before_its_timer():
    # Initializing a Unicorn instance while Unicorn's timer runs can make the
    # timer stop its emulation long before the limit (uc_api.py): the
    # contexts a deep call makes under its timers are spares made earlier.
    with UnicornEngine(code_arena_size=1 << 20, timeout=20.0) as timed:
        fact = timed.load(Asm("fact").prologue().call("test_recurse").epilogue().finish())
        _NESTED.update(engine=timed, fact=fact.address)
        assert timed.call_object(fact.address, id(3)) == 6
        key = (timed.tcg_buffer_size, FPEN)
        assert uc_api.spare_count(*key) == TIMER_SPARES
        made_under_timer = uc_api.INITS_UNDER_TIMER[0]
        n = 3 * MAX_NESTING + 5
        assert timed.call_object(fact.address, id(n)) == math.factorial(n)
        assert len(timed._chain().contexts) == 4
        assert uc_api.spare_count(*key) == TIMER_SPARES - 3
        assert uc_api.INITS_UNDER_TIMER[0] == made_under_timer and uc_api.TIMERS[0] == 0
        assert timed.call_object(fact.address, id(4)) == 24
        assert uc_api.spare_count(*key) == TIMER_SPARES     # made again, with no timer running


def test_no_spare_is_initialized_while_a_timer_runs():
    uc_api.TIMERS[0] += 1
    try:
        emu = uc_api.Emulator(1 << 24, FPEN, unless_timers=True)
        assert emu.handle == 0
    finally:
        uc_api.TIMERS[0] -= 1


def test_nesting_ends_in_recursion_error_when_the_emulated_stack_runs_out():
    with UnicornEngine(code_arena_size=1 << 20, stack_size=96 << 10) as small:
        fact = small.load(Asm("fact").prologue().call("test_recurse").epilogue().finish())
        _NESTED.update(engine=small, fact=fact.address)
        # Nested entries run until nested_reserve (64 KiB) bytes are left:
        # about 500 levels of this small frame, before the host's C stack
        # (about 5.5 KB a level) runs short.
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(100_000)
        try:
            with pytest.raises(RecursionError, match="KiB of emulated stack left"):
                small.call_object(fact.address, id(20_000))
        finally:
            sys.setrecursionlimit(limit)
        assert small.call_object(fact.address, id(6)) == 720


def test_nested_fault_aborts_every_level_and_engine_recovers(engine):
    wild = engine.load(leaf("wild_inner", isa.mov(X1, 0x18), isa.ldr(X0, Mem(X1, 0)), isa.ret()))
    outer = engine.load(Asm("outer_of_wild").prologue().call("test_reenter").epilogue().finish())
    _NESTED.update(engine=engine, inner=wild.address)
    with pytest.raises(EmulationFault) as info:
        engine.call(outer.address, id(1), id(2))
    assert info.value.function == "wild_inner" and "0x18" in str(info.value)
    f = engine.load(add_function("after_fault"))
    assert engine.call_object(f.address, id(2), id(3)) == 5


def test_near_calls_reach_traps_when_the_distance_allows():
    with UnicornEngine(code_arena_size=4 << 20, helper_distance=1 << 20) as near_engine:
        placement = near_engine.placement()
        address = near_engine.helper_address("PyNumber_Add")
        assert near_engine.helper_distance == 1 << 20 and placement.in_bl_reach(address)
        code = add_function("near_add", "near", placement=placement,
                            addresses={"PyNumber_Add": address})
        assert code.sizes["veneers"] == 0          # a direct bl, relocated at load
        f = near_engine.load(code)
        assert near_engine.call_object(f.address, id(20), id(22)) == 42
    with UnicornEngine(code_arena_size=4 << 20) as far_engine:     # default: out of reach
        assert far_engine.helper_distance == 1 << 30
        placement = far_engine.placement()
        address = far_engine.helper_address("PyNumber_Add")
        assert not placement.in_bl_reach(address)
        code = add_function("far_add", "near", placement=placement,
                            addresses={"PyNumber_Add": address})
        assert code.sizes["veneers"] > 0
        f = far_engine.load(code)
        assert far_engine.call_object(f.address, id(20), id(22)) == 42


def test_symbols_resolve_through_define_symbol_and_resolver(engine):
    callee = engine.load(add_function("callee"))
    asm = Asm("caller").prologue().call("the_callee").epilogue()
    code = asm.finish()
    from pyjit.aarch64.relocs import LinkError
    with pytest.raises(LinkError, match="the_callee"):
        engine.load(code)
    f = engine.load(code, resolve=lambda s: callee.address)
    assert engine.call_object(f.address, id(1), id(2)) == 3
    engine.define_symbol("the_callee", callee.address)
    g = engine.load(code, "caller2")
    assert g.name == "caller2" and engine.call_object(g.address, id(3), id(4)) == 7
    with pytest.raises(ValueError):
        engine.define_symbol("PyNumber_Add", 0)
