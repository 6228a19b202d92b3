"""The help formatter of `pyjit`: help texts naming the registered strategies.

A description, epilog or argument help may contain `{STRATEGIES}` (the
registered call-lowering strategies, in `strategy_names()` order),
`{DEFAULT_STRATEGY}`, `{PASSES}` (the registered HIR passes),
`{DEFAULT_PASSES}` (the default pipeline) and `{PASS_TABLE}` (a line per
pass with its summary); they are filled in from the registry
(pyjit/aarch64/calls) when the help is printed, never from a list written
here, so a strategy dropped into that package shows up in every `--help`.
The registry is imported only then: building the parsers (every `pyjit`
run) stays free of the compiler.  Descriptions keep their line breaks
(argparse.RawDescriptionHelpFormatter).
"""

from __future__ import annotations

import argparse
import textwrap

STRATEGIES = "{STRATEGIES}"
DEFAULT_STRATEGY = "{DEFAULT_STRATEGY}"
PASSES = "{PASSES}"
DEFAULT_PASSES = "{DEFAULT_PASSES}"
PASS_TABLE = "{PASS_TABLE}"


def fill(text: str) -> str:
    """text with the strategy and pass markers replaced by the registries'
    names."""
    if STRATEGIES in text or DEFAULT_STRATEGY in text:
        from ..aarch64.calls import DEFAULT_STRATEGY as default, strategy_names
        text = text.replace(STRATEGIES, ", ".join(strategy_names())).replace(
            DEFAULT_STRATEGY, default)
    if PASSES in text or DEFAULT_PASSES in text or PASS_TABLE in text:
        from ..hir.passes import DEFAULT_PIPELINE, PASSES as registry
        table = "\n".join(f"  {name:<24}{cls.summary}" for name, cls in sorted(registry.items()))
        table += "\n" + textwrap.fill(", ".join(DEFAULT_PIPELINE), 78,
                                      initial_indent="  the default pipeline: ",
                                      subsequent_indent=" " * 4)
        text = text.replace(PASSES, ", ".join(sorted(registry))).replace(
            DEFAULT_PASSES, ",".join(DEFAULT_PIPELINE)).replace(PASS_TABLE, table)
    return text


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """RawDescriptionHelpFormatter that fills in the strategy markers."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(fill(text))

    def _split_lines(self, text: str, width: int) -> list[str]:
        # An argument's help, expanded, on its way out.  (Not _expand_help:
        # 3.14's argparse calls that to validate each help as it is added.)
        # Not at hyphens either: pass and strategy names stay whole.
        text = self._whitespace_matcher.sub(" ", fill(text)).strip()
        return textwrap.wrap(text, width, break_on_hyphens=False)
