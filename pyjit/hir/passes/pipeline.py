"""The pass machinery: the `Pass` base, the registry and `run_pipeline`
(pyjit/hir/passes/__init__.py says what each pass does)."""

from __future__ import annotations

from typing import ClassVar, Iterable

from ..errors import PassError
from ..ir import Function
from ..verifier import verify


class Pass:
    """Base of HIR passes."""

    name: ClassVar[str] = ""
    needs_unrefcounted: ClassVar[bool] = True

    def run(self, func: Function) -> None:
        raise NotImplementedError


PASSES: dict[str, type[Pass]] = {}


def register_pass(cls: type[Pass]) -> type[Pass]:
    if not cls.name or cls.name in PASSES:
        raise ValueError(f"pass name {cls.name!r} is empty or registered twice")
    PASSES[cls.name] = cls
    return cls


DEFAULT_PIPELINE: tuple[str, ...] = (
    "simplify", "guard-elimination", "simplify", "dce", "refcount-insertion",
)


def run_pipeline(func: Function, names: Iterable[str] = DEFAULT_PIPELINE, *,
                 verify_each: bool = False) -> Function:
    """Run the named passes in order on ``func`` (in place); returns it."""
    passes = []
    for name in names:
        if name not in PASSES:
            raise PassError(f"unknown pass {name!r}; known: {', '.join(sorted(PASSES))}")
        passes.append(PASSES[name]())
    for p in passes:
        if p.needs_unrefcounted and func.refcounted:
            raise PassError(f"pass {p.name} cannot run after refcount-insertion")
        p.run(func)
        if verify_each:
            verify(func)
    return func
