"""What a benchmark compiles to: its HIR opcode mix and its largest functions.

    report = build_report(parse_target("richards"), "lazy-stub")
    print(format_report(report, top=10))

Every function of the target (a benchmark's module, a shape or any TARGET of
`pyjit size`) is compiled with one strategy the way `pyjit size` compiles it,
nothing run.  The opcode counts are those of each compiled function's HIR as
the pipeline hands it to the lowering (after the passes, so with the
reference counting the passes insert), what
`pyjit.jit.get_function_hir_opcode_counts` reports for an installed function.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..aarch64.calls import DEFAULT_STRATEGY
from .sizes import SECTIONS, compile_one, engine_placement, sizes_of
from ..hir.stats import opcode_counts
from .compare import Target, functions_of, sum_sizes


@dataclass
class FunctionReport:
    """One compiled function: its sizes (total and sections) and HIR opcode
    counts."""

    name: str
    sizes: dict[str, int]
    opcodes: dict[str, int]


@dataclass
class OpcodeShare:
    opcode: str
    count: int
    share: float            # percent of every HIR instruction counted


@dataclass
class Report:
    target: str
    strategy: str
    candidates: int
    functions: list[FunctionReport] = field(default_factory=list)   # largest first
    refused: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, int]:
        """Total and sections summed over the compiled functions (zeros when
        none compiled)."""
        summed = sum_sizes([f.sizes for f in self.functions])
        return summed or dict.fromkeys(("total",) + SECTIONS, 0)

    def opcode_mix(self) -> list[OpcodeShare]:
        """Every opcode, most frequent first, with its share of the
        instructions of all compiled functions."""
        counts: Counter[str] = Counter()
        for function in self.functions:
            counts.update(function.opcodes)
        total = sum(counts.values())
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [OpcodeShare(op, n, n / total * 100) for op, n in ordered]

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "strategy": self.strategy,
                "candidates": self.candidates, "compiled": len(self.functions),
                "totals": self.totals,
                "opcode_mix": [vars(s) for s in self.opcode_mix()],
                "functions": [vars(f) for f in self.functions],
                "refused": self.refused, "errors": self.errors}


def build_report(target: Target, strategy: str | None) -> Report:
    """Compile every function of target with strategy (None: the default);
    raises BenchmarkError when a benchmark cannot be loaded."""
    functions = functions_of(target)
    placement = engine_placement()
    report = Report(target.spec, strategy or DEFAULT_STRATEGY, len(functions))
    for function in functions:
        outcome = compile_one(function.name, function.func, strategy, placement)
        if outcome.compiled is not None:
            report.functions.append(FunctionReport(outcome.name, sizes_of(outcome.compiled),
                                                   opcode_counts(outcome.compiled.hir)))
        elif outcome.refused is not None:
            report.refused[outcome.name] = outcome.refused
        else:
            report.errors[outcome.name] = outcome.error
    report.functions.sort(key=lambda f: (-f.sizes["total"], f.name))
    return report


def format_report(report: Report, top: int) -> str:
    """The summary, the top opcodes, the top functions by size, then
    refusals and errors."""
    totals = report.totals
    lines = [f"{report.target}: {report.candidates} functions, {len(report.functions)} "
             f"compiled with {report.strategy}, {len(report.refused)} refused"
             + (f", {len(report.errors)} FAILED" if report.errors else ""),
             f"{totals['total']:,} bytes: "
             + ", ".join(f"{s} {totals[s]:,}" for s in SECTIONS)]
    lines += ["", *_opcode_table(report.opcode_mix(), top)]
    lines += ["", *_function_table(report.functions, top)]
    if report.refused:
        lines += ["", f"refused {len(report.refused)}:"]
        lines += [f"  {name}: {reason}" for name, reason in report.refused.items()]
    if report.errors:
        lines += ["", f"FAILED {len(report.errors)} (JIT errors):"]
        lines += [f"  {name}: {error}" for name, error in report.errors.items()]
    return "\n".join(lines) + "\n"


def _opcode_table(mix: list[OpcodeShare], top: int) -> list[str]:
    total = sum(s.count for s in mix)
    shown = mix[:top]
    width = max([len("opcode")] + [len(s.opcode) for s in shown])
    header = f"{'opcode':<{width}}  {'count':>8}  {'share':>6}"
    return ([f"HIR opcode mix: top {len(shown)} of {len(mix)} opcodes, "
             f"{total:,} instructions", header, "-" * len(header)]
            + [f"{s.opcode:<{width}}  {s.count:>8,}  {s.share:>5.1f}%" for s in shown])


def _function_table(functions: list[FunctionReport], top: int) -> list[str]:
    shown = functions[:top]
    width = max([len("function")] + [len(f.name) for f in shown])
    columns = ("total",) + SECTIONS
    header = f"{'function':<{width}}" + "".join(f"{c:>10}" for c in columns)
    return ([f"top {len(shown)} of {len(functions)} compiled functions by size, bytes",
             header, "-" * len(header)]
            + [f"{f.name:<{width}}" + "".join(f"{f.sizes[c]:>10,}" for c in columns)
               for f in shown])
