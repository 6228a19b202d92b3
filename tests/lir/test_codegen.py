"""LIR -> AArch64: hand-written LIR functions run under Unicorn and give
what the same computation gives in Python."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings, strategies as st

from pyjit.aarch64 import isa
from pyjit.aarch64.abi import REGISTER_SETS
from pyjit.aarch64.calls import CallTarget
from pyjit.aarch64.codegen import generate
from pyjit.aarch64.operands import Shifted
from pyjit.aarch64.registers import X0, X1, X2, X3, X9, X15
from pyjit.lir import ir
from pyjit.lir.printer import format_function
from pyjit.lir.verifier import LirError, verify, verify_allocation

from unicorn_harness import CODE_BASE, Machine

BUILTIN = ["direct", "literal", "stub", "lazy-stub", "hot-literal", "near"]
HELPER_BASE = CODE_BASE + (256 << 20)
CALLER_SAVED = set(REGISTER_SETS[ir.GP].caller_saved) | set(REGISTER_SETS[ir.FP].caller_saved)


def run_lir(func: ir.LirFunction, args=(), strategy=None, helpers=None):
    verify(func)
    emitted = generate(func, strategy)
    verify_allocation(func, emitted.allocation, CALLER_SAVED)
    machine = Machine()
    addresses = {}
    for k, (name, words) in enumerate((helpers or {}).items()):
        addresses[name] = HELPER_BASE + 0x1000 * k
        machine.load(b"".join(struct.pack("<I", w) for w in words), addresses[name])
    machine.load_code(emitted.code, CODE_BASE, addresses.__getitem__)
    return machine.call(CODE_BASE, args), emitted


def loop_function() -> ir.LirFunction:
    """s = 0; for i in range(n): s += (i * 3) ^ (i >> 2); return s"""
    f = ir.LirFunction("loop")
    n = f.new_vreg(hint="n")
    f.params = [n]
    entry, head, body, done = f.new_block(), f.new_block(), f.new_block(), f.new_block()
    i, s, t1, t2 = (f.new_vreg() for _ in range(4))
    entry.instrs = [ir.LoadImm(i, 0), ir.LoadImm(s, 0), ir.Jump(head)]
    head.instrs = [ir.Branch("ge", i, n, done, body)]
    body.instrs = [ir.Alu("mul", t1, i, 3), ir.Alu("asr", t2, i, 2), ir.Alu("eor", t1, t1, t2),
                   ir.Alu("add", s, s, t1), ir.Alu("add", i, i, 1), ir.Jump(head)]
    done.instrs = [ir.Return(s)]
    return f


@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_loop(n):
    result, _ = run_lir(loop_function(), [n])
    assert result == sum((i * 3) ^ (i >> 2) for i in range(n))


def test_loop_printed_with_allocation(golden):
    func = loop_function()
    emitted = generate(func)
    golden("lir/loop.txt", format_function(func, emitted.allocation))


# helper: x0 = x0 * 2 + x1, clobbering every caller-saved register it may.
_CLOBBER = [isa.mov(r, 0x5A5A) for r in (X2, X3, X9, X15)]
HELPER = [isa.add(X0, X1, Shifted(X0, "lsl", 1))] + _CLOBBER + [isa.ret()]


@pytest.mark.parametrize("strategy", BUILTIN)
def test_values_survive_calls(strategy):
    f = ir.LirFunction("calls")
    a, b = f.new_vreg(), f.new_vreg()
    f.params = [a, b]
    blk = f.new_block()
    v, w, r = f.new_vreg(), f.new_vreg(), f.new_vreg()
    target = CallTarget("helper")
    blk.instrs = [ir.Call(target, [a, b], v), ir.Call(target, [v, a], w),
                  ir.Call(target, [b, w], v, hot=False), ir.Alu("add", r, v, a),
                  ir.Alu("add", r, r, b), ir.Return(r)]
    result, emitted = run_lir(f, [5, 7], strategy, {"helper": HELPER})
    v1 = 5 * 2 + 7
    w1 = v1 * 2 + 5
    v2 = 7 * 2 + w1
    assert result == v2 + 5 + 7
    assert emitted.frame.saved  # a and b live across calls: callee-saved


@given(st.lists(st.integers(-2**40, 2**40), min_size=1, max_size=60))
@settings(max_examples=15, deadline=None)
def test_register_pressure_spills(values):
    # Every value is live until the end: more values than registers.
    f = ir.LirFunction("pressure")
    blk = f.new_block()
    regs = [f.new_vreg() for _ in values]
    blk.instrs = [ir.LoadImm(r, v) for r, v in zip(regs, values)]
    acc = f.new_vreg()
    blk.instrs.append(ir.LoadImm(acc, 0))
    for k, r in enumerate(regs):
        blk.instrs.append(ir.Alu("add" if k % 2 else "sub", acc, acc, r))
    blk.instrs.append(ir.Return(acc))
    result, emitted = run_lir(f)
    expect = sum(v if k % 2 else -v for k, v in enumerate(values))
    assert result == expect % 2**64
    if len(values) > 26:
        assert emitted.allocation.spill_slots > 0


def test_parallel_move_cycle_fibonacci():
    # (a, b) = (b, a + b), n times, through one ParallelMove with a cycle.
    f = ir.LirFunction("fib")
    n = f.new_vreg()
    f.params = [n]
    entry, head, body, done = (f.new_block() for _ in range(4))
    a, b, s, i = (f.new_vreg() for _ in range(4))
    entry.instrs = [ir.LoadImm(a, 0), ir.LoadImm(b, 1), ir.LoadImm(i, 0), ir.Jump(head)]
    head.instrs = [ir.Branch("ge", i, n, done, body)]
    body.instrs = [ir.Alu("add", s, a, b), ir.ParallelMove([a, b], [b, s]),
                   ir.ParallelMove([b, a], [a, b]), ir.ParallelMove([a, b], [b, a]),
                   ir.Alu("add", i, i, 1), ir.Jump(head)]
    done.instrs = [ir.Return(a)]
    result, _ = run_lir(f, [30])
    assert result == 832040


def test_floating_point_and_stack_areas():
    # sqrt(x*x + y*y) computed in d registers, returned as raw bits.
    f = ir.LirFunction("hypot")
    xb, yb = f.new_vreg(), f.new_vreg()
    f.params = [xb, yb]
    area = f.new_stack_area(16)
    blk = f.new_block()
    x, y, xx, yy, s, r = (f.new_vreg(ir.FP) for _ in range(6))
    bits = f.new_vreg()
    blk.instrs = [ir.Store(xb, area, 0), ir.Store(yb, area, 8), ir.Load(x, area, 0),
                  ir.Load(y, area, 8), ir.FAlu("fmul", xx, x, x), ir.FAlu("fmul", yy, y, y),
                  ir.FAlu("fadd", s, xx, yy), ir.FUnary("fsqrt", r, s),
                  ir.Store(r, area, 0), ir.Load(bits, area, 0), ir.Return(bits)]
    raw = lambda d: struct.unpack("<Q", struct.pack("<d", d))[0]  # noqa: E731
    result, _ = run_lir(f, [raw(3.0), raw(4.0)])
    assert struct.unpack("<d", struct.pack("<Q", result))[0] == 5.0


@pytest.mark.parametrize("a,b", [(1.0, 2.0), (2.0, 1.0), (1.0, 1.0), (math.nan, 1.0)])
@pytest.mark.parametrize("cond", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_float_compare_conditions_follow_c(cond, a, b):
    import operator
    f = ir.LirFunction("fcmp")
    ab, bb = f.new_vreg(), f.new_vreg()
    f.params = [ab, bb]
    area = f.new_stack_area(16)
    blk, yes, no = f.new_block(), f.new_block(), f.new_block()
    fa, fb = f.new_vreg(ir.FP), f.new_vreg(ir.FP)
    one, zero, flag, both = f.new_vreg(), f.new_vreg(), f.new_vreg(), f.new_vreg()
    blk.instrs = [ir.Store(ab, area, 0), ir.Store(bb, area, 8), ir.Load(fa, area, 0),
                  ir.Load(fb, area, 8), ir.FCondSet(cond, flag, fa, fb),
                  ir.FBranch(cond, fa, fb, yes, no)]
    yes.instrs = [ir.Alu("add", both, flag, 10), ir.Return(both)]
    no.instrs = [ir.Alu("add", both, flag, 20), ir.Return(both)]
    raw = lambda d: struct.unpack("<Q", struct.pack("<d", d))[0]  # noqa: E731
    result, _ = run_lir(f, [raw(a), raw(b)])
    truth = getattr(operator, cond)(a, b)
    assert result == (11 if truth else 20)


def test_verifier_rejects_broken_lir():
    f = ir.LirFunction("broken")
    blk = f.new_block()
    v = f.new_vreg()
    blk.instrs = [ir.Alu("add", v, v, 1), ir.Return(v)]
    with pytest.raises(LirError, match="used before any definition"):
        verify(f)
    g = ir.LirFunction("noterm")
    g.new_block().instrs = [ir.LoadImm(g.new_vreg(), 1)]
    with pytest.raises(LirError, match="terminator"):
        verify(g)
    h = ir.LirFunction("classes")
    x, d = h.new_vreg(), h.new_vreg(ir.FP)
    h.params = [x]
    h.new_block().instrs = [ir.FUnary("fsqrt", d, x), ir.Return(x)]
    with pytest.raises(LirError, match="fp op on a gp vreg"):
        verify(h)
