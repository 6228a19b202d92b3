"""How an emulation context describes a fault: which code, which pc, why.

A mixin of EmulationContext (kept apart so the context module stays about
running code): it reads the engine's loaded code and trap table, the
context's Unicorn registers and the detail its memory hooks recorded
(`_detail`: what access, where, why it was refused), and builds the
EmulationFault (faults.py).
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import bytes, getattr, int, max, tuple
from unicorn import UcError, arm64_const
from unicorn.unicorn_const import UC_ERR_EXCEPTION, UC_ERR_FETCH_UNMAPPED, UC_ERR_INSN_INVALID

from .faults import (CodeSpan, EmulationFault, access_size, disassemble_word,
                     effective_address, listing_around, locate)
from .tlb_fill import TLB_PAGE
from .traps import STUB_SIZE
from .uc_api import LR, PC


class FaultDescriptions:
    """Fault construction for EmulationContext (uses its engine, emu and
    _detail)."""

    def _span(self, pc: int) -> CodeSpan | None:
        engine = self.engine
        loaded = engine.code_at(pc)
        if loaded is not None:
            return CodeSpan(loaded.address, loaded.end, loaded.name, tuple(loaded.code.regions))
        traps = engine.traps
        if traps.code_start <= pc < traps.entry_end:
            return CodeSpan(traps.code_start, traps.entry_end, "<engine entry>")
        helper = traps.helper_at(pc)
        if helper is not None:
            k = traps.slot_of(helper.name)
            if pc >= traps.pad_start:
                start = traps.pad_start + 4 * k
                return CodeSpan(start, start + 4, f"<trap of {helper.name}>")
            start = traps.stub_address(k)
            return CodeSpan(start, start + STUB_SIZE, f"<stub of {helper.name}>")
        return None

    def _no_code_at(self, pc: int) -> bool:
        """pc is in the code arena, outside every loaded function (the
        arena's unused pages are zeros: `udf #0`)."""
        arena = self.engine._arena
        return self.engine.code_at(pc) is None and arena.start <= pc < arena.end

    def _read(self, address: int, size: int) -> bytes | None:
        try:
            return self.emu.mem_read(address, size)
        except UcError:
            return None

    def make_fault(self, reason: str, pc: int | None) -> EmulationFault:
        if pc is None:
            return EmulationFault(reason)
        span = self._span(pc)
        return EmulationFault(reason, pc, where=locate(pc, span),
                              function=span.name if span else None,
                              listing=listing_around(pc, span, self._read))

    def fault_from_status(self, status: int) -> EmulationFault:
        """The fault of an emulation that ended with Unicorn error `status`."""
        pc = self.emu.reg_read(PC)
        detail, self._detail = self._detail, None
        if detail is not None and detail[4] in (pc, None):
            what, address, size, why, _ = detail
            if size is None and what in ("read", "write"):
                # A TLB fill is told the page, not the access: both come
                # from the instruction at pc.
                address, size = self._access(pc, address)
            if size is not None:
                what = f"{what} of {size} bytes at"
            reason = f"{what} {address:#x}: {why}"
            if what == "jump to":
                reason += self._lr_text()
        elif status == UC_ERR_FETCH_UNMAPPED:
            why = "no code there" if self.identity.covering(pc) is None else \
                "not executable (only loaded code is)"
            reason = f"jump to {pc:#x}: {why}" + self._lr_text()
        elif status in (UC_ERR_EXCEPTION, UC_ERR_INSN_INVALID) and self._no_code_at(pc):
            lr = self.emu.reg_read(LR)
            reason = (f"jump to {pc:#x}: no code there (lr {lr:#x}"
                      + (f", in {locate(lr, self._span(lr))})" if self._span(lr) else ")"))
        elif status in (UC_ERR_EXCEPTION, UC_ERR_INSN_INVALID):
            word = self._read(pc, 4)
            text = disassemble_word(int.from_bytes(word, "little"), pc) if word else "?"
            reason = (f"undefined instruction ({text})" if text.startswith((".word", "udf"))
                      else f"CPU exception at `{text}`")
        else:
            reason = f"emulation error: {UcError(status)}"
        return self.make_fault(reason, pc)

    def _lr_text(self) -> str:
        """" (lr ..., in f+0x..)": where a bad jump came from."""
        lr = self.emu.reg_read(LR)
        return f" (lr {lr:#x}" + (f", in {locate(lr, self._span(lr))})" if self._span(lr) else ")")

    def _access(self, pc: int, page: int) -> tuple[int, int | None]:
        """(address, bytes) of the load or store at pc whose page is page;
        (page, None) when that instruction is not one."""
        word = self._read(pc, 4)
        if not word:
            return page, None
        word = int.from_bytes(word, "little")
        address = effective_address(word, pc, self._register)
        if address is None or address & -TLB_PAGE > page or address + 16 <= page:
            return page, None
        return max(address, page), access_size(disassemble_word(word, pc))

    def _register(self, name: str) -> int:
        return 0 if name in ("xzr", "wzr") else \
            self.emu.reg_read(getattr(arm64_const, "UC_ARM64_REG_" + name.upper()))

    def stopped_fault(self, timed_out: bool, timeout: float | None) -> EmulationFault:
        """The fault of an emulation stopped before the code returned."""
        pc = self.emu.reg_read(PC)
        if timed_out:
            return self.make_fault(f"time limit exceeded ({timeout} s)", pc)
        if self.emu.timed_out():
            # uc_api.py: a Unicorn instance initialized while the timer ran.
            return self.make_fault(
                f"Unicorn's timer stopped the emulation before the time limit ({timeout} s): "
                "an instance was initialized while it ran (uc_api.py)", pc)
        return self.make_fault("emulation stopped before the code returned", pc)
