"""Helper traps and the entry stub: the engine's own code and data pages.

Generated code calls a helper like any C function (`blr x16`, `bl`...) at
the helper's *trap address*.  What is there is a few instructions of
engine-owned AArch64 code; one Unicorn code hook, on a range holding only
one instruction per helper, turns the call into a Python call.  Nothing in
the compiled bytes depends on this: they only see an address.

Layout of the trap reservation (`TrapTable`), all offsets from code_start,
which is one page into the reservation:

   -0x1000  a guard page, never mapped in Unicorn (see "The exit" below)
    0x0000  entry_done:   brk #0xf00d                ; emulation ends here (until)
            enter_outer:  b outer ; enter_nested: b nested
            outer:        adrp x16, BLOCK ; ldr x9, [x16, #E_SP] ; mov sp, x9
            nested:       stp x29, x30, [sp, #-16]!
                          adrp x16, BLOCK ; ldp x0, x1, [x16, #E_X0]
                          ldp x2, x3, [x16, #E_X2] ; ldr x17, [x16, #E_TARGET]
                          blr x17                    ; the compiled function
                          ldp x29, x30, [sp], #16
                          adrp x16, BLOCK ; str x0, [x16, #E_RESULT]
                          mov x9, #1 ; str x9, [x16, #E_DONE]
                          b entry_done
            trap_return:  adrp x16, BLOCK ; ldr x0, [x16, #R_X]
                          ldr d0, [x16, #R_D] ; ret
    0x1000  stub k (64 bytes each, k = 0..capacity-1), the helper's address:
                          adrp x16, BLOCK
                          stp x0, x1, [x16, #0] ...  (the x registers it takes)
                          stp d0, d1, [x16, #64] ... (the d registers it takes)
                          b pad_k
    PAD     pad_k (4 bytes each): b trap_return      <- the only hooked range
    BLOCK   (its own page, read-write data, never executable):
            slots 0..7 x0..x7, 8..15 d0..d7, 16 result x0, 17 result d0,
            24..27 call arguments, 28 call target, 29 initial sp,
            30 call result, 31 "returned" flag.

The hook fires before `pad_k` executes: the invoker reads the arguments
from the block through ctypes, calls the helper, writes the result to the
block; `trap_return` loads x0 and d0 from it and returns to the caller.
Register reads and writes through Unicorn's API cost microseconds each;
this costs none.  A block is shared by nested calls on one Unicorn
instance: an invoker reads all its arguments before calling the helper and
writes the result after, so a nested emulation in between may reuse it.

One block per Unicorn instance: the code above reaches BLOCK PC-relatively
(adrp), so every instance (each emulation context of the engine) maps its
own host page at that one emulated address (`block`): threads emulating at
the same time never share argument slots.  The table's code and the
invokers (which take the block's views X, S, D as arguments) are shared.

The exit: Unicorn translates the instruction at the `until` address of
emu_start into a zero-length block that ends emulation, and after every
emu_start it invalidates the blocks around until - 1; a zero-length block
counts as lying on both its page and the page before.  With `entry_done`
anywhere else, that block (and the one that ran into it) was dropped and
translated again at every call: about 800 bytes of translation buffer a
call, never reclaimed, and most of what a trivial call cost.  At the first byte of a page whose previous
page is unmapped in Unicorn, the invalidation finds no page and drops
nothing.

Why the stubs can clobber x16/x17/x9: AAPCS64 lets a call clobber them.
Across a nested entry the outer call's live state survives because the
inner compiled function preserves x19..x29, sp and d8..d15 (AAPCS64) and
`enter_nested` saves x29/x30; trap_return recomputes the block address.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import RuntimeError, ValueError, int, len, range, zip
import ctypes
import struct
from typing import Callable

from ..aarch64 import isa
from ..aarch64.operands import Mem, PostIndex, PreIndex
from ..aarch64.registers import D0, SP, X0, X2, X9, X16, X17, X29, X30, dreg, xreg
from .helper_binding import compile_call
from ..cpython.helpers import Helper
from .hostmem import PAGE, PROT_READ, PROT_WRITE, Reservation, page_up

STUB_SIZE = 64
STUBS_OFFSET = 0x1000

# Block slots (8-byte words).
X_ARGS, D_ARGS, RESULT_X, RESULT_D = 0, 8, 16, 17
E_X0, E_TARGET, E_SP, E_RESULT, E_DONE = 24, 28, 29, 30, 31
BLOCK_SLOTS = 32

_ENTRY_BRK = 0xF00D


def _words(words: list[int]) -> bytes:
    return struct.pack(f"<{len(words)}I", *words)


class TrapTable:
    """The engine's code inside a reservation (see module docstring).

    `add(helper)` gives a helper the next slot k: its stub, pad instruction
    and invoker (`invokers[k](X, S, D)`, which an emulation context's hook
    runs with the ctypes views of its own block: X unsigned, S signed, D
    double).  Slots are never reused: a helper's trap address is stable for
    the life of the table.  `block` is the block's emulated address; the
    table keeps no block of its own (`block_views` makes the views of one)."""

    @staticmethod
    def size_for(capacity: int) -> int:
        """Bytes of reservation a table of capacity helpers needs: the guard
        page, the code, the block's page."""
        return PAGE + page_up(STUBS_OFFSET + (STUB_SIZE + 4) * capacity) + PAGE

    def __init__(self, reservation: Reservation, capacity: int = 1024):
        self.reservation = reservation
        self.capacity = capacity
        base = reservation.start + PAGE            # the page below stays PROT_NONE, unmapped
        self.pad_start = base + STUBS_OFFSET + STUB_SIZE * capacity
        self.pad_end = self.pad_start + 4 * capacity
        self.code_start = base
        self.code_end = page_up(self.pad_end)
        self.block = self.code_end
        if self.block + PAGE > reservation.end:
            raise ValueError(f"a trap table of {capacity} helpers does not fit in {reservation}")
        reservation.commit(self.code_start, self.code_end - self.code_start, PROT_READ | PROT_WRITE)
        self.helpers: list[Helper] = []
        self.invokers: list[Callable[[object, object, object], None]] = []
        self._slot: dict[str, int] = {}
        self._write_entry()

    @staticmethod
    def block_views(address: int) -> tuple[object, object, object]:
        """X, S, D: the slots of a block at host address as unsigned, signed
        and double ctypes arrays."""
        return ((ctypes.c_uint64 * BLOCK_SLOTS).from_address(address),
                (ctypes.c_int64 * BLOCK_SLOTS).from_address(address),
                (ctypes.c_double * BLOCK_SLOTS).from_address(address))

    # -- addresses ----------------------------------------------------------------
    def _adrp_block(self, at: int) -> int:
        """adrp x16, BLOCK for an instruction at address at."""
        return isa.adrp(X16, self.block - (at & ~(PAGE - 1)))

    def stub_address(self, k: int) -> int:
        return self.code_start + STUBS_OFFSET + STUB_SIZE * k

    def slot_of(self, name: str) -> int | None:
        return self._slot.get(name)

    def address_of(self, name: str) -> int | None:
        k = self._slot.get(name)
        return None if k is None else self.stub_address(k)

    def helper_at(self, address: int) -> Helper | None:
        """The helper whose stub or pad instruction contains address."""
        k = None
        if self.pad_start <= address < self.pad_end:
            k = (address - self.pad_start) >> 2
        elif self.stub_address(0) <= address < self.pad_start:
            k = (address - self.stub_address(0)) // STUB_SIZE
        return self.helpers[k] if k is not None and k < len(self.helpers) else None

    # -- code --------------------------------------------------------------------------
    def _write(self, address: int, words: list[int]) -> None:
        data = _words(words)
        ctypes.memmove(address, data, len(data))

    def _write_entry(self) -> None:
        """The entry code (module docstring), in the table's first page, so
        one adrp offset reaches the block from every instruction of it;
        entry_done is the page's first word."""
        adrp = isa.adrp(X16, self.block - self.code_start)
        outer_body, nested_body, done, trap_return = 3, 6, 0, 19   # instruction indices
        code = [
            isa.brk(_ENTRY_BRK),                                 # 0 entry_done
            isa.b(4 * (outer_body - 1)),                         # 1 enter_outer
            isa.b(4 * (nested_body - 2)),                        # 2 enter_nested
            adrp,                                                # 3 outer body
            isa.ldr(X9, Mem(X16, 8 * E_SP)),
            isa.mov(SP, X9),
            isa.stp(X29, X30, PreIndex(SP, -16)),                # 6 nested body
            adrp,
            isa.ldp(X0, xreg(1), Mem(X16, 8 * E_X0)),
            isa.ldp(X2, xreg(3), Mem(X16, 8 * (E_X0 + 2))),
            isa.ldr(X17, Mem(X16, 8 * E_TARGET)),
            isa.blr(X17),
            isa.ldp(X29, X30, PostIndex(SP, 16)),
            adrp,
            isa.str_(X0, Mem(X16, 8 * E_RESULT)),
            isa.mov(X9, 1),
            isa.str_(X9, Mem(X16, 8 * E_DONE)),
            isa.b(4 * (done - 17)),                              # 17
            isa.nop(),
            adrp,                                                # 19 trap_return
            isa.ldr(X0, Mem(X16, 8 * RESULT_X)),
            isa.ldr(D0, Mem(X16, 8 * RESULT_D)),
            isa.ret(),
        ]
        at = self.code_start
        # The doors are one-instruction blocks branching to the bodies.
        self.enter_outer, self.enter_nested = at + 4, at + 8
        self.entry_done, self.trap_return = at + 4 * done, at + 4 * trap_return
        self.entry_end = at + 4 * len(code)
        self._write(at, code)

    def add(self, helper: Helper) -> tuple[int, int]:
        """Give helper a slot; returns [start, end) covering the code written
        (stub and pad word) so the engine can drop stale translations."""
        if helper.name in self._slot:
            raise ValueError(f"helper {helper.name!r} already has a trap")
        k = len(self.helpers)
        if k >= self.capacity:
            raise RuntimeError(f"the trap table is full ({self.capacity} helpers): "
                               "create the engine with a larger helper_capacity")
        stub = self.stub_address(k)
        pad = self.pad_start + 4 * k
        words = [self._adrp_block(stub)]
        for i in range(0, helper.int_arg_count, 2):
            words.append(isa.stp(xreg(i), xreg(i + 1), Mem(X16, 8 * (X_ARGS + i))))
        for i in range(0, helper.double_arg_count, 2):
            words.append(isa.stp(dreg(i), dreg(i + 1), Mem(X16, 8 * (D_ARGS + i))))
        words.append(isa.b(pad - (stub + 4 * len(words))))
        assert 4 * len(words) <= STUB_SIZE
        self._write(stub, words)
        self._write(pad, [isa.b(self.trap_return - pad)])
        self.invokers.append(self._invoker(helper))
        self.helpers.append(helper)
        self._slot[helper.name] = k
        return stub, pad + 4

    def _invoker(self, helper: Helper) -> Callable[[object, object, object], None]:
        """invoke(X, S, D): read helper's arguments from a block's views,
        call it, store the raw result there (helper_binding.compile_call)."""
        args = [f"D[{D_ARGS + int(reg[1:])}]" if reg[0] == "d" else
                f"{'S' if kind == 'int64' else 'X'}[{X_ARGS + int(reg[1:])}]"
                for kind, reg in zip(helper.args, helper.registers())]
        if helper.result == "void":
            store = None
        elif helper.result == "double":
            store = f"D[{RESULT_D}] = {{}}"
        elif helper.result in ("obj", "borrowed"):
            store = f"X[{RESULT_X}] = {{}}"
        else:
            store = f"S[{RESULT_X}] = {{}}"
        return compile_call(helper, f"invoke_{helper.name}", args, store, {}, "X, S, D")
