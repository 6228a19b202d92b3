"""Generated code as an AArch64 ELF file, for disassemblers and debuggers.

    write_elf("code.elf", [(address, name, data, regions), ...])
    $ llvm-objdump -d code.elf        # or aarch64-linux-gnu-objdump -d

The file is an ELF64 little-endian executable (ET_EXEC, EM_AARCH64) that
describes code as it sits in memory, not something to run:

- one section `.text.pyjit.N` per piece of code, with sh_addr the address
  the code was loaded at (so the disassembly shows the real addresses, the
  ones in a perf map, a fault message or a debugger), and one PT_LOAD
  segment covering it (read+execute);
- a FUNC symbol per piece of code (`name`, sized), and, when the code's
  `regions` (CompiledCode.regions: `(start, end, section)`) has stubs,
  veneers or literal pools, a symbol per such region (`name.stubs.K`,
  `name.veneers.K` as FUNC, `name.literals.K` as OBJECT);
- AArch64 mapping symbols (`$x` where instructions start, `$d` where
  literals or padding start), which tell the disassembler to print pools
  as data instead of decoding them as instructions.

Nothing here knows an engine: `pyjit.dump_elf` collects the loaded code.
"""

from __future__ import annotations

import struct
from typing import Iterable, Sequence

EM_AARCH64 = 183
ET_EXEC = 2
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB = 1, 2, 3
SHF_ALLOC, SHF_EXECINSTR = 0x2, 0x4
PT_LOAD = 1
PF_X, PF_R = 1, 4
STB_LOCAL, STB_GLOBAL = 0, 1
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2
PAGE = 4096

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")       # 64 bytes
_PHDR = struct.Struct("<IIQQQQQQ")               # 56 bytes
_SHDR = struct.Struct("<IIQQQQIIQQ")             # 64 bytes
_SYM = struct.Struct("<IBBHQQ")                  # 24 bytes

_DATA_SECTIONS = ("literals", "padding")
_REGION_SYMBOLS = {"stubs": STT_FUNC, "veneers": STT_FUNC, "literals": STT_OBJECT}

Code = tuple[int, str, bytes, Sequence[tuple[int, int, str]]]


class _Strings:
    """An ELF string table being built (offset 0 is the empty string)."""

    def __init__(self) -> None:
        self.data = bytearray(b"\0")
        self._offsets: dict[str, int] = {"": 0}

    def add(self, text: str) -> int:
        offset = self._offsets.get(text)
        if offset is None:
            offset = self._offsets[text] = len(self.data)
            self.data += text.encode("utf-8", "replace") + b"\0"
        return offset


def _symbols(codes: list[Code], strtab: _Strings) -> bytes:
    """The symbol table: null, then per code (section index 1 + i) its
    mapping symbols, region symbols and function symbol; all local (nothing
    is linked against them)."""
    out = [_SYM.pack(0, 0, 0, 0, 0, 0)]

    def sym(name: str, kind: int, shndx: int, value: int, size: int) -> None:
        out.append(_SYM.pack(strtab.add(name), (STB_LOCAL << 4) | kind, 0, shndx, value, size))

    for i, (address, name, data, regions) in enumerate(codes):
        shndx = 1 + i
        sym(name, STT_FUNC, shndx, address, len(data))
        mapping, seen = None, {}
        for start, end, section in regions or [(0, len(data), "code")]:
            want = "$d" if section in _DATA_SECTIONS else "$x"
            if want != mapping:
                sym(want, STT_NOTYPE, shndx, address + start, 0)
                mapping = want
            kind = _REGION_SYMBOLS.get(section)
            if kind is not None:
                k = seen[section] = seen.get(section, -1) + 1
                sym(f"{name}.{section}.{k}", kind, shndx, address + start, end - start)
    return b"".join(out)


def elf_image(codes: Iterable[Code]) -> bytes:
    """The ELF file's bytes for codes: (address, name, data, regions)."""
    codes = sorted(codes, key=lambda c: c[0])
    n = len(codes)
    shstrtab, strtab = _Strings(), _Strings()
    phoff = _EHDR.size
    cursor = phoff + _PHDR.size * n
    placed = []                                     # (offset, code)
    for code in codes:
        address = code[0]
        offset = (cursor + PAGE - 1) // PAGE * PAGE + address % PAGE   # offset = vaddr (mod page)
        placed.append((offset, code))
        cursor = offset + len(code[2])
    symtab = _symbols(codes, strtab)
    symtab_off = (cursor + 7) & ~7
    strtab_off = symtab_off + len(symtab)
    names = [shstrtab.add(f".text.pyjit.{i}") for i in range(n)]
    sym_name, str_name, shstr_name = (shstrtab.add(s) for s in (".symtab", ".strtab", ".shstrtab"))
    shstrtab_off = strtab_off + len(strtab.data)
    shoff = (shstrtab_off + len(shstrtab.data) + 7) & ~7

    out = bytearray(shoff + _SHDR.size * (n + 4))
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)        # 64-bit, LE, version 1, SysV
    _EHDR.pack_into(out, 0, ident, ET_EXEC, EM_AARCH64, 1, 0, phoff if n else 0, shoff, 0,
                    _EHDR.size, _PHDR.size, n, _SHDR.size, n + 4, n + 3)
    for i, (offset, (address, _, data, _)) in enumerate(placed):
        _PHDR.pack_into(out, phoff + i * _PHDR.size, PT_LOAD, PF_R | PF_X, offset, address,
                        address, len(data), len(data), PAGE)
        out[offset:offset + len(data)] = data
    out[symtab_off:symtab_off + len(symtab)] = symtab
    out[strtab_off:strtab_off + len(strtab.data)] = strtab.data
    out[shstrtab_off:shstrtab_off + len(shstrtab.data)] = shstrtab.data
    headers = [bytes(_SHDR.size)]
    for i, (offset, (address, _, data, _)) in enumerate(placed):
        headers.append(_SHDR.pack(names[i], SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, address,
                                  offset, len(data), 0, 0, 4, 0))
    count = len(symtab) // _SYM.size
    headers.append(_SHDR.pack(sym_name, SHT_SYMTAB, 0, 0, symtab_off, len(symtab), n + 2, count,
                              8, _SYM.size))
    headers.append(_SHDR.pack(str_name, SHT_STRTAB, 0, 0, strtab_off, len(strtab.data), 0, 0,
                              1, 0))
    headers.append(_SHDR.pack(shstr_name, SHT_STRTAB, 0, 0, shstrtab_off, len(shstrtab.data),
                              0, 0, 1, 0))
    out[shoff:] = b"".join(headers)
    return bytes(out)


def write_elf(path: str, codes: Iterable[Code]) -> None:
    """Write elf_image(codes) to path."""
    with open(path, "wb") as f:
        f.write(elf_image(codes))
