"""The 3.11 builder's driver: blocks, edges, landings and the handler table
(see the package docstring)."""

from __future__ import annotations

import inspect
from types import CodeType, FunctionType
from typing import Callable

from ...cpython.genbody import generator_kind
from ...options import CompileOptions
from ..bytecode_311 import BcInstr, BytecodeCFG, analyze
from ..cfg import reverse_postorder
from ..errors import HIRError, UnsupportedBytecode, UnsupportedFunction
from ..ir import Block, Function, Ownership, Param, Value
from ..ops_core import (
    BoxBool, Branch, CheckEvalBreaker, CheckVar, CondBranch, IsTruthy, KeepAlive, LoadArg,
    LoadConst, LoadNull,
)
from ..ops_exc import FetchException
from ..ssa import FrameBuilder, FrameState, Landing
from .resume import ResumePoints
from ..types import Dict, Nullptr, Object, Tuple

# The parameters of a compiled generator or coroutine body (hir/ops_gen.py).
GENERATOR_PARAMS = (Param("<saved>", 0, "positional"), Param("<sent>", 1, "positional"),
                    Param("<thrown>", 2, "positional"))

Handler = Callable[["Builder311", BcInstr], None]
_ARG_TYPES = {"varargs": Tuple, "varkw": Dict}


class HandlerTable:
    """Opcode name -> handler; registering a name twice is an error."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    def __call__(self, *opnames: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            for name in opnames:
                if name in self.handlers:
                    raise ValueError(f"opcode {name} handled twice")
                self.handlers[name] = fn
            return fn
        return register


HANDLERS = HandlerTable()


def local_names(code: CodeType) -> list[str]:
    """Names of the 3.11 "fast locals plus" slots: locals, then cells that
    are not arguments, then free variables."""
    cells = [c for c in code.co_cellvars if c not in code.co_varnames]
    return list(code.co_varnames) + cells + list(code.co_freevars)


def function_params(code: CodeType) -> list[Param]:
    names = code.co_varnames
    params = [Param(names[i], i, "positional") for i in range(code.co_argcount)]
    i = code.co_argcount
    params += [Param(names[j], j, "keyword-only") for j in range(i, i + code.co_kwonlyargcount)]
    i += code.co_kwonlyargcount
    if code.co_flags & inspect.CO_VARARGS:
        params.append(Param(names[i], i, "varargs"))
        i += 1
    if code.co_flags & inspect.CO_VARKEYWORDS:
        params.append(Param(names[i], i, "varkw"))
    return params


def build_function(fn: FunctionType | CodeType, options: CompileOptions | None = None) -> Function:
    """Build the HIR of a function (or code object) compiled by CPython 3.11
    (options: the compilation's; None: the defaults)."""
    code = fn.__code__ if isinstance(fn, FunctionType) else fn
    qualname = fn.__qualname__ if isinstance(fn, FunctionType) else code.co_qualname
    return Builder311(code, qualname, options or CompileOptions()).build()



class Builder311(FrameBuilder):
    """Abstract interpreter of one 3.11 code object.  A later version's
    builder is a subclass with its own table (`handlers`), sharing the
    handlers whose bytecode means the same."""

    handlers: HandlerTable = HANDLERS

    def __init__(self, code: CodeType, qualname: str, options: CompileOptions) -> None:
        kind = generator_kind(code)
        params = list(GENERATOR_PARAMS) if kind else function_params(code)
        super().__init__(Function(code.co_name, qualname, params, code, generator=kind))
        self.code = code
        self.generator = kind
        self.iterable_coroutine = bool(code.co_flags & (inspect.CO_COROUTINE
                                                        | inspect.CO_ITERABLE_COROUTINE))
        self.resume: ResumePoints | None = None
        self.eval_breaker = options.eval_breaker
        self.names = local_names(code)
        self.nfree = len(code.co_freevars)
        self.cfg: BytecodeCFG = self.analyze(code)
        self.handler_at = self.cfg.handler_at
        self.ins: BcInstr | None = None
        self.pre_state: FrameState | None = None
        self.kwnames: tuple[str, ...] = ()
        self.skip_get_iter = False
        self.block_start: dict[int, Block] = {}       # plain (single-entry) bytecode blocks
        self.block_state: dict[int, FrameState] = {}  # ... and the state flowing in
        self.open_end: dict[int, tuple[Block, FrameState]] = {}  # fallthrough kept open
        self.joins: dict[int, tuple[Block, FrameState]] = {}
        self.landings: dict[int, Landing] = {}
        # A generator's SEND loops are left from the SEND and from a throw
        # into its delegate: their exits are joins.
        self.send_exits = {i.jump_target for i in self.cfg.instrs if i.opname == "SEND"}
        self.send_exit: int | None = None         # the exit of the SEND just handled

    def analyze(self, code: CodeType) -> BytecodeCFG:
        """The bytecode's blocks and exception table (a later version's
        builder may leave out handlers its generator driver stands for)."""
        return analyze(code)

    # -- driver ----------------------------------------------------------------
    def build(self) -> Function:
        entry = self.func.new_block()
        self.current = entry
        if self.generator:
            self.resume = ResumePoints(self)
            slots = self.resume.start(function_params(self.code))
        else:
            null = self.emit(LoadNull([]))
            slots = [null] * len(self.names)
            for p in self.func.params:
                slots[p.index] = self.emit(LoadArg([], index=p.index, name=p.name,
                                                   arg_type=_ARG_TYPES.get(p.kind, Object)))
        self.state = FrameState(slots, [])
        self.fallthrough(0)
        for start in self.cfg.starts:
            self.start_block(start)
            block = self.cfg.block_instrs[start]
            for pos, ins in enumerate(block):
                self.step(ins, block[pos + 1] if pos + 1 < len(block) else None)
            if self.current is not None:
                self.fallthrough(block[-1].next_offset)
        if self.resume is not None:
            self.resume.dispatch()
        self.finish()
        if self.resume is not None:
            self.resume.refine_types()
            if self.func.needs_frame:
                raise UnsupportedFunction(
                    self.func.qualname, f"{self.generator} function {self.code.co_name!r}",
                    self.code.co_firstlineno, "it reads its own frame (locals(), "
                    "sys._getframe()...), which the JIT's generators do not keep")
        self.func.blocks = reverse_postorder(self.func)
        return self.func

    def step(self, ins: BcInstr, following: BcInstr | None) -> None:
        self.ins, self.lineno, self.offset = ins, ins.lineno, ins.offset
        self.next_ins = following
        if self.skip_get_iter and ins.opname == "GET_ITER":
            self.skip_get_iter = False
            return
        handler = self.handlers.handlers.get(ins.opname)
        if handler is None:
            raise UnsupportedBytecode(self.func.qualname, ins.opname, ins.lineno, ins.offset)
        self.pre_state = self.state.copy() if self.handler_at[ins.offset] is not None else None
        handler(self, ins)

    # -- blocks and edges ------------------------------------------------------
    def is_join(self, offset: int) -> bool:
        if self.generator and offset in self.send_exits:
            return True
        preds = self.cfg.preds.get(offset, ())
        entering = len(preds) + (1 if self.cfg.is_handler_target(offset) or offset == 0 else 0)
        return entering > 1 or any(p >= offset for p in preds)

    def join_for(self, offset: int) -> tuple[Block, FrameState]:
        if offset not in self.joins:
            self.joins[offset] = self.new_join(len(self.names), self.cfg.depth[offset])
        return self.joins[offset]

    def edge_to(self, offset: int, state: FrameState) -> Block:
        """Record an edge from the current block to bytecode block ``offset``
        carrying ``state``; returns the block its terminator must name."""
        assert self.current is not None
        if self.is_join(offset):
            block, _ = self.join_for(offset)
            self.add_incoming(block, self.current, state)
            return block
        if offset in self.block_state or offset in self.open_end:
            raise HIRError(f"second edge into single-entry block at offset {offset}")
        self.block_start[offset] = block = self.func.new_block()
        self.block_state[offset] = state.copy()
        return block

    def fallthrough(self, offset: int) -> None:
        if self.is_join(offset):
            self.jump(offset)
            return
        assert self.current is not None
        self.open_end[offset] = (self.current, self.state)
        self.current = None

    def start_block(self, offset: int) -> None:
        if self.is_join(offset):
            self.current, state = self.join_for(offset)
        elif offset in self.open_end:
            self.current, state = self.open_end.pop(offset)
        elif offset in self.block_state:
            self.current, state = self.block_start[offset], self.block_state.pop(offset)
        elif self.cfg.is_handler_target(offset):
            self.landing_for(offset)
            self.current, state = self.block_start[offset], self.block_state.pop(offset)
        else:
            raise HIRError(f"no edge reaches the block at offset {offset}")
        self.state = state.copy()

    def jump(self, offset: int) -> None:
        self.jump_with(offset, self.state)

    def jump_with(self, offset: int, state: FrameState) -> None:
        self.emit(Branch([], target=self.edge_to(offset, state)))

    # -- named locals' lifetimes (see KeepAlive) -------------------------------
    def keep_alive(self, values: list[Value]) -> None:
        """The frame lets go of these values here (left out: NULLs, and what
        is borrowed for the whole call anyway: arguments, constants)."""
        kept: dict[Value, None] = {}     # (a dict: in order, without the repeats)
        for v in values:
            defn = v.defn
            if (defn is not None and not isinstance(defn, LoadNull)
                    and defn.ownership_kind is not Ownership.BORROWED):
                kept[v] = None
        if kept:
            self.emit(KeepAlive(list(kept)))

    def keep_locals_alive(self) -> None:
        """Every local slot's value is held until here: the function ends
        (return, or a raise no handler of it catches), or a loop goes round."""
        self.keep_alive(self.state.locals)

    def rebind_local(self, index: int, value: Value) -> None:
        """Local `index` now holds value; its old value is let go of here."""
        old = self.state.locals[index]
        self.state.locals[index] = value
        if old is not value:
            self.keep_alive([old])

    def resume_location(self, ins: BcInstr) -> int:
        """Where a RESUME is: 0 the function's start, 1 after a yield, 2
        after a yield from, 3 after an await (3.11's and 3.12's oparg is the
        location alone)."""
        return ins.arg

    def check_eval_breaker(self) -> None:
        """The eval loop's periodic check here (unless the options leave
        the checks out)."""
        if self.eval_breaker:
            self.emit(CheckEvalBreaker([]))

    def branch_back(self, cond: Value, loop_head: int, fallthrough: int) -> None:
        """Go back to loop_head when cond holds, checking the eval breaker
        on that edge only (as 3.11's backward conditional jumps do), else
        fall through.  The locals are kept alive to the branch (on either
        edge they are all still bound)."""
        self.keep_locals_alive()
        if not self.eval_breaker:
            self.branch(cond, (loop_head, self.state), (fallthrough, self.state))
            return
        back = self.func.new_block()
        self.emit(CondBranch([cond], if_true=back, if_false=self.edge_to(fallthrough, self.state)))
        self.current = back
        self.check_eval_breaker()
        self.jump(loop_head)

    def branch(self, cond: Value, if_true: tuple[int, FrameState], if_false: tuple[int, FrameState]) -> None:
        if if_true[0] == if_false[0]:
            self.jump(if_true[0])
            return
        t = self.edge_to(if_true[0], if_true[1])
        f = self.edge_to(if_false[0], if_false[1])
        self.emit(CondBranch([cond], if_true=t, if_false=f))

    # -- exceptions ------------------------------------------------------------
    def exception_landing(self) -> Landing | None:
        entry = self.handler_at.get(self.ins.offset) if self.ins is not None else None
        return self.landing_for(entry.target) if entry is not None else None

    def snapshot(self) -> FrameState:
        assert self.pre_state is not None
        return self.pre_state

    def landing_for(self, target: int) -> Landing:
        if target in self.landings:
            return self.landings[target]
        entry = self.cfg.handler_targeting(target)
        saved = (self.current, self.state, self.pre_state)
        block, self.state = self.new_join(len(self.names), entry.depth)
        self.landings[target] = landing = Landing(block, entry.depth)
        self.current = block
        exc = self.emit(FetchException([]))
        if entry.lasti:
            self.push(self.const(None))
        self.push(exc)
        self.jump(target)
        self.current, self.state, self.pre_state = saved
        return landing

    # -- helpers ---------------------------------------------------------------
    def push(self, value: Value) -> None:
        self.state.stack.append(value)

    def pop(self) -> Value:
        return self.state.stack.pop()

    def popn(self, n: int) -> list[Value]:
        if n == 0:
            return []
        values = self.state.stack[-n:]
        del self.state.stack[-n:]
        return values

    def const(self, value: object) -> Value:
        return self.emit(LoadConst([], value=value))

    def null(self) -> Value:
        return self.emit(LoadNull([]))

    def truth(self, value: Value) -> Value:
        """A CBool for ``bool(value)``, reusing the CBool a BoxBool came from."""
        if isinstance(value.defn, BoxBool):
            return value.defn.operands[0]
        return self.emit(IsTruthy([value]))

    def load_local(self, index: int) -> Value:
        """The value of local ``index``, checked bound when it may be NULL;
        the checked value replaces it in the slot."""
        value = self.state.locals[index]
        if value.type.is_bottom or value.type.could_be(Nullptr):
            value = self.emit(CheckVar([value], name=self.names[index]))
            self.state.locals[index] = value
        return value

    def is_free(self, index: int) -> bool:
        return index >= len(self.names) - self.nfree

    def take_kwnames(self) -> tuple[str, ...]:
        kw, self.kwnames = self.kwnames, ()
        return kw


