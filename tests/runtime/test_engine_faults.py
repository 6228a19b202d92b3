"""Faults in emulated code become EmulationFault; the host never crashes."""

from __future__ import annotations

import ctypes
import time

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.labels import LabelUse
from pyjit.aarch64.operands import Mem, PreIndex
from pyjit.aarch64.registers import SP, X0, X1, X2, X30
from pyjit.runtime import EmulationFault, UnicornEngine
from pyjit.cpython import layout as L
from pyjit.cpython.helpers import python_helper

from runtime_support import Asm, leaf


def test_wild_load_names_function_pc_and_disassembly(engine):
    f = engine.load(leaf("wild_load", isa.nop(), isa.mov(X1, 0x10), isa.ldr(X0, Mem(X1, 0)),
                         isa.add(X0, X0, 1), isa.ret()))
    with pytest.raises(EmulationFault) as info:
        engine.call(f.address)
    fault = info.value
    text = str(fault)
    assert fault.pc == f.address + 8 and fault.function == "wild_load"
    assert fault.where == "wild_load+0x8"
    assert "read of 8 bytes at 0x10: not mapped in the host" in text
    lines = text.splitlines()
    marked = [line for line in lines if line.startswith("  =>")]
    assert len(marked) == 1 and "ldr x0, [x1]" in marked[0] and "wild_load+0x8" in marked[0]
    assert any("mov x1, #0x10" in line for line in lines)      # context before
    assert any("add x0, x0, #1" in line for line in lines)     # and after
    # The engine is fine afterwards.
    ok = engine.load(leaf("ok", isa.mov(X0, 5), isa.ret()))
    assert engine.call(ok.address) == 5


def test_undefined_instruction(engine):
    f = engine.load(leaf("undefined", isa.nop(), isa.udf(7), isa.ret()))
    with pytest.raises(EmulationFault, match=r"undefined instruction") as info:
        engine.call(f.address)
    assert info.value.pc == f.address + 4 and "undefined+0x4" in str(info.value)


def test_brk_is_a_cpu_exception(engine):
    f = engine.load(leaf("breakpoint", isa.brk(3), isa.ret()))
    with pytest.raises(EmulationFault, match=r"CPU exception at `brk #3`"):
        engine.call(f.address)


def test_jump_outside_code(engine):
    f = engine.load(leaf("jumper", isa.blr(X0), isa.ret()))
    with pytest.raises(EmulationFault, match=r"jump to 0x12345000: no code there") as info:
        engine.call(f.address, 0x12345000)
    assert "jumper+0x4" in str(info.value)            # lr names the call site
    # Host machine code is not executable in the emulator either.
    libc_function = ctypes.cast(ctypes.CDLL(None).getpid, ctypes.c_void_p).value
    with pytest.raises(EmulationFault, match="jump to"):
        engine.call(f.address, libc_function)


def test_write_to_read_only_host_memory(engine):
    tp_name = ctypes.c_uint64.from_address(id(int) + L.TYPE_TP_NAME).value   # in .rodata
    f = engine.load(leaf("scribble", isa.ldr(X1, Mem(X0, 0)), isa.str_(X1, Mem(X0, 0)), isa.ret()))
    with pytest.raises(EmulationFault, match=rf"write of 8 bytes at {tp_name:#x}: read-only"):
        engine.call(f.address, tp_name)
    assert ctypes.c_char_p(tp_name).value == b"int"


def test_stack_overflow_hits_the_guard_page(engine):
    # f: str x30, [sp, #-16]! ; bl f  -- recursion without end
    f = engine.load(leaf("runaway", isa.str_(X30, PreIndex(SP, -16)), isa.bl(-4)))
    with pytest.raises(EmulationFault, match="reserves for itself") as info:
        engine.call(f.address)
    assert info.value.function == "runaway"


def test_timeout_stops_an_infinite_loop():
    with UnicornEngine(code_arena_size=1 << 20, timeout=0.2) as eng:
        f = eng.load(leaf("spin", isa.b(0)))
        start = time.monotonic()
        with pytest.raises(EmulationFault, match=r"time limit exceeded \(0.2 s\)") as info:
            eng.call(f.address)
        assert time.monotonic() - start < 5
        assert info.value.function == "spin"
        g = eng.load(leaf("fine", isa.mov(X0, 9), isa.ret()))
        assert eng.call(g.address) == 9


def test_instruction_limit():
    with UnicornEngine(code_arena_size=1 << 20, max_instructions=1000) as eng:
        # loop x0 times: subs x0, x0, #1 ; b.ne -4 ; ret
        f = eng.load(leaf("countdown", isa.subs(X0, X0, 1), isa.b_cond("ne", -4), isa.ret()))
        assert eng.call(f.address, 400) == 0          # 801 instructions
        with pytest.raises(EmulationFault, match=r"instruction limit exceeded \(1000"):
            eng.call(f.address, 600)
        eng.max_instructions = None
        assert eng.call(f.address, 600) == 0


@python_helper("test_cannot_fail", ("obj",), "obj", "none")
def _cannot_fail(a):
    raise KeyError("broken contract")


def test_helper_contract_violation_is_a_fault(engine):
    f = engine.load(Asm("contract").prologue().call("test_cannot_fail").epilogue().finish())
    with pytest.raises(EmulationFault, match="test_cannot_fail cannot fail but raised"):
        engine.call(f.address, id(1))


def test_fault_in_literal_pool_listing_shows_data(engine):
    asm = Asm("pooled")
    lit = asm.buf.literal(0xD4200000D4200000)       # data that would decode as brk
    asm.buf.emit_use(isa.ldr_literal(X2, 0), lit, LabelUse.LDR19)
    asm.emit(isa.mov(X1, 0x20), isa.ldr(X0, Mem(X1, 0)), isa.ret())
    f = engine.load(asm.finish())
    with pytest.raises(EmulationFault) as info:
        engine.call(f.address)
    assert "(literals)" in str(info.value)


@pytest.mark.parametrize("text, address, size", [
    ("ldr x0, [x1, #16]", 0x1010, 8),
    ("ldr w0, [x1, x2, lsl #2]", 0x1000 + 4 * 3, 4),
    ("ldrb w0, [x1, w2, uxtw]", 0x1003, 1),
    ("ldrsh x0, [x1, #-2]", 0xffe, 2),
    ("str x0, [sp, #-16]!", 0x7ff0, 8),          # pre-indexed: before the writeback
    ("ldr x0, [x1], #8", 0x1000, 8),             # post-indexed: at the base
    ("stp x0, x1, [x1, #32]", 0x1020, 16),
    ("ldr q0, [x1]", 0x1000, 16),
    ("stxr w3, x0, [x1]", 0x1000, 8),
    ("add x0, x1, x2", None, None),
])
def test_a_faulting_access_is_read_back_from_its_instruction(text, address, size):
    # A TLB fill is told the page only: the fault's address and size come
    # from the instruction (keystone assembles it: the oracle's encoding).
    keystone = pytest.importorskip("keystone")
    from pyjit.runtime.faults import access_size, disassemble_word, effective_address
    encoding, _ = keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN).asm(text)
    word = int.from_bytes(bytes(encoding), "little")
    registers = {"x1": 0x1000, "x2": 3, "w2": 3, "sp": 0x8000}
    assert effective_address(word, 0, registers.__getitem__) == address
    assert access_size(disassemble_word(word, 0)) == size
