"""Compiled entries: how compiled callers find compiled callees.

A call site that may call a compiled function has a `CallCell` (caches.py):
ENTRIES entries [callee, target], then a megamorphic target.  Its machine
code (inline, or the shared `pyjit_call_cached` routine) does:

    callee == an entry's callee  -> call that entry's target
    cell.megamorphic != 0        -> call cell.megamorphic
    otherwise                    -> call call_cell_fill(cell, callee, generic)
    (args below the stack limit  -> call PyObject_Vectorcall instead)

with the vectorcall ABI (x0 callable, x1 args, x2 nargsf, x3 kwnames), which
is both a compiled function's and PyObject_Vectorcall's.  Invariants:

- `target` is the entry of `callee`'s compiled code in the engine the cell's
  code runs in, or `generic` (PyObject_Vectorcall's address in that engine,
  which the code hands to the fill helper).  Only `call_cell_fill` writes a
  cell; the JIT calls `register_entry` when a function is compiled and
  `forget_entry` before its code is unloaded, and both reset every cell
  naming the function, so no cell ever holds the entry of freed code and a
  function compiled after a cell cached "not compiled" is found next call.
- A compiled callee is alive (the JIT holds it), so no other object can
  have its address while a cell names its entry.  A cell naming a dead
  object only ever holds `generic`, which is right for any callee.
- A fill goes to a free entry, else the least recently filled one, whose
  callee is forgotten first.  A site that filled MEGAMORPHIC_AFTER times
  stops filling: the megamorphic word holds `generic`, so callees not in
  an entry go to PyObject_Vectorcall without trapping into the fill helper
  again; the entries it has keep working (and are still reset as above).
- Direct calls do not nest emulation, so the engine's nesting limit does
  not bound them: below STACK_LIMIT_SYMBOL (a margin above the bottom of the
  engine's stack) sites call PyObject_Vectorcall, whose nested entries end
  in RecursionError instead of overflowing the emulated stack.

Entries are per engine: a cell is bound to its code's engine by `attach`,
and only that engine's entries are ever cached in it.
"""

from __future__ import annotations

import types
import weakref

from .caches import CallCell, Cell, cell_at
from .helpers import python_helper
from .hostmem import PAGE

MEGAMORPHIC_AFTER = 8           # fills of one call cell before it stops caching
STACK_LIMIT_SYMBOL = "pyjit_stack_limit"
STACK_MARGIN = 256 << 10        # emulated stack kept for generic (nested) calls

_entries: dict[int, tuple[object, int]] = {}         # id(func) -> (engine, entry address)
_naming: dict[int, weakref.WeakSet] = {}             # id(callee) -> CallCells naming it


@python_helper("call_cell_fill", ("ptr", "obj", "ptr"), "int64", "none")
def call_cell_fill(cell, callee, generic):
    """The target to call callee with, at a miss of CallCell `cell`: the
    callee's compiled entry in the cell's engine, else `generic` (the
    address of PyObject_Vectorcall); the cell remembers it."""
    cell = cell_at(cell)
    cell.misses += 1
    entry = _entries.get(id(callee)) if type(callee) is types.FunctionType else None
    target = entry[1] if entry is not None and entry[0] is cell.engine else generic
    if cell.fills >= MEGAMORPHIC_AFTER:
        cell.put(CallCell.MEGAMORPHIC, generic)
        return target
    at = cell.victim(id(callee))
    _unname(cell, at)
    cell.fill_entry(at, [id(callee), target])
    _naming.setdefault(id(callee), weakref.WeakSet()).add(cell)
    return target


def _unname(cell: CallCell, at: int) -> None:
    """Clear the entry at byte offset at, and forget that it names its
    callee (a callee is in at most one entry of a cell)."""
    callee = cell.get(at + CallCell.CALLEE)
    cell.clear_entry(at)
    cells = _naming.get(callee)
    if cells is not None:
        cells.discard(cell)
        if not cells:
            del _naming[callee]


def _reset_cells_naming(func) -> None:
    for cell in list(_naming.pop(id(func), ())):
        at = cell.entry_of(id(func))
        if at is not None:
            cell.clear_entry(at)


def register_entry(func, engine, address: int) -> None:
    """func now runs compiled code at address in engine: call cells naming
    it start over (their next call finds the entry)."""
    _entries[id(func)] = (engine, address)
    _reset_cells_naming(func)


def forget_entry(func) -> None:
    """func's compiled code is going away: no cell may call it any more."""
    _entries.pop(id(func), None)
    _reset_cells_naming(func)


def entry_of(func) -> int | None:
    entry = _entries.get(id(func))
    return entry[1] if entry is not None else None


def attach(consts, engine) -> None:
    """Bind the call cells among a compiled function's consts to the
    engine its code is loaded in."""
    for obj in consts:
        if isinstance(obj, CallCell):
            obj.engine = engine


def cells_of(consts, kind: type = Cell) -> list:
    """The cells of one kind among a compiled function's consts."""
    return [obj for obj in consts if isinstance(obj, kind)]


_prepared: "weakref.WeakKeyDictionary[object, object]" = weakref.WeakKeyDictionary()
_int_pools: "weakref.WeakKeyDictionary[object, object]" = weakref.WeakKeyDictionary()


def prepare_engine(engine) -> None:
    """Make engine ready for code with caches and direct calls (once per
    engine): define STACK_LIMIT_SYMBOL, and load the shared cache routines
    (cache_routines.py), defining a symbol for each."""
    if engine in _prepared:
        return
    from .cache_routines import load_routines    # it needs this module's helpers
    engine.define_symbol(STACK_LIMIT_SYMBOL, stack_limit(engine))
    _prepared[engine] = load_routines(engine)


def int_pool(engine):
    """engine's pool of dead ints (int_pool.py), made on first use."""
    pool = _int_pools.get(engine)
    if pool is None:
        from .int_pool import IntPool
        pool = _int_pools[engine] = IntPool()
    return pool


def release(engine) -> None:
    """What entries keeps for engine goes back (engines call it on close):
    the pooled ints are freed."""
    pool = _int_pools.pop(engine, None)
    if pool is not None:
        pool.drain()


def routine_symbols(engine) -> dict[str, int]:
    """name -> address of each shared routine loaded in engine."""
    from .cache_routines import ROUTINES
    loaded = _prepared.get(engine)
    return {} if loaded is None else {name: loaded.label(name) for name in ROUTINES}


def routines_of(engine):
    """The shared cache routines loaded in engine (LoadedCode), or None."""
    return _prepared.get(engine)


def stack_limit(engine) -> int:
    # UnicornEngine keeps its stack in a reservation, a guard page below it.
    low = engine._stack_reservation.start + PAGE
    return low + min(STACK_MARGIN, (engine.stack_top - low) // 4)
