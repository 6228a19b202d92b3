"""The call-counting prologue in CPython 3.11's bytecode.

pyjit/autojit.py gives a function's code these instructions (inserted by
pyjit/cpython/bytecode_edit.py right after RESUME, the tail appended):

    body:   LOAD_CONST  record           # the code's record (pyjit/autojit.py)
            LOAD_ATTR   it               # its counter: itertools.repeat(None, N - 1)
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
    failed: LOAD_ATTR exc; RERAISE 0     # its exception, no entry added here
    go_on:  POP_TOP
            JUMP_BACKWARD body           # run this call in the interpreter

A call costs the body's five instructions (a slot load, a C call of the
iterator's next) until the counter runs out; then every call of a
function with this code takes the tail once, and the hook gives the
function other code.  The counter is the record's attribute, not a
constant, so that the record can count again from zero (a new iterator)
without a new code object.
"""

from __future__ import annotations

from ..bytecode_edit import Label, parameter_loads


def counting_code(code, *, consts: dict[str, int], names: dict[str, int]):
    """(body, tail, stack size) for code; consts: the co_consts indices of
    "record", "hook", "go_on", "Failure" and "type"; names: the co_names
    indices of "exc" and "it"."""
    loads = parameter_loads(code)
    n = len(loads)
    body = [("LOAD_CONST", consts["record"]), ("LOAD_ATTR", names["it"]),
            ("FOR_ITER", Label("arrived")), ("POP_TOP", 0), ("POP_TOP", 0)]
    tail = [Label("arrived"), ("PUSH_NULL", 0), ("LOAD_CONST", consts["hook"]), *loads,
            ("PRECALL", n), ("CALL", n),
            ("COPY", 1), ("LOAD_CONST", consts["go_on"]), ("IS_OP", 0),
            ("POP_JUMP_FORWARD_IF_TRUE", Label("go_on")),
            ("PUSH_NULL", 0), ("LOAD_CONST", consts["type"]), ("COPY", 3),
            ("PRECALL", 1), ("CALL", 1), ("LOAD_CONST", consts["Failure"]),
            ("IS_OP", 0), ("POP_JUMP_FORWARD_IF_TRUE", Label("failed")),
            ("RETURN_VALUE", 0),
            Label("failed"), ("LOAD_ATTR", names["exc"]), ("RERAISE", 0),
            Label("go_on"), ("POP_TOP", 0), ("JUMP_BACKWARD", Label("body"))]
    return body, tail, max(n + 3, 4)
