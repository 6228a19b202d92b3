"""Call sequences in isolation: N call sites over K targets, one strategy.

This is the smallest experiment on call lowering: a leaf-free function

    stp x29, x30, [sp, #-16]! ; mov x29, sp
    <site 0> ... <site N-1>          (site i calls target i mod K)
    ldp x29, x30, [sp], #16 ; ret

compiled with a strategy, whose size by section is then exactly what the
strategy costs.  N and K are at most MAX_SITES (100,000): at 20 bytes a
site (`direct`) that is 2 MB of calls, past the 1 MiB reach of literal
loads where islands appear, compiled in about 10 s; the cost per site is
constant beyond a few hundred, and much larger counts would only exhaust
memory (about 2.4 KB per site while compiling).  `pyjit calls` prints it for every strategy; the golden tests
assert it against each strategy's formula and run it under Unicorn.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..aarch64 import isa
from ..aarch64.buffer import CodeBuffer, CompiledCode
from ..aarch64.calls import CallSite, CallTarget, CodePlacement, get_strategy
from ..aarch64.operands import PostIndex, PreIndex
from ..aarch64.registers import FP, LR, SP

FRAME_BYTES = 16  # stp + mov + ldp + ret
MAX_SITES = 100_000


@dataclass(frozen=True)
class CallSequence:
    """n_sites call sites cycling over n_targets targets `target0`..;
    every `cold_every`-th site (1-based) is cold when cold_every > 0."""

    n_sites: int
    n_targets: int
    cold_every: int = 0

    def __post_init__(self) -> None:
        for what, value, least in (("sites", self.n_sites, 0), ("targets", self.n_targets, 1)):
            if not least <= value <= MAX_SITES:
                raise ValueError(f"{value} {what}: the count of {what} goes from {least} to "
                                 f"{MAX_SITES} (2 MB of calls; more would only cost memory)")
        if self.cold_every < 0:
            raise ValueError(f"cold_every must be 0 (no cold site) or more, not "
                             f"{self.cold_every}")

    def targets(self, address_of=None) -> list[CallTarget]:
        return [CallTarget(f"target{k}", address=address_of(k) if address_of else None)
                for k in range(self.n_targets)]

    def sites(self, address_of=None) -> list[CallSite]:
        targets = self.targets(address_of)
        return [
            CallSite(targets[i % self.n_targets],
                     hot=not (self.cold_every and (i + 1) % self.cold_every == 0))
            for i in range(self.n_sites)
        ]


def compile_call_sequence(strategy: str, seq: CallSequence, *, address_of=None,
                          placement: CodePlacement | None = None) -> CompiledCode:
    """Compile `seq` with the named strategy.  address_of(k), if given, is
    target k's address as known at compile time (for `near`)."""
    lowering = get_strategy(strategy, placement)
    sites = seq.sites(address_of)
    buf = CodeBuffer(name=f"calls{seq.n_sites}x{seq.n_targets}")
    lowering.plan(sites)
    buf.emit(isa.stp(FP, LR, PreIndex(SP, -16)))
    buf.emit(isa.mov(FP, SP))
    for site in sites:
        buf.annotate(f"call {site.target.symbol}" + ("" if site.hot else " (cold)"))
        lowering.emit_call(buf, site)
    buf.emit(isa.ldp(FP, LR, PostIndex(SP, 16)))
    buf.emit(isa.ret())
    lowering.finish(buf)
    return buf.finish()
