"""What each kind of AArch64 instruction costs under Unicorn, as pyjit runs it.

The deterministic view (`--counts`: instructions, loads, stores, taken and
indirect branches) says what compiled code does; this script says what each
of those costs in wall time, so that the counts can be read as time.  Each
kernel is a loop of 16 copies of one instruction kind plus the loop's own
`subs`/`b.ne`; the loop alone is measured too, and a kind's cost is
(kernel - loop) / (16 * iterations).  Two setups of the emulator, side by
side, both with memory mapped from host pages (`mem_map_ptr`) and a code
hook on a range the kernels never run (the trap pad):

  engine   as pyjit's engine sets it up now (runtime/tlb_fill.py): 4 KiB
           pages, a virtual TLB filled by a hook (read+write for data,
           read+execute for code), no memory hook;
  before   as it did before: Unicorn's own TLB and 1 KiB pages, with the
           unmapped-memory and protection hooks over every address.

Each kernel runs `--repeats` times interleaved with the others; the
medians are reported.

Kinds:
  alu        add x1, x1, #1
  load       ldr x2, [x1]
  store      str x2, [x1]
  store-pair stp x2, x3, [x1]          (two stores)
  store-2map str to two mappings in turn (a store's region lookup misses
             the one it remembers)
  branch     b to the next instruction (ends a translated block)
  cond       cbnz on a zero register, not taken (ends a translated block)
  indirect   br to the next instruction (adr + br; the adr's cost removed)
  call-ret   bl to a `ret` (the pair; a return is an indirect branch)

    python benchmarks/unicorn_costs.py [--iterations 200000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import ctypes
import mmap
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import unicorn  # noqa: E402
from unicorn import (UC_ARCH_ARM64, UC_HOOK_CODE, UC_HOOK_MEM_PROT,  # noqa: E402
                     UC_HOOK_MEM_UNMAPPED, UC_HOOK_TLB_FILL, UC_MODE_ARM, UC_PROT_ALL,
                     UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE, UC_TLB_VIRTUAL, Uc)
from unicorn.arm64_const import UC_ARM64_REG_X0, UC_ARM64_REG_X1, UC_ARM64_REG_X3  # noqa: E402

from pyjit.aarch64.asmtext import assemble  # noqa: E402

COPIES = 16
PAGE = 0x10000
SETUPS = ("engine", "before")

KINDS = {
    "loop": "",
    "alu": "add x1, x1, #1\n",
    "load": "ldr x2, [x1]\n",
    "store": "str x2, [x1]\n",
    "store-pair": "stp x2, x4, [x1]\n",
    "store-2map": None,             # (two lines, alternating mappings: below)
    "branch": None,
    "cond": None,
    "indirect": None,
    "call-ret": None,
}


def kernel_text(kind: str) -> str:
    """The loop: x0 iterations of COPIES instructions of kind."""
    body = []
    for k in range(COPIES):
        if kind == "store-2map":
            body.append("str x2, [x1]\n" if k % 2 == 0 else "str x2, [x3]\n")
        elif kind == "branch":
            body.append(f"b next{k}\nnext{k}:\n")
        elif kind == "cond":
            body.append(f"cbnz xzr, next{k}\nnext{k}:\n")
        elif kind == "indirect":
            body.append(f"adr x16, next{k}\nbr x16\nnext{k}:\n")
        elif kind == "call-ret":
            body.append("bl leaf\n")
        else:
            body.append(KINDS[kind])
    return ("loop:\n" + "".join(body) + "subs x0, x0, #1\nb.ne loop\nbrk #0\n"
            "leaf:\nret\n")


def emulator(code: bytes, text: int, data: list[int], pad: int, setup: str):
    """A Unicorn instance with the code (at text) and two data pages mapped
    from host memory, and hooks like pyjit's engine (now, or before)."""
    emu = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    if setup == "engine":
        emu.ctl_set_page_size(4096)
        emu.ctl_set_tlb_mode(UC_TLB_VIRTUAL)

        def fill(uc, address, access, entry, user_data) -> bool:
            entry.paddr = address
            entry.perms = (UC_PROT_READ | UC_PROT_EXEC if text <= address < text + PAGE
                           else UC_PROT_READ | UC_PROT_WRITE)
            return True

        emu.hook_add(UC_HOOK_TLB_FILL, fill)
    for address in [text] + data:
        emu.mem_map_ptr(address, PAGE, UC_PROT_ALL, address)
    ctypes.memmove(text, code, len(code))
    emu.hook_add(UC_HOOK_CODE, lambda *a: None, begin=pad, end=pad + 3)
    if setup == "before":
        emu.hook_add(UC_HOOK_MEM_UNMAPPED, lambda *a: False)
        emu.hook_add(UC_HOOK_MEM_PROT, lambda *a: False)
    return emu


def host_pages(count: int) -> tuple[list[int], list[mmap.mmap]]:
    maps = [mmap.mmap(-1, PAGE) for _ in range(count)]
    return [ctypes.addressof(ctypes.c_char.from_buffer(m)) for m in maps], maps


def run_once(emu, start: int, end: int, data: list[int], iterations: int) -> float:
    emu.reg_write(UC_ARM64_REG_X0, iterations)
    emu.reg_write(UC_ARM64_REG_X1, data[0])
    emu.reg_write(UC_ARM64_REG_X3, data[1])
    t = time.perf_counter()
    emu.emu_start(start, end)
    return time.perf_counter() - t


def measure(iterations: int, repeats: int) -> dict[tuple[str, str], float]:
    """Median seconds of each (setup, kernel)."""
    pages, keep = host_pages(2 + len(KINDS))
    data, texts = pages[:2], pages[2:]
    pad = data[1] + PAGE - 16           # never executed
    runs = {}
    for kind, text in zip(KINDS, texts):
        code = assemble(kernel_text(kind), kind).code
        end = text + code.labels["leaf"][0] - 4       # the brk
        for setup in SETUPS:
            emu = emulator(code.data, text, data, pad, setup)
            run_once(emu, text, end, data, 1000)          # translate first
            runs[setup, kind] = (emu, text, end)
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in runs}
    keys = list(runs)
    for r in range(repeats):
        for key in keys[r % len(keys):] + keys[:r % len(keys)]:
            emu, start, end = runs[key]
            samples[key].append(run_once(emu, start, end, data, iterations))
        print(f"unicorn_costs: repeat {r + 1}/{repeats}", file=sys.stderr)
    del keep
    return {key: statistics.median(s) for key, s in samples.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.iterations < 1000 or args.repeats < 1:
        parser.error("--iterations must be >= 1000 and --repeats >= 1")
    med = measure(args.iterations, args.repeats)
    n = args.iterations * COPIES
    print(f"Unicorn {unicorn.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}; {args.iterations} iterations x {COPIES}, "
          f"medians of {args.repeats}")
    each: dict[tuple[str, str], float] = {}
    for setup in SETUPS:
        loop = med[setup, "loop"]
        print(f"{setup}: loop alone {loop / args.iterations * 1e9:.1f} ns an iteration "
              "(subs + b.ne)")
        for kind in KINDS:
            if kind != "loop":
                each[setup, kind] = (med[setup, kind] - loop) / n
        each[setup, "indirect"] -= each[setup, "alu"]          # the adr
    print(f"{'kind':<12}" + "".join(f"{s + ' ns':>12}{'x load':>8}" for s in SETUPS)
          + f"{'engine/before':>15}")
    for kind in KINDS:
        if kind == "loop":
            continue
        row = f"{kind:<12}"
        for setup in SETUPS:
            row += f"{each[setup, kind] * 1e9:12.2f}{each[setup, kind] / each[setup, 'load']:8.1f}"
        print(row + f"{each['engine', kind] / each['before', kind]:15.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
