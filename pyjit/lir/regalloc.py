"""Linear-scan register allocation over live intervals.

The allocator knows nothing of the ISA: it is handed a `RegisterSet` per
register class (which registers are caller-saved and which callee-saved,
in order of preference) and returns an `Allocation`: a location for every
vreg (a register, or a `SpillSlot` in the frame), the callee-saved
registers the function must preserve, and the number of spill slots.

Policy (Poletto and Sarkar's linear scan, with call awareness):
- intervals are visited by increasing start; those that ended before the
  current start give their register back;
- an interval that crosses a call may only take a callee-saved register
  (AAPCS64: values live across calls sit in x19..x28 / d8..d15 or on the
  stack); any other interval prefers caller-saved registers, keeping
  callee-saved ones (which cost a save and a restore) for the others;
- when no register is free, the interval among the active ones and the new
  one that ends last is spilled, if its register would suit the new one;
- among the free registers that suit an interval, a hinted one (the ABI
  register of a call argument or result, the register of the other side
  of a copy) is taken first, which turns moves into nothing.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from .ir import GP, Call, CallReg, LirFunction, Move, ParallelMove, Return, VReg
from .liveness import Interval, build_intervals


@dataclass(frozen=True)
class SpillSlot:
    index: int

    def __repr__(self) -> str:
        return f"slot{self.index}"


@dataclass(frozen=True)
class RegisterSet:
    """Allocatable registers of one class, in order of preference."""

    caller_saved: tuple[Any, ...]
    callee_saved: tuple[Any, ...]
    # Every register, caller-saved ones first, and each one's position
    # there (what the allocator works with), computed once.
    regs: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    index: dict[Any, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regs = (*self.caller_saved, *self.callee_saved)
        index = {r: i for i, r in enumerate(regs)}
        if len(index) != len(regs):
            raise ValueError("a register appears twice in a RegisterSet")
        object.__setattr__(self, "regs", regs)
        object.__setattr__(self, "index", index)


@dataclass
class Allocation:
    locations: dict[VReg, Any]                 # vreg -> register or SpillSlot
    callee_saved_used: list[Any] = field(default_factory=list)
    spill_slots: int = 0
    intervals: list[Interval] = field(default_factory=list)

    def __getitem__(self, vreg: VReg) -> Any:
        return self.locations[vreg]


# The instructions register_hints looks at (most have nothing to prefer).
_HINTED = frozenset({Call, CallReg, Return, Move, ParallelMove})


def register_hints(func: LirFunction, arg_regs: dict[str, tuple]) -> dict[VReg, list]:
    """Preferences that save moves: a call's arguments and result, and the
    incoming parameters, in their ABI registers; both sides of a copy in
    one register.  Entries are registers, or vregs meaning "the register
    that vreg got"."""
    hints: dict[VReg, list] = {}

    def prefer(v: VReg, what) -> None:
        hints.setdefault(v, []).append(what)

    def abi_positions(values, first_gp: int = 0) -> None:
        counters = dict.fromkeys(arg_regs, 0)
        counters[GP] = first_gp
        for v in values:
            k = counters[v.cls]
            counters[v.cls] += 1
            regs = arg_regs[v.cls]
            if k < len(regs):
                hints.setdefault(v, []).append(regs[k])

    abi_positions(func.params)
    for block in func.blocks:
        for instr in block.instrs:
            kind = type(instr)
            if kind not in _HINTED:
                continue
            if kind is Call or kind is CallReg:
                abi_positions(instr.args, getattr(instr, "args_from", 0))
                if instr.dst is not None:
                    prefer(instr.dst, arg_regs[instr.dst.cls][0])
            elif kind is Return:
                if instr.value is not None:
                    prefer(instr.value, arg_regs[instr.value.cls][0])
            elif kind is Move:
                prefer(instr.dst, instr.src)
                prefer(instr.src, instr.dst)
            else:                           # ParallelMove
                for d, src in zip(instr.dsts, instr.srcs):
                    prefer(d, src)
                    prefer(src, d)
    return hints


_end = attrgetter("end")    # an interval's end (in C: insort calls it per comparison)


class _Pool:
    """The registers of one class, handled by their index in the order of
    preference (caller-saved ones first, then callee-saved ones): the free
    ones are a sorted list of indices, and "callee-saved" is "index at
    least first_callee", so the allocator compares small ints, never
    registers."""

    def __init__(self, rs: RegisterSet):
        self.regs, self.index = rs.regs, rs.index
        self.first_callee = len(rs.caller_saved)
        self.free = list(range(len(self.regs)))

    def lowest(self, iv: Interval) -> int:
        """The lowest index that suits iv: a value live across a call may
        only take a callee-saved register."""
        return self.first_callee if iv.crosses_call else 0

    def choose(self, iv: Interval, hints: list, locations: dict[VReg, Any]) -> int | None:
        """The free register for iv: the first hinted one that suits, else
        the first that suits; None when none is free."""
        free = self.free
        lowest = self.first_callee if iv.crosses_call else 0     # self.lowest(iv)
        k = bisect_left(free, lowest)
        if k == len(free):
            return None
        for hint in hints:
            hinted = locations.get(hint) if isinstance(hint, VReg) else hint
            i = self.index.get(hinted)
            if i is not None and i >= lowest and i in free:
                return i
        return free[k]


def allocate(func: LirFunction, regsets: dict[str, RegisterSet],
             hints: dict[VReg, list] | None = None) -> Allocation:
    """Assign every vreg of func a register of its class or a spill slot,
    taking a free hinted register (see register_hints) when there is one."""
    hints = hints or {}
    intervals = build_intervals(func)
    locations: dict[VReg, Any] = {}
    held: dict[VReg, int] = {}          # vreg -> index of its register, while active
    callee_used: dict[Any, None] = {}
    spill_slots = 0
    pools = {cls: _Pool(rs) for cls, rs in regsets.items()}
    active: list[Interval] = []   # sorted by end

    def spill(iv: Interval) -> None:
        nonlocal spill_slots
        locations[iv.vreg] = SpillSlot(spill_slots)
        spill_slots += 1

    def take(iv: Interval, pool: _Pool, i: int) -> None:
        reg = pool.regs[i]
        locations[iv.vreg] = reg
        held[iv.vreg] = i
        if i >= pool.first_callee:
            callee_used[reg] = None
        insort(active, iv, key=_end)

    for iv in intervals:
        while active and active[0].end < iv.start:
            done = active.pop(0)
            insort(pools[done.vreg.cls].free, held.pop(done.vreg))
        cls = iv.vreg.cls
        pool = pools.get(cls)
        if pool is None:
            raise ValueError(f"no registers of class {cls!r} for {iv.vreg!r}")
        i = pool.choose(iv, hints.get(iv.vreg, ()), locations)
        if i is not None:
            pool.free.remove(i)
            take(iv, pool, i)
            continue
        # No free register: spill whichever of the active intervals (that
        # could give a suitable register) or iv ends last; the first such
        # active interval on a tie.
        lowest = pool.lowest(iv)
        victim = None
        for a in active:
            if (a.vreg.cls == cls and held[a.vreg] >= lowest
                    and (victim is None or a.end > victim.end)):
                victim = a
        if victim is not None and victim.end > iv.end:
            i = held.pop(victim.vreg)
            active.remove(victim)
            spill(victim)
            take(iv, pool, i)
        else:
            spill(iv)
    return Allocation(locations, list(callee_used), spill_slots, intervals)
