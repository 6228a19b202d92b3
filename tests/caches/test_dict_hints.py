"""Reads through a dict at a cell's hint (cells.py): instance attributes
of objects whose dict is materialized (split, or a combined table of
their own), and globals after a store into another global changed the
module dict's version.  The interpreter's results and exceptions whatever
happens to the dict (deletions, reinsertions at another place, keys that
are not str, a dict replaced, a data descriptor added to the class), and
no helper call for the common case."""

from __future__ import annotations

import itertools

from pyjit.cpython import objects

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


def _combined(x, y):
    """A Point whose dict is a table of its own (assigned)."""
    p = Point(0, 0)
    p.__dict__ = {"y": y, "other": 1, "x": x}
    return p


def _split(x, y):
    """A Point whose dict was asked for (materialized from its values)."""
    p = Point(x, y)
    vars(p)
    return p


def _kinds(x, y):
    return [Point(x, y), _combined(x, y), _split(x, y)]


def test_materialized_dicts_are_read_without_a_trap(compiled, traps):
    compiled(read)
    points = _kinds(1, 2) + _kinds(3, 4)
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
