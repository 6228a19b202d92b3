"""The interpreter's ownership ledger catches broken reference counting:
each test breaks refcounted IR in one way and expects the report."""

from __future__ import annotations

import pytest

from pyjit.hir import build_hir
from pyjit.hir.interp import LedgerError, run
from pyjit.hir.ir import Function, Instr
from pyjit.hir.ops_core import Decref, Incref, Return
from pyjit.hir.ops_numeric import BinaryOp
from pyjit.hir.ops_containers import LoadUnpackedItem, UnpackEx
from pyjit.hir.passes import DEFAULT_PIPELINE

from hir_support import compile_fn, requires_builder

pytestmark = requires_builder

G = [1, 2, 3]
# Without the pass, `a + b + a` releases its temporary with a Decref.
NO_CONSUME = tuple(p for p in DEFAULT_PIPELINE if p != "refcount-consume")


def chain(a, b):
    return a + b + a


def identity(x):
    return x


def uses_global():
    return len(G)


def temporaries(a):
    t = a + 1
    u = t * 2
    return t + u


def loop(n):
    s = 0
    for i in range(n):
        t = i * 2
        s += t
    return s


def divide(a, b):
    t = a + 1
    return t / b


def first(p):
    a, *b = p
    return a


def second(p):
    a, b = p
    return b


def find(func: Function, cls: type, nth: int = 0) -> tuple[list[Instr], int]:
    hits = [(b.instrs, k) for b in func.blocks for k, i in enumerate(b.instrs) if type(i) is cls]
    return hits[nth]


def test_clean_ledger():
    for fn, args in ((chain, (1, 2)), (identity, (3,)), (uses_global, ()), (temporaries, (2,)),
                     (loop, (4,)), (first, ((1, 2),)), (second, ([1, 2],))):
        assert run(compile_fn(fn), fn, *args) == fn(*args)


def test_missing_decref_is_a_leak():
    func = compile_fn(chain, NO_CONSUME)
    instrs, k = find(func, Decref)
    del instrs[k]
    with pytest.raises(LedgerError, match=r"references leaked: v\d+ holds 1 \(from `v\d+:Object = BinaryOp<Add>"):
        run(func, chain, 1, 2)


def test_a_consumed_operand_is_released_by_its_consumer():
    func = compile_fn(chain)
    op = next(i for i in func.instructions() if type(i) is BinaryOp and i.consumed)
    assert run(func, chain, 1, 2) == 4
    op.consumed = ()            # the temporary no longer handed over: nobody releases it
    with pytest.raises(LedgerError, match=r"references leaked: v\d+ holds 1 \(from `v\d+:Object = BinaryOp<Add>"):
        run(func, chain, 1, 2)


def test_an_unpacked_item_is_a_new_reference():
    func = compile_fn(second)
    item = next(i for i in func.instructions() if type(i) is LoadUnpackedItem and i.index == 0)
    instrs, k = next((b.instrs, k) for b in func.blocks for k, i in enumerate(b.instrs)
                     if type(i) is Decref and i.operands[0] is item.result)
    del instrs[k]
    with pytest.raises(LedgerError, match=r"references leaked: v\d+ holds 1 \(from `v\d+:Object = LoadUnpackedItem<0>"):
        run(func, second, [object(), object()])


def test_double_decref_names_the_instruction():
    func = compile_fn(chain, NO_CONSUME)
    instrs, k = find(func, Decref)
    instrs.insert(k, Decref(list(instrs[k].operands)))
    with pytest.raises(LedgerError, match=r"`Decref v\d+`: releases a reference v\d+ does not hold"):
        run(func, chain, 1, 2)


def test_missing_incref_before_a_steal():
    func = compile_fn(identity)
    instrs, k = find(func, Incref)
    del instrs[k]
    with pytest.raises(LedgerError, match=r"`Return v0` \(returned\): releases a reference v0 does not hold"):
        run(func, identity, 3)


def test_volatile_global_passed_to_a_call_must_be_owned():
    func = compile_fn(uses_global)
    instrs, k = find(func, Incref)
    del instrs[k]
    with pytest.raises(LedgerError, match="volatile borrowed reference is passed to an instruction that may call"):
        run(func, uses_global)


def test_use_after_release():
    func = compile_fn(temporaries)  # t = a + 1; u = t * 2; return t + u
    binops = [i for i in func.instructions() if type(i) is BinaryOp]
    t = binops[0].result
    instrs, k = next((b.instrs, k) for b in func.blocks for k, i in enumerate(b.instrs)
                     if type(i) is Decref and i.operands[0] is t)
    early = instrs.pop(k)
    instrs.insert(instrs.index(binops[1]) + 1, early)  # release t before t + u
    with pytest.raises(LedgerError, match=r"`v\d+:Object = BinaryOp<Add> v\d+ v\d+ .*`: uses v\d+ "
                                          r"but all its references were released"):
        run(func, temporaries, 2)


def test_leak_across_loop_iterations():
    func = compile_fn(loop)
    body = next(b for b in func.blocks if any(type(i) is BinaryOp for i in b.instrs))
    k = next(k for k, i in enumerate(body.instrs) if type(i) is Decref)
    del body.instrs[k]
    with pytest.raises(LedgerError, match="redefined while still holding|references leaked"):
        run(func, loop, 3)


def test_missing_release_on_the_error_path():
    func = compile_fn(divide)
    div = [i for i in func.instructions() if type(i) is BinaryOp][-1]
    assert div.exc_release
    div.exc_release = []
    assert run(func, divide, 1, 2) == divide(1, 2)
    with pytest.raises(LedgerError, match=r"error exit at `v\d+:Object = BinaryOp<TrueDivide>"):
        run(func, divide, 1, 0)


def test_item_used_after_its_tuple_is_released():
    func = compile_fn(first)
    unpack = next(i for i in func.instructions() if type(i) is UnpackEx)
    instrs, k = find(func, Decref)
    assert instrs[k].operands[0] is unpack.result
    dec = instrs.pop(k)
    ret = next(j for j, i in enumerate(instrs) if type(i) is Return)
    incref = next(j for j, i in enumerate(instrs) if type(i) is Incref)
    instrs.insert(min(ret, incref), dec)
    with pytest.raises(LedgerError, match=r"borrowed from v\d+, and all its references were released"):
        run(func, first, (1, 2))


def test_unrefcounted_ir_leaks_when_checked():
    func = build_hir(chain)
    assert run(func, chain, 1, 2) == 4  # no ledger for IR without refcounts
    with pytest.raises(LedgerError, match="leaked"):
        run(func, chain, 1, 2, check_refcounts=True)
