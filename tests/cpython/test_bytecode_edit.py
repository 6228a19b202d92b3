"""Editing code objects (pyjit/cpython/bytecode_edit.py), checked against
CPython's own decoders: `co_positions()` reads the location tables written
here, `dis` reads the exception tables, and the edited code runs."""

from __future__ import annotations

import dis
import importlib
import sys
import types

import pytest

from pyjit.cpython import bytecode_edit as edit
from pyjit.cpython.bytecode_edit import Label

STDLIB = ("json.decoder", "argparse", "collections", "dataclasses", "inspect", "typing",
          "traceback", "email.message", "pathlib", "tarfile")


def _codes(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _module_codes(name: str):
    module = importlib.import_module(name)
    loader = module.__spec__.loader
    return list(_codes(loader.get_code(name)))


@pytest.mark.parametrize("name", STDLIB)
def test_location_tables_written_again_read_the_same(name):
    for code in _module_codes(name):
        table = edit.encode_locations(list(code.co_positions()), code.co_firstlineno)
        again = code.replace(co_linetable=table)
        assert list(again.co_positions()) == list(code.co_positions()), code.co_qualname


@pytest.mark.parametrize("name", STDLIB)
def test_after_resume_the_original_entries_are_kept(name):
    """Inserting after RESUME keeps every original location entry (so
    co_lines' ranges too) and adds no-location entries."""
    for code in _module_codes(name):
        at = edit.first_resume(code)
        edited = edit.insert(code, at, [("NOP", 0)] * 3, [("NOP", 0)])
        none = [(None, None, None, None)]
        old = list(code.co_positions())
        assert list(edited.co_positions()) == old[:at] + none * 3 + old[at:] + none
        old_lines = _unit_lines(code)
        assert _unit_lines(edited) == (old_lines[:at] + [None] * 3 + old_lines[at:] + [None]), \
            code.co_qualname
        if sys.version_info < (3, 12):
            # 3.11's co_lines gives a range per location entry: every original
            # range is still there, moved
            shifted = [(s if s < 2 * at else s + 6, e if e <= 2 * at else e + 6, line)
                       for s, e, line in code.co_lines()]
            lines = [r for r in edited.co_lines() if r[2] is not None]
            assert lines == [r for r in shifted if r[2] is not None], code.co_qualname


def _unit_lines(code) -> list:
    """The line of each code unit, as co_lines() gives them."""
    lines = [None] * (len(code.co_code) // 2)
    for start, end, line in code.co_lines():
        for unit in range(start // 2, end // 2):
            lines[unit] = line
    return lines


@pytest.mark.parametrize("name", STDLIB)
def test_a_tail_on_a_line(name):
    for code in _module_codes(name):
        at = edit.first_resume(code)
        edited = edit.insert(code, at, [("NOP", 0)], [("NOP", 0)] * 9, tail_line=7)
        old = list(code.co_positions())
        assert list(edited.co_positions()) == (old[:at] + [(None,) * 4] + old[at:]
                                               + [(7, 7, None, None)] * 9), code.co_qualname


@pytest.mark.parametrize("name", STDLIB)
def test_exception_tables_written_again_are_the_same_bytes(name):
    for code in _module_codes(name):
        entries = edit.exception_entries(code)
        assert edit.encode_exception_table(entries) == code.co_exceptiontable, code.co_qualname


def _sample(n):
    total = 0
    for i in range(n):
        try:
            total += 10 // (i - 3)
        except ZeroDivisionError:
            total += 1000
    return total


def test_inserted_instructions_move_the_rest_and_keep_their_positions():
    code = _sample.__code__
    at = edit.first_resume(code)
    body = [("NOP", 0), ("NOP", 0)]
    tail = [("NOP", 0)]
    edited = edit.insert(code, at, body, tail)
    old, new = list(code.co_positions()), list(edited.co_positions())
    assert new[:at] == old[:at]
    assert new[at:at + 2] == [(None, None, None, None)] * 2
    assert new[at + 2:at + 2 + len(old) - at] == old[at:]
    assert new[-1] == (None, None, None, None)
    moved = [(s + 2, e + 2, t + 2, d, l) for s, e, t, d, l in edit.exception_entries(code)]
    assert edit.exception_entries(edited) == moved
    func = types.FunctionType(edited, globals())
    assert func(10) == _sample(10)
    # tracebacks and `dis` read the edited code
    assert [i.opname for i in dis.get_instructions(edited)][at:at + 2] == ["NOP", "NOP"]


def test_jumps_between_inserted_pieces_and_extended_arguments():
    """A forward jump from the body over the whole (long) original code to
    the tail needs EXTENDED_ARG; the tail jumps back to the body's end."""
    source = "def f(x):\n" + "".join(f"    x = x + {i}\n" for i in range(200)) + "    return x\n"
    namespace: dict = {}
    exec(source, namespace)
    code = namespace["f"].__code__
    n = len(code.co_consts)
    if_none = "POP_JUMP_FORWARD_IF_NONE" if sys.version_info < (3, 12) else "POP_JUMP_IF_NONE"
    body = [("LOAD_FAST", 0), (if_none, Label("tail"))]
    tail = [Label("tail"), ("LOAD_CONST", n), ("STORE_FAST", 0),
            ("JUMP_BACKWARD", Label("body"))]
    edited = edit.insert(code, edit.first_resume(code), body, tail, consts=(1000,),
                         stacksize=1)
    ops = [i.opname for i in dis.get_instructions(edited)]
    assert "EXTENDED_ARG" in ops
    f = types.FunctionType(edited, {})
    assert f(1) == 1 + sum(range(200))
    assert f(None) == 1000 + sum(range(200))        # through the tail and back


def test_a_jump_across_the_insertion_point_is_refused():
    def loop():
        while True:
            pass
    code = loop.__code__
    jump = next(i for i in dis.get_instructions(code) if i.opname == "JUMP_BACKWARD")
    inside = jump.offset // 2                 # between the loop's head and its back edge
    with pytest.raises(ValueError, match="crosses"):
        edit.insert(code, inside, [("NOP", 0)], [])
