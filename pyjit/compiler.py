"""The compile pipeline: Python function -> HIR -> LIR -> machine code.

    result = compile_function(fn, strategy="stub", placement=engine.placement())

Each stage hands the next a plain data structure (DESIGN.md's data flow):
`build_hir` + HIR passes (pyjit/hir), `lower_function` (pyjit/lir),
`generate` (pyjit/aarch64: register allocation, frame, encoding, call
lowering).  Anything the pipeline does not support is refused with
`CompileRefused`, whose message names the reason; the caller keeps the
function in the interpreter.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from types import FunctionType
from typing import Any, Iterable

from .aarch64.calls import CallLowering, CodePlacement
from .aarch64.codegen import DEFAULT_REFCOUNTS, REFCOUNT_MODES, EmittedFunction, generate
from .hir.build import build_hir
from .hir.errors import CompileRefused
from .hir.ir import Function as HirFunction
from .hir.passes import DEFAULT_PIPELINE, run_pipeline
from .lir.ir import LirFunction
from .lir.lower import LoweringError, lower_function


@dataclass
class CompiledFunction:
    """Everything the pipeline produced for one function."""

    func: FunctionType
    name: str                       # module:qualname
    strategy: str
    hir: HirFunction
    lir: LirFunction
    emitted: EmittedFunction
    consts: list[Any]               # objects the code refers to: kept alive here
    compile_ms: float
    passes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def code(self):
        return self.emitted.code

    @property
    def size(self) -> int:
        return self.emitted.code.sizes["total"]


def qualified_name(func: FunctionType) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def _describer(hfunc: HirFunction):
    """HIR instructions as dump_hir prints them (same value names)."""
    from .hir.printer import Namer, format_instr
    namer = Namer(hfunc)
    return lambda instr: format_instr(instr, namer).strip()


def refcounts_mode(refcounts: str | None) -> str:
    """The reference counting mode: refcounts, else PYJIT_REFCOUNTS, else
    the default; ValueError for a name not in REFCOUNT_MODES."""
    mode = refcounts or os.environ.get("PYJIT_REFCOUNTS") or DEFAULT_REFCOUNTS
    if mode not in REFCOUNT_MODES:
        raise ValueError(f"unknown refcounts mode {mode!r}: the modes are "
                         f"{', '.join(REFCOUNT_MODES)}")
    return mode


def compile_function(func: FunctionType, strategy: str | CallLowering | None = None, *,
                     placement: CodePlacement | None = None,
                     passes: Iterable[str] = DEFAULT_PIPELINE,
                     refcounts: str | None = None) -> CompiledFunction:
    """Compile func; raises CompileRefused (with the reason) when it cannot.
    strategy: a call lowering strategy's name, a fresh instance (used as
    is, e.g. to observe its calls; `placement` is then the instance's
    business), or None for the default.  refcounts: see
    `pyjit.aarch64.codegen.generate` (None: PYJIT_REFCOUNTS or the default)."""
    from .aarch64.calls import DEFAULT_STRATEGY

    refcounts = refcounts_mode(refcounts)
    if not isinstance(func, FunctionType):
        raise CompileRefused(repr(func), f"not a Python function ({type(func).__name__})")
    from .install import original_code
    start = time.perf_counter()
    code = original_code(func)
    passes = tuple(passes)
    hfunc = build_hir(code)
    run_pipeline(hfunc, passes)
    try:
        lfunc, consts = lower_function(hfunc, func)
    except LoweringError as exc:
        raise CompileRefused(func.__qualname__, str(exc)) from None
    emitted = generate(lfunc, strategy, placement=placement, describe=_describer(hfunc),
                       refcounts=refcounts)
    elapsed = (time.perf_counter() - start) * 1000
    name = strategy.name if isinstance(strategy, CallLowering) else strategy or DEFAULT_STRATEGY
    return CompiledFunction(func, qualified_name(func), name, hfunc,
                            lfunc, emitted, consts, elapsed, passes)
