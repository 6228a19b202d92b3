"""The pass machinery: the `Pass` base, the registry and `run_pipeline`
(pyjit/hir/passes/__init__.py says what each pass does)."""

from __future__ import annotations

from typing import ClassVar, Iterable

from ...options import CompileOptions
from ..errors import PassError
from ..ir import Function
from ..verifier import verify


class Pass:
    """Base of HIR passes.  ``summary`` is the one line `pyjit ... --help`
    prints for it."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    needs_unrefcounted: ClassVar[bool] = True
    # run() leaves every result with the type infer_types would give it.
    leaves_types_inferred: ClassVar[bool] = False
    # Set by run_pipeline: the function's types are already what infer_types
    # would give (the pass before it left them so, or the caller vouched for
    # them), so the pass need not infer them before its first change.
    types_inferred: bool = False
    # run() stops at a fixpoint of its own: run again on what it left, it
    # would change nothing (run_pipeline skips it while no pass changed the
    # function since).
    reaches_fixpoint: ClassVar[bool] = False
    # Set by run(): whether it may have changed the function (its blocks,
    # instructions or types).  A pass that does not know leaves it True.
    changed: bool = True

    def applies(self, options: CompileOptions) -> bool:
        """Whether the pass may run under these options (a pass whose proof
        rests on how the code is lowered says so here); one that may not is
        skipped."""
        return True

    def run(self, func: Function) -> None:
        raise NotImplementedError


PASSES: dict[str, type[Pass]] = {}


def register_pass(cls: type[Pass]) -> type[Pass]:
    if not cls.name or cls.name in PASSES:
        raise ValueError(f"pass name {cls.name!r} is empty or registered twice")
    PASSES[cls.name] = cls
    return cls


DEFAULT_PIPELINE: tuple[str, ...] = (
    "simplify", "guard-elimination", "simplify", "dce", "truth-tests",
    "refcount-frame-values", "refcount-held-operands", "refcount-immortal",
    "refcount-consume", "refcount-insertion",
)


def check_pass_names(names: Iterable[str]) -> None:
    """PassError naming the first unknown pass and the known ones."""
    for name in names:
        if name not in PASSES:
            raise PassError(f"unknown pass {name!r}; known: {', '.join(sorted(PASSES))}")


def run_pipeline(func: Function, names: Iterable[str] = DEFAULT_PIPELINE, *,
                 verify_each: bool = False,
                 options: CompileOptions | None = None,
                 types_inferred: bool = False) -> Function:
    """Run the named passes in order on ``func`` (in place), skipping those
    that do not apply to ``options`` (None: the defaults); returns func.
    types_inferred: func's types are what infer_types would give (as
    build_hir leaves them), so the first pass may rely on them."""
    settled: set[str] = set()    # fixpoint passes no pass changed the function since
    for name in applicable(names, options):
        p = PASSES[name]()
        if p.needs_unrefcounted and func.refcounted:
            raise PassError(f"pass {p.name} cannot run after refcount-insertion")
        if name in settled:      # (simplify after a guard-elimination that found nothing)
            types_inferred = types_inferred or p.leaves_types_inferred
            continue
        p.types_inferred = types_inferred
        p.run(func)
        types_inferred = p.leaves_types_inferred
        if p.changed:
            settled.clear()
        if p.reaches_fixpoint:
            settled.add(name)
        if verify_each:
            verify(func)
    return func


def applicable(names: Iterable[str], options: CompileOptions | None = None) -> tuple[str, ...]:
    """The named passes that apply under options (None: the defaults), in
    order; PassError for an unknown name."""
    names = tuple(names)
    check_pass_names(names)
    options = options if options is not None else CompileOptions()
    return tuple(n for n in names if PASSES[n]().applies(options))
