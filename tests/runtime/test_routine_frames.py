"""Where the shared routines keep their caller's return address at each
call they make (pyjit/runtime/routine_frames.py): known at every call of
the real routines, exact on small hand-written ones, and unknown (never a
guess) where the walk cannot follow."""

from __future__ import annotations

import ctypes

import pytest

from pyjit.aarch64.asmtext import assemble
from pyjit.cpython import routines
from pyjit.runtime.routine_frames import UNKNOWN, RoutineFrames, State


def _routine_lines():
    addresses = {name: 0x4000_0000 + 0x100 * i for i, name in enumerate(routines.HELPERS_CALLED)}
    addresses.update(routines.object_addresses())
    addresses.update(stack_limit=0x7000_0000, int_pool=0x7100_0000, float_pool=0x7200_0000,
                     iter_pool=0x7300_0000, range_pool=0x7600_0000,
                     dunder_table=0x7500_0000, activations=0x7700_0000)
    return assemble(routines.source(addresses), routines.NAME).lines


def test_every_call_the_routines_make_has_a_known_frame():
    lines = _routine_lines()
    frames = RoutineFrames(lines, routines.ROUTINES)
    calls = [line.offset + 4 for line in lines
             if line.kind == "instruction" and line.op in ("bl", "blr")]
    assert len(calls) > 30
    assert frames.unknown == []
    assert sorted(frames.sites) == sorted(calls)
    for offset in calls:
        site = frames.sites[offset]
        assert site.saved is not None, hex(offset)
        assert site.depth is not None or site.fp is not None, hex(offset)


SOURCE = """
entry:
    str x30, [sp, #-32]!
    bl leaf
    ldr x30, [sp], #32
    ret
framed:
    stp x29, x30, [sp, #-32]!
    mov x29, sp
    sub sp, sp, x13, lsl #3
    blr x4
    mov sp, x29
    ldp x29, x30, [sp], #32
    ret
paired:
    stp x30, x0, [sp, #-16]!
    cbz x0, paired_done
    bl leaf
paired_done:
    ldp x30, x0, [sp], #16
    ret
leaf:
    ret
"""


def _sites(source: str, entries) -> RoutineFrames:
    return RoutineFrames(assemble(source, "t").lines, entries)


def test_the_state_at_each_call_of_a_small_routine():
    frames = _sites(SOURCE, ["entry", "framed", "paired"])
    assert frames.unknown == []
    assert frames.sites == {
        8: State(depth=32, saved=32, fp=None, fp_saved=False),
        32: State(depth=None, saved=24, fp=32, fp_saved=True),
        56: State(depth=16, saved=16, fp=None, fp_saved=False),
    }


def _stack(words: dict[int, int]):
    """A fake stack: offset -> word, and a reader of it by address."""
    buffer = (ctypes.c_uint64 * 64)()
    base = ctypes.addressof(buffer)
    for offset, word in words.items():
        buffer[offset // 8] = word
    return buffer, base, lambda address: buffer[(address - base) // 8]


def test_the_caller_is_read_where_the_routine_saved_it():
    frames = _sites(SOURCE, ["entry", "framed", "paired"])
    # entry pushed 32 bytes: at the call sp = entry sp - 32, x30 saved at sp
    buffer, base, read = _stack({0: 0x1234})
    assert frames.caller(8, base, 0, read) == (0x1234, base + 32, 0)
    # framed: sp is dynamic, the frame found through x29 (x29, x30 at x29)
    buffer, base, read = _stack({64: 0xAAAA, 72: 0x5678})
    assert frames.caller(32, base + 8, base + 64, read) == (0x5678, base + 96, 0xAAAA)


def test_two_states_meeting_make_the_walk_answer_none():
    source = """
    joined:
        cbz x0, 1f
        str x30, [sp, #-16]!
    1:
        bl leaf
        ret
    leaf:
        ret
    """
    frames = _sites(source, ["joined"])
    assert frames.unknown
    assert frames.sites[12] == UNKNOWN
    assert frames.caller(12, 0x1000, 0, lambda address: 0) is None


@pytest.mark.parametrize("instruction", ["mov x30, x1", "add sp, sp, x2", "ldr x29, [x0]"])
def test_an_unknown_write_to_sp_x29_or_x30_is_not_guessed(instruction):
    source = f"""
    odd:
        str x30, [sp, #-16]!
        {instruction}
        bl leaf
        ldr x30, [sp], #16
        ret
    leaf:
        ret
    """
    frames = _sites(source, ["odd"])
    assert frames.caller(12, 0x1000, 0, lambda address: 0) is None
