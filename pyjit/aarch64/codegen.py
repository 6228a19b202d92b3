"""LIR to AArch64: register allocation, frame, and the driver that runs
one emitter per LIR op (emitters.py) over the blocks.

    emitted = generate(lir_func, strategy="lazy-stub")
    emitted.code      # CompiledCode (bytes, relocations, sizes by section)
    emitted.pc_map    # code offset -> origin of the LIR instruction there
    emitted.pieces    # [(code offset, origin or None)] of every instruction's code

The order of work:
1. linear-scan allocation with AAPCS64's register sets (abi.py);
2. the frame (frame.py) from the allocation;
3. the call lowering strategy plans every call site (the CallSites of
   `call_site` and DEALLOC_SITE, the very ones it is handed to emit);
4. the prologue moves incoming arguments to their locations; hot blocks
   are emitted in order, then cold ones (the cold section), a jump to the
   next block in emission order becoming a fall-through; every `Return`
   shares one epilogue;
5. the strategy emits its stubs and veneers; the buffer places the last
   literal pool.

Spilled operands are loaded into the scratch registers (x16, x17, x15 /
d31, d30) for the one instruction that needs them; scratch values never
survive an instruction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable

from .. import options
from ..cpython import objects
from ..lir import ir
from ..lir.ir import FP as FPC
from ..lir.ir import GP as GPC
from ..lir.layout import allocation_order, emission_order, thread_jumps
from ..lir.merge import merge_identical_blocks
from ..lir.peephole import simplify
from ..lir.regalloc import Allocation, SpillSlot, allocate, register_hints
from . import fragments, isa
from .abi import ARG_FPRS, ARG_GPRS, FP_SCRATCH, GP_SCRATCH, REGISTER_SETS
from .buffer import CodeBuffer, CompiledCode, Label
from .calls import CallLowering, CallSite, CodePlacement, get_strategy
from .frame import Frame, Mover
from .labels import LabelUse
from .operands import EncodingError, Mem
from .registers import SP, X0, Reg
from .emitters import (  # noqa: F401 (CodegenError: the code generator's error)
    DEALLOC_SITE, EMITTERS, REFCOUNT_KIND, CodegenError, call_site, loaded_at_calls, saved_gprs,
)

_INVERSE = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le",
            "lo": "hs", "hs": "lo", "ls": "hi", "hi": "ls", "vs": "vc", "vc": "vs",
            "mi": "pl", "pl": "mi"}


@dataclass
class EmittedFunction:
    code: CompiledCode
    allocation: Allocation
    frame: Frame
    pc_map: dict[int, Any] = field(default_factory=dict)
    pieces: list[tuple[int, Any]] = field(default_factory=list)
    symbols: dict[str, int] = field(default_factory=dict)   # constants' relocations
    # The release exit's map: a failing call's return address (code offset)
    # -> where the objects to release are, as offsets from the register
    # save area (ir.SaveRegisters); spill slots lie below or above it.
    releases: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def resolve(self, symbol: str) -> int:
        """The address of a constant's symbol (for CompiledCode.link)."""
        try:
            return self.symbols[symbol]
        except KeyError:
            raise KeyError(f"unknown symbol {symbol!r}") from None


# Which reference count operations call a thunk (the rest are inline).
# "outline" is the smallest code; "inline" the fewest instructions run;
# "inline-incref" keeps the 3-instruction increfs inline and only the
# decrefs, whose inline form needs a branch and a call, out of line.
REFCOUNT_MODES: dict[str, frozenset[str]] = {
    "outline": frozenset({"incref", "xincref", "decref", "xdecref"}),
    "inline-incref": frozenset({"decref", "xdecref"}),
    "inline": frozenset(),
}
DEFAULT_REFCOUNTS = options.CompileOptions().refcounts
assert tuple(REFCOUNT_MODES) == options.REFCOUNT_MODES
# The reference count sequences are the running version's own fragments
# (cpython objects.incref / decref: its refcount rule, immortal objects
# included), emitted by fragments.emit.


def generate(func: ir.LirFunction, strategy: str | CallLowering | None = None, *,
             placement: CodePlacement | None = None,
             describe: Callable[[Any], str] = str,
             refcounts: str = DEFAULT_REFCOUNTS) -> EmittedFunction:
    """Allocate registers for func and emit it with the call lowering
    strategy (a name, an instance, or None for the default); describe(origin)
    is the listing annotation of the code an origin produced.
    refcounts: which reference count operations go through per-register
    thunks (4 bytes a site, two more instructions run) rather than inline:
    a key of REFCOUNT_MODES."""
    if refcounts not in REFCOUNT_MODES:
        raise ValueError(f"unknown refcounts mode {refcounts!r}: the modes are "
                         f"{', '.join(REFCOUNT_MODES)}")
    lowering = strategy if isinstance(strategy, CallLowering) else get_strategy(strategy, placement)
    simplify(func)
    allocation_order(func, thread_jumps(func))
    hints = register_hints(func, {GPC: ARG_GPRS, FPC: ARG_FPRS})
    alloc = allocate(func, REGISTER_SETS, hints)
    merge_identical_blocks(func, alloc)
    if func.register_save_area is not None:
        func.register_save_area.size = 8 * len(saved_gprs(alloc))
    frame = Frame.layout(alloc, func.areas)
    emitter = _Emitter(func, alloc, frame, lowering, describe)
    emitter.outlined = REFCOUNT_MODES[refcounts]
    return emitter.run()


class _Emitter:
    def __init__(self, func: ir.LirFunction, alloc: Allocation, frame: Frame,
                 lowering: CallLowering, describe: Callable[[Any], str]):
        self.func, self.alloc, self.frame, self.lowering = func, alloc, frame, lowering
        self.loc = alloc.locations      # vreg -> register or SpillSlot, read per operand
        self.describe = describe
        self.buf = CodeBuffer(name=func.name)
        self.mover = Mover(self.buf, frame)
        self.labels: dict[ir.Block, Label] = {b: self.buf.new_label(f"bb{b.id}") for b in func.blocks}
        self.epilogue = self.buf.new_label("epilogue")
        self.pc_map: dict[int, Any] = {}
        self.pieces: list[tuple[int, Any]] = []
        self.next_block: ir.Block | None = None
        self.block: ir.Block | None = None          # the block being emitted
        self.thunks: dict[Reg, dict[str, Label]] = {}
        self.outlined = REFCOUNT_MODES[DEFAULT_REFCOUNTS]
        self.const_symbols: dict[int, str] = {}
        self.falls_into_epilogue = False
        self.releases: dict[int, tuple[int, ...]] = {}
        self.at_call = loaded_at_calls(func)
        # Each call's site, made once: planned, then emitted (ir.Call -> CallSite).
        self.call_sites: dict[ir.Call, CallSite] = {}
        # The callee-saved registers SaveRegisters stores, and where (for
        # the release exit's map).
        self.saved_gprs = saved_gprs(alloc)
        self.saved_index = {reg: k for k, reg in enumerate(self.saved_gprs)}
        self.entry = self.buf.new_label("entry")    # the first instruction (ir.EntryAddr)
        self.lr: int | None = None      # the return address x30 holds here, when known

    # -- driver ----------------------------------------------------------
    def run(self) -> EmittedFunction:
        buf, func = self.buf, self.func
        refcounts = []
        for b in func.blocks:
            for i in b.instrs:
                if isinstance(i, ir.Call):
                    self.call_sites[i] = call_site(i, b)
                elif isinstance(i, (ir.Incref, ir.Decref)):
                    refcounts.append((i, self._refcount_register(i), type(i)))
        sites = list(self.call_sites.values())
        # Reference counting thunks, one set per register a counted value
        # lives in (spilled values are counted from the first scratch
        # register); each register with a decref tail-calls pyjit_dealloc.
        # A register's only incref, or only decref, stays inline: its thunk
        # and call would be as large or larger, and run more.
        sites_of: dict[tuple[Reg, type], int] = {}
        for _, reg, op in refcounts:
            sites_of[reg, op] = sites_of.get((reg, op), 0) + 1
        for instr, reg, op in refcounts:
            kinds = self.thunks.setdefault(reg, {})
            kind = REFCOUNT_KIND[op, instr.nullable]
            if op is ir.Decref and "release" not in kinds:
                kinds["release"] = buf.new_label(f"release:{reg}")
                sites.append(DEALLOC_SITE)
            if kind not in kinds and kind in self.outlined and sites_of[reg, op] > 1:
                kinds[kind] = buf.new_label(f"{kind}:{reg}")
        self.lowering.plan(sites)
        buf.bind(self.entry)
        self.frame.emit_prologue(buf)
        self._move_params()
        order = emission_order(func)
        hot = [b for b in order if not b.cold]
        last_origin = None
        pieces, describe, emitters = self.pieces, self.describe, EMITTERS
        for k, block in enumerate(order):
            if k == len(hot):
                self._emit_epilogue()
            # The shared epilogue follows the last hot block, as its
            # fall-through; cold blocks come after it.
            self.falls_into_epilogue = k == len(hot) - 1
            self.next_block = order[k + 1] if k + 1 < len(order) and k != len(hot) - 1 else None
            self.block = block
            self.lr = None
            buf.bind(self.labels[block])
            for instr in block.instrs:
                origin = instr.origin
                if origin is not None and origin is not last_origin:
                    buf.annotate(partial(describe, origin))
                    last_origin = origin
                start = buf.offset
                emitters[type(instr)](self, instr)
                if buf.offset > start:
                    pieces.append((start, origin))
        # Pieces start at increasing offsets: each one's is its own.
        self.pc_map.update((start, origin) for start, origin in pieces if origin is not None)
        if len(hot) == len(order):
            self._emit_epilogue()
        self._emit_thunks()
        self.lowering.finish(buf)
        symbols = {name: address for address, name in self.const_symbols.items()}
        return EmittedFunction(buf.finish(), self.alloc, self.frame, self.pc_map, symbols=symbols,
                               pieces=self.pieces, releases=self.releases)

    def _refcount_register(self, instr: ir.Incref | ir.Decref) -> Reg:
        """The register a reference count op works on (a spilled value's
        is the first scratch register)."""
        loc = self.loc[instr.value]
        return loc if isinstance(loc, Reg) else GP_SCRATCH[0]

    def _emit_thunks(self) -> None:
        """The reference counting thunks of every register (see _refcount):
        `xincref:R` falls into `incref:R`; `xdecref:R` into `decref:R`,
        which falls into `release:R` at zero: mov x0, R and a tail call of
        pyjit_dealloc, which returns to the decref's caller.  Inline refcounts
        only need `release:R`.  A decref thunk returns through the first
        thunk's `ret` (one for them all): it branches there when the object
        lives on and falls into its release."""
        buf, count = self.buf, GP_SCRATCH[1]
        ret = buf.new_label("thunk return")
        ret_bound = ret_used = False
        for reg, kinds in self.thunks.items():
            if "xincref" in kinds or "incref" in kinds:
                done = buf.new_label()
                if "xincref" in kinds:
                    buf.bind(kinds["xincref"])
                    buf.emit_use(isa.encoded(isa.cbz, reg, 0), done, LabelUse.BRANCH19)
                buf.bind(kinds.setdefault("incref", buf.new_label(f"incref:{reg}")))
                fragments.emit(buf, objects.incref(str(reg), str(count)))
                buf.bind(done)
                if not ret_bound:
                    buf.bind(ret)
                    ret_bound = True
                buf.emit(isa.ret())
            if "release" not in kinds:
                continue
            if "xdecref" in kinds or "decref" in kinds:
                ret_used = True
                if "xdecref" in kinds:
                    buf.bind(kinds["xdecref"])
                    buf.emit_use(isa.encoded(isa.cbz, reg, 0), ret, LabelUse.BRANCH19)
                buf.bind(kinds.setdefault("decref", buf.new_label(f"decref:{reg}")))
                fragments.emit(buf, objects.decref(str(reg), str(count), None, kept="kept"),
                               {"kept": ret})
            buf.bind(kinds["release"])
            if reg != X0:
                buf.emit(isa.mov(X0, reg))
            self.lowering.emit_call(buf, DEALLOC_SITE, tail=True)
        if ret_used and not ret_bound:
            buf.bind(ret)
            buf.emit(isa.ret())

    def _emit_epilogue(self) -> None:
        self.buf.bind(self.epilogue)
        self.frame.emit_epilogue(self.buf)

    def _move_params(self) -> None:
        gp, fp = iter(ARG_GPRS), iter(ARG_FPRS)
        moves = []
        for v in self.func.params:
            src = next(fp) if v.cls == FPC else next(gp)
            if v in self.loc:
                moves.append((self.loc[v], src, v.cls == FPC))
        self.mover.parallel(moves)

    # -- operands ------------------------------------------------------------
    def use(self, v: ir.VReg, k: int = 0) -> Reg:
        """v in a register: its own, or scratch k after a reload."""
        loc = self.loc[v]
        if isinstance(loc, SpillSlot):
            tmp = (FP_SCRATCH if v.cls == FPC else GP_SCRATCH)[k]
            self.buf.emit(isa.ldr(tmp, Mem(SP, self.frame.slot_offset(loc))))
            return tmp
        return loc

    def target(self, v: ir.VReg, k: int = 0) -> Reg:
        """Where to compute v: its register, or scratch k (then `commit`)."""
        loc = self.loc[v]
        if isinstance(loc, SpillSlot):
            return (FP_SCRATCH if v.cls == FPC else GP_SCRATCH)[k]
        return loc

    def commit(self, v: ir.VReg, reg: Reg) -> None:
        loc = self.loc[v]
        if isinstance(loc, SpillSlot):
            self.buf.emit(isa.str_(reg, Mem(SP, self.frame.slot_offset(loc))))

    def operand(self, b: ir.Operand | Reg, k: int, op: Callable[[Any], int]) -> None:
        """Emit op(b) with b a vreg (or a register already), or an immediate
        if op accepts it, else the immediate materialized in scratch k."""
        if isinstance(b, Reg):
            self.buf.emit(op(b))
            return
        if isinstance(b, ir.VReg):
            self.buf.emit(op(self.use(b, k)))
            return
        try:
            word = op(b)
        except EncodingError:
            tmp = GP_SCRATCH[k]
            for w in isa.mov_imm_sequence(tmp, b):
                self.buf.emit(w)
            word = op(tmp)
        self.buf.emit(word)

    def address(self, base: ir.Base, offset: int, k: int) -> tuple[Reg, int]:
        if isinstance(base, ir.StackArea):
            return SP, self.frame.area_base[base.index] + offset
        return self.use(base, k), offset

    def called(self) -> None:
        """A call was just emitted (its last word a bl or blr): x30 holds
        the address after it until the next call."""
        word = self.buf.word_at(self.buf.offset - 4)
        is_call = (word & 0xFC00_0000) == 0x9400_0000 or (word & 0xFFFF_FC1F) == 0xD63F_0000
        self.lr = self.buf.offset if is_call else None

    def record_release(self, i: ir.Jump | ir.Branch | ir.BranchZero) -> None:
        """The release exit's entry for a branch there (ir.Branch.release):
        where each object lives, keyed by the return address x30 holds."""
        if not i.release:
            return
        if self.lr is None:
            raise CodegenError(f"{self.func.name}: a branch to the release exit that does not "
                               f"follow a call: {i}")
        base = self.frame.area_base[self.func.register_save_area.index]
        where = []
        for v in i.release:
            loc = self.loc[v]
            if isinstance(loc, SpillSlot):
                where.append(self.frame.slot_offset(loc) - base)
            elif loc in self.saved_index:
                where.append(8 * self.saved_index[loc])
            else:
                raise CodegenError(f"{self.func.name}: {v!r} to release is in {loc}, which the "
                                   f"failing call may have changed: {i}")
        entry = tuple(where)
        if self.releases.setdefault(self.lr, entry) != entry:
            raise CodegenError(f"{self.func.name}: two release sets for one failing call: {i}")

    def jump(self, block: ir.Block) -> None:
        if block is not self.next_block:
            self.buf.emit_use(isa.encoded(isa.b, 0), self.labels[block], LabelUse.BRANCH26)

    def cond_jump(self, cond: str, then: ir.Block, else_: ir.Block) -> None:
        """b.cond then; b else -- with fall-through where possible."""
        if then is self.next_block:
            cond, then, else_ = _INVERSE[cond], else_, then
        self.buf.emit_use(isa.encoded(isa.b_cond, cond, 0), self.labels[then], LabelUse.BRANCH19)
        self.jump(else_)
