"""The native engine's own machine code: cache maintenance and the entry.

pyjit emits these with its own assembler (`pyjit.aarch64.asmtext`, i.e. the
encoder in `isa.py`); libc has no `__clear_cache` to call and CPython's
ctypes cannot switch stacks.  Three routines, AAPCS64:

`pyjit_flush_icache(start, end)`
    Makes [start, end) coherent between the data and instruction sides, the
    sequence the Arm ARM prescribes for self-modifying code at EL0:

        dc cvau   each data cache line      (clean to the point of unification)
        dsb ish
        ic ivau   each instruction line     (invalidate to the PoU)
        dsb ish
        isb

    Line sizes come from CTR_EL0 (`mrs`; Linux lets EL0 read it): DminLine
    (bits 19:16) and IminLine (bits 3:0) are log2 of the line size in
    4-byte words.  The routine does not skip a step when CTR_EL0.IDC or DIC
    say the hardware needs less: always correct, a few hundred cycles per
    load.

`pyjit_enter(block)`
    block is 7 words of memory: x0, x1, x2, x3, target, stack, result.
    Calls target(x0..x3) (the vectorcall ABI of compiled code) and stores
    the returned x0 in the block's result word before returning.  stack !=
    0 switches sp to it (16-byte aligned) for the call: the outermost entry
    of a thread runs compiled code on an engine-owned stack (see
    stacks.py); stack == 0 stays on the current stack (a nested entry
    from a helper already is on it).  The arguments are read from the
    block before the call, the result written after it, so nested entries
    may reuse the block in between.  A frame record is kept on the
    caller's stack, so frame-pointer unwinders walk from compiled code back
    into the interpreter.  Why a block: a ctypes call with one pointer
    argument costs a fraction of one converting seven 64-bit integers; and
    the engine calls this through a ctypes prototype that keeps the GIL and
    raises the thread state's error when it is set on return, dropping the
    return value: the result word survives that (see native_engine.py,
    "Exceptions").

`pyjit_stack_pointer()`
    Returns sp (the engine checks the stack left before a nested entry).

Coherency of these routines themselves: they are written into fresh
anonymous pages which are then made read+execute; on arm64 Linux the
kernel cleans and invalidates a page's cache lines when it first maps it
executable (`__sync_icache_dcache` in `set_pte_at`), which is the one place
pyjit relies on the kernel; the engine also runs the flush routine over
its own page before anything else runs.
"""

from __future__ import annotations

from ..aarch64.asmtext import assemble
from ..aarch64.compiled import CompiledCode

FLUSH, ENTER, STACK_POINTER = "pyjit_flush_icache", "pyjit_enter", "pyjit_stack_pointer"
ROUTINES = (FLUSH, ENTER, STACK_POINTER)
NAME = "pyjit:native_runtime"

SOURCE = """
// x0 = start, x1 = end (exclusive)
pyjit_flush_icache:
    mrs x3, ctr_el0
    mov x5, #4
    ubfx x4, x3, #16, #4        // DminLine: log2(words per data line)
    lsl x4, x5, x4              // data line bytes
    and x6, x3, #0xf            // IminLine
    lsl x6, x5, x6              // instruction line bytes
    sub x7, x4, #1
    bic x8, x0, x7              // first data line
dcache_line:
    dc cvau, x8
    add x8, x8, x4
    cmp x8, x1
    b.lo dcache_line
    dsb ish
    sub x7, x6, #1
    bic x8, x0, x7              // first instruction line
icache_line:
    ic ivau, x8
    add x8, x8, x6
    cmp x8, x1
    b.lo icache_line
    dsb ish
    isb
    ret

// x0 = the entry block: [x0, x1, x2, x3, target, new sp or 0, result]
pyjit_enter:
    stp x29, x30, [sp, #-32]!
    stp x19, x20, [sp, #16]
    mov x29, sp
    mov x19, sp                 // the caller's sp, restored after the call
    mov x20, x0                 // the block, kept across the call
    ldp x4, x5, [x20, #32]
    cbz x5, enter_call
    mov sp, x5
enter_call:
    ldp x0, x1, [x20]
    ldp x2, x3, [x20, #16]
    blr x4
    mov sp, x19
    str x0, [x20, #48]
    ldp x19, x20, [sp, #16]
    ldp x29, x30, [sp], #32
    ret

pyjit_stack_pointer:
    mov x0, sp
    ret
"""


def routines() -> CompiledCode:
    """The routines as one position-independent CompiledCode (no
    relocations); `labels[name][0]` is each routine's offset."""
    code = assemble(SOURCE, NAME).code
    assert not code.relocs and all(name in code.labels for name in ROUTINES)
    return code
