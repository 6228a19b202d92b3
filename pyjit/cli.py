"""The `pyjit` command.

    pyjit <subcommand> [options]        (or: python -m pyjit.cli ...)

Each subcommand is one row of `SUBCOMMANDS`: its name, a one-line summary,
a `setup(parser)` that declares its arguments and a `run(args) -> int`
that does the work and returns the exit status.  A subcommand lives in a
module of its own (`cli_<name>.py`) that imports its heavy dependencies
inside `run`, so `pyjit --help` stays fast whatever the subcommands need.
To add one, write that module and add its row here.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from . import (__version__, cli_ab, cli_asm, cli_calls, cli_compare, cli_dump, cli_report,
               cli_run, cli_run_shape, cli_shapes, cli_size)


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One `pyjit` subcommand; `description` is the long help text."""

    summary: str
    description: str
    setup: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


SUBCOMMANDS: dict[str, Subcommand] = {
    "asm": Subcommand(cli_asm.SUMMARY, cli_asm.DESCRIPTION, cli_asm.setup, cli_asm.run),
    "calls": Subcommand(cli_calls.SUMMARY, cli_calls.DESCRIPTION, cli_calls.setup, cli_calls.run),
    "size": Subcommand(cli_size.SUMMARY, cli_size.DESCRIPTION, cli_size.setup, cli_size.run),
    "dump": Subcommand(cli_dump.SUMMARY, cli_dump.DESCRIPTION, cli_dump.setup, cli_dump.run),
    "shapes": Subcommand(cli_shapes.SUMMARY, cli_shapes.DESCRIPTION, cli_shapes.setup,
                         cli_shapes.run),
    "run-shape": Subcommand(cli_run_shape.SUMMARY, cli_run_shape.DESCRIPTION,
                            cli_run_shape.setup, cli_run_shape.run),
    "run": Subcommand(cli_run.SUMMARY, cli_run.DESCRIPTION, cli_run.setup, cli_run.run),
    "ab": Subcommand(cli_ab.SUMMARY, cli_ab.DESCRIPTION, cli_ab.setup, cli_ab.run),
    "compare": Subcommand(cli_compare.SUMMARY, cli_compare.DESCRIPTION, cli_compare.setup,
                          cli_compare.run),
    "report": Subcommand(cli_report.SUMMARY, cli_report.DESCRIPTION, cli_report.setup,
                         cli_report.run),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `pyjit`, one sub-parser per SUBCOMMANDS row."""
    parser = argparse.ArgumentParser(
        prog="pyjit",
        description="pyjit: a CinderX-style AArch64 JIT backend in pure Python.",
        epilog="Run 'pyjit <subcommand> --help' for the options of a subcommand.")
    parser.add_argument("--version", action="version", version=f"pyjit {__version__}")
    subparsers = parser.add_subparsers(dest="subcommand", metavar="<subcommand>")
    for name, sub in SUBCOMMANDS.items():
        sub_parser = subparsers.add_parser(
            name, help=sub.summary, description=sub.description,
            formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.setup(sub_parser)
        sub_parser.set_defaults(run=sub.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `pyjit` with `argv` (default: sys.argv[1:]); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.subcommand is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except BrokenPipeError:
        # The reader went away (`pyjit asm x.s | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
