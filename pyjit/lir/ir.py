"""LIR: a low-level IR of virtual registers, close to a load/store machine.

A `LirFunction` is a list of `Block`s; the first is the entry.  Each block
holds straight-line instructions and ends with exactly one terminator
(`Jump`, `Branch`, `BranchZero`, `FBranch`, `Return`).  Values live in
virtual registers (`VReg`) of two classes: "gp" (64-bit integers and
pointers) and "fp" (doubles).  LIR is not SSA: a vreg may be assigned in
several blocks (phis of the HIR become moves at the end of predecessors).

Every instruction exposes `defs()` and `uses()` (the vregs it writes and
reads) and `is_call` (it clobbers the caller-saved registers), which is all
the register allocator needs: it knows nothing of the ISA beyond the
register sets it is handed.

Memory: `Load`/`Store` address `base + offset` where base is a vreg or a
`StackArea` (a block of the frame the function asked for with
`new_stack_area`, e.g. the argument array of a vectorcall).

Immediates are Python ints; the code generator picks an encoding or
materializes them in a scratch register.  Object constants are `ConstRef`
values loaded from the literal pool, so code size never depends on where
an object happens to live.

Printed form, one instruction per line (see printer.py):

    v3 = add v1, v2
    v4 = load.8 [v3 + 16]
    store.8 v4 -> [area0 + 8]
    v5 = call PyNumber_Add(v1, v2)
    branch.ne v5, 0 -> bb2, bb3
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable

from .call_target import CallTarget

GP, FP = "gp", "fp"


class VReg:
    """A virtual register of class GP or FP."""

    __slots__ = ("id", "cls", "hint")

    def __init__(self, id: int, cls: str, hint: str = ""):
        self.id, self.cls, self.hint = id, cls, hint

    def __repr__(self) -> str:
        return f"{'v' if self.cls == GP else 'f'}{self.id}"


@dataclass(eq=False)
class StackArea:
    """`size` bytes of the frame, 8-byte aligned, owned by the function."""

    index: int
    size: int

    def __repr__(self) -> str:
        return f"area{self.index}"


@dataclass(frozen=True)
class ConstRef:
    """The address of a Python object the compiled code refers to (kept
    alive by the compiled function); `text` is how listings show it."""

    address: int
    text: str


Operand = VReg | int


class Instr:
    """Base of LIR instructions."""

    is_call: ClassVar[bool] = False
    is_terminator: ClassVar[bool] = False
    origin: Any = None  # what produced it (a HIR instruction), for listings

    def defs(self) -> tuple[VReg, ...]:
        return ()

    def uses(self) -> tuple[VReg, ...]:
        return ()

    def successors(self) -> tuple["Block", ...]:
        return ()


def _regs(*ops: Any) -> tuple[VReg, ...]:
    return tuple([op for op in ops if isinstance(op, VReg)])   # (a list: cheaper than a generator)


# -- data movement -------------------------------------------------------
@dataclass(eq=False)
class Move(Instr):
    """`dst = src`: a copy between vregs of one class."""

    dst: VReg
    src: VReg

    def defs(self): return (self.dst,)
    def uses(self): return (self.src,)


@dataclass(eq=False)
class ParallelMove(Instr):
    """`(d0, d1, ...) = (s0, s1, ...)`: copies that happen at once (the
    moves that replace phis); the code generator orders them and breaks
    cycles after register allocation."""

    dsts: list[VReg]
    srcs: list[VReg]

    def defs(self): return tuple(self.dsts)
    def uses(self): return tuple(self.srcs)


@dataclass(eq=False)
class LoadImm(Instr):
    """`dst = imm VALUE`: a 64-bit integer constant."""

    dst: VReg
    value: int

    def defs(self): return (self.dst,)


@dataclass(eq=False)
class LoadConst(Instr):
    """`dst = const <text>`: an object address (or any 64-bit value that
    must not shape the code), loaded from the literal pool."""

    dst: VReg
    const: ConstRef

    def defs(self): return (self.dst,)


@dataclass(eq=False)
class LoadSymbol(Instr):
    """`dst = &SYMBOL`: an address resolved at load time (runtime data such
    as a cache cell), loaded from the literal pool."""

    dst: VReg
    symbol: str

    def defs(self): return (self.dst,)


@dataclass(eq=False)
class SaveReturnAddress(Instr):
    """`store.8 return_address -> [area + offset]`: keep the return address
    of the last call the function made (the link register).  Meaningful
    only as the first instruction of a block every predecessor of which
    branches there right after a call (an exception path: the failing
    call's address names the failing instruction); any call in between
    would overwrite it."""

    area: StackArea
    offset: int = 0


@dataclass(eq=False)
class ReturnAddress(Instr):
    """`dst = return_address`: the return address of the last call the
    function made (the link register), with the same rule as
    SaveReturnAddress: the first instruction of an exception exit."""

    dst: VReg

    def defs(self): return (self.dst,)


@dataclass(eq=False)
class SaveRegisters(Instr):
    """Store every callee-saved general register the allocation gives the
    function, in register order, from [area] on (the code generator sizes
    the area).  The release exit's second instruction: the objects its
    failing call sites hold in registers are read from there, the spilled
    ones from their slots, by the offsets recorded for each call site's
    return address (`Branch.release`)."""

    area: StackArea


@dataclass(eq=False)
class LoadDouble(Instr):
    """`fdst = double VALUE`."""

    dst: VReg
    value: float

    def defs(self): return (self.dst,)


@dataclass(eq=False)
class AreaAddr(Instr):
    """`dst = &area + offset`: the address of a frame area."""

    dst: VReg
    area: StackArea
    offset: int = 0

    def defs(self): return (self.dst,)


# -- arithmetic ------------------------------------------------------------
ALU_OPS = ("add", "sub", "and", "orr", "eor", "lsl", "lsr", "asr", "mul", "sdiv", "smulh",
           "sxtw")
FALU_OPS = ("fadd", "fsub", "fmul", "fdiv")
FUNARY_OPS = ("fsqrt", "fneg", "fabs")
CONDS = ("eq", "ne", "lt", "le", "gt", "ge", "lo", "ls", "hi", "hs", "vs", "vc", "mi", "pl")


@dataclass(eq=False)
class Alu(Instr):
    """`dst = OP a, b` on 64-bit integers; b a vreg or an immediate
    ("sxtw" sign-extends the low 32 bits of a and ignores b)."""

    op: str
    dst: VReg
    a: VReg
    b: Operand

    def defs(self): return (self.dst,)
    def uses(self): return _regs(self.a, self.b)


@dataclass(eq=False)
class AluFlags(Instr):
    """`dst = OP.s a, b` (adds/subs/mul) and `dst2 = 1 if COND else 0`:
    arithmetic whose overflow (cond "vs" for add/sub; for mul, the high
    half check) is captured as a 0/1 value, for overflow-checked ints."""

    op: str
    dst: VReg
    overflow: VReg
    a: VReg
    b: Operand

    def defs(self): return (self.dst, self.overflow)
    def uses(self): return _regs(self.a, self.b)


@dataclass(eq=False)
class CondSet(Instr):
    """`dst = (a COND b) ? 1 : 0` (cmp + cset); b a vreg or an immediate."""

    cond: str
    dst: VReg
    a: VReg
    b: Operand

    def defs(self): return (self.dst,)
    def uses(self): return _regs(self.a, self.b)


@dataclass(eq=False)
class Select(Instr):
    """`dst = (a COND b) ? t : f` (cmp + csel)."""

    cond: str
    dst: VReg
    a: VReg
    b: Operand
    t: VReg
    f: VReg

    def defs(self): return (self.dst,)
    def uses(self): return _regs(self.a, self.b, self.t, self.f)


@dataclass(eq=False)
class FAlu(Instr):
    """`fdst = OP fa, fb` on doubles."""

    op: str
    dst: VReg
    a: VReg
    b: VReg

    def defs(self): return (self.dst,)
    def uses(self): return (self.a, self.b)


@dataclass(eq=False)
class FUnary(Instr):
    """`fdst = OP fa` (fsqrt, fneg, fabs)."""

    op: str
    dst: VReg
    a: VReg

    def defs(self): return (self.dst,)
    def uses(self): return (self.a,)


@dataclass(eq=False)
class IntToDouble(Instr):
    """`fdst = (double) a` (scvtf)."""

    dst: VReg
    a: VReg

    def defs(self): return (self.dst,)
    def uses(self): return (self.a,)


@dataclass(eq=False)
class FCondSet(Instr):
    """`dst = (fa COND fb) ? 1 : 0` (fcmp + cset; unordered is false for
    every condition but "ne")."""

    cond: str
    dst: VReg
    a: VReg
    b: VReg

    def defs(self): return (self.dst,)
    def uses(self): return (self.a, self.b)


# -- memory ----------------------------------------------------------------
Base = VReg | StackArea


@dataclass(eq=False)
class Load(Instr):
    """`dst = load.W [base + offset]`, W in 1, 2, 4, 8 bytes (zero
    extended; signed=True sign extends); fp dst loads a double."""

    dst: VReg
    base: Base
    offset: int = 0
    width: int = 8
    signed: bool = False

    def defs(self): return (self.dst,)
    def uses(self): return _regs(self.base)


class _Zero:
    """The zero register as a Store's source (`store.W zr -> [...]`)."""

    __slots__ = ()

    def __str__(self) -> str:
        return "zr"

    __repr__ = __str__


ZERO = _Zero()


@dataclass(eq=False)
class Store(Instr):
    """`store.W src -> [base + offset]`; src ZERO stores zero."""

    src: VReg | _Zero
    base: Base
    offset: int = 0
    width: int = 8

    def uses(self): return _regs(self.src, self.base)


# -- calls -----------------------------------------------------------------
@dataclass(eq=False)
class Call(Instr):
    """`dst = call TARGET(args...)`: AAPCS64; gp args in x0.., fp args in
    d0..; the result (gp or fp) in x0/d0.  Clobbers caller-saved registers.
    hot=False marks a call on a cold path (strategies may lower it smaller).

    `word`: a constant argument (a cache cell) placed as the 64-bit word
    right after the call instruction instead of in a register: the callee
    (a shared routine) reads it from its return address into the register
    it names in its own convention, and returns past it.  `args_from`: the
    first general register of args (1 when the callee reads the word into
    x0).
    """

    target: CallTarget
    args: list[VReg]
    dst: VReg | None = None
    hot: bool = True
    word: ConstRef | None = None
    args_from: int = 0
    is_call: ClassVar[bool] = True

    def defs(self): return (self.dst,) if self.dst is not None else ()
    def uses(self): return tuple(self.args)


@dataclass(eq=False)
class CallReg(Instr):
    """`dst = call *fn(args...)`: an indirect call through a register."""

    fn: VReg
    args: list[VReg]
    dst: VReg | None = None
    is_call: ClassVar[bool] = True

    def defs(self): return (self.dst,) if self.dst is not None else ()
    def uses(self): return (self.fn, *self.args)


@dataclass(eq=False)
class Incref(Instr):
    """`incref v` (`xincref v` when nullable): Py_INCREF / Py_XINCREF."""

    value: VReg
    nullable: bool = False

    def uses(self): return (self.value,)


@dataclass(eq=False)
class EntryAddr(Instr):
    """`dst = entry`: the address of the function's first instruction (adr),
    which a shared routine calls back (pyjit_bind_call)."""

    dst: VReg

    def defs(self): return (self.dst,)


@dataclass(eq=False)
class Decref(Instr):
    """`decref v` (`xdecref v` when nullable): Py_DECREF / Py_XDECREF.  The
    count is decremented in place; at zero the object is freed through a
    call to _Py_Dealloc, so it clobbers like a call."""

    value: VReg
    nullable: bool = False
    is_call: ClassVar[bool] = True

    def uses(self): return (self.value,)


# -- terminators -------------------------------------------------------------
@dataclass(eq=False)
class Jump(Instr):
    """`jump -> bbN`.  `release` (see Branch) only on a jump to the
    release exit."""

    target: "Block"
    release: tuple[VReg, ...] = ()
    is_terminator: ClassVar[bool] = True

    def uses(self): return tuple(self.release)
    def successors(self): return (self.target,)


@dataclass(eq=False)
class Branch(Instr):
    """`branch.COND a, b -> then, else` (cmp + b.cond; b a vreg or imm);
    width 32 compares the low 32 bits only (`branch32`), as for a C int.

    `release`: the failure check of a call going to the function's release
    exit (`then`), the objects that exit releases when taken: the code
    generator records where each lives, keyed by the call's return address
    (see SaveRegisters); they are used here, so they live until then."""

    cond: str
    a: VReg
    b: Operand
    then: "Block"
    else_: "Block"
    width: int = 64
    release: tuple[VReg, ...] = ()
    is_terminator: ClassVar[bool] = True

    def uses(self): return _regs(self.a, self.b) + tuple(self.release)
    def successors(self): return (self.then, self.else_)


@dataclass(eq=False)
class BranchZero(Instr):
    """`branch.zero a -> then, else` (cbz; nonzero=True: cbnz); with `bit`,
    of that bit of a alone (`branch.bitN.zero`: tbz; nonzero: tbnz), as
    for the sign of a C int (bit 31); `release` as for Branch."""

    a: VReg
    then: "Block"
    else_: "Block"
    nonzero: bool = False
    release: tuple[VReg, ...] = ()
    bit: int | None = None
    is_terminator: ClassVar[bool] = True

    def uses(self): return (self.a,) + tuple(self.release)
    def successors(self): return (self.then, self.else_)


@dataclass(eq=False)
class FBranch(Instr):
    """`fbranch.COND fa, fb -> then, else` (fcmp + b.cond)."""

    cond: str
    a: VReg
    b: VReg
    then: "Block"
    else_: "Block"
    is_terminator: ClassVar[bool] = True

    def uses(self): return (self.a, self.b)
    def successors(self): return (self.then, self.else_)


@dataclass(eq=False)
class Return(Instr):
    """`return v` (gp value in x0), or `return` with no value."""

    value: VReg | None = None
    is_terminator: ClassVar[bool] = True

    def uses(self): return (self.value,) if self.value is not None else ()


# -- blocks and functions ------------------------------------------------------
@dataclass(eq=False)
class Block:
    """A basic block; cold blocks are emitted after every hot block."""

    id: int
    instrs: list[Instr] = field(default_factory=list)
    cold: bool = False

    @property
    def terminator(self) -> Instr | None:
        return self.instrs[-1] if self.instrs and self.instrs[-1].is_terminator else None

    def successors(self) -> tuple[Block, ...]:
        # (the terminator property inlined: every pass asks, block by block)
        if self.instrs and self.instrs[-1].is_terminator:
            return self.instrs[-1].successors()
        return ()

    def __repr__(self) -> str:
        return f"bb{self.id}"


class LirFunction:
    """Blocks, vregs and frame areas of one function.

    params are the vregs holding the incoming arguments (x0.. / d0..) at
    entry; consts are the objects the code refers to (kept alive by the
    compiled function).
    """

    def __init__(self, name: str):
        self.name = name
        self.blocks: list[Block] = []
        self.params: list[VReg] = []
        self.areas: list[StackArea] = []
        self.register_save_area: StackArea | None = None   # the release exit's (SaveRegisters)
        self._next_vreg = 0

    def new_vreg(self, cls: str = GP, hint: str = "") -> VReg:
        v = VReg(self._next_vreg, cls, hint)
        self._next_vreg += 1
        return v

    @property
    def vreg_count(self) -> int:
        return self._next_vreg

    def new_block(self, cold: bool = False) -> Block:
        block = Block(len(self.blocks), cold=cold)
        self.blocks.append(block)
        return block

    def new_stack_area(self, size: int) -> StackArea:
        area = StackArea(len(self.areas), (size + 7) // 8 * 8)
        self.areas.append(area)
        return area

    @property
    def entry(self) -> Block:
        return self.blocks[0]

    def instructions(self) -> Iterable[Instr]:
        for block in self.blocks:
            yield from block.instrs
