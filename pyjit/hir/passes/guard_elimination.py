"""``guard-elimination``: drop checks whose outcome the types already decide.

- ``CheckVar u`` when u cannot be NULL: replaced by u;
- ``RefineType<T> u`` when u's type is already within T: replaced by u;
- ``IsType<T> v``: true when v's type is within T, false when they are
  disjoint;
- ``IsNull v``: false when v cannot be NULL, true when it is always NULL.

A folded check becomes a constant that ``simplify`` turns into a Branch,
after which ``dce`` deletes the path not taken.  Types are re-inferred
after each round, since removing a check can sharpen a phi.
"""

from __future__ import annotations

from typing import Callable

from ..cfg import remove_unreachable
from ..ir import Function, Instr, Value
from ..ops_core import CheckVar, IsNull, IsType, RefineType, prim_bool
from ..typeinfer import infer_types
from ..types import Nullptr
from .pipeline import Pass, register_pass
from .rewrite import Rule, apply_rules

GUARD_RULES: dict[type[Instr], Rule] = {}


def rule(cls: type[Instr]) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        if cls in GUARD_RULES:
            raise ValueError(f"guard rule for {cls.__name__} registered twice")
        GUARD_RULES[cls] = fn
        return fn
    return register


def _known(value: Value) -> bool:
    return not value.type.is_bottom


@rule(CheckVar)
def _check_var(instr: Instr) -> Value | Instr | None:
    value = instr.operands[0]
    return value if _known(value) and not value.type.could_be(Nullptr) else None


@rule(RefineType)
def _refine(instr: Instr) -> Value | Instr | None:
    value = instr.operands[0]
    return value if _known(value) and value.type <= instr.type else None  # type: ignore[attr-defined]


@rule(IsType)
def _is_type(instr: Instr) -> Value | Instr | None:
    value, want = instr.operands[0], instr.type  # type: ignore[attr-defined]
    if not _known(value):
        return None
    if value.type <= want:
        return prim_bool(True)
    return prim_bool(False) if not value.type.could_be(want) else None


@rule(IsNull)
def _is_null(instr: Instr) -> Value | Instr | None:
    value = instr.operands[0]
    if not _known(value):
        return None
    if not value.type.could_be(Nullptr):
        return prim_bool(False)
    return prim_bool(True) if value.type <= Nullptr else None


def eliminate_guards(func: Function) -> bool:
    return apply_rules(func, GUARD_RULES)


@register_pass
class GuardElimination(Pass):
    """Checks and type guards decided by the types."""

    name = "guard-elimination"
    summary = "checks whose outcome the types decide"
    leaves_types_inferred = True

    def run(self, func: Function) -> None:
        self.changed = not self.types_inferred
        if not self.types_inferred:
            infer_types(func)
        while eliminate_guards(func):
            self.changed = True
            infer_types(func)
        if remove_unreachable(func):  # a check that could raise took its exception edge along
            self.changed = True
            infer_types(func)
