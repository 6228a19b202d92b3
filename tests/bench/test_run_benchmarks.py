"""pyjit run / pyjit.bench: pyperformance benchmarks under the JIT."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

from pyjit import cli, jit
from pyjit.bench import BenchmarkError, load_benchmark, run_benchmark
from pyjit.bench.runner import parse_mode, select

pyperformance = pytest.importorskip("pyperformance")


def write_bench(tmp_path, name: str, body: str) -> str:
    directory = tmp_path / f"bm_{name}"
    directory.mkdir()
    path = directory / "run_benchmark.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


@pytest.fixture(scope="module")
def richards_cli(tmp_path_factory):
    """One JIT run of richards through the CLI: (status, stdout JSON, -o path)."""
    out = tmp_path_factory.mktemp("richards") / "richards.json"
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        status = cli.main(["run", "richards", "--mode", "jitlist:__main__:*", "--loops", "1",
                           "--leak-iterations", "1", "--json", "-o", str(out)])
    return status, json.loads(buf.getvalue()), out


def test_richards_every_function_compiled_and_matches(richards_cli):
    status, result, _ = richards_cli
    assert result["refusals"] == {}, f"refused: {result['refusals']}"
    assert status == 0
    assert result["matches"] and result["error"] is None
    assert result["check"] == "values+state" and result["reference"] == "True"
    assert result["state"].startswith("output (0 lines) and module state match")
    assert result["candidates"] >= 30
    assert len(result["compiled"]) == result["candidates"]
    names = {c["name"] for c in result["compiled"]}
    assert "bm_richards:HandlerTask.fn" in names and "bm_richards:Task.runTask" in names
    assert all(c["size"] > 0 for c in result["compiled"])
    assert result["total_size"] == sum(c["size"] for c in result["compiled"])
    assert result["leak"]["ok"], result["leak"]
    assert len(result["values"]) == 1 and result["values"][0] > 0
    assert jit.get_compiled_functions() == []          # cleaned up afterwards


def test_richards_pyperf_output_loads(richards_cli):
    pyperf = pytest.importorskip("pyperf")
    _, _, out = richards_cli
    suite = pyperf.BenchmarkSuite.load(str(out))
    (bench,) = suite.get_benchmarks()
    assert bench.get_name() == "richards"
    assert bench.get_values()[0] > 0
    assert bench.get_metadata()["pyjit_size"] > 0


def test_loader_restores_pyperf_and_names_module():
    before = sys.modules.get("pyperf")
    bench = load_benchmark("richards")
    assert sys.modules.get("pyperf") is before
    assert bench.module.__name__ == "bm_richards"
    assert bench.registered[0].kind == "bench_func"
    assert bench.metadata["description"] == "The Richards benchmark"


def test_bench_command_refused_with_reason(tmp_path, capsys):
    path = write_bench(tmp_path, "cmd", """
        import sys
        import pyperf
        if __name__ == "__main__":
            runner = pyperf.Runner()
            runner.bench_command("cmd", [sys.executable, "-c", "pass"])
    """)
    with pytest.raises(BenchmarkError, match="bench_command"):
        load_benchmark(path)
    assert cli.main(["run", path, "--mode", "jitlist:*"]) == 2
    err = capsys.readouterr().err
    assert "bench_command" in err and "cannot run it" in err
    with pytest.raises(BenchmarkError, match="bench_command"):
        load_benchmark("2to3")


AUTO_BENCH = """
    import pyperf

    def helper(x):
        return x * 2 + 1

    def once(n):
        return n + 1

    def work(n):
        total = 0
        for i in range(n):
            total += helper(i)
        return once(total)

    def bench_work(loops, n):
        t0 = pyperf.perf_counter()
        for _ in range(loops):
            work(n)
        return pyperf.perf_counter() - t0

    if __name__ == "__main__":
        runner = pyperf.Runner()
        runner.argparser.add_argument("--n", type=int, default=5)
        args = runner.parse_args()
        runner.bench_func("work", work, args.n)
        runner.bench_time_func("work_time", bench_work, args.n)
"""


def test_autojit_compiles_after_n_calls(tmp_path):
    path = write_bench(tmp_path, "auto", AUTO_BENCH)
    result = run_benchmark(path, "autojit:2", None, 1, progress=False, leak_iterations=0)
    assert result.ok, result.error
    compiled = {c.name for c in result.compiled if c.name.startswith("bm_auto:")}
    # helper runs 5 times per call of work: compiled on its 2nd; work and
    # once are called once in the single timed iteration: not compiled.  (The
    # mode covers the whole process: functions of other modules called twice
    # are compiled too.)
    assert compiled == {"bm_auto:helper"}
    assert result.reference == repr(sum(2 * i + 1 for i in range(5)) + 1)


def test_bench_time_func_and_selection(tmp_path):
    path = write_bench(tmp_path, "timed", AUTO_BENCH)
    result = run_benchmark(path, "jitlist:__main__:helper,bm_timed:work", None, 2,
                           bench="work_time", progress=False, leak_iterations=1)
    assert result.ok, result.error
    assert result.kind == "bench_time_func" and result.check == "state"
    assert "module state match" in result.state
    assert {c.name for c in result.compiled} == {"bm_timed:helper", "bm_timed:work"}
    assert len(result.values) == 2


def test_modes(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("# the hot ones\n__main__:helper\n\nbm_x:W*\n")
    assert parse_mode("nojit") == ("nojit", None)
    assert parse_mode("autojit:3") == ("autojit", 3)
    assert parse_mode(f"jitlist:@{listing}") == ("jitlist", ["__main__:helper", "bm_x:W*"])
    for bad in ("autojit:0", "jitlist:", "fast", "nojit:1"):
        with pytest.raises(ValueError):
            parse_mode(bad)

    def helper(): pass

    def Work(): pass
    helper.__qualname__, Work.__qualname__ = "helper", "W.run"
    assert select([helper, Work], "bm_x", ["__main__:helper", "bm_x:W*"]) == [helper, Work]
    assert select([helper, Work], "bm_x", ["bm_y:*"]) == []


def test_native_engine_refused_clearly_off_aarch64(capsys):
    import platform
    if platform.machine() in ("aarch64", "arm64"):
        pytest.skip("this host runs the native engine")
    assert cli.main(["run", "richards", "--engine", "native", "--mode", "jitlist:*"]) == 2
    assert "AArch64" in capsys.readouterr().err
    with pytest.raises(BenchmarkError, match="AArch64"):
        run_benchmark("richards", "jitlist:*", None, 1, "native", progress=False)


STATEFUL_BENCH = """
    import pyperf

    POINTS = [[0.5, 1.0], [2.0, -0.0]]
    LOG = {"steps": 0}

    class Acc:
        def __init__(self):
            self.items = []

    ACC = Acc()

    def step(scale):
        for p in POINTS:
            p[0] = p[0] * scale + p[1]
        LOG["steps"] += 1
        ACC.items.append(LOG["steps"])
        print("step", LOG["steps"])

    def bench(loops, scale):
        t0 = pyperf.perf_counter()
        for _ in range(loops):
            step(scale)
        return pyperf.perf_counter() - t0

    if __name__ == "__main__":
        pyperf.Runner().bench_time_func("stateful", bench, 1.5)
"""


def test_time_func_checked_by_output_and_module_state(tmp_path):
    path = write_bench(tmp_path, "stateful", STATEFUL_BENCH)
    result = run_benchmark(path, "jitlist:__main__:*", None, 3, progress=False,
                           leak_iterations=0)
    assert result.ok, result.error
    assert result.state == "output (1 lines) and module state match"
    assert {c.name for c in result.compiled} >= {"bm_stateful:step", "bm_stateful:bench"}


def test_a_state_difference_is_reported_with_where(tmp_path, monkeypatch):
    """A JIT that computed a different value must fail the check: here the
    compiled step is swapped for one that scales by 1.25."""
    path = write_bench(tmp_path, "drift", STATEFUL_BENCH)
    real_compile = jit.force_compile

    def drifting_compile(func, strategy=None, **kw):
        if func.__name__ == "step":
            func.__globals__["POINTS"][0][0] += 1e-12   # state drifts during compilation
        return real_compile(func, strategy, **kw)
    monkeypatch.setattr(jit, "force_compile", drifting_compile)
    result = run_benchmark(path, "jitlist:__main__:*", None, 1, progress=False,
                           leak_iterations=0)
    assert not result.ok and not result.matches
    assert "another state than the interpreter's" in result.error
    assert "at ['POINTS'][0][0]: interpreter 1.75 (0x1.c000000000000p+0), JIT 1.75" \
        in result.error


def test_benchmark_options_reach_its_parser(tmp_path):
    path = write_bench(tmp_path, "opts", AUTO_BENCH)
    result = run_benchmark(path, "jitlist:__main__:*", None, 1, bench="work",
                           bench_args=["--n", "7"], progress=False, leak_iterations=0)
    assert result.ok and result.reference == repr(sum(2 * i + 1 for i in range(7)) + 1)
    with pytest.raises(BenchmarkError, match="rejects the options '--frobnicate'"):
        run_benchmark(path, "nojit", bench_args=["--frobnicate"], progress=False)


POINT_BENCH = """
    import pyperf

    class Point:                      # no __eq__: compared by identity
        def __init__(self, x):
            self.x = x

    def make(n):
        return Point(n * 2.5)

    if __name__ == "__main__":
        pyperf.Runner().bench_func("point", make, 3)
"""


def test_results_without_equality_are_compared_by_structure(tmp_path):
    path = write_bench(tmp_path, "point", POINT_BENCH)
    result = run_benchmark(path, "jitlist:__main__:*", None, 2, progress=False,
                           leak_iterations=0)
    assert result.ok, result.error


def test_snapshot_compares_structure_not_addresses():
    from pyjit.bench.state import first_difference, snapshot

    class Node:
        __slots__ = ("value", "next")

        def __init__(self, value, next=None):
            self.value, self.next = value, next

    def ring():
        a = Node(1.0)
        a.next = Node(2, a)
        return {"head": a, "tags": {"x", "y"}, "neg": -0.0}
    (a, cut_a), (b, cut_b) = snapshot(ring()), snapshot(ring())
    assert a == b and not cut_a and not cut_b
    c = ring()
    c["neg"] = 0.0
    path, x, y = first_difference(a, snapshot(c)[0])
    assert path == "['neg']" and str(x) == "-0.0" and str(y) == "0.0"
    c = ring()
    c["head"].next.value = 3
    assert first_difference(a, snapshot(c)[0]) == ("['head'].#0.#1", 2, 3)   # .next.value
    _, cut = snapshot([[i] for i in range(10)], limit=5)
    assert cut
