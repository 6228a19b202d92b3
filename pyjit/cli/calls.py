"""`pyjit calls`: what each call-lowering strategy costs, byte by byte.

Compiles the call-sequence experiment (`pyjit.measure.call_sequences`) with
every strategy asked for and prints one table of sizes by section, with the
delta of each against a baseline strategy.
"""

from __future__ import annotations

import argparse
import json
import sys

from .arguments import whole_number

SUMMARY = "size of N call sites over K far targets under each call-lowering strategy"

DESCRIPTION = """\
Compile a function made only of call sites -- N sites cycling over K distinct
far targets, every M-th site cold (--cold-every) -- with each call-lowering
strategy, and print its size by section (code, literals, stubs, veneers,
padding) and the delta against the baseline strategy.  Targets are out of
`bl` reach unless --near-distance says where they are, so `near` pays for
veneers by default.

N and K go up to 100000 (2 MB of `direct` calls: the cost per site is
constant long before).  exit status: 0, or 2 for a bad count, distance or
strategy.

examples:
  pyjit calls --sites 200 --targets 1
  pyjit calls --sites 8 --targets 3 --cold-every 4 --listing --strategies stub
  pyjit calls --sites 64 --targets 2 --json
"""

_COLUMNS = ("code", "literals", "stubs", "veneers", "padding", "total")


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sites", type=whole_number(0), default=200, metavar="N",
                        help="call sites N (default 200, at most 100000)")
    parser.add_argument("--targets", type=whole_number(1), default=1, metavar="K",
                        help="distinct targets K (default 1, at most 100000)")
    parser.add_argument("--cold-every", type=whole_number(0), default=0, metavar="M",
                        help="every M-th site is cold (default 0: all hot)")
    parser.add_argument("--strategies", default=None, metavar="S1,S2,...",
                        help="comma-separated strategies among {STRATEGIES} (default: all "
                             "of them)")
    parser.add_argument("--baseline", default="direct", metavar="NAME",
                        help="the strategy deltas are against (default direct)")
    parser.add_argument("--near-distance", type=_size, default=None, metavar="BYTES",
                        help="place targets this far after the code (e.g. 64M: a multiple of "
                             "4 up to 4G) so `near` can use bl")
    parser.add_argument("--listing", action="store_true", help="print each strategy's annotated listing")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from ..aarch64.calls import CodePlacement, strategy_names
    from ..aarch64.listing import listing
    from ..measure.call_sequences import CallSequence, compile_call_sequence

    names = ([n.strip() for n in args.strategies.split(",")] if args.strategies is not None
             else strategy_names())
    unknown = [n for n in names + [args.baseline] if n not in strategy_names()]
    if unknown:
        print(f"pyjit calls: error: unknown strategy {unknown[0]!r}; known: "
              f"{', '.join(strategy_names())}", file=sys.stderr)
        return 2
    try:
        seq = CallSequence(args.sites, args.targets, args.cold_every)
    except ValueError as exc:
        print(f"pyjit calls: error: {exc}", file=sys.stderr)
        return 2
    placement = address_of = None
    if args.near_distance is not None:
        base = 0x4000_0000
        placement = CodePlacement(base, base + (16 << 20))
        address_of = lambda k: base + args.near_distance + 16 * k  # noqa: E731

    compiled = {n: compile_call_sequence(n, seq, address_of=address_of, placement=placement)
                for n in dict.fromkeys(names + [args.baseline])}
    if args.json:
        print(json.dumps({"sites": seq.n_sites, "targets": seq.n_targets,
                          "cold_every": seq.cold_every,
                          "sizes": {n: _sizes(compiled[n]) for n in names}}, indent=2))
        return 0
    print(f"{seq.n_sites} call sites over {seq.n_targets} target(s)"
          + (f", one site in {seq.cold_every} cold" if seq.cold_every else "")
          + "; frame 16 bytes included; bytes")
    base_total = compiled[args.baseline].sizes["total"]
    header = f"{'strategy':<12}" + "".join(f"{c:>10}" for c in _COLUMNS) + f"  vs {args.baseline}"
    print(header)
    print("-" * len(header))
    for n in names:
        sizes = _sizes(compiled[n])
        delta = (sizes["total"] - base_total) / base_total * 100 if base_total else 0.0
        print(f"{n:<12}" + "".join(f"{sizes[c]:>10}" for c in _COLUMNS) + f"  {delta:+7.1f}%")
    if args.listing:
        for n in names:
            print()
            print(listing(compiled[n], name=f"{n}"), end="")
    return 0


def _sizes(code) -> dict[str, int]:
    return {c: code.sizes.get(c, 0) for c in _COLUMNS}


_MAX_DISTANCE = 4 << 30     # far past bl's 128 MiB: every larger distance is the same


def _size(text: str) -> int:
    """A distance in bytes (4096, 0x1000, 64K, 64M, 1G): a multiple of 4
    (a bl target is word-aligned) from 0 to 4G."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower()
    try:
        if len(t) > 30:
            raise ValueError
        value = int(t[:-1]) * units[t[-1]] if t and t[-1] in units else int(t, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a size (e.g. 4096, 64M)") \
            from None
    if not 0 <= value <= _MAX_DISTANCE or value % 4:
        raise argparse.ArgumentTypeError(f"{text} is not a multiple of 4 from 0 to 4G (bl "
                                         "targets are word-aligned)")
    return value
