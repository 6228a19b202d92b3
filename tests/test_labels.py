"""LabelUse: reach, patching and decoding of every pc-relative field kind.

The oracle is llvm-mc: a field patched for a label at distance d must give
the same word llvm-mc produces for the same instruction written with the
immediate offset d (`b.ne #1048572`).  Base words (field 0) come from
llvm-mc too, so these tests do not depend on pyjit's encoder.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess

import capstone
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyjit.aarch64.labels import LabelError, LabelRangeError, LabelUse, Veneer

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
_ENCODING = re.compile(r"encoding: \[([^\]]*)\]")


def llvm_mc_words(lines: list[str]) -> list[int]:
    """Encode one instruction per line with a single llvm-mc run."""
    llvm_mc = shutil.which("llvm-mc")
    if llvm_mc is None:
        pytest.fail("llvm-mc is required (apt-get install llvm)")
    proc = subprocess.run([llvm_mc, "-triple=aarch64", "-show-encoding"],
                          input="\n".join(lines) + "\n", capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    words = [struct.unpack("<I", bytes(int(b, 16) for b in m.group(1).split(",")))[0]
             for m in _ENCODING.finditer(proc.stdout)]
    assert len(words) == len(lines)
    return words


# (use, instruction text with `{}` for the immediate offset)
INSTRUCTIONS = [
    (LabelUse.BRANCH26, "b {}"),
    (LabelUse.BRANCH26, "bl {}"),
    (LabelUse.BRANCH19, "b.ne {}"),
    (LabelUse.BRANCH19, "b.al {}"),
    (LabelUse.BRANCH19, "cbz w1, {}"),
    (LabelUse.BRANCH19, "cbnz x30, {}"),
    (LabelUse.BRANCH14, "tbz x3, #40, {}"),
    (LabelUse.BRANCH14, "tbnz w5, #3, {}"),
    (LabelUse.LDR19, "ldr x5, {}"),
    (LabelUse.LDR19, "ldr w2, {}"),
    (LabelUse.LDR19, "ldr d1, {}"),
    (LabelUse.LDR19, "ldrsw x9, {}"),
    (LabelUse.ADR21, "adr x1, {}"),
    (LabelUse.ADRP21, "adrp x2, {}"),
]


def edge_distances(use: LabelUse) -> list[int]:
    """Distances at and near the ends of the reach, and a few inside."""
    unit = use.alignment if use is not LabelUse.ADRP21 else 4096
    top = use.max_forward if use is not LabelUse.ADRP21 else use.max_backward - unit
    return [0, unit, -unit, 7 * unit, -13 * unit, top, top - unit, -use.max_backward,
            -use.max_backward + unit]


CASES = [(use, text, d) for use, text in INSTRUCTIONS for d in edge_distances(use)]


@pytest.fixture(scope="module")
def oracle() -> dict[str, int]:
    lines = sorted({text.format(f"#{d}") for _, text, d in CASES}
                   | {text.format("#0") for _, text in INSTRUCTIONS})
    return dict(zip(lines, llvm_mc_words(lines)))


@pytest.mark.parametrize("use,text,distance", CASES,
                         ids=[f"{t.format(d)}" for _, t, d in CASES])
def test_patch_matches_llvm_mc(oracle, use, text, distance):
    base_word = oracle[text.format("#0")]
    use_offset = 0x40_0000  # page aligned: adrp's page delta is distance // 4096
    patched = use.patch(base_word, use_offset, use_offset + distance)
    assert patched == oracle[text.format(f"#{distance}")]
    assert use.target(patched, use_offset) == use_offset + distance


@pytest.mark.parametrize("use,text", INSTRUCTIONS, ids=[t for _, t in INSTRUCTIONS])
def test_patch_replaces_whatever_the_field_held(oracle, use, text):
    full = use.patch(oracle[text.format("#0")], 0, -use.alignment * 4)
    assert use.patch(full, 0, 0) == oracle[text.format("#0")]


@pytest.mark.parametrize("use,text", INSTRUCTIONS, ids=[t for _, t in INSTRUCTIONS])
def test_patch_refuses_out_of_reach(oracle, use, text):
    word = oracle[text.format("#0")]
    step = 4096 if use is LabelUse.ADRP21 else use.alignment
    with pytest.raises(LabelRangeError, match="out of reach"):
        use.patch(word, 0, -use.max_backward - step)
    far = use.max_backward if use is LabelUse.ADRP21 else use.max_forward + step
    with pytest.raises(LabelRangeError, match="out of reach"):
        use.patch(word, 0, far)
    assert not use.in_range(0, far)
    assert issubclass(LabelRangeError, LabelError) and issubclass(LabelError, ValueError)


@pytest.mark.parametrize("use", [u for u in LabelUse if u.alignment == 4])
def test_misaligned_distance_is_refused(use):
    with pytest.raises(LabelRangeError, match="not a multiple of 4"):
        use.patch(0, 0, 6)
    assert not use.in_range(8, 10)


def test_adrp_counts_pages_not_bytes():
    word = LabelUse.ADRP21.patch(0x9000_0002, 0x1FFC, 0x2000)  # adrp x2: next page, 4 bytes on
    assert LabelUse.ADRP21.target(word, 0x1FFC) == 0x2000
    assert word == LabelUse.ADRP21.patch(0x9000_0002, 0x1000, 0x2FFF)
    # The byte reach is safe wherever the use sits in its page.
    use = 0x7FF8
    assert LabelUse.ADRP21.in_range(use, use + LabelUse.ADRP21.max_forward)
    assert LabelUse.ADRP21.in_range(use, use - LabelUse.ADRP21.max_backward)


def test_reach_table():
    rows = {u: (u.max_forward, u.max_backward, u.alignment, u.veneer) for u in LabelUse}
    assert rows == {
        LabelUse.BRANCH26: (128 * MIB - 4, 128 * MIB, 4, Veneer.ABSOLUTE),
        LabelUse.BRANCH19: (MIB - 4, MIB, 4, Veneer.BRANCH),
        LabelUse.BRANCH14: (32 * KIB - 4, 32 * KIB, 4, Veneer.BRANCH),
        LabelUse.LDR19: (MIB - 4, MIB, 4, None),
        LabelUse.ADR21: (MIB - 1, MIB, 1, None),
        LabelUse.ADRP21: (4 * GIB - 4096, 4 * GIB, 1, None),
    }
    assert Veneer.BRANCH.use is LabelUse.BRANCH26 and Veneer.BRANCH.code_size == 4
    assert Veneer.ABSOLUTE.use is None
    assert (Veneer.ABSOLUTE.code_size, Veneer.ABSOLUTE.literal_size) == (8, 8)
    assert [u for u in LabelUse if u.is_branch] == [LabelUse.BRANCH26, LabelUse.BRANCH19,
                                                      LabelUse.BRANCH14]


def test_accepts_exactly_its_instructions(oracle):
    for use, text in INSTRUCTIONS:
        word = oracle[text.format("#0")]
        assert [u for u in LabelUse if u.accepts(word)] == [use], text
    for other in ("ret", "nop", "add x0, x1, #1", "ldr x0, [x1]", "br x16", "movz x0, #1"):
        (word,) = llvm_mc_words([other])
        assert not any(u.accepts(word) for u in LabelUse), other


_CS = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(INSTRUCTIONS), st.integers(1 << 33, 1 << 40), st.data())
def test_patched_word_decodes_to_its_target(oracle_words, instruction, use_address, data):
    use, text = instruction
    use_address -= use_address % 4
    unit = 4096 if use is LabelUse.ADRP21 else use.alignment
    steps = data.draw(st.integers(-use.max_backward // unit, use.max_forward // unit))
    target = use_address + steps * unit
    word = use.patch(oracle_words[text.format("#0")], use_address, target)
    # adrp refers to the target's page.
    expected = (use_address & ~0xFFF) + steps * 4096 if use is LabelUse.ADRP21 else target
    assert use.target(word, use_address) == expected
    (insn,) = _CS.disasm(struct.pack("<I", word), use_address)
    assert insn.op_str.endswith(f"#{expected:#x}"), (text, insn.op_str)


@pytest.fixture(scope="module")
def oracle_words() -> dict[str, int]:
    lines = [text.format("#0") for _, text in INSTRUCTIONS]
    return dict(zip(lines, llvm_mc_words(lines)))
