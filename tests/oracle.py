"""Reference encoders and decoders for the encoder tests (test-only).

- `llvm_mc_encode(lines)`: assemble many lines with ONE llvm-mc process;
  the bytes of each line, None where llvm-mc rejects the line.
- `keystone_encode(line)`: the bytes keystone produces, None on error.
- `capstone_text(word)`: capstone's disassembly, "mnemonic op_str".
- `reassemblable(word)`: capstone's text for a word, corrected for the few
  capstone quirks that llvm-mc would read differently.

llvm-mc is a required test dependency: if it is missing the helpers raise
instead of skipping, so a CI without it fails loudly.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import struct
import subprocess

TRIPLE = "aarch64"

_ENCODING = re.compile(r"//\s*encoding:\s*\[([^\]]*)\]")
_ERROR = re.compile(r"^<stdin>:(\d+):\d+: error:", re.MULTILINE)


@functools.cache
def llvm_mc_path() -> str:
    """The llvm-mc binary ($LLVM_MC, else the first llvm-mc[-N] on PATH)."""
    candidates = [os.environ.get("LLVM_MC"), "llvm-mc"] + [f"llvm-mc-{v}" for v in range(20, 11, -1)]
    for name in candidates:
        if name and (path := shutil.which(name)):
            return path
    raise RuntimeError("llvm-mc not found (set LLVM_MC or put llvm-mc on PATH): it is a "
                       "required test dependency, e.g. `apt-get install llvm`")


def llvm_mc_encode(lines: list[str]) -> list[bytes | None]:
    """Assemble `lines` (one instruction each) in a single llvm-mc run.

    Returns, per input line, the encoded bytes, or None if llvm-mc reported
    an error for that line.  Errors are matched by the line numbers llvm-mc
    prints on stderr; every other line must produce exactly one encoding,
    in order, which is checked.
    """
    for line in lines:
        if "\n" in line or ";" in line or not line.strip():
            raise ValueError(f"one non-empty instruction per line expected, got {line!r}")
    if not lines:
        return []
    proc = subprocess.run(
        [llvm_mc_path(), f"-triple={TRIPLE}", "-show-encoding"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, check=False)
    failed = {int(n) - 1 for n in _ERROR.findall(proc.stderr)}
    encodings = [bytes(int(b, 16) for b in m.group(1).split(","))
                 for m in _ENCODING.finditer(proc.stdout)]
    expected = len(lines) - len(failed)
    if len(encodings) != expected or (proc.returncode != 0) != bool(failed):
        raise RuntimeError(
            f"llvm-mc output does not line up with its input: {len(encodings)} encodings "
            f"for {expected} accepted lines (rc={proc.returncode})\n{proc.stderr[:2000]}")
    results: list[bytes | None] = []
    it = iter(encodings)
    for i in range(len(lines)):
        results.append(None if i in failed else next(it))
    return results


def llvm_mc_word(lines: list[str]) -> list[int | None]:
    """Like `llvm_mc_encode`, as little-endian 32-bit words."""
    return [None if b is None else struct.unpack("<I", b)[0] for b in llvm_mc_encode(lines)]


@functools.cache
def _keystone():
    import keystone
    return keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)


def keystone_encode(line: str, address: int = 0) -> bytes | None:
    """keystone's bytes for one line assembled at `address` (keystone reads
    branch operands as absolute targets), or None if it fails."""
    import keystone
    try:
        encoding, _count = _keystone().asm(line, address)
    except keystone.KsError:
        return None
    return bytes(encoding) if encoding else None


@functools.cache
def _capstone():
    import capstone
    return capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)


def capstone_text(word: int, address: int = 0) -> str | None:
    """capstone's "mnemonic op_str" for a 32-bit word at `address`, or None
    if capstone cannot decode it."""
    for insn in _capstone().disasm(struct.pack("<I", word), address):
        return f"{insn.mnemonic} {insn.op_str}".strip()
    return None


_PC_RELATIVE = re.compile(r"^(b|bl|b\.\w+|cbn?z|tbn?z|adrp?|ldr|ldrsw|prfm)\b")
_BIG_HEX = re.compile(r"#0x([0-9a-f]{16})\b")
# Mnemonics capstone prints that llvm-mc does not know, with llvm's spelling.
_CAPSTONE_ONLY = {"dfb": "dsb #12"}  # capstone's name for dsb with option 0b1100


def _is_orr_imm_from_zr(word: int) -> bool:
    """ORR (immediate) with Rn = zr: sf 01 100100 N immr imms 11111 Rd."""
    return word & 0x7F80_03E0 == 0x3200_03E0


def reassemblable(word: int) -> str | None:
    """capstone's disassembly of `word` (at address 0), as llvm-mc input.

    Only capstone's text is used, with three corrections of its quirks:
    - a pc-relative target is printed as an absolute address; at address 0
      that is the offset, except that negative ones come out as 64-bit
      unsigned numbers: turn those back into signed offsets;
    - capstone-only aliases (`_CAPSTONE_ONLY`) get llvm's spelling;
    - capstone prints every `orr rd, zr, #imm` as `mov rd, #imm`, even when
      the value is also a movz/movn immediate (the architecture then
      prefers orr's own spelling, and `mov` would assemble to movz/movn):
      respell those as the orr they are.
    """
    text = capstone_text(word)
    if text is None:
        return None
    text = _CAPSTONE_ONLY.get(text, text)
    if _PC_RELATIVE.match(text) and "[" not in text:
        def signed(m: re.Match) -> str:
            value = int(m.group(1), 16)
            return f"#{value - (1 << 64) if value >> 63 else value}"
        text = _BIG_HEX.sub(signed, text)
    if text.startswith("mov ") and _is_orr_imm_from_zr(word):
        rd, imm = text[4:].split(", ")
        text = f"orr {rd}, {'xzr' if rd.startswith('x') or rd == 'sp' else 'wzr'}, {imm}"
    return text
