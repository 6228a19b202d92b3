"""The release exit: exception paths without a handler release what the
function holds through one shared block and a map from the failing call's
return address to where each object lives (lir/lowering.py
`release_exit`, codegen `EmittedFunction.releases`).

Checked against the interpreter (the same exception, traceback line and
reference counts afterwards) and against capstone (every key of the map is
the address right after a bl/blr, or after the word a routine reads
after its bl/blr, every location is in the frame)."""

from __future__ import annotations

import sys
import traceback

import pytest

from pyjit import jit
from pyjit.compiler import compile_function

capstone = pytest.importorskip("capstone")


class Boom(Exception):
    pass


class Holder:
    def __init__(self, fail_at):
        self.fail_at = fail_at
        self.calls = 0

    def step(self, *args):
        self.calls += 1
        if self.calls == self.fail_at:
            raise Boom(self.calls)
        return args[0] if args else self


def held_across_calls(h, a, b, c):
    x = [a]                       # new references held while the calls run
    y = (b, c)
    z = h.step(x, y)
    w = h.step(z, x, y)
    return h.step(w, x, y, z)


def many_held(h, a):
    # More objects alive across the failing call than there are
    # callee-saved registers: some are in spill slots.
    v0, v1, v2, v3 = [a, 0], [a, 1], [a, 2], [a, 3]
    v4, v5, v6, v7 = [a, 4], [a, 5], [a, 6], [a, 7]
    v8, v9, v10, v11 = [a, 8], [a, 9], [a, 10], [a, 11]
    r = h.step(v0)
    return (r, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11)


def subscript_fails(d, key, a):
    t = (a, a)
    return t, d[key]


CASES = [(held_across_calls, lambda n, a: (Holder(n), a, a, a), (1, 2, 3)),
         (many_held, lambda n, a: (Holder(n), a), (1,)),
         (subscript_fails, lambda n, a: ({}, "missing", a), (1,))]


def outcome(func, make, n):
    """(returned, (exception type, args, line of its innermost entry), the
    change of a marker object's reference count) of one call."""
    marker = object()
    before = sys.getrefcount(marker)
    args = make(n, marker)
    try:
        result = func(*args)
        error = None
    except Exception as exc:          # noqa: BLE001 (compared with the interpreter's)
        error = (type(exc), exc.args, traceback.extract_tb(exc.__traceback__)[-1].lineno
                 if exc.__traceback__ else None)
        result = None
        del exc
    del args
    return result is not None, error, sys.getrefcount(marker) - before


@pytest.mark.parametrize("func,make,fail_ats", CASES, ids=[c[0].__name__ for c in CASES])
def test_failures_release_what_the_interpreter_releases(func, make, fail_ats):
    compiled = jit.force_compile(func)
    assert compiled, jit.refusal_reason(func)
    assert compiled_function_has_release_exit(func)
    try:
        for n in fail_ats:
            jit.force_uncompile(func)
            want = outcome(func, make, n)
            assert jit.force_compile(func)
            got = outcome(func, make, n)
            assert got == want
            assert got[2] == 0               # nothing leaked, nothing freed early
    finally:
        jit.force_uncompile(func)


def compiled_function_has_release_exit(func) -> bool:
    return bool(jit.compiled_function(func).emitted.releases)


@pytest.mark.parametrize("func", [c[0] for c in CASES], ids=[c[0].__name__ for c in CASES])
def test_the_map_is_keyed_by_call_return_addresses(func):
    compiled = compile_function(func)
    emitted = compiled.emitted
    code = emitted.code.data
    md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
    frame = emitted.frame
    area = emitted.frame.area_base[compiled.lir.register_save_area.index]
    assert emitted.releases
    words = {start for start, end, section in emitted.code.regions if section == "literals"}
    for lr, where in emitted.releases.items():
        call = lr - 12 if lr - 8 in words else lr - 4     # a routine's word after its call
        insn = next(md.disasm(code[call:call + 4], call))
        assert insn.mnemonic in ("bl", "blr"), (hex(lr), insn.mnemonic)
        for offset in where:
            assert 16 <= area + offset < frame.size and (area + offset) % 8 == 0


def test_spilled_objects_are_found_in_their_slots():
    compiled = compile_function(many_held)
    saved = compiled.lir.register_save_area.size
    offsets = {o for where in compiled.emitted.releases.values() for o in where}
    assert compiled.emitted.allocation.spill_slots
    assert any(o < 0 or o >= saved for o in offsets)      # a spill slot, not a saved register
    assert any(0 <= o < saved for o in offsets)
