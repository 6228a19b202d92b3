"""The call-counting prologue in CPython 3.13's bytecode.

3.12's prologue and tail (v3_12/counting.py, v3_11/counting.py say what each
part does), with what 3.13 changed: FOR_ITER, on exhaustion, pops the
iterator and jumps past both the END_FOR and the POP_TOP at its target, so
the tail starts with those two, never executed; a call's stack is the
callable, then NULL (or self), then the arguments (3.12: NULL first), so
the hook is loaded before PUSH_NULL.  POP_JUMP_IF_TRUE takes an exact bool,
which IS_OP gives.  Run by the interpreter in
tests/cpython/test_counting_prologue.py.
"""

from __future__ import annotations

from ..bytecode_edit import Label
from ..v3_12 import counting as _v3_12


def counting_code(code, *, consts: dict[str, int]):
    """(body, tail, stack size) for code; consts: the co_consts indices of
    "counter", "hook", "go_on", "Failure", "type" and "exc_of"."""
    body, tail, depth = _v3_12.counting_code(code, consts=consts)
    assert tail[:2] == [Label("arrived"), ("END_FOR", 0)]
    return body, [Label("arrived"), ("END_FOR", 0), ("POP_TOP", 0),
                  *_null_after_callable(tail[2:])], depth


def _null_after_callable(instrs: list) -> list:
    """3.12's calls (PUSH_NULL, then the callable) in 3.13's order."""
    out = []
    for ins in instrs:
        if out and out[-1] == ("PUSH_NULL", 0) and isinstance(ins, tuple) and ins[0] == "LOAD_CONST":
            out[-1:] = [ins, ("PUSH_NULL", 0)]
        else:
            out.append(ins)
    return out
