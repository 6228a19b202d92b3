"""The `pyjit` command.

    pyjit <subcommand> [options]        (or: python -m pyjit.cli ...)

Each subcommand is one row of `SUBCOMMANDS`: its name, a one-line summary,
a `setup(parser)` that declares its arguments and a `run(args) -> int`
that does the work and returns the exit status.  A subcommand lives in a
module of its own in this package (`pyjit/cli/<name>.py`, `run-shape` in
`run_shape.py`) that imports its heavy dependencies inside `run`, so
`pyjit --help` stays fast whatever the subcommands need.  To add one, write
that module and add its row here.

Bad input -- a bad argument, target, file or PYJIT_* variable -- is one line
on stderr, `pyjit <subcommand>: error: ...`, naming the bad value and the
accepted ones, and exit status 2; never a traceback.  Argument types the
subcommands share are in arguments.py; help texts name the registered
call-lowering strategies through helpformat.py's markers.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from ..cpython.version import UnsupportedPython
from ..options import OptionError

from .. import __version__
from . import (ab, asm, calls, compare, cpython_tests, dump, report, run, run_shape, shapes,
               size, suite)
from .helpformat import DEFAULT_STRATEGY, STRATEGIES, HelpFormatter


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One `pyjit` subcommand; `description` is the long help text."""

    summary: str
    description: str
    setup: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _subcommand(module) -> Subcommand:
    """The row of a subcommand module (SUMMARY, DESCRIPTION, setup, run)."""
    return Subcommand(module.SUMMARY, module.DESCRIPTION, module.setup, module.run)


SUBCOMMANDS: dict[str, Subcommand] = {
    "asm": _subcommand(asm),
    "calls": _subcommand(calls),
    "size": _subcommand(size),
    "dump": _subcommand(dump),
    "shapes": _subcommand(shapes),
    "run-shape": _subcommand(run_shape),
    "run": _subcommand(run),
    "suite": _subcommand(suite),
    "cpython-tests": _subcommand(cpython_tests),
    "ab": _subcommand(ab),
    "compare": _subcommand(compare),
    "report": _subcommand(report),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `pyjit`, one sub-parser per SUBCOMMANDS row."""
    parser = argparse.ArgumentParser(
        prog="pyjit",
        description="pyjit: a CinderX-style AArch64 JIT backend in pure Python.",
        epilog=_EPILOG, formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"pyjit {__version__}")
    subparsers = parser.add_subparsers(dest="subcommand", metavar="<subcommand>")
    for name, sub in SUBCOMMANDS.items():
        sub_parser = subparsers.add_parser(
            name, help=sub.summary, description=sub.description,
            formatter_class=HelpFormatter)
        sub.setup(sub_parser)
        sub_parser.set_defaults(run=sub.run)
    return parser


_EPILOG = f"""\
call-lowering strategies (--strategy NAME, PYJIT_STRATEGY):
  {STRATEGIES}
  (default {DEFAULT_STRATEGY})

Bad arguments, targets, files or PYJIT_* values give one line on stderr and
exit status 2.  Run 'pyjit <subcommand> --help' for the options of a
subcommand.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run `pyjit` with `argv` (default: sys.argv[1:]); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.subcommand is None:
        parser.print_help(sys.stderr)
        return 2
    saved = os.environ.get("PYJIT_PASSES")    # --passes/--disable-pass hand theirs down
    try:
        return args.run(args)
    except (UnsupportedPython, OptionError) as exc:
        # This interpreter or a PYJIT_* variable: one sentence, no traceback.
        print(f"pyjit {args.subcommand}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"pyjit {args.subcommand}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`pyjit asm x.s | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    finally:
        if saved is None:
            os.environ.pop("PYJIT_PASSES", None)
        else:
            os.environ["PYJIT_PASSES"] = saved

