"""The passes one by one: registry and pipelines, simplify, dce,
guard-elimination, refcount-insertion and specialize-float."""

from __future__ import annotations

import sys

import pytest

from pyjit.hir import build_hir, format_function, opcode_counts, run_pipeline, verify
from pyjit.hir.errors import PassError
from pyjit.hir.interp import run
from pyjit.hir.ir import Block, Function
from pyjit.hir.ops_core import Branch, CondBranch, IsTruthy, LoadArg, LoadConst, Phi, Return
from pyjit.hir.passes import PASSES, Pass, register_pass
from pyjit.hir.ssa import remove_trivial_phis

from hir_support import compile_fn, requires_builder, run_both

pytestmark = requires_builder


def ops_after(fn, passes) -> dict[str, int]:
    return opcode_counts(compile_fn(fn, passes))


# -- registry and pipelines ------------------------------------------------------


def test_registry_holds_the_passes():
    assert set(PASSES) == {"simplify", "dce", "guard-elimination", "refcount-insertion",
                           "specialize-float", "refcount-frame-values",
                           "refcount-held-operands", "refcount-immortal", "truth-tests",
                           "refcount-consume"}
    assert all(cls.summary for cls in PASSES.values())


def test_registering_a_name_twice_is_rejected():
    class Again(Pass):
        name = "dce"

    with pytest.raises(ValueError, match="registered twice"):
        register_pass(Again)


def test_unknown_pass_name():
    with pytest.raises(PassError, match="unknown pass 'fold'; known: dce, guard-elimination"):
        run_pipeline(build_hir(lambda: 1), ["fold"])


def test_rewriting_passes_refuse_refcounted_ir():
    func = compile_fn(lambda x: x)
    for name in ("simplify", "dce", "guard-elimination", "specialize-float", "refcount-insertion"):
        with pytest.raises(PassError, match=f"pass {name} cannot run after refcount-insertion"):
            run_pipeline(func, [name])


# -- simplify ----------------------------------------------------------------------


def is_none_constant():
    x = None
    return x is None


def branch_on_constant(a):
    x = None
    if x is None:
        return a
    return -a


def fold_arith():
    a = 2
    b = a * 3 + 1
    return b < 10


def no_fold_division():
    a = 1
    return a / 0


def truthy_constant():
    x = (1, 2)
    if x:
        return "t"
    return "f"


def test_identity_of_constants_folds():
    counts = ops_after(is_none_constant, ["simplify", "dce"])
    assert "IsIdentical" not in counts and "BoxBool" not in counts
    assert "LoadConst<True>" in format_function(compile_fn(is_none_constant, ["simplify", "dce"]))


def test_branch_on_a_constant_condition_goes_away():
    counts = ops_after(branch_on_constant, ["simplify", "dce"])
    assert "CondBranch" not in counts and "UnaryOp" not in counts
    assert counts.get("Branch", 0) == 0  # the blocks merged into one
    run_both(branch_on_constant, 5, passes=["simplify", "dce"])


def test_arithmetic_on_exact_constants_folds():
    text = format_function(compile_fn(fold_arith, ["simplify", "dce"]))
    assert "BinaryOp" not in text and "CompareOp" not in text
    assert "LoadConst<True>" in text


def test_failing_arithmetic_is_left_to_raise():
    assert ops_after(no_fold_division, ["simplify", "dce"])["BinaryOp"] == 1
    run_both(no_fold_division)


def test_truthiness_of_a_constant_tuple_folds():
    counts = ops_after(truthy_constant, ["simplify", "dce"])
    assert "IsTruthy" not in counts and "CondBranch" not in counts


def test_call_with_a_known_method_slot_becomes_a_vectorcall():
    """3.11 and 3.12 push the NULL slot before the conditional callee: the
    builder sees a phi beside it and makes CallMethods, which simplify turns
    into VectorCalls.  3.13 pushes the NULL after the callee, at the join:
    the builder makes VectorCalls itself."""
    from cases import conditional_callee
    built = opcode_counts(build_hir(conditional_callee))
    assert built.get("CallMethod", 0) == (0 if sys.version_info >= (3, 13) else 2)
    counts = ops_after(conditional_callee, ["simplify"])
    assert "CallMethod" not in counts and counts["VectorCall"] == 3
    run_both(conditional_callee, True, -2, passes=["simplify", "refcount-insertion"])


def test_folded_call_keeps_its_exception_edge():
    """A fold whose replacement may raise takes over the exception edge."""
    from cases import call_after_join_in_try
    func = compile_fn(call_after_join_in_try, ["simplify"])
    calls = [i for i in func.instructions() if i.opname in ("VectorCall", "CallMethod")]
    assert calls and all(c.exc_target is not None for c in calls)
    for args in ((True, [1]), (False, [1]), (True, [2.5])):
        run_both(call_after_join_in_try, *args, func=func)


def test_trivial_phi_is_replaced():
    arg = LoadArg([], index=0, name="x")
    cond = IsTruthy([arg.result])
    left, right, join = Block(), Block(), Block()
    entry = Block()
    for i in (arg, cond, CondBranch([cond.result], if_true=left, if_false=right)):
        entry.append(i)
    left.append(Branch([], target=join))
    right.append(Branch([], target=join))
    phi = Phi([arg.result, arg.result], preds=[left, right])
    join.append(phi)
    join.append(Return([phi.result]))
    func = Function("f", "f", [], None, [entry, left, right, join])
    verify(func)
    assert remove_trivial_phis(func)
    assert join.instrs[0].operands == [arg.result]
    verify(func)


# -- dce ---------------------------------------------------------------------------


def unused_values(a):
    unused = 5  # noqa: F841
    a + 1  # may raise: kept
    return a


def test_dce_keeps_what_may_raise_and_drops_the_rest():
    before = opcode_counts(build_hir(unused_values))
    after = ops_after(unused_values, ["dce"])
    assert before["LoadConst"] == 2 and after["LoadConst"] == 1
    assert after["BinaryOp"] == 1 and "LoadNull" not in after
    run_both(unused_values, "s", passes=["dce", "refcount-insertion"])


# -- guard-elimination -----------------------------------------------------------------


def loop_local(n):
    s = 0
    i = 0
    while i < n:
        s += i
        i += 1
    return s


def maybe_unbound(flag):
    if flag:
        v = 1
    return v


def test_checks_on_bound_locals_are_removed():
    assert opcode_counts(build_hir(loop_local))["CheckVar"] >= 2
    assert "CheckVar" not in ops_after(loop_local, ["guard-elimination"])


def test_check_on_a_maybe_unbound_local_stays():
    assert ops_after(maybe_unbound, ["guard-elimination", "simplify", "dce"])["CheckVar"] == 1
    run_both(maybe_unbound, False)


# -- refcount-insertion ------------------------------------------------------------------


def identity(x):
    return x


def arg_into_phi(x, flag):
    y = x
    if flag:
        y = [x]
    return y


def test_returning_an_argument_increfs_it():
    text = format_function(compile_fn(identity))
    assert "  v0:Object = LoadArg<0, x>\n" in text
    assert text.endswith("  Incref v0\n  Return v0\n")


def test_borrowed_phi_input_is_increfed_on_its_edge():
    func = compile_fn(arg_into_phi)
    phi = next(i for i in func.instructions() if isinstance(i, Phi))
    arg_input = next(v for v in phi.operands if isinstance(v.defn, LoadArg))
    pred = phi.preds[phi.operands.index(arg_input)]
    assert any(i.opname == "Incref" and i.operands == [arg_input] for i in pred.instrs)
    for flag in (True, False):
        run_both(arg_into_phi, 1, flag, func=func)


def test_every_may_raise_instruction_has_a_release_list():
    func = compile_fn(arg_into_phi)
    raising = [i for i in func.instructions() if i.may_raise]
    assert raising and all(i.exc_release is not None for i in raising)


# -- specialize-float --------------------------------------------------------------------

FLOAT_PIPELINE = ["specialize-float", "guard-elimination", "simplify", "dce", "refcount-insertion"]


def scale(x):
    return x * 2.5 - 1.0


def test_float_arithmetic_gets_a_guarded_unboxed_path():
    counts = ops_after(scale, FLOAT_PIPELINE)
    assert counts["DoubleBinaryOp"] == 2 and counts["UnboxFloat"] >= 1
    assert counts["IsType"] == 2  # x, then the result of the generic path; 2.5 needs none
    assert counts["BinaryOp"] == 2  # the generic fallbacks
    func = compile_fn(scale, FLOAT_PIPELINE)
    for arg in (2.0, 3, "no", float("nan")):
        run_both(scale, arg, func=func)


def test_known_floats_need_no_guard():
    def both_known():
        a = 1.5
        b = a * 2.0
        return b + a
    counts = ops_after(both_known, FLOAT_PIPELINE)
    assert "IsType" not in counts and "BinaryOp" not in counts
    assert run(compile_fn(both_known, FLOAT_PIPELINE), both_known) == 4.5


def test_opcode_counts():
    assert opcode_counts(build_hir(identity)) == {"LoadArg": 1, "LoadNull": 1, "Return": 1,
                                                  "CheckEvalBreaker": 1}
    assert opcode_counts(compile_fn(identity)) == {"Incref": 1, "LoadArg": 1, "Return": 1,
                                                   "CheckEvalBreaker": 1}


def test_constants_of_a_function():
    func = compile_fn(scale)
    assert func.constants == [2.5, 1.0]
    assert all(isinstance(i, LoadConst) for i in func.instructions() if i.opname == "LoadConst")
