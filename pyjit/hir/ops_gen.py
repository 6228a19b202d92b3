"""HIR ops of generators and coroutines.

A compiled generator (or coroutine) body is a function of three arguments,
``saved`` (a tuple), ``sent`` and ``thrown`` (None unless an exception is
thrown in), run once per resumption (see ``pyjit/cpython/genbody.py`` for
who calls it and ``docs/architecture.md``, "Generators and coroutines").
``saved`` is the state the previous suspension left: item 0 the resume
point (a small int), item 1 the value it yielded, then the values the frame
held there (locals and stack, NULL for an unbound local).  The body starts
by dispatching on the resume point; a suspension builds the next state
tuple (SuspendTuple, StoreSuspended) and returns it; the final return
returns a 1-tuple of the return value.  Point 0 is the start: its state
holds the parameter slots.
"""

from __future__ import annotations

from typing import Any

from .ir import STEALS_REST, Instr, Ownership, hir_op
from .types import CBool, Object, OptObject, Tuple, Type


@hir_op
class ResumeValue(Instr):
    """``v:T = ResumeValue<index, type> saved``: item ``index`` of the
    state tuple a suspension saved (``saved[index]``), taken from it (a new
    reference: the item is NULL after it, as only the generator's frame
    holds what its slots hold, so that rebinding a local releases the old
    value there, as in the interpreter); NULL for a local that was unbound
    there.  ``type``: what the suspensions stored there (the builder
    refines it after SSA construction)."""

    index: int
    type: Type = OptObject
    ownership_kind = Ownership.NEW
    operand_types = (Tuple,)

    def infer_type(self) -> Type:
        return self.type


@hir_op
class SuspendTuple(Instr):
    """``v:Tuple = SuspendTuple<size>``: a new tuple of ``size`` NULL items
    (``PyTuple_New``), filled by the StoreSuspended that follows; it is only
    ever read by compiled code and the generator's driver."""

    size: int
    result_type = Tuple
    may_raise = True


@hir_op
class StoreSuspended(Instr):
    """``StoreSuspended<point> state point yielded value...``: fill a
    SuspendTuple: item 0 the resume point (a small int constant), item 1
    the value yielded, then the values the frame holds (NULL allowed).
    Steals every operand but the tuple."""

    point: int
    has_result = False
    has_effects = True
    steals = STEALS_REST
    operand_types = (Tuple, Object, Object)
    extra_operand_type = OptObject


@hir_op
class GenThrow(Instr):
    """``GenThrow exc``: raise ``exc``, thrown into the generator at its
    suspension point (``gen.throw``/``close``): it keeps its traceback and
    is chained only to the generator's own handled exception."""

    has_result = False
    may_raise = True
    is_terminator = True
    operand_types = (Object,)


@hir_op
class IterSend(Instr):
    """``done:CBool = IterSend iter value``: one step of ``yield from`` /
    ``await`` (SEND, ``PyIter_Send``): ``GetSecondOutput done`` is the value
    ``iter`` yielded (done false) or returned (done true).  Raises what the
    iterator raises."""

    result_type = CBool
    has_second_output = True
    may_raise = True
    may_call = True
    operand_types = (Object, Object)


@hir_op
class IterThrow(Instr):
    """``done:CBool = IterThrow iter exc``: ``exc`` thrown into the
    generator while it delegates to ``iter`` (``yield from``/``await``), as
    ``gen.throw`` does: GeneratorExit closes ``iter`` then raises here;
    another exception goes to ``iter.throw`` when it has one (else raises
    here).  ``GetSecondOutput done`` is what ``iter`` yielded (done false)
    or returned (done true)."""

    result_type = CBool
    has_second_output = True
    may_raise = True
    may_call = True
    operand_types = (Object, Object)


@hir_op
class GetAwaitable(Instr):
    """``v:Object = GetAwaitable<where> obj``: the iterator ``await obj``
    drives (GET_AWAITABLE; ``where``: 0 await, 1 ``__aenter__``, 2
    ``__aexit__``, for the error message).  New reference."""

    where: int = 0
    may_raise = True
    may_call = True
    operand_types = (Object,)


@hir_op
class GetYieldFromIter(Instr):
    """``v:Object = GetYieldFromIter obj``: the iterator
    ``yield from obj`` drives (GET_YIELD_FROM_ITER): generators and (in a
    coroutine, ``GetYieldFromIter<coroutine>``) coroutines themselves, else
    ``iter(obj)``.  New reference."""

    coroutine: bool = False
    may_raise = True
    may_call = True
    operand_types = (Object,)

    def attrs(self) -> list[tuple[str, Any]]:
        return [("in", "coroutine")] if self.coroutine else []


@hir_op
class GetAIter(Instr):
    """``v:Object = GetAIter obj``: ``obj.__aiter__()`` (GET_AITER), which
    must have ``__anext__``.  New reference."""

    may_raise = True
    may_call = True
    operand_types = (Object,)


@hir_op
class GetANext(Instr):
    """``v:Object = GetANext aiter``: the awaitable of ``aiter.__anext__()``
    (GET_ANEXT).  New reference."""

    may_raise = True
    may_call = True
    operand_types = (Object,)


@hir_op
class AsyncGenWrap(Instr):
    """``v:Object = AsyncGenWrap value``: value marked as an async
    generator's own yield (ASYNC_GEN_WRAP; cpython/generators.py's
    AsyncGenValue, which the body's driver unwraps).  New reference."""

    may_raise = True
    operand_types = (Object,)


__all__ = ["AsyncGenWrap", "GetAIter", "GetANext", "GenThrow", "GetAwaitable", "GetYieldFromIter", "IterSend", "IterThrow",
           "ResumeValue", "StoreSuspended", "SuspendTuple"]
