"""`pyjit size`: the compiled size of real functions, by section.

Resolves a TARGET (pyjit/target.py), compiles each of its functions with the
pipeline `pyjit.jit.force_compile` uses (same placement, same strategy
default) but without loading or installing anything, and prints the total
and the sections (code, literals, stubs, veneers, padding) per function and
strategy, then the functions the JIT refused, with the reason.  The compiling
is `pyjit.measure.sizes` (`compile_one`, `check_strategy`), shared with
`pyjit dump`, `pyjit compare` and `pyjit report`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..measure.sizes import (SECTIONS, Outcome, check_strategy, compile_one, engine_placement,
                             sizes_of)
from ..target import TARGET_HELP
from . import passes
from .helpformat import DEFAULT_STRATEGY, PASS_TABLE, STRATEGIES

SUMMARY = "compiled size of a shape or of real functions, by section and strategy"

DESCRIPTION = f"""\
Compile every function of TARGET and print its size in bytes: the total and
the sections code, literals, stubs, veneers and padding (they add up to the
total).  Functions the JIT refuses (unsupported bytecode, ...)
are listed with the reason.  Nothing is installed: the functions keep
running in the interpreter.

{TARGET_HELP}
strategies: {STRATEGIES} (default {DEFAULT_STRATEGY})
passes (--passes, --disable-pass, PYJIT_PASSES):
{PASS_TABLE}

exit status: 0 when something compiled, 1 when every function was refused
or failed, 2 for a bad target, strategy, pass or PYJIT_* variable.

examples:
  pyjit size sqrt:200
  pyjit size sqrt:1 --strategy all
  pyjit size path/to/mod.py:Class.method --strategy stub
  pyjit size json.decoder:* --json
  pyjit size sqrt:200 --disable-pass refcount-held-operands
"""


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="TARGET",
                        help="shape, FILE.py:QUALNAME, MODULE:QUALNAME or MODULE:*")
    parser.add_argument("--strategy", default=None, metavar="NAME",
                        help="call-lowering strategy: {STRATEGIES}; or 'all' for one row "
                             "per strategy (default: $PYJIT_STRATEGY, else "
                             "{DEFAULT_STRATEGY})")
    passes.add_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from ..target import resolve_target

    passes.apply(args)
    try:
        strategies = check_strategy(args.strategy)
        targets = resolve_target(args.target)
    except ValueError as exc:                  # TargetError is one
        print(f"pyjit size: error: {exc}", file=sys.stderr)
        return 2
    placement = engine_placement()
    outcomes = [compile_one(t.name, t.func, s, placement) for t in targets for s in strategies]
    compiled = [o for o in outcomes if o.compiled is not None]
    refused = _first_per_function(o for o in outcomes if o.refused is not None)
    failed = [o for o in outcomes if o.error is not None]
    if args.json:
        report: dict[str, Any] = {
            "functions": [dict(name=o.name, **sizes_of(o.compiled), strategy=o.strategy)
                          for o in compiled],
            "refused": [{"name": o.name, "reason": o.refused} for o in refused]}
        if failed:
            report["errors"] = [{"name": o.name, "strategy": o.strategy, "error": o.error}
                                for o in failed]
        print(json.dumps(report, indent=2))
    else:
        _print_table(args.target, compiled, refused, failed)
    return 0 if compiled else 1


# -- the table --------------------------------------------------------------------------

def _first_per_function(outcomes) -> list[Outcome]:
    """A refusal does not depend on the strategy: one per function."""
    seen: dict[str, Outcome] = {}
    for o in outcomes:
        seen.setdefault(o.name, o)
    return list(seen.values())


def _print_table(target: str, compiled: list[Outcome], refused: list[Outcome],
                 failed: list[Outcome]) -> None:
    n_functions = len({o.name for o in compiled + refused + failed})
    print(f"{target}: {n_functions} function{'s' if n_functions != 1 else ''}; bytes")
    if compiled:
        width = max(len("function"), *(len(o.name) for o in compiled))
        swidth = max(len("strategy"), *(len(o.strategy) for o in compiled))
        header = (f"{'function':<{width}}  {'strategy':<{swidth}}{'total':>9}"
                  + "".join(f"{s:>10}" for s in SECTIONS))
        print(header)
        print("-" * len(header))
        for o in compiled:
            sizes = sizes_of(o.compiled)
            print(f"{o.name:<{width}}  {o.strategy:<{swidth}}{sizes['total']:>9}"
                  + "".join(f"{sizes[s]:>10}" for s in SECTIONS))
    for o in refused:
        print(f"refused {o.name}: {o.refused}")
    for o in failed:
        print(f"error {o.name} ({o.strategy}): {o.error}")
