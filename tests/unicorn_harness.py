"""A small Unicorn harness for tests: load compiled code, call it, read x0.

    result = run(code, args=(1, 2))          # x0 after the function returns

`Machine` maps the code at a 4 KiB-aligned address (linking its
relocations there), a stack, and a *return sentinel*: the link register is
set to an address holding `brk #0`, and emulation stops when the pc gets
there, i.e. when the function returns.  Floating point is enabled
(CPACR_EL1.FPEN = 0b11), which Unicorn leaves off.

`run_code` runs the call-sequence experiments of test_call_lowering.py:
targets `target0`.. sit `target_distance` bytes after the code, and each
one shifts x19 left by 4 and adds k + 1, so x19 ends holding the call order
as hex digits.

This is test scaffolding, independent of pyjit's runtime engines.
"""

from __future__ import annotations

import struct
from typing import Callable, Sequence

from unicorn import Uc, UcError
from unicorn.arm64_const import (UC_ARM64_REG_CPACR_EL1, UC_ARM64_REG_LR, UC_ARM64_REG_PC,
                                 UC_ARM64_REG_SP, UC_ARM64_REG_X0)
from unicorn.unicorn_const import UC_ARCH_ARM64, UC_MODE_ARM, UC_PROT_ALL

CODE_BASE = 0x4000_0000
STACK_TOP = 0x3000_0000
STACK_SIZE = 1 << 20
SENTINEL = 0x2000_0000
PAGE = 4096

_BRK0 = struct.pack("<I", 0xD420_0000)
_FPEN = 0b11 << 20


def _round_up(n: int, align: int = PAGE) -> int:
    return (n + align - 1) // align * align


def _x(n: int) -> int:
    """The Unicorn constant of register x<n> (x0..x28 are consecutive)."""
    if not 0 <= n <= 28:
        raise ValueError(f"x{n}: only x0..x28 are handled")
    return UC_ARM64_REG_X0 + n


class Machine:
    """An emulated AArch64 CPU with a stack and a return sentinel."""

    def __init__(self) -> None:
        self.uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
        self.uc.reg_write(UC_ARM64_REG_CPACR_EL1, _FPEN)
        self.uc.mem_map(STACK_TOP - STACK_SIZE, STACK_SIZE, UC_PROT_ALL)
        self.uc.mem_map(SENTINEL, PAGE, UC_PROT_ALL)
        self.uc.mem_write(SENTINEL, _BRK0)

    def load(self, data: bytes, base: int) -> None:
        """Map and write data at base (4 KiB aligned)."""
        if base % PAGE:
            raise ValueError(f"load address {base:#x} is not page aligned")
        self.uc.mem_map(base, _round_up(max(len(data), 1)), UC_PROT_ALL)
        self.uc.mem_write(base, bytes(data))

    def load_code(self, code, base: int = CODE_BASE,
                  resolve: Callable[[str], int] | None = None) -> None:
        """Link a CompiledCode for base (resolve names the symbols) and load it."""
        self.load(code.link(base, resolve or _no_symbols), base)

    def call(self, address: int, args: Sequence[int] = (), *,
             registers: dict[int, int] | None = None, max_instructions: int = 0) -> int:
        """Run from address with x0.. = args (and x<n> = registers[n]) until
        the code returns to the sentinel; return x0.  Raises RuntimeError
        (with the pc) if emulation stops anywhere else."""
        uc = self.uc
        for n, value in enumerate(args):
            uc.reg_write(_x(n), value & (1 << 64) - 1)
        for n, value in (registers or {}).items():
            uc.reg_write(_x(n), value & (1 << 64) - 1)
        uc.reg_write(UC_ARM64_REG_SP, STACK_TOP - 64)
        uc.reg_write(UC_ARM64_REG_LR, SENTINEL)
        try:
            uc.emu_start(address, SENTINEL, count=max_instructions)
        except UcError as exc:
            pc = uc.reg_read(UC_ARM64_REG_PC)
            raise RuntimeError(f"emulation failed at pc={pc:#x}: {exc}") from exc
        pc = uc.reg_read(UC_ARM64_REG_PC)
        if pc != SENTINEL:
            raise RuntimeError(f"emulation stopped at pc={pc:#x}, not at the return sentinel")
        return uc.reg_read(UC_ARM64_REG_X0)

    def reg(self, n: int) -> int:
        return self.uc.reg_read(_x(n))


def _no_symbols(symbol: str) -> int:
    raise KeyError(f"no symbol {symbol!r} in this test")


def run(code, args: Sequence[int] = (), *, entry: int = 0, base: int = CODE_BASE,
        resolve: Callable[[str], int] | None = None, max_instructions: int = 0) -> int:
    """Load `code` (a CompiledCode) at base, call base + entry with args,
    and return x0."""
    machine = Machine()
    machine.load_code(code, base, resolve)
    return machine.call(base + entry, args, max_instructions=max_instructions)


def run_code(build, *, n_targets: int, target_distance: int) -> int:
    """Run a call-sequence experiment and return x19 (see the module docstring).

    build(address_of, placement) returns the CompiledCode; address_of(k) is
    target k's address, placement the region the code is loaded in.
    """
    from pyjit.aarch64.calls import CodePlacement

    span = 1 << 20
    targets = CODE_BASE + _round_up(target_distance)

    def address_of(k: int) -> int:
        return targets + 16 * k

    code = build(address_of, CodePlacement(CODE_BASE, CODE_BASE + span))
    if len(code.data) > span:
        raise ValueError(f"code of {len(code.data)} bytes does not fit the {span}-byte placement")
    machine = Machine()
    machine.load_code(code, CODE_BASE, lambda s: address_of(int(s.removeprefix("target"))))
    stubs = bytearray()
    for k in range(n_targets):
        # lsl x19, x19, #4 ; add x19, x19, #k+1 ; ret ; nop
        stubs += struct.pack("<4I", 0xD37CEE73, 0x91000273 | (k + 1) << 10, 0xD65F03C0, 0xD503201F)
    machine.load(bytes(stubs), targets)
    machine.call(CODE_BASE, registers={19: 0})
    return machine.reg(19)
