"""The help formatter of `pyjit`: help texts naming the registered strategies.

A description, epilog or argument help may contain `{STRATEGIES}` (the
registered call-lowering strategies, in `strategy_names()` order) and
`{DEFAULT_STRATEGY}`; they are filled in from the registry
(pyjit/aarch64/calls) when the help is printed, never from a list written
here, so a strategy dropped into that package shows up in every `--help`.
The registry is imported only then: building the parsers (every `pyjit`
run) stays free of the compiler.  Descriptions keep their line breaks
(argparse.RawDescriptionHelpFormatter).
"""

from __future__ import annotations

import argparse

STRATEGIES = "{STRATEGIES}"
DEFAULT_STRATEGY = "{DEFAULT_STRATEGY}"


def fill(text: str) -> str:
    """text with the strategy markers replaced by the registry's names."""
    if STRATEGIES not in text and DEFAULT_STRATEGY not in text:
        return text
    from ..aarch64.calls import DEFAULT_STRATEGY as default, strategy_names
    return text.replace(STRATEGIES, ", ".join(strategy_names())).replace(
        DEFAULT_STRATEGY, default)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """RawDescriptionHelpFormatter that fills in the strategy markers."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(fill(text))

    def _split_lines(self, text: str, width: int) -> list[str]:
        # An argument's help, expanded, on its way out.  (Not _expand_help:
        # 3.14's argparse calls that to validate each help as it is added.)
        return super()._split_lines(fill(text), width)
