"""``truth-of-compare``: a comparison that is only tested becomes one
instruction.

    v = CompareOp<Ge> a b          c = CompareBool<Ge> a b
    c = IsTruthy v           ->

when the IsTruthy comes right after the CompareOp, outside any try (so
that nothing happens between the two and both fail to the same place) and
is the comparison's only use.  CompareBool is the comparison and the test
of its result, which it releases (`pyjit_compare_bool`: two small ints or
floats answer 1 or 0 without making a bool at all), so the site has one
call, no truth test and no release of its own.  It runs before reference
counting (the comparison's result never becomes a value of the function)
and only where the code generator has the routine (caches not off).
"""

from __future__ import annotations

from ...options import CompileOptions
from ..ir import Function
from ..ops_core import IsTruthy
from ..ops_numeric import CompareBool, CompareOp
from .pipeline import Pass, register_pass


def fuse(func: Function) -> int:
    """Fuse such pairs of func in place; the number fused."""
    uses = func.uses()
    fused = 0
    for block in func.blocks:
        k = 0
        while k + 1 < len(block.instrs):
            op, test = block.instrs[k], block.instrs[k + 1]
            if (isinstance(op, CompareOp) and isinstance(test, IsTruthy)
                    and test.operands[0] is op.result and uses.get(op.result) == [test]
                    and op.exc_target is None and test.exc_target is None):
                both = CompareBool(list(op.operands), kind=op.kind)
                both.lineno, both.offset = op.lineno, op.offset
                block.instrs[k:k + 2] = [both]
                func.replace_uses({test.result: both.result})
                uses = func.uses()
                fused += 1
            k += 1
    return fused


@register_pass
class TruthOfCompare(Pass):
    """A CompareOp only tested by the IsTruthy after it -> CompareBool."""

    name = "truth-of-compare"
    summary = "a comparison only tested by the truth test after it: one CompareBool"

    def applies(self, options: CompileOptions) -> bool:
        return options.caches != "off"

    def run(self, func: Function) -> None:
        fuse(func)
