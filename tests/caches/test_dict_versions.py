"""The dict versions the global and module caches compare
(pyjit/cpython/dict_versions.py): every change of a dict gives it a new
version no other dict ever had, on every version of CPython; on 3.14 (no
version tag) through pyjit's dict watcher (pyjit/runtime/dict_watcher.py)."""

from __future__ import annotations

import types

import pytest

from pyjit.cpython import dict_versions
from pyjit.runtime import dict_watcher

CHANGES = {
    "store": lambda d: d.__setitem__("a", object()),
    "add": lambda d: d.__setitem__("new", 1),
    "delete": lambda d: d.__delitem__("a"),
    "pop": lambda d: d.pop("a"),
    "clear": lambda d: d.clear(),
    "update": lambda d: d.update(b=2),
    "setdefault a new key": lambda d: d.setdefault("c", 3),
}


@pytest.fixture(autouse=True)
def watcher():
    dict_watcher.install()


def watched(**items) -> dict:
    d = dict(items)
    assert dict_versions.watch(d)
    return d


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_of_the_dict_changes_its_version(change):
    d = watched(a=object(), b=1)
    before = dict_versions.version(d)
    assert before != dict_versions.NEVER
    CHANGES[change](d)
    assert dict_versions.version(d) != before


def test_reading_a_dict_leaves_its_version():
    d = watched(a=1)
    before = dict_versions.version(d)
    assert d["a"] == 1 and d.get("b") is None and "a" in d and list(d) == ["a"]
    assert dict_versions.version(d) == before


def test_versions_are_never_shared():
    dicts = [watched(a=i) for i in range(20)]
    for d in dicts[::2]:
        d["a"] = None
    versions = [dict_versions.version(d) for d in dicts]
    assert len(set(versions)) == len(versions)


def test_a_module_dict_is_watched_like_any_other():
    module = types.ModuleType("m")
    assert dict_versions.watch(vars(module))
    before = dict_versions.version(vars(module))
    module.x = 1
    assert dict_versions.version(vars(module)) != before


@pytest.mark.skipif(not dict_versions.WATCHED, reason="CPython keeps the version itself")
def test_the_watcher_keeps_cpythons_bits():
    d = watched(a=1)
    low = dict_versions.version(d) & dict_versions.INCREMENT - 1
    assert low                                    # pyjit's watcher bit
    d["a"] = 2
    assert dict_versions.version(d) & dict_versions.INCREMENT - 1 == low


def test_the_aarch64_watcher_writes_the_next_version_and_keeps_cpythons_bits():
    """The AArch64 callback (what an AArch64 host installs), run under
    Unicorn on a stand-in dict: counter += INCREMENT, the tag's version bits
    replaced by it, the low bits kept, 0 returned."""
    import ctypes

    from pyjit.aarch64.asmtext import assemble
    from pyjit.runtime import UnicornEngine

    counter = ctypes.c_uint64(5 * dict_versions.INCREMENT)
    fake = (ctypes.c_uint64 * 8)()
    fake[3] = 77 * dict_versions.INCREMENT | 0x2a5          # at offset 24: version 77, low bits
    source = dict_watcher.aarch64_source(ctypes.addressof(counter), 24, dict_versions.INCREMENT)
    with UnicornEngine(code_arena_size=1 << 20) as engine:
        code = engine.load(assemble(source, "dict_watcher").code)
        assert engine.call(code.address, 1, ctypes.addressof(fake)) == 0
    assert counter.value == 6 * dict_versions.INCREMENT
    assert fake[3] == 6 * dict_versions.INCREMENT | 0x2a5
