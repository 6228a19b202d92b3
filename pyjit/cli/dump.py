"""`pyjit dump`: what the JIT made of a function, stage by stage.

Prints, for each function of a TARGET, the HIR after the passes, the LIR
with its register allocation and the annotated AArch64 listing: the same
texts as `pyjit.jit.dump_hir`, `dump_lir` and `disassemble`, from a compile
that installs nothing.  The listing is at offset 0 (relocations are shown
unresolved) so that it is the same from one run to the next.
"""

from __future__ import annotations

import argparse
import sys

from ..target import TARGET_HELP
from . import passes
from .helpformat import DEFAULT_STRATEGY, PASS_TABLE, STRATEGIES

SUMMARY = "print the HIR, LIR and annotated assembly of a shape or of real functions"

DESCRIPTION = f"""\
Compile every function of TARGET and print the HIR after the passes
(--hir), the LIR with the register allocation (--lir) and the annotated
listing of the machine code (--asm); any combination, all three by default.
A function the JIT refuses is printed with the reason instead.  A JIT bug
is raised with its traceback.

{TARGET_HELP}
strategies: {STRATEGIES} (default {DEFAULT_STRATEGY})
passes (--passes, --disable-pass, PYJIT_PASSES):
{PASS_TABLE}

exit status: 0 when something compiled, 1 when every function was refused,
2 for a bad target, strategy, pass or PYJIT_* variable.

examples:
  pyjit dump sqrt:2
  pyjit dump loop --asm --strategy literal
  pyjit dump path/to/mod.py:Class.method --hir --lir
  pyjit dump sqrt:2 --hir --disable-pass refcount-frame-values
"""


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="TARGET",
                        help="shape, FILE.py:QUALNAME, MODULE:QUALNAME or MODULE:*")
    parser.add_argument("--hir", action="store_true", help="the HIR after the passes")
    parser.add_argument("--lir", action="store_true", help="the LIR with register allocation")
    parser.add_argument("--asm", action="store_true", help="the annotated AArch64 listing")
    parser.add_argument("--strategy", default=None, metavar="NAME",
                        help="call-lowering strategy: {STRATEGIES} "
                             "(default: $PYJIT_STRATEGY, else {DEFAULT_STRATEGY})")
    passes.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..measure.sizes import check_strategy, engine_placement
    from ..target import resolve_target

    passes.apply(args)
    try:
        strategies = check_strategy(args.strategy)
        if len(strategies) != 1:
            raise ValueError("dump takes one strategy, not 'all'")
        targets = resolve_target(args.target)
    except ValueError as exc:
        print(f"pyjit dump: error: {exc}", file=sys.stderr)
        return 2
    wanted = [s for s in ("hir", "lir", "asm") if getattr(args, s)] or ["hir", "lir", "asm"]
    placement = engine_placement()
    any_compiled = False
    for i, target in enumerate(targets):
        if i:
            print()
        any_compiled |= _dump_one(target, strategies[0], placement, wanted)
    return 0 if any_compiled else 1


def _dump_one(target, strategy: str | None, placement, wanted: list[str]) -> bool:
    from ..compiler import compile_function
    from ..hir.errors import CompileRefused

    try:
        from ..environment import compile_options
        compiled = compile_function(target.func, strategy, placement=placement,
                                    options=compile_options())
    except CompileRefused as exc:
        print(f"=== {target.name}: refused: {exc.reason}")
        return False
    print(f"=== {target.name}: {compiled.size} bytes, strategy {compiled.strategy}, "
          f"compiled in {compiled.compile_ms:.1f} ms")
    for section in wanted:
        print()
        text = _SECTIONS[section](compiled)
        print(text, end="" if text.endswith("\n") else "\n")
    return True


def _hir(compiled) -> str:
    from ..hir.printer import format_function
    passes = ", ".join(compiled.passes) or "none"
    return f"--- HIR (after passes: {passes})\n" + format_function(compiled.hir)


def _lir(compiled) -> str:
    from ..lir.printer import format_function
    return "--- LIR (with register allocation)\n" + \
        format_function(compiled.lir, compiled.emitted.allocation)


def _asm(compiled) -> str:
    from ..aarch64.listing import listing
    return "--- asm\n" + listing(compiled.code, name=compiled.name)


_SECTIONS = {"hir": _hir, "lir": _lir, "asm": _asm}
