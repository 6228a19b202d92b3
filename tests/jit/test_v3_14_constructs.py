"""What 3.14's bytecode brings, compiled and run against the interpreter:
`with` and `async with` through LOAD_SPECIAL (and their errors' wording),
`async for` (END_ASYNC_FOR's oparg is no jump), CALL_FUNCTION_EX's
keyword slot, template strings, LOAD_COMMON_CONSTANT, lazy annotations, a
function reading its frame (its slots are tagged stack refs), and the order
a frame's locals are released in.  The sources are compiled at run time:
t-strings do not parse before 3.14."""

from __future__ import annotations

import asyncio
import sys
import textwrap

import pytest

import pyjit.jit as jit

pytestmark = pytest.mark.skipif(sys.version_info[:2] < (3, 14), reason="CPython 3.14's bytecode")

SOURCE = '''
class Manager:
    def __init__(self, log, swallow=False):
        self.log, self.swallow = log, swallow
    def __enter__(self):
        self.log.append("enter")
        return self
    def __exit__(self, tp, value, tb):
        self.log.append(("exit", tp and tp.__name__))
        return self.swallow

class NoExit:
    def __enter__(self):
        return self

class AsyncOnly:
    async def __aenter__(self):
        return self
    async def __aexit__(self, *exc):
        return False

class Noted:
    def __init__(self, log, name):
        self.log, self.name = log, name
    def __del__(self):
        self.log.append("del " + self.name)

def helper(*args, **kwargs):
    return args, sorted(kwargs.items())

def with_statement(log, fail, swallow):
    with Manager(log, swallow) as m:
        log.append("body")
        if fail:
            raise ValueError("boom")
    return m is not None

def with_a_manager(mgr):
    with mgr:
        return 1

def star_calls(args, kwargs):
    return helper(*args), helper(*args, **kwargs), helper(1, *args, k=2), helper(**kwargs)

def template(x, y):
    t = t"a{x!r:>5}b{y}c{x=}"
    return t.strings, [(i.value, i.expression, i.conversion, i.format_spec)
                       for i in t.interpolations], t"".strings

def assertion(x):
    assert x, "no x"
    return all(v > 0 for v in [x, 2]), any(v < 0 for v in [x])

def annotated(x):
    def inner(a: int, b: "later") -> list[int]:
        return [a, b]
    return inner(x, 2), inner.__annotations__

def frame_reader(a, b):
    c = a + b
    return sorted(locals().items())

def releases(log):
    first = Noted(log, "first")
    second = Noted(log, "second")
    log.append("body")
    return 0

def subscripts(seq, i):
    return seq[i], seq[-1], seq[1:]

class AsyncManager:
    def __init__(self, log, swallow):
        self.log, self.swallow = log, swallow
    async def __aenter__(self):
        self.log.append("aenter")
        return self
    async def __aexit__(self, tp, value, tb):
        self.log.append(("aexit", tp and tp.__name__))
        return self.swallow

class Ticks:
    def __init__(self, n):
        self.n = n
    def __aiter__(self):
        return self
    async def __anext__(self):
        self.n -= 1
        if self.n < 0:
            raise StopAsyncIteration
        return self.n

async def async_with(log, fail, swallow):
    async with AsyncManager(log, swallow) as m:
        log.append("body")
        if fail:
            raise ValueError("boom")
    return m is not None

async def async_with_a_manager(mgr):
    async with mgr:
        return 1

async def async_for(n):
    out = []
    async for value in Ticks(n):
        out.append(value)
    async for value in agen(n):
        out.append(value)
    return out, [v async for v in agen(2)]

async def agen(n):
    for i in range(n):
        yield i * 10

async def awaits(x):
    return await x

def genexp(xs):
    return sum(x * x for x in xs), list(x for x in xs if x)
'''

CASES = {
    "with_statement": [([], False, False), ([], True, True), ([], True, False)],
    "with_a_manager": [("NoExit()",), ("AsyncOnly()",), ("1",)],
    "star_calls": [((1, 2), {"a": 3}), ([], {})],
    "template": [(1, "é"), ([2], None)],
    "assertion": [(1,), (0,), (-1,)],
    "annotated": [(1,)],
    "frame_reader": [(1, 2), ("a", "b"), ([1], [2])],
    "releases": [([],)],
    "subscripts": [([1, 2, 3], 0), ((4, 5), 1), ("xyz", 9)],
    "genexp": [([1, 0, 3],), ([],)],
}
# Coroutines, run by asyncio.run; the async generator agen is compiled with them.
ASYNC_CASES = {
    "async_with": [([], False, False), ([], True, True), ([], True, False)],
    "async_with_a_manager": [("NoExit()",), ("Manager([])",), ("1",)],
    "async_for": [(3,), (0,)],
    "awaits": [("1",), ("Ticks(1)",)],
}


def run(fn, args):
    try:
        return "returned", fn(*args), args
    except Exception as exc:
        return "raised", type(exc).__name__, str(exc), args


@pytest.fixture
def namespaces():
    made = []

    def make():
        namespace = {"__name__": "v3_14_case"}
        exec(compile(textwrap.dedent(SOURCE), "<v3_14>", "exec"), namespace)
        made.append(namespace)
        return namespace

    yield make
    for namespace in made:
        for value in namespace.values():
            if callable(value) and getattr(value, "__module__", None) == "v3_14_case":
                jit.force_uncompile(value)


@pytest.mark.parametrize("name", CASES)
def test_compiled_matches_the_interpreter(name, namespaces):
    interpreted, jitted = namespaces(), namespaces()
    assert jit.force_compile(jitted[name]), jit.refusal_reason(jitted[name])
    for args in CASES[name]:
        for _ in range(2):
            a = [eval(x, interpreted) if name == "with_a_manager" else x for x in args]
            b = [eval(x, jitted) if name == "with_a_manager" else x for x in args]
            if name in ("with_statement", "releases"):
                a, b = [list(a[0])] + a[1:], [list(b[0])] + b[1:]
            got, expected = run(jitted[name], b), run(interpreted[name], a)
            if name == "with_a_manager":
                got, expected = got[:3], expected[:3]
            assert got == expected


def test_the_context_manager_errors_name_the_missing_method(namespaces):
    ns = namespaces()
    jit.force_compile(ns["with_a_manager"])
    with pytest.raises(TypeError, match=r"'v3_14_case\.NoExit' object does not support the context "
                                        r"manager protocol \(missed __exit__ method\)$"):
        ns["with_a_manager"](ns["NoExit"]())
    with pytest.raises(TypeError, match="Did you mean to use 'async with'"):
        ns["with_a_manager"](ns["AsyncOnly"]())


@pytest.mark.parametrize("name", ASYNC_CASES)
def test_compiled_coroutines_match_the_interpreter(name, namespaces):
    interpreted, jitted = namespaces(), namespaces()
    for fn in (jitted[name], jitted["agen"]):
        assert jit.force_compile(fn), jit.refusal_reason(fn)

    def outcome(ns, args):
        args = [eval(x, ns) if isinstance(x, str) else x for x in args]
        args = [list(a) if isinstance(a, list) else a for a in args]
        try:
            return "returned", asyncio.run(ns[name](*args)), args[:1] if name == "async_with" else ()
        except Exception as exc:
            return "raised", type(exc).__name__, str(exc).replace("v3_14_case.", "")
    for args in ASYNC_CASES[name]:
        assert outcome(jitted, args) == outcome(interpreted, args)
