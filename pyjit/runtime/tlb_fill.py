"""Unicorn's TLB filled by pyjit: stores at full speed, pages mapped on a miss.

Why
---
Unicorn 2.1 sends a store down its slow path (a helper call, a lookup of
the memory region, the memory-hook checks) while the TLB entry of the
page is marked not dirty, and it clears that mark only for a page that is
not executable in the TLB entry and has no memory hook installed over it
(cputlb.c, `notdirty_write`).  With the MMU off, as here, QEMU's AArch64
target makes every page executable in the TLB, and the engine's
unmapped-memory and protection hooks covered every address: so every
store of emulated code took the slow path: about twenty times a load's
cost (`python benchmarks/unicorn_costs.py` prints both setups).

So each Unicorn instance runs with a *virtual* TLB (UC_CTL_TLB_TYPE =
UC_TLB_VIRTUAL) and 4 KiB pages, with no memory hook at all.  On a TLB
miss Unicorn asks the TLB-fill hooks for the page's physical address (the
same: identity mapping) and permissions: read and write for host memory,
read and execute for the code arena and the trap table only.  A store to
a page that is not executable in its TLB entry, with no memory hook,
clears the mark once and takes the fast path from then on.

The hooks
---------
Misses are frequent (Unicorn's TLB holds a few hundred pages until it
grows, and every new mapping flushes it), so the first hook is machine
code (`ASSEMBLY`, x86-64 System V) that never enters the interpreter: it
looks the page up in the context's permissions cache (`PermsCache`:
sets of four `page | perms` words, 0 when empty) and fills the entry on a
hit.  On a miss for a read or a write it calls the native
first-touch hook (native_first_touch.py) where the host has one: if that
maps a chunk, the chunk's pages go into the cache and the page is looked
up once more.  Otherwise it declines, and the Python hook (unicorn_context
`_on_fill`) does what the memory hooks did: it maps the chunk on first
touch (identity.py), upgrades a read-only chunk the host has made
writable (`recheck_write`), puts the page's chunk into the cache, or
refuses with the reason the fault reports.  The cache is dropped where
the identity map unmaps or changes a chunk.

A fetch outside the code gets a physical page nothing is mapped at (the
guard page before the trap table), executable, so that Unicorn's own
lookup reports an unmapped fetch: a fill that fails raises a CPU
exception from inside Unicorn, and Unicorn fills for fetches of its own
(its invalidation of a page being unmapped, the page before `until`).
Such an entry is cached only for that guard page itself, whose identity
is the page nothing is mapped at: Unicorn fills it after every emu_start
(traps.py, "The exit"), a Python call each time before.

Where the native hook cannot run (not x86-64 Linux) the Python hook
takes every miss: correct, and slower than the memory hooks were there.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import bytes, len, min, range

import ctypes
import platform
import sys

from .hostmem import executable_copy
from .native_first_touch import hook_address as first_touch_address

TLB_PAGE = 4096                # Unicorn's page size here (UC_CTL_UC_PAGE_SIZE)
CACHE_SLOTS = 1 << 16          # permissions cache words per context (512 KiB)
WAYS = 4                       # words per set (the native lookup reads four)

# bool fill(uc_engine *uc, uint64_t vaddr, int type, uc_tlb_entry *entry,
#           _FillState *state)                      rdi, rsi, edx, rcx, r8
# type is UC_MEM_READ (16), UC_MEM_WRITE (17) or UC_MEM_FETCH (18): bit
# type - 16 of a cached word's perms (UC_PROT_READ 1, WRITE 2, EXEC 4).
# uc_tlb_entry is {uint64_t paddr; uc_prot perms}.  The first-touch call
# keeps the stack 16-byte aligned (five pushes after the return address);
# rbx, rbp and r12-r14 are callee-saved, so Unicorn's registers survive.
ASSEMBLY = """
    mov r11, rsi                 # the page
    and r11, -4096
    call lookup
    jne miss
hit:                             # r10: its word in the cache
    mov r10, [r10]
    lea r11d, [rdx - 16]
    cmp r11d, 2
    ja decline
    bt r10d, r11d                # the access's permission bit
    jae decline
    and r10d, 7
    mov [rcx], rsi               # the entry: paddr = vaddr, perms
    mov [rcx + 8], r10d
    mov eax, 1
    ret
decline:
    xor eax, eax
    ret
lookup:                          # r11 page -> equal and r10 its word, or r9 its set
    mov rax, r11
    shr rax, 10
    and rax, [r8 + 8]
    mov r9, [r8]
    lea r9, [r9 + rax*8]
    mov r10, r9
next:
    mov rax, [r10]
    and rax, -4096
    cmp rax, r11
    je found
    add r10, 8
    lea rax, [r9 + 32]
    cmp r10, rax
    jb next
    cmp r10, r9
found:
    ret
miss:                            # a read or write, with a native first touch:
    cmp edx, 18
    jae decline
    cmp qword ptr [r8 + 24], 0
    je decline
    push rbx
    push rbp
    push r12
    push r13
    push r14
    mov rbx, r8
    mov r12, rcx
    mov r13, rsi
    mov ebp, edx
    mov rdx, rsi                 # first_touch(uc, READ_UNMAPPED, address, 1, 0, state)
    mov esi, 19
    mov ecx, 1
    xor r8d, r8d
    mov r9, [rbx + 24]
    call qword ptr [rbx + 16]
    test eax, eax
    jz declined
    mov r9, [rbx + 24]           # the chunk it recorded last: its pages cached
    mov rax, [r9 + 24]
    test rax, rax
    jz declined
    lea rax, [rax + rax*2 - 3]
    mov r10, [r9 + 40]
    lea r10, [r10 + rax*8]
    mov rsi, [r10]
    mov r14, [r10 + 8]
    mov rdx, [r10 + 16]
    mov r8, rbx
put:
    cmp rsi, r14
    jae filled
    mov r11, rsi
    call lookup
    je store
    mov r10, r9                  # else a free word, else the one bits 24-25 choose
free:
    cmp qword ptr [r10], 0
    je store
    add r10, 8
    lea rax, [r9 + 32]
    cmp r10, rax
    jb free
    mov rax, rsi
    shr rax, 24
    and eax, 3
    lea r10, [r9 + rax*8]
store:
    mov rax, rsi
    or rax, rdx
    mov [r10], rax
    add rsi, 4096
    jmp put
filled:                          # look again, once
    mov rsi, r13
    mov edx, ebp
    mov rcx, r12
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    mov r11, rsi
    and r11, -4096
    call lookup
    je hit
    xor eax, eax
    ret
declined:
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    xor eax, eax
    ret
"""

CODE = bytes.fromhex(
    "4989f34981e300f0ffffe829000000755b4d8b12448d5af04183fb027717450fa3da73114183"
    "e20748893144895108b801000000c331c0c34c89d848c1e80a492340084d8b084d8d0cc14d89"
    "ca498b02482500f0ffff4c39d874104983c208498d41204939c272e54d39cac383fa1273c449"
    "8378180074bd53554154415541564c89c34989cc4989f589d54889f2be13000000b901000000"
    "4531c04c8b4b18ff531085c00f84990000004c8b4b18498b41184885c00f8488000000488d44"
    "40fd4d8b51284d8d14c2498b324d8b7208498b52104989d84c39f673404989f3e855ffffff74"
    "244d89ca49833a00741b4983c208498d41204939c272ed4889f048c1e81883e0034d8d14c148"
    "89f04809d04989024881c600100000ebbb4c89ee89ea4c89e1415e415d415c5d5b4989f34981"
    "e300f0ffffe8fefeffff0f84d1feffff31c0c3415e415d415c5d5b31c0c3")

# The Python hook's share: what each kind of access needs (UC_MEM_READ,
# UC_MEM_WRITE, UC_MEM_FETCH -> UC_PROT_READ, UC_PROT_WRITE, UC_PROT_EXEC).
WANT = {16: 1, 17: 2, 18: 4}

SUPPORTED = sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64")


class TlbEntry(ctypes.Structure):
    """uc_tlb_entry (unicorn.h)."""
    _fields_ = (("paddr", ctypes.c_uint64), ("perms", ctypes.c_uint32))


# bool (*)(uc_engine *, uint64_t, uc_mem_type, uc_tlb_entry *, void *)
FILL_CFUNC = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int,
                              ctypes.POINTER(TlbEntry), ctypes.c_void_p)


class _FillState(ctypes.Structure):
    _fields_ = [("cache", ctypes.c_void_p),
                ("mask", ctypes.c_uint64),
                ("first_touch", ctypes.c_void_p),       # native_first_touch's hook, or 0
                ("first_touch_state", ctypes.c_void_p)]


_code: list[int] = []          # the hook's address, once written


def hook_address() -> int:
    """The native hook's entry: one read+exec page of this process."""
    if not _code:
        _code.append(executable_copy(CODE))
    return _code[0]


class PermsCache:
    """One context's cache of page permissions, read by the native hook:
    sets of WAYS words `page | perms` (0: empty), the set of a page at
    word (page >> 10) & mask (mask: the words less one, without the low
    bits of a set); a page goes into its own word, else an empty one,
    else the one its bits 24-25 choose.  `address` is the hook's user
    data; keep this object alive while the hook is added."""

    def __init__(self, first_touch=None, slots: int = CACHE_SLOTS):
        """first_touch: the context's native_first_touch.NativeFirstTouch,
        whose hook the native fill calls on a miss, or None."""
        self._slots = (ctypes.c_uint64 * slots)()
        self.state = _FillState()
        self.state.cache = ctypes.addressof(self._slots)
        self.state.mask = (slots - 1) & -WAYS
        if first_touch is not None:
            self.state.first_touch = first_touch_address()
            self.state.first_touch_state = first_touch.address
        self.address = ctypes.addressof(self.state)

    def _slot(self, page: int) -> tuple[int, bool]:
        """(index of page's word, whether it holds page)."""
        base = (page >> 10) & self.state.mask
        slots = self._slots
        for i in range(base, base + WAYS):
            if slots[i] & -TLB_PAGE == page:
                return i, True
        for i in range(base, base + WAYS):
            if not slots[i]:
                return i, False
        return base + ((page >> 24) & (WAYS - 1)), False

    def lookup(self, address: int) -> int:
        """The cached perms of address's page, 0 when not cached."""
        i, found = self._slot(address & -TLB_PAGE)
        return self._slots[i] & 7 if found else 0

    def put(self, lo: int, hi: int, perms: int) -> None:
        """[lo, hi) (page-aligned) has perms; at most a cache's worth of
        pages from lo go in."""
        for page in range(lo, min(hi, lo + len(self._slots) * TLB_PAGE), TLB_PAGE):
            self._slots[self._slot(page)[0]] = page | perms

    def drop(self, lo: int, hi: int) -> None:
        """Forget the pages of [lo, hi)."""
        if hi - lo >= len(self._slots) * TLB_PAGE:
            self.clear()
            return
        for page in range(lo & -TLB_PAGE, hi, TLB_PAGE):
            i, found = self._slot(page)
            if found:
                self._slots[i] = 0

    def clear(self) -> None:
        ctypes.memset(self._slots, 0, ctypes.sizeof(self._slots))
