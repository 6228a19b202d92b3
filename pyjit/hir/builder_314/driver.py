"""The 3.14 builder: 3.13's driver with 3.14's handler table and its own
refusals (see the package docstring)."""

from __future__ import annotations

import inspect
from types import CodeType, FunctionType

from ...options import CompileOptions
from ..builder_311.driver import HandlerTable
from ..builder_313.driver import Builder313, _calls_super_without_arguments
from ..errors import CompileRefused, UnsupportedFunction
from ..ir import Function

HANDLERS = HandlerTable()

# 3.14's generator and coroutine bytecode has no handlers checked yet.
_REFUSED_FLAGS = ((inspect.CO_GENERATOR, "generator function"),
                  (inspect.CO_COROUTINE, "coroutine function"),
                  (inspect.CO_ASYNC_GENERATOR, "async generator function"),
                  (inspect.CO_ITERABLE_COROUTINE, "iterable coroutine"))


def refuse_unsupported(code: CodeType, qualname: str) -> None:
    """Raise the refusal of what the 3.14 builder does not compile:
    generators and coroutines, and super() without arguments."""
    for flag, kind in _REFUSED_FLAGS:
        if code.co_flags & flag:
            raise UnsupportedFunction(qualname, f"{kind} {code.co_name!r}", code.co_firstlineno,
                                      "the JIT does not compile generators and coroutines on "
                                      "CPython 3.14 yet")
    if "__class__" in code.co_freevars and _calls_super_without_arguments(code):
        raise CompileRefused(qualname, f"{code.co_name!r} (line {code.co_firstlineno}) calls "
                             "super() without arguments, which the JIT does not compile on "
                             "CPython 3.14 yet")


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
    refuse_unsupported(code, qualname)
    return Builder314(code, qualname, options or CompileOptions()).build()
