"""Dynamic counts from the block hook, checked against hand-computed totals."""

from __future__ import annotations

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.labels import LabelUse
from pyjit.aarch64.operands import Mem
from pyjit.aarch64.registers import SP, X0, X1, X2, X19
from pyjit.runtime import Counts, UnicornEngine
from pyjit.runtime.counts import StaticProfile, classify

from runtime_support import Asm


def loop_code(name: str = "loop"):
    """x0 = n >= 1; returns n.  Per iteration one store and one load.

        0: sub sp, sp, #16
        4: mov x1, #0
        8: loop: str x1, [sp]
       12: ldr x2, [sp]
       16: add x1, x2, #1
       20: subs x0, x0, #1
       24: b.ne loop
       28: add sp, sp, #16
       32: mov x0, x1
       36: ret
    """
    asm = Asm(name)
    asm.emit(isa.sub(SP, SP, 16), isa.mov(X1, 0))
    top = asm.label("loop")
    asm.bind(top)
    asm.emit(isa.str_(X1, Mem(SP, 0)), isa.ldr(X2, Mem(SP, 0)), isa.add(X1, X2, 1),
             isa.subs(X0, X0, 1))
    asm.buf.emit_use(isa.b_cond("ne", 0), top, LabelUse.BRANCH19)
    asm.emit(isa.add(SP, SP, 16), isa.mov(X0, X1), isa.ret())
    return asm.finish()


def expected_loop(n: int) -> Counts:
    # Blocks: [0, 28) once (7 insns), [8, 28) n-1 times (5), [28, 40) once (3).
    # b.ne is taken n-1 times; ret is taken and indirect.
    return Counts(instructions=5 * n + 5, loads=n, stores=n, taken_branches=n,
                  indirect_branches=1, helper_calls=0, helpers={})


@pytest.fixture(scope="module")
def counting_engine():
    eng = UnicornEngine(code_arena_size=1 << 20, counting=True)
    yield eng
    eng.close()


@pytest.mark.parametrize("n", [1, 2, 3, 10])
def test_loop_counts(counting_engine, n):
    eng = counting_engine
    f = eng.load(loop_code(f"loop{n}"))
    assert eng.call(f.address, n) == n
    assert eng.counts()[f"loop{n}"] == expected_loop(n)
    assert eng.call(f.address, n) == n
    assert eng.counts()[f"loop{n}"].instructions == 2 * (5 * n + 5)


def test_reset_and_switching_counting_off_and_on(counting_engine):
    eng = counting_engine
    f = eng.load(loop_code("switch"))
    eng.call(f.address, 4)
    eng.reset_counts()
    assert eng.counts()["switch"] == Counts()
    eng.counting = False
    eng.call(f.address, 4)
    assert eng.counts()["switch"] == Counts()      # the hook is gone
    eng.counting = True                            # blocks translated without it are flushed
    eng.call(f.address, 4)
    assert eng.counts()["switch"] == expected_loop(4)


def test_helper_calls_are_charged_to_the_caller(counting_engine):
    eng = counting_engine
    asm = Asm("calls_helpers").prologue()
    asm.emit(isa.mov(X19, X0))
    asm.call("PyObject_IsTrue")
    asm.emit(isa.mov(X0, X19))
    asm.call("PyObject_IsTrue")
    f = eng.load(asm.epilogue().finish())
    eng.call(f.address, id([1]))
    c = eng.counts()["calls_helpers"]
    assert c.helper_calls == 2 and c.helpers == {"PyObject_IsTrue": 2}
    # prologue 4 + mov + 2 x (ldr literal + blr) + mov + epilogue 4 = 14; the
    # trap stubs are not counted.  Stores: stp x3 ; loads: ldr literal x2 + ldp x3.
    assert c.instructions == 14
    assert (c.stores, c.loads) == (3, 5)
    assert (c.taken_branches, c.indirect_branches) == (3, 3)   # blr, blr, ret


def test_instruction_classification():
    assert classify("ldp") == (1, 0, 0) and classify("ldr") == (1, 0, 0)
    assert classify("stp") == (0, 1, 0) and classify("stur") == (0, 1, 0)
    assert classify("b.ne")[2] == classify("cbz")[2] == classify("tbnz")[2] == 2
    assert classify("b")[2] == classify("bl")[2] == 1
    assert classify("ret")[2] == classify("blr")[2] == classify("br")[2] == 3
    assert classify("add") == (0, 0, 0) and classify("prfm") == (0, 0, 0)


def test_static_profile_skips_literal_pools():
    code = Asm("pool")
    label = code.buf.literal(0xF9400000F9400000)     # words that decode as ldr
    code.buf.emit_use(isa.ldr_literal(X0, 0), label, LabelUse.LDR19)
    code.emit(isa.ret())
    compiled = code.finish()
    profile = StaticProfile(0x1000, compiled.data, compiled.regions)
    assert profile.loads[-1] == 1                     # only the ldr literal
    assert profile.block(0x1000, 8) == (2, 1, 0, 3)


def test_a_block_of_code_not_profiled_is_an_error_not_a_profile_made_in_the_hook():
    from pyjit.runtime.counts import BlockCounter
    code = loop_code("late")
    counter = BlockCounter()
    counter.add_code(0x10000, 0x10000 + len(code.data), "late", code)
    with pytest.raises(RuntimeError, match="not profiled"):
        counter.on_block(0x10000, 28)
