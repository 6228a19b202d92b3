"""Comparing call-lowering strategies over shapes, plain targets and benchmarks.

    targets = [parse_target(s) for s in ("sqrt:200", "richards")]
    comparison = collect(targets, ["direct", "lazy-stub"], counts=True)
    print(format_table(comparison))
    comparison.delta(comparison.rows[0], "lazy-stub", "total")   # Delta(change, percent)
    plot(comparison, "sizes.png")

A target is a shape (`sqrt:200`), a pyperformance benchmark (`richards`, or a
path to a run_benchmark.py-style file) or any other TARGET `pyjit size`
accepts (`MODULE:QUALNAME`, `FILE.py:*`).  Shapes and plain targets are
compiled without running, the way `pyjit size` compiles them.  A benchmark is
run once per strategy with every function compiled
(`run_benchmark(..., "jitlist:__main__:*", counts=True)`): its sizes are
those of the installed code, its dynamic instructions and helper calls are
summed over its functions, and its result is checked against the
interpreter's.  With counts=False a benchmark's module is only loaded and
its functions compiled, like a plain target.

Each target and strategy gives a `Cell`; deltas are against the baseline
strategy's cell of the same target.  With pass variants (`variants`, pass
lists in PYJIT_PASSES syntax such as "-refcount-frame-values") each
strategy is also compiled with each variant's passes, a column of its own
labelled "STRATEGY VARIANT" (`column_label`): the toggle experiment, one
pass switched off per column.  The plot draws total bytes against call
sites for the sqrt-like shapes (`sqrt:N` has N call sites, `sqrtpow:N` 2N:
N to math.sqrt and N to math.pow), one line per shape and strategy, and a
bar chart of bytes by section per strategy for every other target.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from .sizes import SECTIONS, compile_one, engine_placement, sizes_of
from ..target import TargetFunction

SHAPE, BENCHMARK, FUNCTIONS = "shape", "benchmark", "functions"
SIZE_METRICS = ("total",) + SECTIONS
COUNT_METRICS = ("instructions", "helper_calls")
METRICS = SIZE_METRICS + COUNT_METRICS

JITLIST_ALL = "jitlist:__main__:*"
# jit.force_compile records a compiler exception as a refusal with this prefix.
INTERNAL_ERROR = "internal compiler error: "

CALLS_PER_REPEAT = {"sqrt": 1, "sqrtpow": 2}
DEFAULT_SERIES = tuple(2 ** k for k in range(9))     # 1, 2, 4, ..., 256
MIN_SERIES_POINTS = 3

Progress = Callable[[str], None]


# -- targets -------------------------------------------------------------------------

@dataclass
class Target:
    """One target of the comparison; `functions` is None for a benchmark
    until its module is loaded (`functions_of`)."""

    spec: str
    kind: str                                   # SHAPE, BENCHMARK or FUNCTIONS
    functions: list[TargetFunction] | None = None

    @property
    def repeat(self) -> tuple[str, int] | None:
        """(shape name, N) of a sqrt-like shape, else None."""
        name, _, count = self.spec.partition(":")
        if self.kind != SHAPE or name not in CALLS_PER_REPEAT:
            return None
        return name, int(count)


def parse_target(spec: str) -> Target:
    """Classify spec: a shape, a benchmark (no `:`: a pyperformance name or
    a file path) or a TARGET of `pyjit size`.  Shapes and TARGETs are
    resolved now; a benchmark is only looked up.  Raises ValueError with a
    message for the user."""
    from ..bench.loader import BenchmarkError, benchmark_path
    from ..shapes import is_shape
    from ..target import resolve_target

    if is_shape(spec):
        return Target(spec, SHAPE, resolve_target(spec))
    if ":" in spec:
        return Target(spec, FUNCTIONS, resolve_target(spec))
    try:
        benchmark_path(spec)
    except BenchmarkError as exc:
        raise ValueError(str(exc)) from None
    return Target(spec, BENCHMARK)


def functions_of(target: Target) -> list[TargetFunction]:
    """The target's functions; a benchmark's module is loaded the first time
    (raises BenchmarkError when it cannot be)."""
    if target.functions is None:
        from ..bench.loader import load_benchmark
        from ..compiler import qualified_name
        from ..target import module_functions

        module = load_benchmark(target.spec).module
        target.functions = [TargetFunction(qualified_name(f), f)
                            for f in module_functions(module)]
    return target.functions


# -- the data -----------------------------------------------------------------------

@dataclass
class Cell:
    """One target compiled (and, for a benchmark with counts, run once) with
    one strategy.  `sizes` (total and sections) is summed over the compiled
    functions, None when none compiled; the counts and `matches` are None
    when the target was not run."""

    strategy: str
    sizes: dict[str, int] | None = None
    candidates: int = 0
    functions: dict[str, int] = field(default_factory=dict)     # name -> total bytes
    refused: dict[str, str] = field(default_factory=dict)       # name -> reason
    errors: list[str] = field(default_factory=list)
    instructions: int | None = None
    helper_calls: int | None = None
    matches: bool | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and self.matches is not False

    def value(self, metric: str) -> int | None:
        if metric in COUNT_METRICS:
            return getattr(self, metric)
        return None if self.sizes is None else self.sizes[metric]

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "sizes": self.sizes, "candidates": self.candidates,
                "compiled": len(self.functions), "functions": self.functions,
                "refused": self.refused, "errors": self.errors,
                "instructions": self.instructions, "helper_calls": self.helper_calls,
                "matches": self.matches, "ok": self.ok, "seconds": round(self.seconds, 3)}


@dataclass
class Row:
    target: Target
    cells: dict[str, Cell]


@dataclass(frozen=True)
class Delta:
    """A value minus the baseline's; percent is None when the baseline is 0."""

    change: int
    percent: float | None

    def __str__(self) -> str:
        if self.percent is None:
            return f"{self.change:+,}"
        return f"{self.change:+,} / {self.percent:+.1f}%"


@dataclass(frozen=True)
class Sample:
    """The total bytes of one sqrt-like shape compiled for the plot only."""

    shape: str
    n: int
    strategy: str
    total: int | None


@dataclass
class Comparison:
    strategies: list[str]
    baseline: str
    counts: bool
    rows: list[Row]
    samples: list[Sample] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(cell.ok for row in self.rows for cell in row.cells.values())

    def delta(self, row: Row, strategy: str, metric: str) -> Delta | None:
        """strategy's metric against the baseline's, None when either is missing."""
        value = row.cells[strategy].value(metric)
        base = row.cells[self.baseline].value(metric)
        if value is None or base is None:
            return None
        return Delta(value - base, (value - base) / base * 100 if base else None)

    def to_dict(self) -> dict[str, Any]:
        targets = []
        for row in self.rows:
            cells = {}
            for strategy, cell in row.cells.items():
                cells[strategy] = cell.to_dict()
                if strategy != self.baseline:
                    deltas = {m: self.delta(row, strategy, m) for m in METRICS}
                    cells[strategy]["delta"] = {m: {"change": d.change, "percent": d.percent}
                                                for m, d in deltas.items() if d is not None}
            targets.append({"target": row.target.spec, "kind": row.target.kind, "cells": cells})
        return {"strategies": self.strategies, "baseline": self.baseline, "counts": self.counts,
                "ok": self.ok, "targets": targets,
                "samples": [vars(s) for s in self.samples]}


# -- collecting -----------------------------------------------------------------------

def column_label(strategy: str, variant: str | None) -> str:
    """The column of strategy compiled with a pass variant (None: the
    passes the environment gives)."""
    return strategy if variant is None else f"{strategy} {variant}"


def columns(strategies: list[str], variants: list[str] | None = None
            ) -> list[tuple[str, str, str | None]]:
    """(label, strategy, variant) of each column: every strategy, then, with
    variants, every strategy with each variant."""
    return [(column_label(s, v), s, v) for s in strategies for v in [None, *(variants or [])]]


def collect(targets: list[Target], strategies: list[str], *, counts: bool = True,
            baseline: str | None = None, progress: Progress = lambda message: None,
            variants: list[str] | None = None) -> Comparison:
    """Every target under every strategy (and pass variant); benchmarks are
    run when counts.  Deltas are against baseline (default: the first
    column)."""
    cols = columns(strategies, variants)
    labels = [label for label, _, _ in cols]
    baseline = check_baseline(labels, baseline)
    placement = engine_placement()
    rows = []
    total = len(targets) * len(cols)
    for t_index, target in enumerate(targets):
        cells = {}
        for c_index, (label, strategy, variant) in enumerate(cols):
            step = f"[{t_index * len(cols) + c_index + 1}/{total}] {target.spec} / {label}"
            start = time.perf_counter()
            if target.kind == BENCHMARK and counts:
                progress(f"{step}: running one iteration with counts")
                cell = run_cell(target, strategy, lambda message: progress(f"    {message}"),
                                variant)
            else:
                cell = size_cell(target, strategy, placement, variant)
            cell.strategy = label
            cell.seconds = time.perf_counter() - start
            progress(f"{step}: {cell.seconds:.1f} s{_verdict(cell)}")
            cells[label] = cell
        rows.append(Row(target, cells))
    return Comparison(labels, baseline, counts, rows)


def check_baseline(strategies: list[str], baseline: str | None) -> str:
    """baseline, or the first strategy when None; raises ValueError when it
    is not one of strategies."""
    baseline = strategies[0] if baseline is None else baseline
    if baseline not in strategies:
        raise ValueError(f"the baseline {baseline!r} is not one of the strategies compared "
                         f"({', '.join(strategies)})")
    return baseline


def _verdict(cell: Cell) -> str:
    reason = f": {cell.errors[0]}" if cell.errors else ""
    if cell.matches is False:
        return ", DOES NOT match the interpreter" + reason
    if cell.errors:
        return ", FAILED" + reason
    return "" if cell.matches is None else ", matches the interpreter"


def size_cell(target: Target, strategy: str, placement, passes: str | None = None) -> Cell:
    """The target's functions compiled with strategy (and the pass list
    passes, when given), nothing run."""
    from ..bench.loader import BenchmarkError

    cell = Cell(strategy)
    try:
        functions = functions_of(target)
    except BenchmarkError as exc:
        cell.errors.append(str(exc))
        return cell
    cell.candidates = len(functions)
    sizes = []
    for function in functions:
        outcome = compile_one(function.name, function.func, strategy, placement, passes)
        if outcome.compiled is not None:
            sizes.append(sizes_of(outcome.compiled))
            cell.functions[outcome.name] = sizes[-1]["total"]
        elif outcome.refused is not None:
            cell.refused[outcome.name] = outcome.refused
        else:
            cell.errors.append(f"{outcome.name}: {outcome.error}")
    cell.sizes = sum_sizes(sizes)
    return cell


def run_cell(target: Target, strategy: str, progress: Progress,
             passes: str | None = None) -> Cell:
    """The benchmark run once with every function compiled with strategy
    (and the pass list passes, when given), dynamic counts on."""
    from ..bench import BenchmarkError, run_benchmark

    cell = Cell(strategy)
    try:
        result = run_benchmark(target.spec, JITLIST_ALL, strategy, loops=1, counts=True,
                               leak_iterations=0, progress=progress, passes=passes)
    except BenchmarkError as exc:
        cell.errors.append(str(exc))
        return cell
    cell.candidates = result.candidates
    cell.functions = {c.name: c.size for c in result.compiled}
    cell.sizes = sum_sizes([c.sections for c in result.compiled])
    for name, reason in result.refusals.items():
        if reason.startswith(INTERNAL_ERROR):
            cell.errors.append(f"{name}: {reason}")
        else:
            cell.refused[name] = reason
    if result.counts is not None:
        cell.instructions = sum(c["instructions"] for c in result.counts.values())
        cell.helper_calls = sum(c["helper_calls"] for c in result.counts.values())
    cell.matches = result.matches
    if result.error:
        cell.errors.append(result.error)
    return cell


def sum_sizes(sizes: list[dict[str, int]]) -> dict[str, int] | None:
    """Total and sections summed over functions; None for no function."""
    if not sizes:
        return None
    return {metric: sum(s.get(metric, 0) for s in sizes) for metric in SIZE_METRICS}


# -- the samples for the plot ------------------------------------------------------------

def series_to_sample(targets: list[Target]) -> list[str]:
    """Shape specs to compile for the plot besides the targets: the default
    series for each sqrt-like shape given fewer than MIN_SERIES_POINTS
    times (for `sqrt` when none is given)."""
    given: dict[str, set[int]] = {}
    for target in targets:
        if target.repeat is not None:
            shape, n = target.repeat
            given.setdefault(shape, set()).add(n)
    if not given:
        given["sqrt"] = set()
    return [f"{shape}:{n}" for shape, ns in given.items() if len(ns) < MIN_SERIES_POINTS
            for n in DEFAULT_SERIES if n not in ns]


def collect_samples(specs: list[str], strategies: list[str],
                    progress: Progress = lambda message: None) -> list[Sample]:
    """The total bytes of each shape spec under each strategy."""
    placement = engine_placement()
    samples = []
    for index, spec in enumerate(specs, 1):
        start = time.perf_counter()
        target = parse_target(spec)
        shape, n = target.repeat
        for strategy in strategies:
            sizes = size_cell(target, strategy, placement).sizes
            samples.append(Sample(shape, n, strategy, sizes and sizes["total"]))
        progress(f"[{index}/{len(specs)}] plot sample {spec}: "
                 f"{time.perf_counter() - start:.1f} s")
    return samples


def line_points(comparison: Comparison) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """{(shape, strategy): [(call sites, total bytes), ...]} sorted by call
    sites, from the sqrt-like targets and the samples."""
    points: dict[tuple[str, str], dict[int, int]] = {}
    for row in comparison.rows:
        if row.target.repeat is None:
            continue
        shape, n = row.target.repeat
        for strategy, cell in row.cells.items():
            if cell.sizes is not None:
                points.setdefault((shape, strategy), {})[n] = cell.sizes["total"]
    for s in comparison.samples:
        if s.total is not None:
            points.setdefault((s.shape, s.strategy), {})[s.n] = s.total
    return {key: sorted((n * CALLS_PER_REPEAT[key[0]], total) for n, total in by_n.items())
            for key, by_n in points.items()}


# -- the table ----------------------------------------------------------------------

METRIC_LABELS = {"total": "total bytes", "instructions": "instructions",
                 "helper_calls": "helper calls"}


def format_table(comparison: Comparison) -> str:
    """One table, a group of rows per target (one row per metric), a column
    per strategy; each non-baseline value is followed by its delta."""
    lines: list[list[str | tuple[str, str]]] = []
    for row in comparison.rows:
        lines.extend(_target_lines(comparison, row))
    value_width = {s: max([len(s)] + [len(line[2 + i][0]) for line in lines])
                   for i, s in enumerate(comparison.strategies)}
    delta_width = {s: max([0] + [len(line[2 + i][1]) for line in lines])
                   for i, s in enumerate(comparison.strategies)}
    target_width = max([len("target")] + [len(line[0]) for line in lines])
    metric_width = max([len("metric")] + [len(line[1]) for line in lines])

    def render(first: str, second: str, cells: list[tuple[str, str]]) -> str:
        text = f"{first:<{target_width}}  {second:<{metric_width}}"
        for strategy, (value, delta) in zip(comparison.strategies, cells):
            text += f"  {value:>{value_width[strategy]}}"
            if delta_width[strategy]:
                text += f" {delta:<{delta_width[strategy]}}"
        return text.rstrip()

    header = render("target", "metric", [(s, "") for s in comparison.strategies])
    out = [f"bytes by section and dynamic counts per target and strategy; deltas against "
           f"{comparison.baseline}", header, "-" * len(header)]
    previous = None
    for line in lines:
        first = line[0] if line[0] != previous else ""
        previous = line[0]
        out.append(render(first, line[1], line[2:]))
    out.extend(_notes(comparison))
    return "\n".join(out) + "\n"


def _target_lines(comparison: Comparison, row: Row) -> list[list]:
    """[target, metric, (value, delta) per strategy] for each metric shown."""
    cells = [row.cells[s] for s in comparison.strategies]
    metrics = list(SIZE_METRICS)
    if any(c.instructions is not None for c in cells):
        metrics += COUNT_METRICS
    lines = [[row.target.spec, METRIC_LABELS.get(m, m)]
             + [_value_and_delta(comparison, row, s, m) for s in comparison.strategies]
             for m in metrics]
    if row.target.kind != SHAPE:
        lines.append([row.target.spec, "compiled"]
                     + [(f"{len(c.functions)}/{c.candidates}", "") for c in cells])
    if any(c.matches is not None or c.errors for c in cells):
        lines.append([row.target.spec, "matches"] + [(_match_text(c), "") for c in cells])
    return lines


def _value_and_delta(comparison: Comparison, row: Row, strategy: str,
                     metric: str) -> tuple[str, str]:
    value = row.cells[strategy].value(metric)
    if value is None:
        return "-", ""
    delta = comparison.delta(row, strategy, metric) if strategy != comparison.baseline else None
    if delta is None or (delta.change == 0 and delta.percent is None):
        return f"{value:,}", ""
    return f"{value:,}", str(delta)


def _match_text(cell: Cell) -> str:
    """yes, MISMATCH (the run's result differs from the interpreter's or
    the run raised), ERROR (a failure outside a run: loading, compiling) or
    - (not run)."""
    if cell.matches is False:
        return "MISMATCH"
    if cell.errors:
        return "ERROR"
    return "-" if cell.matches is None else "yes"


def _notes(comparison: Comparison) -> list[str]:
    """Refusals (one per function), then every failure, then the verdict."""
    notes = []
    for row in comparison.rows:
        refused: dict[str, str] = {}
        for cell in row.cells.values():
            for name, reason in cell.refused.items():
                refused.setdefault(name, reason)
        notes.extend(f"refused {name}: {reason}" for name, reason in refused.items())
    failures = [(row.target.spec, cell) for row in comparison.rows
                for cell in row.cells.values() if not cell.ok]
    for spec, cell in failures:
        reasons = "; ".join(cell.errors) or "the result differs from the interpreter's"
        notes.append(f"FAILED {spec} ({cell.strategy}): {reasons}")
    if failures:
        notes.append(f"FAILED: {len(failures)} of {sum(len(r.cells) for r in comparison.rows)} "
                     "target/strategy cells")
    return notes


# -- the plot ----------------------------------------------------------------------

LINE_STYLES = {"sqrt": "-", "sqrtpow": "--"}


def plot(comparison: Comparison, path: str) -> None:
    """Write a PNG: total bytes against call sites for the sqrt-like shapes
    (one line per shape and strategy), and below it a bar chart of bytes
    by section per strategy for each other target."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = [row for row in comparison.rows if row.target.repeat is None]
    columns = max(1, len(bars))
    fig = plt.figure(figsize=(max(9.0, 4.5 * columns), 10.0 if bars else 5.5))
    grid = fig.add_gridspec(2 if bars else 1, columns)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    color_of = {s: colors[i % len(colors)] for i, s in enumerate(comparison.strategies)}
    _plot_lines(fig.add_subplot(grid[0, :]), line_points(comparison), color_of)
    for index, row in enumerate(bars):
        _plot_bars(fig.add_subplot(grid[1, index]), row, comparison.strategies)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_lines(ax, points, color_of) -> None:
    for (shape, strategy), xy in points.items():
        ax.plot([x for x, _ in xy], [y for _, y in xy], LINE_STYLES.get(shape, ":"),
                marker="o", markersize=3, color=color_of[strategy],
                label=f"{shape}:N  {strategy}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("call sites (sqrt:N has N, sqrtpow:N has 2N)")
    ax.set_ylabel("total bytes")
    ax.set_title("compiled size against call sites")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", ncol=2)


def _plot_bars(ax, row: Row, strategies: list[str]) -> None:
    bottoms = [0] * len(strategies)
    for section in SECTIONS:
        heights = [(row.cells[s].sizes or {}).get(section, 0) for s in strategies]
        ax.bar(strategies, heights, bottom=bottoms, label=section)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    ax.set_title(f"{row.target.spec}: bytes by section")
    ax.set_ylabel("bytes")
    ax.tick_params(axis="x", labelrotation=45)
    ax.legend(fontsize="x-small")
