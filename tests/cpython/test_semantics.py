"""pyjit.cpython.semantics against the interpreter: each operation, run on
the same values as a Python statement that performs it, gives the same
result, or raises the same exception type with the same message."""

from __future__ import annotations

import os
import types

import pytest

from pyjit.cpython import semantics as S
from pyjit.cpython.null import NULL


def outcome(call):
    try:
        return "ok", call()
    except Exception as exc:  # noqa: BLE001 - compared with the interpreter's
        return "raise", type(exc), str(exc)


def f(*args, **kwargs):
    return args, kwargs


class NoExit:
    def __enter__(self):
        return self


class Manager:
    def __enter__(self):
        return "entered"

    def __exit__(self, *exc):
        return False


def _unbound_local():
    x  # noqa: F821,B018 - read before assignment on purpose
    x = 1  # noqa: F841


def _unbound_free():
    def inner():
        return y  # noqa: F821
    inner_ = inner
    del_me = 1  # noqa: F841
    y = 1
    del y
    return inner_()


def _with(mgr):
    with mgr as value:
        return value


CASES = {
    "unbound local": (lambda: (_ for _ in ()).throw(S.unbound_local("x")), _unbound_local),
    "unbound free": (lambda: (_ for _ in ()).throw(S.unbound_deref("y", True)), _unbound_free),
    "call_ex not iterable": (lambda: S.call_ex(f, 1), lambda: f(*1)),
    "call_ex iterable": (lambda: S.call_ex(f, [1, 2], {"k": 3}), lambda: f(*[1, 2], k=3)),
    "call_ex generator": (lambda: S.call_ex(f, (i for i in range(2))),
                          lambda: f(*(i for i in range(2)))),
    "dict_merge not mapping": (lambda: S.dict_merge({}, 1, f), lambda: f(**1)),
    "dict_merge twice": (lambda: S.dict_merge({"a": 1}, {"a": 2}, f),
                         lambda: f(**{"a": 1}, **{"a": 2})),
    "dict_update not mapping": (lambda: S.dict_update({}, 1), lambda: {**1}),
    "list_extend not iterable": (lambda: S.list_extend([], 1), lambda: [*1]),
    "unpack too many": (lambda: S.unpack_sequence([1, 2, 3], 2), lambda: tuple(
        _unpack2([1, 2, 3]))),
    "unpack too few": (lambda: S.unpack_sequence([1], 2), lambda: tuple(_unpack2([1]))),
    "unpack not iterable": (lambda: S.unpack_sequence(1, 2), lambda: tuple(_unpack2(1))),
    "unpack ex": (lambda: S.unpack_ex(range(5), 1, 2), lambda: _unpack_ex(range(5))),
    "unpack ex too few": (lambda: S.unpack_ex([1], 1, 2), lambda: _unpack_ex([1])),
    "format repr spec": (lambda: S.format_value(3.5, ">8", 2), lambda: f"{3.5!r:>8}"),
    "format ascii": (lambda: S.format_value("é", NULL, 3), lambda: f"{'é'!a}"),
    "with no exit": (lambda: S.before_with(NoExit()), lambda: _with(NoExit())),
    "with not a manager": (lambda: S.before_with(1), lambda: _with(1)),
    "with enters": (lambda: S.before_with(Manager())[1], lambda: _with(Manager())),
    "except not a class": (lambda: S.check_exc_match(ValueError(), 1), lambda: _catch(1)),
    "raise not an exception": (lambda: S.raise_exception(1), lambda: _raise(1)),
    "raise bad cause": (lambda: S.raise_exception(ValueError, 1), lambda: _raise(ValueError, 1)),
    "bare raise": (lambda: S.reraise_current(None), lambda: _bare_raise()),
    "import from missing": (lambda: S.import_from(os, "nope"), lambda: _import_nope()),
    "import from submodule": (lambda: S.import_from(os, "path"), lambda: __import__(
        "os.path", fromlist=["path"])),
    "load global missing": (lambda: S.load_global({}, {}, "nope"), lambda: eval("nope", {})),
    "range iter": (lambda: list(S.range_iter(1, 10, 3)), lambda: list(range(1, 10, 3))),
    "power": (lambda: S.number_power(2, -1), lambda: 2 ** -1),
}


def _unpack2(seq):
    a, b = seq
    return a, b


def _unpack_ex(seq):
    a, *b, c, d = seq
    return (a, b, c, d)


def _catch(cls):
    try:
        raise ValueError
    except cls:
        return "caught"


def _raise(exc, cause=NULL):
    if cause is NULL:
        raise exc
    raise exc from cause


def _bare_raise():
    raise  # noqa: PLE0704 - outside a handler on purpose


def _import_nope():
    from os import nope  # noqa: F401
    return nope


@pytest.mark.parametrize("name", CASES)
def test_the_operation_does_what_the_interpreter_does(name):
    ours, interpreter = CASES[name]
    got, expected = outcome(ours), outcome(interpreter)
    if expected[0] == "ok" and isinstance(expected[1], tuple) and name.startswith("with"):
        expected = ("ok", expected[1])
    assert got == expected


def test_function_str_names_callables_as_messages_do():
    assert S.function_str(f) == f"{__name__}.f()"
    assert S.function_str(print) == "print()"
    assert S.function_str(types.SimpleNamespace) == "types.SimpleNamespace()"


def test_get_method_leaves_instance_dicts_alone():
    class C:
        def m(self):
            return 1
    c = C()
    meth, self_ = S.get_method(c, "m")
    assert meth is C.__dict__["m"] and self_ is c
    c.m = lambda: 2
    assert S.get_method(c, "m")[0] is NULL


def test_bind_arguments_fills_defaults_and_names_the_function():
    def g(a, b=2, *rest, c, **kw):
        pass
    assert S.bind_arguments(g, g.__code__, (1,), {"c": 3, "z": 4}) == (1, 2, 3, (), {"z": 4})
    with pytest.raises(TypeError, match=r"^test_bind_arguments.*\.g\(\) missing"):
        S.bind_arguments(g, g.__code__, (), {})


def _signatures():
    def plain(a, b):
        return a, b

    def defaults(a, b=2, /, c=3, *args, d, e=5, **kw):
        return a

    def keyword_only(*, x):
        return x

    def positional_only(a, /, **kw):
        return a

    def varargs(*args):
        return args

    def method_like(self, a, b=1, *, c=2):
        return a

    return [plain, defaults, keyword_only, positional_only, varargs, method_like]


_CALLS = [((), {}), ((1,), {}), ((1, 2), {}), ((1, 2, 3), {}), ((1,), {"d": 4}),
          ((1, 2, 3, 4, 5), {"d": 1, "z": 2}), ((), {"a": 1}), ((1,), {"a": 1}),
          ((), {"x": 1}), ((1,), {"b": 2}), ((1, 2, 3, 4), {}), ((), {"self": 1, "a": 2})]


@pytest.mark.parametrize("func", _signatures(), ids=lambda f: f.__name__)
def test_bind_arguments_binds_and_refuses_as_the_interpreter_does(func):
    # The interpreter binds (through a binder with func's parameters), so
    # the TypeErrors are its own, word for word.
    for args, kwargs in _CALLS:
        expected = outcome(lambda: func(*args, **kwargs))
        got = outcome(lambda: S.bind_arguments(func, func.__code__, args, dict(kwargs)))
        if expected[0] == "ok":
            assert got[0] == "ok", (args, kwargs, got)
        else:
            assert got == expected, (args, kwargs)
