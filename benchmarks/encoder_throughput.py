"""Encoder throughput: pyjit (structured operands) against keystone (text).

Builds one deterministic stream of N instructions in a JIT-like mix
(add/sub, loads and stores, ldp/stp, movz/movk, compare and branch, csel,
calls, floating point), encodes it with pyjit from structured operands and
with keystone from assembly text (`Ks.asm` on chunks of lines), checks that
both produce identical bytes, and reports instructions per second (median of
several repeats) and the ratio.

    python benchmarks/encoder_throughput.py [--n 100000] [--repeats 5]

Branch operands: pyjit takes offsets relative to the instruction; keystone
reads `b #imm` as an absolute target, so its text spells the target
address of each branch within the chunk being assembled.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyjit.aarch64 import isa  # noqa: E402
from pyjit.aarch64.operands import Cond, Mem, PostIndex, PreIndex, RegOffset, Shifted  # noqa: E402
from pyjit.aarch64.registers import FP, LR, SP, dreg, wreg, xreg  # noqa: E402

KEYSTONE_BASE = 0x1000_0000  # address of each keystone chunk (branch targets are absolute)
CONDS = list(Cond)[:14]


def _build_stream(n: int, seed: int) -> tuple[list, list]:
    """(calls, texts): calls are (function, args, branch_offset or None);
    texts are keystone lines, with "{target}" where a branch target goes."""
    rng = random.Random(seed)
    calls: list = []
    texts: list[str] = []

    def x() -> int:
        return rng.randrange(0, 29)

    def emit(fn, args, text, branch=None):
        calls.append((fn, args))
        texts.append((text, branch))

    # Weighted generators of one instruction each: (weight, generator).
    def add_imm():
        d, s, imm = x(), x(), rng.randrange(0, 4096)
        op = rng.choice(["add", "sub"])
        emit(getattr(isa, op), (xreg(d), xreg(s), imm), f"{op} x{d}, x{s}, #{imm}")

    def add_reg():
        d, s, t = x(), x(), x()
        if rng.random() < 0.5:
            emit(isa.add, (xreg(d), xreg(s), xreg(t)), f"add x{d}, x{s}, x{t}")
        else:
            sh = rng.randrange(0, 4)
            emit(isa.sub, (xreg(d), xreg(s), Shifted(xreg(t), "lsl", sh)),
                 f"sub x{d}, x{s}, x{t}, lsl #{sh}")

    def load_store():
        t, b = x(), x()
        kind = rng.random()
        op = rng.choice(["ldr", "str"])
        fn = isa.ldr if op == "ldr" else isa.str_
        if kind < 0.6:
            off = 8 * rng.randrange(0, 512)
            emit(fn, (xreg(t), Mem(xreg(b), off)), f"{op} x{t}, [x{b}, #{off}]")
        elif kind < 0.75:
            off = rng.randrange(-256, 0)
            emit(fn, (xreg(t), Mem(xreg(b), off)), f"{op} x{t}, [x{b}, #{off}]")
        elif kind < 0.9:
            off = 4 * rng.randrange(0, 1024)
            emit(fn, (wreg(t), Mem(xreg(b), off)), f"{op} w{t}, [x{b}, #{off}]")
        else:
            i = x()
            emit(fn, (xreg(t), RegOffset(xreg(b), xreg(i), "lsl", 3)),
                 f"{op} x{t}, [x{b}, x{i}, lsl #3]")

    def pair():
        a, c = rng.sample(range(19, 29), 2)
        if rng.random() < 0.5:
            emit(isa.stp, (xreg(a), xreg(c), PreIndex(SP, -16)), f"stp x{a}, x{c}, [sp, #-16]!")
        else:
            emit(isa.ldp, (xreg(a), xreg(c), PostIndex(SP, 16)), f"ldp x{a}, x{c}, [sp], #16")

    def frame():
        off = 16 * rng.randrange(0, 8)
        emit(isa.stp, (FP, LR, Mem(SP, off)), f"stp x29, x30, [sp, #{off}]")

    def constant():
        d = x()
        value = rng.getrandbits(64)
        for hw in range(4):
            chunk = value >> 16 * hw & 0xFFFF
            op = "movz" if hw == 0 else "movk"
            emit(getattr(isa, op), (xreg(d), chunk, 16 * hw), f"{op} x{d}, #{chunk}, lsl #{16 * hw}")

    def compare_branch():
        a, c = x(), x()
        emit(isa.cmp, (xreg(a), xreg(c)), f"cmp x{a}, x{c}")
        cond = rng.choice(CONDS)
        off = 4 * rng.randrange(-2000, 2000)
        emit(isa.b_cond, (cond, off), f"b.{cond} #{{target}}", off)

    def branch():
        r = rng.random()
        off = 4 * rng.randrange(-50000, 50000)
        if r < 0.4:
            emit(isa.b, (off,), "b #{target}", off)
        elif r < 0.7:
            emit(isa.bl, (off,), "bl #{target}", off)
        else:
            t = x()
            emit(isa.cbz, (xreg(t), off // 64 * 4), f"cbz x{t}, #{{target}}", off // 64 * 4)

    def select():
        d, a, c = x(), x(), x()
        cond = rng.choice(CONDS)
        if rng.random() < 0.6:
            emit(isa.csel, (xreg(d), xreg(a), xreg(c), cond), f"csel x{d}, x{a}, x{c}, {cond}")
        else:
            emit(isa.cset, (wreg(d), cond), f"cset w{d}, {cond}")

    def move():
        d, s = x(), x()
        emit(isa.mov, (xreg(d), xreg(s)), f"mov x{d}, x{s}")

    def fp():
        d, a, c = rng.randrange(32), rng.randrange(32), rng.randrange(32)
        r = rng.random()
        if r < 0.5:
            op = rng.choice(["fadd", "fsub", "fmul", "fdiv"])
            emit(getattr(isa, op), (dreg(d), dreg(a), dreg(c)), f"{op} d{d}, d{a}, d{c}")
        elif r < 0.7:
            b = x()
            off = 8 * rng.randrange(0, 64)
            emit(isa.ldr, (dreg(d), Mem(xreg(b), off)), f"ldr d{d}, [x{b}, #{off}]")
        elif r < 0.85:
            emit(isa.fcmp, (dreg(a), dreg(c)), f"fcmp d{a}, d{c}")
        else:
            t = x()
            emit(isa.fmov, (dreg(d), xreg(t)), f"fmov d{d}, x{t}")

    mix = [(14, add_imm), (8, add_reg), (22, load_store), (5, pair), (2, frame),
           (3, constant), (9, compare_branch), (7, branch), (6, select), (7, move), (10, fp)]
    population = [g for weight, g in mix for _ in range(weight)]
    while len(calls) < n:
        rng.choice(population)()
    return calls[:n], texts[:n]


def _keystone_chunks(texts: list, chunk: int) -> list[tuple[str, int]]:
    """Keystone source per chunk, branch targets made absolute."""
    chunks = []
    for start in range(0, len(texts), chunk):
        lines = []
        for i, (text, branch) in enumerate(texts[start:start + chunk]):
            if branch is not None:
                text = text.format(target=hex(KEYSTONE_BASE + 4 * i + branch))
            lines.append(text)
        chunks.append(("\n".join(lines), KEYSTONE_BASE))
    return chunks


def encode_pyjit(calls: list) -> bytes:
    words = array("I", [fn(*args) for fn, args in calls])
    if sys.byteorder != "little":
        words.byteswap()
    return words.tobytes()


def encode_keystone(ks, chunks: list[tuple[str, int]]) -> bytes:
    out = bytearray()
    for source, address in chunks:
        encoding, _count = ks.asm(source, address)
        out += bytes(encoding)
    return bytes(out)


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="instructions (default 100000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs, median (default 5)")
    parser.add_argument("--chunk", type=int, default=1000,
                        help="lines per keystone asm() call (default 1000)")
    parser.add_argument("--seed", type=int, default=1, help="stream seed (default 1)")
    args = parser.parse_args(argv)

    import keystone
    ks = keystone.Ks(keystone.KS_ARCH_ARM64, keystone.KS_MODE_LITTLE_ENDIAN)

    calls, texts = _build_stream(args.n, args.seed)
    chunks = _keystone_chunks(texts, args.chunk)

    t_pyjit, ours = _median_time(lambda: encode_pyjit(calls), args.repeats)
    t_ks, theirs = _median_time(lambda: encode_keystone(ks, chunks), args.repeats)

    if ours != theirs:
        for i in range(0, min(len(ours), len(theirs)), 4):
            if ours[i:i + 4] != theirs[i:i + 4]:
                line = texts[i // 4][0]
                print(f"MISMATCH at instruction {i // 4} ({line!r}): pyjit {ours[i:i + 4].hex()}"
                      f" keystone {theirs[i:i + 4].hex()}", file=sys.stderr)
                break
        else:
            print(f"MISMATCH: lengths {len(ours)} vs {len(theirs)}", file=sys.stderr)
        return 1

    n = len(calls)
    print(f"instructions: {n}; pyjit and keystone bytes identical ({len(ours)} bytes)")
    print(f"pyjit    : {n / t_pyjit:12,.0f} instr/s  ({t_pyjit * 1e3:8.1f} ms, median of {args.repeats})")
    print(f"keystone : {n / t_ks:12,.0f} instr/s  ({t_ks * 1e3:8.1f} ms, median of {args.repeats}, "
          f"{args.chunk}-line chunks)")
    print(f"ratio    : pyjit is {t_ks / t_pyjit:.2f}x keystone's throughput")
    return 0


if __name__ == "__main__":
    sys.exit(main())
