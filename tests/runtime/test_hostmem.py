"""Host memory: /proc/self/maps, mmap wrappers, reservations, the page arena."""

from __future__ import annotations

import ctypes

import pytest

from pyjit.runtime import hostmem
from pyjit.runtime.hostmem import (PAGE, PROT_NONE, PROT_READ, PROT_WRITE, HostMaps, PageArena,
                                   Reservation, free_gaps, mapped, mmap_anonymous, munmap,
                                   read_maps, reserve_near)


def mapping_of(address: int):
    for m in read_maps():
        if m.start <= address < m.end:
            return m
    return None


def test_maps_contain_the_heap_objects():
    obj = [1, 2, 3]
    m = mapping_of(id(obj))
    assert m is not None and m.readable and m.writable and not m.special
    maps = read_maps()
    assert all(a.end <= b.start for a, b in zip(maps, maps[1:]))


def test_mmap_perms_and_munmap():
    address = mmap_anonymous(2 * PAGE, PROT_READ)
    try:
        assert address % PAGE == 0
        m = mapping_of(address)
        assert m.perms.startswith("r--") and m.readable and not m.writable
        assert mapped(address, 2 * PAGE)
        hostmem.mprotect(address, PAGE, PROT_READ | PROT_WRITE)
        assert mapping_of(address).writable and not mapping_of(address + PAGE).writable
    finally:
        munmap(address, 2 * PAGE)
    assert not mapped(address, PAGE)
    assert mapping_of(address) is None or mapping_of(address).start != address


def test_mapped_detects_a_hole():
    address = mmap_anonymous(3 * PAGE, PROT_READ | PROT_WRITE)
    munmap(address + PAGE, PAGE)
    try:
        assert mapped(address, PAGE) and mapped(address + 2 * PAGE, PAGE)
        assert not mapped(address, 3 * PAGE)
    finally:
        munmap(address, PAGE)
        munmap(address + 2 * PAGE, PAGE)
    with pytest.raises(ValueError):
        mapped(address + 1, 1)


def test_reservation_commit_decommit():
    r = Reservation(8 * PAGE)
    try:
        assert mapping_of(r.start).perms.startswith("---")
        assert mapped(r.start, r.size)        # reserved counts as mapped
        r.commit(r.start + PAGE, PAGE)
        ctypes.c_uint64.from_address(r.start + PAGE).value = 0x1234
        assert mapping_of(r.start + PAGE).writable
        r.decommit(r.start + PAGE, PAGE)
        assert mapping_of(r.start + PAGE).perms.startswith("---")
        r.commit(r.start + PAGE, PAGE)
        assert ctypes.c_uint64.from_address(r.start + PAGE).value == 0   # fresh pages
        with pytest.raises(ValueError):
            r.commit(r.end, PAGE)
        with pytest.raises(FileExistsError):
            Reservation(PAGE, r.start, exact=True)     # never replaces a mapping
    finally:
        r.release()
    assert not mapped(r.start, PAGE)


def test_reserve_near_takes_the_nearest_free_place():
    taken = Reservation(16 * PAGE)
    try:
        taken.decommit(taken.start, 16 * PAGE)
        hole = taken.start + 4 * PAGE
        munmap(hole, 2 * PAGE)                       # a 2-page hole inside
        r = reserve_near(2 * PAGE, taken.start)      # the hint is taken: the hole is next
        assert r.start == hole
        r.release()
        r = reserve_near(3 * PAGE, taken.start)      # too big for the hole: after the end
        assert r.start >= taken.end and mapped(r.start, 3 * PAGE)
        r.release()
        munmap(hole + 2 * PAGE, PAGE)
        r = reserve_near(PAGE, hole + 2 * PAGE)      # free: exactly there
        assert r.start == hole + 2 * PAGE
        r.release()
    finally:
        munmap(taken.start, 16 * PAGE)


def test_host_maps_cache_refreshes_on_miss_and_on_stale_hit():
    maps = HostMaps()
    maps.refresh()
    before = maps.refreshes
    address = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE)
    try:
        m = maps.lookup(address)                 # not in the cache: re-read
        assert m is not None and m.start <= address < m.end and m.writable
        assert maps.refreshes == before + 1
        assert maps.lookup(address) is not None  # a confirmed hit
        assert maps.refreshes == before + 1
    finally:
        munmap(address, PAGE)
    assert maps.lookup(address) is None or maps.lookup(address).start != address
    assert maps.refreshes >= before + 2          # the stale hit was re-read


def test_host_maps_cache_never_trusts_a_page_it_saw_unreadable():
    # malloc grows a thread's heap by mprotect over PROT_NONE pages: an
    # object there must not be refused because the cache saw the page empty.
    maps = HostMaps()
    address = mmap_anonymous(PAGE, PROT_NONE)
    try:
        m = maps.lookup(address)
        assert m is not None and not m.readable
        hostmem.mprotect(address, PAGE, PROT_READ | PROT_WRITE)
        before = maps.refreshes
        m = maps.lookup(address)
        assert m is not None and m.readable and m.writable
        assert maps.refreshes == before + 1
    finally:
        munmap(address, PAGE)


def test_page_arena_first_fit_and_coalescing():
    arena = PageArena(Reservation(8 * PAGE))
    try:
        a = arena.alloc(1)
        b = arena.alloc(PAGE + 1)
        c = arena.alloc(PAGE)
        assert (a, b, c) == (arena.start, arena.start + PAGE, arena.start + 3 * PAGE)
        assert arena.allocation_size(b) == 2 * PAGE
        ctypes.c_uint8.from_address(b).value = 7       # committed and writable
        arena.free(b)
        assert mapping_of(b).perms.startswith("---")
        assert arena.alloc(PAGE) == b                  # first fit reuses the hole
        arena.free(b)
        arena.free(a)
        arena.free(c)
        assert arena.free_runs == [(arena.start, 8 * PAGE)]
        with pytest.raises(MemoryError):
            arena.alloc(9 * PAGE)
        with pytest.raises(ValueError):
            arena.free(arena.start)
    finally:
        arena.reservation.release()


def test_special_mappings_are_flagged():
    specials = [m for m in read_maps() if m.special]
    assert all(m.path.startswith("[") for m in specials)
    assert not any(m.path in ("[heap]", "[stack]") for m in specials)
    assert any(m.path in ("[vdso]", "[vvar]", "[vsyscall]") for m in specials)


def test_prot_none_constant_reserves():
    address = mmap_anonymous(PAGE, PROT_NONE)
    try:
        assert not mapping_of(address).readable
    finally:
        munmap(address, PAGE)


def test_free_gaps_are_exactly_the_unmapped_ranges():
    maps = read_maps()
    gaps = free_gaps(maps)
    assert all(lo < hi for lo, hi in gaps)
    for lo, hi in gaps:
        assert not any(m.start < hi and lo < m.end for m in maps)
    covered = sorted([(m.start, m.end) for m in maps] + gaps)
    assert all(a[1] <= b[0] for a, b in zip(covered, covered[1:]))


def test_split_keeps_parts_at_exact_offsets():
    whole = Reservation(10 * PAGE)
    start = whole.start
    a, b = whole.split([(0, 2 * PAGE), (6 * PAGE, PAGE)])
    try:
        assert (a.start, a.end, b.start, b.end) == (start, start + 2 * PAGE, start + 6 * PAGE,
                                                    start + 7 * PAGE)
        assert mapped(a.start, a.size) and mapped(b.start, b.size)
        assert not mapped(start + 2 * PAGE, PAGE) and not mapped(start + 7 * PAGE, PAGE)
        assert whole.size == 0
        small = Reservation(PAGE)
        with pytest.raises(ValueError):
            small.split([(0, PAGE), (PAGE, PAGE)])     # the second part is outside
        assert small.size == PAGE and mapped(small.start, PAGE)   # untouched
        small.release()
    finally:
        a.release()
        b.release()
