"""The leak check of `pyjit run`: does memory grow across calls?

    plan = plan_leak_check(iterations=2, call_seconds=0.8, budget=120)
    baseline = measure_growth(reference_call, plan)      # the interpreter's own growth
    leak = leak_check(jit_call, plan, baseline)          # dict; leak["ok"]

After one warm call, gc's object count and a memory measure are read
before and after `iterations` more calls; the JIT's growth must not exceed
the interpreter's growth over as many calls (some benchmarks keep a little
per call by design) by more than a small slack.

The memory measure is, by default, pymalloc's live blocks
(`sys.getallocatedblocks`): free to read, and every object a refcount bug
leaks holds one (or is a gc object, counted too), but blind to allocations
above 512 bytes.  tracemalloc's traced memory (`memory="tracemalloc"`,
`pyjit run --leak-memory tracemalloc`) sees every allocation but slows each
one: a call of go under the emulator took 2.3 times as long while tracing,
one of scimark in the interpreter about 60 times (a leak check of 0.3 s
calls took two minutes).

The check has a time budget (`budget`, seconds, `--leak-budget`), planned
from the duration of the JIT's first call: tracemalloc, when asked, only if
the warm call and the iterations fit with tracing (estimated at TRACE_COST
times a call), else blocks; fewer iterations when they do not fit even so;
and when not even a warm call and one iteration fit, no check (`ok` None),
with the reason in the report.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable

LEAK_OBJECT_SLACK = 200         # objects
LEAK_MEMORY_SLACK = 256 << 10   # bytes (tracemalloc)
LEAK_BLOCK_SLACK = 2000         # pymalloc blocks
TRACE_COST = 3.0                # a traced call's duration over an untraced one, planned
DEFAULT_BUDGET = 120.0          # seconds
MEASURES = ("blocks", "tracemalloc")


@dataclass(frozen=True)
class LeakPlan:
    iterations: int             # 0: skipped
    memory: str                 # "tracemalloc" or "blocks"
    note: str = ""              # why the plan differs from what was asked


def plan_leak_check(iterations: int, call_seconds: float, budget: float | None,
                    memory: str = "blocks") -> LeakPlan:
    """How to check within budget (None: no budget) given one call's
    duration; memory: the measure asked for, "blocks" or "tracemalloc"."""
    if memory not in MEASURES:
        raise ValueError(f"unknown memory measure {memory!r}: use {' or '.join(MEASURES)}")
    if iterations < 1:
        return LeakPlan(0, memory, "not asked")
    if memory == "tracemalloc":
        if budget is None or (1 + iterations) * call_seconds * TRACE_COST <= budget:
            return LeakPlan(iterations, "tracemalloc")
        if (1 + iterations) * call_seconds <= budget:
            return LeakPlan(iterations, "blocks",
                            f"pymalloc blocks instead of tracemalloc: {1 + iterations} traced "
                            f"calls of about {call_seconds * TRACE_COST:.1f} s would pass the "
                            f"{budget:g} s budget")
    elif budget is None or (1 + iterations) * call_seconds <= budget:
        return LeakPlan(iterations, "blocks")
    fits = int(budget // max(call_seconds, 1e-9)) - 1
    if fits >= 1:
        return LeakPlan(fits, "blocks",
                        f"{fits} of {iterations} iterations, in pymalloc blocks: a call takes "
                        f"{call_seconds:.1f} s and the budget is {budget:g} s")
    return LeakPlan(0, "blocks",
                    f"skipped: a call takes {call_seconds:.1f} s, and a warm call and one "
                    f"iteration would pass the {budget:g} s budget (--leak-budget)")


def measure_growth(call: Callable[[], Any], plan: LeakPlan) -> tuple[int, int, int, int]:
    """(objects before, after, memory before, after) plan.iterations calls,
    after a warm call; memory in bytes (tracemalloc) or blocks."""
    tracing = plan.memory == "tracemalloc"
    was_tracing = tracemalloc.is_tracing()
    if tracing and not was_tracing:
        tracemalloc.start()

    def memory() -> int:
        return tracemalloc.get_traced_memory()[0] if tracing else sys.getallocatedblocks()
    try:
        call()                           # warm, measured as the rest
        gc.collect()
        objects0, memory0 = len(gc.get_objects()), memory()
        for _ in range(plan.iterations):
            call()
        gc.collect()
        objects1, memory1 = len(gc.get_objects()), memory()
    finally:
        if tracing and not was_tracing:
            tracemalloc.stop()
    return objects0, objects1, memory0, memory1


def skipped(plan: LeakPlan) -> dict[str, Any]:
    return {"iterations": 0, "ok": None, "memory_measure": plan.memory, "note": plan.note}


def leak_check(call: Callable[[], Any], plan: LeakPlan, baseline, say) -> dict[str, Any]:
    """Growth across plan.iterations calls beyond the interpreter's own
    (baseline: measure_growth's on the reference copy, or None) plus a
    small slack."""
    if plan.iterations < 1:
        say(f"leak check {plan.note}")
        return skipped(plan)
    objects0, objects1, memory0, memory1 = measure_growth(call, plan)
    base_objects = base_memory = 0
    if baseline is not None:
        base_objects, base_memory = baseline[1] - baseline[0], baseline[3] - baseline[2]
    slack = LEAK_MEMORY_SLACK if plan.memory == "tracemalloc" else LEAK_BLOCK_SLACK
    unit = "bytes" if plan.memory == "tracemalloc" else "blocks"
    leak = {"iterations": plan.iterations, "objects_before": objects0,
            "objects_after": objects1, "memory_before": memory0, "memory_after": memory1,
            "interpreter_objects_growth": base_objects,
            "interpreter_memory_growth": base_memory,
            "object_slack": LEAK_OBJECT_SLACK, "memory_slack": slack,
            "memory_measure": plan.memory, "memory_unit": unit, "note": plan.note}
    leak["ok"] = (objects1 - objects0 - max(base_objects, 0) <= LEAK_OBJECT_SLACK
                  and memory1 - memory0 - max(base_memory, 0) <= slack)
    say(f"leak check over {plan.iterations} calls: objects {objects1 - objects0:+d} "
        f"(interpreter {base_objects:+d}), memory {memory1 - memory0:+d} {unit} "
        f"(interpreter {base_memory:+d}): {'ok' if leak['ok'] else 'GROWS'}"
        + (f" ({plan.note})" if plan.note else ""))
    return leak
