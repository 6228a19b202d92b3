"""The dict versions the global and module caches compare
(pyjit/cpython/dict_versions.py): a change of the dict changes its version,
on every version of CPython; on 3.14 (no version tag) the watched words."""

from __future__ import annotations

import gc
import types

import pytest

from pyjit.cpython import dict_versions

CHANGES = {
    "store": lambda d: d.__setitem__("a", object()),
    "add": lambda d: d.__setitem__("new", 1),
    "delete": lambda d: d.__delitem__("a"),
    "pop": lambda d: d.pop("a"),
    "clear": lambda d: d.clear(),
    "update": lambda d: d.update(b=2),
    "setdefault a new key": lambda d: d.setdefault("c", 3),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_of_the_dict_changes_its_version(change):
    d = {"a": object(), "b": 1}
    base = dict_versions.version_base(d)
    assert base == dict_versions.version_base(d)          # one base per dict
    before = dict_versions.version(base)
    assert before != 0                                    # a zeroed cell matches no dict
    CHANGES[change](d)
    assert dict_versions.version(base) != before


def test_reading_a_dict_leaves_its_version():
    d = {"a": 1}
    base = dict_versions.version_base(d)
    before = dict_versions.version(base)
    assert d["a"] == 1 and d.get("b") is None and "a" in d and list(d) == ["a"]
    assert dict_versions.version(base) == before


def test_a_module_dict_is_watched_like_any_other():
    module = types.ModuleType("m")
    base = dict_versions.version_base(vars(module))
    before = dict_versions.version(base)
    module.x = 1
    assert dict_versions.version(base) != before


@pytest.mark.skipif(not dict_versions.WATCHED, reason="the dict's own version tag: freed with it")
def test_a_dead_dicts_word_changes_and_is_not_reused():
    d = {"a": 1}
    base = dict_versions.version_base(d)
    before = dict_versions.version(base)
    del d
    gc.collect()
    assert dict_versions.version(base) != before
    others = [{"b": i} for i in range(50)]
    assert base not in {dict_versions.version_base(o) for o in others}
