"""Which cache sites miss, and on what: one call of a benchmark with every
function of its module compiled, under Unicorn.

Every call of a cache-fill helper (load_global_fill, load_attr_fill,
store_attr_fill, load_method_fill) is a miss of a shared routine's hot
path, a trap and a lookup in Python.  This script wraps the engine's
invokers of those helpers and counts their calls by (helper, type of the
object, name), so that a researcher sees which attribute or global keeps
missing and why it might (a materialized dict, a builtin behind a
changing module dict, a bound method made per load).

    python benchmarks/cache_misses.py BENCH [--top 12] [--set NAME=INT ...]
        [-- BENCH_ARGS...]

--set changes an int global of the benchmark's module before the call
(go has no size option: `--set GAMES=3`).  The benchmark's own options
follow `--`.

examples:
    python benchmarks/cache_misses.py go --set GAMES=3
    python benchmarks/cache_misses.py chaos -- --iterations 20 --width 16 --height 16
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _ctypes  # noqa: E402

import pyjit.jit as jit  # noqa: E402
from pyjit.bench.loader import load_benchmark  # noqa: E402
from pyjit.bench.runner import DEFAULT_TIMEOUT, select  # noqa: E402
from pyjit.cpython.cells import cell_at  # noqa: E402
from pyjit.runtime import UnicornEngine  # noqa: E402
from pyjit.runtime.traps import X_ARGS  # noqa: E402
from pyjit.target import module_functions  # noqa: E402

FILLS = ("load_global_fill", "load_attr_fill", "store_attr_fill", "load_method_fill")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Count the cache misses of one benchmark call by helper, type and name.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("examples:")[1])
    parser.add_argument("bench", help="a pyperformance benchmark name (richards, go...)")
    parser.add_argument("--top", type=int, default=12, help="rows per helper (default 12)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=INT",
                        help="set an int global of the benchmark module before the call")
    parser.add_argument("bench_args", nargs="*", help="the benchmark's own options, after --")
    args = parser.parse_args(argv)
    for item in args.set:
        name, _, value = item.partition("=")
        if not name or not value.lstrip("-").isdigit():
            parser.error(f"--set needs NAME=INT, not {item!r}")
    return args


def counting(table, seen) -> None:
    """Wrap the fill helpers' invokers of a trap table to count calls."""
    def wrap(name, invoke):
        def counted(X, S, D):
            cell = cell_at(X[X_ARGS])
            if name == "load_global_fill":
                key = ("-", cell.name)
            else:
                key = (type(_ctypes.PyObj_FromPtr(X[X_ARGS + 1])).__qualname__, cell.name)
            seen[name][key] += 1
            return invoke(X, S, D)
        return counted
    for k, helper in enumerate(table.helpers):
        if helper.name in FILLS:
            table.invokers[k] = wrap(helper.name, table.invokers[k])


def main(argv=None) -> int:
    args = parse_args(argv)
    engine = UnicornEngine(timeout=DEFAULT_TIMEOUT)
    jit.set_engine(engine)
    loaded = load_benchmark(args.bench, args.bench_args)
    module = loaded.module
    for item in args.set:
        name, _, value = item.partition("=")
        if not isinstance(getattr(module, name, None), int):
            print(f"cache_misses: {args.bench} has no int global {name!r}", file=sys.stderr)
            return 2
        setattr(module, name, int(value))
    functions = select(module_functions(module), module.__name__, ["*"])
    compiled = sum(bool(jit.force_compile(f)) for f in functions)
    print(f"cache_misses: {compiled} of {len(functions)} functions of {module.__name__} compiled; "
          "calling once", file=sys.stderr)
    seen = collections.defaultdict(collections.Counter)
    counting(engine.traps, seen)
    registered = loaded.registered[0]
    registered.func(*registered.args)
    for name in FILLS:
        counts = seen.get(name)
        total = sum(counts.values()) if counts else 0
        print(f"{name}: {total:,}")
        for (type_name, attr), n in (counts.most_common(args.top) if counts else ()):
            print(f"  {n:>10,}  {type_name:<24} {attr}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
