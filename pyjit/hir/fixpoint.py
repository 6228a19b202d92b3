"""Round-robin fixpoint iteration that skips the evaluations that cannot
change anything.

The classic iteration evaluates every item in a fixed order, sweep after
sweep, until a sweep changes nothing.  When an item's evaluation only
reads what other items' evaluations produce, an item none of whose inputs
changed since its last evaluation would produce what it already has.  So
a sweep here evaluates only the items with a changed input: those ahead in
the current sweep when the change happens, and the others in the next
sweep.  The evaluations that can change something then happen in the same
order, on the same inputs, as in full sweeps: the result is the same.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Callable, Iterable


def sweep_to_fixpoint(count: int, evaluate: Callable[[int], bool],
                      dependents: Callable[[int], Iterable[int]]) -> None:
    """Evaluate items 0..count-1 in that order, sweep after sweep, until
    nothing changes.  evaluate(i) returns whether item i's output changed;
    dependents(i) are the items whose evaluation reads item i's output."""
    # The first sweep evaluates everything, so a change only has to put
    # the dependents behind it into the next sweep.
    later: set[int] = set()
    for pos in range(count):
        if evaluate(pos):
            for other in dependents(pos):
                if other <= pos:
                    later.add(other)
    pending = sorted(later)
    while pending:
        sweep = pending                           # a heap: the lowest first
        due = set(sweep)
        later = set()
        while sweep:
            pos = heappop(sweep)
            due.discard(pos)
            if not evaluate(pos):
                continue
            for other in dependents(pos):
                if other > pos:                   # still ahead in this sweep
                    if other not in due:
                        due.add(other)
                        heappush(sweep, other)
                else:                             # behind it (or itself): next sweep
                    later.add(other)
        pending = sorted(later)
