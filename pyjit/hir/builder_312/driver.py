"""The 3.12 builder: 3.11's driver with 3.12's handler table and refusals
(see the package docstring)."""

from __future__ import annotations

import dis
import inspect
from types import CodeType, FunctionType

from ...options import CompileOptions
from ..builder_311.driver import Builder311, HandlerTable
from ..errors import CompileRefused, UnsupportedFunction
from ..ir import Function

HANDLERS = HandlerTable()

# 3.12's and 3.13's generator and coroutine bytecode (RETURN_GENERATOR,
# their SEND, END_SEND, CLEANUP_THROW) has no handlers yet.
_REFUSED_FLAGS = ((inspect.CO_GENERATOR, "generator function"),
                  (inspect.CO_COROUTINE, "coroutine function"),
                  (inspect.CO_ASYNC_GENERATOR, "async generator function"),
                  (inspect.CO_ITERABLE_COROUTINE, "iterable coroutine"))


class Builder312(Builder311):
    """Abstract interpreter of one 3.12 code object."""

    handlers = HANDLERS


def _calls_super_without_arguments(code: CodeType) -> bool:
    """`super()` in code: LOAD_SUPER_ATTR's zero-argument form (oparg bit 1
    clear), or the global super called with no arguments."""
    ops = [(i.opname, i.arg) for i in dis.get_instructions(code)]
    names = code.co_names
    return any(op == "LOAD_SUPER_ATTR" and not arg & 2 for op, arg in ops) or any(
        a[0] == "LOAD_GLOBAL" and names[a[1] >> 1] == "super" and b == ("CALL", 0)
        for a, b in zip(ops, ops[1:]))


def refuse_unsupported(code: CodeType, qualname: str) -> None:
    """Raise the refusal of what the 3.12 builder (and 3.13's) does not
    compile: generators and coroutines, and super() without arguments."""
    for flag, kind in _REFUSED_FLAGS:
        if code.co_flags & flag:
            raise UnsupportedFunction(qualname, f"{kind} {code.co_name!r}", code.co_firstlineno,
                                      "the JIT compiles generators and coroutines on CPython "
                                      "3.11 only so far")
    if "__class__" in code.co_freevars and _calls_super_without_arguments(code):
        # super() without arguments reads the caller's frame (its __class__
        # cell and first argument); compiled code has no interpreter frame.
        raise CompileRefused(qualname, f"{code.co_name!r} (line {code.co_firstlineno}) calls "
                             "super() without arguments, which reads the interpreter's frame "
                             "(compiled code has none)")


def build_function(fn: FunctionType | CodeType, options: CompileOptions | None = None) -> Function:
    """Build the HIR of a function (or code object) compiled by CPython 3.12
    (options: the compilation's; None: the defaults)."""
    code = fn.__code__ if isinstance(fn, FunctionType) else fn
    qualname = fn.__qualname__ if isinstance(fn, FunctionType) else code.co_qualname
    refuse_unsupported(code, qualname)
    return Builder312(code, qualname, options or CompileOptions()).build()
