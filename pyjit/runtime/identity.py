"""Identity mapping of host memory into the emulator, on first touch.

Emulated code dereferences real `PyObject*`s, so the emulator's address
space mirrors the host's: when emulated code touches a page Unicorn has not
mapped, the engine's TLB-fill hooks map it (tlb_fill.py).  Where the host
allows, a hook in machine code does that first (native_first_touch.py,
called by the native fill hook: it never
enters the interpreter, so no other thread runs in the middle of the
routine that touched the page), outside the ranges this map gives it
(`refused`), recording what it mapped for this map to take in (`_absorb`).
Where it declines, the Python hook asks `IdentityMap.map_access`,
which maps the *chunk* around the page (the 64 KiB-aligned window, clipped
to the host mapping, to neighbouring chunks and to the engine's own
regions) with `mem_map_ptr(start, size, perms, start)`: same address, same
bytes, the host's permissions (read, write; never execute: only the code
arena holds AArch64 code).  It refuses, and the access becomes a fault,
when the host does not have the page, has it without read permission, or
the page is a kernel special mapping ([vvar]...), or belongs to the
engine's own reservations (code arena, traps, stack guard).

Stale pages
-----------
The host can unmap memory at any time (free() of a large block, an
obmalloc arena returned to the kernel, a closed mmap).  A chunk left
mapped in Unicorn after that would let emulated code make Unicorn's own
(host) CPU touch an unmapped address: a host crash instead of a fault.
Policies, chosen per engine (`stale_policy`):

- "revalidate" (default), at every outermost entry into emulated code:
  one system call (hostmem.mapped) per run of chunks with no host hole
  between them (usually a handful); a chunk of which any page is gone is
  unmapped from Unicorn (and mapped again on next touch if the host maps
  it again).  Cost: about 1-2 us per run, against about 6 us for
  Unicorn's own emu_start (tests/runtime/test_engine_bench.py prints it).
- "revalidate_each_helper": the same, and again after every helper call,
  since a helper runs arbitrary host code that may unmap memory emulated
  code still points to.  Safest; multiplies the cost of a helper call.
- "unmap_all", at every outermost entry: drop every chunk; every call
  re-faults the chunks it touches (about 45 us a chunk measured: fault
  hook, host check, map, unmap), 5 to 15 times slower than "revalidate".

Tracking every munmap of the process is not possible from Python, so
"track" is not offered.  Reading /proc/self/maps at each entry to compare
permissions would be exact, but costs 300-600 us (measured): it is done
only on a miss.

Permissions: a chunk keeps the permissions the host had when it was
mapped.  If the host unmaps and maps the address again with *more*
permission (read-only, then read-write: an obmalloc arena where a file
mapping was), an emulated write misses in the TLB, and the fill hook
asks `recheck_write`, which re-reads the host mappings, upgrades the
chunk and lets the write proceed.  The other direction is not caught: a
write by emulated code to memory the host has since made read-only (or
re-mapped read-only) goes through Unicorn to the host page and crashes the
host, as the same write would natively.  Only a write through a dangling
pointer can do that (nothing legitimately writes read-only memory).  With
"revalidate", memory the host unmaps *during* an outermost call (inside a
helper) and that emulated code then touches in the same call is not caught
either: a use-after-free in compiled code ("revalidate_each_helper" catches
it).
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import BaseException, any, bool, enumerate, len, list, max, min, sorted
import bisect

from unicorn import UC_PROT_READ, UC_PROT_WRITE, UcError

from .hostmem import PAGE, HostMaps, mapped, page_down

CHUNK = 64 << 10
RUN_GAP = 64 << 20        # the largest gap between chunks one check may cover


class IdentityMap:
    """Host chunks mapped into a Unicorn instance at their own addresses.

    Invariant: `chunks` is sorted and non-overlapping, disjoint from the
    excluded ranges, and each chunk is mapped in Unicorn with the host
    permissions it had when mapped (`resync` restores it from Unicorn's own
    list after an interruption).  `uc` is anything with mem_map_ptr,
    mem_protect and mem_unmap (uc_api.Emulator)."""

    def __init__(self, uc, host: HostMaps | None = None, native=None, perms=None):
        """native: the context's native_first_touch.NativeFirstTouch, whose
        hook maps chunks outside the ranges this map refuses, or None;
        perms: the context's tlb_fill.PermsCache, or None (then uc needs
        no flush_tlb)."""
        self.uc = uc
        self.host = host or HostMaps()
        self.native = native
        self.perms = perms
        self._table_seen = -1     # host.refreshes when the native table was computed
        self._starts: list[int] = []
        self._chunks: list[tuple[int, int, int]] = []    # start, end, perms
        self._runs: list[tuple[int, int, int, int]] | None = []   # lo, hi, first, last chunk
        self._excluded: list[tuple[int, int]] = []
        self.mapped_count = 0      # chunks mapped on first touch, ever
        self.dropped_count = 0     # chunks dropped as stale, ever

    def exclude(self, start: int, end: int) -> None:
        """Never identity-map [start, end) (the engine maps it itself)."""
        self._excluded.append((start, end))

    @property
    def chunks(self) -> list[tuple[int, int, int]]:
        self._absorb()
        return list(self._chunks)

    def covering(self, address: int) -> tuple[int, int, int] | None:
        self._absorb()
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address < self._chunks[i][1]:
            return self._chunks[i]
        return None

    # -- first touch ------------------------------------------------------------------
    def map_access(self, address: int, size: int) -> str | None:
        """Map what an access of size bytes at address needs.  None when
        done, else the reason it is refused."""
        page = page_down(address)
        last = page_down(address + max(size, 1) - 1)
        while page <= last:
            if self.covering(page) is None:
                reason = self._map_page(page)
                if reason is not None:
                    return reason
            page += PAGE
        self.refresh_native()
        return None

    def _map_page(self, page: int) -> str | None:
        for lo, hi in self._excluded:
            if lo <= page < hi:
                return "inside memory the engine reserves for itself"
        for attempt in (0, 1, 2):
            m = self.host.lookup(page)
            # Python code ran (reading the maps allocates, so a collection
            # may run finalizers, which may run compiled code whose own
            # accesses map chunks here, this one included): the window is
            # computed from the chunks as they are now.
            if self.covering(page) is not None:
                return None
            if m is None:
                return "not mapped in the host"
            if m.special:
                return f"a kernel special mapping {m.path} in the host"
            if not m.readable:
                return f"not readable in the host (permissions {m.perms})"
            lo, hi = self._window(page, m.start, m.end)
            if not mapped(lo, hi - lo):
                # The cached mapping is out of date around this page: re-read it.
                self.host.refresh()
                continue
            perms = UC_PROT_READ | (UC_PROT_WRITE if m.writable else 0)
            chunk = (lo, hi, perms)
            try:
                self.uc.mem_map_ptr(lo, hi - lo, perms, lo)
            except UcError:
                # A chunk mapped meanwhile (by code run between the window's
                # computation and here) overlaps the window: compute it again.
                if attempt == 2:
                    raise
                continue
            # No allocation of a collected object between the index and the
            # inserts: the lists stay sorted and in step.
            i = bisect.bisect_left(self._starts, lo)
            self._starts.insert(i, lo)
            self._chunks.insert(i, chunk)
            self._runs = None
            self.mapped_count += 1
            return None
        return "changing in the host while being mapped"

    def _window(self, page: int, host_lo: int, host_hi: int) -> tuple[int, int]:
        lo = max(host_lo, page & ~(CHUNK - 1))
        hi = min(host_hi, (page & ~(CHUNK - 1)) + CHUNK)
        i = bisect.bisect_right(self._starts, page)
        if i > 0:
            lo = max(lo, self._chunks[i - 1][1])
        if i < len(self._starts):
            hi = min(hi, self._starts[i])
        for ex_lo, ex_hi in self._excluded:
            if ex_hi <= page:
                lo = max(lo, ex_hi)
            elif ex_lo > page:
                hi = min(hi, ex_lo)
        return lo, hi

    # -- the native hook's share (native_first_touch.py) ------------------------------
    def _absorb(self) -> None:
        """Take the chunks the native hook mapped into the record."""
        native = self.native
        if native is None or not (native.state.n_records or native.state.overflow):
            return
        if native.overflowed:
            self.resync(self.uc.mem_regions())
            return
        chunks = native.take()
        for chunk in chunks:
            i = bisect.bisect_left(self._starts, chunk[0])
            self._starts.insert(i, chunk[0])
            self._chunks.insert(i, chunk)
        self._runs = None
        self.mapped_count += len(chunks)

    def refused(self) -> list[tuple[int, int]]:
        """What the native hook must not map (native_first_touch.py): the
        excluded ranges, the chunks, and the kernel's special mappings of
        the last read of the host's maps; sorted, disjoint."""
        self._absorb()
        ranges = sorted(self._excluded + [(lo, hi) for lo, hi, _ in self._chunks]
                        + [(m.start, m.end) for m in self.host if m.special])
        out: list[tuple[int, int]] = []
        for lo, hi in ranges:
            if out and lo <= out[-1][1]:
                out[-1] = (out[-1][0], max(hi, out[-1][1]))
            else:
                out.append((lo, hi))
        return out

    def refresh_native(self, force: bool = True) -> None:
        """Give the native hook its refused ranges as they are now (when not
        force: only if the host's maps were read again since the last
        time)."""
        if self.native is None or (not force and self._table_seen == self.host.refreshes):
            return
        self._table_seen = self.host.refreshes
        self.native.set_refused(self.refused())

    def recheck_write(self, address: int) -> bool:
        """A write to a chunk mapped read-only faulted: if the host now has
        that memory writable (it was unmapped and mapped again since), give
        the part of the chunk inside the new host mapping write permission
        and return True (the write is then retried); else False."""
        chunk = self.covering(address)
        if chunk is None or chunk[2] & UC_PROT_WRITE:
            return False
        self.host.refresh()
        m = self.host.lookup(address)
        if m is None or not m.writable or m.special:
            return False
        lo, hi, perms = chunk
        a, b = max(lo, m.start), min(hi, m.end)
        self.uc.mem_protect(a, b - a, perms | UC_PROT_WRITE)
        self._changed(lo, hi)
        i = bisect.bisect_left(self._starts, lo)
        pieces = [(x, y, p) for x, y, p in ((lo, a, perms), (a, b, perms | UC_PROT_WRITE),
                                            (b, hi, perms)) if x < y]
        self._starts[i:i + 1] = [x for x, _, _ in pieces]
        self._chunks[i:i + 1] = pieces
        self._runs = None
        return True

    def resync(self, regions: list[tuple[int, int, int]]) -> None:
        """Make the bookkeeping what Unicorn really has mapped: regions (start,
        end, perms) outside the excluded ranges are the chunks.  For a hook
        interrupted (a signal handler raising) between a change in Unicorn
        and its record here."""
        chunks = [(lo, hi, perms) for lo, hi, perms in regions
                  if not any(ex_lo <= lo < ex_hi for ex_lo, ex_hi in self._excluded)]
        if self.native is not None:
            self.native.clear()
        if self.perms is not None:
            self.perms.clear()
            self.uc.flush_tlb()
        self._chunks = chunks
        self._starts = [lo for lo, _, _ in chunks]
        self._runs = None
        self.refresh_native()

    # -- stale pages ----------------------------------------------------------------------
    def _compute_runs(self) -> list[tuple[int, int, int, int]]:
        """Group chunks into ranges the host has mapped without a hole now
        (a gap between two chunks counts when it is mapped), so that one
        system call checks a group: a check covering a gap is still exact,
        because a failing group is checked chunk by chunk."""
        runs: list[tuple[int, int, int, int]] = []
        for i, (lo, hi, _) in enumerate(self._chunks):
            if runs and (runs[-1][1] == lo or (lo - runs[-1][1] <= RUN_GAP
                                                and mapped(runs[-1][1], lo - runs[-1][1]))):
                runs[-1] = (runs[-1][0], hi, runs[-1][2], i)
            else:
                runs.append((lo, hi, i, i))
        return runs

    def revalidate(self) -> int:
        """Unmap every chunk the host no longer fully has; returns how many.

        One system call per run of adjacent chunks (objects cluster in a few
        host mappings); only a run that fails is checked chunk by chunk.  An
        exception (a signal handler's) leaves the record resynchronized with
        what Unicorn has mapped."""
        try:
            return self._revalidate()
        except BaseException:
            self.resync(self.uc.mem_regions())
            raise

    def _revalidate(self) -> int:
        self._absorb()
        runs = self._runs
        if runs is None:
            runs = self._runs = self._compute_runs()
        stale = []
        for lo, hi, first, last in runs:
            if not mapped(lo, hi - lo):
                stale += [c for c in self._chunks[first:last + 1] if not mapped(c[0], c[1] - c[0])]
        for chunk in stale:
            self._drop(chunk)
        if stale:
            self.host.refresh()
        self.refresh_native(force=bool(stale))
        return len(stale)

    def unmap_all(self) -> int:
        """Unmap every chunk; returns how many (resynchronized as revalidate
        is on an exception)."""
        try:
            self._absorb()
            n = len(self._chunks)
            for chunk in list(self._chunks):
                self._drop(chunk)
        except BaseException:
            self.resync(self.uc.mem_regions())
            raise
        self.refresh_native()
        return n

    def _changed(self, lo: int, hi: int) -> None:
        """[lo, hi) changed permissions: the fill hooks' cache and Unicorn's
        TLB entries of it go (tlb_fill.py)."""
        if self.perms is not None:
            self.perms.drop(lo, hi)
            self.uc.flush_tlb()

    def _drop(self, chunk: tuple[int, int, int]) -> None:
        lo, hi, _ = chunk
        self.uc.mem_unmap(lo, hi - lo)         # (drops the pages' TLB entries)
        if self.perms is not None:
            self.perms.drop(lo, hi)
        i = bisect.bisect_left(self._starts, lo)
        del self._starts[i], self._chunks[i]
        self._runs = None
        self.dropped_count += 1
