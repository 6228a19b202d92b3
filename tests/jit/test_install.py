"""Trampoline installation: every existing reference reaches the entry."""

from __future__ import annotations

import functools

import pytest

from pyjit.install import entry_of, install, is_installed, original_code, shadow, uninstall


def make_counter():
    calls = []

    def entry(args, kwargs):
        calls.append((args, kwargs))
        return ("entry", args, kwargs)
    return entry, calls


def plain(a, b=2, *, c=3):
    return a + b + c


def test_module_reference_and_shadow():
    entry, calls = make_counter()
    saved = plain.__code__
    install(plain, entry)
    try:
        assert plain(1, c=5) == ("entry", (1,), {"c": 5})
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
    assert inner(1) == ("entry", (1,), {})
    assert shadow(inner)(1) == 31
    uninstall(inner)
    assert inner(1) == 31


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
        assert obj.m(4) == ("entry", (obj, 4), {})
    finally:
        uninstall(C.m)
    assert bound(3) == 6


def test_reinstall_keeps_the_first_original():
    def f():
        return 1
    original = f.__code__
    install(f, lambda a, k: 2)
    install(f, lambda a, k: 3)
    assert f() == 3 and original_code(f) is original
    uninstall(f)
    assert f() == 1


def test_exceptions_propagate_from_the_entry():
    def f(x):
        return x

    def entry(args, kwargs):
        raise ZeroDivisionError("from the entry")
    install(f, entry)
    with pytest.raises(ZeroDivisionError, match="from the entry"):
        f(1)
    uninstall(f)
