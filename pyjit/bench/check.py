"""Whether the JIT's run of a benchmark did what the interpreter does.

    a, b = observe(ref_a.call), observe(ref_b.call)    # two interpreter runs
    j = observe(jit_copy.call)                         # the JIT's first call
    verdict = compare(a, b, j, values=True)            # or BenchmarkError

An observation is what one call of a copy of the benchmark leaves: what it
printed, the module's global data after it (state.py), and what it
returned.  The JIT's call is compared with the second interpreter run (B),
loaded and run as the JIT's copy is (not first: a module that the first
copy imports runs its import-time code once, and that copy alone sees it).
Where J and B differ, the first interpreter run (A) decides: a place where
A and B differ as well is not deterministic in the interpreter (a logger
shared by the copies, a time, an id) and is excused, counted in the
verdict; anywhere else a difference is a mismatch.  The same rule holds
for the output as a whole and for the returned value.

Objects that the copies share (from other modules: a logger that
`logging.getLogger` gives every copy, with every copy's handler) are the
process's state, not a copy's: the snapshots compare them by class only,
and the verdict says how many there were.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from typing import Any, Callable

from .loader import BenchmarkError
from .state import describe_difference, differences, excused, snapshot, snapshot_module

MAX_SHOWN_REGIONS = 5


@dataclass
class Observation:
    """One call of one copy: what it printed, left and returned."""

    output: str
    state: Any              # snapshot_module's (snapshot, truncated)
    value: Any


@dataclass
class Verdict:
    """What was compared and what was excused (all zero: everything)."""

    text: str                                   # one line for the report
    excused_places: int = 0                     # state places J and B differ at, excused
    nondeterministic: list[str] = field(default_factory=list)   # where A and B differ (first few)
    output_excused: bool = False
    value_excused: bool = False
    shared_objects: int = 0                     # compared by class only

    def to_dict(self) -> dict[str, Any]:
        return {"excused_places": self.excused_places,
                "shared_objects": self.shared_objects,
                "nondeterministic": self.nondeterministic,
                "output_excused": self.output_excused,
                "value_excused": self.value_excused}


def observe(call: Callable[[], Any], module, shared=None) -> Observation:
    """Call, capturing its output, then snapshot module (the objects in
    shared compared by class only: state.shared_objects)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        value = call()
    return Observation(out.getvalue(), snapshot_module(module, opaque=shared), value)


def same(a, b) -> bool:
    """a == b, or, for objects without a useful equality (a class that
    compares by identity), the same structure (state.py)."""
    try:
        if a == b:
            return True
    except Exception:  # noqa: BLE001 - an odd __eq__
        pass
    return not differences(snapshot(a)[0], snapshot(b)[0], limit=1)


def short_repr(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def compare(a: Observation, b: Observation, j: Observation, values: bool,
            shared: int = 0) -> Verdict:
    """The verdict on J against the interpreter runs A and B (see the
    module docstring; shared: how many objects the copies share);
    BenchmarkError naming the first mismatch."""
    verdict = Verdict("", shared_objects=shared)
    notes = []
    if shared:
        notes.append(f"{shared} objects shared by the copies compared by class only")
    if j.output != b.output:
        if a.output == b.output:
            x, y = b.output.splitlines(), j.output.splitlines()
            line = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
            raise BenchmarkError(
                "the first call printed something else than the interpreter's "
                f"(line {line + 1} of {len(x)}: interpreter "
                f"{short_repr(x[line] if line < len(x) else None)}, JIT "
                f"{short_repr(y[line] if line < len(y) else None)})")
        verdict.output_excused = True
        notes.append("output not compared (it differs between two interpreter runs)")
    if values and not same(j.value, b.value):
        if same(a.value, b.value):
            raise BenchmarkError(f"iteration 1 returned {short_repr(j.value)}, the "
                                 f"interpreter {short_repr(b.value)}")
        verdict.value_excused = True
        notes.append("result not compared (it differs between two interpreter runs)")
    (snap_b, cut_b), (snap_j, cut_j), (snap_a, cut_a) = b.state, j.state, a.state
    found = differences(snap_b, snap_j)
    if found:
        regions = [path for path, _, _ in differences(snap_a, snap_b)]
        wrong = [d for d in found if not excused(d[0], regions)]
        if wrong:
            more = f" (and {len(wrong) - 1} more places)" if len(wrong) > 1 else ""
            raise BenchmarkError("the first call left the module's global data in another "
                                 "state than the interpreter's: "
                                 + describe_difference(wrong[0]) + more)
        verdict.excused_places = len(found)
        verdict.nondeterministic = regions[:MAX_SHOWN_REGIONS]
        notes.append(f"{len(found)} places of the state excused: two interpreter runs differ "
                     f"there too ({len(regions)} places, e.g. {regions[0]})")
    lines = len(j.output.splitlines())
    text = f"output ({lines} lines) and module state match"
    if cut_a or cut_b or cut_j:
        text += " (state compared up to its first objects only)"
    verdict.text = "; ".join([text, *notes])
    return verdict


def check_value(value: Any, a: Observation, b: Observation) -> bool:
    """Whether a later call's value is acceptable: the interpreter's (B's),
    or anything when the interpreter's value is not deterministic."""
    return same(value, b.value) or not same(a.value, b.value)
