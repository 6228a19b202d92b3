"""The five richards functions of the seed's size table, compiled with the
default strategy and the default options: exact sizes per CPython version,
with every pass and with each reference-count elision pass and
truth-of-compare switched off (issue 13 tracks the goal of 6,400 bytes together)."""

from __future__ import annotations

import sys

import pytest

from pyjit.compiler import compile_function
from pyjit.options import CompileOptions

pytest.importorskip("pyperformance")

FUNCTIONS = ["HandlerTask.fn", "WorkTask.fn", "IdleTask.fn", "Task.runTask", "DeviceTask.fn"]

# A change to code generation or to the passes that moves one of these must
# update it here, deliberately (docs/architecture.md keeps the history).
SIZES_BY_VERSION = {
    (3, 11): {"HandlerTask.fn": 1664, "WorkTask.fn": 1752, "IdleTask.fn": 1512,
              "Task.runTask": 896, "DeviceTask.fn": 1184},   # 7,008 together
    (3, 12): {"HandlerTask.fn": 1704, "WorkTask.fn": 1800, "IdleTask.fn": 1536,
              "Task.runTask": 904, "DeviceTask.fn": 1216},   # 7,160 together
    (3, 13): {"HandlerTask.fn": 1704, "WorkTask.fn": 1808, "IdleTask.fn": 1544,
              "Task.runTask": 904, "DeviceTask.fn": 1216},   # 7,176 together
    (3, 14): {"HandlerTask.fn": 1720, "WorkTask.fn": 1824, "IdleTask.fn": 1552,
              "Task.runTask": 904, "DeviceTask.fn": 1232},   # 7,232 together
}
# The five together with one pass off (the toggle experiment's sizes).
TOTAL_WITHOUT = {
    (3, 11): {"refcount-frame-values": 8288, "refcount-held-operands": 7008,
              "refcount-immortal": 7008, "truth-of-compare": 7144},
    (3, 12): {"refcount-frame-values": 8384, "refcount-held-operands": 7160,
              "refcount-immortal": 7184, "truth-of-compare": 7288},
    (3, 13): {"refcount-frame-values": 8408, "refcount-held-operands": 7176,
              "refcount-immortal": 7216, "truth-of-compare": 7304},
    (3, 14): {"refcount-frame-values": 8504, "refcount-held-operands": 7232,
              "refcount-immortal": 7264, "truth-of-compare": 7360},
}
VERSION = sys.version_info[:2]


@pytest.fixture(scope="module")
def richards():
    from pyjit.bench.loader import benchmark_path
    from pyjit.target import resolve_target
    path = benchmark_path("richards")
    return {name: resolve_target(f"{path}:{name}")[0].func for name in FUNCTIONS}


def size(func, options: CompileOptions) -> int:
    return compile_function(func, options=options).size


@pytest.mark.parametrize("name", FUNCTIONS)
def test_default_size_is_exact(name, richards):
    assert size(richards[name], CompileOptions()) == SIZES_BY_VERSION[VERSION][name]


@pytest.mark.parametrize("disabled", sorted(TOTAL_WITHOUT[(3, 11)]))
def test_size_with_a_pass_off(disabled, richards):
    options = CompileOptions(disabled_passes=frozenset({disabled}))
    total = sum(size(richards[name], options) for name in FUNCTIONS)
    assert total == TOTAL_WITHOUT[VERSION][disabled]
    assert total >= sum(SIZES_BY_VERSION[VERSION].values())
