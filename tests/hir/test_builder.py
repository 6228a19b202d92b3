"""The builder's structure (the running version's):
the handler table, exception edges and landing blocks, checks on locals,
call shapes and the range fast path."""

from __future__ import annotations

import dis

import pytest

from pyjit.hir import build_hir, opcode_counts, verify
from pyjit.hir.build import running_builder
from pyjit.hir.builder_311 import HandlerTable, local_names
from pyjit.hir.bytecode_311 import decode
from pyjit.hir.cfg import predecessors
from pyjit.hir.ops_core import Branch, Phi
from pyjit.hir.ops_exc import FetchException

from cases import CASES, COMPREHENSIONS, closure_counter, make_adder, try_except, with_statement
from gen_cases import GENERATOR_CASES
from hir_support import requires_builder, run_both

pytestmark = requires_builder
HANDLERS = running_builder().HANDLERS if running_builder() is not None else HandlerTable()


def test_every_handled_opcode_has_a_test_case():
    exercised: set[str] = set()
    for fn, _ in [*CASES.values(), *COMPREHENSIONS.values()]:
        exercised |= {ins.opname for ins in decode(fn.__code__)}
    for fn, _, _ in GENERATOR_CASES.values():
        exercised |= {ins.opname for ins in decode(fn.__code__)}
    assert sorted(set(HANDLERS.handlers) - exercised) == []


def test_handler_table_names_real_opcodes_and_rejects_duplicates():
    assert set(HANDLERS.handlers) <= set(dis.opmap)
    table = HandlerTable()
    table("NOP")(lambda b, i: None)
    with pytest.raises(ValueError, match="opcode NOP handled twice"):
        table("NOP")(lambda b, i: None)


@pytest.mark.parametrize("fn", [try_except, with_statement], ids=lambda f: f.__name__)
def test_raising_instructions_in_try_end_their_block(fn):
    func = build_hir(fn)
    verify(func)
    preds = predecessors(func)
    landings = {i.exc_target for i in func.instructions() if i.exc_target is not None}
    assert landings
    for block in func.blocks:
        for pos, instr in enumerate(block.instrs):
            if instr.exc_target is not None and not instr.is_terminator:
                assert pos == len(block.instrs) - 2 and isinstance(block.instrs[-1], Branch)
    for landing in landings:
        body = [i for i in landing.instrs if not isinstance(i, Phi)]
        assert isinstance(body[0], FetchException)
        for pred in preds[landing]:
            assert pred.exc_successor is landing  # only exception edges enter a landing


def test_landing_phis_take_values_at_the_raising_point():
    def f(x):
        y = 1
        try:
            y = x + 1  # raises with y == 1
            y = x * 2  # raises with y == x + 1
            return y
        except TypeError:
            return y
    func = build_hir(f)
    landing = next(i.exc_target for i in func.instructions() if i.exc_target is not None)
    (phi,) = [p for p in landing.phis if len(set(p.operands)) > 1]
    kinds = sorted(v.defn.opname for v in phi.operands)
    assert kinds == ["BinaryOp", "LoadConst"]
    for arg in (3, "s"):
        run_both(f, arg)


def test_locals_are_checked_only_when_they_may_be_unbound():
    def f(a):
        b = a
        return b + a
    assert "CheckVar" not in opcode_counts(build_hir(f))

    def g(flag):
        if flag:
            c = 1
        return c
    assert opcode_counts(build_hir(g))["CheckVar"] == 1


def test_method_calls_and_plain_calls():
    def f(items, x):
        items.append(x)
        return len(items)
    counts = opcode_counts(build_hir(f))
    assert counts["LoadMethodCached"] == counts["GetSecondOutput"] == counts["CallMethod"] == 1
    assert counts["VectorCall"] == 1


def test_range_loop_takes_the_guarded_fast_path():
    counts = opcode_counts(build_hir(closure_counter))
    assert counts["RangeIter"] == 1 and counts["IsIdentical"] >= 1
    assert counts["GetIter"] == 1  # the generic fallback


def test_closures_and_cells():
    counts = opcode_counts(build_hir(make_adder))
    assert counts["MakeCell"] == 1 and counts["MakeFunction"] == 1
    inner = make_adder(1)
    assert opcode_counts(build_hir(inner))["LoadFreeCell"] == 1
    assert local_names(inner.__code__) == ["x", "n"]


def test_code_objects_build_too():
    func = build_hir(make_adder.__code__)
    assert func.qualname == "make_adder" and func.code is make_adder.__code__
    assert [p.name for p in func.params] == ["n"]


def test_a_generator_without_try_has_no_landing():
    """Its raises leave the body: 3.12's handler around a generator's whole
    body (StopIteration made RuntimeError) is the generator driver's work
    (cpython/genbody.py), not a landing in the body."""
    for name in ("counter", "yield_in_call", "async_generator_stop"):
        func = build_hir(GENERATOR_CASES[name][0])
        assert opcode_counts(func).get("FetchException", 0) == 0, name


def _plain_yields(x):
    yield x                   # 3.13: RESUME 5, after a yield with the depth bit set


def _delegating_yield(it):
    return (yield from it)    # RESUME 2, after a yield from


def test_a_throw_goes_to_the_delegate_only_at_a_yield_from():
    """A throw into a plain yield raises there (GenThrow); into the yield of
    a SEND loop it goes to the delegate (IterThrow).  3.13 sets a bit above
    the location in the RESUME after a yield outside any try (the exception
    stack one deep), which is still a plain yield's resume."""
    plain = opcode_counts(build_hir(_plain_yields))
    assert (plain.get("GenThrow", 0), plain.get("IterThrow", 0)) == (1, 0)
    delegating = opcode_counts(build_hir(_delegating_yield))
    assert delegating.get("IterThrow", 0) == 1
