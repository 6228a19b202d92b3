"""HIR exception ops: raising, catching, the handled-exception state
(``sys.exc_info()``), and ``with`` statements.

A handler is entered along exception edges only: its first instruction is
FetchException, which takes the pending exception.  Each docstring starts
with the printed form.
"""

from __future__ import annotations

from typing import Any

from .ir import STEALS_ALL, Instr, hir_op
from .types import CBool, Object


@hir_op
class FetchException(Instr):
    """``v:Object = FetchException``: take the exception being raised (with
    its traceback) and clear the error indicator; a new reference.  First
    instruction of a handler's landing block."""

    has_effects = True


@hir_op
class PushExcInfo(Instr):
    """``prev:Object = PushExcInfo exc``: make ``exc`` the exception being
    handled (``sys.exc_info()``) and return the previous one (None when
    there was none), a new reference."""

    has_effects = True
    operand_types = (Object,)


@hir_op
class PopExcept(Instr):
    """``PopExcept prev``: end an except block: ``prev`` becomes the handled
    exception again (stolen); the one that was handled may be freed."""

    has_result = False
    has_effects = True
    may_call = True
    steals = (0,)
    operand_types = (Object,)


@hir_op
class CheckExcMatch(Instr):
    """``c:CBool = CheckExcMatch exc type``: does ``exc`` match the
    ``except type`` clause (a class or tuple of classes)?  TypeError when
    type is not an exception class."""

    result_type = CBool
    may_raise = True
    operand_types = (Object, Object)


@hir_op
class RaiseException(Instr):
    """``RaiseException exc [cause]``: ``raise exc [from cause]``
    (instantiating exc when it is a class); always raises; steals its
    operands."""

    has_result = False
    is_terminator = True
    may_raise = True
    may_call = True
    steals = STEALS_ALL
    operand_types = (Object,)
    extra_operand_type = Object
    max_extra_operands = 1


@hir_op
class Reraise(Instr):
    """``Reraise exc``: raise the exception object ``exc`` again, keeping its
    traceback (stolen)."""

    has_result = False
    is_terminator = True
    may_raise = True
    steals = (0,)
    operand_types = (Object,)


@hir_op
class ReraiseCurrent(Instr):
    """``ReraiseCurrent``: a bare ``raise``: raise the exception being
    handled again (RuntimeError when there is none)."""

    has_result = False
    is_terminator = True
    may_raise = True


@hir_op
class BeforeWith(Instr):
    """``exit:Object = BeforeWith mgr``: look up ``type(mgr).__enter__`` and
    ``__exit__`` (TypeError when missing), call ``__enter__``; the result is
    the bound ``__exit__`` and ``GetSecondOutput exit`` is what
    ``__enter__`` returned.  New references.  ``BeforeWith<async>``:
    ``__aenter__`` and ``__aexit__`` (BEFORE_ASYNC_WITH)."""

    asynchronous: bool = False
    has_second_output = True
    may_raise = True
    may_call = True
    operand_types = (Object,)

    def attrs(self) -> list[tuple[str, Any]]:
        return [("kind", "async")] if self.asynchronous else []


@hir_op
class LoadSpecial(Instr):
    """``v:Object = LoadSpecial<__exit__> obj``: ``type(obj).name`` bound
    to obj when it is a descriptor (``_PyObject_LookupSpecial``; the
    instance's own attributes are not looked at), TypeError when the type
    has none: CPython 3.14's ``LOAD_SPECIAL`` of ``with``.  New reference."""

    name: str
    may_raise = True
    may_call = True
    operand_types = (Object,)


@hir_op
class WithExceptStart(Instr):
    """``v:Object = WithExceptStart exit exc``: ``exit(type(exc), exc,
    exc.__traceback__)`` when the with body raised.  New reference."""

    may_raise = True
    may_call = True
    operand_types = (Object, Object)


__all__ = [
    "BeforeWith", "CheckExcMatch", "FetchException", "LoadSpecial", "PopExcept",
    "PushExcInfo", "RaiseException", "Reraise", "ReraiseCurrent",
    "WithExceptStart",
]
