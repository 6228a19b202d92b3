"""LIR to AArch64: register allocation, frame, and one emitter per LIR op.

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
from typing import Any, Callable

from .. import options
from ..cpython import objects
from ..cpython.routines import DEALLOC
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
from .calls import CallLowering, CallSite, CallTarget, CodePlacement, TargetKind, get_strategy
from .frame import Frame, Mover
from .labels import LabelUse
from .operands import EncodingError, Mem, RegOffset, Shifted
from .registers import D0, SP, X0, X30, Reg

_INVERSE = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le",
            "lo": "hs", "hs": "lo", "ls": "hi", "hi": "ls", "vs": "vc", "vc": "vs",
            "mi": "pl", "pl": "mi"}


class CodegenError(Exception):
    """The LIR breaks a rule of the code generator (a bug: the compile is
    refused with this message)."""


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
# decrefs, whose inline form needs a branch and a call, out of line.  A
# decref of a value that is NULL on the hot path (`likely_null`: the
# argument array of a call that needed binding) always tests for NULL
# inline, where a thunk call would only return.
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
    thread_jumps(func)
    allocation_order(func)
    hints = register_hints(func, {GPC: ARG_GPRS, FPC: ARG_FPRS})
    alloc = allocate(func, REGISTER_SETS, hints)
    merge_identical_blocks(func, alloc)
    if func.register_save_area is not None:
        func.register_save_area.size = 8 * len(_saved_gprs(alloc))
    frame = Frame.layout(alloc, func.areas)
    emitter = _Emitter(func, alloc, frame, lowering, describe)
    emitter.outlined = REFCOUNT_MODES[refcounts]
    return emitter.run()


class _Emitter:
    def __init__(self, func: ir.LirFunction, alloc: Allocation, frame: Frame,
                 lowering: CallLowering, describe: Callable[[Any], str]):
        self.func, self.alloc, self.frame, self.lowering = func, alloc, frame, lowering
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
        self.at_call = _loaded_at_calls(func)
        self.lr: int | None = None      # the return address x30 holds here, when known

    # -- driver ----------------------------------------------------------
    def run(self) -> EmittedFunction:
        buf, func = self.buf, self.func
        sites = [call_site(i, b) for b in func.blocks for i in b.instrs if isinstance(i, ir.Call)]
        # Reference counting thunks, one set per register a counted value
        # lives in (spilled values are counted from the first scratch
        # register); each register with a decref tail-calls pyjit_dealloc.
        for instr in func.instructions():
            if isinstance(instr, (ir.Incref, ir.Decref)):
                loc = self.alloc[instr.value]
                reg = loc if isinstance(loc, Reg) else GP_SCRATCH[0]
                kinds = self.thunks.setdefault(reg, {})
                kind = ("x" if instr.nullable and not getattr(instr, "likely_null", False)
                        else "") + type(instr).__name__.lower()
                if isinstance(instr, ir.Decref) and "release" not in kinds:
                    kinds["release"] = buf.new_label(f"release:{reg}")
                    sites.append(DEALLOC_SITE)
                if kind not in kinds and kind in self.outlined:
                    kinds[kind] = buf.new_label(f"{kind}:{reg}")
        self.lowering.plan(sites)
        self.frame.emit_prologue(buf)
        self._move_params()
        order = emission_order(func)
        hot = [b for b in order if not b.cold]
        last_origin = None
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
                if instr.origin is not None and instr.origin is not last_origin:
                    buf.annotate(self.describe(instr.origin))
                    last_origin = instr.origin
                start = buf.offset
                _EMITTERS[type(instr)](self, instr)
                if buf.offset > start:
                    self.pieces.append((start, instr.origin))
                    if instr.origin is not None:
                        self.pc_map.setdefault(start, instr.origin)
        if len(hot) == len(order):
            self._emit_epilogue()
        self._emit_thunks()
        self.lowering.finish(buf)
        symbols = {name: address for address, name in self.const_symbols.items()}
        return EmittedFunction(buf.finish(), self.alloc, self.frame, self.pc_map, symbols=symbols,
                               pieces=self.pieces, releases=self.releases)

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
                    buf.emit_use(isa.cbz(reg, 0), done, LabelUse.BRANCH19)
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
                    buf.emit_use(isa.cbz(reg, 0), ret, LabelUse.BRANCH19)
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
            if v in self.alloc.locations:
                moves.append((self.alloc[v], src, v.cls == FPC))
        self.mover.parallel(moves)

    # -- operands ------------------------------------------------------------
    def use(self, v: ir.VReg, k: int = 0) -> Reg:
        """v in a register: its own, or scratch k after a reload."""
        loc = self.alloc[v]
        if isinstance(loc, SpillSlot):
            tmp = (FP_SCRATCH if v.cls == FPC else GP_SCRATCH)[k]
            self.buf.emit(isa.ldr(tmp, Mem(SP, self.frame.slot_offset(loc))))
            return tmp
        return loc

    def target(self, v: ir.VReg, k: int = 0) -> Reg:
        """Where to compute v: its register, or scratch k (then `commit`)."""
        loc = self.alloc[v]
        if isinstance(loc, SpillSlot):
            return (FP_SCRATCH if v.cls == FPC else GP_SCRATCH)[k]
        return loc

    def commit(self, v: ir.VReg, reg: Reg) -> None:
        loc = self.alloc[v]
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
        saved = _saved_gprs(self.alloc)
        base = self.frame.area_base[self.func.register_save_area.index]
        where = []
        for v in i.release:
            loc = self.alloc[v]
            if isinstance(loc, SpillSlot):
                where.append(self.frame.slot_offset(loc) - base)
            elif loc in saved:
                where.append(8 * saved.index(loc))
            else:
                raise CodegenError(f"{self.func.name}: {v!r} to release is in {loc}, which the "
                                   f"failing call may have changed: {i}")
        entry = tuple(where)
        if self.releases.setdefault(self.lr, entry) != entry:
            raise CodegenError(f"{self.func.name}: two release sets for one failing call: {i}")

    def jump(self, block: ir.Block) -> None:
        if block is not self.next_block:
            self.buf.emit_use(isa.b(0), self.labels[block], LabelUse.BRANCH26)

    def cond_jump(self, cond: str, then: ir.Block, else_: ir.Block) -> None:
        """b.cond then; b else -- with fall-through where possible."""
        if then is self.next_block:
            cond, then, else_ = _INVERSE[cond], else_, then
        self.buf.emit_use(isa.b_cond(cond, 0), self.labels[then], LabelUse.BRANCH19)
        self.jump(else_)


# -- emitters, one per LIR op --------------------------------------------------
def _move(e: _Emitter, i: ir.Move) -> None:
    e.mover.move(e.alloc[i.dst], e.alloc[i.src], i.dst.cls == FPC)


def _parallel_move(e: _Emitter, i: ir.ParallelMove) -> None:
    e.mover.parallel([(e.alloc[d], e.alloc[s], d.cls == FPC) for d, s in zip(i.dsts, i.srcs)])


def _load_imm(e: _Emitter, i: ir.LoadImm) -> None:
    rd = e.target(i.dst)
    for w in isa.mov_imm_sequence(rd, i.value):
        e.buf.emit(w)
    e.commit(i.dst, rd)


def _load_const(e: _Emitter, i: ir.LoadConst) -> None:
    """An object address from the literal pool, relocated: the bytes never
    depend on where objects live (symbols `kN:<text>`, EmittedFunction.symbols)."""
    if i.dst not in e.at_call:
        rd = e.target(i.dst)
        _literal_into(e, i, rd)
        e.commit(i.dst, rd)


def _load_symbol(e: _Emitter, i: ir.LoadSymbol) -> None:
    if i.dst not in e.at_call:
        rd = e.target(i.dst)
        _literal_into(e, i, rd)
        e.commit(i.dst, rd)


def _literal_into(e: _Emitter, i: ir.LoadConst | ir.LoadSymbol, rd: Reg) -> None:
    """ldr rd, =the constant's or symbol's literal."""
    if isinstance(i, ir.LoadSymbol):
        symbol = i.symbol
    else:
        symbol = e.const_symbols.get(i.const.address)
        if symbol is None:
            symbol = e.const_symbols[i.const.address] = f"k{len(e.const_symbols)}:{i.const.text}"
    e.buf.emit_use(isa.ldr_literal(rd, 0), e.buf.literal_reloc(symbol), LabelUse.LDR19)


def _loaded_at_calls(func: ir.LirFunction) -> dict[ir.VReg, ir.Instr]:
    """Literal loads whose value is used once, as an argument of a call
    later in the same block: each is emitted by the call, straight into
    its argument register after the other arguments' moves (one move
    fewer when that register was still busy at the load), instead of
    where it stands."""
    uses: dict[ir.VReg, int] = {}
    for instr in func.instructions():
        for v in instr.uses():
            uses[v] = uses.get(v, 0) + 1
    found: dict[ir.VReg, ir.Instr] = {}
    for block in func.blocks:
        loads: dict[ir.VReg, ir.Instr] = {}
        for instr in block.instrs:
            if isinstance(instr, (ir.Call, ir.CallReg)):
                for a in instr.args:
                    if a in loads and uses.get(a) == 1:
                        found[a] = loads[a]
                loads.clear()       # a value loaded before a call lives across it: leave it
            elif isinstance(instr, (ir.LoadConst, ir.LoadSymbol)) and instr.dst.cls == GPC:
                loads[instr.dst] = instr
    return found


def _saved_gprs(alloc: Allocation) -> list[Reg]:
    """The callee-saved general registers the allocation uses, in the
    order SaveRegisters stores them."""
    return sorted((r for r in alloc.callee_saved_used if r.kind == "x"), key=lambda r: r.num)


def _save_registers(e: _Emitter, i: ir.SaveRegisters) -> None:
    regs = _saved_gprs(e.alloc)
    base = e.frame.area_base[i.area.index]
    for k in range(0, len(regs), 2):
        pair = regs[k:k + 2]
        try:
            if len(pair) < 2:
                raise EncodingError("one register")
            e.buf.emit(isa.stp(pair[0], pair[1], Mem(SP, base + 8 * k)))
        except EncodingError:
            for n, reg in enumerate(pair):
                e.buf.emit(_mem(e, isa.str_, reg, SP, base + 8 * (k + n)))


def _save_return_address(e: _Emitter, i: ir.SaveReturnAddress) -> None:
    base, off = e.address(i.area, i.offset, 1)
    e.buf.emit(_mem(e, isa.str_, X30, base, off))


def _load_double(e: _Emitter, i: ir.LoadDouble) -> None:
    import struct
    rd = e.target(i.dst)
    try:
        e.buf.emit(isa.fmov(rd, i.value))
    except EncodingError:
        bits = struct.unpack("<Q", struct.pack("<d", i.value))[0]
        e.buf.emit_use(isa.ldr_literal(rd, 0), e.buf.literal(bits), LabelUse.LDR19)
    e.commit(i.dst, rd)


def _area_addr(e: _Emitter, i: ir.AreaAddr) -> None:
    rd = e.target(i.dst)
    e.operand(e.frame.area_base[i.area.index] + i.offset, 1, lambda off: isa.add(rd, SP, off))
    e.commit(i.dst, rd)


_ALU = {"add": isa.add, "sub": isa.sub, "and": isa.and_, "orr": isa.orr, "eor": isa.eor,
        "lsl": isa.lsl, "lsr": isa.lsr, "asr": isa.asr, "mul": isa.mul, "sdiv": isa.sdiv,
        "smulh": isa.smulh}


# Register-only operations: an immediate operand goes to a scratch register.
_NO_IMMEDIATE = {"mul", "sdiv", "smulh"}


def _alu(e: _Emitter, i: ir.Alu) -> None:
    ra = e.use(i.a, 0)
    if i.op == "sxtw":
        rd = e.target(i.dst, 0)
        e.buf.emit(isa.sxtw(rd, ra.as_w()))
        e.commit(i.dst, rd)
        return
    rb = _materialize(e, i.b, 1) if i.op in _NO_IMMEDIATE and isinstance(i.b, int) else i.b
    rd = e.target(i.dst, 0)
    op = _ALU[i.op]
    e.operand(rb, 1, lambda b: op(rd, ra, b))
    e.commit(i.dst, rd)


def _alu_flags(e: _Emitter, i: ir.AluFlags) -> None:
    ra = e.use(i.a, 0)
    if i.op == "mul":
        rb = e.use(i.b, 1) if isinstance(i.b, ir.VReg) else _materialize(e, i.b, 1)
        hi = GP_SCRATCH[2]
        e.buf.emit(isa.smulh(hi, ra, rb))
        rd = e.target(i.dst, 0)
        e.buf.emit(isa.mul(rd, ra, rb))
        e.buf.emit(isa.cmp(hi, Shifted(rd, "asr", 63)))
        cond = "ne"
    else:
        rd = e.target(i.dst, 0)
        op = isa.adds if i.op == "add" else isa.subs
        e.operand(i.b, 1, lambda b: op(rd, ra, b))
        cond = "vs"
    e.commit(i.dst, rd)
    ro = e.target(i.overflow, 1)
    e.buf.emit(isa.cset(ro, cond))
    e.commit(i.overflow, ro)


def _materialize(e: _Emitter, value: int, k: int) -> Reg:
    tmp = GP_SCRATCH[k]
    for w in isa.mov_imm_sequence(tmp, value):
        e.buf.emit(w)
    return tmp


def _compare(e: _Emitter, a: ir.VReg, b: ir.Operand, width: int = 64) -> None:
    ra = e.use(a, 0)
    if width == 32:
        ra = ra.as_w()
        if isinstance(b, ir.VReg):
            b = e.use(b, 1).as_w()
    e.operand(b, 1, lambda b: isa.cmp(ra, b))


def _cond_set(e: _Emitter, i: ir.CondSet) -> None:
    _compare(e, i.a, i.b)
    rd = e.target(i.dst)
    e.buf.emit(isa.cset(rd, i.cond))
    e.commit(i.dst, rd)


def _select(e: _Emitter, i: ir.Select) -> None:
    _compare(e, i.a, i.b)
    rt, rf = e.use(i.t, 0), e.use(i.f, 1)
    rd = e.target(i.dst, 2)
    e.buf.emit(isa.csel(rd, rt, rf, i.cond))
    e.commit(i.dst, rd)


_FALU = {"fadd": isa.fadd, "fsub": isa.fsub, "fmul": isa.fmul, "fdiv": isa.fdiv}
_FUNARY = {"fsqrt": isa.fsqrt, "fneg": isa.fneg, "fabs": isa.fabs}


def _falu(e: _Emitter, i: ir.FAlu) -> None:
    ra, rb = e.use(i.a, 0), e.use(i.b, 1)
    rd = e.target(i.dst, 0)
    e.buf.emit(_FALU[i.op](rd, ra, rb))
    e.commit(i.dst, rd)


def _funary(e: _Emitter, i: ir.FUnary) -> None:
    ra = e.use(i.a, 0)
    rd = e.target(i.dst, 0)
    e.buf.emit(_FUNARY[i.op](rd, ra))
    e.commit(i.dst, rd)


def _int_to_double(e: _Emitter, i: ir.IntToDouble) -> None:
    ra = e.use(i.a, 0)
    rd = e.target(i.dst, 0)
    e.buf.emit(isa.scvtf(rd, ra))
    e.commit(i.dst, rd)


def _fcond_set(e: _Emitter, i: ir.FCondSet) -> None:
    e.buf.emit(isa.fcmp(e.use(i.a, 0), e.use(i.b, 1)))
    rd = e.target(i.dst)
    # After fcmp, "unordered" sets C and V: mi/ls/lt-style conditions that
    # are false when unordered are the ones CPython's < <= need.
    e.buf.emit(isa.cset(rd, _FCOND[i.cond]))
    e.commit(i.dst, rd)


# Float conditions whose unordered result is false (ne: true), as in C.
_FCOND = {"eq": "eq", "ne": "ne", "lt": "mi", "le": "ls", "gt": "gt", "ge": "ge"}

_LOADS = {(8, False): isa.ldr, (4, False): isa.ldr, (2, False): isa.ldrh, (1, False): isa.ldrb,
          (4, True): isa.ldrsw, (2, True): isa.ldrsh, (1, True): isa.ldrsb}
_STORES = {8: isa.str_, 4: isa.str_, 2: isa.strh, 1: isa.strb}


def _load(e: _Emitter, i: ir.Load) -> None:
    base, off = e.address(i.base, i.offset, 1)
    rd = e.target(i.dst, 0)
    rt = rd if i.dst.cls == FPC or i.width == 8 or i.signed else rd.as_w()
    e.buf.emit(_mem(e, _LOADS[(i.width, i.signed)], rt, base, off))
    e.commit(i.dst, rd)


def _store(e: _Emitter, i: ir.Store) -> None:
    src = e.use(i.src, 0)
    base, off = e.address(i.base, i.offset, 1)
    rt = src if i.src.cls == FPC or i.width == 8 else src.as_w()
    e.buf.emit(_mem(e, _STORES[i.width], rt, base, off))


def _mem(e: _Emitter, op, rt: Reg, base: Reg, off: int) -> int:
    try:
        return op(rt, Mem(base, off))
    except EncodingError:
        tmp = GP_SCRATCH[2]
        for w in isa.mov_imm_sequence(tmp, off):
            e.buf.emit(w)
        return op(rt, RegOffset(base, tmp))


def _call_moves(e: _Emitter, args: list[ir.VReg]) -> None:
    gp, fp = iter(ARG_GPRS), iter(ARG_FPRS)
    moves, literals = [], []
    for a in args:
        dst = next(fp) if a.cls == FPC else next(gp)
        if a in e.at_call:
            literals.append((e.at_call[a], dst))
        else:
            moves.append((dst, e.alloc[a], a.cls == FPC))
    e.mover.parallel(moves)
    for load, dst in literals:
        _literal_into(e, load, dst)


def _call_result(e: _Emitter, dst: ir.VReg | None) -> None:
    if dst is not None:
        src = D0 if dst.cls == FPC else X0
        e.mover.move(e.alloc[dst], src, dst.cls == FPC)


def _call(e: _Emitter, i: ir.Call) -> None:
    _call_moves(e, i.args)
    e.lowering.emit_call(e.buf, call_site(i, e.block))
    e.called()
    _call_result(e, i.dst)


def _call_reg(e: _Emitter, i: ir.CallReg) -> None:
    # x15 is neither an argument register nor used by parallel moves.
    fn = GP_SCRATCH[2]
    e.mover.move(fn, e.alloc[i.fn], False)
    _call_moves(e, i.args)
    e.buf.emit(isa.blr(fn))
    e.called()
    _call_result(e, i.dst)


def _refcount(e: _Emitter, i: ir.Incref | ir.Decref) -> None:
    """Out of line (the kinds in e.outlined), `bl incref:R` / `bl decref:R`
    (`xincref:R` / `xdecref:R` skip NULL), 4 bytes a site: the thunk does
    the work, a decref's thunk frees the object at zero; a likely-NULL
    decref tests `cbz R, skip` inline before its `bl decref:R`.  Inline:
    the version's fragment (3.11: `ldr x17, [R]; add/subs x17, x17, #1;
    str x17, [R]`, + `b.ne skip; bl release:R` for a decref; 3.12 leaves
    immortal objects alone), `cbz R, skip` first for the x-forms."""
    e.lr = None                             # a thunk or dealloc call changes x30
    rv = e.use(i.value, 0)
    kind = ("x" if i.nullable else "") + type(i).__name__.lower()
    thunks = e.thunks[rv]
    buf = e.buf
    if getattr(i, "likely_null", False):
        kind = kind[1:]                     # the NULL test inline, then as a decref
    elif kind in e.outlined:
        buf.emit_use(isa.bl(0), thunks[kind], LabelUse.BRANCH26)
        return
    count, skip = GP_SCRATCH[1], buf.new_label()
    if i.nullable:
        buf.emit_use(isa.cbz(rv, 0), skip, LabelUse.BRANCH19)
        if kind in e.outlined:              # likely_null: only the NULL test inline
            buf.emit_use(isa.bl(0), thunks[kind], LabelUse.BRANCH26)
            buf.bind(skip)
            return
    if isinstance(i, ir.Incref):
        fragments.emit(buf, objects.incref(str(rv), str(count)))
    else:
        fragments.emit(buf, objects.decref(str(rv), str(count), "release", call=True),
                       {"release": thunks["release"]})
    buf.bind(skip)


def _jump(e: _Emitter, i: ir.Jump) -> None:
    e.record_release(i)
    e.jump(i.target)


def _branch(e: _Emitter, i: ir.Branch) -> None:
    e.record_release(i)
    _compare(e, i.a, i.b, i.width)
    e.cond_jump(i.cond, i.then, i.else_)


def _branch_zero(e: _Emitter, i: ir.BranchZero) -> None:
    e.record_release(i)
    ra = e.use(i.a, 0)
    then, else_, nonzero = i.then, i.else_, i.nonzero
    if then is e.next_block:
        then, else_, nonzero = else_, then, not nonzero
    if i.bit is None:
        op = isa.cbnz if nonzero else isa.cbz
        e.buf.emit_use(op(ra, 0), e.labels[then], LabelUse.BRANCH19)
    else:
        op = isa.tbnz if nonzero else isa.tbz
        e.buf.emit_use(op(ra, i.bit, 0), e.labels[then], LabelUse.BRANCH14)
    e.jump(else_)


def _fbranch(e: _Emitter, i: ir.FBranch) -> None:
    e.buf.emit(isa.fcmp(e.use(i.a, 0), e.use(i.b, 1)))
    then, else_ = i.then, i.else_
    cond = _FCOND[i.cond]
    # An unordered compare must reach else_: only invert when the inverse
    # is also false for unordered operands, else keep the order.
    e.buf.emit_use(isa.b_cond(cond, 0), e.labels[then], LabelUse.BRANCH19)
    e.jump(else_)


def _return(e: _Emitter, i: ir.Return) -> None:
    if i.value is not None:
        src = e.alloc[i.value]
        e.mover.move(D0 if i.value.cls == FPC else X0, src, i.value.cls == FPC)
    if not e.falls_into_epilogue:
        e.buf.emit_use(isa.b(0), e.epilogue, LabelUse.BRANCH26)


_EMITTERS: dict[type, Callable[[_Emitter, Any], None]] = {
    ir.Move: _move, ir.ParallelMove: _parallel_move, ir.LoadImm: _load_imm,
    ir.LoadConst: _load_const, ir.LoadSymbol: _load_symbol, ir.LoadDouble: _load_double,
    ir.SaveReturnAddress: _save_return_address, ir.SaveRegisters: _save_registers,
    ir.AreaAddr: _area_addr, ir.Alu: _alu, ir.AluFlags: _alu_flags, ir.CondSet: _cond_set,
    ir.Select: _select, ir.FAlu: _falu, ir.FUnary: _funary, ir.IntToDouble: _int_to_double,
    ir.FCondSet: _fcond_set, ir.Load: _load, ir.Store: _store, ir.Call: _call,
    ir.CallReg: _call_reg, ir.Jump: _jump, ir.Branch: _branch, ir.BranchZero: _branch_zero,
    ir.FBranch: _fbranch, ir.Return: _return, ir.Incref: _refcount, ir.Decref: _refcount,
}


def call_site(instr: ir.Call, block: ir.Block) -> CallSite:
    """The call site of a LIR call in block, as the strategy sees it when
    planning and when emitting: cold in a cold block (or when the call is
    marked cold), in the block's section, with the call's origin."""
    return CallSite(instr.target, hot=instr.hot and not block.cold,
                    section="cold" if block.cold else "hot", origin=instr.origin)


# Freeing goes through the runtime's pyjit_dealloc (it keeps dead one-digit
# ints for the int routines, and frees the rest through Py_DecRef): the
# tail call of each register's `release:R` thunk, emitted after the body,
# so planned and emitted as a cold site.
_DEALLOC = CallTarget(DEALLOC, TargetKind.RUNTIME)
DEALLOC_SITE = CallSite(_DEALLOC, hot=False, section="cold")

