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
Objects that several copies of the benchmark reach (`shared_objects`) are
the process's, not one copy's: they are compared by class only.
Sets are sorted by their items' snapshots, since their order depends on
hashes that differ between the copies.

Two snapshots are compared by `differences` (every place they differ, up
to a limit) or `first_difference`.  A back-reference is compared by where
its object was first seen (its path), not by its number, so a difference
in one part of the state (a list one item longer) does not make every later
back-reference differ too.  `State` keeps the snapshot, whether it was cut,
and the first-seen path of every numbered object.

What is comparable: `compare_states` takes two interpreter runs (A and B)
and the JIT's (J).  J is compared with B; a place where J and B differ is
excused only when A and B, two interpreter runs of the same program, differ
there too (or around it): that part of the state is not deterministic (a
time, an id, a logger shared by the copies, the cache of a module imported
once).  Every excused place is counted and reported; a difference at a
place where the interpreter is deterministic is always a mismatch.
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
    def __init__(self, limit: int, opaque=None):
        self.opaque = opaque or {}      # id -> object: compared by kind only
        self.seen: dict[int, int] = {}
        self.keep: list[Any] = []      # the visited objects stay alive: ids stay unique
        self.where: list[tuple[int, str]] = []    # per number: (parent's number or -1, step)
        self.paths: dict[int, str] = {}           # numbers whose path was asked for
        self.limit = limit
        self.truncated = False

    def path(self, n: int) -> str:
        """Where object number n was first seen, as Python reads it."""
        found = self.paths.get(n)
        if found is None:
            steps = []
            m = n
            while m >= 0:
                parent, step = self.where[m]
                steps.append(step)
                m = parent
            found = self.paths[n] = "".join(reversed(steps)) or "<top>"
        return found

    def visit(self, obj: Any, parent: int = -1, step: str = "") -> Any:
        if obj is None or isinstance(obj, (bool, int, str, bytes, complex)):
            return obj
        if isinstance(obj, float):
            return ("float", obj.hex())
        if isinstance(obj, _CODE_TYPES):
            return ("code", getattr(obj, "__qualname__", getattr(obj, "__name__", type(obj).__name__)))
        ref = self.seen.get(id(obj))
        if ref is not None:
            return ("ref", self.path(ref))
        if id(obj) in self.opaque:
            return ("shared", type(obj).__qualname__)
        if len(self.seen) >= self.limit:
            self.truncated = True
            return ("truncated",)
        n = self.seen[id(obj)] = len(self.seen)
        self.where.append((parent, step))
        self.keep.append(obj)
        kind = type(obj).__qualname__
        if isinstance(obj, (list, tuple)):
            return ("items", kind, tuple(self.visit(x, n, f"[{i}]") for i, x in enumerate(obj)))
        if isinstance(obj, dict):
            pairs = []
            for i, (k, v) in enumerate(obj.items()):
                key = self.visit(k, n, f"<key {i}>")
                pairs.append((key, self.visit(v, n, _key_step(key, i))))
            return ("dict", kind, tuple(pairs))
        if isinstance(obj, (set, frozenset)):
            # Sorted by the items' snapshots; items first seen here are named
            # by that order, not by the set's.
            items = [self.visit(x, n, f"<item {i}>") for i, x in enumerate(obj)]
            return ("items", kind, tuple(sorted(items, key=repr)))
        # What the object refers to, as the garbage collector sees it: its
        # slots, then its attribute values (or its __dict__ once one exists),
        # and its class.  Reading `__dict__` instead would turn the
        # instance's inline values into a dict for good, and slow down both
        # the interpreter and compiled code on it afterwards.
        refs = gc.get_referents(obj)
        if not refs:
            return ("repr", kind, _ADDRESS.sub("", repr(obj)))
        return ("attrs", kind, tuple((f"#{i}", self.visit(r, n, f".#{i}"))
                                     for i, r in enumerate(refs)))


def _key_step(key: Any, i: int) -> str:
    """The path step of a dict value: its key when the key is a plain value."""
    if key is None or isinstance(key, (bool, int, str, bytes)):
        return f"[{key!r}]"
    if isinstance(key, tuple) and len(key) == 2 and key[0] == "float":
        return f"[{float.fromhex(key[1])!r}]"
    return f"[<key {i}>]"


def snapshot(obj: Any, limit: int = MAX_NODES, opaque=None) -> tuple[Any, bool]:
    """(the snapshot of obj, whether it was cut at `limit` objects); the
    objects in opaque (id -> object) are `("shared", class name)`."""
    walker = _Walker(limit, opaque)
    return walker.visit(obj), walker.truncated


def _module_data(module: types.ModuleType) -> dict[str, Any]:
    return {name: value for name, value in vars(module).items()
            if not (name.startswith("__") and name.endswith("__"))
            and not isinstance(value, _CODE_TYPES)}


def snapshot_module(module: types.ModuleType, limit: int = MAX_NODES,
                    opaque=None) -> tuple[Any, bool]:
    """The snapshot of a module's global data: every global except dunder
    names, modules, functions and classes (code, not state)."""
    return snapshot(_module_data(module), limit, opaque)


def shared_objects(modules: list[types.ModuleType], limit: int = MAX_NODES) -> dict[int, Any]:
    """The objects (id -> object) that two or more of modules share: copies
    of one benchmark loaded in one process share what they got from other
    modules (`logging.getLogger(name)` gives each the same logger, which
    then holds every copy's handler), and each copy's calls change it, so
    its contents belong to the process, not to one copy.  Shared are the
    values of globals of two or more modules, and what two or more modules
    reach from their globals without going through such a value (so the
    logger is shared, and each copy's own handler and stream, though the
    logger reaches them all, are not).  Keep the result alive while its
    ids are used."""
    objects: dict[int, Any] = {}
    roots: dict[int, int] = {}
    for module in modules:
        for value in {id(v): v for v in _module_data(module).values()}.values():
            if not (value is None or isinstance(value, (bool, int, str, bytes, complex, float))):
                roots[id(value)] = roots.get(id(value), 0) + 1
                objects[id(value)] = value
    common = {i: objects[i] for i, n in roots.items() if n > 1}
    reached: dict[int, int] = {}
    for module in modules:
        walker = _Walker(limit, common)
        walker.visit(_module_data(module))
        for obj in walker.keep[1:]:             # not the globals dict made here
            reached[id(obj)] = reached.get(id(obj), 0) + 1
            objects[id(obj)] = obj
    shared = dict(common)
    shared.update((i, objects[i]) for i, n in reached.items() if n > 1)
    return shared


def differences(a: Any, b: Any, limit: int = 10_000) -> list[tuple[str, Any, Any]]:
    """Every place snapshots a and b differ, as (path, value in a, value in
    b), in visiting order, at most `limit` of them.  Where two containers
    differ in kind or length the container itself is the place."""
    found: list[tuple[str, Any, Any]] = []
    _differences(a, b, "", found, limit)
    return found


def _differences(a: Any, b: Any, path: str, found: list, limit: int) -> None:
    if len(found) >= limit or a == b:
        return
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
                if x[0] != y[0]:
                    found.append((f"{path}<key {i}>", _plain(x[0]), _plain(y[0])))
                    if len(found) >= limit:
                        return
                step = _key_step(x[0], i) if x[0] == y[0] else f"[<key {i}>]"
                x, y = x[1], y[1]
            _differences(x, y, path + step, found, limit)
            if len(found) >= limit:
                return
        return
    found.append((path or "<top>", _plain(a), _plain(b)))


def first_difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """None when the snapshots are equal, else (path, value in a, value in
    b) of the first place they differ; the path reads like Python
    (`['BODIES']['sun'][0]`, `.planner.constraints[3]`)."""
    found: list[tuple[str, Any, Any]] = []
    _differences(a, b, path, found, 1)
    return found[0] if found else None


def _plain(value: Any) -> Any:
    """A leaf snapshot as the value it stands for, where that is simple."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "float":
        return float.fromhex(value[1])
    return value


def within(path: str, region: str) -> bool:
    """Whether path is region or inside it (`['a'][2].#0` is inside `['a']`)."""
    if region == "<top>":
        return True
    return path == region or (path.startswith(region) and path[len(region)] in "[.<")


def excused(path: str, regions) -> bool:
    """Whether path lies in one of regions (paths where two interpreter runs differ)."""
    return any(within(path, region) for region in regions)


def describe_difference(diff: tuple[str, Any, Any], limit: int = 160) -> str:
    path, a, b = diff

    def short(value):
        if isinstance(value, float):
            return f"{value!r} ({value.hex()})"
        text = repr(value)
        return text if len(text) <= limit else text[:limit] + "..."
    return f"at {path}: interpreter {short(a)}, JIT {short(b)}"
