"""The HIR text form: stable, one instruction per line.

    function f(x, y):
    bb0:
      v0:Object = LoadArg<0, x>
      v1:Object = LoadArg<1, y>
      v2:Object = BinaryOp<Add> v0 v1 except bb3
      Branch<bb1>
    bb1 (preds bb0):
      Return v2

Blocks are numbered in layout order and values in definition order, so the
text does not depend on how many values were created before.  A may-raise
instruction shows ``except bbN`` when it has an exception target (else a
failure goes to the function's error exit) and, once refcount insertion has
run, ``release [v1, v2]``: the owned values released when it fails.  The
header says ``refcounted`` after refcount insertion.
"""

from __future__ import annotations

import enum
import types
from typing import Any

from .cfg import predecessors
from .ir import Block, Function, Instr, Value
from .ops_core import LoadConst, Phi
from .types import Type


def format_const(value: object, limit: int = 60) -> str:
    """A short, deterministic rendering of a constant object."""
    if isinstance(value, type):
        text = f"type:{value.__qualname__}"
    elif isinstance(value, types.CodeType):
        text = f"code:{value.co_qualname}"
    elif isinstance(value, types.FunctionType):
        text = f"function:{value.__qualname__}"
    elif isinstance(value, types.ModuleType):
        text = f"module:{value.__name__}"
    elif value is None or isinstance(value, (bool, int, float, complex, str, bytes, tuple, frozenset)):
        text = repr(value)
    else:
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Namer:
    """Stable names for the blocks and values of one function."""

    def __init__(self, func: Function) -> None:
        self.blocks = {b: f"bb{i}" for i, b in enumerate(func.blocks)}
        self.order = {b: i for i, b in enumerate(func.blocks)}
        self.values: dict[Value, str] = {}
        for instr in func.instructions():
            if instr.result is not None:
                self.values[instr.result] = f"v{len(self.values)}"

    def block(self, block: Block) -> str:
        return self.blocks.get(block, f"bb?{block.id}")

    def value(self, value: Value) -> str:
        return self.values.get(value, f"v?{value.id}")

    def attr(self, value: Any) -> str:
        if isinstance(value, Block):
            return self.block(value)
        if isinstance(value, (enum.Enum, Type)):
            return str(value)
        if isinstance(value, str):
            return value
        return format_const(value)


def format_instr(instr: Instr, namer: Namer) -> str:
    """One instruction, as printed inside a block."""
    attrs = instr.attrs()
    if isinstance(instr, LoadConst):
        text = f"LoadConst<{format_const(instr.value)}>"
    elif attrs:
        text = f"{instr.opname}<{', '.join(namer.attr(v) for _, v in attrs)}>"
    else:
        text = instr.opname
    if isinstance(instr, Phi):
        pairs = sorted(zip(instr.preds, instr.operands), key=lambda p: namer.order.get(p[0], 1 << 30))
        args = [f"{namer.block(b)}:{namer.value(v)}" for b, v in pairs]
    else:
        args = [namer.value(v) for v in instr.operands]
    if args:
        text += " " + " ".join(args)
    if instr.consumed:
        text += " consume [" + ", ".join(namer.value(instr.operands[i]) for i in instr.consumed) + "]"
    if instr.exc_target is not None:
        text += f" except {namer.block(instr.exc_target)}"
    if instr.exc_release:
        text += " release [" + ", ".join(namer.value(v) for v in instr.exc_release) + "]"
    if instr.result is not None:
        text = f"{namer.value(instr.result)}:{instr.result.type} = {text}"
    return text


def format_function(func: Function) -> str:
    """The whole function; ends with a newline."""
    namer = Namer(func)
    preds = predecessors(func)
    header = f"function {func.name}({format_params(func)})"
    if func.qualname != func.name:
        header += f" qualname={func.qualname}"
    if func.refcounted:
        header += " refcounted"
    lines = [header + ":"]
    for block in func.blocks:
        names = sorted((namer.block(p) for p in preds.get(block, [])), key=_block_order)
        lines.append(f"{namer.block(block)} (preds {', '.join(names)}):" if names
                     else f"{namer.block(block)}:")
        lines.extend("  " + format_instr(i, namer) for i in block.instrs)
    return "\n".join(lines) + "\n"


def format_params(func: Function) -> str:
    """The parameter list as in a ``def``: ``a, b, *args, c, **kw``."""
    by_kind: dict[str, list[str]] = {}
    for p in func.params:
        by_kind.setdefault(p.kind, []).append(p.name)
    parts = list(by_kind.get("positional", []))
    if "varargs" in by_kind:
        parts.append("*" + by_kind["varargs"][0])
    elif "keyword-only" in by_kind:
        parts.append("*")
    parts += by_kind.get("keyword-only", [])
    parts += ["**" + name for name in by_kind.get("varkw", [])]
    return ", ".join(parts)


def _block_order(name: str) -> tuple[int, str]:
    digits = name[2:]
    return (int(digits), name) if digits.isdigit() else (1 << 30, name)
