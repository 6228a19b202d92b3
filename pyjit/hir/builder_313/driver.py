"""The 3.13 builder: 3.12's driver with 3.13's handler table and its own
refusals (see the package docstring)."""

from __future__ import annotations

import dis
import inspect
from types import CodeType, FunctionType

from ...options import CompileOptions
from ..builder_311.driver import HandlerTable
from ..builder_312.driver import Builder312
from ..errors import CompileRefused, UnsupportedFunction
from ..ir import Function

HANDLERS = HandlerTable()

# 3.13's generator and coroutine bytecode has no handlers checked yet (3.12's
# are not reused: 3.13 moved a call's NULL and changed END_FOR).
_REFUSED_FLAGS = ((inspect.CO_GENERATOR, "generator function"),
                  (inspect.CO_COROUTINE, "coroutine function"),
                  (inspect.CO_ASYNC_GENERATOR, "async generator function"),
                  (inspect.CO_ITERABLE_COROUTINE, "iterable coroutine"))


def refuse_unsupported(code: CodeType, qualname: str) -> None:
    """Raise the refusal of what the 3.13 builder does not compile:
    generators and coroutines, and super() without arguments."""
    for flag, kind in _REFUSED_FLAGS:
        if code.co_flags & flag:
            raise UnsupportedFunction(qualname, f"{kind} {code.co_name!r}", code.co_firstlineno,
                                      "the JIT compiles generators and coroutines on CPython "
                                      "3.11 and 3.12 only so far")
    if "__class__" in code.co_freevars and _calls_super_without_arguments(code):
        raise CompileRefused(qualname, f"{code.co_name!r} (line {code.co_firstlineno}) calls "
                             "super() without arguments, which the JIT compiles on CPython 3.11 "
                             "and 3.12 only so far")


def _calls_super_without_arguments(code: CodeType) -> bool:
    """`super()` in code: LOAD_SUPER_ATTR's zero-argument form (oparg bit 1
    clear), or the global super called with no arguments."""
    ops = [(i.opname, i.arg) for i in dis.get_instructions(code)]
    names = code.co_names
    return any(op == "LOAD_SUPER_ATTR" and not arg & 2 for op, arg in ops) or any(
        a[0] == "LOAD_GLOBAL" and names[a[1] >> 1] == "super" and b == ("CALL", 0)
        for a, b in zip(ops, ops[1:]))


class Builder313(Builder312):
    """Abstract interpreter of one 3.13 code object."""

    handlers = HANDLERS

    def __init__(self, code: CodeType, qualname: str, options: CompileOptions) -> None:
        super().__init__(code, qualname, options)
        # The FORMAT_SIMPLE result CONVERT_VALUE made with its conversion
        # (handlers.py, _convert_value): that FORMAT_SIMPLE leaves it.
        self.formatted = None
        self._index = {ins.offset: k for k, ins in enumerate(self.cfg.instrs)}

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
    refuse_unsupported(code, qualname)
    return Builder313(code, qualname, options or CompileOptions()).build()
