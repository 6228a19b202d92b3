"""The shared routines' text (pyjit/cpython/routines.py, int_routines.py)
as assembled: every instruction that is not pc-relative is the word llvm-mc
makes of its (macro-expanded) source line, the float paths' d-register loads,
stores, arithmetic, compares and conversions among them, and every literal
load reaches its literal (capstone)."""

from __future__ import annotations

import re
import struct

from oracle import capstone_text, llvm_mc_word
from pyjit.aarch64.asmtext import assemble
from pyjit.cpython import routines

_BRANCHES = re.compile(r"^(b|bl|b\.\w+|cbn?z|tbn?z|adrp?)\b")


def _source() -> str:
    addresses = {name: 0x4000_0000 + 0x100 * i for i, name in enumerate(routines.HELPERS_CALLED)}
    addresses.update(routines.object_addresses())
    addresses.update(stack_limit=0x7000_0000, int_pool=0x7100_0000, float_pool=0x7200_0000,
                     iter_pool=0x7300_0000, range_pool=0x7600_0000, dunder_table=0x7500_0000,
                     activations=0x7700_0000)
    return routines.source(addresses)


def _instruction_lines(source: str) -> list[str]:
    lines = []
    for raw in source.splitlines():
        line = raw.split("//")[0].strip()
        if line.startswith("."):
            break                       # the literals: after every instruction
        if line and not line.endswith(":"):
            lines.append(line)
    return lines


def test_the_routines_are_their_source():
    source = _source()
    code = assemble(source, routines.NAME).code
    lines = _instruction_lines(source)
    plain = [(i, line) for i, line in enumerate(lines)
             if not _BRANCHES.match(line) and not re.search(r"\blit_\w+", line)]
    assert any(line.startswith("fdiv") for _, line in plain)
    expected = llvm_mc_word([line for _, line in plain])
    for (i, line), want in zip(plain, expected):
        assert want is not None, line
        assert struct.unpack_from("<I", code.data, 4 * i)[0] == want, line
    for i, line in enumerate(lines):
        label = re.search(r"\b(lit_\w+)", line)
        if label:
            target = code.labels[label.group(1)][0]
            word = struct.unpack_from("<I", code.data, 4 * i)[0]
            assert capstone_text(word, 4 * i) == f"ldr {line.split()[1]} #{target:#x}", line
