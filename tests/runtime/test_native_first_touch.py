"""The native first-touch hook (native_first_touch.py): its bytes against
keystone's assembly of its text, its listing, and what it maps under
Unicorn, with the Python hook counted (it must run only where the native
one declines)."""

from __future__ import annotations

import ctypes

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.operands import Mem
from pyjit.aarch64.registers import X0, X1
from pyjit.runtime import EmulationFault, UnicornEngine
from pyjit.runtime.hostmem import (PAGE, PROT_READ, PROT_WRITE, mmap_anonymous, mprotect,
                                   munmap)
from pyjit.runtime.identity import CHUNK, IdentityMap
from pyjit.runtime.native_first_touch import ASSEMBLY, CODE, SUPPORTED

from runtime_support import leaf, x86_hook_listing

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="no native first-touch hook on this host")

LOAD = leaf("load64", isa.ldr(X0, Mem(X0, 0)), isa.ret())
STORE = leaf("store64", isa.str_(X1, Mem(X0, 0)), isa.ret())
RW, RO = 3, 1          # UC_PROT_READ | UC_PROT_WRITE, UC_PROT_READ


def test_the_bytes_are_keystones_assembly_and_the_listing_decodes_every_byte():
    listing = x86_hook_listing(ASSEMBLY, CODE)
    assert [i.mnemonic for i in listing].count("syscall") == 1    # the PROCMAP_QUERY ioctl


def test_the_perms_are_unicorns():
    from unicorn import UC_PROT_READ, UC_PROT_WRITE
    assert (RO, RW) == (UC_PROT_READ, UC_PROT_READ | UC_PROT_WRITE)


@pytest.fixture
def python_touches(monkeypatch):
    """How many first touches reached the Python hook."""
    count = [0]
    map_access = IdentityMap.map_access

    def counted(self, address, size):
        count[0] += 1
        return map_access(self, address, size)

    monkeypatch.setattr(IdentityMap, "map_access", counted)
    return count


@pytest.fixture
def eng():
    with UnicornEngine(code_arena_size=1 << 20) as engine:
        engine.load_ = engine.load(LOAD).address
        engine.store_ = engine.load(STORE).address
        engine.call(engine.load_, id(engine))          # the context exists, its table is set
        yield engine


def window(address: int) -> int:
    return address & ~(CHUNK - 1)


def test_memory_new_to_the_host_is_mapped_natively(eng, python_touches):
    region = mmap_anonymous(4 * CHUNK, PROT_READ | PROT_WRITE)     # after the table's read
    try:
        at = window(region) + CHUNK + 8
        eng.call(eng.store_, at, 0xFEED)
        assert ctypes.c_uint64.from_address(at).value == 0xFEED
        assert eng.call(eng.load_, at) == 0xFEED
        assert python_touches[0] == 0
        assert eng.identity.covering(at) == (window(at), window(at) + CHUNK, RW)
    finally:
        munmap(region, 4 * CHUNK)


def test_the_chunk_is_clipped_to_the_host_mapping(eng, python_touches):
    # Inaccessible pages on either side: the kernel does not merge the
    # region with a neighbouring mapping.
    whole = mmap_anonymous(4 * CHUNK + 2 * PAGE, PROT_READ | PROT_WRITE)
    mprotect(whole, PAGE, 0)
    mprotect(whole + PAGE + 4 * CHUNK, PAGE, 0)
    region, end = whole + PAGE, whole + PAGE + 4 * CHUNK
    try:
        assert eng.call(eng.load_, region) == 0
        assert eng.identity.covering(region) == (region, window(region) + CHUNK, RW)
        eng.call(eng.store_, end - 8, 1)
        assert eng.identity.covering(end - 8) == (window(end - 8), end, RW)
        assert python_touches[0] == 0
        with pytest.raises(EmulationFault, match="not readable in the host"):
            eng.call(eng.load_, end)
    finally:
        munmap(whole, 4 * CHUNK + 2 * PAGE)


def test_a_mapping_grown_past_a_chunk_maps_from_the_page_on(eng, python_touches):
    whole = mmap_anonymous(3 * CHUNK, PROT_READ | PROT_WRITE)
    w = window(whole) + CHUNK
    mprotect(w + 2 * PAGE, CHUNK - 2 * PAGE, 0)
    try:
        assert eng.call(eng.load_, w) == 0
        assert eng.identity.covering(w) == (w, w + 2 * PAGE, RW)
        # The mapping grows (the kernel merges the pages made accessible
        # into it) while the hook's table still lacks the first chunk: the
        # window overlaps it, so the chunk starts at the page.
        mprotect(w + 2 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE)
        eng.call(eng.store_, w + 4 * PAGE, 3)
        assert eng.identity.covering(w + 4 * PAGE) == (w + 4 * PAGE, w + 6 * PAGE, RW)
        assert python_touches[0] == 0
    finally:
        munmap(whole, 3 * CHUNK)


def test_read_only_and_unreadable_memory_keep_their_faults(eng, python_touches):
    ro = mmap_anonymous(PAGE, PROT_READ)
    none = mmap_anonymous(PAGE, 0)
    try:
        assert eng.call(eng.load_, ro) == 0
        assert python_touches[0] == 0
        assert eng.identity.covering(ro)[2] == RO
        with pytest.raises(EmulationFault, match="read-only"):
            eng.call(eng.store_, ro, 1)
        with pytest.raises(EmulationFault, match="not readable in the host"):
            eng.call(eng.load_, none)
        assert python_touches[0] == 1       # declined: the Python hook refused it
    finally:
        munmap(ro, PAGE)
        munmap(none, PAGE)


def test_a_window_of_mixed_permissions_maps_the_pages_like_the_address(eng, python_touches):
    region = mmap_anonymous(3 * CHUNK, PROT_READ | PROT_WRITE)
    try:
        w = window(region) + CHUNK
        mprotect(w + 4 * PAGE, 2 * PAGE, PROT_READ)
        assert eng.call(eng.load_, w + 4 * PAGE + 8) == 0
        assert eng.identity.covering(w + 4 * PAGE) == (w + 4 * PAGE, w + 6 * PAGE, RO)
        eng.call(eng.store_, w, 5)
        assert eng.identity.covering(w) == (w, w + 4 * PAGE, RW)
        eng.call(eng.store_, w + CHUNK - 8, 6)
        assert eng.identity.covering(w + CHUNK - 8) == (w + 6 * PAGE, w + CHUNK, RW)
        assert python_touches[0] == 0
        with pytest.raises(EmulationFault, match="read-only"):
            eng.call(eng.store_, w + 5 * PAGE, 1)
    finally:
        munmap(region, 3 * CHUNK)


def test_an_access_across_two_windows_maps_both(eng, python_touches):
    region = mmap_anonymous(5 * CHUNK, PROT_READ | PROT_WRITE)
    try:
        at = window(region) + 2 * CHUNK - 4
        ctypes.c_uint64.from_address(at).value = 0x1122334455667788
        assert eng.call(eng.load_, at) == 0x1122334455667788
        eng.call(eng.store_, at + CHUNK, 0x0102030405060708)      # byte by byte, in Unicorn
        assert ctypes.c_uint64.from_address(at + CHUNK).value == 0x0102030405060708
        assert python_touches[0] == 0
        for a in (at, at + 4, at + CHUNK, at + CHUNK + 4):
            assert eng.identity.covering(a) == (window(a), window(a) + CHUNK, RW)
    finally:
        munmap(region, 5 * CHUNK)


def test_past_the_records_end_the_identity_map_reads_unicorns_regions(eng, python_touches):
    region = mmap_anonymous(2 * CHUNK, PROT_READ | PROT_WRITE)
    native = eng.identity.native
    capacity = native.state.capacity
    native.state.capacity = native.state.n_records = 0
    try:
        # The native first touch maps the chunk but cannot record it; the
        # native TLB fill then finds nothing to put in its cache and
        # declines, and the Python fill, asking the identity map, makes it
        # read Unicorn's regions: no second mapping.
        assert eng.call(eng.load_, region + 8) == 0
        assert python_touches[0] == 0 and not native.overflowed
        assert eng.identity.covering(region + 8) is not None     # resynchronized
    finally:
        native.state.capacity = capacity
        munmap(region, 2 * CHUNK)


def test_the_engines_own_ranges_are_refused(eng, python_touches):
    with pytest.raises(EmulationFault, match="reserves for itself"):
        eng.call(eng.load_, eng._stack_reservation.start)
    assert python_touches[0] == 1


def test_chunks_the_hook_maps_are_dropped_when_the_host_unmaps_them(eng, python_touches):
    region = mmap_anonymous(2 * CHUNK, PROT_READ | PROT_WRITE)
    at = window(region + CHUNK - 1) + 8
    eng.call(eng.store_, at, 9)
    munmap(region, 2 * CHUNK)
    with pytest.raises(EmulationFault, match="not mapped in the host"):
        eng.call(eng.load_, at)
    assert eng.identity.covering(at) is None
    assert python_touches[0] == 1


def test_python_first_touch_is_a_setting():
    with UnicornEngine(code_arena_size=1 << 20, native_first_touch=False) as engine:
        load = engine.load(LOAD)
        assert engine.call(load.address, id(engine)) >= 1
        assert engine.identity.native is None
