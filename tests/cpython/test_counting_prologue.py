"""The running version's call-counting prologue (its description's
counting.py), inserted by bytecode_edit.insert and run by the interpreter
itself: the counted calls run the original code, the call that finds the
counter exhausted calls the hook with the parameter slots, and the hook's
answer is what the call does (run the original, return a value, raise).
Read from the running version's package, also while that version is
refused (its description is checked before pyjit runs on it)."""

from __future__ import annotations

import importlib
import itertools
import operator
import types

import pytest

from pyjit.cpython.bytecode_edit import first_resume, insert
from pyjit.cpython.version import RUNNING, SUPPORTED

counting = importlib.import_module(SUPPORTED.get(RUNNING, "pyjit.cpython.v%d_%d" % RUNNING)
                                   + ".counting")

GO_ON = object()


class Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def counted(fn, calls: int, hook):
    """fn with the prologue: `calls` calls run it, the next calls hook."""
    code = fn.__code__
    base_c = len(code.co_consts)
    body, tail, depth = counting.counting_code(
        code, consts={"counter": base_c, "hook": base_c + 1, "go_on": base_c + 2,
                      "Failure": base_c + 3, "type": base_c + 4, "exc_of": base_c + 5})
    edited = insert(code, first_resume(code), body, tail,
                    consts=(itertools.repeat(None, calls), hook, GO_ON, Failure, type,
                            operator.attrgetter("exc")),
                    names=(), stacksize=depth, tail_line=code.co_firstlineno)
    assert edited.co_names == code.co_names         # what tools read stays the original's
    result = types.FunctionType(edited, fn.__globals__, fn.__name__, fn.__defaults__,
                                fn.__closure__)
    result.__kwdefaults__ = fn.__kwdefaults__
    return result


def _add(a, b=10, *rest, key=1, **more):
    return a + b + sum(rest) + key + sum(more.values())


@pytest.mark.parametrize("answer", ["go_on", "value", "raise"])
def test_the_call_after_the_count_asks_the_hook(answer):
    seen = []

    def hook(*slots):
        seen.append(slots)
        return {"go_on": GO_ON, "value": "compiled",
                "raise": Failure(KeyError("from the hook"))}[answer]
    f = counted(_add, 3, hook)
    assert [f(1), f(2, 3), f(1, 1, 1, key=2)] == [12, 6, 5]
    assert seen == []
    for args, kwargs, original in (((5, 6, 7), {"x": 8}, 27), ((0,), {}, 11)):
        # The counter stays exhausted: every later call asks again.
        if answer == "raise":
            with pytest.raises(KeyError, match="from the hook"):
                f(*args, **kwargs)
        else:
            assert f(*args, **kwargs) == (original if answer == "go_on" else "compiled")
    assert seen == [(5, 6, 1, (7,), {"x": 8}), (0, 10, 1, (), {})]     # the slots in order


def test_a_parameter_in_a_cell_is_passed_as_its_content():
    def outer(x, y):
        def inner():
            return x + y
        return inner() * 2
    seen = []
    f = counted(outer, 1, lambda *slots: seen.append(slots) or GO_ON)
    assert (f(1, 2), f(3, 4), seen) == (6, 14, [(3, 4)])


def test_a_generator_function_counts_its_first_resumption():
    def gen(n):
        yield from range(n)
    seen = []
    g = counted(gen, 1, lambda *slots: seen.append(slots) or GO_ON)
    assert list(g(3)) == [0, 1, 2] and seen == []
    assert list(g(2)) == [0, 1] and seen == [(2,)]
