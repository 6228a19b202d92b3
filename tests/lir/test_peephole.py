"""lir/peephole.py: the compare-and-branch fusion on hand-written LIR (the
printed form before and after, and the value under Unicorn for every
operand pair), and the sign-bit branch of a C int status."""

from __future__ import annotations

import pytest

from pyjit.lir import ir
from pyjit.lir.peephole import fuse_compare_branches
from pyjit.lir.printer import format_function

from test_codegen import run_lir

capstone = pytest.importorskip("capstone")


def mnemonics(emitted) -> list[str]:
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    return [insn.mnemonic for insn in md.disasm(emitted.code.data, 0)]


def choose(cond: str, extra_use: bool = False, redefine: bool = False) -> ir.LirFunction:
    """return 10 if (a COND b) else 20, through a CondSet and a branch on it."""
    f = ir.LirFunction("choose")
    a, b = f.new_vreg(hint="a"), f.new_vreg(hint="b")
    f.params = [a, b]
    entry, yes, no = f.new_block(), f.new_block(), f.new_block()
    flag, r = f.new_vreg(hint="flag"), f.new_vreg()
    entry.instrs = [ir.CondSet(cond, flag, a, b)]
    if redefine:
        entry.instrs.append(ir.Alu("add", a, a, 1))
    entry.instrs.append(ir.BranchZero(flag, no, yes))
    yes.instrs = [ir.LoadImm(r, 10), ir.Return(r)]
    no.instrs = [ir.LoadImm(r, 20), ir.Return(flag if extra_use else r)]
    return f


def test_a_branch_on_a_compare_becomes_the_compare_s_branch():
    f = choose("lt")
    assert fuse_compare_branches(f) == 1
    text = format_function(f)
    assert "cset" not in text and "condset" not in text.lower()
    assert "branch.lt v0, v1 -> bb1, bb2" in text, text


@pytest.mark.parametrize("extra_use, redefine", [(True, False), (False, True)])
def test_a_compare_with_another_use_or_a_redefined_operand_stays(extra_use, redefine):
    f = choose("lt", extra_use=extra_use, redefine=redefine)
    before = format_function(f)
    assert fuse_compare_branches(f) == 0
    assert format_function(f) == before


@pytest.mark.parametrize("cond", ["eq", "ne", "lt", "le", "gt", "ge", "lo", "hs"])
@pytest.mark.parametrize("a, b", [(1, 2), (2, 1), (5, 5), (-1, 3), (3, -1)])
def test_the_fused_branch_gives_the_compare_s_answer(cond, a, b):
    import operator
    signed = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
              "gt": operator.gt, "ge": operator.ge}
    mask = (1 << 64) - 1
    want = (signed[cond](a, b) if cond in signed else
            (a & mask) < (b & mask) if cond == "lo" else (a & mask) >= (b & mask))
    result, emitted = run_lir(choose(cond), [a & mask, b & mask])
    assert result == (10 if want else 20)
    ops = mnemonics(emitted)
    assert "cmp" in ops and "cset" not in ops and "cbz" not in ops and "cbnz" not in ops, ops


def status_function() -> ir.LirFunction:
    """return 1 if the C int s failed (negative) else 0: branch.bit31.set."""
    f = ir.LirFunction("status")
    s = f.new_vreg(hint="s")
    f.params = [s]
    entry, bad, good = f.new_block(), f.new_block(), f.new_block()
    r = f.new_vreg()
    entry.instrs = [ir.BranchZero(s, bad, good, nonzero=True, bit=31)]
    bad.instrs = [ir.LoadImm(r, 1), ir.Return(r)]
    good.instrs = [ir.LoadImm(r, 0), ir.Return(r)]
    return f


def test_a_status_check_tests_the_sign_bit():
    """tbnz on bit 31 of a C int, whatever the upper half holds."""
    assert "branch.bit31.set v0 -> bb1, bb2" in format_function(status_function())
    for status, failed in [(0, 0), (1, 0), (0xFFFFFFFF, 1), (0x80000000, 1),
                           (0xFFFFFFFF_7FFFFFFF, 0), (0x00000000_FFFFFFFE, 1)]:
        result, emitted = run_lir(status_function(), [status])
        assert result == failed, hex(status)
    assert "tbnz" in mnemonics(emitted) or "tbz" in mnemonics(emitted)
