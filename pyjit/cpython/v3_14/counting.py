"""The call-counting prologue in CPython 3.14's bytecode.

3.13's prologue and tail (v3_13/counting.py), with what 3.14 changed:
FOR_ITER, on exhaustion, jumps past the END_FOR at its target and leaves
the iterator for the POP_ITER after it (3.13: popped it and skipped both),
so the tail starts with END_FOR, never executed, and POP_ITER.  Run by the
interpreter in tests/cpython/test_counting_prologue.py.
"""

from __future__ import annotations

from ..bytecode_edit import Label
from ..v3_13 import counting as _v3_13


def counting_code(code, *, consts: dict[str, int]):
    """(body, tail, stack size) for code; consts: the co_consts indices of
    "counter", "hook", "go_on", "Failure", "type" and "exc_of"."""
    body, tail, depth = _v3_13.counting_code(code, consts=consts)
    assert tail[:3] == [Label("arrived"), ("END_FOR", 0), ("POP_TOP", 0)]
    return body, [Label("arrived"), ("END_FOR", 0), ("POP_ITER", 0), *tail[3:]], depth
