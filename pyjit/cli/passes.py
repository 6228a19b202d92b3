"""`--passes` and `--disable-pass`: the HIR passes of the commands that
compile (size, dump, run, compare, ab).

    passes.add_arguments(parser)        in a subcommand's setup
    passes.apply(args)                  first thing in its run

The choice is handed down as PYJIT_PASSES (pyjit/environment.py), the
variable every compile of the command reads its options from, so that it
also reaches the child processes some commands start (`ab --fresh`,
`compare --python`).  `--passes` replaces the pipeline PYJIT_PASSES or the
default gives; `--disable-pass` takes passes out of it.  An unknown name is
refused by argparse: one line naming it and the known passes, exit status 2.
"""

from __future__ import annotations

import argparse
import os

from .helpformat import DEFAULT_PASSES, PASSES


def _names(text: str) -> list[str]:
    from ..hir.passes import PASSES as registry
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"{text!r} names no pass; the passes are "
                                         f"{', '.join(sorted(registry))}")
    for name in names:
        if name not in registry:
            raise argparse.ArgumentTypeError(f"unknown pass {name!r}; the passes are "
                                             f"{', '.join(sorted(registry))}")
    return names


def pass_names(text: str) -> list[str]:
    """An argparse type: comma-separated registered pass names."""
    return _names(text)


pass_names.__name__ = "pass list"


def pass_list(text: str) -> str:
    """An argparse type: a pass list as PYJIT_PASSES writes it (NAME,... or
    -NAME,...), checked against the registry; the text itself."""
    from ..environment import pass_list as parse
    from ..options import OptionError
    try:
        passes, disabled = parse(text, "pass list")
    except OptionError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("pass list: ")) from None
    if passes is None and not disabled:
        raise argparse.ArgumentTypeError(f"{text!r} names no pass")
    return text


pass_list.__name__ = "pass list"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--passes", type=pass_names, default=None, metavar="P1,P2,...",
                        help="the HIR passes to run, in order, instead of the default "
                             f"pipeline ({DEFAULT_PASSES}); the passes: {PASSES}")
    parser.add_argument("--disable-pass", type=pass_names, action="append", default=[],
                        metavar="NAME[,NAME...]",
                        help="take a pass out of the pipeline (repeatable); e.g. "
                             "--disable-pass refcount-held-operands")


def apply(args: argparse.Namespace) -> None:
    """Hand the arguments down as PYJIT_PASSES (nothing when neither is given)."""
    from ..environment import pass_list
    from ..options import format_passes

    disabled = {name for names in args.disable_pass for name in names}
    if args.passes is None and not disabled:
        return
    passes, env_disabled = pass_list(os.environ.get("PYJIT_PASSES") or "", "PYJIT_PASSES")
    if args.passes is not None:
        passes, env_disabled = tuple(args.passes), frozenset()
    os.environ["PYJIT_PASSES"] = format_passes(passes, env_disabled | disabled)
