"""What reads the calling frame sees the compiled function: its globals,
its current locals, its code; a callee's f_back is the compiled function's
frame.  And what tools read of the function (signature, code attributes)
is the original's."""

from __future__ import annotations

import inspect
import sys

import pytest

import other_module
from exc_support import both, compiled

K = 10


def read_globals(a):
    return globals()["K"] + a, globals().get("__name__")


def read_locals(a, b=2):
    c = a + b
    del b
    return sorted(locals().items())


def read_vars_and_dir(a):
    x = a * 2
    return sorted(vars()), dir()


def evaluate(a):
    y = a + 1
    return eval("a + y + K"), eval("[a, y]")


def execute(a):
    namespace = {}
    exec("z = a * K", None, namespace)
    return namespace["z"]


def own_frame(a):
    frame = sys._getframe()
    return frame.f_code.co_name, frame.f_globals is globals(), frame.f_locals["a"]


def current_frame_name(a):
    frame = inspect.currentframe()
    return frame.f_code.co_name, frame.f_code.co_filename == __file__, a


def whose_caller():
    return sys._getframe(1).f_code.co_name


def calls_whose_caller(a):
    return whose_caller(), a


def calls_other_module(a):
    return other_module.module_name(), a


def _outer(x):
    def locals_with_cells(y):
        def inner(z):
            return y + z
        w = x + y
        y += 3                  # a parameter held in a cell, rebound
        return sorted((k, v) for k, v in locals().items() if k != "inner")
    return locals_with_cells


locals_with_cells = _outer(2)   # Lib/test's test_scope.testLocalsFunction


CASES = [
    (read_globals, (5,)), (read_locals, (1,)), (read_vars_and_dir, (3,)), (evaluate, (2,)),
    (execute, (4,)), (own_frame, (7,)), (current_frame_name, (1,)),
    (calls_whose_caller, (1,)), (locals_with_cells, (4,)),
]


@pytest.mark.parametrize("fn, args", CASES, ids=[fn.__name__ for fn, _ in CASES])
def test_as_the_interpreter(fn, args):
    interpreted, compiled_outcome = both(lambda: fn(*args), fn)
    assert compiled_outcome == interpreted


def test_a_compiled_callee_in_another_module_sees_its_own_globals():
    interpreted, compiled_outcome = both(lambda: calls_other_module(1), calls_other_module,
                                         other_module.module_name)
    assert compiled_outcome == interpreted == ("ok", ("other_module", 1))


def wide(a, /, b, c=3, *rest, d, e=5, **more):
    total = a + b + c + d + e + sum(rest) + sum(more.values())
    return total


def test_signature_and_code_attributes_stay_the_original():
    code = wide.__code__
    expected = wide(1, 2, 3, 4, d=5, z=6)
    before = (str(inspect.signature(wide)), code.co_varnames, code.co_argcount,
              code.co_posonlyargcount, code.co_kwonlyargcount, code.co_name, code.co_qualname,
              code.co_filename, code.co_firstlineno)
    with compiled(wide):
        code = wide.__code__
        after = (str(inspect.signature(wide)), code.co_varnames, code.co_argcount,
                 code.co_posonlyargcount, code.co_kwonlyargcount, code.co_name,
                 code.co_qualname, code.co_filename, code.co_firstlineno)
        assert after == before
        assert wide(1, 2, 3, 4, d=5, z=6) == expected
        with pytest.raises(TypeError, match=r"wide\(\) missing 1 required keyword-only"):
            wide(1, 2)
