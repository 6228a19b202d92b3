"""The canonical shapes (``pyjit.shapes``, compiled from generated source):
results through the HIR interpreter, and their HIR opcode counts after the
default pipeline (golden: hir/shape_counts.txt)."""

from __future__ import annotations

import pytest

from pyjit.hir import opcode_counts
from pyjit.hir.interp import run
from pyjit.hir.stats import format_counts
from pyjit.shapes import make_shape as shape

from hir_support import compile_fn, requires_builder, run_both

pytestmark = requires_builder


@pytest.mark.parametrize("n", [1, 2, 16])
def test_sqrt_shape(n):
    fn = shape(f"sqrt:{n}")
    func = compile_fn(fn)
    assert run(func, fn, 9.0) == 3.0 * n
    run_both(fn, 9.0, func=func)
    run_both(fn, -1.0, func=func)  # math domain error, raised and cleaned up


@pytest.mark.parametrize("n", [1, 2, 8])
def test_sqrtpow_shape(n):
    fn = shape(f"sqrtpow:{n}")
    func = compile_fn(fn)
    assert run(func, fn, 9.0) == 27.0 * n


def test_loop_shape():
    fn = shape("loop")
    func = compile_fn(fn)
    for n in (0, 1, 10, 100):
        assert run(func, fn, n) == fn(n)
    run_both(fn, "x", func=func)


def test_opcode_counts_grow_linearly():
    """Each extra sqrt line costs the same ops: one cached global load, one
    method load, one method call, one in-place add and their refcounting."""
    c1, c2, c3 = (opcode_counts(compile_fn(shape(f"sqrt:{n}"))) for n in (1, 2, 3))
    per_line = {op: c2.get(op, 0) - c1.get(op, 0) for op in c2}
    assert per_line == {op: c3.get(op, 0) - c2.get(op, 0) for op in c3}
    assert per_line["LoadGlobalCached"] == per_line["LoadMethodCached"] == 1
    assert per_line["GetSecondOutput"] == per_line["CallMethod"] == 1
    assert per_line["BinaryOp"] == 1
    assert c1["Return"] == 1


def test_large_shape_compiles():
    fn = shape("sqrt:200")
    func = compile_fn(fn)
    counts = opcode_counts(func)
    assert counts["LoadGlobalCached"] == 200 and counts["CallMethod"] == 200
    assert run(func, fn, 9.0) == 600.0


def test_shape_opcode_counts(golden):
    text = ""
    for spec in ("sqrt:1", "sqrt:2", "sqrtpow:2", "loop"):
        text += f"## {spec}\n" + format_counts(opcode_counts(compile_fn(shape(spec)))) + "\n"
    golden("hir/shape_counts.txt", text)
