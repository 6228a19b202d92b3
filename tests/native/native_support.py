"""What the native engine tests share: whether this host runs them
(`native_only`, `NATIVE_REASON`), and hand-written code."""

from __future__ import annotations

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.buffer import CodeBuffer
from pyjit.aarch64.calls import CallSite, CallTarget, get_strategy
from pyjit.aarch64.operands import PostIndex, PreIndex
from pyjit.aarch64.registers import SP, X29, X30
from pyjit.runtime.native_engine import NativeUnavailable, check_host

try:
    check_host()
    NATIVE_REASON = None
except NativeUnavailable as exc:
    NATIVE_REASON = f"not on AArch64 Linux ({exc})"

native_only = pytest.mark.skipif(NATIVE_REASON is not None, reason=NATIVE_REASON or "")


def calling(name: str, helpers: list[str], strategy: str = "literal", *, before=(), after=()):
    """A function that saves x29/x30, emits `before`, calls each helper in
    turn (x0.. passed through, result in x0 / d0), emits `after`, returns."""
    buf = CodeBuffer(name)
    lowering = get_strategy(strategy)
    lowering.plan([])
    buf.emit(isa.stp(X29, X30, PreIndex(SP, -16)))
    buf.emit(isa.mov(X29, SP))
    for word in before:
        buf.emit(word)
    for helper in helpers:
        lowering.emit_call(buf, CallSite(CallTarget(helper)))
    for word in after:
        buf.emit(word)
    buf.emit(isa.ldp(X29, X30, PostIndex(SP, 16)))
    buf.emit(isa.ret())
    lowering.finish(buf)
    return buf.finish()


def leaf(name: str, *words: int):
    """A CompiledCode of just these words."""
    buf = CodeBuffer(name)
    for word in words:
        buf.emit(word)
    return buf.finish()
