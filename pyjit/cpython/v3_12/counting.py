"""The call-counting prologue in CPython 3.12's bytecode.

The same prologue and tail as 3.11's (v3_11/counting.py says what each
part does), in 3.12's instructions: CALL without PRECALL, POP_JUMP_IF_TRUE
(forward), and FOR_ITER, which on exhaustion jumps past the END_FOR at its
target: the tail starts with one, never executed.
"""

from __future__ import annotations

from ..bytecode_edit import Label, parameter_loads


def counting_code(code, *, consts: dict[str, int]):
    """(body, tail, stack size) for code; consts: the co_consts indices of
    "counter", "hook", "go_on", "Failure", "type" and "exc_of"."""
    loads = parameter_loads(code)
    n = len(loads)
    body = [("LOAD_CONST", consts["counter"]),
            ("FOR_ITER", Label("arrived")), ("POP_TOP", 0), ("POP_TOP", 0)]
    tail = [Label("arrived"), ("END_FOR", 0),
            ("PUSH_NULL", 0), ("LOAD_CONST", consts["hook"]), *loads, ("CALL", n),
            ("COPY", 1), ("LOAD_CONST", consts["go_on"]), ("IS_OP", 0),
            ("POP_JUMP_IF_TRUE", Label("go_on")),
            ("PUSH_NULL", 0), ("LOAD_CONST", consts["type"]), ("COPY", 3), ("CALL", 1),
            ("LOAD_CONST", consts["Failure"]), ("IS_OP", 0),
            ("POP_JUMP_IF_TRUE", Label("failed")),
            ("RETURN_VALUE", 0),
            Label("failed"), ("PUSH_NULL", 0), ("LOAD_CONST", consts["exc_of"]), ("COPY", 3),
            ("CALL", 1), ("RERAISE", 0),
            Label("go_on"), ("POP_TOP", 0), ("JUMP_BACKWARD", Label("body"))]
    return body, tail, max(n + 3, 4)
