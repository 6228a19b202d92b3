"""The resume points of a generator or coroutine body (see hir/ops_gen.py).

`ResumePoints` owns the body's entry: its arguments (the saved state, the
value sent, the exception thrown), the dispatch on the saved resume point
(emitted once every point is known), and the state of each point: point 0
is the start, whose saved state holds the parameter slots; each YIELD_VALUE
adds one.  A suspension saves every frame slot that is not statically NULL,
locals then stack, in the state tuple (SuspendTuple, StoreSuspended) and
returns it; the point's resume block takes them back (ResumeValue).

Types: a resumed value is typed with what the suspensions store at its
index.  Phi types are only known once SSA construction is finished, so
the values are built as OptObject (locals) or Object (stack), which the
builder's decisions assume, and `refine_types` then finds the least
fixpoint of "a resumed value has the join of the types stored there" and
type inference, from Bottom up.
"""

from __future__ import annotations

from typing import Any

from ..errors import CompileRefused
from ..ir import Block, Param, Value
from ..ops_containers import LoadTupleItem
from ..ops_core import Branch, CondBranch, IsIdentical, LoadArg, LoadNull, Return
from ..ops_gen import ResumeValue, StoreSuspended, SuspendTuple
from ..typeinfer import infer_types
from ..types import Bottom, Dict, Object, OptObject, Tuple

# The 3.11 builder (driver.Builder311; not imported: it imports this module).
Builder311 = Any

# Resume points are small ints compared by identity: CPython caches -5..256.
MAX_POINTS = 256


class ResumePoints:
    def __init__(self, b: Builder311) -> None:
        self.b = b
        self.entry: Block | None = None
        self.blocks: list[Block] = []
        self.resumed: list[tuple[ResumeValue, int, int]] = []   # (value, point, item)
        self.stores: dict[int, list[StoreSuspended]] = {}
        self.saved: Value | None = None
        self.sent: Value | None = None
        self.thrown: Value | None = None
        self.point: Value | None = None

    def start(self, params: list[Param]) -> list[Value]:
        """Emit the arguments in the entry block, open point 0's block and
        return its local slots (the parameters, the rest NULL)."""
        b = self.b
        self.entry = b.current
        self.saved = b.emit(LoadArg([], index=0, name="<saved>", arg_type=Tuple))
        self.sent = b.emit(LoadArg([], index=1, name="<sent>"))
        self.thrown = b.emit(LoadArg([], index=2, name="<thrown>"))
        self.point = b.emit(LoadTupleItem([self.saved], index=0))
        b.current = self.new_point()
        null = b.emit(LoadNull([]))
        slots: list[Value] = [null] * len(b.names)
        for p in params:
            arg_type = {"varargs": Tuple, "varkw": Dict}.get(p.kind, Object)
            slots[p.index] = b.emit(ResumeValue([self.saved], index=2 + p.index, type=arg_type))
        return slots

    def new_point(self) -> Block:
        if len(self.blocks) > MAX_POINTS:
            raise CompileRefused(self.b.func.qualname,
                                 f"it has more than {MAX_POINTS} yields and awaits, more "
                                 "resume points than the JIT's generators have")
        block = self.b.func.new_block()
        self.blocks.append(block)
        return block

    # -- suspending and resuming ----------------------------------------------------
    def kept(self, slots: list[Value]) -> list[int]:
        """The slots a suspension saves: those not statically NULL."""
        return [i for i, v in enumerate(slots) if not isinstance(v.defn, LoadNull)]

    def suspend(self, point: int, yielded: Value, values: list[Value]) -> None:
        """Save values and the point, return the state yielding yielded."""
        b = self.b
        state = b.emit(SuspendTuple([], size=2 + len(values)))
        store = StoreSuspended([state, b.const(point), yielded] + values, point=point)
        b.emit(store)
        self.stores.setdefault(point, []).append(store)
        b.emit(Return([state]))

    def resume(self, point: int, slots: list[Value], kept: list[int]) -> list[Value]:
        """In point's (new, current) block: the slots as saved by its
        suspensions (NULL where not kept)."""
        b = self.b
        null = b.emit(LoadNull([]))
        nlocals = len(b.state.locals)
        out = [null] * len(slots)
        for item, i in enumerate(kept):
            value = ResumeValue([self.saved], index=2 + item,
                                type=OptObject if i < nlocals else Object)
            out[i] = b.emit(value)
            self.resumed.append((value, point, 3 + item))   # its StoreSuspended operand
        return out

    # -- after the walk --------------------------------------------------------------
    def dispatch(self) -> None:
        """The entry's dispatch: to the block of the saved point."""
        b = self.b
        b.current = self.entry
        b.lineno = b.offset = None
        for point, block in list(enumerate(self.blocks))[:0:-1]:
            test = b.emit(IsIdentical([self.point, b.const(point)]))
            other = b.func.new_block()
            b.emit(CondBranch([test], if_true=block, if_false=other))
            b.current = other
        b.emit(Branch([], target=self.blocks[0]))

    def refine_types(self) -> None:
        """Type the resumed values with what their suspensions save (an
        optimistic fixpoint: from Bottom up, as type inference does)."""
        func = self.b.func
        bounds = {value: value.type for value, _, _ in self.resumed}
        for value in bounds:
            value.type = Bottom
        changed = True
        while changed:
            infer_types(func)
            changed = False
            for value, point, item in self.resumed:
                new = Bottom
                for store in self.stores.get(point, []):
                    new = new | store.operands[item].type
                new = new & bounds[value]
                if new != value.type:
                    value.type = new
                    changed = True
