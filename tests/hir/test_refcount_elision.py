"""The reference-count elision passes (refcount-frame-values,
refcount-held-operands, refcount-immortal, refcount-consume): each one's HIR with the pass
and without it (golden text), and each one switched off in turn over the
differential cases, with the interpreter's ownership ledger on."""

from __future__ import annotations

import math
import sys

import pytest

from pyjit.hir import format_function, opcode_counts
from pyjit.hir.passes import DEFAULT_PIPELINE, applicable
from pyjit.options import CompileOptions

from cases import CASES
from hir_support import compile_fn, requires_builder, run_both

pytestmark = requires_builder

ELISION = ("refcount-frame-values", "refcount-held-operands", "refcount-immortal",
           "refcount-consume")


def without(name: str) -> tuple[str, ...]:
    return tuple(p for p in DEFAULT_PIPELINE if p != name)


def call_with_arguments(f, x):
    return f(x, 1000)


def module_attribute(x):
    return math.sqrt(x) + math.pi


def none_or_constant(flag):
    if flag:
        return None
    return 1000


def temporaries(a, b, c):
    d = a - b
    return d * d + (b - c) * c


GOLDEN = {"refcount-frame-values": call_with_arguments,
          "refcount-held-operands": module_attribute,
          "refcount-immortal": none_or_constant,
          "refcount-consume": temporaries}


@pytest.mark.parametrize("name", ELISION)
def test_pass_on_and_off(name, golden):
    """The HIR with every pass, then without this one (golden text)."""
    fn = GOLDEN[name]
    on = format_function(compile_fn(fn))
    off = format_function(compile_fn(fn, without(name)))
    golden(f"hir/elision_{name}.txt", f"# default pipeline\n{on}\n# without {name}\n{off}")


def test_frame_values_borrow_arguments_and_constants():
    on = opcode_counts(compile_fn(call_with_arguments))
    off = opcode_counts(compile_fn(call_with_arguments, without("refcount-frame-values")))
    assert on.get("Incref", 0) == 0
    assert off["Incref"] == 3 and off["Decref"] == 3    # f, x and 1000 around the call


def test_held_operands_borrow_the_global_of_a_cached_load():
    on = opcode_counts(compile_fn(module_attribute))
    off = opcode_counts(compile_fn(module_attribute, without("refcount-held-operands")))
    assert on.get("Incref", 0) == 0
    assert off["Incref"] == 2                   # math, twice


def test_consume_hands_over_temporaries_not_locals():
    on = compile_fn(temporaries)
    off = compile_fn(temporaries, without("refcount-consume"))
    consumed = [[v.id for v in (i.operands[k] for k in i.consumed)]
                for i in on.instructions() if i.opname == "BinaryOp"]
    # d - ... is a local's (kept until the return), d * d consumes nothing;
    # b - c and its product with c go to the multiply and the add.
    assert [len(c) for c in consumed] == [0, 0, 0, 1, 2]
    assert opcode_counts(off)["Decref"] - opcode_counts(on).get("Decref", 0) == 3


def store_into_global(value):
    STATE.count = GLOBAL_LIST


class _State:
    count = 0


STATE = _State()


def increfed_globals(func) -> list[str]:
    return sorted(i.operands[0].defn.name for i in func.instructions()
                  if i.opname == "Incref" and i.operands[0].defn.opname == "LoadGlobalCached")


def test_held_operands_borrow_the_globals_of_a_cached_store():
    assert increfed_globals(compile_fn(store_into_global)) == []
    off = compile_fn(store_into_global, without("refcount-held-operands"))
    assert increfed_globals(off) == ["GLOBAL_LIST", "STATE"]
    run_both(store_into_global, 1)


def test_held_operands_do_not_apply_with_caches_off():
    assert "refcount-held-operands" not in applicable(DEFAULT_PIPELINE,
                                                      CompileOptions(caches="off"))
    assert "refcount-held-operands" in applicable(DEFAULT_PIPELINE, CompileOptions())


def test_a_global_passed_to_a_call_stays_owned():
    """The callee may rebind the global and drop the dict's reference."""
    assert increfed_globals(compile_fn(call_global)) == ["GLOBAL_LIST", "len"]


def call_global(x):
    return len(GLOBAL_LIST) + x


GLOBAL_LIST = [1, 2]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="3.11 has no immortal objects")
def test_immortal_constants_are_not_counted():
    on = opcode_counts(compile_fn(none_or_constant))
    off = opcode_counts(compile_fn(none_or_constant, without("refcount-immortal")))
    assert on.get("Incref", 0) == 1             # 1000 only
    assert off["Incref"] == 2


@pytest.mark.parametrize("name", ELISION)
def test_cases_with_the_pass_off(name):
    """Every differential case with this pass switched off: same outcome,
    clean ledger."""
    passes = without(name)
    for case, (fn, arglist) in CASES.items():
        func = compile_fn(fn, passes)
        for args in arglist:
            run_both(fn, *args, func=func)


def test_cases_with_every_elision_off():
    passes = tuple(p for p in DEFAULT_PIPELINE if p not in ELISION)
    for case, (fn, arglist) in CASES.items():
        func = compile_fn(fn, passes)
        for args in arglist:
            run_both(fn, *args, func=func)
