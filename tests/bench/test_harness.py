"""pyjit run's harness: what is comparable, accelerators, clean-up, coroutines,
the leak check's budget, the share of compiled calls, pyperformance's names."""

from __future__ import annotations

import os
import sys
import textwrap

import pytest

from pyjit.bench import BenchmarkError, load_benchmark, manifest, run_benchmark
from pyjit.bench.check import Observation, compare
from pyjit.bench.leak import plan_leak_check
from pyjit.bench.state import differences, excused, shared_objects, snapshot

pyperformance = pytest.importorskip("pyperformance")


def write_bench(tmp_path, name: str, body: str) -> str:
    directory = tmp_path / f"bm_{name}"
    directory.mkdir()
    path = directory / "run_benchmark.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


def quiet(path, mode="nojit", **kwargs):
    kwargs.setdefault("leak_iterations", 0)
    return run_benchmark(path, mode, progress=False, **kwargs)


# -- what is comparable ---------------------------------------------------------------

NONDETERMINISTIC = """
    import time
    import pyperf

    STAMP = None
    TOTAL = []

    def work():
        global STAMP
        STAMP = time.perf_counter()            # differs between any two runs
        TOTAL.append(sum(range(10)))           # the same in every run
        return len(TOTAL)

    if __name__ == "__main__":
        pyperf.Runner().bench_func("stamp", work)
"""


def test_state_that_differs_between_interpreter_runs_is_excused_and_counted(tmp_path):
    result = quiet(write_bench(tmp_path, "stamp", NONDETERMINISTIC))
    assert result.ok, result.error
    assert result.excused["excused_places"] == 1
    assert result.excused["nondeterministic"] == ["['STAMP']"]
    assert "1 places of the state excused" in result.state


JIT_ONLY_DIFFERENCE = """
    import time
    import pyperf
    import pyjit

    STAMP = None
    SEEN = []

    def work():
        global STAMP
        STAMP = time.perf_counter()
        SEEN.append(pyjit.is_jit_compiled(work))     # False in the interpreter runs
        return 0

    if __name__ == "__main__":
        pyperf.Runner().bench_func("seen", work)
"""


def test_a_difference_where_the_interpreter_is_deterministic_is_a_mismatch(tmp_path):
    result = quiet(write_bench(tmp_path, "seen", JIT_ONLY_DIFFERENCE), "jitlist:__main__:*")
    assert not result.ok and not result.matches
    assert "at ['SEEN'][0]: interpreter False, JIT True" in result.error


def test_compare_excuses_only_inside_places_where_interpreter_runs_differ():
    def obs(state, output="", value=None):
        return Observation(output, snapshot(state), value)
    a = obs({"t": 1.5, "x": [1, 2]})
    b = obs({"t": 2.5, "x": [1, 2]})
    assert compare(a, b, obs({"t": 3.5, "x": [1, 2]}), values=False).excused_places == 1
    with pytest.raises(BenchmarkError, match=r"\['x'\]\[1\]: interpreter 2, JIT 3"):
        compare(a, b, obs({"t": 3.5, "x": [1, 3]}), values=False)
    # The output and the value follow the same rule.
    with pytest.raises(BenchmarkError, match="printed something else"):
        compare(obs({}, "a"), obs({}, "a"), obs({}, "b"), values=False)
    assert compare(obs({}, "a"), obs({}, "b"), obs({}, "c"), values=False).output_excused
    with pytest.raises(BenchmarkError, match="iteration 1 returned 2, the interpreter 1"):
        compare(obs({}, value=1), obs({}, value=1), obs({}, value=2), values=True)


def test_differences_name_every_place_and_back_references_by_path():
    shared = [1]
    a = {"p": shared, "q": shared, "r": 1.0}
    b = {"p": [1], "q": [1], "r": 2.0}          # no sharing, another float
    found = differences(snapshot(a)[0], snapshot(b)[0])
    assert [path for path, _, _ in found] == ["['q']", "['r']"]
    assert found[0][1] == ("ref", "['p']")
    assert excused("['q'][0].#1", ["['q']"]) and not excused("['qq']", ["['q']"])


SHARED_LOGGER = """
    import io
    import logging
    import pyperf

    def work(logger, stream):
        stream.seek(0); stream.truncate()
        logger.warning("hello %d", 42)
        return stream.getvalue()

    if __name__ == "__main__":
        stream = io.StringIO()
        logger = logging.getLogger("pyjit-test-shared-logger")
        logger.propagate = False
        logger.addHandler(logging.StreamHandler(stream))   # every copy adds one
        pyperf.Runner().bench_func("log", work, logger, stream)
"""


def test_objects_the_copies_share_are_compared_by_class(tmp_path):
    result = quiet(write_bench(tmp_path, "sharedlog", SHARED_LOGGER))
    assert result.ok, result.error
    assert result.excused["shared_objects"] >= 1 and result.reference == "'hello 42\\n'"
    a, b = load_benchmark("logging"), load_benchmark("logging")
    shared = shared_objects([a.module, b.module])
    import logging
    assert id(logging.getLogger("benchlogger")) in shared
    assert id(a.module.stream) not in shared and id(b.module.stream) not in shared


@pytest.mark.parametrize("name", ["logging", "regex_compile"])
def test_benchmarks_whose_copies_differed_now_match(name):
    result = run_benchmark(name, "nojit", progress=False, leak_iterations=0)
    assert result.ok, result.error


# -- what a fresh process would give the benchmark ----------------------------------

PURE = """
    import sys
    import pyperf

    def work(pickle):
        return pickle.loads(pickle.dumps([1, 2.5, "x"]))

    if __name__ == "__main__":
        runner = pyperf.Runner()
        runner.argparser.add_argument("--pure-python", action="store_true")
        options = runner.parse_args()
        if options.pure_python:
            sys.modules["_pickle"] = None
        import pickle
        accelerated = pickle.Pickler.__module__ != "pickle"
        if accelerated == options.pure_python:
            raise RuntimeError("pickle is not what the options asked for")
        runner.bench_func("pickle", work, pickle)
"""


def test_pure_python_loads_its_own_pickle_and_leaves_the_process_alone(tmp_path):
    import pickle
    path = write_bench(tmp_path, "pure", PURE)
    loaded = load_benchmark(path, ["--pure-python"])
    theirs = loaded.registered[0].args[0]
    assert theirs is not pickle and theirs.Pickler.__module__ == "pickle"
    assert sys.modules["pickle"] is pickle and sys.modules["_pickle"] is not None
    assert pickle.Pickler.__module__ == "_pickle"
    assert load_benchmark(path).registered[0].args[0] is pickle
    assert quiet(path, bench_args=["--pure-python"]).ok


def test_pickle_pure_python_runs_by_its_manifest_name():
    result = run_benchmark("unpickle_pure_python", "nojit", progress=False, leak_iterations=0)
    assert result.ok, result.error
    assert result.registered == "unpickle_pure_python"
    assert result.bench_args[:2] == ["--pure-python", "unpickle"]


CLEANUP = """
    import os
    import shutil
    import tempfile
    import pyperf

    def work(directory):
        with open(os.path.join(directory, "data")) as f:
            return f.read()

    if __name__ == "__main__":
        directory = tempfile.mkdtemp(prefix="pyjit-test-cleanup-")
        with open(os.path.join(directory, "data"), "w") as f:
            f.write("payload")
        try:
            pyperf.Runner().bench_func("read", work, directory)
        finally:
            shutil.rmtree(directory)
"""


def test_top_level_finally_runs_after_the_benchmark(tmp_path):
    path = write_bench(tmp_path, "cleanup", CLEANUP)
    loaded = load_benchmark(path)
    directory = loaded.registered[0].args[0]
    assert os.path.isdir(directory)              # not removed at registration
    assert loaded.registered[0].call() == "payload"
    loaded.close()
    assert not os.path.exists(directory)
    result = quiet(path)
    assert result.ok, result.error


PICKLES_ITSELF = """
    import pickle
    import pyperf

    def double(x):
        return 2 * x

    def work():
        return pickle.loads(pickle.dumps(double))(21)

    if __name__ == "__main__":
        pyperf.Runner().bench_func("self", work)
"""


def test_each_copy_is_its_module_while_it_runs(tmp_path):
    result = quiet(write_bench(tmp_path, "selfpickle", PICKLES_ITSELF))
    assert result.ok, result.error
    assert result.reference == "42"


ASYNC = """
    import asyncio
    import pyperf

    def square(x):
        return x * x

    async def step(i):
        await asyncio.sleep(0)
        return square(i)

    async def work(n):
        return sum([await step(i) for i in range(n)])

    if __name__ == "__main__":
        pyperf.Runner().bench_async_func("async", work, 10)
"""


def test_bench_async_func_runs_and_says_what_was_refused(tmp_path):
    result = quiet(write_bench(tmp_path, "coro", ASYNC), "jitlist:__main__:*")
    assert result.ok, result.error
    assert result.kind == "bench_async_func" and result.reference == "285"
    assert "bm_coro:square" in {c.name for c in result.compiled}
    for name in ("bm_coro:step", "bm_coro:work"):
        assert name in {c.name for c in result.compiled} or "coroutine" in result.refusals[name]


# -- the leak check's budget and the share of compiled calls ------------------------

def test_leak_plan_fits_the_budget():
    assert plan_leak_check(2, 1.0, 100.0) == plan_leak_check(2, 1.0, None)
    assert plan_leak_check(2, 1.0, 100.0).memory == "blocks"
    assert plan_leak_check(2, 1.0, 100.0, "tracemalloc").memory == "tracemalloc"
    plan = plan_leak_check(2, 10.0, 50.0, "tracemalloc")   # traced: ~90 s; untraced: 30 s
    assert (plan.iterations, plan.memory) == (2, "blocks") and "pymalloc" in plan.note
    plan = plan_leak_check(4, 10.0, 35.0)
    assert (plan.iterations, plan.memory) == (2, "blocks") and "2 of 4" in plan.note
    plan = plan_leak_check(2, 33.0, 60.0)          # go under the emulator
    assert plan.iterations == 0 and "skipped" in plan.note
    assert plan_leak_check(2, 33.0, None).iterations == 2
    with pytest.raises(ValueError, match="unknown memory measure 'bytes'"):
        plan_leak_check(2, 1.0, None, "bytes")


def test_leak_check_measures_blocks_or_traced_bytes(tmp_path):
    path = write_bench(tmp_path, "share2", SHARE)
    blocks = quiet(path, leak_iterations=1).leak
    traced = quiet(path, leak_iterations=1, leak_memory="tracemalloc").leak
    assert (blocks["memory_measure"], blocks["memory_unit"]) == ("blocks", "blocks")
    assert (traced["memory_measure"], traced["memory_unit"]) == ("tracemalloc", "bytes")
    assert blocks["ok"] and traced["ok"]


SLOW = """
    import time
    import pyperf

    def work():
        time.sleep(0.3)
        return 1

    if __name__ == "__main__":
        pyperf.Runner().bench_func("slow", work)
"""


def test_a_leak_check_past_its_budget_is_skipped_and_said(tmp_path, capsys):
    from pyjit import cli
    path = write_bench(tmp_path, "slow", SLOW)
    result = run_benchmark(path, "nojit", progress=False, leak_budget=0.5)
    assert result.ok and result.leak["ok"] is None
    assert "skipped: a call takes 0.3 s" in result.leak["note"]
    assert cli.main(["run", path, "--leak-budget", "0.5"]) == 0
    assert "leak check skipped: a call takes" in capsys.readouterr().out


SHARE = """
    import pyperf

    def helper(i):
        return i + 1

    def work():
        return sum(helper(i) for i in range(10))

    if __name__ == "__main__":
        pyperf.Runner().bench_func("share", work)
"""


def test_share_counts_calls_of_compiled_code(tmp_path):
    path = write_bench(tmp_path, "share", SHARE)
    result = quiet(path, "jitlist:__main__:helper", share=True)
    assert result.ok, result.error
    # work, the generator expression's 11 resumptions and 10 helper calls
    assert result.share["calls"] == 22 and result.share["compiled_calls"] == 10
    result = quiet(path, "jitlist:__main__:*", share=True)
    assert result.share["compiled_calls"] == 10 + ("bm_share:work" in {c.name for c in result.compiled})


# -- pyperformance's names ------------------------------------------------------------

def test_manifest_names_and_requirements():
    spec = manifest.find("pickle_pure_python")
    assert spec.extra_opts == ("--pure-python", "pickle")
    assert spec.runscript.endswith(os.path.join("bm_pickle", "run_benchmark.py"))
    assert manifest.find("argparse_subparsers").extra_opts == ("subparsers",)
    assert "richards" in manifest.names() and manifest.find("nosuch") is None
    fake = manifest.BenchmarkSpec("fake", "/nowhere",
                                  requirements=("pyjit-surely-absent[x]==1.0", "pyperf"),
                                  requires_python=">=3.99")
    assert manifest.missing_requirements(fake) == ["pyjit-surely-absent"]
    assert not manifest.python_supported(fake)
    assert manifest.python_supported(manifest.BenchmarkSpec("f", "/", requires_python=">=3.8"))
    with pytest.raises(BenchmarkError, match="no pyperformance benchmark named 'pickle_nope'"):
        load_benchmark("pickle_nope")


SEEDED = """
    import random
    import pyperf

    def work():
        return random.random()

    if __name__ == "__main__":
        random.seed(1234)                  # seeded while loading, drawn while running
        pyperf.Runner().bench_func("seeded", work)
"""


def test_each_copy_draws_from_the_generator_its_load_seeded(tmp_path):
    import random
    result = quiet(write_bench(tmp_path, "seeded", SEEDED))
    assert result.ok, result.error
    assert result.reference == repr(random.Random(1234).random())
    assert not result.excused["value_excused"]
