"""`pyjit compare` and `pyjit report`, run through `pyjit.cli.main`.

Sizes are never written down here: they are compared with what `pyjit size`
and `pyjit.jit` report for the same functions.  Benchmarks are small
run_benchmark.py-style files written to a temporary directory, loaded the
way pyperformance's are.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import textwrap
from contextlib import redirect_stderr, redirect_stdout

import pytest

import pyjit.jit as jit
from pyjit.bench.loader import load_benchmark
from pyjit.cli import main
from pyjit.measure.compare import (DEFAULT_SERIES, SHAPE, Cell, Comparison, Row, Sample,
                                   Target, line_points, series_to_sample)
from pyjit.target import module_functions

SECTIONS = ("code", "literals", "stubs", "veneers", "padding")

BENCH_SOURCE = textwrap.dedent("""\
    import pyperf


    class Acc:
        def __init__(self):
            self.total = 0

        def add(self, n):
            self.total += n * 3
            return self.total


    def work(n):
        acc = Acc()
        for i in range(n):
            acc.add(i)
        return acc.total


    def numbers():
        yield locals()


    if __name__ == "__main__":
        pyperf.Runner().bench_func("tiny", work, 50)
    """)

# Returns 1 in the interpreter's reference call and 2 in the JIT's.
# The two copies pyjit run loads (interpreter and JIT) share `sys`: the
# JIT copy's first call counts on from the interpreter's, a result mismatch.
# A result that is the interpreter's in both interpreter runs (1) and
# another under the JIT (2): a mismatch the check cannot excuse.
COUNTER_SOURCE = textwrap.dedent("""\
    import pyperf


    def work():
        import pyjit
        return 2 if pyjit.is_jit_compiled(work) else 1


    if __name__ == "__main__":
        pyperf.Runner().bench_func("counter", work)
    """)


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def run_json(*argv: str) -> dict:
    status, out, _ = run_cli(*argv, "--json")
    assert status == 0
    return json.loads(out)


def write_bench(factory, name: str, source: str) -> str:
    path = factory.mktemp(name) / "run_benchmark.py"
    path.write_text(source)
    return str(path)


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> str:
    return write_bench(tmp_path_factory, "tiny", BENCH_SOURCE)


@pytest.fixture(scope="module")
def sqrt_comparison() -> dict:
    return run_json("compare", "--targets", "sqrt:1,sqrt:200", "--strategies", "direct,lazy-stub")


def cells(data: dict, target: str) -> dict:
    return next(t["cells"] for t in data["targets"] if t["target"] == target)


def size_of(target: str, strategy: str) -> dict:
    """`pyjit size`'s sizes for target, summed over its functions."""
    functions = run_json("size", target, "--strategy", strategy)["functions"]
    return {k: sum(f[k] for f in functions) for k in ("total",) + SECTIONS}


def table_line(table: str, target: str, metric: str) -> str:
    """The line of metric in target's group of rows."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(target + " "))
    group = [lines[start], *itertools.takewhile(lambda line: line.startswith(" "),
                                                lines[start + 1:])]
    return next(line for line in group if re.search(rf"\s{metric}\s", line + " "))


# -- compare: shapes ------------------------------------------------------------------

@pytest.mark.parametrize("target", ["sqrt:1", "sqrt:200"])
@pytest.mark.parametrize("strategy", ["direct", "lazy-stub"])
def test_compare_sizes_are_pyjit_sizes(sqrt_comparison, target, strategy):
    sizes = cells(sqrt_comparison, target)[strategy]["sizes"]
    assert sizes == size_of(target, strategy)
    assert sum(sizes[s] for s in SECTIONS) == sizes["total"]


def test_compare_deltas_against_the_first_strategy(sqrt_comparison):
    assert sqrt_comparison["baseline"] == "direct" and sqrt_comparison["ok"]
    for target in ("sqrt:1", "sqrt:200"):
        base, other = (cells(sqrt_comparison, target)[s] for s in ("direct", "lazy-stub"))
        assert "delta" not in base
        for metric in ("total",) + SECTIONS:
            change = other["sizes"][metric] - base["sizes"][metric]
            delta = other["delta"][metric]
            assert delta["change"] == change
            if base["sizes"][metric]:
                assert delta["percent"] == pytest.approx(change / base["sizes"][metric] * 100)
            else:
                assert delta["percent"] is None


def test_compare_table_shows_values_and_deltas(sqrt_comparison):
    status, table, err = run_cli("compare", "--targets", "sqrt:1,sqrt:200",
                                 "--strategies", "direct,lazy-stub")
    assert status == 0
    assert "[4/4] sqrt:200 / lazy-stub" in err
    for target in ("sqrt:1", "sqrt:200"):
        base, other = (cells(sqrt_comparison, target)[s]["sizes"] for s in ("direct", "lazy-stub"))
        for metric, label in (("total", "total bytes"), ("code", "code")):
            change = other[metric] - base[metric]
            value = re.escape(f"{base[metric]:,}")
            with_delta = re.escape(f"{other[metric]:,} {change:+,} / "
                                   f"{change / base[metric] * 100:+.1f}%")
            assert re.search(rf"  {label}\s+{value}\s+{with_delta}$",
                             table_line(table, target, label))
    assert "matches" not in table          # shapes are compiled, not run


def test_compare_baseline_option_turns_deltas_around():
    data = run_json("compare", "--targets", "sqrt:1", "--strategies", "direct,lazy-stub",
                    "--baseline", "lazy-stub")
    sqrt1 = cells(data, "sqrt:1")
    assert data["baseline"] == "lazy-stub" and "delta" not in sqrt1["lazy-stub"]
    assert sqrt1["direct"]["delta"]["total"]["change"] == \
        sqrt1["direct"]["sizes"]["total"] - sqrt1["lazy-stub"]["sizes"]["total"]


@pytest.mark.parametrize("argv, message", [
    (["--targets", "sqrt:1", "--strategies", "direct,bogus"], "unknown strategy 'bogus'"),
    (["--targets", "sqrt:1", "--strategies", "direct", "--baseline", "stub"],
     "baseline 'stub' is not one of"),
    (["--targets", "sqrt:x"], "bad shape 'sqrt:x'"),
    (["--targets", "sqrt:1,no_such_benchmark"], "no pyperformance benchmark named"),
    (["--targets", "sqrt:1,,loop"], "empty target"),
    (["--targets", "no_such_module_xyz:f"], "no module named 'no_such_module_xyz'"),
])
def test_compare_bad_arguments_exit_2(argv, message):
    status, out, err = run_cli("compare", *argv)
    assert status == 2 and out == ""
    assert err.startswith("pyjit compare: error: ") and message in err


# -- compare: benchmarks --------------------------------------------------------------

def test_compare_benchmark_counts_and_sizes(bench):
    counted = run_json("compare", "--targets", bench, "--strategies", "direct,stub")
    sized = run_json("compare", "--targets", bench, "--strategies", "direct,stub", "--no-counts")
    assert counted["ok"] and counted["counts"] and not sized["counts"]
    for strategy in ("direct", "stub"):
        run, compiled = cells(counted, bench)[strategy], cells(sized, bench)[strategy]
        assert run["matches"] is True and compiled["matches"] is None
        assert run["sizes"] == compiled["sizes"] == size_of(f"{bench}:*", strategy)
        assert run["functions"] == compiled["functions"]
        assert (run["compiled"], run["candidates"]) == (3, 4)
        assert list(run["refused"]) == ["run_benchmark:numbers"]
        assert run["instructions"] > run["helper_calls"] > 0
        assert compiled["instructions"] is None
    stub = cells(counted, bench)["stub"]
    assert stub["delta"]["instructions"]["change"] == \
        stub["instructions"] - cells(counted, bench)["direct"]["instructions"]


def test_compare_mismatch_is_loud(tmp_path_factory):
    counter = write_bench(tmp_path_factory, "counter", COUNTER_SOURCE)
    status, table, err = run_cli("compare", "--targets", f"{counter},sqrt:1",
                                 "--strategies", "stub,literal")
    assert status == 1
    assert re.search(r"matches\s+MISMATCH\s+MISMATCH", table_line(table, counter, "matches"))
    assert f"FAILED {counter} (stub): BenchmarkError: iteration 1 returned 2, " \
           "the interpreter 1" in table
    assert "FAILED: 2 of 4 target/strategy cells" in table
    assert re.search(r"stub: [\d.]+ s, DOES NOT match the interpreter: BenchmarkError", err)


# -- compare: the plot ------------------------------------------------------------------

def test_compare_plot_writes_a_png(bench, tmp_path):
    path = tmp_path / "sizes.png"
    status, _, err = run_cli("compare", "--targets", f"sqrt:1,sqrt:2,sqrt:4,{bench}",
                             "--strategies", "direct,stub", "--no-counts", "--plot", str(path))
    assert status == 0
    assert "plot sample" not in err        # three sqrt targets: no default series
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_series_to_sample_fills_in_shapes_given_fewer_than_three_times():
    given = [Target(s, SHAPE) for s in ("sqrt:1", "sqrt:2", "sqrt:200", "sqrtpow:64", "loop")]
    assert series_to_sample(given) == [f"sqrtpow:{n}" for n in DEFAULT_SERIES if n != 64]
    assert series_to_sample([Target("loop", SHAPE)]) == [f"sqrt:{n}" for n in DEFAULT_SERIES]


def test_line_points_count_call_sites():
    def row(spec: str, total: int) -> Row:
        return Row(Target(spec, SHAPE), {"stub": Cell("stub", {"total": total})})

    comparison = Comparison(["stub"], "stub", False,
                            [row("sqrt:200", 300), row("sqrtpow:64", 200), row("loop", 50)],
                            [Sample("sqrt", 1, "stub", 10), Sample("sqrtpow", 2, "stub", 20)])
    assert line_points(comparison) == {("sqrt", "stub"): [(1, 10), (200, 300)],
                                       ("sqrtpow", "stub"): [(4, 20), (128, 200)]}


# -- report ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def report(bench) -> dict:
    return run_json("report", bench, "--strategy", "stub")


def test_report_opcode_mix_is_what_the_jit_reports(bench, report):
    expected: dict[str, int] = {}
    for func in module_functions(load_benchmark(bench).module):
        if jit.force_compile(func, "stub"):
            for op, n in jit.get_function_hir_opcode_counts(func).items():
                expected[op] = expected.get(op, 0) + n
            jit.force_uncompile(func)
    mix = report["opcode_mix"]
    assert {m["opcode"]: m["count"] for m in mix} == expected
    assert [m["count"] for m in mix] == sorted((m["count"] for m in mix), reverse=True)
    total = sum(expected.values())
    assert all(m["share"] == pytest.approx(m["count"] / total * 100) for m in mix)


def test_report_functions_sizes_and_refusals(bench, report):
    by_name = {f["name"]: f for f in run_json("size", f"{bench}:*", "--strategy", "stub")
               ["functions"]}
    functions = report["functions"]
    assert [f["name"] for f in functions] == sorted(by_name, key=lambda n: -by_name[n]["total"])
    for f in functions:
        assert f["sizes"] == {k: by_name[f["name"]][k] for k in ("total",) + SECTIONS}
    assert report["totals"]["total"] == sum(f["total"] for f in by_name.values())
    assert (report["strategy"], report["candidates"], report["compiled"]) == ("stub", 4, 3)
    assert "generator" in report["refused"]["run_benchmark:numbers"]


def test_report_table_top_n(bench, report):
    status, text, _ = run_cli("report", bench, "--strategy", "stub", "--top", "2")
    assert status == 0
    top = report["opcode_mix"][:3]
    assert f"top 2 of {len(report['opcode_mix'])} opcodes" in text
    assert re.search(rf"\n{top[0]['opcode']}\s+{top[0]['count']:,}\s+{top[0]['share']:.1f}%",
                     text)
    assert "top 2 of 3 compiled functions by size" in text
    largest, second, third = (f["name"] for f in report["functions"])
    assert largest in text and second in text and third not in text.split("refused")[0]
    assert "refused 1:\n  run_benchmark:numbers: generator" in text


@pytest.mark.parametrize("argv, message", [
    (["sqrt:1", "--strategy", "bogus"], "unknown strategy 'bogus'"),
    (["sqrt:1", "--strategy", "all"], "takes one strategy"),
    (["no_such_benchmark"], "no pyperformance benchmark named"),
])
def test_report_bad_arguments_exit_2(argv, message):
    status, out, err = run_cli("report", *argv)
    assert status == 2 and out == ""
    assert err.startswith("pyjit report: error: ") and message in err
