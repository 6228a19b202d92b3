"""Argument types the subcommands share: whole numbers within bounds,
seconds, and files to write.

    parser.add_argument("--count", type=whole_number(1, MAX_COUNT), ...)
    parser.add_argument("-o", "--output", type=output_file, ...)

A bad value is refused by argparse with one line naming it and the accepted
range (`pyjit calls: error: argument --sites: 'x' is not a whole number (0 or
more)`), exit status 2.  Nothing heavy is imported here: `pyjit --help` builds every
parser.
"""

from __future__ import annotations

import argparse
import os
from typing import Callable


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type accepting a whole number from minimum to maximum
    (None: no maximum)."""

    def parse(text: str) -> int:
        try:
            value = int(text) if len(text) <= 30 else None
        except ValueError:
            value = None
        if value is None:
            raise argparse.ArgumentTypeError(f"{_shown(text)} is not a whole number "
                                             f"({_range(minimum, maximum)})")
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"{value} is out of range: "
                                             f"{_range(minimum, maximum)}")
        return value

    parse.__name__ = "whole number"      # argparse names the type in some messages
    return parse


def seconds(text: str) -> float:
    """A number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not value > 0:
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a number of seconds above 0")
    return value


def output_file(text: str) -> str:
    """A path a command may write: not a directory, in a directory that
    exists (checked before the work, not after it)."""
    directory = os.path.dirname(text) or "."
    if os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{_shown(text)} is a directory, not a file")
    if not os.path.isdir(directory):
        raise argparse.ArgumentTypeError(f"cannot write {_shown(text)}: there is no "
                                         f"directory {_shown(directory)}")
    return text


def _range(minimum: int, maximum: int | None) -> str:
    if maximum is None:
        return f"{minimum} or more"
    return f"from {minimum} to {maximum}"


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")
