"""`pyjit asm`: assemble AArch64 text and print it the way llvm-mc does.

The listing follows `llvm-mc -triple=aarch64 -show-encoding`: a `.text`
line, then per statement a tab, the mnemonic, a tab, the operands, padded to
llvm-mc's comment column and followed by `// encoding: [0x..,...]`; labels
on lines of their own.  The bytes are llvm-mc's (tests/test_asm_cli.py
checks every form).  Differences in the text, all deliberate:

- the mnemonic and operands are the source's, normalized (lowercase,
  `, ` between operands, `#` on every immediate, fp/lr as x29/x30), where
  llvm-mc prints its preferred alias (`movz x0, #1` stays `movz`, llvm-mc
  says `mov`) and reformats immediates (`#1.0`, llvm-mc `#1.00000000`);
- branches to labels show their resolved encoding, where llvm-mc shows a
  fixup (`[A,A,A,0b000101AA]`) for the linker;
- data and alignment directives show the bytes they emit (llvm-mc prints
  neither bytes nor padding), and a directive with several values stays
  on one line;
- bytes the code buffer adds by itself are listed too: a `.p2align 2` line
  before an instruction that follows unaligned data (llvm-mc would place
  it unaligned), and `.inst` lines for islands of veneers when a branch
  target is out of reach (llvm-mc reports "fixup value out of range").
"""

from __future__ import annotations

import argparse
import sys

from .arguments import output_file

SUMMARY = "assemble AArch64 text, print encodings like llvm-mc -show-encoding"

DESCRIPTION = """\
Assemble AArch64 assembly text (LLVM/GNU syntax, one statement per line or
several separated by ';') and print each statement with its encoding, in the
format of `llvm-mc -triple=aarch64 -show-encoding`.

Unlike llvm-mc, branches and other pc-relative uses of labels are resolved
here: their `// encoding:` shows the final bytes, not a fixup, and a branch
out of reach goes through a veneer (listed as an `.inst` island) instead of
failing.  Data directives (.byte .hword .word .quad .xword .inst) and
alignment (.p2align .balign) show the bytes they emit.  The mnemonic and
operands are printed as written, normalized (lowercase, `, ` separated),
not as llvm-mc's preferred alias.

Comments: `//` anywhere, `/* ... */`, and `#` or `;` at the start of a
line; elsewhere `;` separates statements.  Numeric labels (`1:`, `b 1b`,
`b 1f`) work as in GNU as.

On a bad line, prints `pyjit asm: line N: <text>: <reason>` on stderr and
exits with status 1 (after the first bad line, or after all of them with
--keep-going).  A file that cannot be read (missing, a directory, not UTF-8
text) or an output that cannot be written: one line on stderr, status 2.

examples:
  echo 'add x0, x1, #1' | pyjit asm
  pyjit asm --hex prog.s
  pyjit asm prog.s -o prog.bin
"""


def setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", default="-",
                        help="assembly source; standard input when absent or '-'")
    parser.add_argument("--hex", action="store_true",
                        help="print only the assembled bytes, as one line of hex digits")
    parser.add_argument("-o", "--output", metavar="FILE", type=output_file,
                        help="write the assembled bytes (raw binary) to FILE "
                             "instead of printing the listing")
    parser.add_argument("--keep-going", action="store_true",
                        help="report every bad line, not only the first (exit status is "
                             "still 1)")


def run(args: argparse.Namespace) -> int:
    from ..aarch64.asmtext import AsmError, assemble

    name = "<stdin>" if args.file == "-" else args.file
    try:
        text = read_source(args.file)
    except ValueError as exc:
        print(f"pyjit asm: error: {exc}", file=sys.stderr)
        return 2
    try:
        result = assemble(text, name=name, keep_going=args.keep_going)
    except AsmError as exc:
        for err in exc.errors:
            print(f"pyjit asm: line {err.lineno}: {err.text}: {err.reason}", file=sys.stderr)
        return 1
    if args.output:
        try:
            with open(args.output, "wb") as f:
                f.write(result.data)
        except OSError as exc:
            print(f"pyjit asm: error: cannot write {args.output!r}: {exc.strerror}",
                  file=sys.stderr)
            return 2
    if args.hex:
        print(result.data.hex())
    elif not args.output:
        sys.stdout.write(format_listing(result))
    return 0


def read_source(path: str) -> str:
    """The text of path ('-': standard input), which must be UTF-8;
    ValueError naming the file and what is wrong with it."""
    shown = "standard input" if path == "-" else repr(path)
    try:
        if path == "-":
            data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else \
                sys.stdin.read().encode("utf-8", "surrogateescape")
        else:
            with open(path, "rb") as f:
                data = f.read()
    except IsADirectoryError:
        raise ValueError(f"{shown} is a directory, not an assembly file") from None
    except OSError as exc:
        raise ValueError(f"cannot read {shown}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"{shown} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line "
                         f"{line} (assembly source is UTF-8)") from None


_COMMENT_COLUMN = 48   # where llvm-mc's `// encoding:` starts, tabs expanded to 8


def format_listing(result) -> str:
    """The llvm-mc style listing of an AsmResult (see the module docstring)."""
    out = ["\t.text"]
    for line in result.lines:
        if line.kind == "label":
            out.append(f"{line.op}:")
            continue
        if line.kind == "directive" and line.op == ".text":
            continue   # the opening `.text` stands for it, as in llvm-mc
        left = f"\t{line.op}\t{line.operands}" if line.operands else f"\t{line.op}"
        if line.kind == "directive" or not line.data:
            out.append(left)
            continue
        pad = max(1, _COMMENT_COLUMN - len(left.expandtabs(8)))
        encoding = ",".join(f"0x{b:02x}" for b in line.data)
        out.append(f"{left}{' ' * pad}// encoding: [{encoding}]")
    return "\n".join(out) + "\n"
