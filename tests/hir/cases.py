"""Functions for the differential tests, one or more per construct.

``CASES`` maps a name to (function, [argument tuples]); every argument
tuple is run by CPython and by the HIR interpreter.  Some functions raise
for some arguments on purpose.  The comprehension bodies (nested code
objects) are compiled on their own in ``COMPREHENSIONS``.
"""

from __future__ import annotations

import copy
import math
import re
import sys
import types

G_COUNTER = 0
G_TABLE = {"a": 1, "b": 2}


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def norm1(self):
        return abs(self.x) + abs(self.y)

    def scaled(self, k=1, *, offset=0):
        return Point(self.x * k + offset, self.y * k + offset)


class Resource:
    """A context manager that logs, and swallows KeyError when told to."""

    def __init__(self, log, swallow=False):
        self.log = log
        self.swallow = swallow

    def __enter__(self):
        self.log.append("enter")
        return self

    def __exit__(self, typ, exc, tb):
        self.log.append(("exit", typ.__name__ if typ else None))
        return self.swallow and typ is KeyError


def helper(a, b=10, *rest, scale=1, **extra):
    return (a + b + sum(rest)) * scale + len(extra)


# -- locals, constants, arithmetic -------------------------------------------


def arith(a, b):
    return (a + b, a - b, a * b, a / b, a // b, a % b, a ** 2, -a, +b, ~a if isinstance(a, int) else 0)


def bitwise(a, b):
    return a & b, a | b, a ^ b, a << 3, a >> 1


def inplace(a, b):
    x = a
    x += b
    x -= 1
    x *= 3
    x //= 2
    x %= 1000
    x **= 2
    x <<= 1
    x >>= 2
    x &= 0xFFFF
    x |= 1
    x ^= 5
    y = float(a)
    y /= 4
    return x, y


def matmul(a, b):
    c = a @ b
    c @= b
    return c


class Mat:
    def __init__(self, v):
        self.v = v

    def __matmul__(self, other):
        return Mat(self.v * other.v)

    def __eq__(self, other):
        return type(other) is Mat and self.v == other.v


def compare(a, b):
    return a < b, a <= b, a == b, a != b, a > b, a >= b


def chained(a, b, c):
    return a < b < c, a <= b > c


def identity(a, b):
    return a is b, a is not b, a is None, b is not None


def membership(x, seq):
    return x in seq, x not in seq


def truthiness(x):
    if x:
        return "yes"
    elif not x:
        return "no"
    return "never"


def ternary(x):
    return "big" if x > 10 else "small"


def boolean_ops(a, b, c):
    return (a and b) or c, a or b and c, not (a or b)


def unbound_local(flag):
    if flag:
        value = 1
    return value


def delete_local(x):
    y = x + 1
    del y
    z = 2
    del z
    return x


# -- globals, attributes, methods, calls -------------------------------------------


def globals_and_builtins(n):
    global G_COUNTER
    G_COUNTER = G_COUNTER + n
    return len(G_TABLE), G_COUNTER > 0, max(n, 3)


def delete_global():
    global G_TEMP
    G_TEMP = 5
    value = G_TEMP
    del G_TEMP
    return value


def missing_global():
    return NOT_DEFINED_ANYWHERE  # noqa: F821


def attributes(x, y):
    p = Point(x, y)
    p.x = p.x + 1
    p.extra = 3
    del p.extra
    return p.x, p.y, hasattr(p, "extra")


def methods(x, y):
    p = Point(x, y)
    q = p.scaled(2, offset=1)
    return p.norm1(), q.norm1(), q.scaled().x, [1, 2].index(2)


def calls(a):
    return (helper(a), helper(a, 2), helper(a, 2, 3, 4), helper(a, scale=3),
            helper(a, 1, 2, scale=2, tag=1))


def star_calls(args, kwargs):
    return helper(*args), helper(*args, **kwargs), helper(1, *args, scale=2), helper(**kwargs)


def call_slots(args, flag):
    """Where each version puts a call's NULL (3.13: after the callable):
    a method with star arguments, a local callable, an instance attribute
    holding a function (the method load finds no method), decorators, a
    conditional receiver."""
    p = Point(*args)
    p.fn = helper
    local = helper

    def deco(f):
        return lambda: f() + 1

    @deco
    @deco
    def two():
        return 2
    return (p.scaled(*args[:1], offset=1).x, local(*args), p.fn(args[0], scale=2), two(),
            (p if flag else Point(0, 0)).norm1(), getattr(p, "norm1")())


def conditional_callee(flag, x):
    return (abs if flag else str)(x), (len if flag else repr)(str(x))


def index_of(seq, item):
    return seq.index(item)


def call_after_join_in_try(flag, seq):
    try:  # the call's NULL slot is pushed before the conditional: a phi
        return index_of(seq, 2.5 if flag else seq)
    except ValueError:
        return "missing"


def math_calls(x):
    return math.sqrt(x) + math.pow(x, 2) + math.floor(x)


def keyword_errors():
    return helper(1, **{"a": 2})


# -- containers ----------------------------------------------------------------------


def containers(a, b):
    t = (a, b, 3)
    lst = [a, b]
    s = {a, b}
    d = {"x": a, "y": b}
    d2 = {a: 1, b: 2, "k": lst}
    return t, lst, sorted(s), d, len(d2)


def unpacking(seq):
    a, b = seq[0], seq[1]
    (c, d), e = (a, b), seq
    first, *middle, last = seq
    *head, tail = seq
    return a, b, c, d, e, first, middle, last, head, tail


def unpack_exact(seq):
    x, y, z = seq
    return x + y + z


def swaps(a, b):
    a, b = b, a
    c, d, e = a, b, a
    return a, b, c, d, e


def splats(a, b):
    return [*a, *b], (*a, 1), {*a, *b}, {**b, "z": 1}, [1, *a]


def subscripts(seq, i):
    x = seq[i]
    seq[i] = x * 2
    y = seq[1:3]
    z = seq[::2]
    w = seq[i:]
    del seq[0]
    return x, y, z, w, seq


def dict_subscripts(key):
    d = {"a": 1}
    d[key] = 2
    del d["a"]
    return d[key], d


def fstrings(x, y):
    return f"{x}", f"{x!r}-{y!s}", f"{x:>8}", f"{y!a:{x}}", f"{x:.{y}f}" if isinstance(x, float) else ""


# -- control flow ---------------------------------------------------------------------


def if_chain(x):
    if x < 0:
        r = "neg"
    elif x == 0:
        r = "zero"
    elif x < 10:
        r = "small"
    else:
        r = "big"
    return r


def while_loop(n):
    i = 0
    total = 0
    while i < n:
        total += i
        i += 1
    else:
        total += 1000
    return total


def while_break_continue(n):
    i = 0
    out = []
    while True:
        i += 1
        if i % 3 == 0:
            continue
        if i > n:
            break
        out.append(i)
    return out


def while_none(node):
    count = 0
    while node is not None:
        count += 1
        node = node[1]
    while node is None:
        node = 5
    return count, node


def while_not(x):
    while not x:
        x += 1
    return x


def for_range(n):
    s = 0
    for i in range(n):
        s += (i * 3) ^ (i >> 2)
    return s


def for_range_args(a, b, c):
    return [i for i in range(a, b, c)], sum(i for i in range(a, b))


def for_range_shadowed(n):
    range = lambda k: [k, k]  # noqa: E731  a local range is not the builtin
    out = 0
    for i in range(n):
        out += i
    return out


def for_iterables(items):
    total = 0
    for x in items:
        if x == 7:
            break
        if x < 0:
            continue
        total += x
    else:
        total = -total
    for k, v in {"a": 1, "b": 2}.items():
        total += v
    return total


def nested_loops(n):
    out = []
    for i in range(n):
        for j in range(i):
            if j == 2:
                break
            out.append((i, j))
    return out


# -- exceptions ----------------------------------------------------------------------


def try_except(x):
    try:
        r = 10 / x
    except ZeroDivisionError:
        r = -1
    return r


def try_except_as(x):
    try:
        r = [1, 2][x]
    except (IndexError, TypeError) as e:
        r = type(e).__name__
    return r


def try_finally(x, log):
    try:
        log.append("body")
        if x:
            return 1 / x
    finally:
        log.append("finally")
    return log


def try_else(x):
    out = []
    try:
        v = int(x)
    except ValueError:
        out.append("bad")
    else:
        out.append(v)
    finally:
        out.append("done")
    return out


def nested_try(x):
    try:
        try:
            if x == 1:
                raise KeyError("k")
            if x == 2:
                raise ValueError("v")
            return "none"
        except KeyError:
            return "inner"
    except ValueError as e:
        return str(e)


def raise_forms(kind):
    if kind == 0:
        raise ValueError
    if kind == 1:
        raise ValueError("x")
    if kind == 2:
        raise KeyError("k") from ValueError("cause")
    if kind == 3:
        try:
            raise TypeError("t")
        except TypeError:
            raise
    if kind == 4:
        raise 42
    return kind


def reraise_in_handler(x):
    try:
        return 1 // x
    except ZeroDivisionError:
        if x == 0:
            raise
        return -1


def bare_raise_outside():
    raise


def exception_in_loop(items):
    total = 0
    for x in items:
        try:
            total += 10 // x
        except ZeroDivisionError:
            continue
        except TypeError:
            break
    return total


def asserts(x):
    assert x > 0
    assert x < 100, "too big"
    return x


def with_statement(swallow, fail):
    log = []
    with Resource(log, swallow) as r:
        log.append(r is not None)
        if fail:
            raise KeyError("boom")
    return log


def with_return(log):
    with Resource(log):
        return len(log)


def with_not_a_manager():
    with 42:
        pass


def finally_in_loop(items):
    out = []
    for x in items:
        try:
            if x == 0:
                continue
            if x < 0:
                break
            out.append(10 // (x - 1))
        except ZeroDivisionError:
            out.append("zero")
        finally:
            out.append("f")
    return out


def with_in_loop(flags):
    log = []
    for swallow in flags:
        with Resource(log, swallow):
            if swallow:
                raise KeyError("k")
            continue
    return log


def raise_in_finally(x):
    try:
        try:
            return 1 // x
        finally:
            if x == 0:
                raise ValueError("from finally")
    except ValueError as e:
        return str(e)


def deep_stack_raise(a, b):
    try:
        return helper(a, helper(b, 1 // b), scale=[a, b][2 - a])
    except (ZeroDivisionError, IndexError) as e:
        return type(e).__name__


def handler_reads_locals(x):
    total = 0
    items = [1, 2, x]
    try:
        for v in items:
            total += 100 // v
    except ZeroDivisionError:
        return total, items
    return total


# -- closures, cells, functions, imports ------------------------------------------------


def closure_counter(n):
    count = 0

    def bump(k):
        nonlocal count
        count += k
        return count

    for i in range(n):
        bump(i)
    return count, bump(0)


def make_adder(n):
    def add(x):
        return x + n
    return add


ADD5 = make_adder(5)


def closure_maker(n):
    def add(x):
        return x + n
    return add(4), add(n)


def cell_argument(x):
    def get():
        return x
    x = x * 2
    return get()


def delete_cell(x):
    def read():
        return x
    before = read()
    del x
    try:
        read()
    except NameError:
        return before, "gone"
    return before, "still"


def make_functions(a):
    def with_defaults(x, y=a, *, z=a + 1) -> int:
        return x + y + z
    lam = lambda v, w=2: v * w  # noqa: E731
    return with_defaults(1), with_defaults(1, 2, z=3), lam(a), with_defaults.__annotations__


def comprehensions(n):
    return ([i * i for i in range(n)], {i % 3 for i in range(n)}, {i: -i for i in range(n)},
            sum(x for x in range(n)))


def comprehension_shadows(xs):
    x = "outer"
    squares = [x * x for x in xs]
    return squares, x, [y for y in xs if y], {k: k for k in xs}


def comprehension_raises(xs):
    i = 7
    try:
        return [10 // i for i in xs]
    except ZeroDivisionError:
        return i


def comprehension_unbound_outer(xs):
    out = [z + 1 for z in xs]
    try:
        return out, z  # noqa: F821  the comprehension's z is not the function's
    except NameError:
        return out, None


def slice_stores(xs, k):
    ys = list(xs)
    ys[1:k] = [0]
    ys[:1] = ys[-1:]
    del ys[k:]
    return ys, xs[k:], xs[:k], xs[1:-1]


class Base:
    tag = "base"

    def describe(self, n):
        return ("base", n)


class Derived(Base):
    tag = "derived"

    def describe(self, n):
        return ("derived", n)


def two_arg_super(obj):
    return super(Derived, obj).describe(1), super(Derived, obj).tag, obj.describe(2)


def imports():
    import os.path as osp
    from math import sqrt as root
    import collections
    return osp.join("a", "b"), root(16.0), collections.OrderedDict.__name__


def class_body(n):
    class Local(Point):
        scale = n

        def norm1(self):
            return super().norm1() * self.scale

    return Local(n, -1).norm1(), Local.__qualname__, Local.__mro__[1].__name__


class Loud(Point):
    def norm1(self):
        return ("loud", super().norm1())

    def scaled(self, k=1, *, offset=0):
        del self
        return super().scaled(k)


def zero_argument_super(x):
    p = Loud(x, 2)
    return p.norm1(), p.scaled(3)


class Kinded(Point):
    kind = "point"


class Fancy(Kinded):
    kind = "fancy"

    def parent_kind(self):
        return super().kind, self.kind        # the attribute form (no method bit)

    def with_cell_self(self):
        later = lambda: self  # noqa: E731  (self lives in a cell)
        return super().norm1(), later() is self


class _NotSuper:
    """What a module's own global `super` gives when called."""

    kind = "not super"

    def __init__(self, *args):
        self.args = args


# Fancy.parent_kind where the global `super` is another callable: called
# without arguments, as the interpreter calls it, and the attribute read
# from what it returns.
super_shadowed = types.FunctionType(Fancy.parent_kind.__code__,
                                    {**globals(), "super": _NotSuper}, "parent_kind",
                                    None, Fancy.parent_kind.__closure__)


# -- the cases -------------------------------------------------------------------------

CASES: dict[str, tuple] = {
    "arith": (arith, [(7, 2), (7.5, 2.0), (3, 0), ("a", 2)]),
    "bitwise": (bitwise, [(12, 10), (-5, 3), (1.0, 2)]),
    "inplace": (inplace, [(5, 3), (-7, 2)]),
    "matmul": (matmul, [(Mat(2), Mat(3))]),
    "compare": (compare, [(1, 2), (2.5, 2.5), ("a", "b"), (1, "a")]),
    "chained": (chained, [(1, 2, 3), (3, 2, 1), (1, 5, 2)]),
    "identity": (identity, [(None, None), (1, None), ([], [])]),
    "membership": (membership, [(1, [1, 2]), (3, (1, 2)), ("a", "cat"), (1, 5)]),
    "truthiness": (truthiness, [(0,), (1,), ([],), ("x",), (None,)]),
    "ternary": (ternary, [(5,), (50,)]),
    "boolean_ops": (boolean_ops, [(0, 1, 2), (1, 0, 0), ("", "b", None), (1, 1, 1)]),
    "unbound_local": (unbound_local, [(True,), (False,)]),
    "delete_local": (delete_local, [(1,)]),
    "globals_and_builtins": (globals_and_builtins, [(2,), (-1,)]),
    "delete_global": (delete_global, [()]),
    "missing_global": (missing_global, [()]),
    "attributes": (attributes, [(1, 2), (1.5, -2)]),
    "methods": (methods, [(3, -4), (0, 0)]),
    "calls": (calls, [(1,), (2.5,)]),
    "star_calls": (star_calls, [((1, 2), {"scale": 2}), ([5], {"a": 1})]),
    "call_slots": (call_slots, [((3, -4), True), ((1, 2), False)]),
    "conditional_callee": (conditional_callee, [(True, -3), (False, -3)]),
    "call_after_join_in_try": (call_after_join_in_try, [(True, [2.5]), (True, [1]), (False, [1])]),
    "math_calls": (math_calls, [(9.0,), (2,), (-1.0,)]),
    "keyword_errors": (keyword_errors, [()]),
    "containers": (containers, [(1, 2), ("p", "q")]),
    "unpacking": (unpacking, [([1, 2, 3, 4],), ((9, 8),), ("xyz",)]),
    "unpack_exact": (unpack_exact, [((1, 2, 3),), ([1, 2],), ([1, 2, 3, 4],), (5,), (iter([1, 2, 3]),)]),
    "swaps": (swaps, [(1, 2)]),
    "splats": (splats, [([1, 2], {"k": 3})]),
    "subscripts": (subscripts, [([1, 2, 3, 4], 1), ([1, 2, 3], 5), ([1, 2, 3], "a")]),
    "dict_subscripts": (dict_subscripts, [("b",), ("a",)]),
    "fstrings": (fstrings, [(1.5, 2), ("s", 3), (1, "x")]),
    "if_chain": (if_chain, [(-1,), (0,), (5,), (50,)]),
    "while_loop": (while_loop, [(0,), (10,)]),
    "while_break_continue": (while_break_continue, [(10,)]),
    "while_none": (while_none, [(None,), ((1, (2, None)),)]),
    "while_not": (while_not, [(0,), (3,)]),
    "for_range": (for_range, [(0,), (1,), (50,), (2.5,)]),
    "for_range_args": (for_range_args, [(1, 10, 2), (10, 1, -3), (0, 5, 0)]),
    "for_range_shadowed": (for_range_shadowed, [(4,)]),
    "for_iterables": (for_iterables, [([1, 2, 3],), ([1, -1, 7, 9],), ((),), (5,)]),
    "nested_loops": (nested_loops, [(5,)]),
    "try_except": (try_except, [(2,), (0,), ("a",)]),
    "try_except_as": (try_except_as, [(1,), (5,), ("a",)]),
    "try_finally": (try_finally, [(2, []), (0, []), ("a", [])]),
    "try_else": (try_else, [("12",), ("x",), (None,)]),
    "nested_try": (nested_try, [(0,), (1,), (2,)]),
    "raise_forms": (raise_forms, [(0,), (1,), (2,), (3,), (4,), (5,)]),
    "reraise_in_handler": (reraise_in_handler, [(0,), (2,)]),
    "bare_raise_outside": (bare_raise_outside, [()]),
    "exception_in_loop": (exception_in_loop, [([1, 0, 2],), ([1, "a", 3],)]),
    "asserts": (asserts, [(5,), (0,), (500,)]),
    "with_statement": (with_statement, [(False, False), (False, True), (True, True)]),
    "with_return": (with_return, [([],)]),
    "with_not_a_manager": (with_not_a_manager, [()]),
    "finally_in_loop": (finally_in_loop, [([1, 2, 0, 3, -1, 4],), ([],), (["a"],)]),
    "with_in_loop": (with_in_loop, [([False, True, False],)]),
    "raise_in_finally": (raise_in_finally, [(1,), (0,)]),
    "deep_stack_raise": (deep_stack_raise, [(1, 1), (1, 0), (5, 1), (0, 2)]),
    "handler_reads_locals": (handler_reads_locals, [(5,), (0,), ("s",)]),
    "closure_counter": (closure_counter, [(5,)]),
    "closure_inner": (ADD5, [(1,), ("x",)]),
    "closure_maker": (closure_maker, [(3,), ("a",)]),
    "cell_argument": (cell_argument, [(21,)]),
    "delete_cell": (delete_cell, [(1,)]),
    "make_functions": (make_functions, [(1,)]),
    "comprehensions": (comprehensions, [(6,)]),
    "comprehension_shadows": (comprehension_shadows, [([1, 2, 0],), ([],)]),
    "comprehension_raises": (comprehension_raises, [([1, 2],), ([1, 0, 2],), (["a"],)]),
    "comprehension_unbound_outer": (comprehension_unbound_outer, [([1, 2],), ([],)]),
    "slice_stores": (slice_stores, [([1, 2, 3, 4], 2), ((5, 6), 1), ([1], "a")]),
    "two_arg_super": (two_arg_super, [(Derived(),), (Base(),)]),
    "imports": (imports, [()]),
    "zero_argument_super": (zero_argument_super, [(1,), ("s",)]),
}
CASES.update({
    "class_body": (class_body, [(3,), ("a",)]),
    "super_method": (Loud.norm1, [(Loud(1, 2),), (Point(1, 2),)]),
    "super_arg_deleted": (Loud.scaled, [(Loud(1, 2),)]),
    "super_attribute": (Fancy.parent_kind, [(Fancy(1, 2),), (Loud(1, 2),)]),
    "super_cell_self": (Fancy.with_cell_self, [(Fancy(1, 2),)]),
    "super_shadowed": (super_shadowed, [(Fancy(1, 2),)]),
})


def _nested(fn, name):
    import types
    code = next(c for c in fn.__code__.co_consts if isinstance(c, types.CodeType) and c.co_name == name)
    return types.FunctionType(code, fn.__globals__)


def inline_listcomp(it):
    return [i * i for i in it]


def inline_setcomp(it):
    return {i % 3 for i in it}


def inline_dictcomp(it):
    return {i: -i for i in it}


def inline_listcomp_range(it):
    return [i for i in it]


# Comprehension bodies are functions of one iterator argument (".0") up to
# 3.11; 3.12 inlines comprehensions into the enclosing function (PEP 709),
# so there the same bodies are functions of the iterator.
if sys.version_info < (3, 12):
    COMPREHENSIONS: dict[str, tuple] = {
        "listcomp": (_nested(comprehensions, "<listcomp>"), [(iter(range(5)),), (iter([]),)]),
        "setcomp": (_nested(comprehensions, "<setcomp>"), [(iter(range(7)),)]),
        "dictcomp": (_nested(comprehensions, "<dictcomp>"), [(iter(range(4)),)]),
        "listcomp_range": (_nested(for_range_args, "<listcomp>"), [(iter(range(3)),)]),
    }
else:
    COMPREHENSIONS = {
        "listcomp": (inline_listcomp, [(iter(range(5)),), (iter([]),)]),
        "setcomp": (inline_setcomp, [(iter(range(7)),)]),
        "dictcomp": (inline_dictcomp, [(iter(range(4)),)]),
        "listcomp_range": (inline_listcomp_range, [(iter(range(3)),)]),
    }

# Template strings (3.14's BUILD_INTERPOLATION and BUILD_TEMPLATE): syntax
# only 3.14 parses, so compiled from source where it runs.
_CASES_3_14 = '''
def template_strings(x, y):
    t = t"a{x!r:>5}b{y}c{x=}{y!a:{x}}"
    return (t.strings, [(i.value, i.expression, i.conversion, i.format_spec)
                        for i in t.interpolations], t"".strings)
'''
if sys.version_info >= (3, 14):
    exec(compile(_CASES_3_14, "<cases 3.14>", "exec"), globals())
    CASES["template_strings"] = (template_strings, [(1, "e"), (3, [2])])  # noqa: F821


# -- running a case (for the tests that compare compiled code with CPython) ----

_ADDRESS = re.compile(r"0x[0-9a-f]+")


def outcome(fn, args):
    """("ok", repr of the result with addresses blanked) or ("raise", the
    exception type's name)."""
    try:
        return "ok", _ADDRESS.sub("0x?", repr(fn(*args)))
    except Exception as exc:  # noqa: BLE001 - comparing exception types
        return "raise", type(exc).__name__


def fresh(args):
    """A deep copy of a case's arguments (a run may mutate them)."""
    try:
        return copy.deepcopy(args)
    except TypeError:
        return args
