"""HIR passes: small named objects run from lists of names.

A pass is a class with a kebab-case ``name`` and ``run(func)`` that edits
the function in place; ``@register_pass`` adds it to ``PASSES`` (a name
registered twice is an error).  ``run_pipeline(func, names)`` runs passes by
name, optionally verifying after each one; ``DEFAULT_PIPELINE`` is what the
JIT runs.

    simplify            constant folding (certain semantics only), branch
                        folding, trivial phis, block merging
    guard-elimination   checks whose outcome the types decide
    dce                 unreachable blocks, unused effect-free instructions
    refcount-insertion  Incref/Decref/XDecref and the exc_release lists; last
    specialize-float    guarded unboxed-double paths for float + - *; not in
                        the default pipeline (it grows code; CinderX's sizes
                        are measured without it)

Every pass refuses a function that has already been through refcount
insertion: rewriting values would invalidate its reference counting.
"""

from __future__ import annotations

from typing import ClassVar, Iterable

from ..errors import PassError
from ..ir import Function


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
    from ..verifier import verify

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


# Registration happens on import.
from . import dce, guard_elimination, refcount, simplify, specialize_float  # noqa: E402,F401

__all__ = ["DEFAULT_PIPELINE", "PASSES", "Pass", "register_pass", "run_pipeline"]
