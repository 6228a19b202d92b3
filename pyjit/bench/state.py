"""What a benchmark call leaves behind, in a form two runs can compare.

A `bench_time_func` benchmark returns a time, not a result, so `pyjit run`
checks its work another way: the same benchmark is loaded twice, one call
runs in the interpreter on one copy and under the JIT on the other, and the
two calls must print the same output and leave the two modules' global data
in the same state.

    snap = snapshot_module(module)        # nested tuples of plain values
    first_difference(snap_a, snap_b)      # None, or a path and the two values

A snapshot replaces every object by a structure of plain values: numbers
and strings by themselves (floats by `float.hex`, so -0.0 and NaNs compare
exactly), containers by their items, other objects by their class's
qualified name and what they refer to (`gc.get_referents`: slots and
attribute values in order, named `#0`, `#1`... in paths), and objects that
refer to nothing by their repr without its " at 0x..." addresses.  Functions,
classes, modules and other code are represented by their names only: they
are the program, not its state.  An object seen before becomes a
back-reference (`("ref", n)`, n its position in visiting order), so cycles
and sharing are compared too and the result never depends on addresses.
Sets are sorted by their items' snapshots, since their order depends on
hashes that differ between the copies.
"""

from __future__ import annotations

import gc
import re
import types
from typing import Any

MAX_NODES = 500_000        # a snapshot stops growing here (and says so)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")   # in default reprs

_CODE_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
               types.ModuleType, type, types.CodeType, staticmethod, classmethod, property,
               types.MethodDescriptorType, types.WrapperDescriptorType)


class _Walker:
    def __init__(self, limit: int):
        self.seen: dict[int, int] = {}
        self.keep: list[Any] = []      # the visited objects stay alive: ids stay unique
        self.limit = limit
        self.truncated = False

    def visit(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, (bool, int, str, bytes, complex)):
            return obj
        if isinstance(obj, float):
            return ("float", obj.hex())
        if isinstance(obj, _CODE_TYPES):
            return ("code", getattr(obj, "__qualname__", getattr(obj, "__name__", type(obj).__name__)))
        ref = self.seen.get(id(obj))
        if ref is not None:
            return ("ref", ref)
        if len(self.seen) >= self.limit:
            self.truncated = True
            return ("truncated",)
        self.seen[id(obj)] = len(self.seen)
        self.keep.append(obj)
        kind = type(obj).__qualname__
        if isinstance(obj, (list, tuple)):
            return ("items", kind, tuple(self.visit(x) for x in obj))
        if isinstance(obj, dict):
            return ("dict", kind, tuple((self.visit(k), self.visit(v)) for k, v in obj.items()))
        if isinstance(obj, (set, frozenset)):
            return ("items", kind, tuple(sorted((self.visit(x) for x in obj), key=repr)))
        # What the object refers to, as the garbage collector sees it: its
        # slots, then its attribute values (or its __dict__ once one exists),
        # and its class.  Reading `__dict__` instead would turn the
        # instance's inline values into a dict for good, and slow down both
        # the interpreter and compiled code on it afterwards.
        refs = gc.get_referents(obj)
        if not refs:
            return ("repr", kind, _ADDRESS.sub("", repr(obj)))
        return ("attrs", kind, tuple((f"#{i}", self.visit(r)) for i, r in enumerate(refs)))


def snapshot(obj: Any, limit: int = MAX_NODES) -> tuple[Any, bool]:
    """(the snapshot of obj, whether it was cut at `limit` objects)."""
    walker = _Walker(limit)
    return walker.visit(obj), walker.truncated


def snapshot_module(module: types.ModuleType, limit: int = MAX_NODES) -> tuple[Any, bool]:
    """The snapshot of a module's global data: every global except dunder
    names, modules, functions and classes (code, not state)."""
    data = {name: value for name, value in vars(module).items()
            if not (name.startswith("__") and name.endswith("__"))
            and not isinstance(value, _CODE_TYPES)}
    return snapshot(data, limit)


def first_difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """None when the snapshots are equal, else (path, value in a, value in
    b) of the first place they differ; the path reads like Python
    (`['BODIES']['sun'][0]`, `.planner.constraints[3]`)."""
    if a == b:
        return None
    if (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) == 3
            and a[0] == b[0] and a[1] == b[1] and len(a[2]) == len(b[2])
            and a[0] in ("items", "dict", "attrs")):
        for i, (x, y) in enumerate(zip(a[2], b[2])):
            if a[0] == "items":
                step = f"[{i}]"
            elif a[0] == "attrs":
                step = f".{x[0]}"
                x, y = x[1], y[1]
            else:
                key = x[0] if x[0] == y[0] else f"<key {i}>"
                step = f"[{_plain(key)!r}]"
                x, y = x[1], y[1]
            found = first_difference(x, y, path + step)
            if found is not None:
                return found
    return path or "<top>", _plain(a), _plain(b)


def _plain(value: Any) -> Any:
    """A leaf snapshot as the value it stands for, where that is simple."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "float":
        return float.fromhex(value[1])
    return value


def describe_difference(diff: tuple[str, Any, Any], limit: int = 160) -> str:
    path, a, b = diff

    def short(value):
        if isinstance(value, float):
            return f"{value!r} ({value.hex()})"
        text = repr(value)
        return text if len(text) <= limit else text[:limit] + "..."
    return f"at {path}: interpreter {short(a)}, JIT {short(b)}"
