"""What the builder refuses, and how it says so: the function stays in the
interpreter, and the message names the reason, the line and the function."""

from __future__ import annotations

import sys

import pytest

from pyjit.hir import CompileRefused, UnsupportedBytecode, UnsupportedFunction, build_hir
from pyjit.hir import build as build_module

from hir_support import function_from_source, requires_builder

pytestmark = requires_builder


def generator(n):
    for i in range(n):
        yield i


async def coroutine():
    return 1


async def async_generator():
    yield 1


def defines_a_class():
    x = 1

    class Local:  # LOAD_BUILD_CLASS
        pass

    return Local, x


def uses_match(value):
    match value:
        case [a, b]:
            return a + b
    return None


@pytest.mark.parametrize("fn, kind", [
    (generator, "generator function 'generator'"),
    (coroutine, "coroutine function 'coroutine'"),
    (async_generator, "async generator function 'async_generator'"),
])
def test_generators_and_coroutines_are_refused(fn, kind):
    with pytest.raises(UnsupportedFunction) as info:
        build_hir(fn)
    err = info.value
    assert isinstance(err, CompileRefused)
    assert kind in str(err)
    assert f"(line {fn.__code__.co_firstlineno})" in str(err)
    assert str(err).startswith(fn.__qualname__ + ": ")
    assert "stays in the interpreter" in str(err)


def test_unsupported_opcode_names_opcode_line_and_function():
    with pytest.raises(UnsupportedBytecode) as info:
        build_hir(defines_a_class)
    err = info.value
    line = defines_a_class.__code__.co_firstlineno + 3
    assert (err.opname, err.lineno, err.function) == ("LOAD_BUILD_CLASS", line, "defines_a_class")
    assert str(err) == (f"defines_a_class: unsupported bytecode LOAD_BUILD_CLASS at line {line} "
                        f"(offset {err.offset}); it stays in the interpreter")


def test_match_statement_is_refused():
    with pytest.raises(UnsupportedBytecode) as info:
        build_hir(uses_match)
    assert info.value.opname in {"MATCH_SEQUENCE", "GET_LEN", "MATCH_CLASS", "MATCH_MAPPING"}


def test_refusal_from_generated_source_names_qualname():
    fn = function_from_source(
        "def outer():\n"
        "    def inner(x):\n"
        "        try:\n"
        "            x()\n"
        "        except* ValueError:\n"
        "            pass\n"
        "    return inner\n", "outer")
    with pytest.raises(UnsupportedBytecode) as info:
        build_hir(fn())
    assert info.value.function == "outer.<locals>.inner"
    assert info.value.opname == "CHECK_EG_MATCH"
    assert info.value.lineno == 5


def test_unsupported_python_version_is_refused(monkeypatch):
    monkeypatch.setattr(build_module, "SUPPORTED_VERSIONS", {})
    version = "%d.%d" % sys.version_info[:2]
    with pytest.raises(CompileRefused, match=f"no HIR builder for Python {version}"):
        build_hir(generator)
