"""CodeBuffer: label resolution, literal pools, sections, relocations, errors.

Instruction words are checked through capstone's disassembly at the address
they end up at (`b.ne #0x10`), so a wrong patch shows as a wrong target.
Islands at the 1 MiB scale run under Unicorn in test_islands.py; the
32 KiB reach of tbz lets this file check an island's exact layout.
"""

from __future__ import annotations

import struct

import capstone
import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.buffer import (CodeBuffer, CompiledCode, LabelError, LabelRangeError,
                                  LabelUse, LinkError, LiteralEntry, Reloc, RelocKind)
from pyjit.aarch64.operands import Cond
from pyjit.aarch64.registers import D1, W2, X0, X1, X2, X3, X16

if __package__:
    from .unicorn_harness import CODE_BASE, run
else:
    from unicorn_harness import CODE_BASE, run

MIB = 1 << 20
NOP = isa.nop()
_CS = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)


def text_at(data: bytes, offset: int, base: int = 0) -> str:
    """capstone's text of the instruction at offset (as if loaded at base)."""
    for insn in _CS.disasm(data[offset:offset + 4], base + offset):
        return f"{insn.mnemonic} {insn.op_str}"
    return f".inst {struct.unpack_from('<I', data, offset)[0]:#010x}"


def word_at(data: bytes, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


def check_accounting(code: CompiledCode) -> None:
    """Sizes add up to the data, and regions tile it exactly."""
    parts = ("code", "literals", "stubs", "veneers", "padding")
    assert sum(code.sizes[s] for s in parts) == code.sizes["total"] == len(code.data)
    position = 0
    for i, (start, end, section) in enumerate(code.regions):
        assert start == position and end > start and section in parts
        if i:
            assert code.regions[i - 1][2] != section, "adjacent equal sections must be merged"
        position = end
    assert position == len(code.data)
    for section in parts:
        assert code.sizes[section] == sum(e - s for s, e, sec in code.regions if sec == section)


# -- labels ---------------------------------------------------------------

def test_forward_and_backward_uses_are_patched():
    buf = CodeBuffer("f")
    top, fwd = buf.new_label("top"), buf.new_label("fwd")
    buf.bind(top)
    buf.emit(NOP)
    buf.emit_use(isa.b_cond(Cond.NE, 0), fwd, LabelUse.BRANCH19)     # 0x4
    buf.emit_use(isa.cbz(X1, 0), top, LabelUse.BRANCH19)             # 0x8
    buf.emit_use(isa.tbz(X2, 3, 0), fwd, LabelUse.BRANCH14)          # 0xc
    buf.emit_use(isa.adr(X3, 0), fwd, LabelUse.ADR21)                # 0x10
    buf.emit_use(isa.b(0), top, LabelUse.BRANCH26)                   # 0x14
    buf.emit_use(isa.bl(0), fwd, LabelUse.BRANCH26)                  # 0x18
    assert buf.label_offset(fwd) is None and buf.offset == 0x1C
    buf.bind(fwd)
    buf.emit(isa.ret())
    code = buf.finish()
    texts = [text_at(code.data, off) for off in range(0, len(code.data), 4)]
    assert texts == ["nop ", "b.ne #0x1c", "cbz x1, #0", "tbz w2, #3, #0x1c", "adr x3, #0x1c",
                     "b #0", "bl #0x1c", "ret "]
    assert code.labels == {"top": [0], "fwd": [0x1C]}
    assert code.sizes == {"code": 32, "literals": 0, "stubs": 0, "veneers": 0, "padding": 0,
                          "total": 32}
    assert code.relocs == [] and code.literals == {}


def test_label_names_need_not_be_unique_and_default_names():
    buf = CodeBuffer()
    a, b, c = buf.new_label("exit"), buf.new_label("exit"), buf.new_label()
    for label in (a, b, c):
        buf.bind(label)
        buf.emit(NOP)
    code = buf.finish()
    assert code.labels == {"exit": [0, 4], c.name: [8]}
    assert c.name == ".L2"


def test_adrp_refers_to_the_page_of_its_label():
    buf = CodeBuffer()
    data = buf.new_label("data")
    buf.emit_use(isa.adrp(X0, 0), data, LabelUse.ADRP21)
    buf.emit_data(bytes(0x3000))
    buf.bind(data)
    buf.emit_data(b"payload!")
    code = buf.finish()
    base = CODE_BASE
    assert text_at(code.link(base, {}.__getitem__), 0, base) == f"adrp x0, #{base + 0x3000:#x}"


# -- literals ---------------------------------------------------------------

def test_literals_are_deduplicated_and_pooled_at_the_end():
    buf = CodeBuffer("lits")
    a = buf.literal(42)
    assert buf.literal(42) is a
    assert buf.literal(42, size=4) is not a
    assert buf.literal(-1) is buf.literal(0xFFFF_FFFF_FFFF_FFFF)
    assert buf.literal(-1, 4) is buf.literal(0xFFFF_FFFF, 4)
    sym = buf.literal_reloc("PyNumber_Add")
    assert buf.literal_reloc("PyNumber_Add", RelocKind.ABS64, 0) is sym
    assert buf.literal_reloc("PyNumber_Add", addend=8) is not sym
    uses = [(X0, a), (W2, buf.literal(7, 4)), (X1, sym), (X2, a), (D1, buf.literal(-1)),
            (X3, buf.literal_reloc("PyNumber_Add", addend=8)), (W2, buf.literal(-1, 4))]
    for reg, lit in uses:
        buf.emit_use(isa.ldr_literal(reg, 0), lit, LabelUse.LDR19)
    buf.emit(isa.ret())                                   # code: 8 words = 0x20
    code = buf.finish()
    check_accounting(code)
    # 8-byte entries first (first-use order), then 4-byte ones; no padding
    # needed at 0x20.
    assert code.literals == {
        0x20: LiteralEntry(8, value=42),
        0x28: LiteralEntry(8, reloc=Reloc(0x28, RelocKind.ABS64, "PyNumber_Add", 0)),
        0x30: LiteralEntry(8, value=0xFFFF_FFFF_FFFF_FFFF),
        0x38: LiteralEntry(8, reloc=Reloc(0x38, RelocKind.ABS64, "PyNumber_Add", 8)),
        0x40: LiteralEntry(4, value=7),
        0x44: LiteralEntry(4, value=0xFFFF_FFFF),
    }
    assert code.relocs == [Reloc(0x28, RelocKind.ABS64, "PyNumber_Add", 0),
                           Reloc(0x38, RelocKind.ABS64, "PyNumber_Add", 8)]
    texts = [text_at(code.data, 4 * i) for i in range(7)]
    assert texts == ["ldr x0, #0x20", "ldr w2, #0x40", "ldr x1, #0x28", "ldr x2, #0x20",
                     "ldr d1, #0x30", "ldr x3, #0x38", "ldr w2, #0x44"]
    assert code.data[0x20:0x28] == (42).to_bytes(8, "little")
    assert code.data[0x28:0x30] == bytes(8)                       # filled at link time
    assert code.sizes["literals"] == 4 * 8 + 2 * 4 and code.sizes["padding"] == 0
    assert code.labels["=0x2a"] == [0x20] and code.labels["=PyNumber_Add+0x8"] == [0x38]
    assert buf.label_offset(a) == 0x20


def test_pool_is_aligned_to_8_with_padding_counted():
    buf = CodeBuffer()
    buf.emit_use(isa.ldr_literal(X0, 0), buf.literal(5), LabelUse.LDR19)
    buf.emit_use(isa.adr(X1, 0), buf.literal(6), LabelUse.ADR21)
    buf.emit(isa.ret())
    code = buf.finish()
    check_accounting(code)
    assert code.regions == [(0, 12, "code"), (12, 16, "padding"), (16, 32, "literals")]
    assert text_at(code.data, 4) == "adr x1, #0x18"


def test_no_pool_no_padding():
    buf = CodeBuffer()
    buf.emit(isa.ret())
    assert buf.finish().sizes == {"code": 4, "literals": 0, "stubs": 0, "veneers": 0,
                                  "padding": 0, "total": 4}


def test_literal_label_cannot_be_bound_or_branched_to():
    buf = CodeBuffer()
    lit = buf.literal(1)
    with pytest.raises(LabelError, match="literal"):
        buf.bind(lit)
    with pytest.raises(LabelError, match="cannot branch"):
        buf.emit_use(isa.b(0), lit, LabelUse.BRANCH26)


@pytest.mark.parametrize("value,size", [(1 << 64, 8), (-(1 << 63) - 1, 8), (1 << 32, 4), (1, 2)])
def test_literal_values_must_fit(value, size):
    with pytest.raises(ValueError):
        CodeBuffer().literal(value, size)


# -- sections, data, regions, annotations ----------------------------------

def test_sections_regions_and_padding():
    buf = CodeBuffer("sections")
    stub = buf.new_label("stub")
    buf.emit_use(isa.bl(0), stub, LabelUse.BRANCH26)                   # code 0..4
    buf.emit_use(isa.ldr_literal(X0, 0), buf.literal(9), LabelUse.LDR19)  # code 4..8
    buf.emit(isa.ret())                                                # code 8..12
    with buf.section("stubs"):
        buf.bind(stub)
        buf.emit(NOP)                                                  # stubs 12..16
        with buf.section("stubs"):
            buf.emit(isa.ret())                                        # stubs 16..20
    buf.emit_data(b"abc")                                              # code 20..23
    buf.emit(NOP)                                                      # padding 23..24, code 24..28
    buf.emit_data(b"\x01" * 8, align=16)                               # padding 28..32, code 32..40
    with buf.section("veneers"):
        buf.emit(NOP)                                                  # veneers 40..44
    code = buf.finish()                                                # padding 44..48, pool 48..56
    check_accounting(code)
    assert code.regions == [(0, 12, "code"), (12, 20, "stubs"), (20, 23, "code"),
                            (23, 24, "padding"), (24, 28, "code"), (28, 32, "padding"),
                            (32, 40, "code"), (40, 44, "veneers"), (44, 48, "padding"),
                            (48, 56, "literals")]
    assert code.sizes == {"code": 27, "literals": 8, "stubs": 8, "veneers": 4, "padding": 9,
                          "total": 56}
    assert code.data[20:23] == b"abc" and code.data[23:24] == b"\0"
    assert text_at(code.data, 0) == "bl #0xc"


def test_unknown_section_is_refused():
    with pytest.raises(ValueError, match="unknown section 'padding'"):
        with CodeBuffer().section("padding"):
            pass


def test_annotations_attach_to_the_current_offset():
    buf = CodeBuffer()
    buf.annotate("entry")
    buf.annotate("frame setup")
    buf.emit(NOP)
    buf.annotate("call helper")
    buf.emit(isa.ret())
    code = buf.finish()
    assert code.annotations == {0: ["entry", "frame setup"], 4: ["call helper"]}


# -- relocations and link ---------------------------------------------------

SYMBOLS = {"helper": 0x1234_5678_9ABC_DEF0, "near": CODE_BASE + 0x10_0000,
           "far": CODE_BASE + 200 * MIB, "data": CODE_BASE + 0x8000}


def test_link_applies_every_reloc_kind():
    buf = CodeBuffer("rel")
    for kind, shift in ((RelocKind.MOVW_UABS_G3, 48), (RelocKind.MOVW_UABS_G2_NC, 32),
                        (RelocKind.MOVW_UABS_G1_NC, 16), (RelocKind.MOVW_UABS_G0_NC, 0)):
        buf.reloc(kind, "helper")
        buf.emit((isa.movz if shift == 48 else isa.movk)(X16, 0, shift))   # 0x0..0x10
    buf.reloc(RelocKind.CALL26, "near", addend=8)
    buf.emit(isa.bl(0))                                                    # 0x10
    buf.reloc(RelocKind.JUMP26, "near")
    buf.emit(isa.b(0))                                                     # 0x14
    buf.emit_use(isa.ldr_literal(X0, 0), buf.literal_reloc("data", addend=16), LabelUse.LDR19)
    buf.reloc(RelocKind.ABS64, "helper", addend=-0x10)
    buf.emit_data(bytes(8), align=8)                                       # 0x20
    buf.reloc(RelocKind.RELATIVE64, "", addend=0x14)
    buf.emit_data(bytes(8))                                                # 0x28
    code = buf.finish()                                                    # pool: 0x30
    assert [(r.offset, r.kind) for r in code.relocs] == [
        (0, RelocKind.MOVW_UABS_G3), (4, RelocKind.MOVW_UABS_G2_NC),
        (8, RelocKind.MOVW_UABS_G1_NC), (12, RelocKind.MOVW_UABS_G0_NC),
        (0x10, RelocKind.CALL26), (0x14, RelocKind.JUMP26), (0x20, RelocKind.ABS64),
        (0x28, RelocKind.RELATIVE64), (0x30, RelocKind.ABS64)]
    # Unlinked, the relocated fields hold 0.
    assert [word_at(code.data, off) for off in range(0, 0x18, 4)] == [
        isa.movz(X16, 0, 48), isa.movk(X16, 0, 32), isa.movk(X16, 0, 16), isa.movk(X16, 0, 0),
        isa.bl(0), isa.b(0)]
    assert code.data[0x20:0x30] == bytes(16)
    base = CODE_BASE
    linked = code.link(base, SYMBOLS.__getitem__)
    assert [text_at(linked, off, base) for off in range(0, 0x1C, 4)] == [
        "mov x16, #0x1234000000000000", "movk x16, #0x5678, lsl #32",
        "movk x16, #0x9abc, lsl #16", "movk x16, #0xdef0",
        f"bl #{SYMBOLS['near'] + 8:#x}", f"b #{SYMBOLS['near']:#x}",
        f"ldr x0, #{base + 0x30:#x}"]
    quads = struct.unpack_from("<3Q", linked, 0x20)
    assert quads == (SYMBOLS["helper"] - 0x10, base + 0x14, SYMBOLS["data"] + 16)
    assert len(linked) == len(code.data)


def test_linked_movw_sequence_and_literal_run_under_unicorn():
    buf = CodeBuffer()
    for kind, shift in ((RelocKind.MOVW_UABS_G3, 48), (RelocKind.MOVW_UABS_G2_NC, 32),
                        (RelocKind.MOVW_UABS_G1_NC, 16), (RelocKind.MOVW_UABS_G0_NC, 0)):
        buf.reloc(kind, "helper")
        buf.emit((isa.movz if shift == 48 else isa.movk)(X0, 0, shift))
    buf.emit_use(isa.ldr_literal(X1, 0), buf.literal_reloc("helper", addend=3), LabelUse.LDR19)
    buf.emit(isa.sub(X0, X1, X0))
    buf.emit(isa.ret())
    code = buf.finish()
    assert run(code, resolve=SYMBOLS.__getitem__) == 3


def test_link_errors_name_symbol_and_offset():
    buf = CodeBuffer("calls")
    buf.emit(NOP)
    buf.reloc(RelocKind.CALL26, "far")
    buf.emit(isa.bl(0))
    code = buf.finish()
    with pytest.raises(LinkError, match=r"calls\+0x4: CALL26 to 'far' .* out of reach") as info:
        code.link(CODE_BASE, SYMBOLS.__getitem__)
    assert (info.value.symbol, info.value.offset) == ("far", 4)
    with pytest.raises(LinkError, match="cannot resolve symbol 'far'"):
        code.link(CODE_BASE, {}.__getitem__)
    with pytest.raises(LinkError, match="not 4 KiB aligned"):
        code.link(CODE_BASE + 0x10, SYMBOLS.__getitem__)
    # In reach at the very edge: the last reachable byte is 128 MiB - 4 away.
    edge = CODE_BASE + 4 + 128 * MIB - 4
    assert text_at(code.link(CODE_BASE, lambda s: edge), 4, CODE_BASE) == f"bl #{edge:#x}"
    with pytest.raises(LinkError):
        code.link(CODE_BASE, lambda s: edge + 4)


def test_link_refuses_values_that_do_not_fit():
    buf = CodeBuffer()
    buf.reloc(RelocKind.MOVW_UABS_G3, "neg")
    buf.emit(isa.movz(X0, 0, 48))
    with pytest.raises(LinkError, match="MOVW_UABS_G3"):
        buf.finish().link(CODE_BASE, lambda s: -16)


@pytest.mark.parametrize("kind,word", [
    (RelocKind.CALL26, isa.b(0)), (RelocKind.JUMP26, isa.bl(0)),
    (RelocKind.MOVW_UABS_G1_NC, isa.movk(X0, 0, 32)), (RelocKind.MOVW_UABS_G0_NC, NOP),
    (RelocKind.ABS64, NOP)])
def test_reloc_must_match_its_instruction(kind, word):
    buf = CodeBuffer()
    buf.reloc(kind, "sym")
    with pytest.raises(ValueError, match=f"{kind.name} applies to"):
        buf.emit(word)


def test_reloc_misuse_is_refused():
    buf = CodeBuffer()
    buf.reloc(RelocKind.CALL26, "sym")
    with pytest.raises(ValueError, match="already pending"):
        buf.reloc(RelocKind.CALL26, "sym")
    with pytest.raises(ValueError, match="not to 4 bytes of data"):
        buf.emit_data(bytes(4))
    with pytest.raises(ValueError, match="cannot apply to a label use"):
        buf.emit_use(isa.bl(0), buf.new_label(), LabelUse.BRANCH26)
    with pytest.raises(ValueError, match="never followed"):
        buf.finish()
    with pytest.raises(ValueError, match="needs a symbol"):
        CodeBuffer().reloc(RelocKind.ABS64, "")
    with pytest.raises(ValueError, match="must be ABS64"):
        CodeBuffer().literal_reloc("x", RelocKind.CALL26)


# -- errors ------------------------------------------------------------------

def test_unbound_label_is_reported_at_finish():
    buf = CodeBuffer("f")
    exit_ = buf.new_label("exit")
    buf.emit(NOP)
    buf.emit_use(isa.cbz(X0, 0), exit_, LabelUse.BRANCH19)
    buf.emit_use(isa.adr(X0, 0), exit_, LabelUse.ADR21)
    with pytest.raises(LabelError, match=r"f: unbound label\(s\): 'exit' used at 0x4, 0x8"):
        buf.finish()


def test_unused_unbound_label_is_fine():
    buf = CodeBuffer()
    buf.new_label("spare")
    buf.emit(isa.ret())
    assert buf.finish().labels == {}


def test_double_bind_and_foreign_labels_are_refused():
    buf, other = CodeBuffer("f"), CodeBuffer("g")
    label = buf.new_label("x")
    buf.bind(label)
    buf.emit(NOP)
    with pytest.raises(LabelError, match="'x' bound twice"):
        buf.bind(label)
    with pytest.raises(LabelError, match="not a label of this buffer"):
        other.bind(label)
    with pytest.raises(LabelError, match="not a label of this buffer"):
        other.emit_use(isa.b(0), label, LabelUse.BRANCH26)


def test_wrong_instruction_for_the_use_is_refused():
    buf = CodeBuffer()
    with pytest.raises(ValueError, match="not one of b, bl"):
        buf.emit_use(isa.b_cond(Cond.EQ, 0), buf.new_label(), LabelUse.BRANCH26)
    with pytest.raises(ValueError, match="not a 32-bit value"):
        buf.emit(1 << 32)
    with pytest.raises(ValueError, match="not a 32-bit value"):
        buf.emit(-1)


def test_finished_buffer_is_closed():
    buf = CodeBuffer()
    buf.emit(isa.ret())
    buf.finish()
    for action in (lambda: buf.emit(NOP), buf.finish, lambda: buf.emit_data(b"x"),
                   lambda: buf.bind(buf.new_label())):
        with pytest.raises(LabelError, match="finished"):
            action()


def test_ldr_and_adr_to_code_labels_out_of_reach_are_errors():
    buf = CodeBuffer()
    data = buf.new_label("table")
    buf.emit_use(isa.ldr_literal(X0, 0), data, LabelUse.LDR19)
    buf.emit_data(bytes(MIB))
    with pytest.raises(LabelRangeError, match="'table'.*LDR19.*out of reach"):
        buf.bind(data)
    buf = CodeBuffer()
    start = buf.new_label("start")
    buf.bind(start)
    buf.emit_data(bytes(MIB))
    buf.emit_use(isa.adr(X0, 0), start, LabelUse.ADR21)     # 1 MiB back: the edge, fine
    with pytest.raises(LabelRangeError, match="'start'.*ADR21"):
        buf.emit_use(isa.adr(X0, 0), start, LabelUse.ADR21)


# -- islands at the 32 KiB scale ---------------------------------------------

def test_tbz_island_layout():
    buf = CodeBuffer("tbz")
    far = buf.new_label("far")
    buf.emit_use(isa.tbz(X0, 0, 0), far, LabelUse.BRANCH14)
    for _ in range(10_000):
        buf.emit(NOP)
    buf.bind(far)
    buf.emit(isa.ret())
    code = buf.finish()
    check_accounting(code)
    (island, end, section), = [r for r in code.regions if r[2] == "veneers"]
    assert end - island == 8 and 32 * 1024 - 64 <= island <= 32 * 1024 - 16
    assert text_at(code.data, island) == f"b #{island + 8:#x}"
    assert text_at(code.data, island + 4) == f"b #{code.labels['far'][0]:#x}"
    assert text_at(code.data, 0) == f"tbz w0, #0, #{island + 4:#x}"
    assert code.annotations[island] == ["island: 1 veneer"]
    assert code.annotations[island + 4] == ["veneer -> far"]
    assert code.sizes["veneers"] == 8 and buf.stats.islands == 1 and buf.stats.veneers == 1


@pytest.mark.parametrize("step", range(0, 48, 4))
def test_island_never_separates_a_label_from_its_instruction(step):
    # Bind a label, then emit, at every offset around the point where the
    # tbz forces an island: the label must mark the instruction, never the
    # island's branch.
    buf = CodeBuffer()
    far, here = buf.new_label("far"), buf.new_label("here")
    buf.emit_use(isa.tbz(X0, 0, 0), far, LabelUse.BRANCH14)
    for _ in range((32 * 1024 - 64 + step) // 4):
        buf.emit(NOP)
    buf.bind(here)
    buf.emit(isa.movz(X1, 7))
    buf.bind(far)
    buf.emit(isa.ret())
    code = buf.finish()
    assert word_at(code.data, code.labels["here"][0]) == isa.movz(X1, 7)
    assert buf.stats.islands == (1 if code.sizes["veneers"] else 0)


def test_tbz_bound_in_reach_after_an_island_keeps_pending_uses_direct():
    # A literal forces an island; a tbz whose label comes soon after is not
    # forced and keeps its direct branch.
    buf = CodeBuffer()
    buf.emit_use(isa.ldr_literal(X0, 0), buf.literal(77), LabelUse.LDR19)
    for _ in range((MIB - 64) // 4):
        buf.emit(NOP)
    near = buf.new_label("near")
    buf.emit_use(isa.tbz(X0, 1, 0), near, LabelUse.BRANCH14)
    for _ in range(100):
        buf.emit(NOP)
    buf.bind(near)
    buf.emit(isa.ret())
    code = buf.finish()
    assert buf.stats.islands == 1 and buf.stats.veneers == 0
    tbz_at = next(off for off in range(MIB - 256, len(code.data), 4)
                  if text_at(code.data, off).startswith("tbz"))
    assert text_at(code.data, tbz_at) == f"tbz w0, #1, #{code.labels['near'][0]:#x}"


@pytest.mark.parametrize("at", range(32 * 1024 - 40, 32 * 1024 + 4, 4))
def test_binding_a_label_resolves_its_uses_without_an_island(at):
    # tbz reaches 32764 bytes.  While the label can still be bound in
    # reach, binding it needs no island; past the point where the next
    # instruction would leave no room for a veneer, the island comes first.
    buf = CodeBuffer()
    far = buf.new_label("far")
    buf.emit_use(isa.tbz(X0, 0, 0), far, LabelUse.BRANCH14)
    while buf.offset < at:
        buf.emit(NOP)
    buf.bind(far)
    buf.emit(isa.ret())
    code = buf.finish()
    direct = at <= 32 * 1024 - 16      # 32752: the last nop fits before 32764 - 8 - 4
    assert buf.stats.islands == (0 if direct else 1)
    target = code.labels["far"][0] if direct else code.regions[1][0] + 4
    assert text_at(code.data, 0) == f"tbz w0, #0, #{target:#x}"
