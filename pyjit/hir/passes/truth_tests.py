"""``truth-tests``: a comparison or a call that is only tested becomes one
instruction.

    v = CompareOp<Ge> a b          c = CompareBool<Ge> a b
    c = IsTruthy v           ->

    v = VectorCall f x y           c = VectorCallBool f x y
    c = IsTruthy v           ->

    (CallMethod likewise, CallMethodBool)

when the IsTruthy comes right after the instruction, outside any try (so
that nothing happens between the two and both fail to the same place) and
is the result's only use.  The fused instruction makes the result, tests
it and releases it in one routine call (`pyjit_compare_bool`: two small
ints or floats answer 1 or 0 without making a bool at all;
`pyjit_isinstance_bool` for the builtin isinstance;
`pyjit_call_method_cached_bool0` for a method load and its call;
otherwise the call, then `pyjit_is_true_release`), so the site has no truth test and no
release of its own.  It runs before reference counting (the result never
becomes a value of the function) and only where the code generator has
the routines (caches not off).
"""

from __future__ import annotations

from ...options import CompileOptions
from ..ir import Function, Instr, Value
from ..ops_core import IsTruthy
from ..ops_numeric import CompareBool, CompareOp
from ..ops_objects import CallMethod, CallMethodBool, VectorCall, VectorCallBool
from .pipeline import Pass, register_pass


def _tested(op: Instr) -> Instr | None:
    """The instruction doing op's work and its truth test, or None."""
    if isinstance(op, CompareOp):
        return CompareBool(list(op.operands), kind=op.kind)
    if isinstance(op, VectorCall):
        return VectorCallBool(list(op.operands), kwnames=op.kwnames)
    if isinstance(op, CallMethod):
        return CallMethodBool(list(op.operands), kwnames=op.kwnames)
    return None


def fuse(func: Function) -> int:
    """Fuse such pairs of func in place; the number fused."""
    uses = func.uses()
    fused = 0
    # The test's users read both's result instead: one replace_uses for all
    # (no fused result is the operand of another pair, so none needs it
    # sooner).
    renamed: dict[Value, Value] = {}
    for block in func.blocks:
        k = 0
        while k + 1 < len(block.instrs):
            op, test = block.instrs[k], block.instrs[k + 1]
            if (isinstance(test, IsTruthy) and test.operands[0] is op.result
                    and uses.get(op.result) == [test]
                    and op.exc_target is None and test.exc_target is None):
                both = _tested(op)
                if both is not None:
                    both.lineno, both.offset = op.lineno, op.offset
                    block.instrs[k:k + 2] = [both]
                    # (the uses of other results stay as counted: this
                    # fusion only moved the test's users to both.result)
                    renamed[test.result] = both.result  # type: ignore[index]
                    fused += 1
            k += 1
    func.replace_uses(renamed)
    return fused


@register_pass
class TruthTests(Pass):
    """A CompareOp, VectorCall or CallMethod only tested by the IsTruthy
    after it -> CompareBool, VectorCallBool, CallMethodBool."""

    name = "truth-tests"
    summary = "a comparison or call only tested by the truth test after it: one instruction"

    def applies(self, options: CompileOptions) -> bool:
        return options.caches != "off"

    def run(self, func: Function) -> None:
        fuse(func)
