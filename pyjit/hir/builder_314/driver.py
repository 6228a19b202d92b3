"""The 3.14 builder: 3.13's driver with 3.14's handler table (see the
package docstring)."""

from __future__ import annotations

from types import CodeType, FunctionType

from ...options import CompileOptions
from ..builder_311.driver import HandlerTable
from ..builder_313.driver import Builder313
from ..ir import Function

HANDLERS = HandlerTable()


class Builder314(Builder313):
    """Abstract interpreter of one 3.14 code object."""

    handlers = HANDLERS

    def keep_locals_alive(self) -> None:
        """As 3.13's, in the order 3.14 clears a frame's slots: the last
        first (_PyFrame_ClearLocals), which is when their finalizers run."""
        self.keep_alive(self.state.locals[::-1])


def build_function(fn: FunctionType | CodeType, options: CompileOptions | None = None) -> Function:
    """Build the HIR of a function (or code object) compiled by CPython 3.14
    (options: the compilation's; None: the defaults)."""
    code = fn.__code__ if isinstance(fn, FunctionType) else fn
    qualname = fn.__qualname__ if isinstance(fn, FunctionType) else code.co_qualname
    return Builder314(code, qualname, options or CompileOptions()).build()
