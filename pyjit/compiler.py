"""The compile pipeline: Python function -> HIR -> LIR -> machine code.

    result = compile_function(fn, options=CompileOptions(strategy="stub"),
                              placement=engine.placement())

Each stage hands the next a plain data structure (DESIGN.md's data flow):
`build_hir` + HIR passes (pyjit/hir), `lower_function` (pyjit/lir),
`generate` (pyjit/aarch64: register allocation, frame, encoding, call
lowering).  The options of the compilation (pyjit/options.py) go down
explicitly; nothing here reads the environment.  Anything the pipeline does
not support is refused with `CompileRefused`, whose message names the
reason; the caller keeps the function in the interpreter.

Compiling needs neither an engine nor Unicorn nor capstone.
"""

from __future__ import annotations

import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FunctionType
from typing import Any, Iterable

from .aarch64.calls import DEFAULT_STRATEGY, CallLowering, CodePlacement, strategy_names
from .aarch64.codegen import CodegenError, EmittedFunction, generate
from .callables import not_compilable_reason
from .cpython.tracebacks import CodeInfo
from .hir.build import build_hir
from .hir.errors import CompileRefused
from .hir.ir import Function as HirFunction
from .hir.passes import DEFAULT_PIPELINE, PASSES, applicable, run_pipeline
from .install import original_code
from .lir.ir import LirFunction
from .lir.lower import LoweringError, lower_function
from .options import CompileOptions, OptionError


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
    options: CompileOptions = field(default_factory=CompileOptions)

    @property
    def code(self):
        return self.emitted.code

    @property
    def code_info(self) -> CodeInfo | None:
        """The traceback information among the constants (the loader sets
        its base address)."""
        return next((c for c in self.consts if isinstance(c, CodeInfo)), None)

    @property
    def size(self) -> int:
        return self.emitted.code.sizes["total"]


def qualified_name(func: FunctionType) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def _describer(hfunc: HirFunction):
    """HIR instructions as dump_hir prints them (same value names); the
    names are made at the first description (a listing asks for them)."""
    from .hir.printer import Namer, format_instr
    namers: list = []

    def describe(instr) -> str:
        if not namers:
            namers.append(Namer(hfunc))
        return format_instr(instr, namers[0]).strip()
    return describe


def check_options(options: CompileOptions) -> None:
    """Raise OptionError (one sentence naming the value and the accepted
    ones) when options name a call-lowering strategy nobody registered; the
    other fields are checked by CompileOptions itself."""
    name = options.strategy
    if name is not None and name not in strategy_names():
        raise OptionError(f"unknown strategy {name!r}: the accepted values are "
                          f"{', '.join(strategy_names())}")
    for name in (*(options.passes or ()), *sorted(options.disabled_passes)):
        if name not in PASSES:
            raise OptionError(f"unknown pass {name!r}: the known passes are "
                              f"{', '.join(sorted(PASSES))}")


@contextmanager
def collector_paused():
    """Python's cyclic garbage collector paused while a function compiles.

    Compiling allocates objects in proportion to the function's size (the
    IRs), most of them alive until the end; every full collection walks
    all of them, which made compile time grow quadratically (a function
    with 3,000 try/except blocks: 17 s with the collector, 9 s without).
    Collection resumes afterwards, for what compiling left behind too.
    If the collector is already off, it stays off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def compile_function(func: FunctionType, strategy: str | CallLowering | None = None, *,
                     placement: CodePlacement | None = None,
                     passes: Iterable[str] | None = None,
                     refcounts: str | None = None,
                     options: CompileOptions | None = None) -> CompiledFunction:
    """Compile func; raises CompileRefused (with the reason) when it cannot,
    OptionError for an unknown strategy.

    options: the compilation's options (None: the defaults, not the
    environment: see pyjit.environment.compile_options); strategy, refcounts
    and passes, when given, override its fields.  placement: where the code
    will be loaded, for strategies that look (`near`).  strategy may also
    be a fresh strategy instance, used as is (e.g. to observe its calls;
    `placement` is then the instance's business)."""
    lowering = strategy if isinstance(strategy, CallLowering) else None
    if lowering is not None:
        strategy = lowering.name
    options = options or CompileOptions()
    if strategy is not None or refcounts is not None:   # (else with_ would copy it unchanged)
        options = options.with_(strategy=strategy, refcounts=refcounts)
    if passes is not None:
        options = options.with_(passes=tuple(passes))
    if lowering is None:
        check_options(options)
    if not isinstance(func, FunctionType):
        raise CompileRefused(repr(func), not_compilable_reason(func)
                             or f"a {type(func).__name__}: give its __func__")
    start = time.perf_counter()
    code = original_code(func)
    pipeline = applicable(options.pipeline(DEFAULT_PIPELINE), options)
    with collector_paused():
        hfunc = build_hir(code, options)
        run_pipeline(hfunc, pipeline, options=options,
                     types_inferred=True)    # build_hir ends with type inference
        try:
            lfunc, consts = lower_function(hfunc, func, options)
        except LoweringError as exc:
            raise CompileRefused(func.__qualname__, str(exc)) from None
        try:
            emitted = generate(lfunc, lowering or options.strategy, placement=placement,
                               describe=_describer(hfunc),
                               refcounts=options.refcounts)
        except CodegenError as exc:
            raise CompileRefused(func.__qualname__, str(exc)) from None
    code_info = next((c for c in consts if isinstance(c, CodeInfo)), None)
    if code_info is not None:
        code_info.set_releases(emitted.releases)
        code_info.set_lines((offset, getattr(origin, "lineno", None),
                             getattr(origin, "offset", None))
                            for offset, origin in emitted.pieces)
    elapsed = (time.perf_counter() - start) * 1000
    return CompiledFunction(func, qualified_name(func), options.strategy or DEFAULT_STRATEGY,
                            hfunc, lfunc, emitted, consts, elapsed, pipeline, options)
