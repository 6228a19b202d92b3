"""`pyjit ab`, run through `pyjit.cli.main` with its output captured, on
the smallest shape and on tiny benchmark files written here.

Times are never asserted: only that the reported statistics are those of
the reported samples, and that sizes are those pyjit.jit gives."""

from __future__ import annotations

import json
import os
import platform
import statistics
import textwrap

import pytest

import pyjit.jit as jit
from pyjit.bench.loader import load_benchmark
from pyjit.cli import main
from pyjit.measure.ab import SetupError, parse_config
from pyjit.shapes import make_shape

TINY_BENCH = """\
import pyperf

def work(n):
    s = 0
    for i in range(n):
        s += i * i
    return s

if __name__ == "__main__":
    pyperf.Runner().bench_func("tiny", work, 50)
"""

DRIFTING_BENCH = """\
import pyperf

calls = []

def work():
    calls.append(1)
    return len(calls)

if __name__ == "__main__":
    pyperf.Runner().bench_func("drifting", work)
"""


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["ab", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def ab_json(capsys, *argv: str) -> dict:
    status, out, err = run_cli(capsys, *argv, "--json")
    assert status == 0, err
    return json.loads(out)


def write_bench(tmp_path, name: str, source: str) -> str:
    directory = tmp_path / f"bm_{name}"
    directory.mkdir()
    path = directory / "run_benchmark.py"
    path.write_text(textwrap.dedent(source))
    return str(path)


def compiled_size(spec: str, strategy: str) -> int:
    func = make_shape(spec)
    assert jit.force_compile(func, strategy), jit.refusal_reason(func)
    try:
        return jit.get_compiled_size(func)
    finally:
        jit.force_uncompile(func)


def bench_size(path: str, strategy: str) -> int:
    """The size of the benchmark's `work` compiled directly."""
    func = load_benchmark(path).module.work
    assert jit.force_compile(func, strategy), jit.refusal_reason(func)
    try:
        return jit.get_compiled_size(func)
    finally:
        jit.force_uncompile(func)


def check_consistent(result: dict, pairs: int) -> None:
    """The statistics are those of the samples."""
    a, b, stats = result["a"]["samples"], result["b"]["samples"], result["stats"]
    assert len(a) == len(b) == pairs == result["pairs"] == stats["n"]
    assert all(x > 0 for x in a + b)
    assert stats["a_median"] == statistics.median(a)
    assert stats["b_median"] == statistics.median(b)
    assert stats["ratio"] == pytest.approx(stats["b_median"] / stats["a_median"])
    deltas = [(y - x) / x for x, y in zip(a, b)]
    assert stats["deltas"] == pytest.approx(deltas)
    assert stats["mean_delta"] == pytest.approx(statistics.fmean(deltas))
    assert stats["median_delta"] == pytest.approx(statistics.median(deltas))
    assert min(deltas) <= stats["trimmed_mean_delta"] <= max(deltas)
    assert stats["ci_low"] <= stats["ci_high"]
    assert stats["detected"] == (not stats["ci_low"] <= 0 <= stats["ci_high"])
    assert (stats["verdict"] == "no detectable difference at 95%") == (not stats["detected"])
    assert result["order"] == "alternating"
    assert result["first"] == ["AB" if i % 2 == 0 else "BA" for i in range(pairs)]
    assert set(stats["order_means"]) == set(result["first"])


def test_in_process_strategies_on_a_shape(capsys):
    result = ab_json(capsys, "sqrt:1", "--a", "strategy=direct", "--b", "strategy=lazy-stub",
                     "--pairs", "3", "--warmups", "1")
    check_consistent(result, 3)
    assert result["process"] == "in-process" and result["kind"] == "shape"
    assert (result["warmups"], result["loops"]) == (1, 1)
    assert result["a"]["config"] == {"text": "strategy=direct", "strategy": "direct",
                                     "mode": "jit", "engine": "unicorn", "passes": None}
    assert result["b"]["config"]["strategy"] == "lazy-stub"
    assert result["a"]["compiled"] == result["b"]["compiled"] == 1
    assert result["a"]["size"] == compiled_size("sqrt:1", "direct")
    assert result["b"]["size"] == compiled_size("sqrt:1", "lazy-stub")
    assert result["stats"]["resamples"] == 10_000 and result["stats"]["seed"] == 0


def test_text_output_and_progress(capsys):
    compiled_before = set(jit.get_compiled_functions())
    status, out, err = run_cli(capsys, "sqrt:1", "--a", "mode=nojit", "--b", "mode=jit",
                               "--pairs", "2", "--warmups", "0", "--loops", "2", "--seed", "3")
    assert status == 0, err
    assert "sqrt:1: in-process, 2 pairs after 0 warmups; a sample is the median of 2 calls" in out
    for label in ("A median", "B median", "B/A of medians", "mean delta", "median delta",
                  "trimmed mean", "95% CI", "mean delta by order", "verdict: "):
        assert label in out
    assert "mode=nojit (no code)" in out and "seed 3" in out
    assert "pyjit ab: pair 2/2 (BA)" in err
    assert set(jit.get_compiled_functions()) == compiled_before    # B uncompiled afterwards


def test_fresh_processes_on_a_shape(capsys):
    result = ab_json(capsys, "sqrt:1", "--a", "strategy=direct", "--b", "strategy=stub",
                     "--pairs", "2", "--warmups", "0", "--fresh")
    check_consistent(result, 2)
    assert result["process"] == "fresh"
    assert result["a"]["size"] == compiled_size("sqrt:1", "direct")
    assert result["b"]["size"] == compiled_size("sqrt:1", "stub")


def test_benchmark_modes_in_process(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PYJIT_STRATEGY", "stub")
    engine = jit._engine
    path = write_bench(tmp_path, "tiny", TINY_BENCH)
    result = ab_json(capsys, path, "--a", "mode=nojit",
                     "--b", "mode=autojit:1,strategy=direct", "--pairs", "2", "--warmups", "1")
    check_consistent(result, 2)
    assert result["kind"] == "benchmark"
    assert result["a"]["compiled"] == 0
    assert result["b"]["compiled"] == 1 and result["b"]["size"] > 0
    # autojit compiled with B's strategy; the JIT's settings are back.
    assert result["b"]["size"] == bench_size(path, "direct") != bench_size(path, "stub")
    assert os.environ["PYJIT_STRATEGY"] == "stub" and jit._engine is engine
    assert jit._auto_threshold is None
    listed = ab_json(capsys, path, "--a", "strategy=direct", "--b", "mode=jitlist:__main__:work",
                     "--pairs", "2", "--warmups", "0")
    assert listed["a"]["config"]["mode"] == "jitlist:__main__:*"
    assert listed["a"]["compiled"] == listed["b"]["compiled"] == 1


def test_a_wrong_result_fails_with_status_1(capsys, tmp_path):
    path = write_bench(tmp_path, "drifting", DRIFTING_BENCH)
    status, out, err = run_cli(capsys, path, "--a", "mode=nojit", "--b", "mode=nojit",
                               "--pairs", "2")
    assert status == 1 and out == ""
    assert "pyjit ab: error: mode=nojit: the call returned 2, expected 1" in err


@pytest.mark.parametrize("a, message", [
    ("strateg=direct", "unknown key 'strateg'"),
    ("strategy=nope", "unknown strategy 'nope'"),
    ("mode=jitlist:x", "bad mode 'jitlist:x' for a shape"),
    ("engine=jvm", "unknown engine 'jvm'"),
    ("strategy=direct,mode=nojit", "mode=nojit runs no compiled code"),
    ("strategy=direct,strategy=stub", "strategy is given twice"),
    ("strategy", "expected KEY=VALUE"),
    ("strategy=", "strategy has no value"),
])
def test_bad_configuration_exits_2(capsys, a, message):
    status, out, err = run_cli(capsys, "sqrt:1", "--a", a, "--b", "strategy=direct")
    assert status == 2 and out == ""
    assert message in err


@pytest.mark.parametrize("argv, message", [
    (["sqrt:0"], "the count must be at least 1"),
    (["no_such_benchmark_here"], "no pyperformance benchmark named"),
    (["sqrt:1", "--pairs", "1"], "--pairs must be at least 2"),
    (["sqrt:1", "--loops", "0"], "--loops must be at least 1"),
])
def test_bad_target_or_counts_exit_2(capsys, argv, message):
    status, _, err = run_cli(capsys, *argv, "--a", "mode=nojit", "--b", "mode=nojit")
    assert status == 2 and message in err


@pytest.mark.skipif(platform.machine() in ("aarch64", "arm64"), reason="native runs here")
def test_native_engine_elsewhere_exits_2(capsys):
    status, _, err = run_cli(capsys, "sqrt:1", "--a", "engine=native", "--b", "strategy=direct",
                             "--pairs", "2", "--warmups", "0")
    assert status == 2 and "needs AArch64 Linux" in err


def test_config_values_may_contain_commas():
    config = parse_config("mode=jitlist:__main__:f,__main__:g, strategy=stub", "richards")
    assert (config.mode, config.strategy, config.engine) == \
        ("jitlist:__main__:f,__main__:g", "stub", "unicorn")
    assert parse_config("engine=unicorn", "loop").mode == "jit"
    with pytest.raises(SetupError):
        parse_config("mode=autojit:0", "richards")
