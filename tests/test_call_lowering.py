"""Call lowering strategies: exact size formulas, golden listings, execution.

Two size oracles.  `expected_sizes` is written by hand from each built-in
strategy's definition (DESIGN.md's table), independently of the
implementation.  `derived_sizes` covers every registered strategy, a new
one included, from what it declares: its `choose(site)` and the building
blocks' cost table (`COSTS`), computing literal sharing, trampolines per
target and the padding before the pool here.  For N sites cycling over K
targets, every section's size must equal both exactly.  The golden listing
and the execution under Unicorn also cover every registered strategy (a
new strategy's golden file is written by `pytest --update-golden`).
"""

from __future__ import annotations

from typing import Sequence

import pytest

from pyjit.aarch64.calls import (COSTS, BuildingBlock, CallLowering, CallSite, CodePlacement,
                                 get_strategy, register, strategy_names)
from pyjit.aarch64.calls.base import _REGISTRY
from pyjit.aarch64.listing import listing
from pyjit.measure.call_sequences import FRAME_BYTES, CallSequence, compile_call_sequence

from unicorn_harness import run_code

BUILTIN = ["direct", "literal", "stub", "lazy-stub", "hot-literal", "near"]
SECTIONS = ("code", "literals", "stubs", "veneers", "padding", "total")
SEQUENCES = [
    (1, 1, 0), (2, 1, 0), (3, 2, 0), (5, 5, 0), (7, 3, 0), (200, 1, 0),
    (64, 2, 0), (9, 4, 3), (12, 2, 2), (6, 6, 2),
]
# Code at 1 GiB, targets 16 MiB after it: in `bl` reach.
NEAR_PLACEMENT = CodePlacement(0x4000_0000, 0x4000_1000)


def near_address(k: int) -> int:
    return 0x4100_0000 + 0x100 * k


def expected_sizes(strategy: str, seq: CallSequence, near_in_reach: bool = False) -> dict[str, int]:
    counts = [0] * seq.n_targets
    cold_targets = set()
    hot_sites = cold_sites = 0
    for site in seq.sites():
        k = int(site.target.symbol.removeprefix("target"))
        counts[k] += 1
        if site.hot:
            hot_sites += 1
        else:
            cold_sites += 1
            cold_targets.add(k)
    used = sum(1 for c in counts if c)
    multi = sum(1 for c in counts if c >= 2)
    single = sum(1 for c in counts if c == 1)
    n = seq.n_sites
    code, stubs, veneers, literals = FRAME_BYTES, 0, 0, 0
    if strategy == "direct":
        code += 20 * n
    elif strategy == "literal":
        code += 8 * n
        literals = 8 * used
    elif strategy == "stub":
        code += 4 * n
        stubs = literals = 8 * used
    elif strategy == "lazy-stub":
        code += 4 * (n - single) + 8 * single
        stubs, literals = 8 * multi, 8 * used
    elif strategy == "hot-literal":
        code += 8 * hot_sites + 4 * cold_sites
        stubs, literals = 8 * len(cold_targets), 8 * used
    elif strategy == "near":
        code += 4 * n
        if not near_in_reach:
            veneers = literals = 8 * used
    else:
        raise AssertionError(strategy)
    padding = (-(code + stubs + veneers)) % 8 if literals else 0
    total = code + stubs + veneers + literals + padding
    return dict(code=code, literals=literals, stubs=stubs, veneers=veneers,
                padding=padding, total=total)


def derived_sizes(lowering: CallLowering, sites: Sequence[CallSite]) -> dict[str, int]:
    """The sizes the call-sequence experiment must have, from COSTS and
    lowering.choose (after lowering.plan(sites)): the frame and every
    site's bytes in `code`; each block's trampoline once per distinct
    target choosing it, in its section; one literal per distinct target
    any of whose blocks has one; padding to 8 before a non-empty pool."""
    lowering.plan(sites)
    sizes = dict.fromkeys(SECTIONS, 0)
    sizes["code"] = FRAME_BYTES
    trampolines: set[tuple[BuildingBlock, object]] = set()
    literal: dict[object, int] = {}
    for site in sites:
        block = lowering.choose(site)
        cost = COSTS[block]
        sizes["code"] += cost.site
        if cost.trampoline:
            trampolines.add((block, site.target))
        if cost.literal:
            literal[site.target] = max(literal.get(site.target, 0), cost.literal)
    for block, _ in trampolines:
        sizes[COSTS[block].trampoline_section] += COSTS[block].trampoline
    sizes["literals"] = sum(literal.values())
    before_pool = sum(sizes[s] for s in SECTIONS if s not in ("literals", "padding", "total"))
    sizes["padding"] = (-before_pool) % 8 if sizes["literals"] else 0
    sizes["total"] = before_pool + sizes["literals"] + sizes["padding"]
    return sizes


def test_registry_has_the_builtins():
    assert set(BUILTIN) <= set(strategy_names())
    for name in BUILTIN:
        assert get_strategy(name).name == name


def test_builtins_are_listed_in_their_order():
    assert [n for n in strategy_names() if n in BUILTIN] == BUILTIN
    orders = [get_strategy(n).order for n in strategy_names()]
    assert orders == sorted(orders)


def test_every_building_block_has_a_cost_row_and_an_emitter():
    assert set(COSTS) == set(BuildingBlock)
    for block, cost in COSTS.items():
        assert callable(getattr(CallLowering, f"call_{block.value}"))
        assert (cost.trampoline > 0) == (cost.trampoline_section is not None)


def test_unknown_strategy_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="unknown call lowering strategy 'nope'.*lazy-stub"):
        get_strategy("nope")


def test_duplicate_registration_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        @register
        class Again(CallLowering):
            name = "stub"
    assert _REGISTRY["stub"].__name__ == "Stub"


def test_a_strategy_without_choose_is_refused():
    with pytest.raises(ValueError, match="does not implement choose"):
        @register
        class Undecided(CallLowering):
            name = "undecided"
    assert "undecided" not in strategy_names()


def test_a_strategy_overriding_emit_call_is_refused():
    with pytest.raises(ValueError, match="overrides emit_call"):
        @register
        class Handmade(CallLowering):
            name = "handmade"

            def choose(self, site):
                return BuildingBlock.LITERAL

            def emit_call(self, buf, site, tail=False):
                self.call_literal(buf, site, tail)
    assert "handmade" not in strategy_names()


def test_near_block_refuses_a_target_out_of_reach():
    from pyjit.aarch64.buffer import CodeBuffer
    from pyjit.aarch64.calls import CallTarget
    lowering = get_strategy("direct", NEAR_PLACEMENT)
    far = CallSite(CallTarget("far", address=NEAR_PLACEMENT.start + (200 << 20)))
    with pytest.raises(ValueError, match="does not surely reach"):
        lowering.call_near(CodeBuffer(), far)


@pytest.mark.parametrize("strategy", BUILTIN)
@pytest.mark.parametrize("n,k,cold_every", SEQUENCES)
def test_sizes_equal_the_formula(strategy, n, k, cold_every):
    seq = CallSequence(n, k, cold_every)
    code = compile_call_sequence(strategy, seq)
    sizes = {s: code.sizes.get(s, 0) for s in ("code", "literals", "stubs", "veneers", "padding", "total")}
    assert sizes == expected_sizes(strategy, seq)
    assert sizes["total"] == len(code.data)


@pytest.mark.parametrize("in_reach", [False, True], ids=["far", "in-reach"])
@pytest.mark.parametrize("strategy", strategy_names())
@pytest.mark.parametrize("n,k,cold_every", SEQUENCES)
def test_sizes_equal_the_declared_costs(strategy, n, k, cold_every, in_reach):
    seq = CallSequence(n, k, cold_every)
    placement, address_of = (NEAR_PLACEMENT, near_address) if in_reach else (None, None)
    code = compile_call_sequence(strategy, seq, placement=placement, address_of=address_of)
    sizes = {s: code.sizes.get(s, 0) for s in SECTIONS}
    assert sizes == derived_sizes(get_strategy(strategy, placement), seq.sites(address_of))
    assert sizes["total"] == len(code.data)


@pytest.mark.parametrize("strategy", BUILTIN)
def test_declared_costs_agree_with_the_hand_written_formulas(strategy):
    # The two oracles on the same sequences: a built-in's choose and the
    # cost table describe the strategy DESIGN.md defines.
    for n, k, cold_every in SEQUENCES:
        seq = CallSequence(n, k, cold_every)
        assert derived_sizes(get_strategy(strategy), seq.sites()) == expected_sizes(strategy, seq)
        assert derived_sizes(get_strategy(strategy, NEAR_PLACEMENT), seq.sites(near_address)) == \
            expected_sizes(strategy, seq, near_in_reach=True)


def test_near_uses_bl_when_the_placement_is_in_reach():
    seq = CallSequence(6, 2)
    placement = CodePlacement(0x4000_0000, 0x4000_1000)
    near = compile_call_sequence("near", seq, placement=placement,
                                 address_of=lambda k: 0x4100_0000 + 0x100 * k)
    assert {s: near.sizes.get(s, 0) for s in expected_sizes("near", seq, True)} == \
        expected_sizes("near", seq, near_in_reach=True)
    assert [r.kind.name for r in near.relocs] == ["CALL26"] * 6
    far = compile_call_sequence("near", seq, placement=placement,
                                address_of=lambda k: 0x4000_0000 + (200 << 20))
    assert far.sizes == compile_call_sequence("near", seq).sizes


def test_placement_reach_is_exact_at_the_edges():
    p = CodePlacement(0x1000_0000, 0x1000_0100)
    assert p.in_bl_reach(0x1000_0000 + (128 << 20) - 4)
    assert not p.in_bl_reach(0x1000_0000 + (128 << 20))
    assert p.in_bl_reach(0x1000_00FC - (128 << 20))
    assert not p.in_bl_reach(0x1000_00FC - (128 << 20) - 4)


@pytest.mark.parametrize("strategy", strategy_names())
def test_golden_listing(strategy, golden):
    # Five sites over three targets, the fourth site cold: every strategy's
    # choices (singleton vs shared, hot vs cold) show up.
    code = compile_call_sequence(strategy, CallSequence(5, 3, cold_every=4))
    golden(f"calls/{strategy}.txt", listing(code))


@pytest.mark.parametrize("strategy", strategy_names())
def test_sequences_call_every_target_in_order_under_unicorn(strategy):
    # Target k shifts x19 left by 4 and adds k+1: x19 ends as the digits of
    # the call order.  Targets sit 300 MiB away from the code (out of bl
    # reach), except for `near`'s in-reach variant below.
    seq = CallSequence(7, 3, cold_every=3)
    result = run_code(lambda address_of, placement: compile_call_sequence(
        strategy, seq, address_of=address_of, placement=placement),
        n_targets=3, target_distance=300 << 20)
    assert result == _call_order(seq)


def test_near_in_reach_runs_its_direct_bl_under_unicorn():
    seq = CallSequence(5, 2)
    result = run_code(lambda address_of, placement: compile_call_sequence(
        "near", seq, address_of=address_of, placement=placement),
        n_targets=2, target_distance=1 << 20)
    assert result == _call_order(seq)


def _call_order(seq: CallSequence) -> int:
    value = 0
    for i in range(seq.n_sites):
        value = (value << 4) + (i % seq.n_targets) + 1
    return value
