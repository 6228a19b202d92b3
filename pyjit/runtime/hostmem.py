"""The host process's memory: what is mapped, and regions the runtime owns.

Everything here works on the *real* address space of the running process
(Linux): the Unicorn engine maps host pages into the emulator at the same
addresses, so it must know which pages exist and with which permissions, and
it needs regions of its own (code, stack, helper traps) that nothing else in
the process is ever placed in.

- `HostMaps`: `/proc/self/maps`, parsed, with a cache refreshed on a miss;
  `lookup(address)` is exact in the sense that a cached answer is only given
  for a page the kernel still has (checked with `mapped`).
- `mapped(start, size)`: is every page of a range mapped right now (one
  system call, no parsing).
- `mmap_anonymous`, `munmap`, `mprotect`: ctypes wrappers over libc that
  return and take plain integer addresses and raise `OSError` with errno.
- `Reservation`: a PROT_NONE range owned by the runtime; pages inside are
  *committed* (made accessible) and *decommitted* (back to PROT_NONE, the
  memory returned to the kernel) without ever leaving the reservation, so no
  other mapping of the process can land there.
- `PageArena`: a first-fit page allocator inside a reservation.

Only Linux is supported (the runtime targets Linux hosts; see DESIGN.md).
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import (
    FileExistsError, MemoryError, OSError, RuntimeError, ValueError, enumerate, hex, int, iter,
    len, list, max, min, open, range, sorted,
)
import bisect
import ctypes
import errno
import mmap as _mmap
import os
from dataclasses import dataclass

PAGE = _mmap.PAGESIZE

PROT_NONE = 0
PROT_READ = 1
PROT_WRITE = 2
PROT_EXEC = 4

MAP_SHARED = 0x01
MAP_PRIVATE = 0x02
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_NORESERVE = 0x4000
MAP_FIXED_NOREPLACE = 0x100000

_MAP_FAILED = ctypes.c_void_p(-1).value

_libc = ctypes.PyDLL(None, use_errno=True)    # (keeps the GIL: a memory hook calls msync)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long)
_libc.munmap.restype = ctypes.c_int
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_libc.mprotect.restype = ctypes.c_int
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_libc.msync.restype = ctypes.c_int
_libc.msync.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
MS_ASYNC = 1


def page_down(address: int) -> int:
    return address & ~(PAGE - 1)


def page_up(n: int) -> int:
    return (n + PAGE - 1) & ~(PAGE - 1)


def _os_error(what: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{what}: {os.strerror(err)}")


# -- raw system calls ---------------------------------------------------------

def mmap_anonymous(size: int, prot: int, address: int | None = None, *,
                   fixed: bool = False, noreplace: bool = False, noreserve: bool = False) -> int:
    """mmap an anonymous private region and return its address.

    address is a hint, or with fixed=True the exact place (replacing what is
    there: only use it inside a range the caller owns), or with
    noreplace=True the exact place or failure (FileExistsError) if anything
    is mapped there.  size is rounded up to whole pages."""
    flags = MAP_PRIVATE | MAP_ANONYMOUS
    if fixed:
        flags |= MAP_FIXED
    if noreplace:
        flags |= MAP_FIXED_NOREPLACE
    if noreserve:
        flags |= MAP_NORESERVE
    size = page_up(size)
    result = _libc.mmap(address, size, prot, flags, -1, 0)
    if result is None or result == _MAP_FAILED:
        raise _os_error(f"mmap({address and hex(address)}, {size:#x})")
    if noreplace and result != address:
        # Kernels before 4.17 ignore MAP_FIXED_NOREPLACE and treat the address
        # as a hint: the mapping landed elsewhere, which is not what we asked.
        _libc.munmap(result, size)
        raise FileExistsError(errno.EEXIST, f"mmap: {address:#x} is not free")
    return result


def munmap(address: int, size: int) -> None:
    if _libc.munmap(address, page_up(size)) != 0:
        raise _os_error(f"munmap({address:#x}, {size:#x})")


def mprotect(address: int, size: int, prot: int) -> None:
    if _libc.mprotect(address, page_up(size), prot) != 0:
        raise _os_error(f"mprotect({address:#x}, {size:#x})")


def executable_copy(code: bytes) -> int:
    """Host machine code (a hook Unicorn calls) copied into pages of its
    own, then made read+execute; their address."""
    address = mmap_anonymous(len(code), PROT_READ | PROT_WRITE)
    ctypes.memmove(address, code, len(code))
    mprotect(address, len(code), PROT_READ | PROT_EXEC)
    return address


def mapped(start: int, size: int) -> bool:
    """True when every page of [start, start + size) is mapped in the host
    right now (whatever its permissions).  start must be page aligned.

    One system call: `msync(MS_ASYNC)`, which since Linux 2.6.19 only
    validates the range and fails with ENOMEM exactly when part of it is
    not mapped (measured here: about 1 us through ctypes, where `mincore`,
    the other candidate, costs about 2 us)."""
    if start % PAGE:
        raise ValueError(f"mapped: {start:#x} is not page aligned")
    if _libc.msync(start, page_up(size), MS_ASYNC) == 0:
        return True
    err = ctypes.get_errno()
    if err == errno.ENOMEM:
        return False
    raise OSError(err, f"msync({start:#x}): {os.strerror(err)}")


# -- /proc/self/maps ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HostMapping:
    """One line of /proc/self/maps: [start, end) with perms like "rw-p"."""

    start: int
    end: int
    perms: str
    path: str

    @property
    def readable(self) -> bool:
        return self.perms[0] == "r"

    @property
    def writable(self) -> bool:
        return self.perms[1] == "w"

    @property
    def executable(self) -> bool:
        return self.perms[2] == "x"

    @property
    def special(self) -> bool:
        """A kernel-provided mapping ([vvar], [vdso], [vsyscall]...) whose
        pages may not behave like memory; [heap] and [stack] are ordinary."""
        return self.path.startswith("[") and self.path not in ("[heap]", "[stack]")


def read_maps(path: str = "/proc/self/maps") -> list[HostMapping]:
    """The process's mappings, sorted by address."""
    out = []
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    for line in text.splitlines():
        fields = line.split(None, 5)
        if len(fields) < 5:
            continue
        lo, _, hi = fields[0].partition("-")
        out.append(HostMapping(int(lo, 16), int(hi, 16), fields[1],
                               fields[5].strip() if len(fields) > 5 else ""))
    out.sort(key=lambda m: m.start)
    return out


class HostMaps:
    """A cache of /proc/self/maps.

    `lookup(address)` returns the mapping containing address, or None.  A hit
    in the cache is confirmed with `mapped` on the page (the host may have
    unmapped it since the cache was read); a miss, a failed confirmation, or
    a hit that is not readable re-reads the file once.  An unreadable answer
    is never trusted from the cache: the host turns PROT_NONE pages into
    memory all the time (malloc grows a thread's heap with mprotect; a
    region unmapped and mapped again between two reads keeps its old entry),
    and a stale "not readable" would refuse an access to a live object.  A
    readable hit keeps the permissions of the last read (a page the host
    made PROT_NONE since is reported readable until the next `refresh()`).
    """

    def __init__(self) -> None:
        self._maps: list[HostMapping] = []
        self._starts: list[int] = []
        self.refreshes = 0

    def refresh(self) -> None:
        maps = read_maps()
        starts = [m.start for m in maps]
        # One step for a reader in another thread: no check point between the stores.
        self._maps, self._starts = maps, starts
        self.refreshes += 1

    def _find(self, address: int) -> HostMapping | None:
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address < self._maps[i].end:
            return self._maps[i]
        return None

    def lookup(self, address: int) -> HostMapping | None:
        m = self._find(address)
        if m is not None and m.readable and mapped(page_down(address), PAGE):
            return m
        self.refresh()
        return self._find(address)

    def __iter__(self):
        return iter(self._maps)


# -- regions the runtime owns ------------------------------------------------------

class Reservation:
    """A PROT_NONE range of the host address space owned by the runtime.

    Invariant: from creation until `release()`, [start, end) is mapped in the
    host (committed pages with their protection, the rest PROT_NONE), so the
    kernel never places anything else there.  `commit` and `decommit` only
    replace mappings inside the range (MAP_FIXED over our own pages)."""

    def __init__(self, size: int, address: int | None = None, *, exact: bool = False):
        size = page_up(size)
        self.start = mmap_anonymous(size, PROT_NONE, address, noreplace=exact, noreserve=True)
        self.end = self.start + size

    def split(self, offsets: list[tuple[int, int]]) -> list[Reservation]:
        """Divide this reservation: one Reservation per (offset, size), the
        rest unmapped.  This one is consumed (empty) afterwards.  Used to
        place regions at exact distances from each other: reserve the
        whole span at once, then keep the parts."""
        ranges, cursor = [], self.start
        for offset, size in sorted(offsets):
            start, size = self.start + offset, page_up(size)
            if start % PAGE or start < cursor or start + size > self.end:
                raise ValueError(f"bad part (+{offset:#x}, {size:#x}) of {self}")
            ranges.append((start, size))
            cursor = start + size
        parts, cursor = [], self.start
        for start, size in ranges:
            if start > cursor:
                munmap(cursor, start - cursor)
            part = Reservation.__new__(Reservation)
            part.start, part.end = start, start + size
            parts.append(part)
            cursor = start + size
        if self.end > cursor:
            munmap(cursor, self.end - cursor)
        self.end = self.start
        return parts

    @property
    def size(self) -> int:
        return self.end - self.start

    def _check(self, address: int, size: int) -> None:
        if address % PAGE or not self.start <= address <= address + size <= self.end:
            raise ValueError(f"[{address:#x}, +{size:#x}) is not page aligned inside the "
                             f"reservation [{self.start:#x}, {self.end:#x})")

    def commit(self, address: int, size: int, prot: int = PROT_READ | PROT_WRITE) -> int:
        """Make [address, address + size) fresh zeroed memory with prot."""
        size = page_up(size)
        self._check(address, size)
        return mmap_anonymous(size, prot, address, fixed=True)

    def decommit(self, address: int, size: int) -> None:
        """Return the pages to the kernel; the range stays reserved."""
        size = page_up(size)
        self._check(address, size)
        mmap_anonymous(size, PROT_NONE, address, fixed=True, noreserve=True)

    def release(self) -> None:
        if self.end > self.start:
            munmap(self.start, self.size)
            self.end = self.start

    def __contains__(self, address: int) -> bool:
        return self.start <= address < self.end

    def __repr__(self) -> str:
        return f"Reservation({self.start:#x}..{self.end:#x})"


def free_gaps(maps: list[HostMapping] | None = None,
              lowest: int = 1 << 16, highest: int = 1 << 47) -> list[tuple[int, int]]:
    """The unmapped ranges [start, end) of the address space, ascending."""
    gaps, cursor = [], lowest
    for m in maps if maps is not None else read_maps():
        if m.start > cursor:
            gaps.append((cursor, min(m.start, highest)))
        cursor = max(cursor, m.end)
    if cursor < highest:
        gaps.append((cursor, highest))
    return [(lo, hi) for lo, hi in gaps if hi > lo]


def reserve_near(size: int, hint: int, *, tries: int = 8) -> Reservation:
    """A reservation at hint if free, else at the nearest free place above
    it, else the nearest below (found in /proc/self/maps; another thread
    may take it first, hence a few tries).  RuntimeError if none fits."""
    size = page_up(size)
    hint = page_down(hint)
    for _ in range(tries):
        above = [max(lo, hint) for lo, hi in free_gaps() if hi - max(lo, hint) >= size]
        below = [hi - size for lo, hi in free_gaps() if hi <= hint and hi - lo >= size]
        if not above and not below:
            break
        address = page_down(above[0] if above else below[-1])
        try:
            return Reservation(size, address, exact=True)
        except FileExistsError:
            continue
    raise RuntimeError(f"no free {size:#x}-byte range near {hint:#x}")


class PageArena:
    """First-fit allocation of page runs inside a Reservation.

    `alloc(n)` commits ceil(n / PAGE) pages read-write and returns their
    address; `free(address)` decommits them.  Free runs are kept sorted and
    coalesced, so the arena never fragments into more runs than there are
    live allocations plus one.

    committed=True: the whole reservation is committed read-write once, up
    front; `alloc` only hands out pages, and `free` replaces the freed pages
    with fresh zeroed ones (the memory goes back to the kernel, the range
    stays readable: an emulator that maps the arena as a whole may keep
    pointing at it)."""

    def __init__(self, reservation: Reservation, *, committed: bool = False):
        self.reservation = reservation
        self.committed = committed
        if committed:
            reservation.commit(reservation.start, reservation.size)
        self._free: list[tuple[int, int]] = [(reservation.start, reservation.size)]
        self._live: dict[int, int] = {}

    @property
    def start(self) -> int:
        return self.reservation.start

    @property
    def end(self) -> int:
        return self.reservation.end

    def alloc(self, nbytes: int, prot: int = PROT_READ | PROT_WRITE) -> int:
        size = page_up(max(nbytes, 1))
        for i, (start, run) in enumerate(self._free):
            if run >= size:
                if run == size:
                    del self._free[i]
                else:
                    self._free[i] = (start + size, run - size)
                if not self.committed:
                    self.reservation.commit(start, size, prot)
                self._live[start] = size
                return start
        raise MemoryError(f"code arena full: no {size:#x}-byte run free in {self.reservation}")

    def free(self, address: int) -> None:
        size = self._live.pop(address, None)
        if size is None:
            raise ValueError(f"{address:#x} is not an allocation of this arena")
        if self.committed:
            self.reservation.commit(address, size)
        else:
            self.reservation.decommit(address, size)
        i = bisect.bisect_left(self._free, (address, 0))
        self._free.insert(i, (address, size))
        # Coalesce with the following and the preceding run.
        if i + 1 < len(self._free) and address + size == self._free[i + 1][0]:
            self._free[i] = (address, size + self._free.pop(i + 1)[1])
        if i > 0 and self._free[i - 1][0] + self._free[i - 1][1] == address:
            prev = self._free.pop(i - 1)
            self._free[i - 1] = (prev[0], prev[1] + self._free[i - 1][1])

    def allocation_size(self, address: int) -> int:
        return self._live[address]

    @property
    def free_runs(self) -> list[tuple[int, int]]:
        return list(self._free)
