"""Shared scaffolding for the runtime tests: hand-written AArch64 functions.

    asm = Asm("f")
    asm.prologue()
    asm.call("PyNumber_Add")          # through a call lowering strategy
    asm.epilogue()
    code = asm.finish()               # CompiledCode
"""

from __future__ import annotations

import ctypes
import sys

# What sys.getrefcount(local) counts beyond the object's references: its
# argument's own, none on 3.14 (LOAD_FAST_BORROW lends it the local's).
RC_EXTRA = 0 if sys.version_info >= (3, 14) else 1

from pyjit.aarch64 import isa
from pyjit.aarch64.buffer import CodeBuffer
from pyjit.aarch64.calls import CallSite, CallTarget, CodePlacement, get_strategy
from pyjit.aarch64.operands import Mem, PostIndex, PreIndex
from pyjit.aarch64.registers import SP, X19, X20, X21, X22, X29, X30

refcnt = sys.getrefcount
py_decref = ctypes.pythonapi.Py_DecRef
py_decref.argtypes = (ctypes.c_void_p,)
py_decref.restype = None


def refcount_at(address: int) -> int:
    """ob_refcnt of the object at address, read from memory."""
    return ctypes.c_ssize_t.from_address(address).value


class Asm:
    """A CodeBuffer plus a call lowering strategy, for tests.

    prologue() saves x29, x30 and x19..x22 (a 48-byte frame); epilogue()
    restores them and returns."""

    def __init__(self, name: str = "f", strategy: str = "literal",
                 placement: CodePlacement | None = None, addresses: dict[str, int] | None = None):
        self.buf = CodeBuffer(name)
        self.lowering = get_strategy(strategy, placement)
        self.lowering.plan([])
        self.addresses = addresses or {}

    def emit(self, *words: int) -> Asm:
        for word in words:
            self.buf.emit(word)
        return self

    def call(self, symbol: str) -> Asm:
        target = CallTarget(symbol, address=self.addresses.get(symbol))
        self.lowering.emit_call(self.buf, CallSite(target))
        return self

    def prologue(self) -> Asm:
        return self.emit(isa.stp(X29, X30, PreIndex(SP, -48)), isa.mov(X29, SP),
                         isa.stp(X19, X20, Mem(SP, 16)), isa.stp(X21, X22, Mem(SP, 32)))

    def epilogue(self) -> Asm:
        return self.emit(isa.ldp(X21, X22, Mem(SP, 32)), isa.ldp(X19, X20, Mem(SP, 16)),
                         isa.ldp(X29, X30, PostIndex(SP, 48)), isa.ret())

    def label(self, name: str = ""):
        return self.buf.new_label(name)

    def bind(self, label) -> Asm:
        self.buf.bind(label)
        return self

    def finish(self):
        self.lowering.finish(self.buf)
        return self.buf.finish()


def leaf(name: str, *words: int):
    """A CompiledCode of just these words."""
    asm = Asm(name)
    asm.emit(*words)
    return asm.finish()


def x86_hook_listing(text: str, code: bytes) -> list:
    """capstone's listing of a native hook's bytes, after checking them
    against keystone's assembly of its text (the oracles) and that the
    listing covers every byte and ends in `ret`."""
    import pytest
    keystone = pytest.importorskip("keystone")
    capstone = pytest.importorskip("capstone")
    encoding, _ = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_64).asm(text, 0)
    assert bytes(encoding) == code
    listing = list(capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64).disasm(code, 0))
    assert sum(i.size for i in listing) == len(code)
    assert listing[-1].mnemonic == "ret"
    return listing
