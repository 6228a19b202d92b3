"""The stack frame of a compiled function, and moves between locations.

Frame layout (addresses grow upwards from sp, which x29 equals after the
prologue):

    sp + 0                 x29, x30 (the frame record)
    sp + 16                callee-saved registers the function uses, in pairs
    sp + spill_base        spill slots, 8 bytes each
    sp + area_base[i]      stack areas asked for by the LIR (8-byte aligned)
    sp + size              the caller's frame (size is a multiple of 16)

A location is a register (`Reg`) or a `SpillSlot`; `emit_move` copies
between any two of one class, and `emit_parallel_move` performs a set of
copies that happen at once, ordering them and breaking cycles with the
code generator's scratch registers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..lir.ir import StackArea
from ..lir.regalloc import Allocation, SpillSlot
from . import isa
from .abi import FP_SCRATCH, GP_SCRATCH
from .buffer import CodeBuffer
from .operands import Mem, PostIndex, PreIndex
from .registers import FP, LR, SP, Reg

_PAIR_REACH = 504  # stp/ldp pre/post-index immediate: -512..504, 8-byte steps


@dataclass
class Frame:
    saved: list[Reg]          # callee-saved registers, stored from sp + 16
    spill_base: int
    area_base: dict[int, int]
    size: int

    @classmethod
    def layout(cls, alloc: Allocation, areas: list[StackArea]) -> Frame:
        saved = sorted(alloc.callee_saved_used, key=lambda r: (r.kind, r.num))
        offset = 16 + 8 * len(saved)
        spill_base = offset
        offset += 8 * alloc.spill_slots
        area_base = {}
        for area in areas:
            area_base[area.index] = offset
            offset += area.size
        return cls(saved, spill_base, area_base, (offset + 15) // 16 * 16)

    def slot_offset(self, slot: SpillSlot) -> int:
        return self.spill_base + 8 * slot.index

    def _saved_pairs(self):
        regs = self.saved
        for i in range(0, len(regs), 2):
            pair = regs[i:i + 2]
            yield 16 + 8 * i, pair

    def emit_prologue(self, buf: CodeBuffer) -> None:
        if self.size <= _PAIR_REACH:
            buf.emit(isa.stp(FP, LR, PreIndex(SP, -self.size)))
        else:
            _adjust_sp(buf, isa.sub, self.size)
            buf.emit(isa.stp(FP, LR, Mem(SP, 0)))
        buf.emit(isa.encoded(isa.mov, FP, SP))
        for offset, pair in self._saved_pairs():
            if len(pair) == 2 and pair[0].kind == pair[1].kind:
                buf.emit(isa.stp(pair[0], pair[1], Mem(SP, offset)))
            else:
                for k, reg in enumerate(pair):
                    buf.emit(isa.str_(reg, Mem(SP, offset + 8 * k)))

    def emit_epilogue(self, buf: CodeBuffer) -> None:
        for offset, pair in self._saved_pairs():
            if len(pair) == 2 and pair[0].kind == pair[1].kind:
                buf.emit(isa.ldp(pair[0], pair[1], Mem(SP, offset)))
            else:
                for k, reg in enumerate(pair):
                    buf.emit(isa.ldr(reg, Mem(SP, offset + 8 * k)))
        if self.size <= _PAIR_REACH:
            buf.emit(isa.ldp(FP, LR, PostIndex(SP, self.size)))
        else:
            buf.emit(isa.ldp(FP, LR, Mem(SP, 0)))
            _adjust_sp(buf, isa.add, self.size)
        buf.emit(isa.encoded(isa.ret))


def _adjust_sp(buf: CodeBuffer, op, amount: int) -> None:
    low, high = amount & 0xFFF, amount & ~0xFFF
    if high:
        buf.emit(op(SP, SP, high))
    if low or not high:
        buf.emit(op(SP, SP, low))


def scratch_for(loc) -> Reg:
    """The first scratch register of loc's class."""
    return FP_SCRATCH[0] if _is_fp(loc) else GP_SCRATCH[0]


def _is_fp(loc) -> bool:
    return isinstance(loc, Reg) and loc.kind == "d"


class Mover:
    """Copies between locations of one function (registers and spill
    slots), through the scratch registers when both are memory."""

    def __init__(self, buf: CodeBuffer, frame: Frame):
        self.buf, self.frame = buf, frame

    def move(self, dst, src, fp: bool) -> None:
        if dst == src:
            return
        buf = self.buf
        if isinstance(src, Reg) and isinstance(dst, Reg):
            buf.emit(isa.encoded(isa.fmov if fp else isa.mov, dst, src))
        elif isinstance(dst, Reg):
            buf.emit(isa.ldr(dst, Mem(SP, self.frame.slot_offset(src))))
        elif isinstance(src, Reg):
            buf.emit(isa.str_(src, Mem(SP, self.frame.slot_offset(dst))))
        else:
            tmp = FP_SCRATCH[1] if fp else GP_SCRATCH[1]
            buf.emit(isa.ldr(tmp, Mem(SP, self.frame.slot_offset(src))))
            buf.emit(isa.str_(tmp, Mem(SP, self.frame.slot_offset(dst))))

    def parallel(self, moves: list[tuple[object, object, bool]]) -> None:
        """Perform (dst, src, fp) copies as if simultaneously.

        A copy is emitted once its destination is no longer the source of
        another pending copy; a cycle is broken by saving one destination
        in the first scratch register of its class and reading it from
        there.  Uses GP_SCRATCH[0] / FP_SCRATCH[0] (and [1] for memory to
        memory copies).
        """
        pending = [(d, s, fp) for d, s, fp in moves if d != s]
        if len(pending) == 1:               # most calls: nothing to order
            self.move(*pending[0])
            return
        while pending:
            for i, (d, s, fp) in enumerate(pending):
                if not any(s2 == d for j, (_, s2, _) in enumerate(pending) if j != i):
                    self.move(d, s, fp)
                    pending.pop(i)
                    break
            else:
                d, _, fp = pending[0]
                tmp = FP_SCRATCH[0] if fp else GP_SCRATCH[0]
                self.move(tmp, d, fp)
                pending = [(d2, tmp if s2 == d else s2, f2) for d2, s2, f2 in pending]
