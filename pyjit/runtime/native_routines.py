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

`pyjit_python_helper` and its stubs
    Where compiled code calls a helper implemented in Python: stub k is
    `mov x16, #k; b pyjit_python_helper`, which calls the ctypes callback
    in word k of the engine's callback table (native_helpers.py) with the
    arguments as they came (x0..x7, d0..d7) and returns its result (x0 or
    d0), with the thread state's recursion_remaining raised by `room`
    around the call.  Entering the callback from C is a C entry and Python
    frames the interpreter counts, where the instruction the helper stands
    for counts nothing: the room is what keeps a helper called at the
    recursion limit running (the binding gives the count back for the
    program's code it runs, helper_binding.py), as the Unicorn engine's
    trap hook has HOOK_FRAMES.  The thread state is PyThreadState_Get's:
    compiled code holds the GIL, and x19 keeps it across the call (a
    callback may release the GIL; the thread is the same when it returns).

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
PYTHON_HELPER, STUBS = "pyjit_python_helper", "pyjit_python_helper_stubs"
ROUTINES = (FLUSH, ENTER, STACK_POINTER, PYTHON_HELPER, STUBS)
STUB_SIZE = 8                   # bytes of each Python helper's stub
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

# x16 = the stub's index in the callback table; x0..x7, d0..d7 = the arguments
PYTHON_HELPER_SOURCE = """
pyjit_python_helper:
    stp x29, x30, [sp, #-160]!
    mov x29, sp
    stp x0, x1, [sp, #16]
    stp x2, x3, [sp, #32]
    stp x4, x5, [sp, #48]
    stp x6, x7, [sp, #64]
    stp d0, d1, [sp, #80]
    stp d2, d3, [sp, #96]
    stp d4, d5, [sp, #112]
    stp d6, d7, [sp, #128]
    stp x19, x20, [sp, #144]
    ldr x9, lit_callbacks
    ldr x20, [x9, x16, lsl #3]          // the callback
    ldr x9, lit_thread_state_get
    blr x9
    mov x19, x0                         // the thread state
    ldr w9, [x19, #{remaining}]
    add w9, w9, #{room}
    str w9, [x19, #{remaining}]
    ldp x0, x1, [sp, #16]
    ldp x2, x3, [sp, #32]
    ldp x4, x5, [sp, #48]
    ldp x6, x7, [sp, #64]
    ldp d0, d1, [sp, #80]
    ldp d2, d3, [sp, #96]
    ldp d4, d5, [sp, #112]
    ldp d6, d7, [sp, #128]
    blr x20
    ldr w9, [x19, #{remaining}]         // (x0 and d0, the result, untouched)
    sub w9, w9, #{room}
    str w9, [x19, #{remaining}]
    ldp x19, x20, [sp, #144]
    ldp x29, x30, [sp], #160
    ret
    .p2align 3
lit_callbacks:          .quad {callbacks:#x}
lit_thread_state_get:   .quad {thread_state_get:#x}
"""


def routines(callbacks: int, capacity: int, thread_state_get: int, remaining: int,
             room: int) -> CompiledCode:
    """The routines as one position-independent CompiledCode (no
    relocations); `labels[name][0]` is each routine's offset.  callbacks:
    the address of the callback table (capacity words), thread_state_get:
    PyThreadState_Get's, remaining: the offset of recursion_remaining in a
    thread state, room: what pyjit_python_helper adds to it."""
    stubs = "".join(f"    mov x16, #{k}\n    b {PYTHON_HELPER}\n" for k in range(capacity))
    source = (SOURCE + PYTHON_HELPER_SOURCE.format(
        callbacks=callbacks, thread_state_get=thread_state_get, remaining=remaining, room=room)
        + f"    .p2align 3\n{STUBS}:\n" + stubs)
    code = assemble(source, NAME).code
    assert not code.relocs and all(name in code.labels for name in ROUTINES)
    return code
