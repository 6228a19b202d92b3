"""Fingerprints of everything pyjit emits for a fixed corpus, to show that
a change to the compiler (a faster pass, a cleanup) changed no byte.

The corpus: every function `pyjit.target.module_functions` finds in 13
pyperformance benchmarks and 10 standard library modules, and the shapes
sqrt:200, sqrtpow:64 and loop; each compiled (not loaded) with every call
lowering strategy, with the inline and inline-incref refcount modes, and
with specialize-float added to the pipeline.  One line per combination:

    NAME STRATEGY REFCOUNTS EXTRA-PASS FINGERPRINT

where the fingerprint hashes the code bytes, relocations, labels, section
sizes and regions, literal offsets, release map, symbol names (not their
addresses, which differ from process to process), piece offsets and pc
map; a refusal or an error is written out instead.  The output depends on
the CPython version (each has its own builder): compare files made by
the same version.

    python scripts/code_fingerprints.py OUT.txt [--compare BEFORE.txt]

With --compare, the lines that differ from BEFORE are listed and the exit
status is 1 if any does.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from pyjit import compiler  # noqa: E402
from pyjit.aarch64.calls import strategy_names  # noqa: E402
from pyjit.bench.loader import load_benchmark  # noqa: E402
from pyjit.environment import compile_options  # noqa: E402
from pyjit.hir.errors import CompileRefused  # noqa: E402
from pyjit.hir.passes import DEFAULT_PIPELINE  # noqa: E402
from pyjit.measure.sizes import engine_placement  # noqa: E402
from pyjit.shapes import make_shape  # noqa: E402
from pyjit.target import module_functions  # noqa: E402

BENCHMARKS = ("richards", "nbody", "deltablue", "chaos", "go", "raytrace", "float",
              "spectral_norm", "hexiom", "nqueens", "generators", "coroutines", "fannkuch")
MODULES = ("json.encoder", "json.decoder", "textwrap", "string", "fractions", "heapq",
           "bisect", "colorsys", "difflib", "statistics")
SHAPES = ("sqrt:200", "sqrtpow:64", "loop")


def corpus() -> list[tuple[str, object]]:
    """(name, function) of everything fingerprinted, in a fixed order."""
    functions = []
    for name in BENCHMARKS:
        module = load_benchmark(name).module
        functions += [(f"{name}:{compiler.qualified_name(f)}", f) for f in module_functions(module)]
    for name in MODULES:
        module = importlib.import_module(name)
        functions += [(f"{name}:{compiler.qualified_name(f)}", f) for f in module_functions(module)]
    functions += [(spec, make_shape(spec)) for spec in SHAPES]
    return functions


def variants() -> list[tuple[str, str, str | None]]:
    """(strategy, refcounts, extra pass) of each compilation."""
    every = [(strategy, "outline", None) for strategy in strategy_names()]
    return every + [("lazy-stub", "inline", None), ("lazy-stub", "inline-incref", None),
                    ("lazy-stub", "outline", "specialize-float")]


def fingerprint(compiled) -> str:
    emitted = compiled.emitted
    code = emitted.code
    digest = hashlib.sha256(code.data)
    for part in (code.relocs, sorted(code.labels.items()), code.sizes, code.regions,
                 sorted(code.literals), sorted(emitted.releases.items()), sorted(emitted.symbols),
                 [offset for offset, _ in emitted.pieces], sorted(emitted.pc_map)):
        digest.update(repr(part).encode())
    return digest.hexdigest()[:16]


def outcome(function, options, placement) -> str:
    try:
        return fingerprint(compiler.compile_function(function, options=options,
                                                     placement=placement))
    except CompileRefused as exc:
        return "refused " + exc.reason[:60]
    except Exception as exc:  # noqa: BLE001 - a compiler bug is a line of the output
        return f"error {type(exc).__name__}: {str(exc)[:60]}"


def fingerprints() -> list[str]:
    placement = engine_placement()
    base = compile_options()
    functions = corpus()
    lines = []
    for k, (name, function) in enumerate(functions):
        if k % 100 == 0:
            print(f"code_fingerprints: {k}/{len(functions)} functions", file=sys.stderr)
        for strategy, refcounts, extra in variants():
            options = base.with_(strategy=strategy, refcounts=refcounts)
            if extra:
                options = options.with_(passes=DEFAULT_PIPELINE[:-1] + (extra, DEFAULT_PIPELINE[-1]))
            lines.append(f"{name} {strategy} {refcounts} {extra} "
                         f"{outcome(function, options, placement)}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("out", help="file to write the fingerprints to")
    parser.add_argument("--compare", metavar="BEFORE", help="fingerprints to compare with")
    args = parser.parse_args(argv)
    lines = fingerprints()
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    refused = sum(" refused " in line for line in lines)
    errors = sum(" error " in line for line in lines)
    print(f"{len(lines)} compilations: {refused} refused, {errors} errors; written to {args.out}")
    if args.compare is None:
        return 0
    with open(args.compare) as f:
        before = f.read().splitlines()
    if len(before) != len(lines):
        print(f"{args.compare} has {len(before)} lines, this run {len(lines)}: not the same corpus")
        return 1
    differ = [(old, new) for old, new in zip(before, lines) if old != new]
    for old, new in differ[:20]:
        print(f"- {old}\n+ {new}")
    print(f"{len(differ)} of {len(lines)} differ from {args.compare}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
