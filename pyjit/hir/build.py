"""Choosing the HIR builder for the running CPython.

``build_hir(fn)`` turns a Python function (or code object) into an HIR
``Function``; ``compile_hir(fn, passes)`` also runs a pipeline.  Bytecode
is version-specific: each supported version has its own ``builder_3XX``
package (3.12's shares 3.11's driver and most of its handlers, 3.13's
shares 3.12's, 3.14's 3.13's); any other
version refuses to compile.
"""

from __future__ import annotations

import importlib
import sys
from types import CodeType, FunctionType, ModuleType
from typing import Iterable

from ..options import CompileOptions
from .errors import CompileRefused
from .ir import Function

SUPPORTED_VERSIONS = {(3, 11): "pyjit.hir.builder_311", (3, 12): "pyjit.hir.builder_312",
                      (3, 13): "pyjit.hir.builder_313", (3, 14): "pyjit.hir.builder_314"}


def running_builder() -> ModuleType | None:
    """The builder package of the running CPython (its ``build_function``
    and ``HANDLERS``), None when there is none."""
    package = SUPPORTED_VERSIONS.get(sys.version_info[:2])
    return None if package is None else importlib.import_module(package)


def build_hir(fn: FunctionType | CodeType, options: CompileOptions | None = None) -> Function:
    """The HIR of ``fn``; raises ``CompileRefused`` for what the JIT does not
    compile (the function then stays in the interpreter).  options: the
    compilation's (the builder reads ``eval_breaker``); None: the defaults."""
    builder = running_builder()
    if builder is None:
        version = sys.version_info[:2]
        name = getattr(fn, "__qualname__", getattr(fn, "co_qualname", "?"))
        raise CompileRefused(name, f"no HIR builder for Python {version[0]}.{version[1]}")
    return builder.build_function(fn, options if options is not None else CompileOptions())


def compile_hir(fn: FunctionType | CodeType, passes: Iterable[str] | None = None,
                verify_each: bool = False) -> Function:
    """``build_hir`` followed by a pipeline (the default one if None)."""
    from .passes import DEFAULT_PIPELINE, run_pipeline

    func = build_hir(fn)
    return run_pipeline(func, DEFAULT_PIPELINE if passes is None else passes, verify_each=verify_each,
                        types_inferred=True)  # build_hir ends with type inference
