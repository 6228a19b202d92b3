"""Machine code shared by the function objects made from one code object
(pyjit/sharing.py): a generator expression or closure made again and again
compiles once, under autojit too, and its code is loaded once; functions
of the same code with different closures or defaults give their own
results, different globals get code of their own; the code goes when the
last function and the last suspended generator using it are gone (idle
code a process-wide mode kept: when the mode stops)."""

from __future__ import annotations

import gc
import types

import pytest

from pyjit import autojit, jit, sharing

from autojit_support import make as make_in, mode_off, stop  # noqa: F401  (mode_off: a fixture)


def make(source: str, name: str, namespace: dict | None = None):
    return make_in(source, name, namespace, module="sharing_case")


def loaded_named(suffix: str) -> list:
    return [code for code in jit.get_engine().loaded if code.name.endswith(suffix)]


LOOPS = """
    def work(n):
        total = 0
        for i in range(n):
            total += sum(x * i for x in range(3))
            total += (lambda y: y + i)(1)
            def add(z):
                return z + i
            total += add(2)
        return total
    """


def test_a_generator_expression_in_a_loop_compiles_once(mode_off):
    work = make(LOOPS, "work")
    expected = work(300)
    mode = autojit.start(1, patterns=["sharing_case:*"])
    got = work(300)
    stop()
    assert got == expected
    # work, the generator expression, the lambda and add: compiled once each;
    # every later function of the same code installed the code loaded first
    assert mode.compilations == 4, mode.compiled_names
    assert mode.shared_installs == 3 * 299
    assert mode.refused == {}


def test_closures_made_a_thousand_times_share_one_body(mode_off):
    outer = make("""
        def outer(k):
            def add(x):
                return x + k
            return add(1)
        """, "outer")
    mode = autojit.start(1, patterns=["sharing_case:*"])
    assert [outer(k) for k in range(10)] == [k + 1 for k in range(10)]
    gc.collect()
    loaded = len(jit.get_engine().loaded)
    assert [outer(k) for k in range(1000)] == [k + 1 for k in range(1000)]
    gc.collect()
    assert len(jit.get_engine().loaded) == loaded        # the arena did not grow
    assert len(loaded_named("outer.<locals>.add")) == 1
    assert mode.compilations == 2 and mode.shared_installs == 1009
    stop()
    # the idle code the mode kept goes with the mode
    assert loaded_named("outer.<locals>.add") == []


def test_different_closures_and_defaults_share_the_code():
    maker = make("""
        def maker(k, d):
            def f(x, y=d, *, z=d * 2):
                return (x + k) * y + z
            return f
        """, "maker")
    functions = [maker(k, d) for k, d in [(1, 2), (10, 3), (100, 5)]]
    expected = [f(7) for f in functions] + [f(7, 1, z=0) for f in functions]
    ways = [jit.compile_installing(f) for f in functions]
    assert ways == ["compiled", "shared", "shared"]
    assert [f(7) for f in functions] + [f(7, 1, z=0) for f in functions] == expected
    assert len(loaded_named("maker.<locals>.f")) == 1
    for f in functions:
        jit.force_uncompile(f)
    assert loaded_named("maker.<locals>.f") == []      # no user left: unloaded


def test_different_globals_get_code_of_their_own():
    source = """
        SCALE = {scale}
        def f(x):
            return x * SCALE
        """
    f1 = make(source.format(scale=2), "f")
    f2 = types.FunctionType(f1.__code__, {"__name__": "sharing_case", "SCALE": 5}, "f")
    f3 = types.FunctionType(f1.__code__, f1.__globals__, "f")
    assert [jit.compile_installing(f) for f in (f1, f2, f3)] == ["compiled", "compiled", "shared"]
    assert (f1(3), f2(3), f3(3)) == (6, 15, 6)
    f1.__globals__["SCALE"] = 7                        # the shared code reads the dict
    assert (f1(3), f2(3), f3(3)) == (21, 15, 21)
    for f in (f1, f2, f3):
        jit.force_uncompile(f)


def test_a_generator_body_is_shared_and_freed_with_its_last_generator():
    maker = make("""
        def maker(k):
            def gen(n):
                for i in range(n):
                    yield i + k
                return k
            return gen
        """, "maker")
    g1, g2 = maker(100), maker(200)
    assert [jit.compile_installing(g) for g in (g1, g2)] == ["compiled", "shared"]
    a, b = g1(3), g2(3)
    assert (next(a), next(b), next(a), next(b)) == (100, 200, 101, 201)
    assert len(loaded_named("maker.<locals>.gen")) == 1
    # (a suspended generator's frame keeps its function alive)
    assert jit.force_uncompile(g1) and jit.force_uncompile(g2)
    # no function uses the body, but two suspended generators do
    assert len(loaded_named("maker.<locals>.gen")) == 1
    assert list(a) == [102]
    del a
    gc.collect()
    assert len(loaded_named("maker.<locals>.gen")) == 1
    with pytest.raises(StopIteration) as info:
        next(b), next(b)
    assert info.value.value == 200
    del b
    gc.collect()
    assert loaded_named("maker.<locals>.gen") == []


def test_idle_code_is_kept_within_the_limit(mode_off, monkeypatch):
    monkeypatch.setattr(sharing, "IDLE_LIMIT", 2)
    namespace = {"__name__": "sharing_case"}
    makers = [make(f"""
        def maker{i}(k):
            return lambda x: x + k + {i}
        """, f"maker{i}", namespace) for i in range(4)]
    mode = autojit.start(1, patterns=["sharing_case:*"])
    assert [m(1)(1) for m in makers] == [2, 3, 4, 5]
    gc.collect()
    # the four lambdas died: the last two used stay loaded, idle
    assert sharing.idle_count() == 2
    assert len(loaded_named("<lambda>")) == 2
    assert [m(1)(1) for m in makers[2:]] == [4, 5]
    assert mode.compilations == 8 and mode.shared_installs == 2
    stop()
    assert sharing.idle_count() == 0 and loaded_named("<lambda>") == []


def test_a_full_arena_drops_the_idle_code(mode_off):
    from pyjit.environment import settings
    try:
        small = jit.make_engine(settings().engine, code_arena_size=24 << 12)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    with small:
        namespace = {"__name__": "sharing_case"}
        makers = [make(f"""
            def maker{i}(k):
                return lambda x: x + k + {i}
            """, f"maker{i}", namespace) for i in range(40)]
        mode = autojit.start(1, patterns=["sharing_case:*<lambda>"], engine=small)
        assert [m(1)(1) for m in makers] == [i + 2 for i in range(40)]
        stop()
        assert mode.refused == {}, mode.refused


def test_functions_compiled_code_makes_start_compiled(mode_off):
    # A function whose code the mode compiled already, made by compiled
    # code, runs compiled from its first call: a generator expression's
    # first call is its only one, which the counting would leave in the
    # interpreter.
    outer = make("""
        def outer(k):
            def gen(n):
                for i in range(n):
                    yield i * k
            return gen
        """, "outer")
    mode = autojit.start(1, patterns=["sharing_case:*"])
    first = outer(1)
    assert not jit.is_jit_compiled(first)       # counted: compiled at its first call
    assert list(first(3)) == [0, 1, 2]
    made = [outer(k) for k in range(2, 6)]
    assert all(jit.is_jit_compiled(g) for g in made)
    assert [list(g(3)) for g in made] == [[0, k, 2 * k] for k in range(2, 6)]
    assert mode.compilations == 2 and mode.shared_installs == 4
    stop()


def test_an_evicted_idle_code_is_never_installed_again(monkeypatch):
    """An eviction (from a garbage collector callback, another thread) and
    an install of the same idle code: whichever takes it out of the idle
    codes first has it, and the install of an evicted code fails."""
    from collections import OrderedDict

    class Engine:
        def __init__(self):
            self.retired = []

        def retire(self, loaded, keep_alive=None):
            self.retired.append(loaded)
        unload = retire

    class Loaded:
        size = 4096

    class Compiled:
        consts: list = []

    def f():
        pass
    monkeypatch.setattr(sharing, "_idle", OrderedDict())
    monkeypatch.setattr(sharing, "_shared", {})
    monkeypatch.setattr(sharing, "_keeping", True)
    engine, loaded = Engine(), Loaded()
    shared = sharing.Shared(sharing.key_of(f, None, engine), f, Compiled(), engine, loaded,
                            generator=False, retained=True)
    sharing.register(shared)
    assert shared.acquire()
    shared.release(retire=True)
    assert shared.idle and sharing.idle_count() == 1 and engine.retired == []
    assert sharing.find(f, None, engine) is shared
    assert shared.acquire() and not shared.idle        # an install took it back
    shared.release(retire=True)
    assert sharing._take_oldest() is shared            # an eviction took it first
    assert not shared.acquire()
    shared.free(retire=True)
    assert engine.retired == [loaded] and sharing.find(f, None, engine) is None
