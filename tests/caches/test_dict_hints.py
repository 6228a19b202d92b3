"""Reads through a dict at a cell's hint (cells.py): instance attributes
of objects whose dict is materialized (split, or a combined table of
their own), and globals after a store into another global changed the
module dict's version.  The interpreter's results and exceptions whatever
happens to the dict (deletions, reinsertions at another place, keys that
are not str, a dict replaced, a data descriptor added to the class), and
no helper call for the common case."""

from __future__ import annotations

import ctypes
import gc
import itertools
import sys
import weakref

import pytest

from pyjit.cpython import dict_versions, objects

try:
    import _testcapi
except ImportError:
    _testcapi = None

from conftest import interpreted, outcome


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm1(self):
        return "method"


def read(p):
    return p.x, p.y


def read_norm(p):
    return p.norm1


def _combined(x, y, cls=Point):
    """A Point whose dict is a table of its own (assigned)."""
    p = cls(0, 0)
    p.__dict__ = {"y": y, "other": 1, "x": x}
    return p


def _split(x, y, cls=Point):
    """A Point whose dict was asked for (materialized from its values)."""
    p = cls(x, y)
    vars(p)
    return p


def _kinds(x, y, cls=Point):
    """A plain instance of cls, and one of each kind of dict.  (A class
    whose instances got other attributes, in other tests, may have them in
    its shared keys, which changes what its caches can prove: tests that
    count traps use a class of their own.)"""
    return [cls(x, y), _combined(x, y, cls), _split(x, y, cls)]


def test_materialized_dicts_are_read_without_a_trap(compiled, traps):
    class Own(Point):
        pass
    compiled(read)
    points = _kinds(1, 2, Own) + _kinds(3, 4, Own)
    assert all(objects.instance_dict_address(id(p)) for p in points[1::3] + points[2::3])
    [read(p) for p in points]                          # fills the cell and its hint
    result, counts = traps(lambda: [read(p) for p in points])
    assert result == [(1, 2)] * 3 + [(3, 4)] * 3
    assert "load_attr_fill" not in counts, counts


def _mutations():
    """(name, what it does to a Point) pairs."""
    def delete_x(p):
        del p.x

    def reinsert_x(p):
        v = p.x
        del p.x
        p.z = 9
        p.x = v + 100

    def int_key(p):
        p.__dict__[5] = "five"

    def new_dict(p):
        p.__dict__ = {"x": "new", "y": "dict"}

    def shadow_method(p):
        p.norm1 = "instance"

    def add_many(p):
        for k in range(40):
            setattr(p, f"a{k}", k)
    return [("delete_x", delete_x), ("reinsert_x", reinsert_x), ("int_key", int_key),
            ("new_dict", new_dict), ("shadow_method", shadow_method), ("add_many", add_many)]


def test_the_dict_path_is_the_interpreters(mode, compiled):
    compiled(read, read_norm)
    reference, reference_norm = interpreted(read), interpreted(read_norm)
    for (name, mutate), make in itertools.product(_mutations(), (Point, _combined, _split)):
        points = [make(1, 2) for _ in range(3)]
        for p in points:
            read(p), read_norm(p)                    # cells and hints filled
        mutate(points[1])
        for p in points:
            assert outcome(lambda: read(p)) == outcome(lambda: reference(p)), (name, make, p)
            assert outcome(lambda: read_norm(p)) == outcome(lambda: reference_norm(p)), name


def test_a_data_descriptor_added_later_wins(compiled):
    class C:
        pass
    c = C()
    c.__dict__ = {"x": "dict"}

    def get(o):
        return o.x
    compiled(get)
    assert get(c) == get(c) == "dict"
    C.x = property(lambda self: "property")
    try:
        assert get(c) == "property"
    finally:
        del C.x
    assert get(c) == "dict"


COUNTER = 0
LIMIT = 10


def bump(n):
    global COUNTER
    total = 0
    for _ in range(n):
        COUNTER += 1                    # the module dict's version changes
        total += LIMIT                  # read at the hint
    return total


def test_globals_are_read_at_the_hint_after_another_store(compiled, traps):
    compiled(bump)
    bump(3)
    result, counts = traps(lambda: bump(50))
    assert result == 500
    assert counts.get("load_global_fill", 0) <= 1, counts


def uses_len(x):
    return len(x)


def test_a_global_shadowing_a_builtin_and_deleted(compiled):
    g = uses_len.__globals__
    compiled(uses_len)
    assert uses_len([1, 2]) == 2
    g["len"] = lambda x: "global"
    try:
        assert uses_len([1, 2]) == "global"
        g["COUNTER"] = g["COUNTER"] + 1          # another store: the hint path
        assert uses_len([1, 2]) == "global"
    finally:
        del g["len"]
    assert uses_len([1, 2]) == 2                # deleted: the builtin again
    g["COUNTER"] = g["COUNTER"] + 1
    assert uses_len([1, 2]) == 2


def call_norm(p):
    return p.norm1()


def test_method_loads_on_materialized_dicts_make_no_trap(compiled, traps):
    class Own(Point):
        pass
    compiled(call_norm)
    points = _kinds(1, 2, Own) * 2
    for p in points[1:3]:                       # dicts of every size of index
        for k in range(300):
            setattr(p, f"extra{k}", k)
    [call_norm(p) for p in points]
    result, counts = traps(lambda: [call_norm(p) for p in points])
    assert result == ["method"] * len(points)
    assert "load_method_fill" not in counts, counts


def test_method_loads_see_the_instance_dict(mode, compiled):
    compiled(call_norm)
    reference = interpreted(call_norm)
    for make in (Point, _combined, _split):
        p = make(1, 2)
        call_norm(p)
        p.__dict__["norm1"] = lambda: "instance"
        assert call_norm(p) == reference(p) == "instance"
        del p.__dict__["norm1"]                 # a deleted entry on the probe's way
        assert call_norm(p) == reference(p) == "method"
        for k in range(20):
            p.__dict__[f"k{k}"] = k
            del p.__dict__[f"k{k}"]
        assert call_norm(p) == reference(p) == "method"


def bump_and_len(n, xs):
    global COUNTER
    total = 0
    for _ in range(n):
        COUNTER += 1
        total += len(xs)                        # a builtin: the globals lack "len"
    return total


def test_builtins_stay_cached_when_another_global_changes(compiled, traps):
    compiled(bump_and_len)
    bump_and_len(3, "ab")
    result, counts = traps(lambda: bump_and_len(50, "abc"))
    assert result == 150
    assert counts.get("load_global_fill", 0) <= 1, counts
    g = bump_and_len.__globals__
    g["len"] = lambda x: 100                    # the globals get the name: the probe finds it
    try:
        assert bump_and_len(2, "abc") == 200
    finally:
        del g["len"]
    assert bump_and_len(2, "abc") == 6


# -- stores through the hint -------------------------------------------------------

def store_x(p, v):
    p.x = v


def test_stores_into_dicts_of_their_own_make_no_trap(mode, compiled, traps):
    class Own(Point):
        pass
    compiled(store_x)
    points = [_combined(i, i, Own) for i in range(4)]
    store_x(points[0], -1)                             # fills the cell and its hint
    result, counts = traps(lambda: [store_x(p, 10 * i) for i, p in enumerate(points)])
    assert [p.x for p in points] == [0, 10, 20, 30]
    assert [list(vars(p)) for p in points] == [["y", "other", "x"]] * 4
    if mode == "shared":
        assert not counts, counts
    else:
        assert counts == {"PyObject_SetAttr": 4}, counts


def test_a_store_gives_the_dict_the_interpreters_next_version(compiled):
    class Own(Point):
        pass
    compiled(store_x)
    p, q = _combined(1, 2, Own), _combined(1, 2, Own)
    store_x(p, 0)
    before = dict_versions.version(vars(p))
    store_x(p, 5)                                      # compiled
    after = dict_versions.version(vars(p))
    interpreted(store_x)(q, 5)                         # the interpreter, on a twin
    theirs = dict_versions.version(vars(q))
    assert p.x == 5
    step = dict_versions.STORE_INCREMENT
    if step:                                           # (3.14 keeps no version)
        assert dict_versions.counter()
        assert after > before and (after - before) % step == 0
        assert theirs > after                          # one counter for both
        assert after & (step - 1) == before & (step - 1)
        assert after & ~(step - 1) <= ctypes.c_uint64.from_address(dict_versions.counter()).value


def test_the_old_value_is_released_and_the_new_one_held(compiled):
    class Own(Point):
        pass
    compiled(store_x)
    p = _combined(1, 2, Own)
    store_x(p, 0)
    old, new = object(), object()
    store_x(p, old)
    gone = weakref.ref(Dying())
    p.x = gone()                                       # (a value only the dict holds)
    held_old, held_new = sys.getrefcount(old), sys.getrefcount(new)
    store_x(p, new)
    assert gone() is None and vars(p)["x"] is new
    assert sys.getrefcount(new) == held_new + 1 and sys.getrefcount(old) == held_old


class Dying:
    pass


def test_a_container_into_an_untracked_dict_is_tracked_as_the_interpreter_does(compiled):
    class Own(Point):
        pass
    compiled(store_x)

    def scenario(store):
        p = Own(0, 0)
        p.__dict__ = {"y": 1, "x": 2}                  # atomic values: untracked
        store(p, 3)
        untracked_after_int = not gc.is_tracked(vars(p))
        store(p, [])
        return untracked_after_int, gc.is_tracked(vars(p)), p.x

    store_x(_combined(0, 0, Own), 0)
    ours = scenario(store_x)
    assert ours == scenario(interpreted(store_x))      # (3.14 tracks every dict)
    assert ours[1:] == (True, [])


@pytest.mark.skipif(not hasattr(_testcapi, "add_dict_watcher"), reason="no dict watchers")
def test_a_watched_dict_tells_its_watcher(compiled):
    class Own(Point):
        pass
    compiled(store_x)
    p = _combined(1, 2, Own)
    store_x(p, 0)
    watcher = _testcapi.add_dict_watcher(0)
    try:
        _testcapi.watch_dict(watcher, vars(p))
        store_x(p, "z")
        assert _testcapi.get_dict_watcher_events() == ["mod:x:z"]
        _testcapi.unwatch_dict(watcher, vars(p))
    finally:
        _testcapi.clear_dict_watcher(watcher)
    assert p.x == "z"
