"""Where a shared routine keeps its caller's return address at each call it
makes: enough to walk from a call out of the routines back to the compiled
code that called them.

Compiled code calls the shared routines (pyjit/cpython/routines.py) with
`bl`/`blr`; a routine that calls on (another routine, a helper) first saves
x30 on the stack, and some chain further.  When a Python reader asks which
line a paused compiled activation is at (pyjit/frame_view.py), what the
engine knows is the state at the call that left machine code: its return
address, sp and x29.  If that return address is in the routines, this
module finds the return address of the routine's own caller, and so on,
until it reaches compiled code.

The facts come from the assembled routine text (`AsmResult.lines`), by a
walk over each routine's control flow from its entry points (the routine
symbols, the targets of `bl` and `adr` within the routines), with this
state at each instruction:

    depth   bytes the routine has pushed since its entry (None: a dynamic
            `sub sp, sp, xN`, the frame then found through x29)
    saved   where the entry's return address is: None while still in x30,
            else its distance below the entry sp
    fp      x29 = entry sp - fp, after `stp x29, x30, [sp, #-N]!` and
            `mov x29, sp` (None: x29 is the caller's)

Only the forms the routines use are understood (pre-indexed pushes and
post-indexed pops of x29/x30, `mov x29, sp`, `mov sp, x29`, `sub sp, sp,
xN`, x30's own post-increment past the data after a call); any other
write to sp, x29 or x30, or two different states reaching one
instruction, makes that instruction's state unknown, and a walk through
it answers None rather than a guess.  tests/runtime/test_routine_frames.py
checks that every call the routines make has a known state.
"""

from __future__ import annotations

# Bound at import: the readers run this while a program may have rebound
# builtins.len and the like.
from builtins import bool, enumerate, int, len, list, next, reversed, set, sorted
from dataclasses import dataclass
import re
from typing import Callable, Iterable

_PUSH = re.compile(r"^(x\d+|d\d+)(?:, (x\d+|d\d+))?, \[sp, #-(\d+)\]!$")
_POP = re.compile(r"^(x\d+|d\d+)(?:, (x\d+|d\d+))?, \[sp\], #(\d+)$")
_REGISTERS = re.compile(r"\b(sp|x29|x30|w29|w30)\b")
_CONDITIONAL = {"cbz", "cbnz", "tbz", "tbnz"}
_ENDS = {"ret", "br", "brk"}


@dataclass(frozen=True)
class State:
    """A routine's frame at one instruction (module docstring); at a call,
    what the walk out of it needs at the call's return address."""

    depth: int | None
    saved: int | None
    fp: int | None
    fp_saved: bool = False      # x29 was pushed beside x30, at entry sp - fp


UNKNOWN = State(None, None, None)       # (a walk through it answers None)
_ENTRY = State(0, None, None)


class RoutineFrames:
    """The routines' call sites by return address (offsets in their code),
    and the walk out of them."""

    def __init__(self, lines: Iterable, entries: Iterable[str]):
        self.sites: dict[int, State] = {}
        self.unknown: list[str] = []        # instructions whose state is not known
        _Walk(list(lines), set(entries), self).run()

    def caller(self, offset: int, sp: int, x29: int,
               read_word: Callable[[int], int]) -> tuple[int, int, int] | None:
        """For a call the routines made, returning to code offset `offset`
        with sp and x29 as they were at the call: (the return address the
        routine was called with, sp and x29 at that call), or None when
        not known."""
        site = self.sites.get(offset)
        if site is None or site.saved is None:
            return None
        if site.depth is not None:
            entry = sp + site.depth
        elif site.fp is not None:
            entry = x29 + site.fp
        else:
            return None
        back_x29 = read_word(entry - site.fp) if site.fp_saved else x29
        return read_word(entry - site.saved), entry, back_x29


class _Walk:
    """The state at each instruction, by a worklist over the control flow."""

    def __init__(self, lines: list, entries: set[str], out: RoutineFrames):
        self.out = out
        self.instructions: list = []            # (offset, op, operands)
        self.index_of_label: dict[str, int] = {}
        self.numbered: dict[str, list[int]] = {}     # `1:` labels: N -> their indices
        self.falls_into_data: set[int] = set()
        for line in lines:
            if line.kind == "label":
                if line.op.isdigit():
                    self.numbered.setdefault(line.op, []).append(len(self.instructions))
                else:
                    self.index_of_label[line.op] = len(self.instructions)
            elif line.kind == "instruction":
                self.instructions.append((line.offset, line.op, line.operands))
            elif line.kind in ("data", "island") and line.data:
                self.falls_into_data.add(len(self.instructions))
        self.states: list[State | None] = [None] * len(self.instructions)
        seeds = set(entries)
        for _, op, operands in self.instructions:
            if op == "bl":
                seeds.add(operands)
            elif op == "adr":
                seeds.add(operands.split(", ")[1])
        self.work = [(self.index_of_label[name], _ENTRY)
                     for name in sorted(seeds) if name in self.index_of_label]

    def run(self) -> None:
        while self.work:
            self._reach(*self.work.pop())
        for i, (offset, op, operands) in enumerate(self.instructions):
            if self.states[i] is UNKNOWN:
                self.out.unknown.append(f"{offset:#x}: {op} {operands}")

    def _reach(self, index: int, state: State) -> None:
        """Follow control from index with state, as far as it goes
        straight; branches are queued."""
        while index is not None:
            known = self.states[index]
            if known is not None:
                if known != state and known is not UNKNOWN:
                    self._reach_unknown(index)      # two states meet here
                return
            self.states[index] = state
            offset, op, operands = self.instructions[index]
            if op in ("bl", "blr"):
                self.out.sites[offset + 4] = state
            here = index
            target, index = self._flow(here)
            if target == _NOWHERE:                  # (a branch not to a label: not followed)
                self._reach_unknown(here)
                return
            if target is not None:
                self.work.append((target, state))
            if index is not None:
                state = _after(op, operands, state)

    def _reach_unknown(self, index: int) -> None:
        """index and what control reaches from it become unknown."""
        pending = [index]
        while pending:
            i = pending.pop()
            while i is not None and self.states[i] is not UNKNOWN:
                self.states[i] = UNKNOWN
                offset, op, _ = self.instructions[i]
                if op in ("bl", "blr"):
                    self.out.sites[offset + 4] = UNKNOWN
                target, i = self._flow(i)
                if target is not None and target != _NOWHERE:
                    pending.append(target)

    def _flow(self, index: int) -> tuple[int | None, int | None]:
        """Where control goes from the instruction at index: (a branch's
        target, _NOWHERE when it is not a label, or None; the next
        instruction when control falls through to it, else None)."""
        _, op, operands = self.instructions[index]
        if op in _ENDS:
            return None, None
        target = None
        if op == "b" or op.startswith("b.") or op in _CONDITIONAL:
            target = self._target(index, operands)
            if target is None:
                return _NOWHERE, None
            if op == "b":
                return target, None
        following = index + 1
        if following >= len(self.instructions) or following in self.falls_into_data:
            following = None
        return target, following

    def _target(self, index: int, operands: str) -> int | None:
        """The instruction a branch at index goes to (its last operand: a
        label, or `Nf`/`Nb` for the next or previous `N:`)."""
        name = operands.rsplit(", ", 1)[-1]
        if name[:-1].isdigit() and name[-1] in "fb":
            candidates = self.numbered.get(name[:-1], [])
            if name[-1] == "f":
                return next((k for k in candidates if k > index), None)
            return next((k for k in reversed(candidates) if k <= index), None)
        return self.index_of_label.get(name)


_NOWHERE = -1       # _flow's target of a branch that is not to a label


def _after(op: str, operands: str, state: State) -> State:
    """The state after one instruction (a call leaves it as it was: x30 is
    the routine's own then, the saved one stays where it is)."""
    if state is UNKNOWN:
        return state
    depth, saved, fp, fp_saved = state.depth, state.saved, state.fp, state.fp_saved
    if op in ("str", "stp") and (push := _PUSH.match(operands)):
        first, second, size = push.group(1), push.group(2), int(push.group(3))
        if depth is None:
            return UNKNOWN
        depth += size
        if first == "x30":
            saved = depth
        elif second == "x30":
            saved = depth - 8
        return State(depth, saved, fp, fp_saved or first == "x29")
    if op in ("ldr", "ldp") and (pop := _POP.match(operands)):
        popped, size = (pop.group(1), pop.group(2)), int(pop.group(3))
        if depth is None or "x30" in popped and saved is None:
            return UNKNOWN
        if "x30" in popped:
            saved = None
        if "x29" in popped:
            fp, fp_saved = None, False
        return State(depth - size, saved, fp, fp_saved)
    if op == "mov" and operands == "x29, sp":
        return State(depth, saved, depth, fp_saved) if depth is not None else UNKNOWN
    if op == "mov" and operands == "sp, x29":
        return State(fp, saved, fp, fp_saved) if fp is not None else UNKNOWN
    if op == "sub" and operands.startswith("sp, sp, x"):
        return State(None, saved, fp, fp_saved) if fp is not None else UNKNOWN
    if op in ("bl", "blr"):
        return state
    if op == "ldr" and operands.endswith("[x30], #8") and saved is None:
        return state                            # past the data after the call: still x30
    return UNKNOWN if _writes_tracked(op, operands) else state


def _writes_tracked(op: str, operands: str) -> bool:
    """Whether an instruction not understood above may write sp, x29 or
    x30 (a pre- or post-indexed address writes its base)."""
    if op in ("str", "stp", "stur", "strb", "strh", "cmp", "cmn", "tst", "b", "cbz",
              "cbnz", "tbz", "tbnz") or op.startswith("b."):
        return "!" in operands and "[sp" in operands or re.search(r"\[sp\], #", operands) \
            is not None
    if op.startswith("ld"):
        destinations, _, address = operands.partition("[")
        return bool(_REGISTERS.search(destinations)) or \
            address.startswith("sp") and ("!" in address or "], #" in operands)
    first = operands.split(",", 1)[0].strip()
    return first in ("sp", "x29", "x30", "w29", "w30")
