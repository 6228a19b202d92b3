"""pyjit.measure.stats: hand-computed values and the properties `pyjit ab`
relies on (the interval finds a clear shift, contains zero for equal
distributions, is reproducible from its seed; the trimmed mean resists an
outlier)."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from pyjit.measure.stats import (
    Comparison, bootstrap_mean_ci, compare, group_by, quantile, relative_deltas, trimmed_mean,
    verdict)


def noisy(rng: random.Random, n: int, scale: float, noise: float = 0.03) -> list[float]:
    return [scale * (1 + rng.gauss(0, noise)) for _ in range(n)]


def alternating(n: int) -> list[str]:
    return ["AB" if i % 2 == 0 else "BA" for i in range(n)]


# -- hand-computed values ---------------------------------------------------------------

def test_relative_deltas():
    assert relative_deltas([2.0, 4.0, 1.0], [3.0, 3.0, 1.0]) == [0.5, -0.25, 0.0]


@pytest.mark.parametrize("a, b", [([1.0], [1.0, 2.0]), ([0.0, 1.0], [1.0, 1.0]),
                                  ([-1.0, 1.0], [1.0, 1.0])])
def test_relative_deltas_refuses_unpaired_or_non_positive(a, b):
    with pytest.raises(ValueError):
        relative_deltas(a, b)


def test_trimmed_mean_drops_ten_percent_at_each_end():
    values = [1000.0, 2, 3, 4, 5, 6, 7, 8, 9, -500]        # 10 values: one each end
    assert trimmed_mean(values) == pytest.approx(5.5)      # mean of 2..9
    assert trimmed_mean(values * 2) == pytest.approx(5.5)  # 20 values: two each end


def test_trimmed_mean_keeps_everything_below_ten_values():
    assert trimmed_mean([1.0, 2.0, 100.0]) == pytest.approx(103 / 3)
    assert trimmed_mean([1.0, 2.0, 100.0], trim=0.4) == 2.0
    with pytest.raises(ValueError):
        trimmed_mean([])


def test_quantile_interpolates_like_statistics_inclusive():
    values = [1.0, 2.0, 3.0, 4.0]
    assert quantile(values, 0) == 1.0 and quantile(values, 1) == 4.0
    assert quantile(values, 0.5) == 2.5 and quantile(values, 0.25) == 1.75
    data = sorted(random.Random(3).random() for _ in range(37))
    expected = statistics.quantiles(data, n=40, method="inclusive")
    assert [quantile(data, k / 40) for k in range(1, 40)] == pytest.approx(expected)


def test_bootstrap_of_two_values_hand_computed():
    # Resample means of [0, 1]: 0 (1/4), 0.5 (1/2), 1 (1/4): the 2.5% and
    # 97.5% points of 10,000 of them are 0 and 1.
    assert bootstrap_mean_ci([0.0, 1.0]) == (0.0, 1.0)
    assert bootstrap_mean_ci([0.25] * 5) == (0.25, 0.25)


def test_order_means_and_groups():
    assert group_by([1.0, 2.0, 3.0], ["AB", "BA", "AB"]) == {"AB": [1.0, 3.0], "BA": [2.0]}
    c = compare([1.0, 1.0, 1.0, 1.0], [1.2, 0.9, 1.4, 1.1], order=alternating(4))
    assert c.order_means == pytest.approx({"AB": 0.3, "BA": 0.0})
    plain = compare([1.0, 1.0, 1.0, 1.0], [1.2, 0.9, 1.4, 1.1])
    assert plain.order_means == {} and (plain.ci_low, plain.ci_high) == (c.ci_low, c.ci_high)


def test_verdict_texts():
    assert verdict(0.01, -0.02, 0.04) == "no detectable difference at 95%"
    assert verdict(0.0, 0.0, 0.0) == "no detectable difference at 95%"
    assert verdict(-0.1234, -0.15, -0.09) == ("B is faster than A: 12.34% less time "
                                              "(the 95% interval excludes zero)")
    assert verdict(0.05, 0.01, 0.09).startswith("B is slower than A: 5.00% more time")


# -- properties ---------------------------------------------------------------------------

def test_clear_shift_is_found():
    rng = random.Random(1)
    a = noisy(rng, 20, 1.0)
    b = [x * 1.10 * (1 + rng.gauss(0, 0.01)) for x in a]
    c = compare(a, b)
    assert c.ci_low <= 0.10 <= c.ci_high
    assert c.ci_low > 0 and c.detected
    assert c.verdict.startswith("B is slower than A")
    faster = compare(b, a)
    assert faster.ci_high < 0 and faster.verdict.startswith("B is faster than A")


def test_identical_distributions_cross_zero():
    rng = random.Random(2)
    a, b = noisy(rng, 20, 1.0), noisy(rng, 20, 1.0)
    c = compare(a, b)
    assert c.ci_low < 0 < c.ci_high and not c.detected
    assert c.verdict == "no detectable difference at 95%"


def test_trimmed_mean_resists_an_outlier_pair():
    a = [1.0] * 10
    b = [1.05] * 9 + [3.0]                      # one pair disturbed: +200%
    c = compare(a, b)
    assert c.mean_delta == pytest.approx(0.245)
    assert c.trimmed_mean_delta == pytest.approx(0.05)
    assert c.median_delta == pytest.approx(0.05)


def test_seed_makes_the_interval_reproducible():
    rng = random.Random(4)
    a, b = noisy(rng, 12, 1.0), noisy(rng, 12, 1.02)
    assert compare(a, b, seed=7) == compare(a, b, seed=7)
    assert (compare(a, b, seed=7).ci_low, compare(a, b, seed=7).ci_high) != \
        (compare(a, b, seed=8).ci_low, compare(a, b, seed=8).ci_high)


@pytest.mark.parametrize("n", [5, 6])
def test_medians_agree_with_statistics_median(n):
    rng = random.Random(n)
    a, b = noisy(rng, n, 2.0, 0.2), noisy(rng, n, 3.0, 0.2)
    c = compare(a, b)
    assert c.a_median == statistics.median(a) and c.b_median == statistics.median(b)
    assert c.ratio == pytest.approx(statistics.median(b) / statistics.median(a))
    deltas = [(y - x) / x for x, y in zip(a, b)]
    assert c.median_delta == statistics.median(deltas)
    assert c.mean_delta == pytest.approx(statistics.fmean(deltas))
    assert c.deltas == pytest.approx(deltas) and c.n == n


def test_compare_needs_two_pairs():
    with pytest.raises(ValueError):
        compare([1.0], [1.0])


def test_comparison_is_plain_data():
    c = compare([1.0, 2.0], [1.0, 2.0])
    assert isinstance(c, Comparison) and c.deltas == (0.0, 0.0)
    assert (c.ci_low, c.ci_high) == (0.0, 0.0) and not c.detected
    assert c.resamples == 10_000 and c.seed == 0 and c.confidence == 0.95
    assert math.isclose(c.ratio, 1.0)
