"""Functions of code a process-wide mode did not count ahead
(pyjit/unseen_code.py): code compiled from strings while the mode is on
(exec, eval, namedtuple, dataclasses) is found running and then counted
and compiled like any other; results against the interpreter's."""

from __future__ import annotations

import collections
import dataclasses
import gc
import sys

import pytest

from pyjit import autojit, install, jit

from autojit_support import mode_off, stop  # noqa: F401  (mode_off: a fixture)

MONITORING = hasattr(sys, "monitoring")


def settle() -> None:
    """Where each version's watch finds functions: 3.12+ at a frame's
    start (nothing to do), 3.11 at a collection of generation 1."""
    if not MONITORING:
        gc.collect(1)


def source_function(text: str, name: str, namespace: dict | None = None):
    namespace = {"__name__": "unseen_case"} if namespace is None else namespace
    exec(text, namespace)
    return namespace[name]


def test_a_function_exec_made_while_the_mode_is_on_is_compiled(mode_off):
    text = "def made(x):\n    return [x * i + 1 for i in range(4)]\n"
    expected = [source_function(text, "made")(i) for i in range(6)]
    mode = autojit.start(1)
    made = source_function(text, "made")
    assert made.__code__.co_filename == "<string>"
    got = []
    for i in range(6):
        got.append(made(i))
        settle()
    # 3.12+: its first call starts the code (found, counted as that call),
    # the second is compiled; 3.11: counted from the first collection on
    assert install.is_installed(made)
    assert got == expected
    assert mode.found_late >= 1
    assert "unseen_case:made" in mode.compiled_names
    stop()
    assert not install.is_installed(made) and made(3) == expected[3]


def test_namedtuple_and_dataclass_methods_are_compiled(mode_off):
    def program():
        Point = collections.namedtuple("Point", "x y")

        @dataclasses.dataclass(frozen=True)
        class Pair:
            a: int
            b: str = "b"

        out = []
        for i in range(5):
            p = Point(i, -i)
            q = Pair(i)
            out.append((p, p._replace(x=7), hash(q) == hash(Pair(i)), q == Pair(i, "b"),
                        repr(q)))
            settle()
        return out, Point, Pair

    expected, _, _ = program()
    autojit.start(1)
    got, Point, Pair = program()
    compiled = [install.is_installed(f) for f in
                (Point.__new__, Pair.__init__, Pair.__eq__, Pair.__hash__, Pair.__repr__)]
    stop()
    assert got == expected
    assert all(compiled), compiled


def test_functions_an_uncounted_parent_makes_are_found_one_by_one(mode_off):
    # dataclasses' way: a factory from a string, called once, whose nested
    # functions (made from its original code) are the methods
    text = ("def factory(k):\n"
            "    def add(x):\n"
            "        return x + k\n"
            "    return add\n")
    expected = [source_function(text, "factory")(k)(10) for k in range(4)]
    mode = autojit.start(1)
    factory = source_function(text, "factory")
    adders = [factory(k) for k in range(4)]
    got = []
    for _ in range(3):
        got = [add(10) for add in adders]
        settle()
    got = [add(10) for add in adders]
    assert got == expected
    assert all(install.is_installed(add) for add in adders)
    assert mode.compiled_names.get("unseen_case:factory.<locals>.add", 0) >= 1
    stop()


def test_pyjits_own_generated_methods_are_not_counted(mode_off):
    # (pyjit's dataclasses get methods from strings in its modules' globals)
    autojit.start(1)
    f = source_function("def own():\n    return 3\n", "own", {"__name__": "pyjit.case"})
    code = f.__code__
    for _ in range(3):
        assert f() == 3
        settle()
    assert not install.is_installed(f)
    assert f.__code__ is code                      # not counted either
    stop()


@pytest.mark.skipif(not MONITORING, reason="sys.monitoring is 3.12+")
def test_the_monitoring_tool_is_given_back_and_others_keep_their_events(mode_off):
    mon = sys.monitoring
    seen = []
    mon.use_tool_id(mon.COVERAGE_ID, "a program's tool")
    try:
        mon.register_callback(mon.COVERAGE_ID, mon.events.PY_START,
                              lambda code, offset: seen.append(code.co_name))
        mon.set_events(mon.COVERAGE_ID, mon.events.PY_START)
        mode = autojit.start(1)
        tool = mode.watch._impl.tool
        assert mon.get_tool(tool) == "pyjit"
        f = source_function("def watched_twice():\n    return 5\n", "watched_twice")
        assert f() == 5 and f() == 5
        assert install.is_installed(f)
        stop()
        assert mon.get_tool(tool) is None
        # the program's own tool saw the start of the interpreted call (the
        # compiled one has no frame)
        assert seen.count("watched_twice") >= 1
    finally:
        mon.set_events(mon.COVERAGE_ID, 0)
        mon.register_callback(mon.COVERAGE_ID, mon.events.PY_START, None)
        mon.free_tool_id(mon.COVERAGE_ID)


@pytest.mark.skipif(not MONITORING, reason="sys.monitoring is 3.12+")
def test_no_free_tool_id_is_said_and_the_mode_still_runs(mode_off):
    mon = sys.monitoring
    taken = [t for t in (mon.OPTIMIZER_ID, 4, 3) if mon.get_tool(t) is None]
    for t in taken:
        mon.use_tool_id(t, "a program's tool")
    try:
        mode = autojit.start(1)
        assert "tool id" in mode.watch_note
        f = source_function("def plain():\n    return 1\n", "plain")
        assert f() == 1 and f() == 1
        assert not install.is_installed(f)      # not found: stays interpreted
        stop()
    finally:
        for t in taken:
            mon.free_tool_id(t)


def test_a_refused_function_from_a_string_is_not_compiled_again(mode_off, monkeypatch):
    mode = autojit.start(1)
    f = source_function("def refused():\n    return 2\n", "refused")
    calls = []
    real = jit.compile_installing

    def counting(func, **kwargs):
        calls.append(func.__qualname__)
        return None                                # as a refusal does
    monkeypatch.setattr(jit, "compile_installing", counting)
    for _ in range(5):
        assert f() == 2
        settle()
    monkeypatch.setattr(jit, "compile_installing", real)
    assert calls.count("refused") == 1
    assert "unseen_case:refused" in mode.refused
    stop()
