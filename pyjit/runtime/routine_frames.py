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
    depth: int | None
    saved: int | None
    fp: int | None


UNKNOWN = State(None, None, None)       # (a walk through it answers None)
_ENTRY = State(0, None, None)


@dataclass(frozen=True)
class CallSite:
    """The state of a routine at one of its calls: what the walk needs at
    the call's return address."""

    depth: int | None
    saved: int | None
    fp: int | None
    fp_saved: bool      # x29 was pushed beside x30, at entry sp - fp


class RoutineFrames:
    """The routines' call sites by return address (offsets in their code),
    and the walk out of them."""

    def __init__(self, lines: Iterable, entries: Iterable[str]):
        self.sites: dict[int, CallSite] = {}
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
        self.fp_saved: list[bool] = [False] * len(self.instructions)
        seeds = set(entries)
        for _, op, operands in self.instructions:
            if op == "bl":
                seeds.add(operands)
            elif op == "adr":
                seeds.add(operands.split(", ")[1])
        self.work = [(self.index_of_label[name], _ENTRY, False)
                     for name in sorted(seeds) if name in self.index_of_label]

    def run(self) -> None:
        while self.work:
            index, state, fp_saved = self.work.pop()
            self._reach(index, state, fp_saved)
        for i, (offset, op, operands) in enumerate(self.instructions):
            if self.states[i] is UNKNOWN:
                self.out.unknown.append(f"{offset:#x}: {op} {operands}")

    def _reach(self, index: int, state: State, fp_saved: bool) -> None:
        while index < len(self.instructions):
            known = self.states[index]
            if known is not None:
                if known != state and known is not UNKNOWN:
                    self._reach_unknown(index)      # two states meet here
                return
            self.states[index] = state
            self.fp_saved[index] = fp_saved
            offset, op, operands = self.instructions[index]
            if op in ("bl", "blr"):
                self.out.sites[offset + 4] = CallSite(state.depth, state.saved, state.fp,
                                                      fp_saved)
            if op in _ENDS:
                return
            if op == "b" or op.startswith("b.") or op in _CONDITIONAL:
                target = self._target(index, operands)
                if target is None:                  # (not a label: not followed)
                    self._reach_unknown(index)
                    return
                self.work.append((target, state, fp_saved))
                if op == "b":
                    return
            state, fp_saved = _after(op, operands, state, fp_saved)
            index += 1
            if index in self.falls_into_data:
                return

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

    def _reach_unknown(self, index: int) -> None:
        """index and what control reaches from it become unknown."""
        pending = [index]
        while pending:
            i = pending.pop()
            while i < len(self.instructions) and self.states[i] is not UNKNOWN:
                self.states[i] = UNKNOWN
                offset, op, operands = self.instructions[i]
                if op in ("bl", "blr"):
                    self.out.sites[offset + 4] = CallSite(None, None, None, False)
                if op in _ENDS:
                    break
                if op == "b" or op.startswith("b.") or op in _CONDITIONAL:
                    target = self._target(i, operands)
                    if target is not None:
                        pending.append(target)
                    if op == "b":
                        break
                i += 1
                if i in self.falls_into_data:
                    break


def _after(op: str, operands: str, state: State, fp_saved: bool) -> tuple[State, bool]:
    """The state after one instruction that is not a branch."""
    if state is UNKNOWN:
        return state, fp_saved
    depth, saved, fp = state.depth, state.saved, state.fp
    if op in ("str", "stp") and (push := _PUSH.match(operands)):
        first, second, size = push.group(1), push.group(2), int(push.group(3))
        if depth is None:
            return UNKNOWN, False
        depth += size
        if first == "x30":
            saved = depth
        elif second == "x30":
            saved = depth - 8
        if first == "x29":
            fp_saved = True
        return State(depth, saved, fp), fp_saved
    if op in ("ldr", "ldp") and (pop := _POP.match(operands)):
        first, second, size = pop.group(1), pop.group(2), int(pop.group(3))
        if "x30" in (first, second):
            if depth is None or saved is None:
                return UNKNOWN, False
            saved = None
        if "x29" in (first, second):
            fp, fp_saved = None, False
        if first == "x30" or second == "x30" or "x29" in (first, second):
            return State(depth - size, saved, fp), fp_saved
        # a pop into other registers: only sp moves
        return (State(depth - size, saved, fp) if depth is not None else UNKNOWN), fp_saved
    if op == "mov" and operands == "x29, sp":
        return (State(depth, saved, depth) if depth is not None else UNKNOWN), fp_saved
    if op == "mov" and operands == "sp, x29":
        return (State(fp, saved, fp) if fp is not None else UNKNOWN), fp_saved
    if op == "sub" and operands.startswith("sp, sp, x"):
        return (State(None, saved, fp) if fp is not None else UNKNOWN), fp_saved
    if op in ("bl", "blr"):
        return state, fp_saved                  # x30 is the routine's now; saved stays
    if op == "ldr" and operands.endswith("[x30], #8") and saved is None:
        return state, fp_saved                  # past the data after the call: still x30
    if _writes_tracked(op, operands):
        return UNKNOWN, False
    return state, fp_saved


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
