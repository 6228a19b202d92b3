"""Compiled activations without an interpreter frame, and where they sit.

A call between compiled functions (the shared call routine's
`call_counted`, pyjit/cpython/call_routines.py) makes no interpreter
frame: the callee runs under the frame of the innermost compiled
activation that has one (a trampoline frame, pyjit/cpython/frames.py).
So that what reads the stack can still count it (`sys._getframe(n)`,
pyjit/frame_view.py), the routine links a record of four words into a
chain, on its own frame on the primary stack, for as long as the callee
runs:

    [return address into the caller, the callee (function object),
     the thread state, the previous record (0: none)]

The chain's head is a word of the engine's stacks (`EngineStacks.
activations[0]`, whose address the routines have as `lit_activations`).
Only the thread holding the primary stack makes such calls (a thread on a
thread stack calls through PyObject_Vectorcall: stacks.py), so the chain
is that thread's (`EngineStacks.primary_owner`), and the thread state
those calls count against the recursion limit is that thread's, the word
after the head (`activations[1]`, set when the stack is taken); the
primary stack's release empties the chain, which also forgets records a
fault left behind.

Which frame a record sits above is known from the entries: each entry
into compiled code under a frame (Engine.call_function with a frame) notes
here, for its thread, that frame and the chain's head when it started
(`enter`, `leave`).  The stack grows down, so the records made since are
exactly those below that head; each record belongs to the innermost such
entry, and sits, with the others of that entry, between the entry's frame
and what the interpreter's frames show above it.

Where the entry's innermost compiled code left machine code (the call it
is paused in, whose line the readers show) the engine tells: the mark
keeps the engine and, once the entry runs, the engine's level for it
(`MARK_LEVEL`; `Engine.left_at(level)` answers for it).
"""

from __future__ import annotations

# Bound at import: compiled code runs this module and a program may rebind
# builtins.len and the like.
from builtins import len, list, range
import ctypes
import threading
import weakref

from ..cpython.tstate import quiet_entry
from .routines import compiled_return as _compiled_return

RECORD_SIZE = 32
RECORD_RETURN, RECORD_CALLEE, RECORD_PREVIOUS = 0, 1, 3   # word indices
# A chain longer than this is not read further (the recursion limit bounds
# a real one far below it).
MAX_RECORDS = 1 << 16

_Record = ctypes.c_uint64 * 4
_get_ident = threading.get_ident


class _Marks(threading.local):
    # The innermost entry's mark: [frame, stacks, head, the mark before it,
    # engine, level] or None; a linked list, so that enter and leave call
    # nothing (a call is a check point, where a signal handler could run).
    top = None


_FRAME, _STACKS, _HEAD, _BEFORE, _ENGINE, _LEVEL = range(6)
# An engine starting a level on this thread sets the innermost mark's
# level if it has none yet (else the level is one without a frame, inside
# that entry), inline: `marks.top[MARK_LEVEL] = level` (no call there: a
# call is a check point).
MARK_LEVEL = _LEVEL


_local = marks = _Marks()
_stacks_alive: "weakref.WeakSet" = weakref.WeakSet()


def register(stacks) -> None:
    """stacks (an EngineStacks) has a chain the readers look at."""
    _stacks_alive.add(stacks)


def enter(stacks, frame: int, engine):
    """An entry into compiled code under frame (an interpreter frame's
    address) is starting on this thread; returns the token for `leave`.
    Entered quietly, calling nothing: no signal handler runs in enter or
    leave."""
    token = _local.top
    _local.top = [frame, stacks, stacks.activations[0], token, engine, None]
    return token


def leave(token) -> None:
    _local.top = token


for _fn in (enter, leave):
    quiet_entry(_fn)
del _fn


def entered() -> bool:
    """Whether compiled code entered under a frame is running on this
    thread (else no activation of it runs without a frame)."""
    return _local.top is not None


def _marks() -> list[tuple[int, object, int, object]]:
    """This thread's marks, (frame, stacks, head, engine), innermost first."""
    out = []
    mark = _local.top
    while mark is not None:
        out.append((mark[_FRAME], mark[_STACKS], mark[_HEAD], mark[_ENGINE]))
        mark = mark[_BEFORE]
    return out


def _into_compiled(engine, stacks, back: int, address: int) -> int:
    """The return address into compiled code of the call whose record is
    at address, with return address back: a call a routine made (a method
    call's routine calling the call routine) is followed back to the
    compiled call into that routine (runtime/routines.py); back itself
    when it cannot be (x29 is not known there: a routine framed by x29
    cannot be followed)."""
    primary = stacks.primary
    found = _compiled_return(engine, back, address + RECORD_SIZE, 0, primary.low, primary.top)
    return back if found is None else found


def left_at(frame: int) -> tuple[object, int] | None:
    """(engine, return address) of the call by which the innermost
    compiled code of the entry under frame (an interpreter frame's
    address) left machine code, as its engine tells; None when it cannot,
    or when no entry under frame runs on this thread."""
    mark = _local.top
    while mark is not None and mark[_FRAME] != frame:
        mark = mark[_BEFORE]
    if mark is None or mark[_LEVEL] is None:
        return None
    engine = mark[_ENGINE]
    address = engine.left_at(mark[_LEVEL])
    return None if address is None else (engine, address)


def records(stacks) -> list[tuple[int, int, int]]:
    """The chain of stacks, innermost first, if this thread's: (record
    address, callee function address, return address into its caller).
    A word that cannot be a record (outside the primary stack, not above
    the one before) ends it."""
    if stacks.primary_owner != _get_ident():
        return []
    low, top = stacks.primary.low, stacks.primary.top
    out = []
    address = stacks.activations[0]
    while address and len(out) < MAX_RECORDS:
        if address < low or address > top - RECORD_SIZE or address & 15:
            break
        words = _Record.from_address(address)
        out.append((address, words[RECORD_CALLEE], words[RECORD_RETURN]))
        following = words[RECORD_PREVIOUS]
        if following and following <= address:
            break
        address = following
    return out


def above_frames() -> list[tuple[int, list[tuple[int, int]]]]:
    """The activations without a frame on this thread, by the frame they
    run above: (interpreter frame address, [(callee function address,
    return address into its caller), innermost first]) for each entry
    that has some, innermost entry first."""
    marks = _marks()
    if not marks:
        return []
    groups: list[tuple[int, list[tuple[int, int]]]] = []
    for stacks in list(_stacks_alive):
        chain = records(stacks)
        if not chain:
            continue
        # innermost entry first: a record belongs to the first whose head
        # it is below (made since that entry started)
        entries = [(frame, head, engine) for frame, owner, head, engine in marks
                   if owner is stacks]
        by_entry: list[list[tuple[int, int]]] = [[] for _ in range(len(entries))]
        for address, callee, back in chain:
            for k in range(len(entries)):
                head = entries[k][1]
                if head == 0 or address < head:
                    by_entry[k].append((callee, _into_compiled(entries[k][2], stacks,
                                                               back, address)))
                    break
        for k in range(len(entries)):
            if by_entry[k]:
                groups.append((entries[k][0], by_entry[k]))
    return groups
