"""The process-wide modes (pyjit/autojit.py): every function counted by a
prologue in a copy of its code, compiled on the N-th call of that code
(which then runs compiled), functions made later and modules imported
later included, pyjit's own code left alone, everything given back by
stop().  Results are checked against the same functions interpreted."""

from __future__ import annotations

import importlib
import sys
import textwrap
import threading
import traceback

import pytest

from pyjit import autojit, install, jit

from autojit_support import make, mode_off, stop  # noqa: F401  (mode_off: a fixture)


def test_compiled_on_the_nth_call_which_runs_compiled(mode_off):
    f = make("""
        def f(a, b=2, *rest, c=3, **more):
            return a * b + c + len(rest) + len(more)
        """, "f")
    expected = [f(i, 2, 9, c=1, z=0) for i in range(5)]
    original = f.__code__
    mode = autojit.start(threshold=3, patterns=["autojit_case:*"])
    assert f.__code__ is not original and install.original_code(f) is original
    got = []
    for i in range(5):
        got.append(f(i, 2, 9, c=1, z=0))
        assert jit.is_jit_compiled(f) == (i >= 2)
    assert got == expected
    assert f in mode.compiled_functions()
    # the compiled third call ran compiled code: its traceback names f's line
    # and no pyjit frame
    with pytest.raises(TypeError) as info:
        f("x", None)
    frames = traceback.extract_tb(info.value.__traceback__)
    assert [fr.name for fr in frames][-1] == "f"
    assert not any("pyjit" in fr.filename for fr in frames)


def test_functions_made_later_count_from_their_first_call(mode_off):
    outer = make("""
        def outer(n):
            def inner(x):
                return x + n
            squares = [inner(i) * i for i in range(n)]
            return sum(squares), (lambda y: y * n)(3)
        """, "outer")
    expected = [outer(n) for n in range(2, 7)]
    mode = autojit.start(threshold=2, patterns=["autojit_case:*"])
    assert [outer(n) for n in range(2, 7)] == expected
    # Each call of outer makes new inner, <listcomp> and <lambda> functions:
    # every one reaching its code's count is compiled, the later ones using
    # the machine code loaded for the first (the same code and globals).
    names = mode.compiled_names
    assert names["autojit_case:outer"] == 1
    assert names["autojit_case:outer.<locals>.inner"] == 5
    assert names["autojit_case:outer.<locals>.<lambda>"] == 4
    if sys.version_info < (3, 12):       # 3.12 inlines comprehensions into their parent
        assert names["autojit_case:outer.<locals>.<listcomp>"] == 4
    assert mode.refused == {}


def test_functions_made_and_compiled_at_each_call_leave_nothing_behind(mode_off):
    # pyperformance's chaos under autojit:1: Spline.__call__'s list
    # comprehension is a new function at each call, compiled at its first
    # (its code's count is used up) and dead when the call ends; the mode
    # kept a weak reference to every one of them, 400 more objects a call.
    import gc
    # (A lambda: 3.12 inlines comprehensions into their parent.)
    outer = make("""
        def outer(n):
            return (lambda i: i * n)(n)
        """, "outer")
    mode = autojit.start(threshold=1, patterns=["autojit_case:*"])
    for n in range(3):
        outer(n)
    gc.collect()
    before = len(gc.get_objects())
    got = [outer(n) for n in range(40)]
    gc.collect()
    grown = len(gc.get_objects()) - before
    stop()
    assert got == [n * n for n in range(40)]
    assert mode.compiled_names["autojit_case:outer.<locals>.<lambda>"] >= 40
    assert grown < 20, grown
    assert len(mode.compiled) <= 2


def test_a_parameter_held_in_a_cell_reaches_the_compiled_call(mode_off):
    f = make("""
        def f(a, b):
            return (lambda: a + b)()
        """, "f")
    autojit.start(threshold=1, patterns=["autojit_case:*"])
    assert f(2, 3) == 5 and jit.is_jit_compiled(f)
    assert f(4, 3) == 7


def test_modules_imported_later_are_counted(mode_off, tmp_path, monkeypatch):
    (tmp_path / "autojit_later_mod.py").write_text(textwrap.dedent("""
        def twice(x):
            return 2 * x
        class K:
            def m(self, y):
                return twice(y) + 1
        """))
    monkeypatch.syspath_prepend(str(tmp_path))
    autojit.start(threshold=2, patterns=["autojit_later_mod:*"])
    module = importlib.import_module("autojit_later_mod")
    try:
        k = module.K()
        assert [k.m(i) for i in range(4)] == [1, 3, 5, 7]
        assert jit.is_jit_compiled(module.twice) and jit.is_jit_compiled(module.K.m)
    finally:
        sys.modules.pop("autojit_later_mod", None)


def test_jitlist_patterns_select_by_module_and_qualname(mode_off):
    namespace = {"__name__": "jl_mod"}
    make("""
        def hot(x):
            return x + 1
        def cold(x):
            return x - 1
        class C:
            def hot_method(self):
                return hot(1)
        """, "hot", namespace)
    mode = autojit.start(1, ["jl_mod:hot", "*:C.*"])
    assert namespace["hot"](1) == 2 and namespace["cold"](1) == 0
    assert namespace["C"]().hot_method() == 2
    assert jit.is_jit_compiled(namespace["hot"])
    assert jit.is_jit_compiled(namespace["C"].hot_method)
    assert not jit.is_jit_compiled(namespace["cold"])
    assert install.original_code(namespace["cold"]) is namespace["cold"].__code__  # uncounted
    assert mode.refused == {}


def test_main_stands_for_the_programs_module(mode_off):
    namespace = {"__name__": "bm_prog"}
    f = make("def f(x):\n    return x * 3\n", "f", namespace)
    autojit.start(1, ["__main__:f"], main_module="bm_prog")
    assert f(2) == 6 and jit.is_jit_compiled(f)


def test_left_alone_and_pyjits_own_functions_are_not_counted(mode_off):
    import types
    other = types.ModuleType("left_alone_mod")
    f = make("def f(x):\n    return x\n", "f", other.__dict__)
    before = f.__code__
    # patterns that would select pyjit's functions and the module's, were
    # they counted
    autojit.start(threshold=1, patterns=["left_alone_mod:*", "pyjit*:*"], leave_alone=[other])
    try:
        assert f.__code__ is before
        assert f(1) == 1 and not jit.is_jit_compiled(f)
        # pyjit's own functions carry no counting prologue and are not compiled
        assert install.original_code(jit.is_jit_compiled) is jit.is_jit_compiled.__code__
        jit.is_jit_compiled(f)
        assert not jit.is_jit_compiled(jit.is_jit_compiled)
    finally:
        stop()


def test_stop_gives_every_function_its_code_back(mode_off):
    f = make("def f(x):\n    return x + 1\n", "f")
    g = make("def g(x):\n    return x + 2\n", "g")
    f_code, g_code = f.__code__, g.__code__
    autojit.start(threshold=2, patterns=["autojit_case:*"])
    f(1), f(2)                       # f compiled, g only counted
    assert jit.is_jit_compiled(f) and g.__code__ is not g_code
    autojit.stop()
    assert g.__code__ is g_code
    jit.force_uncompile(f)
    assert f.__code__ is f_code
    assert autojit.stop() is None


def test_generator_functions_are_compiled_or_refused_at_the_nth_call(mode_off):
    gen = make("""
        def gen(n):
            for i in range(n):
                yield i * i
        """, "gen")
    expected = [list(gen(n)) for n in range(5)]
    mode = autojit.start(threshold=2, patterns=["autojit_case:*"])
    assert [list(gen(n)) for n in range(5)] == expected
    assert jit.is_jit_compiled(gen) or "autojit_case:gen" in mode.refused


def test_threads_calling_counted_functions(mode_off):
    f = make("def f(x):\n    return x * 2\n", "f")
    autojit.start(threshold=50, patterns=["autojit_case:*"])
    results, errors = [], []

    def work():
        try:
            results.append(sum(f(i) for i in range(2000)))
        except Exception as exc:        # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == [2 * sum(range(2000))] * 4
    assert jit.is_jit_compiled(f)


def test_one_mode_at_a_time_and_bad_thresholds(mode_off):
    with pytest.raises(ValueError, match="threshold"):
        autojit.start(threshold=0)
    autojit.start(threshold=5, patterns=["autojit_case:*"])
    with pytest.raises(RuntimeError, match="on already"):
        autojit.start(threshold=5)
    stop()


def test_what_pyjit_calls_to_compile_is_neither_compiled_nor_counted(mode_off, monkeypatch):
    # force_compile reads the environment (os.environ's Mapping.get and
    # __getitem__) before it compiles: those calls count for nothing, and
    # nothing is compiled inside another compilation.
    monkeypatch.setenv("PYJIT_STRATEGY", "lazy-stub")
    f = make("def f(x):\n    return x + 1\n", "f")
    mode = autojit.start(threshold=1, patterns=["autojit_case:*", "os:*", "_collections_abc:*"])
    try:
        assert f(1) == 2 and jit.is_jit_compiled(f)
        assert set(mode.compiled_names) == {"autojit_case:f"}, mode.compiled_names
    finally:
        stop()


def test_the_result_of_a_compiled_call_is_not_asked_for_its_attributes(mode_off):
    # The counting tail and the trampoline tell a failure from a result by
    # its type: a result whose __getattribute__ (or __class__) does
    # something sees no access it did not see in the interpreter.
    namespace: dict = {}
    make("""
        class Watched:
            def __init__(self, log):
                object.__setattr__(self, "log", log)
            def __getattribute__(self, name):
                object.__getattribute__(self, "log").append(name)
                return object.__getattribute__(self, name)
        def same(x):
            return x
        """, "same", namespace)
    same, Watched = namespace["same"], namespace["Watched"]
    log: list = []
    w = Watched(log)
    autojit.start(threshold=1, patterns=["autojit_case:same"])
    try:
        got = [same(w) is w for _ in range(3)]      # the counted call, then compiled ones
        assert jit.is_jit_compiled(same)
    finally:
        stop()
    assert got == [True] * 3 and log == []


EXIT_SCRIPT = """\
import gc, collections
import pyjit.autojit as aj
def warm():
    class G:
        def __eq__(self, o): return False
    g = G(); g == g
aj.start(1)
warm()
before = gc.get_objects()       # everything kept until __main__ is finalized
ids = {id(o) for o in before}
new = [o for o in gc.get_objects() if id(o) not in ids]
print(collections.Counter(type(o).__name__ for o in new).most_common(3) is not None)
"""


def test_the_interpreter_exits_quietly_with_compiled_code_alive(tmp_path):
    # Caches and the int pool go away while the interpreter finalizes
    # pyjit's modules (their globals None by then): nothing to report.
    import os
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(autojit.__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    (tmp_path / "exiting.py").write_text(EXIT_SCRIPT)
    proc = subprocess.run([sys.executable, "exiting.py"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=600)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "True\n", "")


def test_the_compiling_call_counts_what_an_interpreted_call_does(mode_off):
    # The hook compiles with room of its own (a first call near the
    # recursion limit compiles, as the interpreter would just run it), and
    # the call it then makes sees the interpreter's depth.
    depth = make("""
        import sys
        def depth():
            try:
                sys.setrecursionlimit(1)
            except RecursionError as exc:
                return int(str(exc).split()[-6].rstrip(":"))
        """, "depth")
    near = make("""
        import sys
        def near(limit):
            sys.setrecursionlimit(limit)
            try:
                return first()
            finally:
                sys.setrecursionlimit(1000)
        def first():
            return [n for n in range(3)]
        """, "near")
    expected = depth()
    autojit.start(threshold=1, patterns=["autojit_case:depth"])
    got = [depth(), depth()]                 # the compiling call, a compiled one
    stop()
    assert got == [expected, expected] and expected is not None
    previous = sys.getrecursionlimit()
    here = depth() - 1                       # near's depth
    autojit.start(threshold=1, patterns=["autojit_case:*"])
    try:
        # 10 counts left in near: compiling first and its comprehension
        # takes the compiler far deeper than that
        assert near(here + 10) == [0, 1, 2]
        first = near.__globals__["first"]
        assert jit.is_jit_compiled(first), jit.refusal_reason(first)
    finally:
        stop()
        sys.setrecursionlimit(previous)


def test_a_first_call_through_the_hook_counts_no_pyjit_frame(mode_off):
    # compiled by its first call, which runs through pyjit's hook: the
    # frames it adds (and that of the counting code that called it) are not
    # counted by sys._getframe (pyjit/frame_view.py)
    outer = make("""
        import sys
        def who(n):
            return sys._getframe(n).f_code.co_name
        def outer(n):
            return who(n)
        """, "outer")
    expected = [outer(n) for n in (1, 2, 1)]
    autojit.start(threshold=1, patterns=["autojit_case:*"])
    got = [outer(n) for n in (1, 2, 1)]     # the first one through the hook
    stop()
    assert expected[0] == "outer"
    assert got == expected


def test_what_tools_read_of_counted_and_compiled_code_is_the_originals(mode_off):
    # inspect.getclosurevars reads co_names: neither the counting prologue
    # nor the trampoline adds a name to them or drops the original's.
    import inspect
    f = make("import os\ndef f(x):\n    return len(os.sep + x.upper())\n", "f")
    original = f.__code__
    expected = inspect.getclosurevars(f)
    assert expected.globals.keys() == {"os"} and expected.unbound == {"sep", "upper"}
    mode = autojit.start(threshold=2, patterns=["autojit_case:*"])
    try:
        assert f.__code__ is not original and f.__code__.co_names == original.co_names
        assert inspect.getclosurevars(f) == expected
        assert f("a") == f("b") == 2 and jit.is_jit_compiled(f)
        assert set(mode.compiled_names) == {"autojit_case:f"}
        assert f.__code__.co_names == original.co_names        # the trampoline's
        if sys.version_info < (3, 14):
            # (3.14's reads LOAD_GLOBAL and LOAD_ATTR instructions instead:
            # a compiled function's are its trampoline's, which has none)
            assert inspect.getclosurevars(f) == expected
    finally:
        stop()
