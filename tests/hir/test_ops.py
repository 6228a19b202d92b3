"""The op vocabulary: every op is declared completely and consistently,
has a docstring starting with its printed form, and has interpreter
semantics; the type lattice behaves."""

from __future__ import annotations

import inspect

import pytest

from pyjit.hir import OPS
from pyjit.hir.interp import CORE_OPS
from pyjit.hir.interp_ops import SEMANTICS
from pyjit.hir.ir import STEALS_ALL, STEALS_REST, Ownership, hir_op
from pyjit.hir.ops_core import LoadConst
from pyjit.hir.types import (
    Bool, Bottom, CBool, CDouble, Float, Long, Nullptr, Object, OptObject, Top, Type, parse_type,
)

ALL_OPS = sorted(OPS.items())


def test_the_vocabulary_covers_cinderx_anchors():
    for name in ("LoadAttrCached", "StoreAttrCached", "LoadMethodCached", "CallMethod",
                 "GetSecondOutput", "LoadGlobalCached", "Decref", "XDecref", "CondBranch", "Branch"):
        assert name in OPS


@pytest.mark.parametrize("name, cls", ALL_OPS)
def test_docstring_starts_with_the_printed_form(name, cls):
    doc = inspect.getdoc(cls)
    assert doc and f"{name}" in doc.split("\n")[0] and doc.startswith("``"), doc


@pytest.mark.parametrize("name, cls", ALL_OPS)
def test_every_op_has_semantics(name, cls):
    assert cls in SEMANTICS or cls in CORE_OPS


@pytest.mark.parametrize("name, cls", ALL_OPS)
def test_declarations_are_consistent(name, cls):
    assert isinstance(cls.may_raise, bool) and isinstance(cls.may_call, bool)
    assert isinstance(cls.ownership_kind, Ownership)
    assert cls.steals in (STEALS_ALL, STEALS_REST) or all(isinstance(i, int) for i in cls.steals)
    if cls.is_terminator and not cls.may_raise:
        assert cls.block_fields or name == "Return"
    if cls.ownership_kind is Ownership.BORROWED_FROM:
        assert cls.borrow_source < len(cls.operand_types)
    for field_name in cls.block_fields:
        assert field_name in cls.__dataclass_fields__


def test_registering_an_op_twice_is_rejected():
    with pytest.raises(ValueError, match="HIR op LoadConst registered twice"):
        hir_op(type("LoadConst", (LoadConst,), {}))


def test_ownership_depends_on_the_result_type():
    assert LoadConst([], value=1.0).ownership is Ownership.BORROWED
    from pyjit.hir.ops_core import PrimConst
    assert PrimConst([], ctype=CDouble, value=1.0).ownership is Ownership.NONE


def test_type_lattice():
    assert Float <= Object <= OptObject <= Top
    assert not OptObject <= Object
    assert (Float | Long) <= Object and str(Float | Long) == "{Long|Float}"
    assert (OptObject - Nullptr) == Object
    assert (Object & Float) == Float and (Float & Long) == Bottom
    assert not CBool.could_be(Object) and not CBool.is_refcounted and OptObject.is_refcounted
    assert Type.of_object(True) == Bool and Type.of_object(1) == Long
    assert str(Type.of_object(object())) == "Other"
    for t in (Object, OptObject, Float | Long, OptObject | CBool, Bottom, Top, Nullptr):
        assert parse_type(str(t)) == t


def test_op_table(golden):
    """Every op's declarations in one reviewed table (tests/golden/hir/op_table.txt)."""
    from pyjit.hir.optable import format_op_table
    golden("hir/op_table.txt", format_op_table())
