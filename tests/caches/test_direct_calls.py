"""Calls between compiled functions stay in machine code: no
PyObject_Vectorcall trap when both sides are compiled; uncompiling or
recompiling the callee is seen; results, exceptions and reference counts
are the interpreter's."""

from __future__ import annotations

import sys

import pyjit.jit as jit
from conftest import cells, interpreted, outcome
from pyjit.cpython import cells as caches
from pyjit.runtime import UnicornEngine, entries


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def callee(x, k=10):
    if x is None:
        raise ValueError("no value")
    return x * k


def caller(x):
    return callee(x) + 1


def caller_kw(x):
    return callee(x, k=3), callee(x), callee(x, 2)


def catching(x):
    try:
        return callee(x)
    except ValueError as exc:
        return "caught " + str(exc)


def apply(f, x):
    return f(x)


def down(n):
    return down(n + 1)


def keep(x):
    return x


def pass_through(x):
    return keep(x)


def test_recursion_makes_no_vectorcall_trap(mode, compiled, traps):
    compiled(fib)
    assert fib(10) == 55
    result, counts = traps(lambda: fib(15))
    assert result == 610
    assert counts["PyObject_Vectorcall"] == 0 and counts["call_cell_fill"] == 0


def test_mutual_recursion_between_compiled_functions(mode, compiled, traps):
    compiled(is_even, is_odd)
    assert is_even(10) is True
    result, counts = traps(lambda: is_odd(41))
    assert result is True and counts["PyObject_Vectorcall"] == 0


def test_uncompiling_and_recompiling_the_callee(mode, compiled, traps):
    compiled(caller, callee)
    assert caller(2) == 21
    assert traps(lambda: caller(3))[1]["PyObject_Vectorcall"] == 0
    cell, = cells(caller, caches.CallCell)
    assert cell.get(caches.CallCell.TARGET) == entries.entry_of(callee)

    jit.force_uncompile(callee)
    assert cell.get(caches.CallCell.CALLEE) == 0          # reset before the code went away
    result, counts = traps(lambda: caller(4))
    assert result == 41 and counts["PyObject_Vectorcall"] == 1
    result, counts = traps(lambda: caller(5))
    # caller's `+ 1` on small ints is pyjit_int_add's: only the call traps.
    assert result == 51 and counts == {"PyObject_Vectorcall": 1}

    compiled(callee)
    result, counts = traps(lambda: caller(6))
    assert result == 61 and counts["PyObject_Vectorcall"] == 0
    assert cell.get(caches.CallCell.TARGET) == entries.entry_of(callee)


def test_keywords_and_defaults_bind_in_the_callee(mode, compiled, traps):
    compiled(caller_kw, callee)
    assert caller_kw(5) == (15, 50, 10)
    result, counts = traps(lambda: caller_kw(7))
    assert result == (21, 70, 14) and counts["PyObject_Vectorcall"] == 0
    # The keyword: the callee's own binding, through the helper; the
    # default is bound by pyjit_bind_call itself.
    assert counts["bind_args"] == 1


def test_exceptions_cross_direct_calls(mode, compiled):
    compiled(caller, catching, callee)
    expected = outcome(lambda: interpreted(caller)(None))
    assert expected[:3] == ("raise", ValueError, "no value")
    assert outcome(lambda: caller(None)) == expected
    assert catching(None) == "caught no value"
    assert catching(4) == 40


def test_argument_references_are_balanced(mode, compiled):
    compiled(pass_through, keep)
    arg = object()
    assert pass_through(arg) is arg
    before = sys.getrefcount(arg)
    results = [pass_through(arg) for _ in range(5)]
    assert sys.getrefcount(arg) == before + 5
    del results
    assert sys.getrefcount(arg) == before


def test_a_polymorphic_site_goes_megamorphic(mode, compiled, traps):
    def make(k):
        def f(x):
            return x + k
        return f
    functions = [make(k) for k in range(caches.MEGAMORPHIC_AFTER + 2)]
    compiled(apply, *functions)
    for _ in range(2):
        assert [apply(f, 1) for f in functions] == list(range(1, len(functions) + 1))
    result, counts = traps(lambda: [apply(f, 1) for f in functions])
    assert counts["call_cell_fill"] == 0
    # The callees still in an entry are called directly, the others generically.
    cell, = cells(apply, caches.CallCell)
    kept = [f for f in functions if cell.entry_of(id(f)) is not None]
    assert len(kept) == caches.CallCell.ENTRIES
    assert all(cell.get(cell.entry_of(id(f)) + caches.CallCell.TARGET) == entries.entry_of(f)
               for f in kept)
    assert counts["PyObject_Vectorcall"] == len(functions) - len(kept)


def test_non_functions_go_through_vectorcall(mode, compiled, traps):
    compiled(apply)
    assert apply(abs, -3) == 3
    assert apply(lambda x: x * 2, 4) == 8
    assert apply(str.upper, "a") == "A"
    result, counts = traps(lambda: apply(abs, -5))
    assert result == 5 and counts["PyObject_Vectorcall"] == 1


def uses_builtins(x):
    return len(x), abs(-1), (x and caller(1))


def test_only_sites_that_may_call_a_python_function_get_a_cell(mode, compiled):
    compiled(uses_builtins)
    assert uses_builtins("ab") == (2, 1, 11)
    cell, = cells(uses_builtins, caches.CallCell)      # caller(1): len and abs are builtins now
    assert cell.get(caches.CallCell.CALLEE) == id(caller)


def test_runaway_recursion_raises_recursion_error(mode, compiled):
    compiled(down, fib)
    assert outcome(lambda: down(0))[:2] == ("raise", RecursionError)
    assert fib(12) == 144                       # the engine is fine afterwards
    assert outcome(lambda: down(0))[:2] == ("raise", RecursionError)


def test_entries_of_another_engine_are_not_called_directly(mode, compiled):
    other = UnicornEngine(code_arena_size=4 << 20)
    previous = jit.get_engine()
    try:
        jit.set_engine(other)
        assert jit.force_compile(callee)
        jit.set_engine(previous)
        compiled(caller)
        assert caller(2) == 21 and caller(3) == 31
        cell, = cells(caller, caches.CallCell)
        assert cell.get(caches.CallCell.TARGET) == previous.helper_address("PyObject_Vectorcall")
    finally:
        jit.set_engine(previous)
        jit.force_uncompile(callee)
        other.close()


def other_callee(x, k=10):
    return x - k


def test_assigning_the_callees_code_is_seen(mode, compiled, traps):
    original = callee.__code__
    compiled(caller, callee)
    assert caller(2) == 21
    callee.__code__ = other_callee.__code__       # not compiled: runs interpreted
    try:
        result, counts = traps(lambda: caller(2))
        assert result == interpreted(caller)(2) == -7
        assert counts["call_entry_stale"] == 1 and counts["PyObject_Vectorcall"] == 1
        assert entries.entry_of(callee) is None
        result, counts = traps(lambda: caller(3))
        assert result == -6 and counts["call_entry_stale"] == 0
    finally:
        jit.force_uncompile(callee)
        assert callee.__code__ is other_callee.__code__    # the program's assignment stays
        callee.__code__ = original
    assert caller(2) == 21


def test_assigning_the_callees_defaults_keeps_the_direct_call(mode, compiled, traps):
    compiled(caller, callee)
    assert caller(2) == 21
    saved = callee.__defaults__
    callee.__defaults__ = (100,)
    try:
        result, counts = traps(lambda: caller(2))
        assert result == 201 and counts["call_entry_stale"] == 1
        assert counts["PyObject_Vectorcall"] == 0
        result, counts = traps(lambda: caller(3))
        assert result == 301 and counts["call_entry_stale"] == 0
    finally:
        callee.__defaults__ = saved
    assert caller(2) == 21
