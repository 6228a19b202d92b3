"""Call lowering: how a call site becomes AArch64 instructions.

A call site (`CallSite`) names its target (`CallTarget`: a helper, a compiled
function or a runtime stub, known by symbol and resolved at load time), says
whether it is hot or cold and which section it is emitted in.  A
`CallLowering` strategy decides the instruction sequence; the code buffer does
the bookkeeping (labels, literal pools, relocations, sections).

Every strategy goes through the same fixed steps, driven by the code
generator:

1. `plan(sites)`: sees every call site of the function before any code is
   emitted (strategies that share stubs decide here which targets get one);
2. `emit_call(buf, site)`: emits one call site at the current position; the
   call clobbers x16/x17 (IP0/IP1) and x30, and otherwise follows AAPCS64;
3. `finish(buf)`: after the function body, emits whatever the sites referred
   to (stubs, veneers).  Literals are left to the buffer's pools.

A strategy is one subclass in a file of its own, registered by name with
`@register`.  The building blocks below are the sequences strategies pick
from, so a new strategy is usually a choice between them.

Sequences and their costs (bytes; "per target" is paid once per distinct
target in a function):

=========  ==========================================  ======  ==========
block      sequence                                    site    per target
=========  ==========================================  ======  ==========
absolute   movz/movk x16 (4, relocated) ; blr x16      20      0
literal    ldr x16, =target ; blr x16                  8       8 (literal)
stub       bl stub ; stub: ldr x16, =target ; br x16   4       8 + 8
near       bl target (relocated CALL26)                4       0
=========  ==========================================  ======  ==========

The literal of a target is one deduplicated pool entry, shared by literal
sites and the target's stub.
"""

from __future__ import annotations

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
    """

    target: CallTarget
    hot: bool = True
    section: str = "hot"
    origin: Any = None


@dataclass(frozen=True, slots=True)
class CodePlacement:
    """Where the code will be loaded, when the engine knows it at compile
    time: every byte of the function lies in [start, end).  symbols: the
    addresses of runtime symbols the engine has already placed (its shared
    routines), which `near` may reach directly."""

    start: int
    end: int
    symbols: Mapping[str, int] = field(default_factory=dict)

    def address_of(self, target: CallTarget) -> int | None:
        """target's address if known at compile time, else None."""
        return target.address if target.address is not None else self.symbols.get(target.symbol)

    def in_bl_reach(self, address: int) -> bool:
        """True when a `bl` anywhere in [start, end) reaches address."""
        last_site = self.end - 4
        return address - self.start <= BL_REACH - 4 and address - last_site >= -BL_REACH


class CallLowering:
    """Base class of call lowering strategies.  See the module docstring."""

    name: ClassVar[str] = ""

    def __init__(self, placement: CodePlacement | None = None):
        self.placement = placement
        self.site_counts: Counter[CallTarget] = Counter()
        self._stubs: dict[CallTarget, Label] = {}
        self._veneers: dict[CallTarget, Label] = {}

    # -- the fixed steps -------------------------------------------------
    def plan(self, sites: Sequence[CallSite]) -> None:
        """Step 1: record every site before emission."""
        self.site_counts = Counter(site.target for site in sites)

    def emit_call(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """Step 2: emit one call site (a tail call: branch without link).
        Subclasses override."""
        raise NotImplementedError(f"{type(self).__name__}.emit_call")

    def finish(self, buf: CodeBuffer) -> None:
        """Step 3: emit the stubs and veneers the sites referred to."""
        self._emit_trampolines(buf, self._stubs, "stubs", "stub")
        self._emit_trampolines(buf, self._veneers, "veneers", "veneer")

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
        buf.emit(isa.br(IP0) if tail else isa.blr(IP0))

    def call_literal(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """ldr x16, <literal of target> ; blr x16 (br for a tail call)."""
        buf.emit_use(isa.ldr_literal(IP0, 0), self.target_literal(buf, site.target), LabelUse.LDR19)
        buf.emit(isa.br(IP0) if tail else isa.blr(IP0))

    def call_stub(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """bl <shared stub of target> (b for a tail call)."""
        label = self._stubs.get(site.target)
        if label is None:
            label = self._stubs[site.target] = buf.new_label(f"stub:{site.target.symbol}")
        buf.emit_use(isa.b(0) if tail else isa.bl(0), label, LabelUse.BRANCH26)

    def call_near(self, buf: CodeBuffer, site: CallSite, tail: bool = False) -> None:
        """bl target when it is surely in reach, else bl <shared veneer>
        (b for a tail call)."""
        target = site.target
        address = self.placement.address_of(target) if self.placement is not None else None
        if address is not None and self.placement.in_bl_reach(address):
            buf.reloc(RelocKind.JUMP26 if tail else RelocKind.CALL26, target.symbol)
            buf.emit(isa.b(0) if tail else isa.bl(0))
            return
        label = self._veneers.get(target)
        if label is None:
            label = self._veneers[target] = buf.new_label(f"veneer:{target.symbol}")
        buf.emit_use(isa.b(0) if tail else isa.bl(0), label, LabelUse.BRANCH26)

    @staticmethod
    def target_literal(buf: CodeBuffer, target: CallTarget) -> Label:
        return buf.literal_reloc(target.symbol, RelocKind.ABS64)

    def _emit_trampolines(self, buf: CodeBuffer, labels: dict[CallTarget, Label],
                          section: str, what: str) -> None:
        with buf.section(section):
            for target, label in labels.items():
                buf.bind(label)
                buf.annotate(f"{what} for {target.symbol}")
                buf.emit_use(isa.ldr_literal(IP0, 0), self.target_literal(buf, target), LabelUse.LDR19)
                buf.emit(isa.br(IP0))
        labels.clear()


_MOVW_RELOCS = (
    (RelocKind.MOVW_UABS_G3, 48),
    (RelocKind.MOVW_UABS_G2_NC, 32),
    (RelocKind.MOVW_UABS_G1_NC, 16),
    (RelocKind.MOVW_UABS_G0_NC, 0),
)


# -- the registry ----------------------------------------------------------
_REGISTRY: dict[str, type[CallLowering]] = {}

DEFAULT_STRATEGY = "lazy-stub"


def register(cls: type[CallLowering]) -> type[CallLowering]:
    """Class decorator: make a strategy available by its `name`."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    if cls.name in _REGISTRY:
        raise ValueError(f"call lowering strategy {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def strategy_names() -> list[str]:
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
