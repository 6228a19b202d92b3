"""The frames of traceback entries of compiled activations say what the
interpreter's frames say once the exception has left them: `f_lineno` is
the line where the activation was left (a `finally` run on the way out
moves it; `RERAISE` after a `with` or a `finally` puts it back at the
raise), and `f_back` is the caller's frame, compiled or not (CPython's
test_exceptions PEP626Tests and testSettingException)."""

from __future__ import annotations

import sys

import pytest

from exc_support import compiled


def simple():
    1 / 0
    pass


def in_except():
    try:
        1 / 0
    except Exception:
        1 / 0
        pass


def other_except():
    try:
        1 / 0
    except TypeError:
        pass


def in_try():
    try:
        1 / 0
    finally:
        pass


def in_finally_normal():
    try:
        pass
    finally:
        1 / 0
        pass


def in_finally_except():
    try:
        1 / 0
    finally:
        1 / 0
        pass


class Noop:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        pass


class ExitFails:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        raise ValueError


def after_with():
    with Noop():
        1 / 0
        pass


def raise_in_with_exit():
    with ExitFails():
        1 / 0


def caller_of(callee):
    x = 1
    return callee() + x


def frame_lines(call):
    """Each traceback entry's frame: (name, f_lineno - first line, the
    name of its f_back's code), the caller's own entry left out."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - compared with the interpreter
        tb = exc.__traceback__.tb_next
    out = []
    while tb is not None:
        frame = tb.tb_frame
        back = frame.f_back
        out.append((frame.f_code.co_name, frame.f_lineno - frame.f_code.co_firstlineno,
                    back.f_code.co_name if back is not None else None))
        tb = tb.tb_next
    return out


CASES = [
    ("simple", simple, ()),
    ("in except", in_except, ()),
    ("other except", other_except, ()),
    ("in try", in_try, ()),
    ("finally normal", in_finally_normal, ()),
    ("finally except", in_finally_except, ()),
    ("after with", after_with, (Noop.__exit__,)),
    ("raise in with exit", raise_in_with_exit, (ExitFails.__exit__,)),
]


@pytest.mark.parametrize("name, func, also", CASES, ids=[c[0] for c in CASES])
def test_the_line_a_frame_was_left_at(name, func, also):
    expected = frame_lines(func)
    with compiled(func, *also):
        got = frame_lines(func)
    assert [entry[:2] for entry in got] == [entry[:2] for entry in expected]


@pytest.mark.parametrize("name, func, also", CASES[:3], ids=[c[0] for c in CASES[:3]])
def test_the_frame_each_activation_was_called_from(name, func, also):
    # call (interpreted) -> caller_of (compiled, through its trampoline) ->
    # func (compiled, called directly: no frame of its own)
    def call():
        return caller_of(func)
    expected = frame_lines(call)
    assert [entry[2] for entry in expected] == ["frame_lines", "call", "caller_of"]
    with compiled(caller_of, func, *also):
        got = frame_lines(call)
    assert got == expected


def test_a_callee_entered_from_c_has_the_python_caller_as_f_back():
    _testcapi = pytest.importorskip("_testcapi")

    class BadException(Exception):
        def __init__(self_):
            raise RuntimeError("cannot make it")

    def raise_from_c():
        try:
            _testcapi.raise_exception(BadException, 0)
        except RuntimeError:
            tb = sys.exc_info()[2]
            return tb.tb_frame.f_code.co_name, tb.tb_frame.f_back.f_code.co_name

    expected = raise_from_c()
    with compiled(BadException.__init__, raise_from_c):
        assert raise_from_c() == expected
        assert raise_from_c() == expected


def misspelt():
    noise = None
    blech = None
    return noise, blech, bluch  # noqa: F821 - the NameError is the point


@pytest.mark.skipif(sys.version_info >= (3, 13),
                    reason="3.13+ suggest from the frame's f_locals, which an entry's frame "
                           "does not have (docs/cpython-tests.md)")
def test_a_name_error_suggests_the_functions_locals():
    import io

    def suggestion():
        try:
            misspelt()
        except NameError:
            out = io.StringIO()
            saved, sys.stderr = sys.stderr, out
            try:
                sys.__excepthook__(*sys.exc_info())
            finally:
                sys.stderr = saved
            return "'blech'?" in out.getvalue()
    assert suggestion()
    with compiled(misspelt):
        assert suggestion()
