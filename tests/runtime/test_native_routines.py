"""The native engine's own routines (pyjit/runtime/native_routines.py),
checked on any host: each instruction of the Python helper routine is the
word llvm-mc makes of its source line, each pc-relative one reaches its
label (capstone), and stub k is `mov x16, #k; b pyjit_python_helper`."""

from __future__ import annotations

import re
import struct

from oracle import capstone_text, llvm_mc_word
from pyjit.runtime import native_routines as nr

CALLBACKS, THREAD_STATE_GET, REMAINING, ROOM, CAPACITY = 0x7f00_1230, 0x4a_5670, 48, 13, 5


def _code():
    return nr.routines(CALLBACKS, CAPACITY, THREAD_STATE_GET, REMAINING, ROOM)


def _word(code, offset: int) -> int:
    return struct.unpack_from("<I", code.data, offset)[0]


def _instruction_lines(source: str) -> list[str]:
    lines = []
    for raw in source.splitlines():
        line = raw.split("//")[0].strip()
        if line and not line.endswith(":") and not line.startswith(".") and ":" not in line:
            lines.append(line)
    return lines


def test_the_python_helper_routine_is_its_source():
    code = _code()
    source = nr.PYTHON_HELPER_SOURCE.format(callbacks=CALLBACKS, thread_state_get=THREAD_STATE_GET,
                                            remaining=REMAINING, room=ROOM)
    lines = _instruction_lines(source)
    start = code.labels[nr.PYTHON_HELPER][0]
    plain = [(i, line) for i, line in enumerate(lines) if not re.search(r"\blit_\w+", line)]
    expected = llvm_mc_word([line for _, line in plain])
    for (i, line), want in zip(plain, expected):
        assert want is not None, line
        assert _word(code, start + 4 * i) == want, line
    for i, line in enumerate(lines):
        label = re.search(r"\b(lit_\w+)", line)
        if label:
            target = code.labels[label.group(1)][0]
            text = capstone_text(_word(code, start + 4 * i), start + 4 * i)
            assert text == f"{line.split()[0]} {line.split()[1]} #{target:#x}", (line, text)
    assert struct.unpack_from("<Q", code.data, code.labels["lit_callbacks"][0])[0] == CALLBACKS
    assert (struct.unpack_from("<Q", code.data, code.labels["lit_thread_state_get"][0])[0]
            == THREAD_STATE_GET)


def test_stub_k_calls_the_routine_with_k():
    code = _code()
    stubs, helper = code.labels[nr.STUBS][0], code.labels[nr.PYTHON_HELPER][0]
    assert stubs % 8 == 0
    for k in range(CAPACITY):
        at = stubs + k * nr.STUB_SIZE
        assert capstone_text(_word(code, at), at) == f"mov x16, #{k}"
        assert capstone_text(_word(code, at + 4), at + 4) == f"b #{helper:#x}"
    assert len(code.data) == stubs + CAPACITY * nr.STUB_SIZE
