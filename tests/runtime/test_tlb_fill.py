"""The TLB-fill hooks (tlb_fill.py): the native hook's bytes against
keystone's assembly of its text, the permissions cache, and what the
engine's Unicorn instances have: a virtual TLB, no memory hook, stores
that work on every kind of page and fault where they must."""

from __future__ import annotations

import ctypes

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.operands import Mem
from pyjit.aarch64.registers import X0, X1
from pyjit.runtime import EmulationFault, UnicornEngine
from pyjit.runtime.hostmem import PAGE, PROT_READ, PROT_WRITE, mmap_anonymous, mprotect, munmap
from pyjit.runtime.tlb_fill import ASSEMBLY, CODE, SUPPORTED, TLB_PAGE, PermsCache

from runtime_support import leaf, x86_hook_listing

LOAD = leaf("load64", isa.ldr(X0, Mem(X0, 0)), isa.ret())
STORE = leaf("store64", isa.str_(X1, Mem(X0, 0)), isa.ret())


def test_the_bytes_are_keystones_assembly_and_the_listing_decodes_every_byte():
    calls = [i.op_str for i in x86_hook_listing(ASSEMBLY, CODE) if i.mnemonic == "call"]
    assert calls.count("qword ptr [rbx + 0x10]") == 1        # the native first touch
    assert len(calls) == 4                                    # and the set lookups


def test_the_constants_are_unicorns():
    from unicorn import UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE
    from unicorn.unicorn_const import (UC_MEM_FETCH, UC_MEM_READ, UC_MEM_READ_UNMAPPED,
                                       UC_MEM_WRITE)
    from pyjit.runtime.tlb_fill import WANT
    # The native code tests bit (type - 16) of the perms, and calls the
    # first touch as for a read of unmapped memory (19).
    assert (UC_MEM_READ, UC_MEM_WRITE, UC_MEM_FETCH, UC_MEM_READ_UNMAPPED) == (16, 17, 18, 19)
    assert WANT == {UC_MEM_READ: UC_PROT_READ, UC_MEM_WRITE: UC_PROT_WRITE,
                    UC_MEM_FETCH: UC_PROT_EXEC}
    assert (UC_PROT_READ, UC_PROT_WRITE, UC_PROT_EXEC) == (1, 2, 4)


def test_the_perms_cache_puts_drops_and_clears():
    cache = PermsCache(slots=8)                 # two sets of four: even pages, odd pages
    cache.put(0x10000, 0x13000, 3)
    assert [cache.lookup(a) for a in (0x10000, 0x11008, 0x12fff, 0x13000)] == [3, 3, 3, 0]
    # 0x10000, 0x12000, 0x20000 and 0x22000 share a set: four fit, a fifth
    # replaces the word its bits 24-25 choose (0x1000000: the second word)
    cache.put(0x20000, 0x21000, 1)
    cache.put(0x22000, 0x23000, 1)
    assert [cache.lookup(a) for a in (0x10000, 0x12000, 0x20000, 0x22000)] == [3, 3, 1, 1]
    cache.put(0x1000000, 0x1001000, 3)
    assert [cache.lookup(a) for a in (0x10000, 0x12000, 0x20000, 0x22000, 0x1000000)] == \
        [3, 0, 1, 1, 3]
    cache.drop(0x11000, 0x12000)
    assert cache.lookup(0x11000) == 0 and cache.lookup(0x10000) == 3
    cache.drop(0x30000, 0x31000)                # not cached: nothing changes
    assert cache.lookup(0x20000) == 1
    cache.put(0, 64 * TLB_PAGE, 3)              # more than the cache: its worth from the start
    assert cache.lookup(7 * TLB_PAGE) == 3
    cache.clear()
    assert cache.lookup(7 * TLB_PAGE) == 0 and cache.lookup(0x20000) == 0


@pytest.fixture
def eng():
    with UnicornEngine(code_arena_size=1 << 20) as e:
        e.load_, e.store_ = e.load(LOAD).address, e.load(STORE).address
        yield e


@pytest.fixture
def python_fills(monkeypatch):
    """The addresses the Python fill hook (unicorn_context `_fill`) is
    called for from now on: the misses the native hook declined."""
    from pyjit.runtime.unicorn_context import EmulationContext
    calls = []
    fill = EmulationContext._fill

    def counted(self, access, address, entry):
        calls.append(address)
        return fill(self, access, address, entry)

    monkeypatch.setattr(EmulationContext, "_fill", counted)
    return calls


def _context(eng):
    return eng._chain().context(0)


def test_no_memory_hook_is_installed(eng):
    # Unicorn keeps every store on its slow path where one covers the page
    # (tlb_fill.py); the hooks are the trap's code hook and the fills.
    from unicorn import UC_HOOK_CODE, UC_HOOK_TLB_FILL
    eng.call(eng.load_, id(eng))
    ctx = _context(eng)
    kinds = sorted(ctx.emu.hook_kinds.values())
    assert kinds == sorted([UC_HOOK_CODE] + [UC_HOOK_TLB_FILL] * (1 + SUPPORTED))


def test_stores_and_loads_on_new_and_cached_pages(eng):
    region = mmap_anonymous(4 * PAGE, PROT_READ | PROT_WRITE)
    try:
        for round_ in range(2):                 # first touch, then from the cache
            for k in range(4):
                address = region + k * PAGE + 8 * k
                eng.call(eng.store_, address, 100 * round_ + k)
                assert ctypes.c_uint64.from_address(address).value == 100 * round_ + k
                assert eng.call(eng.load_, address) == 100 * round_ + k
        assert _context(eng).perms.lookup(region) == 3
    finally:
        munmap(region, 4 * PAGE)


def test_a_page_the_host_makes_read_only_then_writable(eng):
    page = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE)
    try:
        mprotect(page, PAGE, PROT_READ)
        assert eng.call(eng.load_, page) == 0               # mapped read-only
        with pytest.raises(EmulationFault, match=rf"write of 8 bytes at {page + 16:#x}: read-only"):
            eng.call(eng.store_, page + 16, 1)
        mprotect(page, PAGE, PROT_READ | PROT_WRITE)
        eng.call(eng.store_, page + 16, 7)                  # recheck_write upgrades it
        assert ctypes.c_uint64.from_address(page + 16).value == 7
        assert _context(eng).perms.lookup(page) == 3
    finally:
        munmap(page, PAGE)


def test_a_store_to_the_code_arena_faults(eng):
    with pytest.raises(EmulationFault, match=rf"write of 8 bytes at {eng.load_:#x}: read-only"):
        eng.call(eng.store_, eng.load_, 0)
    # and reading it is fine: the code is readable as data
    assert eng.call(eng.load_, eng.load_) == int.from_bytes(ctypes.string_at(eng.load_, 8),
                                                            "little")


@pytest.mark.skipif(not SUPPORTED, reason="no native TLB fill on this host")
def test_a_cached_page_is_filled_natively(eng, python_fills):
    calls = python_fills
    region = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE)
    try:
        eng.call(eng.store_, region, 5)           # first touch (native where it can be)
        ctx = _context(eng)
        assert ctx.perms.lookup(region) == 3
        before = len(calls)
        for i in range(3):
            ctx.emu.flush_tlb()                   # every entry gone: misses again
            eng.call(eng.store_, region, 6 + i)
            assert eng.call(eng.load_, region) == 6 + i
        assert [a for a in calls[before:] if a & -TLB_PAGE == region] == []
    finally:
        munmap(region, PAGE)


@pytest.mark.skipif(not SUPPORTED, reason="no native TLB fill on this host")
def test_calls_fill_nothing_in_python_once_warm(eng, python_fills):
    # Unicorn fills the guard page before the exit after every emu_start
    # (traps.py, "The exit"): cached, the native hook answers it.
    calls = python_fills
    word = ctypes.c_uint64(0x1234)
    for _ in range(3):
        eng.call(eng.load_, ctypes.addressof(word))
    ctx = _context(eng)
    assert ctx.perms.lookup(ctx.nowhere) == 4                 # UC_PROT_EXEC
    before = len(calls)
    for _ in range(20):
        assert eng.call(eng.load_, ctypes.addressof(word)) == 0x1234
    assert calls[before:] == []
