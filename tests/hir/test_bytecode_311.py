"""The 3.11 bytecode decoder against ``dis`` (the oracle): instructions,
jump targets, EXTENDED_ARG folding, the exception table, stack depths."""

from __future__ import annotations

import dis

import pytest

from pyjit.hir.bytecode_311 import analyze, decode, exception_table, stack_effect

from cases import CASES, COMPREHENSIONS
from hir_support import compile_fn, function_from_source, requires_builder, run_both

pytestmark = requires_builder

ALL_FUNCTIONS = [fn for fn, _ in CASES.values()] + [fn for fn, _ in COMPREHENSIONS.values()]


def big_function(n_consts: int = 300):
    """A function with more than 256 constants and a long forward jump, so
    LOAD_CONST and the jumps need EXTENDED_ARG."""
    lines = ["def big(flag):", "    total = 0", "    if flag:"]
    lines += [f"        total += {i}.5" for i in range(n_consts)]
    lines += ["    return total"]
    return function_from_source("\n".join(lines) + "\n", "big")


@pytest.mark.parametrize("fn", ALL_FUNCTIONS + [big_function()], ids=lambda f: f.__code__.co_name)
def test_decode_matches_dis(fn):
    ours = decode(fn.__code__)
    theirs = [i for i in dis.get_instructions(fn) if i.opname != "EXTENDED_ARG"]
    assert [i.opname for i in ours] == [i.opname for i in theirs]
    for mine, ref in zip(ours, theirs):
        if ref.arg is not None:
            assert mine.arg == ref.arg, (mine, ref)
        if mine.jump_target is not None:
            assert mine.jump_target == ref.argval, (mine, ref)
        assert mine.lineno == ref.positions.lineno


def test_extended_arg_is_folded_and_jumps_land_on_its_prefix():
    fn = big_function()
    raw = list(dis.get_instructions(fn))
    assert any(i.opname == "EXTENDED_ARG" for i in raw)
    ours = {i.offset: i for i in decode(fn.__code__)}
    prefixed = [ins for ins in raw if ins.opname != "EXTENDED_ARG"
                and raw[raw.index(ins) - 1].opname == "EXTENDED_ARG"]
    for ins in prefixed:
        start = ins.offset - 2
        assert start in ours and ours[start].opname == ins.opname and ours[start].arg == ins.arg
    assert any(i.arg > 255 for i in ours.values())
    run_both(fn, True)
    run_both(fn, False)


@pytest.mark.parametrize("fn", [f for f in ALL_FUNCTIONS if f.__code__.co_exceptiontable],
                         ids=lambda f: f.__code__.co_name)
def test_exception_table_matches_dis(fn):
    ours = exception_table(fn.__code__)
    theirs = dis._parse_exception_table(fn.__code__)  # private, used as the oracle only
    assert [(e.start, e.end, e.target, e.depth, e.lasti) for e in ours] == \
        [(e.start, e.end, e.target, e.depth, e.lasti) for e in theirs]


@pytest.mark.parametrize("fn", ALL_FUNCTIONS, ids=lambda f: f.__code__.co_name)
def test_stack_depths_are_consistent(fn):
    cfg = analyze(fn.__code__)
    assert cfg.starts[0] == 0 and cfg.depth[0] == 0
    for start in cfg.starts:
        depth = cfg.depth[start]
        for ins in cfg.block_instrs[start]:
            assert depth >= 0
            depth += stack_effect(ins, jump=False) if ins.jump_target is not None else stack_effect(ins)
    for entry in cfg.handlers:
        if entry.target in cfg.depth:
            assert cfg.depth[entry.target] == entry.depth + 1 + entry.lasti


def test_big_function_compiles():
    compile_fn(big_function())
