"""The int compare, subscript and unpacking fast paths (pyjit_compare,
pyjit_getitem, pyjit_setitem, pyjit_unpack): the interpreter's results and
exceptions for every pair of operands, no trap for small exact ints, lists
and tuples indexed in range and tuples of the right size."""

from __future__ import annotations

import gc
import itertools
import sys

from pyjit.cpython import layout

from conftest import interpreted, outcome


def compare_all(a, b):
    return (a < b, a <= b, a == b, a != b, a > b, a >= b)


def subscript(c, i):
    return c[i]


class Int(int):
    def __lt__(self, other):
        return "lt"


VALUES = [0, 1, -1, 2, -2, 7, 2**30 - 1, -(2**30 - 1), 2**30, -(2**30), 2**31, 2**62, -2**62,
          2**64 + 1, True, False, 1.0, 0.5, -1.5, None, "a", Int(1), Int(-3)]


def test_compare_is_the_interpreters_for_every_pair(mode, compiled):
    compiled(compare_all)
    reference = interpreted(compare_all)
    for a, b in itertools.product(VALUES, VALUES):
        assert outcome(lambda: compare_all(a, b)) == outcome(lambda: reference(a, b)), (a, b)


def test_small_int_compares_make_no_trap(mode, compiled, traps):
    compiled(compare_all)
    small = [0, 1, -1, 5, -5, 2**30 - 1, -(2**30 - 1)]
    expect = [interpreted(compare_all)(a, b) for a, b in itertools.product(small, small)]
    result, counts = traps(lambda: [compare_all(a, b) for a, b in itertools.product(small, small)])
    assert result == expect
    assert "PyObject_RichCompare" not in counts
    result, counts = traps(lambda: compare_all(2**30, 1))
    assert counts["PyObject_RichCompare"] == 6


def test_compare_results_are_new_references(mode, compiled):
    compiled(compare_all)
    before = sys.getrefcount(True), sys.getrefcount(False)
    kept = [compare_all(1, 2) for _ in range(10)]
    # 3.12: True and False are immortal, their counts stay put
    added = 30 if layout.IMMORTAL_REFCNT is None else 0
    assert (sys.getrefcount(True), sys.getrefcount(False)) == (before[0] + added, before[1] + added)
    del kept
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before


def test_subscript_is_the_interpreters(mode, compiled):
    compiled(subscript)
    reference = interpreted(subscript)

    class L(list):
        def __getitem__(self, i):
            return ("sub", i)
    containers = [[], [10, 20, 30], list(range(100)), (1, 2, 3), {0: "a", 1: "b"}, "xyz",
                  L([1, 2]), range(5)]
    keys = [0, 1, 2, 3, 99, 100, -1, -3, -4, 2**30, 2**30 - 1, 2**40, True, False, 1.0, "a",
            slice(1, None), None]
    for c, k in itertools.product(containers, keys):
        assert outcome(lambda: subscript(c, k)) == outcome(lambda: reference(c, k)), (c, k)


def test_list_subscripts_in_range_make_no_trap(mode, compiled, traps):
    compiled(subscript)
    items = [object() for _ in range(5)]
    result, counts = traps(lambda: [subscript(items, i) for i in range(5)])
    assert result == items and "PyObject_GetItem" not in counts
    item = items[3]
    held = sys.getrefcount(item)
    del result
    assert held - sys.getrefcount(item) == 1
    result, counts = traps(lambda: [subscript(items, -i) for i in range(1, 6)]
                           + [subscript(tuple(items), i) for i in range(-5, 5)])
    assert result == items[::-1] + items + items and "PyObject_GetItem" not in counts
    result, counts = traps(lambda: outcome(lambda: subscript(items, -6)))
    assert counts["PyObject_GetItem"] == 1 and result[:2] == ("raise", IndexError)


def store(c, i, v):
    c[i] = v
    return c


def test_store_subscript_is_the_interpreters(mode, compiled):
    compiled(store)
    reference = interpreted(store)

    class L(list):
        def __setitem__(self, i, v):
            super().__setitem__(0, ("sub", i, v))

    def containers():
        return [[], [10, 20, 30], list(range(100)), (1, 2, 3), {0: "a"}, "xyz", L([1, 2]),
                bytearray(b"ab")]
    keys = [0, 1, 2, 3, 99, 100, -1, -3, -4, 2**30, 2**30 - 1, -(2**30), 2**40, True, False,
            1.0, "a", slice(1, None), None]
    for k in keys:
        for c, d in zip(containers(), containers()):
            got = outcome(lambda: store(c, k, 7))
            want = outcome(lambda: reference(d, k, 7))
            assert got == want and c == d, (c, k)


class _Dies:
    def __init__(self, log, name):
        self.log, self.name = log, name

    def __del__(self):
        self.log.append(self.name)


def test_list_stores_in_range_make_no_trap(mode, compiled, traps):
    def fill(items, values):
        i = 0
        for v in values:
            items[i] = v
            items[-1 - i] = v
            i += 1
        return items
    compiled(fill)
    items = [None] * 6
    values = [object() for _ in range(3)]
    held = [sys.getrefcount(v) for v in values]
    result, counts = traps(lambda: fill(items, values))
    assert result == values + values[::-1] and "PyObject_SetItem" not in counts, counts
    assert [sys.getrefcount(v) for v in values] == [h + 2 for h in held]
    result, counts = traps(lambda: fill(items, [1, 2, 3]))
    assert [sys.getrefcount(v) for v in values] == held       # the old items let go
    # The old item dies in the store, before the function goes on.
    log = []
    items = [_Dies(log, "old")]

    def replace(items, log):
        items[0] = 1
        return list(log)
    compiled(replace)
    assert replace(items, log) == ["old"] and items == [1]


def unpack(seq):
    a, b, c = seq
    return c, b, a


def test_unpack_is_the_interpreters(mode, compiled):
    compiled(unpack)
    reference = interpreted(unpack)

    class T(tuple):
        def __iter__(self):
            return iter(("t", "u", "v"))
    for seq in [(1, 2, 3), [1, 2, 3], (1, 2), (1, 2, 3, 4), [], "abc", "ab", iter([4, 5, 6]),
                range(3), T((1, 2, 3)), T((1, 2)), {1: 2, 3: 4, 5: 6}, None, 5]:
        got, want = outcome(lambda: unpack(seq)), outcome(lambda: reference(seq))
        if isinstance(seq, type(iter([]))):
            continue                                # used up by the first call
        assert got == want, seq


def test_tuples_and_lists_of_the_right_size_unpack_without_a_trap(mode, compiled, traps):
    compiled(unpack)
    items = (object(), object(), object())
    for seq in (items, list(items)):
        held = [sys.getrefcount(x) for x in items]
        before = sys.getrefcount(seq)
        result, counts = traps(lambda: [unpack(seq) for _ in range(5)])
        assert result == [items[::-1]] * 5 and "unpack_into" not in counts, counts
        assert sys.getrefcount(seq) == before
        del result
        assert [sys.getrefcount(x) for x in items] == held
    result, counts = traps(lambda: unpack(iter(items)))
    assert result == items[::-1] and counts["unpack_into"] == 1
    result, counts = traps(lambda: outcome(lambda: unpack(list(items) * 2)))
    assert counts["unpack_into"] == 1 and "too many values" in str(result)


def iterate_all(xs, n, a, b, c):
    out = []
    for x in xs:
        out.append(x)
    for i in range(n):
        out.append(i)
    for i in range(a, b, c):
        out.append(i)
    return out


def test_for_iter_is_the_interpreters(mode, compiled):
    compiled(iterate_all)
    reference = interpreted(iterate_all)
    cases = [([1, "x", None], 5, 0, 10, 3), ([], 0, 300, 260, -7), ((1, 2), 300, -10, 2**31, 2**29),
             ("ab", 1, 2**62, 2**62 + 3, 1), ({3: 4}, 3, 10, 0, -1)]
    for case in cases:
        assert outcome(lambda: iterate_all(*case)) == outcome(lambda: reference(*case)), case
    # An iterator given in: each side gets a fresh one.
    assert outcome(lambda: iterate_all(iter([5, 6]), 2, 0, 1, 1)) == \
        outcome(lambda: reference(iter([5, 6]), 2, 0, 1, 1))
    # Iterators at their ends, set by __setstate__ (3.13+: a negative index
    # is an end that keeps the list), and what they hold afterwards.
    for state in (-1, 0, 2, 3, 9):
        seen = []
        for fn in (iterate_all, reference):
            it = iter([5, 6, 7])
            it.__setstate__(state)
            seen.append((outcome(lambda: fn(it, 0, 0, 0, 1)), it.__reduce__()[1:]))
        assert seen[0] == seen[1], state


def test_list_and_range_iteration_make_no_trap(compiled, traps):
    def walk(xs, n):
        count = 0
        for x in xs:
            count += 1
        for i in range(n):
            count += 1
        return count
    compiled(walk)
    items = [object() for _ in range(50)]
    walk(items, 300)
    held = sys.getrefcount(items)
    result, counts = traps(lambda: walk(items, 300))
    assert result == 350
    # Per loop, not per item: making the iterators, freeing them, and the
    # returned int; the loops' ends are the routine's too.
    assert "for_iter" not in counts and sum(counts.values()) <= 6, counts
    assert sys.getrefcount(items) == held                # the exhausted iterator let go


def enumerate_all(xs, start, collect):
    out, kept = [], []
    for i, x in enumerate(xs, start):
        out.append((i, x))
        if collect:
            gc.collect()                      # may untrack the pair, which enumerate retracks
            out.append(gc.is_tracked(xs))
    for pair in enumerate(xs):
        kept.append(pair)                     # held: the next pair is a new tuple
    return out, kept


def test_enumerate_is_the_interpreters(mode, compiled):
    compiled(enumerate_all)
    reference = interpreted(enumerate_all)
    cases = [([1, "x", None], 0, False), ([], 5, True), ((1, 2), 250, False),
             ([object()] * 3, 2**62, True), ([2.5] * 4, -7, False), ("ab", 0, True),
             ([1, 2], 2**63 - 2, False), ([1, 2], 2**70, False), ([1, 2, 3], 2**30 - 2, True)]
    for case in cases:
        assert outcome(lambda: enumerate_all(*case)) == outcome(lambda: reference(*case)), case


def test_enumerate_over_a_list_makes_no_trap(compiled, traps):
    def walk(xs):
        total = 0
        for i, x in enumerate(xs):
            total += i
        return total
    compiled(walk)
    items = [object() for _ in range(50)]
    walk(items)
    held, counts_of = sys.getrefcount(items), [sys.getrefcount(x) for x in items]
    result, counts = traps(lambda: walk(items))
    assert result == sum(range(50))
    # Per loop, not per item: making the enumerate object, freeing it and
    # its pair; its end is the routine's too.  On 3.14 the first step is
    # the helper's: the pair starts untracked by the collector (enumerate
    # tracks it then).
    first = 1 if sys.version_info >= (3, 14) else 0
    assert counts["for_iter"] == first and sum(counts.values()) <= 7 + first, counts
    assert sys.getrefcount(items) == held
    assert [sys.getrefcount(x) for x in items] == counts_of


class _A:
    pass


class _B(_A):
    pass


class _Meta(type):
    def __instancecheck__(cls, obj):
        return obj == 42


class _M(metaclass=_Meta):
    pass


def check_instance(x, c):
    return isinstance(x, c)


def test_isinstance_is_the_interpreters(mode, compiled):
    compiled(check_instance)
    reference = interpreted(check_instance)
    values = [_A(), _B(), 1, True, 42, "s", None, 2.5]
    classes = [_A, _B, int, bool, (str, int), _M, object, 3]
    for x, c in itertools.product(values, classes):
        assert outcome(lambda: check_instance(x, c)) == outcome(lambda: reference(x, c)), (x, c)


def test_isinstance_of_the_type_or_a_base_makes_no_trap(compiled, traps):
    compiled(check_instance)
    objs = [_A(), _B(), _B()]
    check_instance(objs[0], _A)                                     # fills the global cell
    result, counts = traps(lambda: [check_instance(o, _A) for o in objs])
    assert result == [True, True, True] and counts == {}, counts
    result, counts = traps(lambda: check_instance(_A(), _B))        # False: the C-API decides
    assert result is False and counts["PyObject_Vectorcall"] == 1


def lengths(x):
    return len(x)


def test_len_is_the_interpreters(mode, compiled):
    compiled(lengths)
    reference = interpreted(lengths)

    class Sized:
        def __len__(self):
            return 7

    class L(list):
        def __len__(self):
            return 99
    for x in [[], [1, 2], (), (1,), {}, {1: 2, 3: 4}, "abc", {1, 2}, range(5), Sized(), L([1]),
              5, None, b"xy", list(range(300))]:
        assert outcome(lambda: lengths(x)) == outcome(lambda: reference(x)), x


def test_len_of_lists_tuples_and_dicts_makes_no_trap(compiled, traps):
    compiled(lengths)
    # (lengths up to 256: the cached small ints; a larger one comes from
    # the pool of dead ints, empty when the results escape as here)
    values = [[], [0] * 3, list(range(256)), (), (1, 2), {}, {i: i for i in range(200)}] * 3
    result, counts = traps(lambda: [lengths(x) for x in values])
    assert result == [len(x) for x in values]
    assert "PyObject_Vectorcall" not in counts, counts
    result, counts = traps(lambda: lengths("abc"))
    assert result == 3 and counts["PyObject_Vectorcall"] == 1


def test_len_rebound_after_compiling_is_called(compiled):
    import builtins
    compiled(lengths)
    assert lengths([1]) == 1
    saved = builtins.len
    builtins.len = lambda x: "rebound"
    try:
        assert lengths([1]) == "rebound"
    finally:
        builtins.len = saved
    assert lengths([1, 2]) == 2


def grow_and_shrink(a, n):
    sizes = []
    for i in range(n):
        a.append(i * 2)
        sizes.append(sys.getsizeof(a))
    popped = []
    while a:
        popped.append(a.pop())
        sizes.append(sys.getsizeof(a))
    return popped, sizes


def test_list_append_and_pop_are_the_interpreters(mode, compiled):
    compiled(grow_and_shrink)
    reference = interpreted(grow_and_shrink)

    class Sub(list):
        pass

    class Own(list):
        def append(self, x):
            super().append(("own", x))
    for make in (list, Sub, Own):
        for n in (0, 1, 7, 100):
            got = outcome(lambda: grow_and_shrink(make(), n))
            want = outcome(lambda: reference(make(), n))
            assert got == want, (make, n)          # the allocations too (getsizeof)


def append_and_pop(a, extra):
    a.append(extra)
    return a.pop()


def append_while_sorting(a, extra, step):
    # list.sort empties the list while it sorts (ob_item NULL, allocated -1):
    # the key's append goes to list.append, which grows it, and sort says so
    a.sort(key=lambda x: step(a, extra) - x)
    return a


def test_list_methods_on_a_list_being_sorted_are_the_interpreters(compiled):
    compiled(append_and_pop)
    assert append_and_pop([1], 2) == 2       # the call cells filled: the routines run
    reference = interpreted(append_and_pop)
    for items in ([], [3], [3, 1, 2]):
        got = outcome(lambda: append_while_sorting(list(items), 9, append_and_pop))
        assert got == outcome(lambda: append_while_sorting(list(items), 9, reference))


def pops(a):
    return a.pop(), a.pop(-1), a.pop(0)


def test_list_method_misuse_is_the_interpreters(compiled):
    compiled(pops)
    reference = interpreted(pops)
    for items in ([], [1], [1, 2], [1, 2, 3, 4]):
        assert outcome(lambda: pops(list(items))) == outcome(lambda: reference(list(items)))


def test_appends_with_room_and_pops_without_shrinking_make_no_trap(compiled, traps):
    def churn(a, objs):
        for x in objs:
            a.append(x)
            a.pop()
        return a
    compiled(churn)
    a = [0] * 10
    a.pop()                                         # room for one
    objs = [object() for _ in range(300)]
    churn(a, objs[:5])
    held = [sys.getrefcount(x) for x in objs]
    result, counts = traps(lambda: churn(a, objs))
    assert result == [0] * 9
    assert "PyObject_Vectorcall" not in counts, counts
    assert [sys.getrefcount(x) for x in objs] == held
