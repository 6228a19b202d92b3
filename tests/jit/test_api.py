"""The public API: compile, uncompile, sizes, dumps, the log, auto-compile."""

from __future__ import annotations


import pytest

import pyjit
import pyjit.jit as jit


def square_plus(x, y=1):
    return x * x + y


def frame_reading_gen():
    yield locals()


def test_force_compile_and_uncompile_round_trip():
    assert not jit.is_jit_compiled(square_plus)
    assert jit.get_compiled_size(square_plus) == -1
    assert jit.force_compile(square_plus)
    try:
        assert jit.is_jit_compiled(square_plus)
        assert square_plus in jit.get_compiled_functions()
        assert square_plus(3) == 10 and square_plus(3, y=2) == 11
        size = jit.get_compiled_size(square_plus)
        breakdown = jit.get_size_breakdown(square_plus)
        assert size > 0 and breakdown["total"] == size
        assert jit.get_function_hir_opcode_counts(square_plus)["BinaryOp"] == 2
        assert "BinaryOp<Multiply>" in jit.dump_hir(square_plus)
        assert "call pyjit_int_mul" in jit.dump_lir(square_plus)
        listing = jit.disassemble(square_plus)
        assert "BinaryOp<Multiply>" in listing and "ret" in listing
    finally:
        assert jit.force_uncompile(square_plus)
    assert not jit.is_jit_compiled(square_plus) and square_plus(3) == 10
    assert not jit.force_uncompile(square_plus)


def test_refusal_keeps_the_interpreter_and_is_logged(tmp_path):
    log = tmp_path / "jit.log"
    jit.set_log(str(log))
    try:
        assert not jit.force_compile(frame_reading_gen)
        assert "cannot be compiled: " in jit.refusal_reason(frame_reading_gen)
        assert "reads its own frame" in jit.refusal_reason(frame_reading_gen)
        assert jit.force_compile(square_plus)
        jit.force_uncompile(square_plus)
    finally:
        jit.set_log(None)
    text = log.read_text()
    assert "Refused test_api:frame_reading_gen: " in text
    assert "Finished compiling test_api:square_plus in " in text and " bytes" in text


class _Base:
    def value(self):
        return 1


class _Derived(_Base):
    def value(self):
        return super().value() + 1


def test_zero_argument_super_compiles():
    assert jit.force_compile(_Derived.value), jit.refusal_reason(_Derived.value)
    try:
        assert _Derived().value() == 2
    finally:
        jit.force_uncompile(_Derived.value)


def test_not_a_function_is_refused():
    assert not jit.force_compile(len)
    assert not jit.force_compile(42)


def test_compile_after_n_calls_and_counting():
    def f(a):
        return a + 1
    jit.compile_after_n_calls(3)
    try:
        jit.watch(f)
        assert [f(1), f(2)] == [2, 3]
        assert jit.count_interpreted_calls(f) == 2 and not jit.is_jit_compiled(f)
        assert f(3) == 4                      # the third call compiles
        assert jit.is_jit_compiled(f)
        assert f(10) == 11 and jit.count_interpreted_calls(f) == 3
    finally:
        jit.compile_after_n_calls(None)
        jit.force_uncompile(f)
    assert f(1) == 2


def test_counting_only_and_unwatch():
    def g():
        return 5
    jit.compile_after_n_calls(None)
    jit.watch(g)
    for _ in range(4):
        assert g() == 5
    assert jit.count_interpreted_calls(g) == 4 and not jit.is_jit_compiled(g)
    jit.unwatch(g)
    g()
    assert jit.count_interpreted_calls(g) == 4


def test_compile_after_n_calls_rejects_zero():
    with pytest.raises(ValueError):
        jit.compile_after_n_calls(0)


def test_exceptions_cross_compiled_code():
    def divide(a, b):
        return a / b
    assert jit.force_compile(divide)
    try:
        with pytest.raises(ZeroDivisionError, match="division by zero"):
            divide(1, 0)
        assert divide(1, 4) == 0.25
    finally:
        jit.force_uncompile(divide)


def test_package_exports_the_api():
    for name in ("force_compile", "force_uncompile", "is_jit_compiled", "get_compiled_size",
                 "get_size_breakdown", "count_interpreted_calls", "compile_after_n_calls",
                 "get_compiled_functions", "get_function_hir_opcode_counts", "disassemble",
                 "dump_hir", "dump_lir", "dynamic_counts"):
        assert callable(getattr(pyjit, name))


def test_finalizer_running_compiled_code_on_an_error_path():
    # f's exception path releases obj; its __del__ calls compiled g (a
    # nested entry) while f's ZeroDivisionError is pending.
    touched = []

    def g(x):
        return x + 1

    class Finalized:
        def __del__(self):
            touched.append(g(1))

    def f():
        obj = Finalized()   # noqa: F841 - held across the raising division
        return 1 / 0
    assert jit.force_compile(g) and jit.force_compile(f)
    try:
        with pytest.raises(ZeroDivisionError):
            f()
        assert touched == [2]
    finally:
        jit.force_uncompile(f)
        jit.force_uncompile(g)


def test_a_compiler_error_is_a_logged_refusal(monkeypatch, tmp_path):
    import pyjit.compiler as compiler

    def broken(*args, **kwargs):
        raise RuntimeError("lowering bug")
    monkeypatch.setattr(jit, "compile_function", broken)
    log = tmp_path / "jit.log"
    jit.set_log(str(log))
    try:
        assert not jit.force_compile(square_plus)
    finally:
        jit.set_log(None)
    assert square_plus(2) == 5 and not jit.is_jit_compiled(square_plus)
    assert "internal compiler error: RuntimeError: lowering bug" in jit.refusal_reason(square_plus)
    assert "Refused test_api:square_plus: internal compiler error" in log.read_text()
    assert compiler.compile_function is not broken
