"""HIR container ops: building tuples, lists, dicts, sets, slices and
strings; subscripts; unpacking; iteration.

Each docstring starts with the printed form.
"""

from __future__ import annotations

from typing import Any

from .ir import STEALS_ALL, Instr, Ownership, hir_op
from .types import CInt64, Dict, List, Object, OptObject, Set, Slice, Str, Tuple


@hir_op
class MakeTuple(Instr):
    """``v:Tuple = MakeTuple item...``: a new tuple of the items, which it
    steals (``_PyTuple_FromArraySteal``); raises MemoryError."""

    result_type = Tuple
    may_raise = True
    steals = STEALS_ALL
    extra_operand_type = Object


@hir_op
class MakeList(Instr):
    """``v:List = MakeList item...``: a new list of the items, which it
    steals (``_PyList_FromArraySteal``); raises MemoryError."""

    result_type = List
    may_raise = True
    steals = STEALS_ALL
    extra_operand_type = Object


@hir_op
class BuildMap(Instr):
    """``v:Dict = BuildMap k1 v1 k2 v2 ...``: a new dict (keys hashed in
    order; later keys win)."""

    result_type = Dict
    may_raise = True
    may_call = True
    extra_operand_type = Object


@hir_op
class BuildConstKeyMap(Instr):
    """``v:Dict = BuildConstKeyMap keys v1 v2 ...``: a new dict from the
    tuple ``keys`` and the values."""

    result_type = Dict
    may_raise = True
    may_call = True
    operand_types = (Tuple,)
    extra_operand_type = Object


@hir_op
class BuildSet(Instr):
    """``v:Set = BuildSet item...``: a new set."""

    result_type = Set
    may_raise = True
    may_call = True
    extra_operand_type = Object


@hir_op
class BuildSlice(Instr):
    """``v:Slice = BuildSlice start stop [step]``: ``slice(start, stop, step)``."""

    result_type = Slice
    may_raise = True
    operand_types = (Object, Object)
    extra_operand_type = Object
    max_extra_operands = 1


@hir_op
class FormatValue(Instr):
    """``v:Str = FormatValue<repr> value [spec]``: the f-string field
    ``format(conv(value), spec)`` where conv is str, repr, ascii or nothing."""

    conversion: str = ""
    result_type = Str
    may_raise = True
    may_call = True
    operand_types = (Object,)
    extra_operand_type = Object
    max_extra_operands = 1

    def attrs(self) -> list[tuple[str, Any]]:
        return [("conversion", self.conversion)] if self.conversion else []


@hir_op
class BuildString(Instr):
    """``v:Str = BuildString part...``: the concatenation of the str parts."""

    result_type = Str
    may_raise = True
    extra_operand_type = Object


class _AddTo(Instr):
    has_result = False
    may_raise = True
    has_effects = True


@hir_op
class ListAppend(_AddTo):
    """``ListAppend list item``: ``list.append(item)``; item not stolen."""

    operand_types = (List, Object)


@hir_op
class ListExtend(_AddTo):
    """``ListExtend list iterable``: ``list.extend(iterable)`` (TypeError
    naming the value when it is not iterable)."""

    may_call = True
    operand_types = (List, Object)


@hir_op
class SetAdd(_AddTo):
    """``SetAdd set item``: ``set.add(item)``."""

    may_call = True
    operand_types = (Set, Object)


@hir_op
class SetUpdate(_AddTo):
    """``SetUpdate set iterable``: ``set.update(iterable)``."""

    may_call = True
    operand_types = (Set, Object)


@hir_op
class MapAdd(_AddTo):
    """``MapAdd dict key value``: ``dict[key] = value``."""

    may_call = True
    operand_types = (Dict, Object, Object)


@hir_op
class DictUpdate(_AddTo):
    """``DictUpdate dict other``: ``dict.update(other)`` for ``{**other}``
    (TypeError when other is not a mapping)."""

    may_call = True
    operand_types = (Dict, Object)


@hir_op
class DictMerge(_AddTo):
    """``DictMerge dict other func``: merge the ``**other`` of a call to
    ``func`` into dict; a repeated key raises TypeError naming func."""

    may_call = True
    operand_types = (Dict, Object, Object)


@hir_op
class ListToTuple(Instr):
    """``v:Tuple = ListToTuple list``: ``tuple(list)``."""

    result_type = Tuple
    may_raise = True
    operand_types = (List,)


@hir_op
class BinarySubscr(Instr):
    """``v:Object = BinarySubscr container key``: ``container[key]``."""

    may_raise = True
    may_call = True
    operand_types = (Object, Object)


@hir_op
class StoreSubscr(Instr):
    """``StoreSubscr container key value``: ``container[key] = value``."""

    has_result = False
    may_raise = True
    may_call = True
    has_effects = True
    operand_types = (Object, Object, Object)


@hir_op
class DeleteSubscr(Instr):
    """``DeleteSubscr container key``: ``del container[key]``."""

    has_result = False
    may_raise = True
    may_call = True
    has_effects = True
    operand_types = (Object, Object)


@hir_op
class UnpackSequence(Instr):
    """``v:CInt64 = UnpackSequence<count> seq``

    Iterate ``seq`` for exactly ``count`` items (ValueError for too few or
    too many, TypeError when not iterable) and put a new reference to each
    in a frame area, as UNPACK_SEQUENCE pushes them; the result is the
    area's address, which LoadUnpackedItem reads.  Exact tuples and lists
    of the right size take a fast path in the code generator."""

    count: int
    result_type = CInt64
    may_raise = True
    may_call = True
    operand_types = (Object,)


@hir_op
class LoadUnpackedItem(Instr):
    """``v:Object = LoadUnpackedItem<index> items``: item ``index`` of an
    UnpackSequence, a new reference (the area holds it until this takes
    it, so it is never removed as dead: its reference must be released)."""

    index: int
    has_effects = True
    operand_types = (CInt64,)


@hir_op
class UnpackEx(Instr):
    """``v:Tuple = UnpackEx<before, after> seq``

    Star unpacking ``a, *b, c = seq``: a new tuple of the ``before`` first
    items, a list of the middle ones, then the ``after`` last items."""

    before: int
    after: int
    result_type = Tuple
    may_raise = True
    may_call = True
    operand_types = (Object,)


@hir_op
class LoadTupleItem(Instr):
    """``v:Object = LoadTupleItem<index> tuple``: ``PyTuple_GET_ITEM``;
    borrowed from the tuple (valid while the tuple is alive)."""

    index: int
    ownership_kind = Ownership.BORROWED_FROM
    borrow_source = 0
    operand_types = (Tuple,)


@hir_op
class GetIter(Instr):
    """``v:Object = GetIter iterable``: ``iter(iterable)``."""

    may_raise = True
    may_call = True
    operand_types = (Object,)


@hir_op
class ForIter(Instr):
    """``v:OptObject = ForIter it``: ``next(it)``, or NULL once the iterator
    is exhausted (StopIteration is swallowed); other errors raise.  New
    reference or NULL."""

    result_type = OptObject
    may_raise = True
    may_call = True
    operand_types = (Object,)


@hir_op
class RangeIter(Instr):
    """``v:Object = RangeIter arg...``: ``iter(range(arg...))`` for the
    builtin ``range`` (1 to 3 arguments; calls ``__index__``), without the
    intermediate range object or a generic call.  New reference."""

    may_raise = True
    may_call = True
    operand_types = (Object,)
    extra_operand_type = Object
    max_extra_operands = 2


__all__ = [
    "BinarySubscr", "BuildConstKeyMap", "BuildMap", "BuildSet", "BuildSlice",
    "BuildString", "DeleteSubscr", "DictMerge", "DictUpdate", "FormatValue",
    "ForIter", "GetIter", "ListAppend", "ListExtend", "ListToTuple",
    "LoadTupleItem", "LoadUnpackedItem", "MakeList", "MakeTuple", "MapAdd", "RangeIter",
    "SetAdd", "SetUpdate", "StoreSubscr", "UnpackEx", "UnpackSequence",
]
