"""Statistics of an interleaved A/B comparison of run times (`pyjit ab`).

    c = compare(a_times, b_times, order=["AB", "BA", ...], seed=0)
    c.ratio, c.mean_delta, c.ci_low, c.ci_high, c.verdict

Samples come in pairs (A_i, B_i) measured next to each other, so the unit
of comparison is the paired relative delta d_i = (B_i - A_i) / A_i: negative
when B took less time than A.  From the deltas:

- mean, median, and a trimmed mean that drops floor(10% of n) deltas from
  each end of the sorted deltas (nothing is dropped below 10 pairs);
- a 95% bootstrap confidence interval of the mean delta: 10,000 resamples of
  the n deltas with replacement (random.Random(seed), so a seed gives the
  same interval every time), each resample's mean, and the 2.5th and 97.5th
  percentiles of those means (the percentile method, with linear
  interpolation between order statistics);
- when each pair's order is given ("AB": A ran first, "BA": B did), the
  mean delta of each order: far apart, they show that running first or
  second costs time of its own, which alternating the order cancels in the
  mean but which widens the interval;
- a verdict: when the interval contains zero, "no detectable difference at
  95%"; otherwise which side is faster and by how much.

The medians of the A and B samples (and their ratio) are reported too, but
the interval and the verdict come from the paired deltas only.

With few pairs a percentile bootstrap interval is too narrow: simulated
with normal noise, 10 pairs give an interval that holds the true mean delta
about 90% of the time rather than 95%; more pairs bring it closer.

Pure Python, standard library only.
"""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from typing import Sequence

TRIM = 0.10                 # dropped from each end by the trimmed mean
CONFIDENCE = 0.95
RESAMPLES = 10_000


@dataclass(frozen=True)
class Comparison:
    """The statistics of n paired samples; deltas are fractions (0.05: B
    took 5% more time than A)."""

    n: int
    a_median: float
    b_median: float
    ratio: float                    # b_median / a_median
    deltas: tuple[float, ...]       # (B_i - A_i) / A_i, in pair order
    mean_delta: float
    median_delta: float
    trimmed_mean_delta: float
    ci_low: float
    ci_high: float
    confidence: float
    resamples: int
    seed: int
    order_means: dict[str, float]   # mean delta per pair order ({} when not given)

    @property
    def detected(self) -> bool:
        """Whether the confidence interval excludes zero."""
        return self.ci_low > 0 or self.ci_high < 0

    @property
    def verdict(self) -> str:
        return verdict(self.mean_delta, self.ci_low, self.ci_high, self.confidence)


def relative_deltas(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """(b_i - a_i) / a_i for each pair; the samples must pair up and a_i > 0."""
    if len(a) != len(b):
        raise ValueError(f"{len(a)} A samples but {len(b)} B samples: they must pair up")
    if any(x <= 0 for x in a):
        raise ValueError("A samples must be positive times")
    return [(y - x) / x for x, y in zip(a, b)]


def trimmed_mean(values: Sequence[float], trim: float = TRIM) -> float:
    """The mean of values without the floor(trim * n) smallest and as many
    largest."""
    if not values:
        raise ValueError("trimmed mean of no values")
    if not 0 <= trim < 0.5:
        raise ValueError(f"trim must be in [0, 0.5), not {trim}")
    k = math.floor(trim * len(values))
    kept = sorted(values)[k:len(values) - k]
    return math.fsum(kept) / len(kept)


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile of already sorted values, interpolating linearly
    between the order statistics at q * (n - 1)."""
    if not sorted_values:
        raise ValueError("quantile of no values")
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def bootstrap_mean_ci(values: Sequence[float], confidence: float = CONFIDENCE,
                      resamples: int = RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """The percentile bootstrap interval of the mean of values (see the
    module docstring)."""
    if len(values) < 2:
        raise ValueError("a bootstrap interval needs at least 2 values")
    rng = random.Random(seed)
    n = len(values)
    means = sorted(math.fsum(rng.choices(values, k=n)) / n for _ in range(resamples))
    tail = (1 - confidence) / 2
    return quantile(means, tail), quantile(means, 1 - tail)


def group_by(values: Sequence[float], labels: Sequence[str]) -> dict[str, list[float]]:
    """values by label, labels in order of first appearance."""
    if len(values) != len(labels):
        raise ValueError(f"{len(values)} values but {len(labels)} labels")
    groups: dict[str, list[float]] = {}
    for value, label in zip(values, labels):
        groups.setdefault(label, []).append(value)
    return groups


def verdict(mean_delta: float, ci_low: float, ci_high: float,
            confidence: float = CONFIDENCE) -> str:
    """One sentence: no detectable difference, or which side is faster."""
    level = f"{confidence * 100:g}%"
    if ci_low <= 0 <= ci_high:
        return f"no detectable difference at {level}"
    side, amount = ("faster", "less") if mean_delta < 0 else ("slower", "more")
    return (f"B is {side} than A: {abs(mean_delta) * 100:.2f}% {amount} time "
            f"(the {level} interval excludes zero)")


def compare(a: Sequence[float], b: Sequence[float], *, order: Sequence[str] | None = None,
            confidence: float = CONFIDENCE, resamples: int = RESAMPLES,
            seed: int = 0) -> Comparison:
    """The Comparison of paired samples a[i], b[i] (at least 2 pairs);
    order[i], when given, says which ran first in pair i ("AB" or "BA")."""
    deltas = relative_deltas(a, b)
    if len(deltas) < 2:
        raise ValueError("a comparison needs at least 2 pairs")
    low, high = bootstrap_mean_ci(deltas, confidence, resamples, seed)
    groups = group_by(deltas, order) if order is not None else {}
    a_median, b_median = statistics.median(a), statistics.median(b)
    return Comparison(
        n=len(deltas), a_median=a_median, b_median=b_median, ratio=b_median / a_median,
        deltas=tuple(deltas), mean_delta=math.fsum(deltas) / len(deltas),
        median_delta=statistics.median(deltas), trimmed_mean_delta=trimmed_mean(deltas),
        ci_low=low, ci_high=high, confidence=confidence, resamples=resamples, seed=seed,
        order_means={k: math.fsum(g) / len(g) for k, g in groups.items()})
