"""The pass toggles on the command line: `--passes` and `--disable-pass` on
size, dump, run, compare and ab, `passes=` in an ab configuration, and
PYJIT_PASSES; unknown names are one line and exit status 2."""

from __future__ import annotations

import json
import os

import pytest

from pyjit.cli import build_parser, main
from pyjit.compiler import compile_function
from pyjit.environment import compile_options
from pyjit.hir.passes import DEFAULT_PIPELINE, PASSES
from pyjit.measure.ab import SetupError, parse_config
from pyjit.options import CompileOptions, OptionError, format_passes, parse_passes
from pyjit.shapes import make_shape

COMMANDS = ["size", "dump", "run", "compare", "ab"]


def size_json(capsys, *argv) -> int:
    assert main(["size", "sqrt:2", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)["functions"][0]["total"]


def test_disable_pass_changes_the_size(capsys):
    default = size_json(capsys)
    without = size_json(capsys, "--disable-pass", "refcount-held-operands")
    assert default == compile_function(make_shape("sqrt:2"), options=CompileOptions()).size
    assert without > default
    assert without == compile_function(make_shape("sqrt:2"), options=CompileOptions(
        disabled_passes=frozenset({"refcount-held-operands"}))).size


def test_passes_replaces_the_pipeline(capsys):
    assert main(["dump", "sqrt:1", "--hir", "--passes", "refcount-insertion"]) == 0
    out = capsys.readouterr().out
    assert "--- HIR (after passes: refcount-insertion)" in out
    assert main(["dump", "sqrt:1", "--hir", "--disable-pass", "refcount-immortal,dce"]) == 0
    out = capsys.readouterr().out
    shown = [p for p in DEFAULT_PIPELINE if p not in ("refcount-immortal", "dce")]
    assert f"--- HIR (after passes: {', '.join(shown)})" in out


def test_the_variable_and_the_option_agree(capsys, monkeypatch):
    by_option = size_json(capsys, "--disable-pass", "refcount-held-operands")
    monkeypatch.setenv("PYJIT_PASSES", "-refcount-held-operands")
    assert size_json(capsys) == by_option
    assert compile_options().disabled_passes == {"refcount-held-operands"}


def test_the_command_leaves_the_environment_alone(capsys):
    before = os.environ.get("PYJIT_PASSES")
    size_json(capsys, "--disable-pass", "dce")
    assert os.environ.get("PYJIT_PASSES") == before


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_pass_is_one_line_and_status_2(command, capsys):
    argv = {"size": ["size", "sqrt:1"], "dump": ["dump", "sqrt:1"], "run": ["run", "richards"],
            "compare": ["compare", "--targets", "sqrt:1"],
            "ab": ["ab", "sqrt:1", "--a", "strategy=direct", "--b", "strategy=stub"]}[command]
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--disable-pass", "no-such-pass"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"pyjit {command}: error: argument --disable-pass: unknown pass "
                          "'no-such-pass'; the passes are dce, ")


def test_a_bad_variable_is_one_line_and_status_2(capsys, monkeypatch):
    monkeypatch.setenv("PYJIT_PASSES", "simplify,-bogus")
    assert main(["size", "sqrt:1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("pyjit size: error: PYJIT_PASSES: unknown pass 'bogus'; the passes are "
                   + ", ".join(sorted(PASSES)))
    with pytest.raises(OptionError):
        compile_options()


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_the_passes(command):
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    text = sub.format_help()
    assert "--disable-pass" in text and "--passes" in text
    for name in PASSES:
        assert name in text


def test_pass_list_syntax():
    assert parse_passes("a,b") == (("a", "b"), frozenset())
    assert parse_passes("-a, -b") == (None, frozenset({"a", "b"}))
    assert parse_passes("a,-b") == (("a",), frozenset({"b"}))
    assert parse_passes(format_passes(("a",), frozenset({"b", "c"}))) == \
        (("a",), frozenset({"b", "c"}))


def test_ab_configuration_takes_passes():
    config = parse_config("passes=-refcount-frame-values,-refcount-immortal", "sqrt:1")
    assert config.options().disabled_passes == {"refcount-frame-values", "refcount-immortal"}
    assert config.options().pipeline(DEFAULT_PIPELINE) == tuple(
        p for p in DEFAULT_PIPELINE if p not in ("refcount-frame-values", "refcount-immortal"))
    with pytest.raises(SetupError, match="unknown pass 'nope'"):
        parse_config("passes=-nope", "sqrt:1")
    with pytest.raises(SetupError, match="mode=nojit runs no compiled code"):
        parse_config("mode=nojit,passes=dce", "sqrt:1")


def test_compare_pass_variants_are_columns(capsys):
    """The toggle experiment: one column per strategy and pass variant,
    deltas against the first; sizes are the compiler's."""
    assert main(["compare", "--targets", "sqrt:2", "--strategies", "lazy-stub", "--no-counts",
                 "--pass-variant=-refcount-held-operands", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["strategies"] == ["lazy-stub", "lazy-stub -refcount-held-operands"]
    assert result["baseline"] == "lazy-stub"
    cells = result["targets"][0]["cells"]
    without = CompileOptions(disabled_passes=frozenset({"refcount-held-operands"}))
    shape = make_shape("sqrt:2")
    assert cells["lazy-stub"]["sizes"]["total"] == compile_function(shape).size
    total = cells["lazy-stub -refcount-held-operands"]["sizes"]["total"]
    assert total == compile_function(shape, options=without).size
    assert cells["lazy-stub -refcount-held-operands"]["delta"]["total"]["change"] == \
        total - compile_function(shape).size


def test_compare_pass_variant_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--targets", "sqrt:1", "--pass-variant=-bogus"])
    assert exit_info.value.code == 2
    assert "unknown pass 'bogus'" in capsys.readouterr().err
    assert main(["compare", "--targets", "sqrt:1", "--python", "3.11",
                 "--pass-variant=-dce"]) == 2
    assert "--pass-variant does not combine with --python" in capsys.readouterr().err
