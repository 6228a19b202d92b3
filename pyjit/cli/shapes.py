"""`pyjit shapes`: the canonical shapes a TARGET can name.

One row per shape of `pyjit.shapes.SHAPES`: how to spell it, the call its
expected value is for (`f(9.0)`, `f(1000)`), that value for an example count,
and the shape's summary.
"""

from __future__ import annotations

import argparse
import json

from ..shapes import MAX_COUNT
from .arguments import whole_number

SUMMARY = "list the canonical shapes with their expected values"

DESCRIPTION = """\
List the canonical shapes (pyjit/shapes.py): generated Python functions that
size tests assert on, usable as the TARGET of `pyjit size`, `pyjit dump` and
`pyjit run-shape`.  A shape spelled NAME:N takes a count (how many times its
body is repeated); the expected value is shown for N = --count.

examples:
  pyjit shapes
  pyjit shapes --count 64
  pyjit shapes --json
"""


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--count", type=whole_number(1, MAX_COUNT), default=200, metavar="N",
                        help=f"the count the example and its expected value use (default "
                             f"200, at most {MAX_COUNT})")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    rows = shape_rows(args.count)
    if args.json:
        print(json.dumps({"shapes": rows}, indent=2))
        return 0
    columns = ("shape", "example", "call", "expected", "summary")
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns[:-1]}
    header = "  ".join(f"{c:<{widths[c]}}" for c in columns[:-1]) + "  summary"
    print(header)
    print("-" * len(header))
    for r in rows:
        print("  ".join(f"{str(r[c]):<{widths[c]}}" for c in columns[:-1]) + f"  {r['summary']}")
    return 0


def shape_rows(count: int) -> list[dict]:
    """One dict per shape: shape (its spelling), example (a spec), call,
    expected (the value of that call for the example), summary."""
    from ..shapes import SHAPES

    rows = []
    for shape in SHAPES.values():
        takes_count = shape.default_n is None
        n = count if takes_count else shape.default_n
        args = shape.sample_args(n)
        rows.append({
            "shape": f"{shape.name}:N" if takes_count else shape.name,
            "example": f"{shape.name}:{n}" if takes_count else shape.name,
            "call": f"f({', '.join(map(repr, args))})",
            "expected": shape.expected(n),
            "summary": shape.summary,
        })
    return rows
