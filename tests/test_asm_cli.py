"""`pyjit asm` against llvm-mc, its errors, and the assembly parser.

llvm-mc (Debian's `llvm` package, LLVM 14 here) is a required dependency of
these tests: they fail, not skip, without it.

1. Agreement: every instruction of tests/asm/all_forms.s encodes as llvm-mc
   encodes it (`-show-encoding`; where llvm-mc shows a fixup, the bits it
   does know), and the whole output equals the .text section of llvm-mc's
   object file with its adrp relocations applied for a load address of 0.
2. Errors: exit status 1 and `pyjit asm: line N: <text>: <reason>`.
3. The parser's structured output, and the builder calls it lowers to, for
   tricky operands.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyjit.aarch64.asmsyntax import (FImm, Imm, Instruction, LabelDef, LocalRef, Memory,
                                     ShiftSpec, Source, Symbol, SyntaxProblem, parse_line,
                                     parse_source)
from pyjit.aarch64.asmtext import AsmError, assemble, lower
from pyjit.aarch64.operands import (Cond, Extended, Mem, PostIndex, PreIndex, RegOffset,
                                    Shifted)
from pyjit.aarch64.registers import D0, D1, SP, W1, W2, WSP, X0, X1, X2, X29, X30, XZR
from pyjit.cli import main

ALL_FORMS = Path(__file__).parent / "asm" / "all_forms.s"
LLVM_TOOLS = ("llvm-mc", "llvm-objcopy", "llvm-objdump")


@pytest.fixture(scope="module")
def llvm() -> dict[str, str]:
    """Paths of the LLVM tools; fails the test when one is missing."""
    paths = {tool: shutil.which(tool) for tool in LLVM_TOOLS}
    missing = [tool for tool, path in paths.items() if path is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found on PATH: these tests need LLVM's "
                    f"tools (Debian/Ubuntu: apt-get install llvm)")
    return paths


def run_cli(capsys, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `pyjit <argv>` run in-process."""
    if stdin is not None:
        old, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        status = main(list(argv))
    finally:
        if stdin is not None:
            sys.stdin = old
    out, err = capsys.readouterr()
    return status, out, err


# -- 1. agreement with llvm-mc --------------------------------------------------

_ENCODING = re.compile(r"^\t(\S+)(?:\t(.*?))?\s+// encoding: \[(.*)\]$")


def encoding_lines(listing: str) -> list[tuple[str, str]]:
    """(instruction text, encoding spec) of each `// encoding:` line."""
    out = []
    for line in listing.splitlines():
        m = _ENCODING.match(line)
        if m is not None:
            out.append((f"{m.group(1)} {m.group(2) or ''}".strip(), m.group(3)))
    return out


def byte_matches(spec: str, value: int) -> bool:
    """llvm-mc's byte spec: `0x2a`, `A` (a fixup byte), `0bAAA00001` (bits,
    A where a fixup goes) or `0x04'A'` (0x04 with some bits, not said
    which, left to a fixup: those are 0 in 0x04, so value has its ones)."""
    if spec.endswith("'A'"):
        known = int(spec[:-3], 16)
        return value & known == known
    if spec.startswith("0x"):
        return int(spec, 16) == value
    if spec.startswith("0b"):
        bits = spec[2:]
        return all(b == "A" or int(b) == (value >> (7 - i)) & 1 for i, b in enumerate(bits))
    return spec == "A"


def test_every_instruction_encodes_as_llvm_mc(llvm, capsys):
    status, ours, err = run_cli(capsys, "asm", str(ALL_FORMS))
    assert status == 0, err
    theirs = subprocess.run([llvm["llvm-mc"], "-triple=aarch64", "-show-encoding",
                             str(ALL_FORMS)], capture_output=True, text=True, check=True).stdout
    # llvm-mc prints no encoding for data directives; we do.
    ours_insns = [(text, enc) for text, enc in encoding_lines(ours) if not text.startswith(".")]
    theirs_insns = encoding_lines(theirs)
    assert len(ours_insns) == len(theirs_insns) > 400
    mismatches = []
    for (text, enc), (their_text, their_enc) in zip(ours_insns, theirs_insns):
        values = [int(b, 16) for b in enc.split(",")]
        specs = their_enc.split(",")
        if len(values) != len(specs) or not all(map(byte_matches, specs, values)):
            mismatches.append(f"{text}: ours [{enc}], llvm-mc ({their_text}) [{their_enc}]")
    assert not mismatches, "\n".join(mismatches)


def test_all_forms_uses_every_builder():
    """all_forms.s stays complete: every mnemonic of isa.MNEMONICS (and the
    literal loads, and every condition of b.cond) appears in it."""
    from pyjit.aarch64 import isa

    statements = [s for s in parse_source(ALL_FORMS.read_text()) if isinstance(s, Instruction)]
    called = {lower(s).name for s in statements}
    missing = set(isa.MNEMONICS) - called
    assert not missing, f"add lines using {sorted(missing)} to {ALL_FORMS.name}"
    assert {"ldr_literal", "ldrsw_literal"} <= called
    conds = {lower(s).args[0] for s in statements if lower(s).name == "b.cond"}
    assert conds == set(Cond)


def llvm_text_section(llvm, source: Path, tmp_path: Path) -> bytes:
    """The .text of llvm-mc's object for `source`, with its relocations
    applied for a load address of 0 (only adrp's are expected)."""
    obj, raw = tmp_path / "out.o", tmp_path / "out.bin"
    subprocess.run([llvm["llvm-mc"], "-triple=aarch64", "-filetype=obj", str(source),
                    "-o", str(obj)], check=True)
    subprocess.run([llvm["llvm-objcopy"], "-O", "binary", "--only-section=.text",
                    str(obj), str(raw)], check=True)
    data = bytearray(raw.read_bytes())
    relocs = subprocess.run([llvm["llvm-objdump"], "-r", str(obj)], capture_output=True,
                            text=True, check=True).stdout
    for m in re.finditer(r"^([0-9a-f]{16}) (\S+)\s+(\S+)$", relocs, re.MULTILINE):
        offset, kind, value = int(m.group(1), 16), m.group(2), m.group(3)
        target = re.fullmatch(r"\.text(?:\+0x([0-9a-f]+))?", value)
        assert kind == "R_AARCH64_ADR_PREL_PG_HI21" and target, m.group(0)
        pages = (int(target.group(1) or "0", 16) >> 12) - (offset >> 12)
        word = int.from_bytes(data[offset:offset + 4], "little")
        word |= (pages & 3) << 29 | (pages >> 2 & 0x7FFFF) << 5
        data[offset:offset + 4] = word.to_bytes(4, "little")
    return bytes(data)


def test_whole_file_matches_llvm_mc_object(llvm, capsys, tmp_path):
    expected = llvm_text_section(llvm, ALL_FORMS, tmp_path)
    out = tmp_path / "ours.bin"
    status, stdout, err = run_cli(capsys, "asm", str(ALL_FORMS), "-o", str(out))
    assert (status, stdout, err) == (0, "", "")
    ours = out.read_bytes()
    assert len(ours) == len(expected)
    diffs = [f"offset {i:#x}: ours {ours[i:i + 4].hex()}, llvm-mc {expected[i:i + 4].hex()}"
             for i in range(0, len(ours), 4) if ours[i:i + 4] != expected[i:i + 4]]
    assert not diffs, "\n".join(diffs)
    status, stdout, _ = run_cli(capsys, "asm", "--hex", str(ALL_FORMS))
    assert status == 0 and stdout == expected.hex() + "\n"


def assert_listing_is_faithful(result) -> None:
    """The lines account for every byte, in order, and each label line is
    followed by the bytes at its offset."""
    assert b"".join(line.data for line in result.lines) == result.data
    offset = 0
    for line in result.lines:
        assert line.offset == offset, line
        offset += len(line.data)


def test_listing_accounts_for_every_byte():
    assert_listing_is_faithful(assemble(ALL_FORMS.read_text()))


def test_far_branches_get_veneers_shown_as_island_lines(llvm):
    # The island lands just before `here:`; the label stays after it.
    source = ("tbz x0, #0, far\n" + "nop\n" * 8186 + "here: nop\n" + "nop\n" * 900
              + "far: ret\n")
    result = assemble(source)
    islands = [i for i, line in enumerate(result.lines) if line.kind == "island"]
    assert len(islands) == 1
    island, label = result.lines[islands[0]:islands[0] + 2]
    assert (island.op, len(island.data), label.text) == (".inst", 8, "here:")
    assert_listing_is_faithful(result)
    # llvm-mc cannot assemble this: tbz reaches 32 KiB.
    proc = subprocess.run([llvm["llvm-mc"], "-triple=aarch64", "-filetype=obj", "-o", "/dev/null"],
                          input=source, capture_output=True, text=True)
    assert proc.returncode != 0 and "out of range" in proc.stderr


def test_listing_format_is_llvm_mcs(llvm, capsys):
    source = "foo:\n  ADD X0,X1,#1\nb foo\nnop\n.word 5\n"
    status, out, _ = run_cli(capsys, "asm", stdin=source)
    assert status == 0
    assert out == ("\t.text\n"
                   "foo:\n"
                   "\tadd\tx0, x1, #1                      // encoding: [0x20,0x04,0x00,0x91]\n"
                   "\tb\tfoo                             // encoding: [0xff,0xff,0xff,0x17]\n"
                   "\tnop                                     // encoding: [0x1f,0x20,0x03,0xd5]\n"
                   "\t.word\t5                               // encoding: [0x05,0x00,0x00,0x00]\n")
    theirs = subprocess.run([llvm["llvm-mc"], "-triple=aarch64", "-show-encoding"],
                            input="add x0, x1, #1\nnop\n", capture_output=True, text=True,
                            check=True).stdout
    assert theirs.splitlines()[1] == out.splitlines()[2]
    assert theirs.splitlines()[2] == out.splitlines()[4]


def test_python_dash_m_entry_point_reads_stdin():
    proc = subprocess.run([sys.executable, "-m", "pyjit.cli", "asm", "-", "--hex"],
                          input="ret\n", capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "c0035fd6\n", "")


def test_help_names_the_subcommand_and_its_options(capsys):
    with pytest.raises(SystemExit):
        main(["asm", "--help"])
    out = capsys.readouterr().out
    for word in ("--hex", "--output", "--keep-going", "resolved", "standard input"):
        assert word in out


# -- 2. errors -------------------------------------------------------------------

@pytest.mark.parametrize("line, reason", [
    ("frobnicate x0, x1", "unknown mnemonic 'frobnicate'"),
    ("add x0, x1, #4097", "add: immediate 4097 does not fit: allowed 0..4095"),
    ("add x0, x32, #1", "invalid register 'x32'"),
    ("ldr x0, [x1, #32768]", "ldr: offset 32768 does not fit"),
    ("b nowhere", "undefined label 'nowhere'"),
    ("b.xx #8", "unknown mnemonic 'b.xx'"),
    ("add x0, x1", "wrong number of operands for add"),
    ("csel x0, x1, x2, foo", "condition 'foo' not allowed"),
    ("add x0, x1, label", "op2 'label' not supported"),
    ("dmb foo", "option 'foo'"),
    (".quad sym", "label values are not supported"),
    (".word 0x100000000", "does not fit in 32 bits"),
    (".section .data", "unsupported directive .section"),
    ("tbz x0, #64, #8", "tbz: bit 64 out of range"),
    ("b #2", "b: offset 2 does not fit"),
    ("add x0, x1, #1, lsl #4", "lsl #0 or lsl #12, not #4"),
    ("mov x0, #1, lsl #16", "mov takes no shifted immediate ('#1, lsl #16')"),
    ("ldr x0, [x1, #8", "unbalanced '['"),
    ("ldr x0, [x1, #8] x", "unexpected 'x' after ']'"),
])
def test_a_bad_line_is_named_with_its_reason(capsys, tmp_path, line, reason):
    source = tmp_path / "bad.s"
    source.write_text(f"start:\n\tnop\n\t{line}   // the culprit\n\tret\n")
    status, out, err = run_cli(capsys, "asm", str(source))
    assert status == 1 and out == ""
    prefix = f"pyjit asm: line 3: {line}: "
    assert err.startswith(prefix) and err.count("\n") == 1
    assert reason in err[len(prefix):]


def test_keep_going_reports_every_bad_line(capsys):
    source = "nop\nfoo x1\nadd x0, x1, #1\nadd w0, x1, #99999\nb later\nb missing\nlater: ret\n"
    status, out, err = run_cli(capsys, "asm", "--keep-going", stdin=source)
    assert status == 1 and out == ""
    assert [line.split(":")[1] for line in err.splitlines()] == [
        " line 2", " line 4", " line 6"]
    status, _, err = run_cli(capsys, "asm", stdin=source)
    assert status == 1 and err.count("\n") == 1 and "line 2" in err


def test_label_errors():
    with pytest.raises(AsmError, match=r"line 2: a:: label 'a' already defined on line 1"):
        assemble("a:\na:\n")
    with pytest.raises(AsmError, match="no earlier definition of local label 1"):
        assemble("b 1b\n")
    # The first `1f` is the `1:` of line 2; the second has none after it.
    with pytest.raises(AsmError, match=r"line 2: 1: b 1f: undefined label '1f'") as info:
        assemble("b 1f\n1: b 1f\n", keep_going=True)
    assert len(info.value.errors) == 1


def test_missing_file(capsys, tmp_path):
    # Bad input to the command (not a bad line of assembly): status 2.
    status, _, err = run_cli(capsys, "asm", str(tmp_path / "nope.s"))
    assert status == 2 and "nope.s" in err


# -- 3. the parser and the lowering -------------------------------------------------

def parse1(text: str):
    """The single statement `text` parses to."""
    (stmt,) = parse_line(text, 1)
    return stmt


@pytest.mark.parametrize("text, operands", [
    ("ldr x0, [x1, w2, SXTW #3]", (X0, Memory(X1, index=W2, shift=ShiftSpec("sxtw", Imm(3))))),
    ("ldr x0, [x1, w2, uxtw]", (X0, Memory(X1, index=W2, shift=ShiftSpec("uxtw")))),
    ("ldr x0, [sp, #-0x10]!", (X0, Memory(SP, offset=Imm(-16, hex=True), writeback=True))),
    ("ldr x0, [x1], #8", (X0, Memory(X1), Imm(8))),
    ("add x0, x1, #1, lsl #12", (X0, X1, Imm(1), ShiftSpec("lsl", Imm(12)))),
    ("add x0, x1, 010", (X0, X1, Imm(8))),
    ("add x0, x1, #0b101", (X0, X1, Imm(5))),
    ("add x0, x1, #+4", (X0, X1, Imm(4))),
    ("fmov d0, #-2.5", (D0, FImm(-2.5, "-2.5"))),
    ("fcmp d1, 0.0", (D1, FImm(0.0, "0.0"))),
    ("mov fp, lr", (X29, X30)),
    ("add wsp, w1, #8", (WSP, W1, Imm(8))),
    ("b 1f", (LocalRef(1, True),)),
    ("cbz x0, 12b", (X0, LocalRef(12, False))),
    ("b .Lend$1", (Symbol(".Lend$1"),)),
    ("b #0x1b", (Imm(0x1b, hex=True),)),
    ("dc cvau, x0", (Symbol("cvau"), X0)),
])
def test_operands_parse_to_structure(text, operands):
    stmt = parse1(text)
    assert isinstance(stmt, Instruction) and stmt.operands == operands


def test_statements_labels_and_comments():
    stmts = parse_line("a: b: add x0, x1, #1 ; c: ret // done", 7)
    assert [type(s).__name__ for s in stmts] == [
        "LabelDef", "LabelDef", "Instruction", "LabelDef", "Instruction"]
    assert [s.src.lineno for s in stmts] == [7] * 5
    assert stmts[1].name == "b" and stmts[4].mnemonic == "ret"
    assert parse_line("  # cpp line marker", 1) == []
    assert parse_line("; a comment; with semicolons", 1) == []
    assert parse_line("// nothing", 1) == []
    assert parse1("1: ") == LabelDef("1", Source(1, "1:")) and parse1("1:").is_local
    assert not parse1("x1:").is_local
    assert str(parse1("  LDR  X0 ,[X1 , # 8 ]!")) == "ldr\tx0, [x1, #8]!"
    stmts = list(parse_source("nop /* one\ntwo */ nop\n\nnop"))
    assert [s.src.lineno for s in stmts] == [1, 2, 4]


@pytest.mark.parametrize("text, reason", [
    ("add x0, [x1", "unbalanced '['"),
    ("ldr x0, [x1]!", "writeback needs an immediate offset"),
    ("ldr x0, [x1, #8, lsl #2]", "only a register index takes a shift"),
    ("ldr x0, [x1], [x2]", None),
    ("fadd s0, s1, s2", "only x, w and d registers"),
    ("add x0, x1, #0x", "expected an integer"),
    ("add x0, x1,, x2", "empty operand"),
    ("add x0, x1, @x", "cannot parse operand"),
])
def test_syntax_problems(text, reason):
    (stmt,) = [s for s in parse_source(text)]
    if reason is None:      # parses; rejected when lowered
        with pytest.raises(AsmError, match="wrong number of operands for ldr: got 3"):
            assemble(text)
        return
    assert isinstance(stmt, SyntaxProblem) and reason in stmt.reason


@pytest.mark.parametrize("text, name, args", [
    ("add x0, x1, #1, lsl #12", "add", (X0, X1, 4096)),
    ("movz x0, #1, lsl #16", "movz", (X0, 1, 16)),
    ("movk x0, #0xffff, lsl #48", "movk", (X0, 0xFFFF, 48)),
    ("add x0, x1, x2, lsl #3", "add", (X0, X1, Shifted(X2, "lsl", 3))),
    ("add x0, x1, w2, sxtw #2", "add", (X0, X1, Extended(W2, "sxtw", 2))),
    ("add x0, x1, w2, uxtw", "add", (X0, X1, Extended(W2, "uxtw", 0))),
    ("ldr x0, [x1]", "ldr", (X0, Mem(X1, 0))),
    ("ldr x0, [x1, #8]!", "ldr", (X0, PreIndex(X1, 8))),
    ("ldr x0, [x1], #-8", "ldr", (X0, PostIndex(X1, -8))),
    ("ldr x0, [x1, x2]", "ldr", (X0, RegOffset(X1, X2, "lsl", None))),
    ("ldr x0, [x1, x2, lsl #0]", "ldr", (X0, RegOffset(X1, X2, "lsl", 0))),
    ("ldr x0, [x1, w2, sxtw #3]", "ldr", (X0, RegOffset(X1, W2, "sxtw", 3))),
    ("ldr x0, #8", "ldr_literal", (X0, 8)),
    ("ldrsw x0, there", "ldrsw_literal", (X0, 0)),
    ("b.ne #-4", "b.cond", (Cond.NE, -4)),
    ("b.cs there", "b.cond", (Cond.HS, 0)),
    ("csel x0, x1, xzr, cc", "csel", (X0, X1, XZR, Cond.LO)),
    ("tbz x0, #63, there", "tbz", (X0, 63, 0)),
    ("fcmp d0, #0.0", "fcmp", (D0, 0.0)),
    ("ret", "ret", ()),
    ("mov x0, sp", "mov", (X0, SP)),
])
def test_lowering_to_builder_calls(text, name, args):
    call = lower(parse1(text))
    assert (call.name, call.args) == (name, args)
    assert (call.target is not None) == ("there" in text)


def test_label_operands_are_resolved_by_the_buffer():
    result = assemble("top: nop\n b.ne top\n cbz x0, end\n adr x1, top\n1: b 1b\nend: ret\n")
    words = [int.from_bytes(ln.data, "little") for ln in result.lines if ln.kind == "instruction"]
    assert words[1] == 0x54FFFFE1              # b.ne -4
    assert words[2] == 0xB4000060              # cbz x0, +12
    assert words[3] == 0x10FFFFA1              # adr x1, -12
    assert words[4] == 0x14000000              # b .
    labels = [(ln.op, ln.offset) for ln in result.lines if ln.kind == "label"]
    assert labels == [("top", 0), ("1", 16), ("end", 20)]
    assert result.data == b"".join(ln.data for ln in result.lines)


def test_alignment_pads_with_zeros_then_nops():
    result = assemble("nop\n.byte 1\n.p2align 4\nret\n")
    assert result.data == bytes.fromhex("1f2003d5 01000000 1f2003d5 1f2003d5 c0035fd6")
    align = [ln for ln in result.lines if ln.op == ".p2align"][0]
    assert (align.offset, len(align.data)) == (5, 11)
