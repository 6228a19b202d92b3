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


def catches_exception_groups():
    x = 1
    try:
        x = int(x)
    except* ValueError:  # CHECK_EG_MATCH
        x = 2
    return x


def uses_match(value):
    match value:
        case [a, b]:
            return a + b
    return None


def test_generators_and_coroutines_are_built():
    assert build_hir(generator).generator == "generator"
    assert build_hir(coroutine).generator == "coroutine"
    assert build_hir(async_generator).generator == "async generator"


def reads_its_frame():
    yield locals()


def test_a_generator_reading_its_frame_is_refused_with_a_sentence():
    fn = reads_its_frame
    with pytest.raises(UnsupportedFunction) as info:
        build_hir(fn)
    err = info.value
    assert isinstance(err, CompileRefused)
    assert str(err) == (f"reads_its_frame: generator function 'reads_its_frame' (line "
                        f"{fn.__code__.co_firstlineno}) cannot be compiled: it reads its own frame "
                        "(locals(), sys._getframe()...), which the JIT's generators do not keep; "
                        "it stays in the interpreter")


def test_unsupported_opcode_names_opcode_line_and_function():
    with pytest.raises(UnsupportedBytecode) as info:
        build_hir(catches_exception_groups)
    err = info.value
    line = catches_exception_groups.__code__.co_firstlineno + 4
    assert (err.opname, err.lineno, err.function) == ("CHECK_EG_MATCH", line,
                                                      "catches_exception_groups")
    assert str(err) == (f"catches_exception_groups: unsupported bytecode CHECK_EG_MATCH at line "
                        f"{line} (offset {err.offset}); it stays in the interpreter")


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
