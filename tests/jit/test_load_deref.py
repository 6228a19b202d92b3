"""LOAD_DEREF inline (lower_ops._load_deref): a full cell's contents are
loaded and increfed without a helper call; an empty one raises through the
load_deref helper exactly as the interpreter does (NameError for a free
variable, UnboundLocalError for a cell variable of the function itself)."""

from __future__ import annotations

import sys

from pyjit import jit


def _closure(value):
    def read():
        return value
    return read


def _empty_free_variable():
    def read():
        return later            # noqa: F821 (bound below, after the call)
    try:
        read()
    except NameError as exc:
        first = (type(exc), str(exc))
    later = 1
    return first, read()


def _empty_cell_variable():
    try:
        print(mine)             # noqa: F821 (assigned below)
    except UnboundLocalError as exc:
        return type(exc), str(exc)
    mine = 2

    def uses():
        return mine
    return uses


def outcome(func, *args):
    try:
        return "ok", func(*args)
    except Exception as exc:    # noqa: BLE001 (compared with the interpreter's)
        return "raised", type(exc), str(exc)


def test_full_and_empty_cells_match_the_interpreter():
    marker = object()
    read = _closure(marker)
    before = sys.getrefcount(marker)
    want = [outcome(read) for _ in range(3)]
    assert jit.force_compile(read), jit.refusal_reason(read)
    try:
        got = [outcome(read) for _ in range(3)]
        assert got == want
        del got, want
        assert sys.getrefcount(marker) == before
    finally:
        jit.force_uncompile(read)


def test_empty_cells_raise_the_interpreters_errors():
    for func in (_empty_free_variable, _empty_cell_variable):
        want = outcome(func)
        assert jit.force_compile(func), jit.refusal_reason(func)
        try:
            assert outcome(func) == want
        finally:
            jit.force_uncompile(func)


def test_an_empty_free_variable_of_a_compiled_closure():
    def make():
        def read():
            return gone
        gone = 1
        del gone
        return read
    read = make()
    want = outcome(read)
    assert want[:2] == ("raised", NameError)
    assert jit.force_compile(read), jit.refusal_reason(read)
    try:
        assert outcome(read) == want
    finally:
        jit.force_uncompile(read)
