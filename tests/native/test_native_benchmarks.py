"""richards, nbody and deltablue on the CPU: every function compiled, for
every built-in strategy, results and module state matching the interpreter.

Each run loads the benchmark twice (pyjit/bench/runner.py): one copy runs
in the interpreter for the reference, the other with every function
compiled by a fresh NativeEngine.  nbody runs with fewer iterations per
call than its default (`--iterations`); the code compiled is the same.
The leak check runs one extra call (gc object counts and tracemalloc
memory against the interpreter's own growth).
"""

from __future__ import annotations

import pytest

from pyjit.aarch64.calls import strategy_names
from pyjit.bench import run_benchmark

from native_support import native_only

pytestmark = native_only

pytest.importorskip("pyperformance")

BENCHMARKS = {
    "richards": [],
    "nbody": ["--iterations", "2000"],
    "deltablue": [],
}


@pytest.mark.parametrize("strategy", strategy_names())
@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_benchmark_every_function_compiled(name, strategy):
    result = run_benchmark(name, "jitlist:__main__:*", strategy, 1, "native",
                           leak_iterations=1, bench_args=BENCHMARKS[name], progress=False)
    assert result.engine == "native"
    assert result.refusals == {}, result.refusals
    assert len(result.compiled) == result.candidates >= 6
    assert result.error is None, result.error
    assert result.matches and result.ok
    assert result.leak is not None and result.leak["ok"], result.leak
    assert "module state match" in result.state
    if result.kind == "bench_func":
        assert result.result == result.reference
