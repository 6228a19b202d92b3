"""HIR to LIR: the state of one function's lowering, the driver (entry,
blocks, phis, exception paths), the building blocks every op's lowering
uses (reference counting, helper and routine calls, failure checks), and the
table of op lowerings.

    lir_func, consts = lower_function(hir_func, py_function, options)   # lower.py

The compiled function has the vectorcall signature (runtime ABI):
x0 = the function object, x1 = the argument array, x2 = nargsf,
x3 = kwnames.  The entry takes the array as it is when the call is exactly
positional with the right count; otherwise (defaults, keywords, *args,
**kwargs) a cold path calls the `bind_args` helper, which returns a tuple of
every parameter slot, and the function reads its arguments from that
tuple (released at exit).

Every HIR instruction that may raise is followed by a check of its
helper's failure value.  On failure inside a try, control goes to a cold
block that releases the values the refcount pass listed (`exc_release`),
moves the handler's phi inputs and jumps to the handler block.  Without a
handler it goes to the shared error exit (return NULL), through the
shared release exit when something is to be released: the check's branch
lists those values (`release`) and the code generator records where they
live, keyed by the failing call's return address, so no site has code of
its own on that path (`release_exit`).

The lowering of each op is registered in `LOWERINGS` (`@lowers(OpClass)`)
by lower_ops.py, lower_caches.py and lower_calls.py; lower.py imports them
all and runs the driver.  This module imports none of them.  The options
of the compilation (pyjit/options.py: cache and direct call modes) are
`self.options`.
"""

from __future__ import annotations

import functools
from types import FunctionType
from typing import Any, Callable

from ..cpython import layout
from ..cpython.helpers import HELPERS
from ..cpython.routines import BIND_CALL, BOUND_ARGUMENTS
from ..cpython.tracebacks import CodeInfo
from ..hir import ir as hir
from ..hir.ops_core import Phi
from ..hir.types import CDouble
from ..options import CompileOptions
from . import ir
from .call_target import CallTarget, TargetKind
from .ir import FP, GP, ConstRef, VReg

PY_VECTORCALL_ARGUMENTS_OFFSET = 1 << 63
_SIMPLE_FLAGS = 0x04 | 0x08          # CO_VARARGS | CO_VARKEYWORDS


class LoweringError(Exception):
    """The HIR uses something the lowering does not support (a bug or a
    gap: the compile is refused with this message)."""


class FunctionLowering:
    def __init__(self, hfunc: hir.Function, pyfunc: FunctionType,
                 options: CompileOptions | None = None):
        self.h = hfunc
        self.pyfunc = pyfunc
        self.options = options if options is not None else CompileOptions()
        self.f = ir.LirFunction(hfunc.qualname)
        self.consts: list[object] = []
        self._kept_ids: set[int] = set()         # the ids of consts' objects (kept alive there)
        # (id, text) -> const()'s ConstRef (made once: the text is a repr)
        self._const_refs: dict[tuple[int, str | None], ConstRef] = {}
        self.vregs: dict[hir.Value, VReg] = {}
        self.blocks: dict[hir.Block, ir.Block] = {}
        self.second: dict[hir.Value, VReg] = {}
        # UnpackSequence's result -> the registers its items were loaded into
        self.unpacked: dict[hir.Value, list[VReg]] = {}
        # lower_caches' per-function state: the GlobalCell of each global
        # name, how many LoadGlobalCached load each name (counted on first
        # use), and each LoadMethodCached's fused call (fused_call)
        self.global_cells: dict[str, Any] = {}
        self.global_sites: dict[str, int] | None = None
        self.fused_calls: dict[hir.Instr, hir.Instr | None] = {}
        self.cur: ir.Block | None = None
        self.origin: Any = None
        self.scratch = self.f.new_stack_area(8)   # grown as call sites need
        self._release_exit: ir.Block | None = None
        self._failure_area: ir.StackArea | None = None
        # The function's traceback information (cpython/tracebacks.py): a
        # constant of the code, filled in by the compiler and the loader.
        self.code_info = CodeInfo(hfunc.code if hfunc.code is not None else pyfunc.__code__,
                                  pyfunc.__globals__)
        self.hblock: hir.Block | None = None     # the HIR block of `origin`
        # instr -> its HIR block, for instructions other than the one being
        # lowered (made when first needed: _hir_block_of)
        self._block_of: dict[hir.Instr, hir.Block] | None = None
        self._phis: dict[hir.Block, list[Phi]] = {}

    # -- the driver --------------------------------------------------------
    def run(self) -> ir.LirFunction:
        f = self.f
        self.callable, args, nargsf, kwnames = (f.new_vreg(hint=h) for h in
                                                ("callable", "args", "nargsf", "kwnames"))
        f.params = [self.callable, args, nargsf, kwnames]
        entry = self.cur = f.new_block()
        for hb in self.h.blocks:
            self.blocks[hb] = f.new_block()
        self.ret = f.new_vreg(hint="ret")
        self.argv = f.new_vreg(hint="argv")
        self.exit = f.new_block()
        self.error_exit = f.new_block(cold=True)
        self._entry(entry, args, nargsf, kwnames)
        for hb in self.h.blocks:
            self.cur, self.hblock = self.blocks[hb], hb
            for instr in hb.instrs:
                self.origin = instr
                lowering_of(instr)(self, instr)
        self.origin = None
        self.cur = self.error_exit
        lr = self.new()
        self.emit(ir.ReturnAddress(lr))
        # Its own return of NULL (traceback_exit's 0): `ret` must not live
        # across that call.
        self.emit(ir.Return(self.call("traceback_exit", [self.const(self.code_info, "code info"),
                                                         lr], hot=False)))
        self.cur = self.exit
        self.emit(ir.Return(self.ret))
        return f

    def _entry(self, entry: ir.Block, args: VReg, nargsf: VReg, kwnames: VReg) -> None:
        code = self.h.code
        body = self.blocks[self.h.entry]
        bind = self.f.new_block(cold=True)
        self.emit(ir.Move(self.argv, args))
        if self.h.needs_frame or self.h.generator is not None:
            # Only ever entered by its trampoline's entry (never called
            # directly), with the trampoline frame's slots as the argument
            # array: every parameter is bound there already, and the
            # function shows its locals there (SyncFrameLocals).  A
            # generator's body is only ever entered by its driver
            # (cpython/genbody.py), with its three arguments.
            self.emit(ir.Jump(body))
            return
        if code is not None and not (code.co_flags & _SIMPLE_FLAGS) and code.co_kwonlyargcount == 0:
            nargs = self.new()
            self.emit(ir.Alu("and", nargs, nargsf, PY_VECTORCALL_ARGUMENTS_OFFSET - 1))
            check_kw = self.f.new_block()
            self.emit(ir.Branch("ne", nargs, code.co_argcount, bind, check_kw))
            self.cur = check_kw
            self.emit(ir.BranchZero(kwnames, body, bind))
        else:
            self.emit(ir.Jump(bind))
        # Arguments that need binding: pyjit_bind_call binds them (bind_args:
        # a tuple of every parameter slot) and calls this function again on
        # the tuple's items with kwnames BOUND_ARGUMENTS, which goes straight
        # to the body; it releases the tuple and its result is this call's
        # (NULL with the exception set, and the traceback entry made by the
        # inner call, or by none when binding failed, as the interpreter).
        self.cur = bind
        call = self.f.new_block(cold=True)
        # (the call on the then-side: allocation order puts it right after
        # this block, so that the arguments' registers live no longer)
        self.emit(ir.Branch("ne", kwnames, BOUND_ARGUMENTS, call, body))
        self.cur = call
        entry_address = self.new()
        self.emit(ir.EntryAddr(entry_address))
        simple = code is not None and not (code.co_flags & _SIMPLE_FLAGS) and \
            code.co_kwonlyargcount == 0
        result = self.call_routine(BIND_CALL, [self.callable, args, nargsf, kwnames, entry_address,
                                               self.imm(code.co_argcount if simple else 0)])
        self.emit(ir.Return(result))

    # -- building blocks ----------------------------------------------------
    def emit(self, instr: ir.Instr) -> ir.Instr:
        instr.origin = self.origin
        self.cur.instrs.append(instr)
        return instr

    def new(self, cls: str = GP) -> VReg:
        return self.f.new_vreg(cls)

    def vreg(self, value: hir.Value) -> VReg:
        v = self.vregs.get(value)
        if v is None:
            fp = not value.type.is_bottom and value.type <= CDouble
            v = self.vregs[value] = self.f.new_vreg(FP if fp else GP)
        return v

    def const(self, obj: object, text: str | None = None, dst: VReg | None = None) -> VReg:
        """A vreg (dst, or a new one) holding the address of obj, which the
        compiled function keeps alive."""
        ref = self._const_refs.get((id(obj), text))
        if ref is None:
            self.keep(obj)
            ref = self._const_refs[id(obj), text] = ConstRef(id(obj), text or _const_text(obj))
        v = self.new() if dst is None else dst
        self.emit(ir.LoadConst(v, ref))
        return v

    def keep(self, obj: object) -> None:
        """Keep obj alive with the compiled function: in consts, once (the
        order of first uses, which the emitted symbols show)."""
        if id(obj) not in self._kept_ids:
            self._kept_ids.add(id(obj))
            self.consts.append(obj)

    def imm(self, value: int) -> VReg:
        v = self.new()
        self.emit(ir.LoadImm(v, value))
        return v

    def area(self, nslots: int) -> ir.StackArea:
        """The shared scratch area, grown to at least nslots pointers."""
        if self.scratch.size < 8 * nslots:
            self.scratch.size = 8 * nslots
        return self.scratch

    def store_array(self, values: list[VReg], first_slot: int = 0) -> VReg:
        """Store values in the scratch area from first_slot on; the address
        of the first value."""
        area = self.area(first_slot + max(len(values), 1))
        for i, v in enumerate(values):
            self.emit(ir.Store(v, area, 8 * (first_slot + i)))
        addr = self.new()
        self.emit(ir.AreaAddr(addr, area, 8 * first_slot))
        return addr

    def call(self, helper: str, args: list[VReg], dst: VReg | None = None,
             hot: bool = True, value: bool = False) -> VReg | None:
        """Call a helper; dst (made when None and the helper returns
        something) receives its result.  value=True when a C int result is
        used as a 64-bit value (only its low 32 bits are defined: it is
        sign-extended); a result that is only checked needs no extension."""
        h = HELPERS[helper]
        if dst is None and h.result != "void":
            dst = self.new(FP if h.result == "double" else GP)
        self.emit(ir.Call(_helper_target(helper), args, dst, hot=hot and not self.cur.cold))
        if value and h.result in ("int", "bool") and dst is not None:
            self.emit(ir.Alu("sxtw", dst, dst, 0))
        return dst

    def call_routine(self, routine: str, args: list[VReg], dst: VReg | None = None,
                     word: ConstRef | None = None, args_from: int = 0) -> VReg:
        """dst = routine(args): one of the shared routines
        (pyjit/cpython/routines.py), which returns what the helper it stands
        for returns; `word` (a cache cell) in the word after the call, and
        args from x{args_from} on (ir.Call)."""
        if dst is None:
            dst = self.new()
        self.emit(ir.Call(_routine_target(routine), args, dst,
                          hot=not self.cur.cold, word=word, args_from=args_from))
        return dst

    def check(self, instr: hir.Instr, helper: str, result: VReg | None,
              stolen: list[hir.Value] | tuple[hir.Value, ...] = ()) -> None:
        """Branch to instr's exception path when result is the failure value
        of `helper` (whose result the value is, directly or through a shared
        routine); continue in a new block, cold when the current one is.
        Call it right after the call (nothing that calls in between: the
        branch is keyed by the call's return address).  stolen: references
        instr gives up whatever happens (its stolen operands, HIR values):
        released on the exception path first, then on the way on."""
        h = HELPERS[helper]
        failure = h.failure
        if failure == "none" or not instr.may_raise:
            self.release_stolen(stolen)
            return
        exc, release = self.exc_edge(instr, stolen)
        cont = self.f.new_block(cold=self.cur.cold)
        if failure == "null":
            self.emit(ir.BranchZero(result, exc, cont, release=release))
        elif h.result in ("int", "bool"):
            # A C int status: negative only on failure (the C-API's `< 0`
            # test, as the interpreter's own checks are): its sign bit.
            self.emit(ir.BranchZero(result, exc, cont, nonzero=True, bit=31, release=release))
        else:
            self.emit(ir.Branch("eq", result, -1, exc, cont, release=release))
        self.cur = cont
        self.release_stolen(stolen)

    def release_stolen(self, stolen) -> None:
        """Release the references an instruction stole (HIR values; an
        optional one may be NULL)."""
        for v in stolen:
            self.emit(ir.Decref(self.vreg(v), nullable=not v.type.is_object))

    def stolen_operands(self, instr: hir.Instr) -> list[hir.Value]:
        """instr's stolen operands that hold a reference."""
        return [instr.operands[i] for i in instr.stolen_indices()
                if instr.operands[i].type.is_refcounted]

    def jump_to_exc(self, instr: hir.Instr) -> None:
        """End the block (right after the call that raised) with the jump
        to instr's exception path."""
        exc, release = self.exc_edge(instr)
        self.emit(ir.Jump(exc, release=release))

    def exc_edge(self, instr: hir.Instr, stolen=()) -> tuple[ir.Block, tuple[VReg, ...]]:
        """Where instr's failure goes, and what the branch there releases.

        Without a handler: the shared error exit when nothing is to be
        released, else the release exit, the branch listing the objects
        (stolen first, then exc_release, the order they are released in).
        With a handler: a cold block that releases them inline, then moves
        the handler's phi inputs and jumps to it."""
        release = [self.vreg(v) for v in stolen]
        if instr.exc_release:
            release += [self.vreg(v) for v in instr.exc_release]
        target = instr.exc_target
        if target is None:
            if not release:
                return self.error_exit, ()
            return self.release_exit(), tuple(release)
        saved = self.cur
        block = self.cur = self.f.new_block(cold=True)
        self.note_failure()
        for v in stolen:
            self.emit(ir.Decref(self.vreg(v), nullable=not v.type.is_object))
        for v in instr.exc_release or ():
            self.emit(ir.Decref(self.vreg(v), nullable=not v.type.is_object))
        self.edge_moves(self._hir_block_of(instr), target)
        self.emit(ir.Jump(self.blocks[target]))
        self.cur = saved
        return block, ()

    def failure_area(self) -> ir.StackArea:
        """The frame word exception paths keep the failing call's return
        address in, for the traceback helpers (cpython/tracebacks.py)."""
        if self._failure_area is None:
            self._failure_area = self.f.new_stack_area(8)
        return self._failure_area

    def note_failure(self) -> None:
        """Keep the failing call's return address (first thing on an
        exception path, before any call: see ir.SaveReturnAddress)."""
        self.emit(ir.SaveReturnAddress(self.failure_area(), 0))

    def failure_site(self) -> VReg:
        """The return address note_failure kept."""
        lr = self.new()
        self.emit(ir.Load(lr, self.failure_area(), 0))
        return lr

    def release_exit(self) -> ir.Block:
        """The shared cold block of exception paths that hold references
        and have no handler.  It keeps the failing call's return address,
        stores the callee-saved registers (ir.SaveRegisters), and has
        `release_and_exit` release what the code generator recorded for that
        return address (objects in those registers and in spill slots) and
        make the traceback entry, then returns its NULL.  A branch there
        costs nothing more than one to the error exit: no code per site."""
        if self._release_exit is None:
            saved, origin = self.cur, self.origin
            self.origin = None
            self._release_exit = self.cur = self.f.new_block(cold=True)
            lr = self.new()
            self.emit(ir.ReturnAddress(lr))
            area = self.f.register_save_area = self.f.new_stack_area(0)
            self.emit(ir.SaveRegisters(area))
            base = self.new()
            self.emit(ir.AreaAddr(base, area, 0))
            self.emit(ir.Return(self.call("release_and_exit",
                                          [self.const(self.code_info, "code info"), lr, base],
                                          hot=False)))
            self.cur, self.origin = saved, origin
        return self._release_exit

    def _hir_block_of(self, instr: hir.Instr) -> hir.Block:
        if instr is self.origin:
            return self.hblock
        if self._block_of is None:
            self._block_of = {i: hb for hb in self.h.blocks for i in hb.instrs}
        try:
            return self._block_of[instr]
        except KeyError:
            raise LoweringError(f"{instr.opname} is in no block") from None

    def _phis_of(self, block: hir.Block) -> list[Phi]:
        """block's phis (found once per block: every edge into it asks)."""
        phis = self._phis.get(block)
        if phis is None:
            phis = self._phis[block] = [i for i in block.instrs if isinstance(i, Phi)]
        return phis

    def edge_moves(self, pred: hir.Block, succ: hir.Block) -> None:
        """The phi moves of the edge pred -> succ, at the current position."""
        phis = self._phis_of(succ)
        if phis:
            self.emit(ir.ParallelMove([self.vreg(p.result) for p in phis],
                                      [self.vreg(p.input_for(pred)) for p in phis]))

    def jump_edge(self, pred: hir.Block, succ: hir.Block) -> ir.Block:
        """The LIR block to branch to for the edge pred -> succ: succ's own
        block, or an edge block doing the phi moves first."""
        if not self._phis_of(succ):
            return self.blocks[succ]
        saved = self.cur
        edge = self.cur = self.f.new_block()
        self.edge_moves(pred, succ)
        self.emit(ir.Jump(self.blocks[succ]))
        self.cur = saved
        return edge

    # -- reference counting, inline --------------------------------------------
    def incref(self, v: VReg) -> None:
        self.emit(ir.Incref(v))

    def xincref(self, v: VReg) -> None:
        self.emit(ir.Incref(v, nullable=True))

    def decref(self, v: VReg) -> None:
        """Py_DECREF (the code generator inlines it, with a shared thunk
        calling _Py_Dealloc at zero)."""
        self.emit(ir.Decref(v))

    def xdecref(self, v: VReg) -> None:
        self.emit(ir.Decref(v, nullable=True))


# A call's CallTarget: a frozen value, one per symbol, shared by every call
# of it rather than made for each.
@functools.cache
def _helper_target(symbol: str) -> CallTarget:
    return CallTarget(symbol, TargetKind.HELPER)


@functools.cache
def _routine_target(symbol: str) -> CallTarget:
    return CallTarget(symbol, TargetKind.RUNTIME)


def _const_text(obj: object) -> str:
    text = repr(obj) if isinstance(obj, (int, float, str, bytes, bool, type(None))) else \
        f"<{type(obj).__name__} {getattr(obj, '__qualname__', getattr(obj, '__name__', ''))}>"
    return text if len(text) <= 40 else text[:37] + "..."


# -- the table of op lowerings ------------------------------------------------------

Lowering = Callable[[FunctionLowering, hir.Instr], None]
LOWERINGS: dict[type, Lowering] = {}


def lowers(*classes: type) -> Callable[[Lowering], Lowering]:
    """Decorator: fn lowers the HIR ops of these classes (each has one
    lowering: a second registration is refused)."""
    def register(fn: Lowering) -> Lowering:
        for cls in classes:
            if cls in LOWERINGS:
                raise ValueError(f"{cls.__name__} has two lowerings")
            LOWERINGS[cls] = fn
        return fn
    return register


def lowering_of(instr: hir.Instr) -> Lowering:
    try:
        return LOWERINGS[type(instr)]
    except KeyError:
        raise LoweringError(f"no lowering for HIR op {instr.opname}") from None
