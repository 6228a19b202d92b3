"""The 3.13 builder: 3.12's driver with 3.13's handler table (see the
package docstring)."""

from __future__ import annotations

from types import CodeType, FunctionType

from ...cpython import opcodes
from ...options import CompileOptions
from ..builder_311.driver import HandlerTable
from ..builder_312.driver import Builder312
from ..bytecode_311 import BcInstr
from ..ir import Function

HANDLERS = HandlerTable()


class Builder313(Builder312):
    """Abstract interpreter of one 3.13 code object."""

    handlers = HANDLERS

    def __init__(self, code: CodeType, qualname: str, options: CompileOptions) -> None:
        super().__init__(code, qualname, options)
        # The FORMAT_SIMPLE result CONVERT_VALUE made with its conversion
        # (handlers.py, _convert_value): that FORMAT_SIMPLE leaves it.
        self.formatted = None
        self._index = {ins.offset: k for k, ins in enumerate(self.cfg.instrs)}

    def resume_location(self, ins: BcInstr) -> int:
        """The location is in the oparg's low bits; the bit above them says
        whether the exception stack is one deep there."""
        return ins.arg & opcodes.RESUME_LOCATION_MASK

    def following(self, name: str) -> list:
        """The run of instructions named name right after the current one."""
        run = []
        for ins in self.cfg.instrs[self._index[self.ins.offset] + 1:]:
            if ins.opname != name:
                break
            run.append(ins)
        return run


def build_function(fn: FunctionType | CodeType, options: CompileOptions | None = None) -> Function:
    """Build the HIR of a function (or code object) compiled by CPython 3.13
    (options: the compilation's; None: the defaults)."""
    code = fn.__code__ if isinstance(fn, FunctionType) else fn
    qualname = fn.__qualname__ if isinstance(fn, FunctionType) else code.co_qualname
    return Builder313(code, qualname, options or CompileOptions()).build()
