"""First touch of host memory in host machine code, with no Python in it.

Why
---
A context maps host memory into its Unicorn instance on first touch
(identity.py).  That touch is an instruction in the middle of compiled
code, often of a routine between its read of an object's state and its
write of the new state (a list's size, then the item slot, then the new
size).  A hook written in Python runs the interpreter's check points, and
at those the GIL passes to any thread waiting for it: a thread running
interpreted code, or one inside a helper, can then change the same object
under the interrupted routine (a lost append, an item popped twice, a
store into items the list has freed: the emulation lock,
emulation_lock.py, only keeps other *emulating* threads out).  The
interpreter's C code is never interrupted like that.  So first touches
are done here, in x86-64 machine code the hook calls directly: it never
enters the interpreter, and the GIL stays where it is.

What the hook does
------------------
It has the signature of an unmapped-memory hook, but the engine adds no
memory hook (tlb_fill.py: one would keep every store on Unicorn's slow
path): the native TLB-fill hook calls it on a miss for a read or a write,
as for a read of unmapped memory, and where it declines the Python fill
hook runs.  Its state
(`_State`, one per context, the hook's user data) holds a table of the
ranges it must not map, sorted: the engine's own ranges, the kernel's
special mappings ([vvar]...) and the chunks already mapped, as the
identity map last computed them.  For a read or write outside those
ranges, it asks the kernel for the mapping
holding the address (`ioctl(PROCMAP_QUERY)` on /proc/self/maps, Linux
6.11: its bounds and permissions now, one system call, nothing read or
parsed), and maps the window clipped to that mapping and to the refused
ranges on either side (the 64 KiB window of the access's first byte: for
an access across two windows, Unicorn asks again for the part in the
next one), with the mapping's permissions (UC_PROT_READ, and
UC_PROT_WRITE when writable): the chunk the Python path would map, with
permissions that cannot be stale.  If `uc_mem_map_ptr` fails (a chunk
mapped since the table was computed, in a mapping whose bounds changed
since, overlaps: a heap grown past a chunk clipped at its old end), it
maps from the address's page to the window's end, and failing that the
page alone.  It appends (start, end,
perms) to the state's record, which the identity map takes into its chunks
before it next reads them; past the record's end it still maps, and sets
`overflow`, on which the identity map reads Unicorn's own list of regions
instead.

It declines (returns false: the Python hook runs, as before) for an
instruction fetch, an address in a refused range or in no mapping or in
one the host has not readable, or a failed map: where the access is
refused anyway, and a fault follows.

Hosts: x86-64 Linux 6.11 or later (System V calling convention, the
`syscall` instruction, PROCMAP_QUERY); `SUPPORTED` says whether this host
is one (checked once, with a query).  Elsewhere the Python hook does every
first touch, and the thread race above stays possible there (rarely: it
needs another thread to change the very object a routine is changing
while a first touch interrupts it).  The code is written below as
assembly text and as its bytes; tests/runtime/test_native_first_touch.py
checks one against the other with keystone (the oracle) and runs the hook
under Unicorn.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import OSError, bool, bytes, id, len, list, range

import ctypes
import os
import platform
import sys
import weakref

from unicorn.unicorn_py3.unicorn import uclib

from .hostmem import executable_copy

RECORD_CAPACITY = 256          # chunks recorded between two takes (more: `overflow`)
PROCMAP_QUERY = 0xC0686611     # _IOWR('f', 17, struct procmap_query), linux/fs.h

# bool hook(uc_engine *uc, uc_mem_type type, uint64_t address, int size,
#           int64_t value, _State *state)          rdi, esi, rdx, ecx, r8, r9
# Registers: rbx the state, r12 uc, r13 the address, r14 and r15 the bounds
# (then the chunk), rbp the chunk's perms.  rbx, rbp, r12-r15 are
# callee-saved, so Unicorn's registers survive; six pushes and 8 bytes keep
# the stack 16-byte aligned for the call of uc_mem_map_ptr; a system call
# clobbers rcx and r11 only.
ASSEMBLY = """
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    sub rsp, 8
    mov rbx, r9                  # the state
    mov r12, rdi                 # uc
    mov r13, rdx                 # the address
    cmp esi, 21                  # UC_MEM_FETCH_UNMAPPED
    je decline
    mov r8, [rbx + 16]           # r14, r15: the refused ranges on either side
    mov r9, [rbx + 8]
    xor r14d, r14d
    mov r15, -1
search:
    test r9, r9
    jz query
    cmp r13, [r8 + 8]
    jb candidate
    mov r14, [r8 + 8]
    add r8, 16
    dec r9
    jmp search
candidate:
    cmp r13, [r8]
    jae decline                  # inside a refused range
    mov r15, [r8]
query:
    lea rdx, [rbx + 64]          # ioctl(maps, PROCMAP_QUERY, {104, 0, address, ...})
    mov qword ptr [rdx], 104
    mov qword ptr [rdx + 8], 0
    mov [rdx + 16], r13
    mov qword ptr [rdx + 80], 0
    mov qword ptr [rdx + 88], 0
    mov qword ptr [rdx + 96], 0
    mov rdi, [rbx + 56]
    mov esi, 0xC0686611
    mov eax, 16
    syscall
    test rax, rax
    jnz decline                  # no mapping there (or no such request)
    mov rbp, [rbx + 104]         # vma_flags: 1 readable, 2 writable
    test ebp, 1
    jz decline
    and ebp, 2                   # the chunk's perms: UC_PROT_READ, | UC_PROT_WRITE
    or ebp, 1
    mov rax, r13                 # the window, clipped to the ranges and the mapping
    and rax, -65536
    cmp rax, r14
    cmovb rax, r14
    cmp rax, [rbx + 88]
    cmovb rax, [rbx + 88]
    mov r14, rax
    mov rax, r13
    and rax, -65536
    add rax, 65536
    cmp rax, r15
    cmova rax, r15
    cmp rax, [rbx + 96]
    cmova rax, [rbx + 96]
    mov r15, rax
    mov rdi, r12                 # uc_mem_map_ptr(uc, start, size, perms, start)
    mov rsi, r14
    mov rdx, r15
    sub rdx, r14
    mov ecx, ebp
    mov r8, r14
    call qword ptr [rbx]
    test eax, eax
    jz record
    mov rax, r13                 # failed (a chunk mapped since the table overlaps):
    and rax, -4096               # from the address's page to the end,
    cmp rax, r14
    je single
    mov r14, rax
    mov rdi, r12
    mov rsi, r14
    mov rdx, r15
    sub rdx, r14
    mov ecx, ebp
    mov r8, r14
    call qword ptr [rbx]
    test eax, eax
    jz record
single:
    lea rcx, [r14 + 4096]        # then the page alone, if that is not what failed
    cmp rcx, r15
    je decline
    mov r15, rcx
    mov rdi, r12
    mov rsi, r14
    mov edx, 4096
    mov ecx, ebp
    mov r8, r14
    call qword ptr [rbx]
    test eax, eax
    jnz decline
record:
    mov rax, [rbx + 24]          # append (start, end, perms) to the record
    cmp rax, [rbx + 32]
    jae overflow
    lea rdx, [rax + rax*2]
    mov rcx, [rbx + 40]
    mov [rcx + rdx*8], r14
    mov [rcx + rdx*8 + 8], r15
    mov [rcx + rdx*8 + 16], rbp
    inc rax
    mov [rbx + 24], rax
    mov eax, 1
    jmp done
overflow:
    mov qword ptr [rbx + 48], 1  # the record is incomplete
    mov eax, 1
    jmp done
decline:
    xor eax, eax
done:
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
"""

CODE = bytes.fromhex(
    "535541544155415641574883ec084c89cb4989fc4989d583fe150f84730100004c8b43104c8b"
    "4b084531f649c7c7ffffffff4d85c9741f4d3b6808720d4d8b70084983c01049ffc9ebe84d3b"
    "280f83400100004d8b38488d534048c7026800000048c74208000000004c896a1048c7425000"
    "00000048c742580000000048c7426000000000488b7b38be116668c0b8100000000f054885c0"
    "0f85f5000000488b6b68f7c5010000000f84e500000083e50283cd014c89e848250000ffff4c"
    "39f0490f42c6483b4358480f4243584989c64c89e848250000ffff4805000001004c39f8490f"
    "47c7483b4360480f4743604989c74c89e74c89f64c89fa4c29f289e94d89f0ff1385c0744d4c"
    "89e8482500f0ffff4c39f0741a4989c64c89e74c89f64c89fa4c29f289e94d89f0ff1385c074"
    "25498d8e001000004c39f974564989cf4c89e74c89f6ba0010000089e94d89f0ff1385c0753d"
    "488b4318483b43207324488d1440488b4b284c8934d14c897cd10848896cd11048ffc0488943"
    "18b801000000eb1148c7433001000000b801000000eb0231c04883c408415f415e415d415c5d"
    "5bc3")


class _Query(ctypes.Structure):
    """struct procmap_query (linux/fs.h)."""
    _fields_ = [("size", ctypes.c_uint64), ("query_flags", ctypes.c_uint64),
                ("query_addr", ctypes.c_uint64), ("vma_start", ctypes.c_uint64),
                ("vma_end", ctypes.c_uint64), ("vma_flags", ctypes.c_uint64),
                ("vma_page_size", ctypes.c_uint64), ("vma_offset", ctypes.c_uint64),
                ("inode", ctypes.c_uint64), ("dev_major", ctypes.c_uint32),
                ("dev_minor", ctypes.c_uint32), ("vma_name_size", ctypes.c_uint32),
                ("build_id_size", ctypes.c_uint32), ("vma_name_addr", ctypes.c_uint64),
                ("build_id_addr", ctypes.c_uint64)]


class _State(ctypes.Structure):
    _fields_ = [("map_ptr", ctypes.c_void_p),       # uc_mem_map_ptr
                ("n_ranges", ctypes.c_uint64),
                ("ranges", ctypes.c_void_p),        # refused (start, end) u64 pairs, by address
                ("n_records", ctypes.c_uint64),
                ("capacity", ctypes.c_uint64),
                ("records", ctypes.c_void_p),       # (start, end, perms) u64 triples
                ("overflow", ctypes.c_uint64),      # chunks were mapped past the record's end
                ("maps_fd", ctypes.c_uint64),       # /proc/self/maps
                ("query", _Query)]


_libc = ctypes.PyDLL(None, use_errno=True)      # (keeps the GIL)
_maps_fd: list[int] = []       # this process's /proc/self/maps, opened once
_states: weakref.WeakSet = weakref.WeakSet()    # every live NativeFirstTouch
_code: list[int] = []          # the hook's address, once written


def _open_maps() -> int:
    return os.open("/proc/self/maps", os.O_RDONLY | os.O_CLOEXEC)


def _query_works(fd: int) -> bool:
    """A PROCMAP_QUERY of a live object's address answers (Linux 6.11+)."""
    q = _Query(size=ctypes.sizeof(_Query), query_addr=id(_Query))       # a live object
    return _libc.ioctl(fd, ctypes.c_ulong(PROCMAP_QUERY), ctypes.byref(q)) == 0 and \
        q.vma_start <= q.query_addr < q.vma_end


def _probe() -> bool:
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        return False
    try:
        fd = _open_maps()
    except OSError:
        return False
    if not _query_works(fd):
        os.close(fd)
        return False
    _maps_fd.append(fd)
    return True


def _reopen_in_child() -> None:
    """A forked child's /proc/self is its own: its queries need a new file."""
    fd = _open_maps()
    os.close(_maps_fd[0])
    _maps_fd[0] = fd
    for native in list(_states):
        native.state.maps_fd = fd


SUPPORTED = _probe()
if SUPPORTED:
    os.register_at_fork(after_in_child=_reopen_in_child)


def hook_address() -> int:
    """The hook's entry: one read+exec page of this process, written once."""
    if not _code:
        _code.append(executable_copy(CODE))
    return _code[0]


class NativeFirstTouch:
    """One context's hook state: its refused ranges and its record.
    `address` is the state's, the hook's user data; keep this object alive
    while the hook is added."""

    def __init__(self, capacity: int = RECORD_CAPACITY):
        self.state = _State()
        self._records = (ctypes.c_uint64 * (3 * capacity))()
        self._ranges = (ctypes.c_uint64 * 0)()
        self.state.map_ptr = ctypes.cast(uclib.uc_mem_map_ptr, ctypes.c_void_p).value
        self.state.capacity = capacity
        self.state.records = ctypes.addressof(self._records)
        self.state.ranges = ctypes.addressof(self._ranges)
        self.state.maps_fd = _maps_fd[0]
        self.address = ctypes.addressof(self.state)
        self.mapped_count = 0          # chunks the hook mapped, ever (as taken)
        _states.add(self)

    def set_refused(self, ranges: list[tuple[int, int]]) -> None:
        """Replace the table by ranges: sorted, disjoint (start, end)."""
        table = (ctypes.c_uint64 * (2 * len(ranges)))()
        for i in range(len(ranges)):
            table[2 * i], table[2 * i + 1] = ranges[i]
        # Published whole: the hook, which runs in this thread only while
        # its Unicorn instance runs, never sees a half-written table.
        self._ranges = table
        self.state.ranges = ctypes.addressof(table)
        self.state.n_ranges = len(ranges)

    @property
    def overflowed(self) -> bool:
        """Chunks were mapped that the record has no room for (the identity
        map then reads Unicorn's own list of regions, and `clear`s)."""
        return bool(self.state.overflow)

    def take(self) -> list[tuple[int, int, int]]:
        """The chunks mapped since the last take, emptying the record."""
        n = self.state.n_records
        if not n:
            return []
        r = self._records
        chunks = [(r[3 * i], r[3 * i + 1], r[3 * i + 2]) for i in range(n)]
        self.state.n_records = 0
        self.mapped_count += n
        return chunks

    def clear(self) -> None:
        """Forget the record (the identity map re-read Unicorn's regions)."""
        self.state.n_records = 0
        self.state.overflow = 0
