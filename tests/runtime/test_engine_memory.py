"""Identity mapping on first touch, stale pages, loading and unloading."""

from __future__ import annotations

import ctypes

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.operands import Mem
from pyjit.aarch64.registers import X0, X1, X19, X20
from pyjit.runtime import EmulationFault, UnicornEngine
from pyjit.cpython.helpers import python_helper
from pyjit.runtime.hostmem import PAGE, PROT_READ, PROT_WRITE, mmap_anonymous, munmap

from runtime_support import Asm, leaf

LOAD = leaf("load64", isa.ldr(X0, Mem(X0, 0)), isa.ret())
STORE = leaf("store64", isa.str_(X1, Mem(X0, 0)), isa.ret())


@pytest.mark.parametrize("policy", ["revalidate", "unmap_all"])
def test_page_unmapped_by_the_host_is_not_kept(policy):
    with UnicornEngine(code_arena_size=1 << 20, stale_policy=policy) as eng:
        load = eng.load(LOAD)
        page = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE)
        ctypes.c_uint64.from_address(page + 8).value = 0xC0FFEE
        assert eng.call(load.address, page + 8) == 0xC0FFEE
        assert eng.identity.covering(page) is not None      # mapped on first touch
        munmap(page, PAGE)
        # The next outermost entry drops the chunk: the access is a fault,
        # not a host crash through a stale mapping.
        with pytest.raises(EmulationFault, match="not mapped in the host"):
            eng.call(load.address, page + 8)
        assert eng.identity.covering(page) is None
        assert eng.identity.dropped_count >= 1


@python_helper("test_unmap_page", ("ptr",), "int", "minus_one")
def _unmap_page(page):
    """Host code run by a helper frees memory emulated code still points to."""
    munmap(page, PAGE)
    return 0


def test_memory_unmapped_inside_a_helper_with_revalidate_each_helper():
    with UnicornEngine(code_arena_size=1 << 20, stale_policy="revalidate_each_helper") as eng:
        # f(page): load [page]; unmap_page(page); load [page] again.
        asm = Asm("use_after_unmap").prologue()
        asm.emit(isa.mov(X19, X0), isa.ldr(X20, Mem(X0, 0)))
        asm.call("test_unmap_page")
        asm.emit(isa.ldr(X0, Mem(X19, 0)))
        f = eng.load(asm.epilogue().finish())
        page = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE)
        with pytest.raises(EmulationFault, match="not mapped in the host") as info:
            eng.call(f.address, page)
        assert info.value.function == "use_after_unmap"
        assert eng.identity.covering(page) is None


def test_a_page_mapped_again_is_mapped_again():
    with UnicornEngine(code_arena_size=1 << 20) as eng:
        load, store = eng.load(LOAD), eng.load(STORE)
        page = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE)
        eng.call(store.address, page, 11)
        munmap(page, PAGE)
        again = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE, page, fixed=True)
        try:
            assert again == page
            assert eng.call(load.address, page) == 0           # fresh zero page
            eng.call(store.address, page, 12)
            assert ctypes.c_uint64.from_address(page).value == 12
        finally:
            munmap(page, PAGE)


def test_writes_land_in_host_memory_with_host_permissions():
    with UnicornEngine(code_arena_size=1 << 20) as eng:
        store, load = eng.load(STORE), eng.load(LOAD)
        # All three mapped at once, so that none reuses another's address.
        rw = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE)
        ro = mmap_anonymous(PAGE, PROT_READ)
        none = mmap_anonymous(PAGE, 0)
        try:
            eng.call(store.address, rw + 16, 0x1122334455667788)
            assert ctypes.c_uint64.from_address(rw + 16).value == 0x1122334455667788
            with pytest.raises(EmulationFault, match="read-only"):
                eng.call(store.address, ro, 1)
            with pytest.raises(EmulationFault, match="not readable in the host"):
                eng.call(load.address, none)
        finally:
            for page in (rw, ro, none):
                munmap(page, PAGE)


def test_read_only_page_mapped_again_writable_accepts_writes():
    with UnicornEngine(code_arena_size=1 << 20) as eng:
        store, load = eng.load(STORE), eng.load(LOAD)
        page = mmap_anonymous(PAGE, PROT_READ)
        assert eng.call(load.address, page) == 0      # a read-only chunk now
        munmap(page, PAGE)
        mmap_anonymous(PAGE, PROT_READ | PROT_WRITE, page, fixed=True)
        try:
            assert eng.identity.covering(page)[2] & 2 == 0    # still read-only in Unicorn
            eng.call(store.address, page + 8, 77)             # rechecked, upgraded, retried
            assert ctypes.c_uint64.from_address(page + 8).value == 77
        finally:
            munmap(page, PAGE)


def test_chunks_never_cover_engine_regions():
    with UnicornEngine(code_arena_size=1 << 20) as eng:
        load, store = eng.load(LOAD), eng.load(STORE)
        # The arena is mapped whole, read+execute: its unused part reads as
        # zeros and is never identity-mapped; writing to it faults.
        assert eng.call(load.address, load.address + 4 * PAGE) == 0
        with pytest.raises(EmulationFault, match="read-only"):
            eng.call(store.address, load.address + 4 * PAGE, 1)
        # The stack's guard page is the engine's: refused, not mapped.
        with pytest.raises(EmulationFault, match="reserves for itself"):
            eng.call(load.address, eng._stack_reservation.start)
        obj = [1]
        eng.call(load.address, id(obj))
        ranges = [(eng.placement().start, eng.placement().end),
                  (eng.traps.code_start, eng.traps.block + PAGE)]
        for lo, hi, _ in eng.identity.chunks:
            assert all(hi <= r_lo or lo >= r_hi for r_lo, r_hi in ranges)


def test_unload_then_reload_at_the_same_address_runs_the_new_code():
    with UnicornEngine(code_arena_size=1 << 20) as eng:
        first = eng.load(leaf("first", isa.mov(X0, 1), isa.ret()))
        assert eng.call(first.address) == 1                # translated by Unicorn
        eng.unload(first)
        # The arena stays mapped; the freed pages are zeros (udf #0).
        with pytest.raises(EmulationFault, match=f"jump to {first.address:#x}: no code there"):
            eng.call(first.address)
        second = eng.load(leaf("second", isa.mov(X0, 2), isa.ret()))
        assert second.address == first.address             # the arena reuses the pages
        assert eng.call(second.address) == 2               # not the stale translation
        with pytest.raises(ValueError):
            eng.unload(first)


def test_loaded_code_lookup_and_labels(engine):
    asm_code = leaf("labelled", isa.nop(), isa.ret())
    f = engine.load(asm_code)
    assert engine.code_at(f.address + 4) is f and engine.code_at(f.end) is None
    assert f in engine.loaded and f.size == 8
    placement = engine.placement()
    assert placement.start <= f.address < f.end <= placement.end


def test_code_arena_is_bounded():
    with UnicornEngine(code_arena_size=2 * PAGE) as eng:
        eng.load(LOAD)
        eng.load(STORE)
        with pytest.raises(MemoryError):
            eng.load(LOAD)


def test_closed_engine_refuses_work():
    eng = UnicornEngine(code_arena_size=1 << 20)
    f = eng.load(LOAD)
    eng.close()
    with pytest.raises(RuntimeError, match="closed"):
        eng.call(f.address, 0)
    eng.close()          # idempotent


def test_translations_of_unloaded_code_are_dropped_at_the_next_first_level_entry():
    with UnicornEngine(code_arena_size=1 << 20, flush_after_unloaded=2 * PAGE) as eng:
        keep = eng.load(leaf("keep", isa.mov(X0, 5), isa.ret()))
        assert eng.call(keep.address) == 5
        ctx = eng._chain().context(0)
        assert ctx.flushed_at == 0
        for i in range(3):
            gone = eng.load(leaf(f"gone{i}", isa.mov(X0, i), isa.ret()))
            assert eng.call(gone.address) == i
            eng.unload(gone)
        assert eng.unloaded_bytes == 3 * PAGE and ctx.flushed_at == 0
        assert eng.call(keep.address) == 5          # flushed on entry, translated again
        assert ctx.flushed_at == 3 * PAGE
