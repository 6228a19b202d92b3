"""One emitter per LIR op (`EMITTERS`), which the code generator's
`_Emitter` (codegen.py) calls for each instruction with itself: its
allocation, buffer, frame mover and call lowering strategy; and what the
driver asks before emitting (`loaded_at_calls`, `saved_gprs`, the call
sites it plans: `call_site`, `DEALLOC_SITE`)."""

from __future__ import annotations

from typing import Any, Callable

from ..cpython import objects
from ..cpython.routines import DEALLOC
from ..lir import ir
from ..lir.ir import FP as FPC
from ..lir.ir import GP as GPC
from ..lir.regalloc import Allocation
from . import fragments, isa
from .abi import ARG_FPRS, ARG_GPRS, GP_SCRATCH
from .calls import CallSite, CallTarget, TargetKind
from .labels import LabelUse
from .operands import EncodingError, Mem, RegOffset, Shifted
from .registers import D0, SP, X0, X30, XZR, Reg
from .relocs import RelocKind

class CodegenError(Exception):
    """The LIR breaks a rule of the code generator (a bug: the compile is
    refused with this message)."""


# What every emitter is called with: the code generator's state for the
# function (codegen._Emitter, which imports this module).
_Emitter = Any


# -- emitters, one per LIR op --------------------------------------------------
def _move(e: _Emitter, i: ir.Move) -> None:
    e.mover.move(e.loc[i.dst], e.loc[i.src], i.dst.cls == FPC)


def _parallel_move(e: _Emitter, i: ir.ParallelMove) -> None:
    e.mover.parallel([(e.loc[d], e.loc[s], d.cls == FPC) for d, s in zip(i.dsts, i.srcs)])


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
    symbol = i.symbol if isinstance(i, ir.LoadSymbol) else _const_symbol(e, i.const)
    e.buf.emit_use(isa.encoded(isa.ldr_literal, rd, 0), e.buf.literal_reloc(symbol),
                   LabelUse.LDR19)


def _const_symbol(e: _Emitter, const: ir.ConstRef) -> str:
    """The relocation symbol of a constant (`kN:<text>`, one per object)."""
    symbol = e.const_symbols.get(const.address)
    if symbol is None:
        symbol = e.const_symbols[const.address] = f"k{len(e.const_symbols)}:{const.text}"
    return symbol


def loaded_at_calls(func: ir.LirFunction) -> dict[ir.VReg, ir.Instr]:
    """Literal loads whose value is used once, as an argument of a call
    later in the same block: each is emitted by the call, straight into
    its argument register after the other arguments' moves (one move
    fewer when that register was still busy at the load), instead of
    where it stands."""
    candidates: dict[ir.VReg, ir.Instr] = {}    # loads that are an argument of the next call
    for block in func.blocks:
        loads: dict[ir.VReg, ir.Instr] = {}
        for instr in block.instrs:
            kind = type(instr)      # (LIR classes have no subclasses: one set lookup)
            if kind in _CALLS:
                for a in instr.args:
                    if a in loads:
                        candidates[a] = loads[a]
                loads.clear()       # a value loaded before a call lives across it: leave it
            elif kind in _LITERAL_LOADS and instr.dst.cls == GPC:
                loads[instr.dst] = instr
    if not candidates:
        return {}
    uses = dict.fromkeys(candidates, 0)
    for block in func.blocks:
        for instr in block.instrs:
            for v in instr.uses():
                if v in uses:
                    uses[v] += 1
    return {v: load for v, load in candidates.items() if uses[v] == 1}


_CALLS = frozenset({ir.Call, ir.CallReg})
_LITERAL_LOADS = frozenset({ir.LoadConst, ir.LoadSymbol})


def saved_gprs(alloc: Allocation) -> list[Reg]:
    """The callee-saved general registers the allocation uses, in the
    order SaveRegisters stores them."""
    return sorted((r for r in alloc.callee_saved_used if r.kind == "x"), key=lambda r: r.num)


def _save_registers(e: _Emitter, i: ir.SaveRegisters) -> None:
    regs = e.saved_gprs
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
        e.buf.emit_use(isa.encoded(isa.ldr_literal, rd, 0), e.buf.literal(bits), LabelUse.LDR19)
    e.commit(i.dst, rd)


def _return_address(e: _Emitter, i: ir.ReturnAddress) -> None:
    rd = e.target(i.dst)
    e.buf.emit(isa.encoded(isa.mov, rd, X30))
    e.commit(i.dst, rd)


def _entry_addr(e: _Emitter, i: ir.EntryAddr) -> None:
    rd = e.target(i.dst)
    e.buf.emit_use(isa.adr(rd, 0), e.entry, LabelUse.ADR21)
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
    zero = i.src is ir.ZERO
    src = XZR if zero else e.use(i.src, 0)
    base, off = e.address(i.base, i.offset, 1)
    rt = src if i.width == 8 or not zero and i.src.cls == FPC else src.as_w()
    e.buf.emit(_mem(e, _STORES[i.width], rt, base, off))


def _mem(e: _Emitter, op, rt: Reg, base: Reg, off: int) -> int:
    try:
        return op(rt, Mem(base, off))
    except EncodingError:
        tmp = GP_SCRATCH[2]
        for w in isa.mov_imm_sequence(tmp, off):
            e.buf.emit(w)
        return op(rt, RegOffset(base, tmp))


def _call_moves(e: _Emitter, args: list[ir.VReg], first_gp: int = 0) -> None:
    gp, fp = iter(ARG_GPRS[first_gp:]), iter(ARG_FPRS)
    moves, literals = [], []
    at_call, loc = e.at_call, e.loc
    for a in args:
        is_fp = a.cls == FPC
        dst = next(fp) if is_fp else next(gp)
        load = at_call.get(a)
        if load is not None:
            literals.append((load, dst))
        else:
            moves.append((dst, loc[a], is_fp))
    e.mover.parallel(moves)
    for load, dst in literals:
        _literal_into(e, load, dst)


def _call_result(e: _Emitter, dst: ir.VReg | None) -> None:
    if dst is not None:
        src = D0 if dst.cls == FPC else X0
        e.mover.move(e.loc[dst], src, dst.cls == FPC)


def _call(e: _Emitter, i: ir.Call) -> None:
    """The argument moves, the call, and the call's word after it (ir.Call:
    nothing may come between the two: room for both first, so that no
    literal pool or veneer island is placed in between)."""
    _call_moves(e, i.args, i.args_from)
    if i.word is None:
        e.lowering.emit_call(e.buf, e.call_sites[i])
        e.called()
    else:
        e.buf.keep_together(_LONGEST_CALL + 8)
        e.lowering.emit_call(e.buf, e.call_sites[i])
        e.called()
        end = e.buf.offset
        with e.buf.section("literals"):
            e.buf.reloc(RelocKind.ABS64, _const_symbol(e, i.word))
            e.buf.emit_data(bytes(8))
        if e.lr != end or e.buf.offset != end + 8:
            raise CodegenError(f"{i.target.name}: its word does not follow its call")
        e.lr = e.buf.offset                 # the routine returns past the word
    _call_result(e, i.dst)


# The longest call sequence a strategy emits (`direct`: movz and three movk,
# then blr x16).
_LONGEST_CALL = 20


def _call_reg(e: _Emitter, i: ir.CallReg) -> None:
    # x15 is neither an argument register nor used by parallel moves.
    fn = GP_SCRATCH[2]
    e.mover.move(fn, e.loc[i.fn], False)
    _call_moves(e, i.args)
    e.buf.emit(isa.encoded(isa.blr, fn))
    e.called()
    _call_result(e, i.dst)


def _refcount(e: _Emitter, i: ir.Incref | ir.Decref) -> None:
    """Out of line (the kinds in e.outlined that have a thunk: not a
    register's only incref or decref), `bl incref:R` / `bl decref:R` (`xincref:R` /
    `xdecref:R` skip NULL), 4 bytes a site: the thunk does the work, a
    decref's thunk frees the object at zero.  Inline: the version's
    fragment (3.11: `ldr x17, [R]; add/subs x17, x17, #1; str x17, [R]`,
    + `b.ne skip; bl release:R` for a decref; 3.12 leaves immortal objects
    alone), `cbz R, skip` first for the x-forms."""
    e.lr = None                             # a thunk or dealloc call changes x30
    rv = e.use(i.value, 0)
    kind = REFCOUNT_KIND[type(i), i.nullable]
    thunks = e.thunks[rv]
    buf = e.buf
    if kind in thunks:
        buf.emit_use(isa.encoded(isa.bl, 0), thunks[kind], LabelUse.BRANCH26)
        return
    count, skip = GP_SCRATCH[1], buf.new_label()
    if i.nullable:
        buf.emit_use(isa.encoded(isa.cbz, rv, 0), skip, LabelUse.BRANCH19)
    if isinstance(i, ir.Incref):
        fragments.emit(buf, objects.incref(str(rv), str(count)))
    else:
        fragments.emit(buf, objects.decref(str(rv), str(count), "release", call=True),
                       {"release": thunks["release"]})
    buf.bind(skip)


# The thunk kind of a reference count op: (class, nullable) -> its name.
REFCOUNT_KIND = {(op, nullable): ("x" if nullable else "") + op.__name__.lower()
                 for op in (ir.Incref, ir.Decref) for nullable in (False, True)}


def _jump(e: _Emitter, i: ir.Jump) -> None:
    if i.release:
        e.record_release(i)
    e.jump(i.target)


def _branch(e: _Emitter, i: ir.Branch) -> None:
    if i.release:
        e.record_release(i)
    _compare(e, i.a, i.b, i.width)
    e.cond_jump(i.cond, i.then, i.else_)


def _branch_zero(e: _Emitter, i: ir.BranchZero) -> None:
    if i.release:
        e.record_release(i)
    ra = e.use(i.a, 0)
    then, else_, nonzero = i.then, i.else_, i.nonzero
    if then is e.next_block:
        then, else_, nonzero = else_, then, not nonzero
    if i.bit is None:
        op = isa.cbnz if nonzero else isa.cbz
        e.buf.emit_use(isa.encoded(op, ra, 0), e.labels[then], LabelUse.BRANCH19)
    else:
        op = isa.tbnz if nonzero else isa.tbz
        e.buf.emit_use(isa.encoded(op, ra, i.bit, 0), e.labels[then], LabelUse.BRANCH14)
    e.jump(else_)


def _fbranch(e: _Emitter, i: ir.FBranch) -> None:
    e.buf.emit(isa.fcmp(e.use(i.a, 0), e.use(i.b, 1)))
    then, else_ = i.then, i.else_
    cond = _FCOND[i.cond]
    # An unordered compare must reach else_: only invert when the inverse
    # is also false for unordered operands, else keep the order.
    e.buf.emit_use(isa.encoded(isa.b_cond, cond, 0), e.labels[then], LabelUse.BRANCH19)
    e.jump(else_)


def _return(e: _Emitter, i: ir.Return) -> None:
    if i.value is not None:
        src = e.loc[i.value]
        e.mover.move(D0 if i.value.cls == FPC else X0, src, i.value.cls == FPC)
    if not e.falls_into_epilogue:
        e.buf.emit_use(isa.encoded(isa.b, 0), e.epilogue, LabelUse.BRANCH26)


EMITTERS: dict[type, Callable[[_Emitter, Any], None]] = {
    ir.Move: _move, ir.ParallelMove: _parallel_move, ir.LoadImm: _load_imm,
    ir.LoadConst: _load_const, ir.LoadSymbol: _load_symbol, ir.LoadDouble: _load_double,
    ir.SaveReturnAddress: _save_return_address, ir.SaveRegisters: _save_registers,
    ir.AreaAddr: _area_addr, ir.EntryAddr: _entry_addr, ir.ReturnAddress: _return_address, ir.Alu: _alu, ir.AluFlags: _alu_flags, ir.CondSet: _cond_set,
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

