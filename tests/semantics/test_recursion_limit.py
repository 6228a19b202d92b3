"""Calls between compiled functions count against the interpreter's
recursion limit, as interpreted calls do.

A call from compiled code to compiled code goes straight to the callee's
machine code, with no interpreter frame; the shared call routine counts it
in the thread state's recursion_remaining, and at the limit raises the
interpreter's RecursionError.  Compared with the interpreter running the
same function: the same message, at the same depth within FRAMES_EARLY
(the JIT's entry from the interpreter into compiled code is a Python
frame more), and the count is balanced afterwards whether the recursion
returned or raised.
"""

from __future__ import annotations

import sys

import pytest

from pyjit.cpython import interpreter, tstate
from semantics_support import compiled, fresh  # noqa: F401  (fixtures)

# Measured on both engines: 1 (the entry's frame, on the way from the
# interpreter into compiled code: its own work has room, the frame does
# not); 13 before helpers had room of their own and calls kept
# routines.HELPER_FRAMES of the limit unused.
FRAMES_EARLY = 1

RECURSIVE = """
def f(n):
    if n == 0:
        return 0
    return f(n - 1) + 1
"""

MUTUAL = """
def f(n):
    if n == 0:
        return 0
    return g(n - 1) + 1

def g(n):
    if n == 0:
        return 0
    return f(n - 1) + 1
"""

METHOD = """
class Walker:
    def down(self, n):
        if n == 0:
            return 0
        return self.down(n - 1) + 1

def f(n):
    return Walker().down(n)
"""


def first_failing(fn, limit: int) -> tuple[int, str]:
    """The smallest n for which fn(n) raises RecursionError under limit,
    and the message."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        for n in range(limit + 10):
            try:
                fn(n)
            except RecursionError as exc:
                return n, str(exc)
    finally:
        sys.setrecursionlimit(previous)
    raise AssertionError(f"no RecursionError below {limit + 10} with the limit at {limit}")


def _pair(fresh, compiled, source, **options):
    """The same function twice: interpreted and compiled (every function
    of the source compiled)."""
    interpreted = fresh(source, "f")
    jitted = fresh(source, "f")
    compiled(*(v for k, v in jitted.__globals__.items()
               if callable(v) and getattr(v, "__module__", None) == "semantics_case"
               and hasattr(v, "__code__")), **options)
    return interpreted, jitted


@pytest.mark.parametrize("source", [RECURSIVE, MUTUAL], ids=["f(n-1)", "f-g-f"])
@pytest.mark.parametrize("limit", [120, 400])
def test_recursion_error_at_the_interpreters_depth(source, limit, fresh, compiled):
    interpreted, jitted = _pair(fresh, compiled, source)
    n_interpreted, message_interpreted = first_failing(interpreted, limit)
    n_compiled, message_compiled = first_failing(jitted, limit)
    assert message_compiled == message_interpreted == "maximum recursion depth exceeded"
    assert n_interpreted - FRAMES_EARLY <= n_compiled <= n_interpreted


def test_methods_count_too(fresh, compiled):
    interpreted = fresh(METHOD, "f")
    jitted = fresh(METHOD, "f")
    compiled(jitted.__globals__["Walker"].down)
    n_interpreted, _ = first_failing(interpreted, 150)
    n_compiled, message = first_failing(jitted, 150)
    assert message == "maximum recursion depth exceeded"
    assert n_interpreted - FRAMES_EARLY <= n_compiled <= n_interpreted


def test_inline_call_cells_count_too(fresh, compiled):
    interpreted, jitted = _pair(fresh, compiled, RECURSIVE, direct_calls="inline")
    n_interpreted, _ = first_failing(interpreted, 150)
    n_compiled, message = first_failing(jitted, 150)
    assert message == "maximum recursion depth exceeded"
    assert n_interpreted - FRAMES_EARLY <= n_compiled <= n_interpreted


def test_the_default_limit_stops_runaway_recursion(fresh, compiled):
    runaway = fresh("def down(n):\n    return down(n + 1)\n", "down")
    compiled(runaway)
    for _ in range(3):
        before = interpreter.recursion_remaining()
        with pytest.raises(RecursionError, match="^maximum recursion depth exceeded$"):
            runaway(0)
        assert interpreter.recursion_remaining() == before


def test_the_count_is_balanced_after_returns(fresh, compiled):
    _, jitted = _pair(fresh, compiled, MUTUAL)
    before = interpreter.recursion_remaining()
    for n in (0, 1, 50, 300):
        assert jitted(n) == n
        assert interpreter.recursion_remaining() == before


def test_a_raised_limit_allows_deeper_recursion(fresh, compiled):
    _, jitted = _pair(fresh, compiled, RECURSIVE)
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(3000)
    try:
        assert jitted(2500) == 2500
    finally:
        sys.setrecursionlimit(previous)
    with pytest.raises(RecursionError):
        jitted(2500)


PICKLED = """
import pickle

class Node:
    def __reduce__(self):                # (functools.partial's, in Python)
        return list, (self.inner,), (self.inner, self.args, self.kw or None,
                                     self.__dict__ or None)

def f(limit):
    node = Node()
    node.inner, node.args, node.kw = node, (), {}
    return pickle.dumps(node)            # node.inner is node: pickling recurses in C
"""


def test_c_recursion_through_compiled_code_raises_recursion_error(fresh, compiled):
    # The pickler recurses in C through the compiled __reduce__, so the limit
    # is reached at whatever call of its comes next: a helper's, or its
    # ctypes argument conversion (a C call too), which ctypes reports as an
    # ArgumentError: a RecursionError as well (test_functools'
    # test_recursive_pickle).
    f = fresh(PICKLED, "f")
    compiled(f.__globals__["Node"].__reduce__)
    previous = sys.getrecursionlimit()
    # Where C recursion is measured on the stack (3.14) the pickler goes as
    # deep as the stack allows whatever the limit (some 20,000 levels), and
    # pyjit's entry raises before its callbacks would lack room (tstate.py).
    limits = (60, 1000) if tstate.C_STACK_MEASURED else range(60, 160)
    try:
        for limit in limits:
            sys.setrecursionlimit(limit)
            with pytest.raises(RecursionError):
                f(limit)
    finally:
        sys.setrecursionlimit(previous)


def test_compiled_code_near_the_c_recursion_limit_never_faults(fresh, compiled):
    # Reading a list's items on fresh pages runs the memory hook, a callback
    # entered from C that counts on the C counter: near the limit the call
    # raises RecursionError (before it runs, or in a helper) or returns,
    # never an EmulationFault from a hook that could not run.
    counter = tstate.c_recursion_counter()
    if counter is None:
        pytest.skip("one counter counts C and Python recursion on this version")
    g = compiled(fresh("def g(x):\n    return x[5]\n", "g"))
    assert g([7] * 10) == 7
    saved = counter.value
    outcomes = set()
    for room in range(0, 3 * tstate.C_CALLBACK_RESERVE):
        big = [7] * (1 << 20)                # items on pages compiled code never read
        counter.value = room
        try:                                 # (no C call before the counter is back)
            result = g(big)
        except RecursionError:
            result = "RecursionError"
        finally:
            counter.value = saved
        outcomes.add(result)
    assert outcomes == {7, "RecursionError"}


# -- at the lowest limit the interpreter allows (test_exceptions'
# test_recursion_in_except_handler) --------------------------------------------

LOWEST = """
import sys

def depth():
    # the depth sys.setrecursionlimit sees from here (one more than ours)
    try:
        sys.setrecursionlimit(1)
    except RecursionError as exc:
        return int(str(exc).split()[-6].rstrip(":"))

def gen():
    yield depth()

def in_generator():
    return next(gen())

def lower_then_call(limit):
    # the limit lowered to `limit` here, then a C call (its call site's
    # first run: the cache fills run too) and a return
    try:
        sys.setrecursionlimit(limit)
    except RecursionError:
        return "refused"
    try:
        sys.setrecursionlimit(1000)
    except RecursionError:
        return "failed"
    return "ok"

def set_relative_recursion_limit(n):
    depth = 1
    while True:
        try:
            sys.setrecursionlimit(depth)
        except RecursionError:
            depth += 1
        else:
            break
    sys.setrecursionlimit(depth + n)

def recurse_in_except():
    try:
        1/0
    except:
        recurse_in_except()

def relative(n):
    previous = sys.getrecursionlimit()
    try:
        set_relative_recursion_limit(n)
        try:
            recurse_in_except()
        except RecursionError:
            return "RecursionError"
    finally:
        sys.setrecursionlimit(previous)
"""


def _lowest(fresh, compiled, name, compile_all):
    """LOWEST's function `name`, with every function of it compiled if
    compile_all (the generator too)."""
    ns_f = fresh(LOWEST, name)
    if compile_all:
        compiled(*(v for k, v in ns_f.__globals__.items()
                   if callable(v) and getattr(v, "__module__", None) == "semantics_case"))
    return ns_f


@pytest.mark.parametrize("name", ["depth", "in_generator"])
def test_c_code_sees_the_interpreters_depth(name, fresh, compiled):
    # A compiled function's (a generator body's) activation costs the
    # recursion count what the interpreted one does, for C code it calls.
    interpreted = _lowest(fresh, compiled, name, False)
    jitted = _lowest(fresh, compiled, name, True)
    assert jitted() == interpreted()


def test_a_c_call_after_lowering_the_limit_to_the_depth(fresh, compiled):
    # At the lowest limit sys.setrecursionlimit accepts, the interpreter can
    # still make a C call: so can compiled code, whose helpers' own Python
    # frames (the binding's, a cache fill's) have room of their own, and
    # the function returns.
    def outcomes(f, base):
        got = []
        for extra in range(0, 5):
            got.append(f(base + extra))
            sys.setrecursionlimit(1000)
        return got
    interpreted = _lowest(fresh, compiled, "lower_then_call", False)
    depth = interpreted.__globals__["depth"]()
    expected = outcomes(interpreted, depth)
    assert "ok" in expected and "refused" in expected
    previous = sys.getrecursionlimit()
    try:
        for _ in range(2):      # the first run fills the caches, the second does not
            jitted = _lowest(fresh, compiled, "lower_then_call", True)
            assert outcomes(jitted, depth) == expected
    finally:
        sys.setrecursionlimit(previous)


def test_recursion_in_except_handler_near_the_limit(fresh, compiled):
    previous = sys.getrecursionlimit()
    jitted = _lowest(fresh, compiled, "relative", True)
    for n in (4, 10):
        assert jitted(n) == "RecursionError"
        assert sys.getrecursionlimit() == previous
