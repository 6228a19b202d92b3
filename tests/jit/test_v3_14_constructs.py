"""What 3.14's bytecode brings, compiled and run against the interpreter:
`with` through LOAD_SPECIAL (and its errors' wording), CALL_FUNCTION_EX's
keyword slot, template strings, LOAD_COMMON_CONSTANT, lazy annotations, a
function reading its frame (its slots are tagged stack refs), and the order
a frame's locals are released in.  The sources are compiled at run time:
t-strings do not parse before 3.14."""

from __future__ import annotations

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
