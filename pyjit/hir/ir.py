"""HIR core: values, the instruction base class, blocks and functions.

Every instruction is a small dataclass registered with ``@hir_op``.  Its
uniform parts live in the base class:

- ``operands``: the SSA values it reads, in order;
- ``result``: the ``Value`` it defines, or None;
- ``exc_target``: for an instruction inside a ``try`` region, the block that
  receives control when it raises (None: the function's error exit);
- ``exc_release``: filled in by refcount insertion on every may-raise
  instruction: the owned values to release when it raises, before going to
  ``exc_target`` or returning NULL;
- ``lineno``/``offset``: where in the bytecode it came from.

Its behaviour is declared by class constants, read by passes, the verifier,
the interpreter and the code generator:

- ``may_raise``: it can fail with an exception set (it has an exception edge);
- ``may_call``: it can run arbitrary Python code (a borrowed reference may die
  across it);
- ``ownership``: what its result is (``Ownership``);
- ``steals``: the operand indices whose reference it consumes, on success and
  on failure alike (``STEALS_ALL`` for all of them);
- ``consumable``: operand indices it may also take over: refcount insertion
  hands it an owned operand whose last use it is (``consumed``, per
  instruction; refcount-consume), which it then steals as above;
- ``has_effects``: it changes state other than by raising, so dead-code
  elimination keeps it even when its result is unused;
- ``is_terminator``: it ends a block; ``block_fields`` names its successors;
- ``has_second_output``: a second result is read by the GetSecondOutput
  that must follow it;
- ``operand_types``/``extra_operand_type``/``max_extra_operands``: what the
  verifier accepts as operands.

Per-op attributes (``BinaryOp.kind``, ``LoadAttrCached.name``...) are the
dataclass fields of the subclass; they print between ``<>``.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, Union

from .types import Bottom, Object, Type

if TYPE_CHECKING:  # pragma: no cover
    from types import CodeType


class IdentityHashedEnum(enum.Enum):
    """An enum whose members hash by identity, in C.  Members are
    singletons equal only to themselves, so this hashes as Enum's
    __hash__ does (which is Python code hashing the name): the HIR's
    kinds are looked up in tables and sets for every instruction."""

    __hash__ = object.__hash__


class Ownership(IdentityHashedEnum):
    """What the holder of an instruction's result owns.

    NEW               a new reference: released exactly once on every path
    BORROWED          borrowed for the whole call (arguments, constants,
                      closure cells, True/False)
    BORROWED_VOLATILE borrowed from a container that arbitrary code can
                      change (globals): valid until the next may_call
    BORROWED_FROM     borrowed from operand ``borrow_source``: valid while
                      that operand is alive (an item of a tuple)
    NONE              not an object (CBool, CInt64, CDouble, NULL, no result)
    """

    NEW = "new"
    BORROWED = "borrowed"
    BORROWED_VOLATILE = "volatile"
    BORROWED_FROM = "borrowed-from"
    NONE = "none"


STEALS_ALL = "all"
STEALS_REST = "1.."           # every operand but the first
_value_ids = itertools.count()


class Value:
    """An SSA value: defined once, by ``defn``; printed as ``vN:Type``."""

    __slots__ = ("id", "type", "defn")

    def __init__(self, type: Type, defn: "Instr | None" = None) -> None:
        self.id = next(_value_ids)
        self.type = type
        self.defn = defn

    def __repr__(self) -> str:
        return f"<v{self.id}:{self.type}>"


OPS: dict[str, type["Instr"]] = {}


def hir_op(cls: type) -> type:
    """Class decorator: make an op dataclass and register it by class name
    (duplicates are rejected)."""
    cls = dataclass(eq=False, repr=False)(cls)
    name = cls.__name__
    if name in OPS:
        raise ValueError(f"HIR op {name} registered twice")
    OPS[name] = cls
    return cls


@dataclass(eq=False, repr=False)
class Instr:
    """Base of all HIR instructions (see the module docstring)."""

    operands: list[Value]
    result: Value | None = field(init=False, default=None)
    exc_target: Block | None = field(init=False, default=None)
    exc_release: list[Value] | None = field(init=False, default=None)
    lineno: int | None = field(init=False, default=None)
    offset: int | None = field(init=False, default=None)
    consumed: tuple[int, ...] = field(init=False, default=())

    has_result: ClassVar[bool] = True
    may_raise: ClassVar[bool] = False
    may_call: ClassVar[bool] = False
    has_effects: ClassVar[bool] = False
    is_terminator: ClassVar[bool] = False
    is_phi: ClassVar[bool] = False            # Phi: the block's leading instructions
    constant: ClassVar[bool] = False          # LoadConst: `value` is a constant object
    has_second_output: ClassVar[bool] = False
    ownership_kind: ClassVar[Ownership] = Ownership.NEW
    borrow_source: ClassVar[int] = 0
    steals: ClassVar[Union[tuple[int, ...], str]] = ()
    consumable: ClassVar[tuple[int, ...]] = ()
    # Operands whose reference the instruction's machine code holds itself
    # while it runs any code of the program, or no longer needs when it does
    # (with inline caches on, the miss path is a Python helper, whose
    # arguments are Python references; a cached store's hit path releases the
    # old value last):
    # passes/refcount_elision.py (refcount-held-operands) may pass them
    # borrowed although the instruction may call.
    held_operands: ClassVar[tuple[int, ...]] = ()
    block_fields: ClassVar[tuple[str, ...]] = ()
    operand_types: ClassVar[tuple[Type, ...]] = ()
    extra_operand_type: ClassVar[Type | None] = None
    max_extra_operands: ClassVar[int | None] = None
    result_type: ClassVar[Type] = Object

    def __post_init__(self) -> None:
        operands = self.operands = list(self.operands)
        if self.has_result:
            # safe_infer_type, inline: every instruction built comes here
            if len(operands) < len(self.operand_types):
                self.result = Value(self.result_type, self)
            else:
                self.result = Value(self.infer_type(), self)

    # -- declarations -------------------------------------------------------
    @property
    def opname(self) -> str:
        return type(self).__name__

    @property
    def ownership(self) -> Ownership:
        """Ownership of the result; NONE when the result is not an object."""
        if self.result is None or not self.result.type.is_refcounted:
            return Ownership.NONE
        return self.ownership_kind

    def infer_type(self) -> Type:
        """The result type, from the operand types (refined by subclasses)."""
        return self.result_type

    def safe_infer_type(self) -> Type:
        """infer_type, or the declared result type when operands are missing
        (malformed IR is the verifier's to report)."""
        if len(self.operands) < len(self.operand_types):
            return self.result_type
        return self.infer_type()

    def stolen_indices(self) -> list[int]:
        """The operands it steals: its kind's, then those refcount
        insertion handed over (``consumed``)."""
        if self.steals == STEALS_ALL:
            return list(range(len(self.operands)))
        if self.steals == STEALS_REST:
            return list(range(1, len(self.operands)))
        return [i for i in (*self.steals, *self.consumed)  # type: ignore[misc]
                if i < len(self.operands)]

    def expected_operand_type(self, index: int) -> Type | None:
        """The type operand ``index`` must have, None if there is no such slot."""
        if index < len(self.operand_types):
            return self.operand_types[index]
        extra = index - len(self.operand_types)
        if self.extra_operand_type is None:
            return None
        if self.max_extra_operands is not None and extra >= self.max_extra_operands:
            return None
        return self.extra_operand_type

    @property
    def removable(self) -> bool:
        """Dead-code elimination may delete it when its result is unused."""
        return not (self.may_raise or self.may_call or self.has_effects or self.is_terminator)

    # -- attributes and successors -----------------------------------------
    def attrs(self) -> list[tuple[str, Any]]:
        """(name, value) of the op-specific fields, printed between <>."""
        return [(f.name, getattr(self, f.name)) for f in fields(self) if f.name not in _BASE_FIELDS]

    def successors(self) -> list[Block]:
        return [getattr(self, name) for name in self.block_fields]

    def replace_successor(self, old: Block, new: Block) -> None:
        for name in self.block_fields:
            if getattr(self, name) is old:
                setattr(self, name, new)

    def replace_operands(self, mapping: dict[Value, Value]) -> None:
        """Replace each operand (and released value) that is a key of
        mapping by its value.  Most instructions use no key: their lists
        are left as they are."""
        if not mapping:
            return
        for v in self.operands:
            if v in mapping:
                self.operands = [mapping.get(v, v) for v in self.operands]
                break
        if self.exc_release is not None:
            self.exc_release = [mapping.get(v, v) for v in self.exc_release]

    def __repr__(self) -> str:
        return f"<{self.opname} {self.operands}>"


_BASE_FIELDS = frozenset(f.name for f in fields(Instr))


class Block:
    """A basic block: phis first, then body instructions, then exactly one
    terminator.  When its last non-terminator (or its terminator) has an
    ``exc_target``, that block is an extra, exceptional successor."""

    __slots__ = ("id", "instrs")
    _ids = itertools.count()

    def __init__(self) -> None:
        self.id = next(Block._ids)
        self.instrs: list[Instr] = []

    @property
    def phis(self) -> list[Instr]:
        # A plain loop: the passes ask every block for its phis, often.
        phis = []
        for instr in self.instrs:
            if not instr.is_phi:
                break
            phis.append(instr)
        return phis

    @property
    def terminator(self) -> Instr | None:
        if self.instrs and self.instrs[-1].is_terminator:
            return self.instrs[-1]
        return None

    @property
    def raising_instr(self) -> Instr | None:
        """The instruction whose exception edge leaves this block, if any:
        the last instruction or the one before it."""
        instrs = self.instrs
        if instrs:
            if instrs[-1].exc_target is not None:
                return instrs[-1]
            if len(instrs) > 1 and instrs[-2].exc_target is not None:
                return instrs[-2]
        return None

    @property
    def exc_successor(self) -> Block | None:
        instr = self.raising_instr
        return instr.exc_target if instr is not None else None

    def normal_successors(self) -> list[Block]:
        instrs = self.instrs
        if instrs:
            last = instrs[-1]
            if last.is_terminator:
                return last.successors()
        return []

    def successors(self) -> list[Block]:
        """The normal successors, then the exception successor if any (the
        CFG walks call this for every block: normal_successors and
        exc_successor inlined, kept to plain attribute reads)."""
        instrs = self.instrs
        if not instrs:
            return []
        last = instrs[-1]
        succs = last.successors() if last.is_terminator else []
        exc = last.exc_target
        if exc is None and len(instrs) > 1:
            exc = instrs[-2].exc_target
        return succs + [exc] if exc is not None else succs

    def append(self, instr: Instr) -> Instr:
        self.instrs.append(instr)
        return instr

    def insert(self, index: int, instr: Instr) -> Instr:
        self.instrs.insert(index, instr)
        return instr

    def __repr__(self) -> str:
        return f"<bb{self.id}>"


@dataclass
class Param:
    """A parameter: its name, its slot index and its kind (``positional``,
    ``keyword-only``, ``varargs`` or ``varkw``)."""

    name: str
    index: int
    kind: str


@dataclass
class RefcountHints:
    """What the reference-count elision passes proved, for refcount-insertion
    (passes/refcount_elision.py; all empty: nothing is elided).

    frame_values_outlive: arguments and constants live for the whole call,
                          so they are never promoted to owned references
    held_uses:            instructions whose ``held_operands`` may be passed
                          borrowed although they may call
    immortal:             values whose object is immortal: no Incref/Decref
                          at all, nothing to release, nothing to hand over
    consume_last_uses:    an owned operand of a ``consumable`` slot is handed
                          to the instruction whose use of it is the last"""

    frame_values_outlive: bool = False
    consume_last_uses: bool = False
    held_uses: set[Instr] = field(default_factory=set)
    immortal: set[Value] = field(default_factory=set)

    def held(self, user: Instr, value: Value) -> bool:
        """Whether every use of value by user is one user holds itself."""
        return user in self.held_uses and all(
            i in user.held_operands for i, v in enumerate(user.operands) if v is value)


@dataclass
class Function:
    """An HIR function: blocks in layout order, ``entry`` first."""

    name: str
    qualname: str
    params: list[Param]
    code: "CodeType | None"
    blocks: list[Block] = field(default_factory=list)
    refcounted: bool = False
    # It reads its own frame (locals(), sys._getframe()...): it always runs
    # under its trampoline's frame, never called directly (cpython/frames.py).
    needs_frame: bool = False
    # "generator" or "coroutine": the HIR is the body of one, run once per
    # resumption (ops_gen.py); None for a plain function.
    generator: str | None = None
    # A body's resume points inside a `yield from`/`await` loop: point ->
    # the index of the delegate in the state saved there (gi_yieldfrom).
    delegates: dict[int, int] = field(default_factory=dict)
    refcount_hints: RefcountHints = field(default_factory=RefcountHints)

    @property
    def entry(self) -> Block:
        return self.blocks[0]

    def new_block(self) -> Block:
        block = Block()
        self.blocks.append(block)
        return block

    def instructions(self) -> Iterator[Instr]:
        for block in self.blocks:
            yield from block.instrs

    @property
    def constants(self) -> list[object]:
        """The objects the function's LoadConst instructions refer to, first
        use first, without duplicates (by identity)."""
        seen: dict[int, object] = {}
        for instr in self.instructions():
            if instr.constant and id(instr.value) not in seen:
                seen[id(instr.value)] = instr.value
        return list(seen.values())

    def replace_uses(self, mapping: dict[Value, Value]) -> None:
        """Replace every use of a key by its value (chains are followed)."""
        if not mapping:
            return
        resolved: dict[Value, Value] = {}
        for key in mapping:
            target = mapping[key]
            seen = {key}
            while target in mapping and target not in seen:
                seen.add(target)
                target = mapping[target]
            resolved[key] = target
        keys = resolved.keys()
        for block in self.blocks:
            for instr in block.instrs:
                # (the test in C: most instructions use no key)
                if instr.exc_release is not None or not keys.isdisjoint(instr.operands):
                    instr.replace_operands(resolved)

    def uses(self) -> dict[Value, list[Instr]]:
        """Every value's using instructions (one entry per operand slot)."""
        table: dict[Value, list[Instr]] = {}
        for block in self.blocks:
            for instr in block.instrs:
                for v in instr.operands:
                    users = table.get(v)
                    if users is None:
                        table[v] = [instr]
                    else:
                        users.append(instr)
        return table


__all__ = [
    "Block", "Bottom", "Function", "IdentityHashedEnum", "Instr", "OPS", "Ownership", "Param",
    "STEALS_ALL", "Value", "hir_op",
]
