"""Emitting the CPython description's assembly fragments into a function.

The version description (`pyjit/cpython/<version>/objects.py`) writes what
touches the interpreter's objects -- reference counts above all, with the
version's rule for immortal objects -- once, as assembly text, for the
shared routines.  The code generator emits the same text into a
function's buffer with `emit`, so that compiled functions and the shared
routines cannot disagree on the rule.

    emit(buf, objects.decref("x19", "x17", "release"), {"release": label})

Symbolic labels of a fragment are the caller's (a buffer `Label` each,
bound or not); numeric local labels (`1:`, `1f`, `1b`) are fresh at each
emission.  A fragment holds instructions and labels only.  Fragments are
parsed once per text (`_parse` is cached): the code generator emits the
same few texts at many sites.
"""

from __future__ import annotations

from functools import lru_cache

from .asmsyntax import Instruction, LabelDef, LocalRef, Symbol, SyntaxProblem, parse_source
from .asmtext import lower
from .buffer import CodeBuffer, Label

# ("label", key) binds a label; ("insn", word, key or None, use) emits an
# instruction, with the key of the label its target names.  A key is a
# symbol's name, or ("local", n, k): the k-th definition of local label n.
_Step = tuple


@lru_cache(maxsize=256)
def _parse(text: str) -> tuple[_Step, ...]:
    steps: list[_Step] = []
    defined: dict[int, int] = {}          # local label n -> definitions so far
    for stmt in parse_source(text):
        if isinstance(stmt, SyntaxProblem):
            raise ValueError(f"fragment line {stmt.src.lineno}: {stmt.reason}: {stmt.src.text!r}")
        if isinstance(stmt, LabelDef):
            if stmt.is_local:
                n = int(stmt.name)
                defined[n] = defined.get(n, 0) + 1
                steps.append(("label", ("local", n, defined[n])))
            else:
                steps.append(("label", stmt.name))
        elif isinstance(stmt, Instruction):
            call = lower(stmt)
            key = None
            if isinstance(call.target, Symbol):
                key = call.target.name
            elif isinstance(call.target, LocalRef):
                n = call.target.number
                k = defined.get(n, 0) + (1 if call.target.forward else 0)
                key = ("local", n, k)
            steps.append(("insn", call.encode(), key, call.use))
        else:
            raise ValueError(f"fragment line {stmt.src.lineno}: only instructions and labels: "
                             f"{stmt.src.text!r}")
    return tuple(steps)


def emit(buf: CodeBuffer, text: str, labels: dict[str, Label] | None = None) -> None:
    """Emit the fragment `text` into buf; `labels` maps its symbolic labels
    to the buffer's."""
    labels = labels or {}
    local: dict[tuple, Label] = {}

    def label_of(key) -> Label:
        if isinstance(key, str):
            try:
                return labels[key]
            except KeyError:
                raise ValueError(f"fragment label {key!r} is not given: {text!r}") from None
        if key not in local:
            local[key] = buf.new_label()
        return local[key]

    for step in _parse(text):
        if step[0] == "label":
            buf.bind(label_of(step[1]))
        else:
            _, word, key, use = step
            if key is None:
                buf.emit(word)
            else:
                buf.emit_use(word, label_of(key), use)

