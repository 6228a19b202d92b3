"""Islands and veneers at full scale, executed under Unicorn.

Gaps between a branch and its label are filled with `add x0, x0, #1`, so
the value returned proves which path ran: a branch that lands anywhere but
on its label, or an island that is not branched over, changes the count.
"""

from __future__ import annotations

import pytest

from pyjit.aarch64 import isa
from pyjit.aarch64.buffer import CodeBuffer, LabelUse
from pyjit.aarch64.operands import Cond, Mem
from pyjit.aarch64.registers import W9, X0, X1, X2, X3, X4, X5, X6, X7, X8, X16

if __package__:
    from .unicorn_harness import CODE_BASE, Machine, run
else:
    from unicorn_harness import CODE_BASE, Machine, run

KIB, MIB = 1 << 10, 1 << 20
INC = isa.add(X0, X0, 1)
NOP = isa.nop()
MASK64 = (1 << 64) - 1

# name -> (its label use, an x1 that takes it, an x1 that does not)
BRANCHES = {
    "b.ne": (LabelUse.BRANCH19, 5, 0),
    "cbz": (LabelUse.BRANCH19, 0, 5),
    "cbnz": (LabelUse.BRANCH19, 5, 0),
    "tbz": (LabelUse.BRANCH14, 0, 1 << 40),
    "tbnz": (LabelUse.BRANCH14, 8, 7),
}


def emit_branch(buf: CodeBuffer, name: str, label) -> None:
    """Emit the conditional branch `name` to label, deciding on x1."""
    if name == "b.ne":
        buf.emit(isa.cmp(X1, 0))
        word = isa.b_cond(Cond.NE, 0)
    else:
        word = {"cbz": isa.cbz(X1, 0), "cbnz": isa.cbnz(X1, 0), "tbz": isa.tbz(X1, 40, 0),
                "tbnz": isa.tbnz(X1, 3, 0)}[name]
    buf.emit_use(word, label, BRANCHES[name][0])


CASES = [(name, gap) for name in BRANCHES
         for gap in ((40 * KIB, MIB + MIB // 4) if BRANCHES[name][0] is LabelUse.BRANCH14
                     else (MIB + MIB // 4,))]


def fill(buf: CodeBuffer, nbytes: int, word: int = INC) -> int:
    """Emit nbytes of `word` (never less); return how many words."""
    count = (nbytes + 3) // 4
    emit = buf.emit
    for _ in range(count):
        emit(word)
    return count


@pytest.mark.parametrize("name,gap", CASES, ids=[f"{n}-{g // KIB}KiB" for n, g in CASES])
def test_forward_branch_beyond_reach(name, gap):
    use, taken, not_taken = BRANCHES[name]
    buf = CodeBuffer(f"fwd-{name}")
    far = buf.new_label("far")
    buf.emit(isa.movz(X0, 0))
    emit_branch(buf, name, far)
    incs = fill(buf, gap)
    buf.bind(far)
    buf.emit(isa.add(X0, X0, 1000))
    buf.emit(isa.ret())
    code = buf.finish()
    assert code.labels["far"][0] > use.max_forward
    assert buf.stats.veneers >= 1 and code.sizes["veneers"] > 0
    machine = Machine()
    machine.load_code(code)
    assert machine.call(CODE_BASE, (0, taken)) == 1000
    assert machine.call(CODE_BASE, (0, not_taken)) == incs + 1000


@pytest.mark.parametrize("trail", [0, MIB + 100 * KIB], ids=["final-island", "mid-island"])
@pytest.mark.parametrize("name,gap", CASES, ids=[f"{n}-{g // KIB}KiB" for n, g in CASES])
def test_backward_branch_beyond_reach(name, gap, trail):
    # entry jumps over `back` and the gap to the branch, which goes back
    # more than its reach: its veneer sits in the next island, which is the
    # final one, or (with a trail of code after the branch) one in the
    # middle of the code that the fall-through path must branch over.
    use, taken, not_taken = BRANCHES[name]
    buf = CodeBuffer(f"back-{name}")
    back, start = buf.new_label("back"), buf.new_label("start")
    buf.emit(isa.movz(X0, 0))
    buf.emit_use(isa.b(0), start, LabelUse.BRANCH26)
    buf.bind(back)
    buf.emit(isa.add(X0, X0, 1000))
    buf.emit(isa.ret())
    fill(buf, gap, NOP)
    buf.bind(start)
    emit_branch(buf, name, back)
    incs = fill(buf, trail)
    buf.emit(isa.ret())
    code = buf.finish()
    assert code.labels["start"][0] - code.labels["back"][0] > use.max_backward
    assert buf.stats.veneers == 1
    if trail:
        assert buf.stats.islands == 1 and code.regions[-1][2] == "code"
    machine = Machine()
    machine.load_code(code)
    assert machine.call(CODE_BASE, (0, taken)) == 1000
    assert machine.call(CODE_BASE, (0, not_taken)) == incs


def test_tbz_loop_back_over_40_kib():
    # A loop whose back edge is a tbnz more than 32 KiB back: it runs once
    # per bit of x1 (0b111 -> three times).
    buf = CodeBuffer("loop")
    loop = buf.new_label("loop")
    buf.emit(isa.movz(X0, 0))
    buf.bind(loop)
    incs = fill(buf, 40 * KIB)
    buf.emit(isa.lsr(X1, X1, 1))
    buf.emit_use(isa.tbnz(X1, 0, 0), loop, LabelUse.BRANCH14)
    buf.emit(isa.ret())
    code = buf.finish()
    assert run(code, (0, 0b1111)) == 4 * incs


VALUES = [0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0x8000_0000_0000_0001, 0x5555_AAAA_5555_AAAA]


def test_literals_used_at_both_ends_of_a_2_mib_function():
    buf = CodeBuffer("lits")
    labels = [buf.literal(v) for v in VALUES]
    word = buf.literal(0xCAFE_F00D, size=4)
    for reg, lit in zip((X1, X2, X3, X4), labels):
        buf.emit_use(isa.ldr_literal(reg, 0), lit, LabelUse.LDR19)
    buf.emit_use(isa.ldr_literal(W9, 0), word, LabelUse.LDR19)
    fill(buf, MIB + 200 * KIB, NOP)
    buf.emit_use(isa.adr(X16, 0), labels[0], LabelUse.ADR21)
    fill(buf, MIB, NOP)
    for reg, lit in zip((X5, X6, X7, X8), labels):
        buf.emit_use(isa.ldr_literal(reg, 0), lit, LabelUse.LDR19)
    buf.emit(isa.ldr(X0, Mem(X16, 0)))
    buf.emit(isa.ret())
    code = buf.finish()
    # The first pool sits in an island within 1 MiB of the first loads; the
    # adr, 200 KiB past it, reuses its copy; the loads at the end, more than
    # 1 MiB past it, get fresh copies in the final pool.
    assert buf.stats.islands == 2
    for v in VALUES:
        copies = code.labels[f"={v:#x}"]
        assert len(copies) == 2 and copies[1] - copies[0] > MIB
    assert len(code.labels["=0xcafef00d"]) == 1
    machine = Machine()
    machine.load_code(code)
    assert machine.call(CODE_BASE) == VALUES[0]
    assert [machine.reg(n) for n in range(1, 9)] == VALUES + VALUES
    assert machine.reg(9) == 0xCAFE_F00D


def build_many_literals(n_uses: int, distinct: int):
    """A function of n_uses literal loads (over `distinct` values) summed
    into x0, each followed by a guard `cbnz x2, exit` to a far exit and a
    short forward `cbz x3` over one instruction; padded with nops to 10
    words per use.  Returns (code, buffer, expected sum)."""
    buf = CodeBuffer("many")
    exit_ = buf.new_label("exit")
    values = [(0x9E37_79B9_7F4A_7C15 * (i + 1)) & MASK64 for i in range(distinct)]
    lits = [buf.literal(v) for v in values]
    buf.emit(isa.movz(X0, 0))
    emit, emit_use, new_label, bind = buf.emit, buf.emit_use, buf.new_label, buf.bind
    ldr, add = isa.ldr_literal(X1, 0), isa.add(X0, X0, X1)
    guard, skip_word, poison = isa.cbnz(X2, 0), isa.cbz(X3, 0), isa.movz(X0, 0xBAD)
    for i in range(n_uses):
        emit_use(ldr, lits[i % distinct], LabelUse.LDR19)
        emit(add)
        emit_use(guard, exit_, LabelUse.BRANCH19)
        skip = new_label()
        emit_use(skip_word, skip, LabelUse.BRANCH19)
        emit(poison)
        bind(skip)
        for _ in range(5):
            emit(NOP)
    buf.emit(isa.ret())
    with buf.section("stubs"):
        bind(exit_)
        buf.emit(isa.movz(X0, 0xDEAD))
        buf.emit(isa.ret())
    expected = sum(values[i % distinct] for i in range(n_uses)) & MASK64
    return buf.finish(), buf, expected


@pytest.fixture(scope="module")
def many_literals():
    return build_many_literals(50_000, 12_500)


def test_2_mib_function_with_50000_literal_uses(many_literals):
    code, buf, expected = many_literals
    assert len(code.data) > 2 * MIB
    assert buf.stats.islands >= 2
    # Every distinct value has a copy within reach of each of its uses:
    # a value used across the whole function needs one copy per ~1 MiB.
    assert 12_500 < buf.stats.literal_copies < 3 * 12_500
    machine = Machine()
    machine.load_code(code)
    assert machine.call(CODE_BASE, registers={2: 0, 3: 0}) == expected
    assert machine.call(CODE_BASE, registers={2: 1, 3: 0}) == 0xDEAD


def assert_linear_work(buf: CodeBuffer, branch_uses: int, binds: int) -> None:
    """The counters of label resolution are O(fixups): each pending branch
    use is pushed once (plus at most once more when a bind forces an
    island), each veneer once; pops never exceed pushes; every slow check
    pops a stale entry, emits an island or binds a label."""
    s = buf.stats
    assert s.heap_pushes <= 2 * branch_uses + s.veneers
    assert s.heap_pops <= s.heap_pushes
    assert s.room_checks <= s.heap_pops + s.islands + binds


def test_label_resolution_work_is_linear(many_literals):
    _, buf, _ = many_literals
    assert_linear_work(buf, branch_uses=2 * 50_000, binds=50_001)
    # One veneer per island for the far exit shared by 50,000 guards; the
    # short skips, bound 8 bytes on, never get one.
    assert buf.stats.veneers <= buf.stats.islands


def test_many_distinct_far_labels():
    # Guard i compares x1 with i and branches to its own stub at the end,
    # more than 1 MiB away for most of them: each label gets its veneer.
    # Between guards, a tbz skips a trap: the many pending guards must not
    # push the tbz's veneer out of reach, nor give it one it does not need.
    n = 1200
    buf = CodeBuffer("guards")
    stubs = [buf.new_label(f"stub{i}") for i in range(n)]
    for i in range(n):
        buf.emit(isa.cmp(X1, i))
        buf.emit_use(isa.b_cond(Cond.EQ, 0), stubs[i], LabelUse.BRANCH19)
        skip = buf.new_label(f"skip{i}")
        buf.emit_use(isa.tbz(X1, 63, 0), skip, LabelUse.BRANCH14)
        buf.emit(isa.brk(i))
        buf.bind(skip)
        fill(buf, 1000, NOP)
    buf.emit(isa.movz(X0, 0xFFFF))
    buf.emit(isa.ret())
    with buf.section("stubs"):
        for i in range(n):
            buf.bind(stubs[i])
            buf.emit(isa.movz(X0, i))
            buf.emit(isa.ret())
    code = buf.finish()
    assert code.labels["stub0"][0] > MIB
    assert 0 < buf.stats.veneers <= n
    assert not any("veneer -> skip" in note for notes in code.annotations.values()
                   for note in notes)
    assert_linear_work(buf, branch_uses=2 * n, binds=2 * n)
    machine = Machine()
    machine.load_code(code)
    for k in (0, 1, 517, n - 1):
        assert machine.call(CODE_BASE, (0, k)) == k
    assert machine.call(CODE_BASE, (0, n)) == 0xFFFF


def test_branch26_beyond_128_mib_gets_an_absolute_veneer():
    # b far and tbz far, 130 MiB apart: b needs an absolute veneer; tbz
    # needs a `b` veneer which in turn needs an absolute one.
    buf = CodeBuffer("huge")
    far, via_tbz = buf.new_label("far"), buf.new_label("via_tbz")
    buf.emit_use(isa.tbz(X1, 0, 0), via_tbz, LabelUse.BRANCH14)
    buf.emit_use(isa.b(0), far, LabelUse.BRANCH26)
    chunk = bytes(64 * MIB)
    buf.emit_data(chunk)
    buf.emit_data(chunk)
    buf.emit_data(bytes(2 * MIB))
    buf.bind(via_tbz)
    buf.emit(isa.movz(X0, 14))
    buf.emit(isa.ret())
    buf.bind(far)
    buf.emit(isa.movz(X0, 26))
    buf.emit(isa.ret())
    code = buf.finish()
    del chunk
    assert code.labels["far"][0] > 130 * MIB
    absolute = [r for r in code.relocs if r.kind.name == "RELATIVE64"]
    assert sorted(r.addend for r in absolute) == [code.labels["via_tbz"][0], code.labels["far"][0]]
    assert buf.stats.veneers == 3
    machine = Machine()
    machine.load_code(code)
    assert machine.call(CODE_BASE, (0, 0)) == 14     # tbz taken
    assert machine.call(CODE_BASE, (0, 1)) == 26     # falls to b


def test_tbz_is_not_crowded_out_by_many_pending_guards():
    # 10,000 guards to distinct stubs pending at once could need 40 KiB of
    # veneers, more than tbz's reach; short tbz skips in between must still
    # resolve directly, since A14 veneers come before A19 ones.  Everything
    # is within 1 MiB: no island at all.
    n = 10_000
    buf = CodeBuffer("crowd")
    stubs = [buf.new_label(f"stub{i}") for i in range(n)]
    for i in range(n):
        buf.emit(isa.movz(X2, i))
        buf.emit(isa.cmp(X1, X2))
        buf.emit_use(isa.b_cond(Cond.EQ, 0), stubs[i], LabelUse.BRANCH19)
        skip = buf.new_label()
        buf.emit_use(isa.tbz(X1, 63, 0), skip, LabelUse.BRANCH14)
        buf.emit(isa.brk(1))
        buf.bind(skip)
    buf.emit(isa.movz(X0, 0xFFFF))
    buf.emit(isa.ret())
    with buf.section("stubs"):
        for i in range(n):
            buf.bind(stubs[i])
            buf.emit(isa.movz(X0, i))
            buf.emit(isa.ret())
    code = buf.finish()
    assert buf.stats.islands == 0 and code.sizes["veneers"] == 0
    machine = Machine()
    machine.load_code(code)
    for k in (0, 4321, n - 1, n):
        assert machine.call(CODE_BASE, (0, k)) == (k if k < n else 0xFFFF)
