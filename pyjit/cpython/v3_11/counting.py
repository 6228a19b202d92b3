"""The call-counting prologue in CPython 3.11's bytecode.

pyjit/autojit.py gives a function's code these instructions (inserted by
pyjit/cpython/bytecode_edit.py right after RESUME, the tail appended):

    body:   LOAD_CONST  counter          # the code's record's itertools.repeat(None, N - 1)
            FOR_ITER    arrived          # exhausted: pops it, jumps
            POP_TOP                      # the value (None)
            POP_TOP                      # the iterator FOR_ITER keeps
            <the original code>
    tail:   arrived:
            PUSH_NULL
            LOAD_CONST  hook
            LOAD_FAST / LOAD_DEREF p     # each parameter slot (a parameter
            ...                          # that is a cell: its content)
            PRECALL n; CALL n            # r = hook(*slots)
            COPY 1; LOAD_CONST go_on; IS_OP 0
            POP_JUMP_FORWARD_IF_TRUE  go_on
            PUSH_NULL; LOAD_CONST type; COPY 3  # type(r), never r.__class__: that
            PRECALL 1; CALL 1                # would run r's __getattribute__
            LOAD_CONST Failure; IS_OP 0
            POP_JUMP_FORWARD_IF_TRUE  failed
            RETURN_VALUE                 # the compiled call's result
    failed: PUSH_NULL; LOAD_CONST exc_of; COPY 3  # exc_of(r): the Failure's
            PRECALL 1; CALL 1            # exception (a C call: no entry added)
            RERAISE 0                    # raised, no entry added here
    go_on:  POP_TOP
            JUMP_BACKWARD body           # run this call in the interpreter

A call costs the body's four instructions (a constant load, a C call of the
iterator's next) until the counter runs out; then every call of a
function with this code takes the tail once, and the hook gives the
function other code.  The counter counts again from zero when the record
writes its count (autojit.py: `_Counted.recount`), without a new code
object.  Nothing is named: the code's co_names stay the original's, which
tools read (`inspect.getclosurevars`).
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
    tail = [Label("arrived"), ("PUSH_NULL", 0), ("LOAD_CONST", consts["hook"]), *loads,
            ("PRECALL", n), ("CALL", n),
            ("COPY", 1), ("LOAD_CONST", consts["go_on"]), ("IS_OP", 0),
            ("POP_JUMP_FORWARD_IF_TRUE", Label("go_on")),
            ("PUSH_NULL", 0), ("LOAD_CONST", consts["type"]), ("COPY", 3),
            ("PRECALL", 1), ("CALL", 1), ("LOAD_CONST", consts["Failure"]),
            ("IS_OP", 0), ("POP_JUMP_FORWARD_IF_TRUE", Label("failed")),
            ("RETURN_VALUE", 0),
            Label("failed"), ("PUSH_NULL", 0), ("LOAD_CONST", consts["exc_of"]), ("COPY", 3),
            ("PRECALL", 1), ("CALL", 1), ("RERAISE", 0),
            Label("go_on"), ("POP_TOP", 0), ("JUMP_BACKWARD", Label("body"))]
    return body, tail, max(n + 3, 4)
