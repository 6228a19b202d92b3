"""Loading the shared routines (pyjit/cpython/routines.py) into an engine.

    prepare_engine(engine)              # once per engine, before compiled code loads
    routine_symbols(engine)             # name -> address, for CodePlacement
    compiled_return(engine, ...)        # out of the routines, back to compiled code

The routines' text is the CPython layer's; this module fills in what only
the engine knows (its helper addresses, its stack limit, its pools of dead
ints and floats), assembles the text with pyjit's assembler, loads it like compiled
code, and defines a symbol for each routine so that compiled functions link
against it.
"""

from __future__ import annotations

# Bound at import: compiled_return runs while a program may have rebound
# builtins.range and the like.
from builtins import Exception, getattr, range
import ctypes
import weakref

from ..aarch64.asmtext import assemble
from ..cpython import interpreter, routines
from . import dict_watcher, entries
from .routine_frames import RoutineFrames

_loaded: "weakref.WeakKeyDictionary[object, object]" = weakref.WeakKeyDictionary()
# the routines' assembled lines, and what routine_frames makes of them (on
# first use), per engine
_lines: "weakref.WeakKeyDictionary[object, list]" = weakref.WeakKeyDictionary()
_frames: "weakref.WeakKeyDictionary[object, RoutineFrames]" = weakref.WeakKeyDictionary()


def prepare_engine(engine) -> None:
    """Make engine ready for code with caches and direct calls (once per
    engine): define the stack limit and eval breaker symbols, and load the
    shared routines, defining a symbol for each."""
    if engine in _loaded:
        return
    dict_watcher.install()          # 3.14's dict versions, before any cache fills
    engine.define_symbol(routines.STACK_LIMIT_SYMBOL, entries.stack_limit(engine))
    engine.define_symbol(interpreter.EVAL_BREAKER_SYMBOL, interpreter.eval_breaker_symbol_address())
    _loaded[engine] = load_routines(engine)
    entries.set_intrinsic_routines(engine, routine_symbols(engine))


def routine_symbols(engine) -> dict[str, int]:
    """name -> address of each shared routine loaded in engine ({} before
    prepare_engine)."""
    loaded = _loaded.get(engine)
    return {} if loaded is None else {name: loaded.label(name) for name in routines.ROUTINES}


def routines_of(engine):
    """The shared routines loaded in engine (LoadedCode), or None."""
    return _loaded.get(engine)


def load_routines(engine):
    """Assemble the routines for engine, load them, and define a symbol
    for each; returns the LoadedCode."""
    addresses = {name: engine.helper_address(name) for name in routines.HELPERS_CALLED}
    addresses.update(routines.object_addresses())
    addresses["stack_limit"] = entries.stack_limit(engine)
    addresses["activations"] = ctypes.addressof(engine._stacks.activations)
    for kind in ("int", "float", "iter", "range"):
        addresses[f"{kind}_pool"] = entries.pool(engine, kind).address
    addresses["dunder_table"] = entries.dunder_table(engine, addresses).address
    keep = getattr(engine, "RECURSION_KEEP", routines.HELPER_FRAMES)
    assembled = assemble(routines.source(addresses, keep), routines.NAME)
    loaded = engine.load(assembled.code, routines.NAME)
    for name in routines.ROUTINES:
        engine.define_symbol(name, loaded.label(name))
    _lines[engine] = assembled.lines
    return loaded


def compiled_return(engine, address: int, sp: int, x29: int, low: int, top: int) -> int | None:
    """The return address into compiled code of the call that left machine
    code with return address `address`, sp and x29 (a call the routines
    made is followed back to the compiled call into them: routine_frames.py);
    None when a routine's frame is not known.  The stack words read must
    lie in [low, top), the stack the code runs on."""
    loaded = _loaded.get(engine)
    if loaded is None:
        return address
    frames = _frames.get(engine)
    if frames is None:
        frames = _frames[engine] = RoutineFrames(_lines[engine], routines.ROUTINES)

    def read_word(where: int) -> int:
        if not low <= where <= top - 8:
            raise _OffStack
        return ctypes.c_uint64.from_address(where).value

    for _ in range(_MAX_ROUTINE_FRAMES):
        if not loaded.address <= address < loaded.end:
            return address
        try:
            back = frames.caller(address - loaded.address, sp, x29, read_word)
        except _OffStack:
            return None
        if back is None:
            return None
        address, sp, x29 = back
    return None


class _OffStack(Exception):
    """A routine frame's word would be read outside the stack."""


# Routines calling routines: far fewer deep than this.
_MAX_ROUTINE_FRAMES = 16


def routines_listing(engine) -> str:
    """The annotated listing of the routines as loaded in engine."""
    from ..aarch64.listing import listing          # (capstone: only for listings)
    prepare_engine(engine)
    loaded = routines_of(engine)
    return listing(loaded.code, base=loaded.address, name=loaded.name)
