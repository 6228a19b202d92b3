"""Bad input to every subcommand: one line on stderr naming the bad value
(and the accepted ones), exit status 2, never a traceback -- and absurd
sizes are refused before anything is built.  Also what the help texts say
(the registered strategies, from the registry) and where MODULE:QUALNAME
looks (the current directory first), and `pyjit run` saying plainly that
nothing was compiled.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import pyjit.jit as jit
from pyjit.aarch64.calls import DEFAULT_STRATEGY, strategy_names
from pyjit.aarch64.calls import base as calls_base
from pyjit.cli import SUBCOMMANDS, main

ROOT = Path(__file__).parents[2]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:          # argparse refusing an argument
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_refused(capsys, argv, *fragments: str) -> str:
    """argv exits 2 with one line on stderr (after argparse's usage, for an
    argument argparse refuses) containing every fragment, nothing on stdout."""
    status, out, err = run_cli(capsys, *argv)
    assert status == 2, (argv, out, err)
    assert out == "", (argv, out)
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"pyjit {argv[0]}: error: "), (argv, err)
    for fragment in fragments:
        assert fragment in last, (argv, last)
    return last


@pytest.fixture
def files(tmp_path):
    """A directory of bad inputs."""
    (tmp_path / "latin1.s").write_bytes(b"add x0, x1, #1 // caf\xe9\n")
    (tmp_path / "latin1.py").write_bytes(b"def f(x):\n    return 'caf\xe9'\n")
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(3)\n")
    (tmp_path / "adir").mkdir()
    (tmp_path / "nomain.py").write_text("def f(x):\n    return x\n")
    (tmp_path / "nul.py").write_bytes(b"def f(x):\n    return x\n\x00\n")
    return tmp_path


# -- asm ----------------------------------------------------------------------------------

def test_asm_bad_files(capsys, files, monkeypatch):
    assert_refused(capsys, ["asm", str(files / "latin1.s")], "latin1.s", "not UTF-8 text",
                   "0xe9", "line 1")
    assert_refused(capsys, ["asm", str(files / "adir")], "is a directory")
    assert_refused(capsys, ["asm", str(files / "missing.s")], "missing.s",
                   "No such file or directory")
    ok = files / "ok.s"
    ok.write_text("ret\n")
    assert_refused(capsys, ["asm", str(ok), "-o", str(files / "adir")], "is a directory")
    assert_refused(capsys, ["asm", str(ok), "-o", str(files / "no" / "x.bin")],
                   "no directory")


def test_asm_unreadable_file(capsys, files, monkeypatch):
    # Root reads anything: make open() refuse instead.
    import builtins
    real_open = builtins.open
    secret = str(files / "secret.s")

    def refusing_open(path, *args, **kwargs):
        if path == secret:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    assert_refused(capsys, ["asm", secret], "cannot read", "Permission denied")


def test_asm_stdin_not_utf8(capsys, monkeypatch):
    import io

    class Stdin(io.TextIOWrapper):
        pass

    monkeypatch.setattr(sys, "stdin", Stdin(io.BytesIO(b"ret\n\xff\n")))
    assert_refused(capsys, ["asm"], "standard input", "not UTF-8", "line 2")


# -- shapes and sizes: refused before anything is built ---------------------------------------

@pytest.mark.parametrize("argv, fragments", [
    (["size", "sqrt:99999999999"], ["at most 10000", "99999999999"]),
    (["size", "sqrtpow:10001"], ["at most 10000"]),
    (["size", "sqrt:" + "9" * 40], ["needs a count from 1 to 10000"]),
    (["size", "sqrt:0"], ["at least 1"]),
    (["size", "sqrt:-5"], ["from 1 to 10000"]),
    (["size", "sqrt:1_0"], ["from 1 to 10000"]),
    (["size", "sqrt:+3"], ["from 1 to 10000"]),
    (["size", "sqrt:1 "], ["from 1 to 10000"]),
    (["size", "loop:3"], ["takes no count"]),
    (["dump", "sqrt:99999999999"], ["at most 10000"]),
    (["run-shape", "sqrt:99999999999"], ["at most 10000"]),
    (["compare", "--targets", "sqrt:99999999999"], ["at most 10000"]),
    (["report", "sqrt:99999999999"], ["at most 10000"]),
    (["ab", "sqrt:99999999999", "--a", "mode=jit", "--b", "mode=jit"], ["at most 10000"]),
    (["shapes", "--count", "99999999999"], ["out of range", "from 1 to 10000"]),
    (["shapes", "--count", "0"], ["out of range"]),
    (["shapes", "--count", "many"], ["'many' is not a whole number"]),
    (["calls", "--sites", "99999999999"], ["99999999999 sites", "from 0 to 100000"]),
    (["calls", "--targets", "99999999"], ["from 1 to 100000"]),
    (["calls", "--sites", "-1"], ["out of range"]),
    (["calls", "--targets", "0"], ["out of range"]),
    (["calls", "--cold-every", "x"], ["'x' is not a whole number"]),
    (["calls", "--strategies", ""], ["unknown strategy ''"]),
    (["calls", "--near-distance", "6"], ["multiple of 4"]),
    (["calls", "--near-distance", "-4"], ["multiple of 4"]),
    (["calls", "--near-distance", "64T"], ["is not a size"]),
    (["calls", "--near-distance", "8G"], ["from 0 to 4G"]),
])
def test_absurd_and_bad_counts_are_refused_at_once(capsys, argv, fragments):
    start = time.perf_counter()
    assert_refused(capsys, argv, *fragments)
    assert time.perf_counter() - start < 5          # nothing was built


# -- strategies -------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["size", "sqrt:1", "--strategy", "nope"],
    ["dump", "sqrt:1", "--strategy", "nope"],
    ["run-shape", "sqrt:1", "--strategy", "nope"],
    ["report", "sqrt:1", "--strategy", "nope"],
    ["compare", "--targets", "sqrt:1", "--strategies", "direct,nope"],
    ["calls", "--strategies", "nope"],
    ["calls", "--baseline", "nope"],
    ["run", "richards", "--mode", "jitlist:__main__:*", "--strategy", "nope"],
    ["ab", "sqrt:1", "--a", "strategy=nope", "--b", "strategy=direct"],
])
def test_unknown_strategy_names_the_known_ones(capsys, argv):
    assert_refused(capsys, argv, "'nope'", *strategy_names())


@pytest.mark.parametrize("argv", [
    ["dump", "sqrt:1", "--strategy", "all"],
    ["run-shape", "sqrt:1", "--strategy", "all"],
    ["report", "sqrt:1", "--strategy", "all"],
    ["run", "richards", "--mode", "jitlist:*", "--strategy", "all"],
])
def test_all_where_one_strategy_is_taken(capsys, argv):
    assert_refused(capsys, argv, "one strategy")


# -- targets and benchmarks -------------------------------------------------------------------

def test_bad_targets(capsys, files):
    for command in ("size", "dump"):
        assert_refused(capsys, [command, f"{files / 'missing.py'}:f"], "no such file")
        assert_refused(capsys, [command, f"{files / 'adir'}{os.sep}:f"], "a directory")
        assert_refused(capsys, [command, f"{files / 'latin1.py'}:f"], "latin1.py",
                       "syntax error")
        assert_refused(capsys, [command, f"{files / 'exits.py'}:f"], "sys.exit(3)")
        assert "exits" not in sys.modules                # no half-run module left behind
        assert_refused(capsys, [command, "no_such_module_xyz:f"], "no module named",
                       "current directory")
        assert_refused(capsys, [command, "/dev/null:f"], "not a regular file")
        assert_refused(capsys, [command, f"{files / 'nul.py'}:f"], "nul.py: syntax error",
                       "null bytes")


@pytest.mark.parametrize("command", ["run", "report"])
def test_bad_benchmarks(capsys, files, command):
    pytest.importorskip("pyperformance")
    assert_refused(capsys, [command, "no_such_benchmark_xyz"], "no pyperformance benchmark",
                   "richards")
    assert_refused(capsys, [command, str(files / "adir")], "is a directory",
                   "run_benchmark.py")
    assert_refused(capsys, [command, str(files / "nomain.py")], "__main__")
    assert_refused(capsys, [command, str(files / "latin1.py")], "syntax error")


def test_unreadable_benchmark(capsys, files, monkeypatch):
    pytest.importorskip("pyperformance")
    import builtins
    real_open = builtins.open
    secret = str(files / "nomain.py")

    def refusing_open(path, *args, **kwargs):
        if path == secret:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    assert_refused(capsys, ["run", secret], "cannot read", "Permission denied")


def test_ab_names_the_unknown_benchmark_not_the_mode(capsys):
    pytest.importorskip("pyperformance")
    assert_refused(capsys, ["ab", "no_such_benchmark_xyz", "--a", "mode=jit", "--b",
                            "mode=jit"], "no pyperformance benchmark named")


def test_compare_and_report_bad_arguments(capsys, files):
    assert_refused(capsys, ["compare", "--targets", "sqrt:1", "--plot", str(files / "adir")],
                   "is a directory")
    assert_refused(capsys, ["compare", "--targets", "sqrt:1", "--baseline", ""],
                   "the baseline '' is not one of the strategies")
    assert_refused(capsys, ["compare", "--targets", "sqrt:1", "--strategies", ""],
                   "empty strategy")
    assert_refused(capsys, ["report", "sqrt:1", "--top", "0"], "out of range")
    assert_refused(capsys, ["report", "sqrt:1", "--top", "ten"], "not a whole number")


# -- pyjit run ----------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, fragments", [
    (["--loops", "0"], ["--loops", "out of range"]),
    (["--loops", "x"], ["not a whole number"]),
    (["--leak-iterations", "-1"], ["--leak-iterations", "out of range"]),
    (["--timeout", "0"], ["--timeout", "above 0"]),
    (["--timeout", "nan"], ["above 0"]),
    (["--mode", "bogus"], ["bad mode 'bogus'", "nojit, jitlist:PATTERN"]),
    (["--mode", ""], ["bad mode ''"]),
    (["--mode", "autojit:0"], ["autojit needs a call count"]),
    (["--strategy", "stub"], ["--strategy means nothing in mode nojit", "jitlist"]),
    (["--counts"], ["--counts means nothing in mode nojit"]),
    (["--engine", "native"], ["--engine means nothing in mode nojit"]),
    (["--mode", "jitlist:*", "--bench-args", "'--x"], ["--bench-args", "No closing quotation"]),
])
def test_run_bad_arguments(capsys, argv, fragments):
    pytest.importorskip("pyperformance")
    assert_refused(capsys, ["run", "richards", *argv], *fragments)


def test_run_bad_jitlist_files(capsys, files):
    pytest.importorskip("pyperformance")
    (files / "latin1.list").write_bytes(b"__main__:caf\xe9\n")
    assert_refused(capsys, ["run", "richards", "--mode", f"jitlist:@{files / 'latin1.list'}"],
                   "latin1.list", "is not UTF-8 text")
    assert_refused(capsys, ["run", "richards", "--mode", f"jitlist:@{files / 'adir'}"],
                   "Is a directory")
    assert_refused(capsys, ["run", "richards", "--mode", f"jitlist:@{files / 'none.list'}"],
                   "none.list", "No such file")


def test_run_output_that_cannot_be_written_is_refused_first(capsys, files):
    pytest.importorskip("pyperformance")
    start = time.perf_counter()
    assert_refused(capsys, ["run", "richards", "-o", str(files / "adir")], "is a directory")
    assert time.perf_counter() - start < 5


def test_run_without_a_mode_says_nothing_was_compiled(capsys, tmp_path):
    pytest.importorskip("pyperformance")
    directory = tmp_path / "bm_tiny"
    directory.mkdir()
    (directory / "run_benchmark.py").write_text(textwrap.dedent("""\
        import pyperf

        def work():
            return sum(range(10))

        if __name__ == "__main__":
            pyperf.Runner().bench_func("tiny", work)
        """))
    status, out, _ = run_cli(capsys, "run", str(directory / "run_benchmark.py"),
                             "--leak-iterations", "0")
    assert status == 0
    assert ("nothing compiled: no --mode, PYJIT_AUTO or PYJIT_LIST_FILE, so the mode is nojit"
            in out)
    assert "jitlist:__main__:*" in out
    status, out, _ = run_cli(capsys, "run", str(directory / "run_benchmark.py"), "--mode",
                             "nojit", "--leak-iterations", "0")
    assert status == 0 and "nothing compiled: mode nojit" in out


# -- PYJIT_* variables --------------------------------------------------------------------------

BAD_ENVIRONMENT = [
    ("PYJIT_STRATEGY", "nope", "direct"),
    ("PYJIT_REFCOUNTS", "sometimes", "inline-incref"),
    ("PYJIT_CACHES", "maybe", "shared"),
    ("PYJIT_DIRECT_CALLS", "maybe", "shared"),
    ("PYJIT_ENGINE", "qemu", "unicorn, native"),
    ("PYJIT_PERF_MAP", "yes", "0, 1"),
    ("PYJIT_AUTO", "often", "whole number"),
    ("PYJIT_AUTO", "0", "whole number"),
    ("PYJIT_LIST_FILE", "/no/such/list", "not an existing file"),
    ("PYJIT_LOG", "/no/such/dir/log", "no directory"),
]

COMMANDS_READING_THE_ENVIRONMENT = [
    ["size", "sqrt:1"],
    ["dump", "sqrt:1", "--hir"],
    ["run-shape", "sqrt:1"],
    ["compare", "--targets", "sqrt:1", "--no-counts"],
    ["report", "sqrt:1"],
    ["ab", "sqrt:1", "--a", "mode=jit", "--b", "mode=jit", "--pairs", "2", "--warmups", "0"],
]


@pytest.fixture
def fresh_jit(monkeypatch):
    """The JIT as a new `pyjit` process has it: no engine made, PYJIT_LOG
    not read yet (both read the environment once)."""
    monkeypatch.setattr(jit, "_engine", None)
    monkeypatch.setattr(jit, "_log_from_environment", True)


@pytest.mark.parametrize("variable, value, accepted", BAD_ENVIRONMENT)
@pytest.mark.parametrize("argv", COMMANDS_READING_THE_ENVIRONMENT, ids=lambda a: a[0])
def test_bad_environment_variable(capsys, monkeypatch, fresh_jit, variable, value, accepted,
                                  argv):
    monkeypatch.setenv(variable, value)
    assert_refused(capsys, argv, f"{variable}={value!r}", accepted)


@pytest.mark.parametrize("variable, value, accepted", BAD_ENVIRONMENT)
def test_bad_environment_variable_pyjit_run(capsys, monkeypatch, fresh_jit, variable, value,
                                            accepted):
    pytest.importorskip("pyperformance")
    monkeypatch.setenv(variable, value)
    assert_refused(capsys, ["run", "richards", "--mode", "jitlist:*", "--leak-iterations", "0"],
                   f"{variable}={value!r}", accepted)


def test_unopenable_log_in_a_fresh_process(tmp_path):
    # PYJIT_LOG is opened at the first compile, never at import: a file that
    # cannot be opened for appending is one line, not an import traceback.
    env = dict(os.environ, PYJIT_LOG="/proc/version", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "pyjit.cli", "run-shape", "sqrt:1"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == ("pyjit run-shape: error: PYJIT_LOG='/proc/version' cannot be "
                           "opened for appending: Invalid argument\n")


def test_keyboard_interrupt_is_one_line(capsys, monkeypatch):
    from pyjit.cli import shapes

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(shapes, "shape_rows", lambda count: interrupted(None))
    status, _, err = run_cli(capsys, "shapes")
    assert status == 130 and err == "pyjit shapes: interrupted\n"


# -- help texts name the registered strategies ----------------------------------------------

TAKES_A_STRATEGY = ["size", "dump", "run-shape", "run", "report", "compare", "calls", "ab"]


def help_text(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_every_subcommand_taking_a_strategy_is_listed():
    for name in TAKES_A_STRATEGY:
        assert name in SUBCOMMANDS


@pytest.mark.parametrize("argv", [[]] + [[name] for name in TAKES_A_STRATEGY],
                         ids=lambda a: a[0] if a else "pyjit")
def test_help_lists_the_registered_strategies(capsys, monkeypatch, argv):
    # A strategy registered now shows up: the list comes from the registry.
    class Extra(calls_base._REGISTRY["direct"]):
        name = "extra-for-help"

    monkeypatch.setitem(calls_base._REGISTRY, "extra-for-help", Extra)
    monkeypatch.setenv("COLUMNS", "1000")          # no wrapping (argparse breaks at hyphens)
    text = " ".join(help_text(capsys, *argv).split())
    for name in strategy_names():
        assert name in text, (argv, name)
    assert "{STRATEGIES}" not in text and "{DEFAULT_STRATEGY}" not in text
    if argv in ([], ["size"], ["dump"]):
        assert f"default {DEFAULT_STRATEGY}" in text


# -- MODULE:QUALNAME finds ./MODULE.py ------------------------------------------------------------

@pytest.mark.parametrize("on_path", [False, True], ids=["as-the-script", "as-python-m"])
def test_module_in_the_current_directory(capsys, tmp_path, monkeypatch, on_path):
    (tmp_path / "pyjit_cwd_module.py").write_text("def twice(x):\n    return 2 * x\n")
    monkeypatch.chdir(tmp_path)
    # The installed `pyjit` script has neither '' nor the directory on
    # sys.path; `python -m pyjit.cli` has the directory first.
    path = [p for p in sys.path if p not in ("", str(tmp_path), os.getcwd())]
    if on_path:
        path.insert(0, str(tmp_path))
    monkeypatch.setattr(sys, "path", list(path))
    monkeypatch.delitem(sys.modules, "pyjit_cwd_module", raising=False)
    status, out, err = run_cli(capsys, "size", "pyjit_cwd_module:twice")
    assert status == 0, err
    assert "pyjit_cwd_module:twice" in out
    assert sys.path == path                         # as it was
    sys.modules.pop("pyjit_cwd_module", None)
