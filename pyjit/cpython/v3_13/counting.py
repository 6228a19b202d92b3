"""The call-counting prologue in CPython 3.13's bytecode.

3.12's prologue and tail (v3_12/counting.py, v3_11/counting.py say what each
part does), with what 3.13 changed: FOR_ITER, on exhaustion, pops the
iterator and jumps past both the END_FOR and the POP_TOP at its target, so
the tail starts with those two, never executed; a call's NULL goes after
the callable (`LOAD_CONST hook; PUSH_NULL`, where 3.12 pushes it first).
POP_JUMP_IF_TRUE takes an exact bool, which IS_OP gives.
"""

from __future__ import annotations

from ..bytecode_edit import Label
from ..v3_12 import counting as _v3_12


def counting_code(code, *, consts: dict[str, int], names: dict[str, int]):
    """(body, tail, stack size) for code; consts: the co_consts indices of
    "record", "hook", "go_on" and "Failure"; names: the co_names indices of
    "__class__", "exc" and "it"."""
    body, tail, depth = _v3_12.counting_code(code, consts=consts, names=names)
    call = [("PUSH_NULL", 0), ("LOAD_CONST", consts["hook"])]
    assert tail[:2] == [Label("arrived"), ("END_FOR", 0)] and tail[2:4] == call
    return body, [Label("arrived"), ("END_FOR", 0), ("POP_TOP", 0), *call[::-1],
                  *tail[4:]], depth
