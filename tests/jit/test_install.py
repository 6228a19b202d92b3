"""Trampoline installation: every existing reference reaches the entry,
with every parameter slot bound by the interpreter; what tools read of the
code object is the original's; a Failure is re-raised as it is."""

from __future__ import annotations

import functools
import inspect
import sys
import traceback

import pytest

from pyjit.cpython.errstate import Failure
from pyjit.install import (entry_of, install, is_installed, original_code, shadow, split_slots,
                           uninstall)


def make_counter():
    calls = []

    def entry(*slots):
        calls.append(slots)
        return ("entry", slots)
    return entry, calls


def plain(a, b=2, *, c=3):
    return a + b + c


def test_module_reference_and_shadow():
    entry, calls = make_counter()
    saved = plain.__code__
    install(plain, entry)
    try:
        assert plain(1, c=5) == ("entry", (1, 2, 5))     # defaults bound first
        assert shadow(plain)(1, c=5) == 8      # the interpreted original
        assert is_installed(plain) and entry_of(plain) is entry
        assert original_code(plain) is saved
        assert plain.__code__.co_name == "plain" and plain.__qualname__ == "plain"
    finally:
        uninstall(plain)
    assert plain(1) == 6 and not is_installed(plain) and plain.__code__ is saved


def test_closures_keep_their_cells():
    def outer():
        x, y = 10, 20

        def inner(z):
            return x + y + z
        return inner
    inner = outer()
    entry, _ = make_counter()
    install(inner, entry)
    assert inner.__code__.co_freevars == ("x", "y")
    assert inner(1) == ("entry", (1,))
    assert shadow(inner)(1) == 31
    uninstall(inner)
    assert inner(1) == 31


def test_names_that_are_not_identifiers():
    # Names no source can spell (a compiler's `.0`, an assertion rewriter's
    # `@py_assert1`) in the parameters, the locals and the free variables.
    def outer():
        x = 10

        def inner(a, b):
            c = a + b
            return x + c
        return inner
    inner = outer()
    code = inner.__code__
    inner.__code__ = code.replace(co_varnames=(".0", "@b", "@py_assert1"),
                                  co_freevars=("@x",))
    assert inner(1, 2) == 13
    entry, calls = make_counter()
    install(inner, entry)
    try:
        assert inner.__code__.co_varnames[:3] == (".0", "@b", "@py_assert1")
        assert inner.__code__.co_freevars == ("@x",)
        assert inner(1, 2) == ("entry", (1, 2))
        assert shadow(inner)(1, 2) == 13
    finally:
        uninstall(inner)
    assert inner(1, 2) == 13


def test_methods_bound_methods_and_partials():
    class C:
        def m(self, k):
            return k * 2
    obj = C()
    bound = obj.m
    part = functools.partial(C.m, obj)
    entry, calls = make_counter()
    install(C.m, entry)
    try:
        assert bound(3)[0] == "entry"
        assert part(3)[0] == "entry"
        assert obj.m(4) == ("entry", (obj, 4))
    finally:
        uninstall(C.m)
    assert bound(3) == 6


def test_reinstall_keeps_the_first_original():
    def f():
        return 1
    original = f.__code__
    install(f, lambda: 2)
    install(f, lambda: 3)
    assert f() == 3 and original_code(f) is original
    uninstall(f)
    assert f() == 1


def test_exceptions_propagate_from_the_entry():
    def f(x):
        return x

    def entry(x):
        raise ZeroDivisionError("from the entry")
    install(f, entry)
    with pytest.raises(ZeroDivisionError, match="from the entry"):
        f(1)
    uninstall(f)


def wide(a, /, b, c=3, *rest, d, e=5, **more):
    total = a + b
    return total


def test_what_tools_read_is_the_original():
    saved = wide.__code__
    before = (inspect.signature(wide), saved.co_varnames, saved.co_argcount,
              saved.co_posonlyargcount, saved.co_kwonlyargcount, saved.co_flags & 0x0C,
              saved.co_name, saved.co_qualname, saved.co_filename, saved.co_firstlineno)
    install(wide, lambda *slots: slots)
    try:
        code = wide.__code__
        assert code is not saved
        after = (inspect.signature(wide), code.co_varnames, code.co_argcount,
                 code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags & 0x0C,
                 code.co_name, code.co_qualname, code.co_filename, code.co_firstlineno)
        assert after == before
        slots = wide(1, 2, 9, 10, d=4, z=6)
        assert slots == (1, 2, 9, 4, 5, (10,), {"z": 6})
        assert split_slots(saved, slots) == ((1, 2, 9, 10), {"d": 4, "e": 5, "z": 6})
        with pytest.raises(TypeError, match=r"wide\(\) missing 1 required keyword-only"):
            wide(1, 2)
    finally:
        uninstall(wide)


def test_a_failure_is_reraised_with_its_traceback_and_context():
    def boom():
        raise KeyError("k")
    try:
        boom()
    except KeyError as exc:
        failure = Failure(exc)
    failure.exc.__context__ = context = ValueError("kept")
    kept_tb = failure.exc.__traceback__

    def f(x):
        return x
    install(f, lambda x: failure)
    try:
        try:
            raise OSError("handled by the caller")
        except OSError:
            with pytest.raises(KeyError) as info:
                f(1)
        # No entry for the trampoline, and RERAISE chains nothing.
        assert info.value.__traceback__.tb_next is kept_tb
        assert info.value.__context__ is context
        names = [s.name for s in traceback.extract_tb(info.value.__traceback__)]
        assert names[-1] == "boom" and "f" not in names
    finally:
        uninstall(f)


def test_an_entry_copied_by_update_wrapper_is_not_the_wrappers():
    # functools.update_wrapper copies the wrapped function's __dict__, and
    # with it the original code pyjit keeps there: the wrapper must not take
    # it for its own (its shadow, its uninstall, its compile would run the
    # wrapped function's code with the wrapper's closure).
    from pyjit import install as installing
    from pyjit import jit

    def wrapped(i):
        return "abc"[i]

    assert jit.force_compile(wrapped)
    try:
        def make(user_function):
            hits = [0]

            def wrapper(*args, **kwds):
                hits[0] += 1
                return user_function(*args, **kwds)
            return functools.update_wrapper(wrapper, user_function)

        wrapper = make(wrapped)
        code = wrapper.__code__
        assert "__pyjit_original_code__" in wrapper.__dict__      # copied
        assert not installing.is_installed(wrapper)
        assert installing.original_code(wrapper) is code
        installing.uninstall(wrapper)
        assert wrapper.__code__ is code
        assert jit.force_compile(wrapper), jit.refusal_reason(wrapper)
        try:
            assert [wrapper(i) for i in range(3)] == ["a", "b", "c"]
            try:
                wrapper(3)
            except IndexError as exc:
                assert exc.__context__ is None
            else:
                raise AssertionError("no IndexError")
        finally:
            jit.force_uncompile(wrapper)
        assert wrapper.__code__ is code
    finally:
        jit.force_uncompile(wrapped)
