"""HIR to LIR: `lower_function`, the stage's entry point.

    lir_func, consts = lower_function(hir_func, py_function, options)

The driver and its building blocks are lowering.py's; the lowering of each
op is registered by lower_ops.py (inline ops and one-helper ops),
lower_caches.py (inline caches and fast paths), lower_calls.py (calls) and
lower_gen.py (generators and coroutines),
all imported here so that the table is complete (a test asserts every HIR
op has a lowering).
"""

from __future__ import annotations

from types import FunctionType

from ..hir import ir as hir
from ..options import CompileOptions
from . import ir
from . import lower_caches, lower_calls, lower_gen, lower_ops  # noqa: F401  (they register the lowerings)
from .lowering import LOWERINGS, FunctionLowering, LoweringError

__all__ = ["lower_function", "LoweringError", "LOWERINGS"]


def lower_function(hfunc: hir.Function, pyfunc: FunctionType,
                   options: CompileOptions | None = None) -> tuple[ir.LirFunction, list]:
    """The LIR of hfunc (after refcount insertion) and the objects its code
    refers to (to be kept alive with the compiled code); options: the
    compilation's (None: the defaults)."""
    if not hfunc.refcounted:
        raise LoweringError(f"{hfunc.qualname}: HIR must go through refcount-insertion first")
    lowering = FunctionLowering(hfunc, pyfunc, options)
    return lowering.run(), lowering.consts
