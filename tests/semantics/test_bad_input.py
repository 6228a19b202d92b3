"""Bad input to the Python API (pyjit.jit): anything that is not a Python
function is not compiled and `refusal_reason` says why in one sentence; an
unknown strategy or a bad PYJIT_* variable raises OptionError with one
sentence naming the value and the accepted ones (force_compile's
docstring); nothing is an "internal compiler error".
"""

from __future__ import annotations

import functools
import math
import operator
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import pyjit
import pyjit.jit as jit
from pyjit.aarch64.calls import strategy_names
from pyjit.callables import function_of, not_compilable_reason
from pyjit.compiler import compile_function
from pyjit.hir.errors import CompileRefused
from pyjit.options import CompileOptions, OptionError

ROOT = Path(__file__).parents[2]


def plain(x):
    return x + 1


class Widget:
    def method(self):
        return 1

    @staticmethod
    def static(x):
        return x

    def __call__(self):
        return 2


class Opaque:
    pass


def _extension_function():
    """A function of a compiled (Cython) extension module, if one is here."""
    for name, attr in (("yaml._yaml", "get_version_string"), ("numpy.random.mtrand", "seed")):
        try:
            module = __import__(name, fromlist=["_"])
        except ImportError:
            continue
        return getattr(module, attr)
    return None


NOT_FUNCTIONS = {
    "builtin": (len, "len is a built-in function (implemented in C)"),
    "builtin of a module": (math.sqrt, "sqrt is a built-in function"),
    "partial": (functools.partial(plain, 1), "compile the function it wraps, plain, instead"),
    "class": (Widget, "Widget is a class (compile its methods instead, e.g. Widget."),
    "class without Python methods": (Opaque, "a class with no methods written in Python"),
    "builtin class": (dict, "dict is a class with no methods written in Python"),
    "method of a builtin object": ([].append, "a method implemented in C, bound to an object "
                                              "of type list"),
    "method of a builtin type": (str.join, "a method of the built-in type str"),
    "bound method of a builtin": (types.MethodType(len, 3), "whose function, len, is a "
                                                            "built-in function"),
    "staticmethod of a builtin": (staticmethod(len), "staticmethod whose function, len"),
    "callable instance": (Widget(), "compile its class's method Widget.__call__ instead"),
    "C callable instance": (operator.itemgetter(1), "a callable itemgetter object "
                                                    "implemented in C"),
    "module": (math, "module math is a module"),
    "property": (property(plain), "a property (compile its getter, fget, instead)"),
    "int": (3, "3 is an object of type int, not a function"),
    "None": (None, "None is an object of type NoneType, not a function"),
    "string": ("plain", "'plain' is an object of type str, not a function"),
}


@pytest.mark.parametrize("name", list(NOT_FUNCTIONS))
def test_not_a_function_is_refused_with_a_reason(name):
    obj, fragment = NOT_FUNCTIONS[name]
    assert jit.refusal_reason(obj) is not None            # even before trying
    assert jit.force_compile(obj) is False
    reason = jit.refusal_reason(obj)
    assert fragment in reason, reason
    assert reason.endswith("only functions written in Python (def or lambda) can be compiled")
    assert "\n" not in reason and "internal compiler error" not in reason
    assert not jit.is_jit_compiled(obj)
    with pytest.raises(TypeError, match="watch needs a Python function: "):
        jit.watch(obj)


def test_function_of_a_compiled_extension_module():
    func = _extension_function()
    if func is None:
        pytest.skip("no Cython extension module installed")
    assert jit.force_compile(func) is False
    assert "a function of a compiled extension module" in jit.refusal_reason(func)
    assert "implemented in C" in jit.refusal_reason(func)


def test_what_wraps_a_python_function_compiles():
    for obj in (Widget().method, Widget.__dict__["static"], plain, lambda: 1):
        assert function_of(obj) is not None and not_compilable_reason(obj) is None
        assert jit.force_compile(obj), jit.refusal_reason(obj)
        assert jit.refusal_reason(obj) is None
        jit.force_uncompile(obj)


def test_refused_python_function_keeps_its_reason():
    def gen():
        yield locals()

    assert jit.force_compile(gen) is False
    assert "generator function" in jit.refusal_reason(gen)


def test_compile_function_refuses_a_non_function_with_the_reason():
    with pytest.raises(CompileRefused, match="a functools.partial"):
        compile_function(functools.partial(plain, 1))


# -- strategies and options ------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["nope", "", "all", 3])
def test_unknown_strategy_raises_option_error(strategy):
    with pytest.raises(OptionError) as info:
        jit.force_compile(plain, strategy)
    message = str(info.value)
    assert message.startswith(f"unknown strategy {strategy!r}: the accepted values are ")
    for name in strategy_names():
        assert name in message
    assert not jit.is_jit_compiled(plain) and jit.refusal_reason(plain) is None


def test_unknown_strategy_does_not_uncompile_first():
    assert jit.force_compile(plain, "stub")
    try:
        with pytest.raises(OptionError):
            jit.force_compile(plain, "nope")
        assert jit.is_jit_compiled(plain) and plain(1) == 2
    finally:
        jit.force_uncompile(plain)


def test_bad_options_everywhere_options_are_taken():
    with pytest.raises(OptionError, match="unknown strategy 'nope'"):
        jit.force_compile(plain, options=CompileOptions(strategy="nope"))
    with pytest.raises(OptionError, match="unknown refcounts mode 'sometimes'"):
        jit.force_compile(plain, refcounts="sometimes")
    with pytest.raises(OptionError, match="unknown strategy 'nope'"):
        jit.watch(plain, options=CompileOptions(strategy="nope"))
    with pytest.raises(OptionError, match="unknown strategy 'nope'"):
        compile_function(plain, "nope")
    assert not jit.is_jit_compiled(plain)


# -- PYJIT_* variables -------------------------------------------------------------------------

@pytest.mark.parametrize("variable, value, accepted", [
    ("PYJIT_STRATEGY", "nope", "direct, literal"),
    ("PYJIT_REFCOUNTS", "sometimes", "outline, inline-incref, inline"),
    ("PYJIT_CACHES", "maybe", "shared, inline, off"),
    ("PYJIT_DIRECT_CALLS", "maybe", "shared, inline, off"),
])
def test_bad_compile_variable_raises_option_error(monkeypatch, variable, value, accepted):
    monkeypatch.setenv(variable, value)
    with pytest.raises(OptionError, match=f"^{variable}='{value}' is not one of: {accepted}"):
        jit.force_compile(plain)
    with pytest.raises(OptionError, match=variable):
        jit.watch(plain)
    assert not jit.is_jit_compiled(plain)


@pytest.mark.parametrize("variable, value, fragment", [
    ("PYJIT_ENGINE", "qemu", "is not one of: unicorn, native"),
    ("PYJIT_PERF_MAP", "yes", "is not one of: 0, 1"),
    ("PYJIT_AUTO", "-3", "is not a call count"),
    ("PYJIT_LIST_FILE", "/no/such/list", "is not an existing file"),
    ("PYJIT_LOG", "/no/such/dir/log", "there is no directory '/no/such/dir'"),
])
def test_bad_setting_raises_option_error_when_read(monkeypatch, variable, value, fragment):
    monkeypatch.setattr(jit, "_engine", None)              # a new engine reads them
    monkeypatch.setattr(jit, "_log_from_environment", True)
    monkeypatch.setenv(variable, value)
    with pytest.raises(OptionError, match=fragment) as info:
        jit.force_compile(plain)
    assert str(info.value).startswith(f"{variable}={value!r}")
    assert not jit.is_jit_compiled(plain)


def test_importing_pyjit_never_fails_on_the_environment(tmp_path):
    # Bad values are reported by the first compile, as OptionError; importing
    # and reaching the API work.
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYJIT_ENGINE="qemu",
               PYJIT_LOG="/proc/version", PYJIT_STRATEGY="nope")
    code = ("import pyjit, pyjit.jit\n"
            "from pyjit.options import OptionError\n"
            "def f(x): return x\n"
            "try:\n"
            "    pyjit.force_compile(f)\n"
            "except OptionError as exc:\n"
            "    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("PYJIT_STRATEGY='nope' is not one of: ")


def test_unopenable_log_raises_option_error(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYJIT_LOG="/proc/version")
    code = ("import pyjit\n"
            "from pyjit.options import OptionError\n"
            "def f(x): return x\n"
            "try:\n"
            "    pyjit.force_compile(f)\n"
            "except OptionError as exc:\n"
            "    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert proc.stdout == ("PYJIT_LOG='/proc/version' cannot be opened for appending: "
                           "Invalid argument\n"), proc.stderr


def test_watched_function_refused_when_the_environment_turns_bad(monkeypatch):
    def counted(x):
        return x * 2

    jit.watch(counted, threshold=2)
    try:
        assert counted(1) == 2
        monkeypatch.setenv("PYJIT_STRATEGY", "nope")
        assert counted(2) == 4                  # the program's call goes on, interpreted
        assert not jit.is_jit_compiled(counted)
        assert jit.refusal_reason(counted).startswith("PYJIT_STRATEGY='nope'")
    finally:
        jit.unwatch(counted)
        jit._refusals.pop(counted, None)


def test_the_api_is_reachable_from_the_package():
    assert pyjit.refusal_reason(len).startswith("len is a built-in function")


def test_options_of_the_wrong_type():
    with pytest.raises(TypeError, match="options must be a CompileOptions, not str"):
        jit.force_compile(plain, options="stub")
