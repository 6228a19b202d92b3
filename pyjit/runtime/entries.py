"""Compiled entries: which compiled function runs where, for call cells.

A call site that may call a compiled function has a `CallCell`
(pyjit/cpython/cells.py states what its words mean and its invariants).
This module is the runtime's side of it:

- `register_entry(func, engine, address)` when func is compiled and
- `register_entry(func, engine, address)` when func is compiled and
  `forget_entry(func)` (or `forget_entry_id`, when func is being
  deallocated) before its code is unloaded; both reset every call cell
  naming func (cells.reset_call_cells_naming);
- `attach(consts, engine, address)` binds the call cells among a compiled
  function's consts to the engine its code is loaded in (a cell's fill
  helper then finds callees compiled in that engine only), and its
  traceback information to the address it is loaded at;
- per engine: where its stack limit is (`stack_limit`), the pool of
  dead ints and the one of dead floats the shared routines use
  (`int_pool`, `float_pool`, released by `release` when the engine closes),
  and its table of classes' operator methods (`dunder_table`).

Direct calls do not nest emulation, so the engine's nesting limit does not
bound them: below the stack limit symbol (cpython/routines.py; a margin above the bottom of the
engine's stack) sites call PyObject_Vectorcall, whose nested entries end in
RecursionError instead of overflowing the engine's stack.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import id, isinstance, list as list_type, min
import weakref

from ..cpython import cells, func_versions
from ..cpython.cells import CallCell, reset_call_cells_naming_id
from ..cpython.container_routines import CALL_INTRINSICS, TAIL_CALL
from ..cpython.dunders import OPERATORS, DunderTable
from ..cpython.tracebacks import CodeInfo
from ..cpython.int_pool import FloatPool, IntPool, IterPool, RangePool
from .hostmem import PAGE

STACK_MARGIN = 256 << 10        # engine stack kept for generic (nested) calls

# id(func) -> (engine, entry address, func's trampoline code)
_entries: dict[int, tuple[object, int, object]] = {}
_lookups: "weakref.WeakKeyDictionary[object, object]" = weakref.WeakKeyDictionary()


def register_entry(func, engine, address: int) -> None:
    """func now runs compiled code at address in engine (its trampoline
    installed: func.__code__): call cells naming it start over (their next
    call finds the entry), and func gets pyjit's version stamp, which the
    call routines check before they call the entry (func_versions.py)."""
    _entries[id(func)] = (engine, address, func.__code__)
    reset_call_cells_naming_id(id(func))
    func_versions.stamp(func)


def _entry_recheck(callee, target: int, generic: int) -> int:
    """cells.call_entry_stale: target while callee's code is still the
    trampoline it had when its entry at target was registered (stamped
    again), else generic, the entry forgotten."""
    entry = _entries.get(id(callee))
    if (entry is not None and entry[1] == target and callee.__code__ is entry[2]
            and func_versions.stamp(callee)):
        return target
    forget_entry_id(id(callee))
    return generic


cells.entry_recheck = _entry_recheck


def forget_entry(func) -> None:
    """func's compiled code is going away: no cell may call it any more."""
    forget_entry_id(id(func))


def forget_entry_id(key: int) -> None:
    """forget_entry for the function whose id is key; only dictionary work,
    so it may run while that function is being deallocated (before its
    address can be reused)."""
    _entries.pop(key, None)
    reset_call_cells_naming_id(key)


def entry_of(func) -> int | None:
    entry = _entries.get(id(func))
    return entry[1] if entry is not None else None


def _lookup_for(engine):
    """callee -> its compiled entry in engine, or the address of the
    engine's routine for a builtin that has one (tagged TAIL_CALL), or
    None (one per engine)."""
    lookup = _lookups.get(engine)
    if lookup is None:
        def lookup(callee, engine_ref=weakref.ref(engine)):
            entry = _entries.get(id(callee))
            if entry is not None and entry[0] is engine_ref() and callee.__code__ is entry[2]:
                return entry[1]
            targets = _intrinsic_targets.get(engine_ref())
            return targets.get(id(callee)) if targets is not None else None
        _lookups[engine] = lookup
    return lookup


# engine -> {id of a builtin: the address of the engine's routine for its
# calls, tagged TAIL_CALL}, set when the engine's routines are loaded
_intrinsic_targets: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def set_intrinsic_routines(engine, addresses: dict[str, int]) -> None:
    """Remember where engine's routines for builtins' calls are
    (container_routines.CALL_INTRINSICS; addresses: routine name ->
    address), for its call cells' fills."""
    _intrinsic_targets[engine] = {
        id(list_type.__dict__[name]): addresses[routine] | TAIL_CALL
        for name, routine in CALL_INTRINSICS.items()}


def attach(consts, engine, address: int = 0) -> None:
    """Bind what a compiled function's consts know of where it runs: its
    call cells to the engine its code is loaded in, its traceback
    information to the address it is loaded at."""
    lookup = _lookup_for(engine)
    for obj in consts:
        if isinstance(obj, CallCell):
            obj.compiled_entry = lookup
        elif isinstance(obj, CodeInfo):
            obj.base = address


# kind -> (its class, engine -> that engine's pool of the kind)
_POOLS = {kind: (cls, weakref.WeakKeyDictionary()) for kind, cls in (
    ("int", IntPool), ("float", FloatPool), ("iter", IterPool), ("range", RangePool))}


def pool(engine, kind: str):
    """engine's pool of dead objects of a kind (int_pool.py): "int",
    "float", "iter" (list iterators) or "range" (range iterators), made on
    first use."""
    cls, pools = _POOLS[kind]
    found = pools.get(engine)
    if found is None:
        found = pools[engine] = cls()
    return found


def int_pool(engine):
    return pool(engine, "int")


def float_pool(engine):
    return pool(engine, "float")


_dunder_tables: "weakref.WeakKeyDictionary[object, object]" = weakref.WeakKeyDictionary()


def dunder_table(engine, addresses: dict[str, int]):
    """engine's table of Python classes' operator methods (dunders.py),
    made on first use; addresses: where engine has each helper (the
    operators' C-API functions among them)."""
    table = _dunder_tables.get(engine)
    if table is None:
        operators = {addresses[name]: operator for name, operator in OPERATORS.items()}
        table = _dunder_tables[engine] = DunderTable(operators, _lookup_for(engine))
    return table


def release(engine) -> None:
    """What entries keeps for engine goes back (engines call it on close):
    the pooled ints and floats are freed."""
    _dunder_tables.pop(engine, None)
    for _, pools in _POOLS.values():
        found = pools.pop(engine, None)
        if found is not None:
            found.drain()


def stack_limit(engine) -> int:
    """The address STACK_LIMIT_SYMBOL stands for in engine: a margin above
    the bottom of its stack (a reservation with a guard page below it)."""
    low = engine._stack_reservation.start + PAGE
    return low + min(STACK_MARGIN, (engine.stack_top - low) // 4)
