"""Call lowering: how a call site becomes AArch64 instructions.

A call site (`CallSite`) names its target (`CallTarget`: a helper, a compiled
function or a runtime stub, known by symbol and resolved at load time), says
whether it is hot or cold and which section it is emitted in.  A
`CallLowering` strategy decides the instruction sequence; the code buffer does
the bookkeeping (labels, literal pools, relocations, sections).

Every strategy goes through the same fixed steps, driven by the code
generator:

1. `plan(sites)`: sees every call site of the function before any code is
   emitted (the base records how many sites each target has);
2. `emit_call(buf, site, tail=False)`: emits one call site at the current
   position -- the building block `choose(site)` names; the call clobbers
   x16/x17 (IP0/IP1) and x30, and otherwise follows AAPCS64; a tail call
   branches without link and costs the same bytes;
3. `finish(buf)`: after the function body, emits the per-target trampolines
   (stubs, veneers) the sites referred to.  Literals are left to the
   buffer's pools.

A strategy is one subclass in a file of its own in this package (which
imports every module in it, see `__init__`), registered by name with
`@register`; it only implements `choose(site)`, which returns
one of the `BuildingBlock`s below (and may override `plan`, calling the
base's, to look at every site first).  `choose` must be a function of the
site and of what `plan` recorded: it is called once per emitted site, and
the tests call it again to derive the strategy's sizes from `COSTS`.
`register` refuses a strategy without `choose` or one overriding
`emit_call`, so that every registered strategy is this declared choice.

Building blocks and their costs (`COSTS`; bytes; "per target" is paid once
per distinct target in a function that uses the block):

========  ==========================================  ====  ==========  =======
block     sequence                                    site  trampoline  literal
========  ==========================================  ====  ==========  =======
absolute  movz/movk x16 (4, relocated) ; blr x16      20    0           0
literal   ldr x16, =target ; blr x16                  8     0           8
stub      bl stub ; stub: ldr x16, =target ; br x16   4     8 (stubs)   8
near      bl target (relocated CALL26)                4     0           0
veneer    bl veneer ; veneer: ldr x16, =target ; br   4     8 (veneers) 8
========  ==========================================  ====  ==========  =======

The literal of a target is one deduplicated pool entry (per pool), shared by
every block of that target that loads it (literal sites, its stub, its
veneer).  `near` may only be chosen for a target `reaches` says a `bl`
reaches; `call_near` refuses any other.

A strategy that needs a sequence the base does not have adds a building
block here: a `BuildingBlock` member, its `call_<value>` method on
`CallLowering` (emitting exactly the site bytes of its row, and registering
any trampoline in `self._trampolines[block]`, which `finish` emits into the
row's trampoline section as `ldr x16, =target; br x16` -- another
trampoline shape would extend `finish`), and its `COSTS` row.  The size tests then cover
it for every strategy that chooses it.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, Sequence

from ...lir.call_target import CallTarget, TargetKind  # noqa: F401  (re-exported)
from .. import isa
from ..buffer import CodeBuffer, Label, RelocKind
from ..labels import LabelUse
from ..registers import IP0

# Reach of `bl` (BRANCH26): offsets in [-128 MiB, 128 MiB - 4].
BL_REACH = 128 << 20


@dataclass(frozen=True, slots=True)
class CallSite:
    """One call in the function being compiled.

    section is the code section the site is emitted in ("hot" or "cold");
    origin is whatever the caller attaches for listings (a HIR instruction).
    The code generator hands a strategy the same site (hot, section) when
    planning and when emitting.
    """

    target: CallTarget
    hot: bool = True
    section: str = "hot"
    origin: Any = None


@dataclass(frozen=True, slots=True)
class CodePlacement:
    """Where the code will be loaded, as far as it is known at compile time.

    An engine knows it exactly: every byte of the function lies in [start,
    end), and `symbols` gives the addresses of runtime symbols it has
    already placed (its shared routines).  Before any engine exists
    (`planned`), only the size of the region the code will go to is known,
    and which symbols the engine loads in that same region (`colocated`):
    a `bl` reaches those when the region is within its reach, and nothing
    whose address is unknown.  Both forms decide `reaches` alike for the
    same engine, so the bytes do not depend on whether an engine existed."""

    start: int | None
    end: int | None
    symbols: Mapping[str, int] = field(default_factory=dict)
    colocated: frozenset[str] = frozenset()
    region_size: int | None = None          # the region's size when start/end are unknown

    @classmethod
    def planned(cls, region_size: int, colocated) -> CodePlacement:
        """Code to be loaded somewhere in a region of region_size bytes that
        also holds the symbols `colocated` (an engine's code arena and its
        shared routines)."""
        return cls(None, None, colocated=frozenset(colocated), region_size=region_size)

    def address_of(self, target: CallTarget) -> int | None:
        """target's address if known at compile time, else None."""
        return target.address if target.address is not None else self.symbols.get(target.symbol)

    def in_bl_reach(self, address: int) -> bool:
        """True when a `bl` anywhere in [start, end) reaches address (False
        when start and end are unknown)."""
        if self.start is None or self.end is None:
            return False
        last_site = self.end - 4
        return address - self.start <= BL_REACH - 4 and address - last_site >= -BL_REACH

    def reaches(self, target: CallTarget) -> bool:
        """True when a `bl` from anywhere in the code surely reaches target."""
        if target.symbol in self.colocated:
            size = self.region_size if self.start is None else self.end - self.start
            if size is not None and size <= BL_REACH - 4:
                return True
        address = self.address_of(target)
        return address is not None and self.in_bl_reach(address)


class BuildingBlock(enum.Enum):
    """The call sequences a strategy chooses from; block X is emitted by
    `CallLowering.call_X` and costs `COSTS[X]`."""

    ABSOLUTE = "absolute"
    LITERAL = "literal"
    STUB = "stub"
    NEAR = "near"
    VENEER = "veneer"

    # Members are singletons: hashed by identity, in C (Enum's __hash__ is
    # Python code; every call site looks its block up).
    __hash__ = object.__hash__


@dataclass(frozen=True, slots=True)
class BlockCost:
    """What a building block costs, in bytes.

    site: at every call site that uses it (in the site's section);
    trampoline: once per distinct target using it, in `trampoline_section`
    (None when there is no trampoline);
    literal: once per distinct target, the target's pool entry, shared with
    every other block of the same target that has one.
    """

    site: int
    trampoline: int = 0
    trampoline_section: str | None = None
    literal: int = 0


COSTS: Mapping[BuildingBlock, BlockCost] = {
    BuildingBlock.ABSOLUTE: BlockCost(site=20),
    BuildingBlock.LITERAL: BlockCost(site=8, literal=8),
    BuildingBlock.STUB: BlockCost(site=4, trampoline=8, trampoline_section="stubs", literal=8),
    BuildingBlock.NEAR: BlockCost(site=4),
    BuildingBlock.VENEER: BlockCost(site=4, trampoline=8, trampoline_section="veneers", literal=8),
}


class CallLowering:
    """Base class of call lowering strategies.  See the module docstring.

    name: the registry key; order: where `strategy_names` lists it (lower
    first, then by name).  The built-ins use 10..60; a new strategy keeps
    the default and comes after them.
    """

    name: ClassVar[str] = ""
    order: ClassVar[int] = 100

    def __init__(self, placement: CodePlacement | None = None):
        self.placement = placement
        self.site_counts: Counter[CallTarget] = Counter()
        # The trampolines sites referred to, by block, in first-use order.
        self._trampolines: dict[BuildingBlock, dict[CallTarget, Label]] = {
            block: {} for block, cost in COSTS.items() if cost.trampoline_section}

    # -- the fixed steps -------------------------------------------------
    def plan(self, sites: Sequence[CallSite]) -> None:
        """Step 1: record every site before emission.  Overrides call this."""
        self.site_counts = Counter(site.target for site in sites)

    def choose(self, site: CallSite) -> BuildingBlock:
        """The building block site is emitted with.  Strategies implement
        this (and nothing else of the emission); see the module docstring."""
        raise NotImplementedError(f"{type(self).__name__}.choose")

    def emit_call(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """Step 2: emit one call site (a tail call: branch without link)
        with the building block `choose(site)` returns."""
        block = self.choose(site)
        getattr(self, _EMITTER[block])(buf, site, tail)

    def finish(self, buf: CodeBuffer) -> None:
        """Step 3: emit the trampolines the sites referred to, block by
        block in `BuildingBlock` order (stubs, then veneers), each in its
        cost row's section."""
        for block, labels in self._trampolines.items():
            self._emit_trampolines(buf, labels, COSTS[block].trampoline_section, block.value)

    # -- queries for `choose` --------------------------------------------
    def reaches(self, target: CallTarget) -> bool:
        """True when a `bl` from anywhere in the placement surely reaches
        target (CodePlacement.reaches; False without a placement)."""
        return self.placement is not None and self.placement.reaches(target)

    # -- building blocks -------------------------------------------------
    def call_absolute(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """movz x16, #:abs_g3:target ... movk x16, #:abs_g0_nc: ; blr x16.

        Always four moves: the address is only known at load time, and the
        bytes must not depend on it.
        """
        symbol = site.target.symbol
        for kind, shift in _MOVW_RELOCS:
            buf.reloc(kind, symbol)
            op = isa.movz if shift == 48 else isa.movk
            buf.emit(op(IP0, 0, shift))
        buf.emit(isa.encoded(isa.br if tail else isa.blr, IP0))

    def call_literal(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """ldr x16, <literal of target> ; blr x16 (br for a tail call)."""
        buf.emit_use(isa.encoded(isa.ldr_literal, IP0, 0), self.target_literal(buf, site.target),
                     LabelUse.LDR19)
        buf.emit(isa.encoded(isa.br if tail else isa.blr, IP0))

    def call_stub(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """bl <shared stub of target> (b for a tail call)."""
        self._call_trampoline(buf, site, tail, BuildingBlock.STUB)

    def call_near(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """bl target, relocated CALL26 (b, JUMP26, for a tail call).
        ValueError unless `reaches(site.target)`."""
        target = site.target
        if not self.reaches(target):
            raise ValueError(f"{type(self).__name__} chose `near` for {target.symbol}, "
                             "which a bl does not surely reach")
        buf.reloc(RelocKind.JUMP26 if tail else RelocKind.CALL26, target.symbol)
        buf.emit(isa.b(0) if tail else isa.bl(0))

    def call_veneer(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """bl <shared veneer of target> (b for a tail call)."""
        self._call_trampoline(buf, site, tail, BuildingBlock.VENEER)

    @staticmethod
    def target_literal(buf: CodeBuffer, target: CallTarget) -> Label:
        return buf.literal_reloc(target.symbol, RelocKind.ABS64)

    def _call_trampoline(self, buf: CodeBuffer, site: CallSite, tail: bool,
                         block: BuildingBlock) -> None:
        """bl (b) to target's trampoline of block, created on first use."""
        labels = self._trampolines[block]
        label = labels.get(site.target)
        if label is None:
            label = labels[site.target] = buf.new_label(f"{block.value}:{site.target.symbol}")
        buf.emit_use(isa.encoded(isa.b if tail else isa.bl, 0), label, LabelUse.BRANCH26)

    def _emit_trampolines(self, buf: CodeBuffer, labels: dict[CallTarget, Label],
                          section: str, what: str) -> None:
        """ldr x16, <literal of target> ; br x16 for each target, in section."""
        with buf.section(section):
            for target, label in labels.items():
                buf.bind(label)
                buf.annotate(f"{what} for {target.symbol}")
                buf.emit_use(isa.encoded(isa.ldr_literal, IP0, 0), self.target_literal(buf, target),
                             LabelUse.LDR19)
                buf.emit(isa.encoded(isa.br, IP0))
        labels.clear()


_MOVW_RELOCS = (
    (RelocKind.MOVW_UABS_G3, 48),
    (RelocKind.MOVW_UABS_G2_NC, 32),
    (RelocKind.MOVW_UABS_G1_NC, 16),
    (RelocKind.MOVW_UABS_G0_NC, 0),
)

# Each block's emitting method; a block without one, or without a cost row,
# fails here, at import.
_EMITTER: dict[BuildingBlock, str] = {block: f"call_{block.value}" for block in BuildingBlock}
for _block, _method in _EMITTER.items():
    if not callable(getattr(CallLowering, _method, None)) or _block not in COSTS:
        raise TypeError(f"building block {_block.value!r} needs CallLowering.{_method} and a COSTS row")


# -- the registry ----------------------------------------------------------
# name -> class, kept sorted by (order, name): the order never depends on
# which module was imported first.
_REGISTRY: dict[str, type[CallLowering]] = {}

DEFAULT_STRATEGY = "lazy-stub"


def register(cls: type[CallLowering]) -> type[CallLowering]:
    """Class decorator: make a strategy available by its `name`.

    Refused (ValueError): no name, a name already taken, no `choose`, or an
    `emit_call` of its own (a registered strategy is a choice of blocks)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY:
        raise ValueError(f"call lowering strategy {cls.name!r} is registered twice")
    if cls.choose is CallLowering.choose:
        raise ValueError(f"call lowering strategy {cls.name!r} does not implement choose(site)")
    if cls.emit_call is not CallLowering.emit_call:
        raise ValueError(f"call lowering strategy {cls.name!r} overrides emit_call; "
                         "a strategy declares its sequences with choose(site)")
    entries = sorted([*_REGISTRY.items(), (cls.name, cls)], key=lambda e: (e[1].order, e[0]))
    _REGISTRY.clear()
    _REGISTRY.update(entries)
    return cls


def strategy_names() -> list[str]:
    """Every registered strategy, by (order, name)."""
    return list(_REGISTRY)


def get_strategy(name: str | None = None, placement: CodePlacement | None = None) -> CallLowering:
    """A fresh instance of the strategy called `name` (default: DEFAULT_STRATEGY)."""
    name = name or DEFAULT_STRATEGY
    try:
        cls = _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"unknown call lowering strategy {name!r}; known: {known}") from None
    return cls(placement)
