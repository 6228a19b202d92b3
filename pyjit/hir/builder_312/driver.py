"""The 3.12 builder: 3.11's driver with 3.12's handler table (see the
package docstring)."""

from __future__ import annotations

from types import CodeType, FunctionType

from ...cpython import opcodes
from ...options import CompileOptions
from ..builder_311.driver import Builder311, HandlerTable
from ..bytecode_311 import BcInstr, BytecodeCFG, ExceptionEntry, analyze
from ..ir import Function

HANDLERS = HandlerTable()


def stopiteration_wrapper(entry: ExceptionEntry, instrs: dict[int, BcInstr]) -> bool:
    """entry is the handler 3.12 wraps a generator's whole body in:

        CALL_INTRINSIC_1 STOPITERATION_ERROR    (a StopIteration becomes a RuntimeError)
        RERAISE 1

    at depth 0 with lasti.  The generator driver (cpython/genbody.py) does
    the same with the body's exception, so the builder leaves it out: the
    body's raises leave it as a plain function's do."""
    first = instrs.get(entry.target)
    if first is None or first.opname != "CALL_INTRINSIC_1" or entry.depth or not entry.lasti:
        return False
    if first.arg >= len(opcodes.INTRINSICS_1) or \
            opcodes.INTRINSICS_1[first.arg] != "STOPITERATION_ERROR":
        return False
    second = instrs.get(first.next_offset)
    return second is not None and second.opname == "RERAISE" and second.arg == 1


class Builder312(Builder311):
    """Abstract interpreter of one 3.12 code object."""

    handlers = HANDLERS

    def analyze(self, code: CodeType) -> BytecodeCFG:
        if self.generator:
            return analyze(code, stopiteration_wrapper)
        return analyze(code)


def build_function(fn: FunctionType | CodeType, options: CompileOptions | None = None) -> Function:
    """Build the HIR of a function (or code object) compiled by CPython 3.12
    (options: the compilation's; None: the defaults)."""
    code = fn.__code__ if isinstance(fn, FunctionType) else fn
    qualname = fn.__qualname__ if isinstance(fn, FunctionType) else code.co_qualname
    return Builder312(code, qualname, options or CompileOptions()).build()
