"""How the Unicorn engine describes a fault: which code, which pc, why.

A mixin of UnicornEngine (kept apart so the engine module stays about
running code): it reads the engine's loaded code, trap table, Unicorn
registers and the detail its memory hooks recorded (`_detail`: what access,
where, why it was refused), and builds the EmulationFault (faults.py).
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import bytes, int, tuple
from unicorn import UcError
from unicorn.arm64_const import UC_ARM64_REG_LR, UC_ARM64_REG_PC
from unicorn.unicorn_const import UC_ERR_EXCEPTION, UC_ERR_INSN_INVALID

from .faults import CodeSpan, EmulationFault, disassemble_word, listing_around, locate
from .traps import STUB_SIZE


class FaultDescriptions:
    """Fault construction for UnicornEngine (uses its uc, traps, code_at,
    timeout, _timed_out and _detail)."""

    def _span(self, pc: int) -> CodeSpan | None:
        loaded = self.code_at(pc)
        if loaded is not None:
            return CodeSpan(loaded.address, loaded.end, loaded.name, tuple(loaded.code.regions))
        traps = self.traps
        if traps.enter_outer <= pc < traps.entry_end:
            return CodeSpan(traps.enter_outer, traps.entry_end, "<engine entry>")
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
        return self.code_at(pc) is None and self._arena.start <= pc < self._arena.end

    def _read(self, address: int, size: int) -> bytes | None:
        try:
            return bytes(self.uc.mem_read(address, size))
        except UcError:
            return None

    def _make_fault(self, reason: str, pc: int | None) -> EmulationFault:
        if pc is None:
            return EmulationFault(reason)
        span = self._span(pc)
        return EmulationFault(reason, pc, where=locate(pc, span),
                              function=span.name if span else None,
                              listing=listing_around(pc, span, self._read))

    def _fault_from_error(self, exc: UcError) -> EmulationFault:
        pc = self.uc.reg_read(UC_ARM64_REG_PC)
        detail, self._detail = self._detail, None
        if detail is not None:
            what, address, size, why = detail
            reason = f"{what} {address:#x}: {why}"
            if what == "jump to":
                lr = self.uc.reg_read(UC_ARM64_REG_LR)
                reason += f" (lr {lr:#x}" + (f", in {locate(lr, self._span(lr))})"
                                             if self._span(lr) else ")")
        elif exc.errno in (UC_ERR_EXCEPTION, UC_ERR_INSN_INVALID) and self._no_code_at(pc):
            lr = self.uc.reg_read(UC_ARM64_REG_LR)
            reason = (f"jump to {pc:#x}: no code there (lr {lr:#x}"
                      + (f", in {locate(lr, self._span(lr))})" if self._span(lr) else ")"))
        elif exc.errno in (UC_ERR_EXCEPTION, UC_ERR_INSN_INVALID):
            word = self._read(pc, 4)
            text = disassemble_word(int.from_bytes(word, "little"), pc) if word else "?"
            reason = (f"undefined instruction ({text})" if text.startswith((".word", "udf"))
                      else f"CPU exception at `{text}`")
        else:
            reason = f"emulation error: {exc}"
        return self._make_fault(reason, pc)

    def _stopped_fault(self) -> EmulationFault:
        pc = self.uc.reg_read(UC_ARM64_REG_PC)
        if self._timed_out:
            return self._make_fault(f"time limit exceeded ({self.timeout} s)", pc)
        return self._make_fault("emulation stopped before the code returned", pc)
