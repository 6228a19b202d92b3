"""The identity map's bookkeeping against a recording stand-in for Unicorn:
chunks are mapped once, sorted, never overlapping, also when Python code
run inside a mapping (a collection's finalizers running compiled code)
maps chunks itself."""

from __future__ import annotations

import pytest
from unicorn import UcError
from unicorn.unicorn_const import UC_ERR_ARG, UC_ERR_MAP

from pyjit.runtime.hostmem import PAGE, PROT_READ, PROT_WRITE, HostMaps, mmap_anonymous, munmap
from pyjit.runtime.identity import CHUNK, IdentityMap


class RecordingUnicorn:
    """mem_map_ptr as Unicorn checks it: a page-aligned, non-empty range
    that overlaps no region already mapped."""

    def __init__(self):
        self.regions: list[tuple[int, int]] = []

    def mem_map_ptr(self, address, size, perms, host):
        if size <= 0 or address % PAGE or size % PAGE:
            raise UcError(UC_ERR_ARG)
        if any(lo < address + size and address < hi for lo, hi in self.regions):
            raise UcError(UC_ERR_MAP)
        self.regions.append((address, address + size))

    def mem_unmap(self, address, size):
        self.regions.remove((address, address + size))


class ReenteringMaps(HostMaps):
    """A host lookup during which other code maps pages (once)."""

    def __init__(self, reenter):
        super().__init__()
        self.reenter = reenter

    def lookup(self, address):
        reenter, self.reenter = self.reenter, None
        if reenter is not None:
            reenter()
        return super().lookup(address)


@pytest.fixture
def region():
    size = 4 * CHUNK
    address = mmap_anonymous(size, PROT_READ | PROT_WRITE)
    yield address, size
    munmap(address, size)


def aligned(address: int) -> int:
    return (address + CHUNK - 1) & ~(CHUNK - 1)


def test_a_chunk_mapped_during_the_lookup_is_not_mapped_again(region):
    start = aligned(region[0])
    uc = RecordingUnicorn()
    identity = None

    def finalizer_runs_compiled_code():
        assert identity.map_access(start + 8, 8) is None

    identity = IdentityMap(uc, ReenteringMaps(finalizer_runs_compiled_code))
    assert identity.map_access(start + 16, 8) is None
    assert uc.regions == [(start, start + CHUNK)]
    assert identity.chunks == [(start, start + CHUNK, 3)]


def test_a_neighbouring_chunk_mapped_during_the_lookup_clips_the_window(region):
    start = aligned(region[0])
    uc = RecordingUnicorn()
    identity = None

    def finalizer_runs_compiled_code():
        assert identity.map_access(start + 8, 8) is None
        assert identity.map_access(start + 2 * CHUNK + 8, 8) is None

    identity = IdentityMap(uc, ReenteringMaps(finalizer_runs_compiled_code))
    assert identity.map_access(start + CHUNK + PAGE, 8) is None
    chunks = identity.chunks
    assert [c[:2] for c in chunks] == sorted(uc.regions)
    assert all(a[1] <= b[0] for a, b in zip(chunks, chunks[1:]))
    assert len(chunks) == 3 and any(lo <= start + CHUNK + PAGE < hi for lo, hi, _ in chunks)
