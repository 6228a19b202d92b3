"""Named locals live as long as in the interpreter.

A value held by a named local (co_varnames, and cell variables) is released
when the name is rebound or deleted, or when the function returns, in slot
order, exactly as CPython's frame does it: not after its last use.  Code
relies on it (a TemporaryDirectory removed when its name goes away, a
weakref callback, `__del__`).  Each case runs the same source interpreted
and compiled and compares the order of events: the function's own and the
finalizers'.  Leaving by an exception differs by design: CPython's frame
(and its locals) stay alive with the traceback until the caller lets the
exception go; compiled code has no frame object and releases them as the
exception leaves (still after everything the function did).
"""

from __future__ import annotations

import os
import tempfile
import weakref

import pytest
from conftest import is_unicorn
from semantics_support import compiled, fresh  # noqa: F401  (fixtures)

from pyjit.hir.build import compile_hir
from pyjit.hir.interp import run as run_hir


class Noted:
    """Logs `del <name>` when it is finalized."""

    def __init__(self, log, name):
        self.log, self.name = log, name

    def __del__(self):
        self.log.append(f"del {self.name}")


CASES = {
    "return": """
        def f(log):
            a = Noted(log, "a")
            b = Noted(log, "b")
            log.append("body")
            return 0
    """,
    "rebind": """
        def f(log):
            a = Noted(log, "a1")
            log.append("one")
            a = Noted(log, "a2")
            log.append("two")
            a = None
            log.append("three")
            return 0
    """,
    "del": """
        def f(log):
            a = Noted(log, "a")
            b = Noted(log, "b")
            log.append("before del")
            del a
            log.append("after del")
            return 0
    """,
    "unused after a call": """
        def f(log):
            a = Noted(log, "a")
            g = len(log)
            log.append("body")
            return g
    """,
    "loop variable": """
        def f(log):
            for item in [Noted(log, "x"), Noted(log, "y")]:
                log.append("iteration")
            log.append("after the loop")
            return 0
    """,
    "loop keeps an untouched local": """
        def f(log):
            keep = Noted(log, "keep")
            n = 0
            while n < 3:
                log.append("round")
                n += 1
            log.append("done")
            return n
    """,
    "cell variable": """
        def f(log):
            a = Noted(log, "a")
            def inner():
                return a
            log.append("body")
            return 0
    """,
    "returned local": """
        def f(log):
            a = Noted(log, "a")
            b = Noted(log, "b")
            return b
    """,
    "del one of an unpacked pair": """
        def f(log):
            a, b = [Noted(log, "a"), Noted(log, "b")]
            log.append("unpacked")
            del a
            log.append("after del")
            return 0
    """,
    "rebind one of an unpacked tuple": """
        def f(log):
            a, b = tuple([Noted(log, "a"), Noted(log, "b")])
            log.append("unpacked")
            b = None
            log.append("after rebind")
            return 0
    """,
    "unpacking loop": """
        def f(log):
            for a, b in [(Noted(log, "a1"), Noted(log, "b1")), (Noted(log, "a2"), 0)]:
                log.append("iteration")
                a = None
                log.append("a dropped")
            log.append("after the loop")
            return 0
    """,
    "branches": """
        def f(log, flag):
            a = Noted(log, "a")
            if flag:
                a = Noted(log, "other")
                log.append("flag")
            else:
                log.append("no flag")
            log.append("end")
            return 0
    """,
}

ARGS = {"branches": [(True,), (False,)]}


def _events(fn, *args):
    log = []
    result = fn(log, *args)
    log.append(f"returned {type(result).__name__}")
    del result
    log.append("result dropped")
    return log


@pytest.mark.parametrize("case", CASES)
def test_locals_are_released_where_the_interpreter_releases_them(case, fresh, compiled):
    interpreted = fresh(CASES[case], "f", Noted=Noted)
    jitted = compiled(fresh(CASES[case], "f", Noted=Noted))
    for args in ARGS.get(case, [()]):
        for _ in range(2):
            assert _events(jitted, *args) == _events(interpreted, *args)


@pytest.mark.parametrize("case", CASES)
def test_the_ledger_checks_the_reference_counting(case, fresh):
    # The HIR interpreter's ownership ledger raises LedgerError on a leak,
    # a double release or a use after the last release.
    fn = fresh(CASES[case], "f", Noted=Noted)
    func = compile_hir(fn)
    for args in ARGS.get(case, [()]):
        expected = fn([], *args)
        assert type(run_hir(func, fn, [], *args, check_refcounts=True)) is type(expected)


# A generator's frame holds its parameters and locals across suspensions:
# rebinding one releases the old value there, not when the generator
# next suspends or finishes (the compiled body takes them from its saved
# state: hir/ops_gen.py ResumeValue; Lib/test test_contextlib's
# test_nokeepref).
GENERATOR_CASES = {
    "rebind a parameter": """
        def f(log, p):
            log.append("started")
            p = None
            log.append("p rebound")
            yield 1
            log.append("resumed")
    """,
    "rebind a parameter after a yield": """
        def f(log, p):
            yield 1
            p = None
            log.append("p rebound")
            yield 2
    """,
    "rebind a local after a yield": """
        def f(log, p):
            a = Noted(log, "a")
            yield 1
            a = None
            log.append("a rebound")
            yield 2
            log.append("end")
    """,
    "del a local after a yield": """
        def f(log, p):
            a = Noted(log, "a")
            b = Noted(log, "b")
            yield 1
            del b
            log.append("b deleted")
            yield 2
    """,
    "a local kept across yields": """
        def f(log, p):
            keep = Noted(log, "keep")
            for i in range(2):
                yield i
                log.append("resumed")
            log.append("end")
    """,
}


def _generator_events(fn):
    log = []
    gen = fn(log, Noted(log, "p"))
    for value in gen:
        log.append(f"yielded {value}")
    log.append("exhausted")
    del gen
    log.append("generator dropped")
    return log


@pytest.mark.parametrize("case", GENERATOR_CASES)
def test_a_generators_locals_are_released_where_the_interpreter_releases_them(
        case, fresh, compiled):
    interpreted = fresh(GENERATOR_CASES[case], "f", Noted=Noted)
    jitted = compiled(fresh(GENERATOR_CASES[case], "f", Noted=Noted))
    for _ in range(2):
        assert _generator_events(jitted) == _generator_events(interpreted)


TEMPDIR = """
def f():
    tmp = tempfile.TemporaryDirectory()
    with open(tmp.name + "/x", "w") as out:
        out.write("kept")
    with open(tmp.name + "/x") as back:
        return back.read(), os.path.isdir(tmp.name)
"""


def test_a_temporary_directory_lives_while_its_name_does(fresh, compiled):
    f = compiled(fresh(TEMPDIR, "f", tempfile=tempfile, os=os))
    for _ in range(3):
        assert f() == ("kept", True)


WEAKREF = """
def f(log):
    target = Noted(log, "target")
    ref = weakref.ref(target, lambda r: log.append("callback"))
    log.append("made")
    log.append(ref() is target)
    return 0
"""


def test_a_weakref_callback_runs_when_the_function_ends(fresh, compiled):
    interpreted = fresh(WEAKREF, "f", Noted=Noted, weakref=weakref)
    jitted = compiled(fresh(WEAKREF, "f", Noted=Noted, weakref=weakref))
    assert _events(jitted) == _events(interpreted)


RAISING = """
def f(log):
    held = Noted(log, "held")
    log.append("body")
    for n in range(3):
        log.append(n)
    raise ValueError("out")
"""

LOOPING = """
def f(log, limit):
    held = Noted(log, "held")
    n = 0
    while True:
        n += 1
        log.append(n)
        if n == limit:
            raise ValueError("out")
"""


@pytest.mark.parametrize("source,args", [(RAISING, ()), (LOOPING, (3,))], ids=["raise", "loop"])
def test_leaving_by_an_exception_releases_the_locals_after_everything_else(
        source, args, fresh, compiled):
    f = compiled(fresh(source, "f", Noted=Noted))
    log = []
    with pytest.raises(ValueError):
        try:
            f(log, *args)
        finally:
            log.append("left")
    assert log[-2:] == ["del held", "left"]
    assert log.index("del held") == len(log) - 2          # nothing of f's after it


# -- finalizers that call compiled code, run by a collection anywhere -------------------
# A collection may start at any allocation, the engine's own included, and
# run finalizers that call compiled functions: also while a thread's
# outermost entry is being set up or torn down (runtime/collector.py).

ADD = """
def add(a, b):
    return a + b
"""


def test_a_collection_due_while_an_entry_is_set_up_waits_for_the_code(fresh, compiled, engine,
                                                                      monkeypatch):
    import gc
    add = compiled(fresh(ADD, "add"))
    inner = compiled(fresh(ADD, "add"))
    results = []

    class Cycle:
        def __del__(self):
            results.append(inner(20, 1))

    threshold = gc.get_threshold()

    def then_allocate(step):
        # a step of the entry's set-up, after it took its stack and before
        # the code runs: an allocation there makes the collection that is
        # due run, unless the engine paused the collector
        def step_then_allocate(*args):
            result = step(*args)
            gc.set_threshold(1)
            _ = [[], [], []]
            gc.set_threshold(*threshold)
            return result
        return step_then_allocate

    gc.collect()
    if is_unicorn(engine):
        monkeypatch.setattr(engine, "_begin", then_allocate(engine._begin))
    else:
        from pyjit.cpython import frames
        monkeypatch.setattr(frames, "innermost", then_allocate(frames.innermost))
    try:
        for i in range(10):
            c = Cycle()
            c.self = c
            del c
            assert add(i, 2) == i + 2
    finally:
        monkeypatch.undo()
        gc.set_threshold(*threshold)
    gc.collect()
    assert results == [21] * 10
