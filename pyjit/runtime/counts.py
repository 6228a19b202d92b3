"""Dynamic counts from a block hook: what the emulated code executed.

Unicorn reports each executed translation block (TB) as (address, size); a
TB is straight-line code that ends at a branch (or earlier, at a page or
size limit).  So the counts of a block are differences of prefix sums over
the function's instructions, computed once per function (`StaticProfile`)
when counting is switched on or, while it is on, when the function is
loaded -- not when its first block runs, because capstone's Python code
calls builtins a program may have rebound by then -- and memoized per
(address, size):

- instructions: size / 4;
- loads, stores: instructions that read or write memory (a pair counts
  once; the literal pool and padding are not instructions);
- indirect branches: br, blr, ret ending the block;
- taken branches: a block ending in b, bl, br, blr or ret is always taken;
  one ending in a conditional branch (b.cond, cbz, cbnz, tbz, tbnz) was
  taken when the next block does not start right after it;
- helper calls: counted by the trap hook and charged to the function whose
  block ran last (the caller), with a per-helper breakdown.

Counts of emulated code only cover the code arena: the engine's own stubs
(entry, helper traps) are not counted.  A block cut short by a fault is
counted whole.

The block hook makes no more than a memo entry for a block it sees the
first time: the totals lists are made when code is added, and profiles
when counting starts; a block of code that was not profiled then is an
error.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import RuntimeError, any, bytearray, dict, getattr, len, min, range
import bisect
from dataclasses import dataclass, field

import capstone

INSN, LOADS, STORES, TAKEN, INDIRECT, HELPER_CALLS = range(6)

_UNCOND = 1
_COND = 2
_INDIRECT = 3

_CS = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
_COND_MNEMONICS = ("cbz", "cbnz", "tbz", "tbnz")
_INDIRECT_MNEMONICS = ("br", "blr", "ret")
_LOAD_PREFIXES = ("ld",)
_STORE_PREFIXES = ("st",)
_INSTRUCTION_SECTIONS = ("code", "stubs", "veneers")
_UNKNOWN = "<unknown>"

@dataclass
class Counts:
    """Totals for one function (or the sum of several)."""

    instructions: int = 0
    loads: int = 0
    stores: int = 0
    taken_branches: int = 0
    indirect_branches: int = 0
    helper_calls: int = 0
    helpers: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: Counts) -> Counts:
        helpers = dict(self.helpers)
        for name, n in other.helpers.items():
            helpers[name] = helpers.get(name, 0) + n
        return Counts(self.instructions + other.instructions, self.loads + other.loads,
                      self.stores + other.stores, self.taken_branches + other.taken_branches,
                      self.indirect_branches + other.indirect_branches,
                      self.helper_calls + other.helper_calls, helpers)


def classify(mnemonic: str) -> tuple[int, int, int]:
    """(is_load, is_store, branch kind) of an AArch64 mnemonic."""
    if mnemonic in ("b", "bl"):
        return 0, 0, _UNCOND
    if mnemonic.startswith("b.") or mnemonic in _COND_MNEMONICS:
        return 0, 0, _COND
    if mnemonic in _INDIRECT_MNEMONICS:
        return 0, 0, _INDIRECT
    if mnemonic.startswith(_LOAD_PREFIXES):
        return 1, 0, 0
    if mnemonic.startswith(_STORE_PREFIXES):
        return 0, 1, 0
    return 0, 0, 0


def _decode(data: bytes, lo: int, hi: int) -> dict[int, str]:
    """offset -> mnemonic for the words of data[lo:hi] capstone can decode
    (disassembly stops at an undecodable word: skip it and go on)."""
    out: dict[int, str] = {}
    offset = lo
    while offset < hi:
        stop = offset
        for address, size, mnemonic, _ in _CS.disasm_lite(data[offset:hi], offset):
            out[address] = mnemonic
            stop = address + size
        offset = stop + 4 if stop < hi else stop
    return out


class StaticProfile:
    """Per-instruction classification of one loaded function, as prefix sums.

    Instructions are the words of the "code", "stubs" and "veneers"
    sections (literal pools and padding are data)."""

    def __init__(self, start: int, data: bytes, regions=None):
        self.start = start
        self.end = start + len(data)
        n = len(data) // 4
        loads = [0] * (n + 1)
        stores = [0] * (n + 1)
        self.branch = bytearray(n)
        decoded: dict[int, str] = {}
        for lo, hi, section in regions or [(0, len(data), "code")]:
            if section in _INSTRUCTION_SECTIONS:
                decoded.update(_decode(data, lo, hi))
        for i in range(n):
            load = store = 0
            mnemonic = decoded.get(4 * i)
            if mnemonic is not None:
                load, store, self.branch[i] = classify(mnemonic)
            loads[i + 1] = loads[i] + load
            stores[i + 1] = stores[i] + store
        self.loads = loads
        self.stores = stores

    def block(self, address: int, size: int) -> tuple[int, int, int, int]:
        """(instructions, loads, stores, kind of the last instruction)."""
        i = (address - self.start) >> 2
        j = min(i + (size >> 2), len(self.branch))
        last = self.branch[j - 1] if j > i else 0
        return (j - i, self.loads[j] - self.loads[i], self.stores[j] - self.stores[i], last)


def _profile(start: int, code) -> StaticProfile:
    return StaticProfile(start, code.data, getattr(code, "regions", None))


class BlockCounter:
    """Totals per function name, fed by the engine's block and trap hooks.

    `on_block` returns the block's instruction count (the engine's
    instruction budget uses it)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._spans: list[tuple[int, int, str, object]] = []   # start, end, name, code
        self._profiles: dict[int, StaticProfile] = {}
        self._memo: dict[int, tuple] = {}
        self._totals: dict[str, list[int]] = {_UNKNOWN: [0] * 6}
        self._helpers: dict[str, dict[str, int]] = {}
        self._last: list[int] | None = None
        self._last_name = ""
        self._fallthrough = 0
        self._profiling = False

    @property
    def profiling(self) -> bool:
        """Whether loaded code is profiled ahead of its blocks (the engine
        keeps it on while counting)."""
        return self._profiling

    @profiling.setter
    def profiling(self, on: bool) -> None:
        self._profiling = on
        if on:
            for start, _, _, code in self._spans:
                if start not in self._profiles:
                    self._profiles[start] = _profile(start, code)

    # -- code ----------------------------------------------------------------------
    def add_code(self, start: int, end: int, name: str, code) -> None:
        i = bisect.bisect_left(self._starts, start)
        self._starts.insert(i, start)
        self._spans.insert(i, (start, end, name, code))
        self._totals.setdefault(name, [0] * 6)
        if self._profiling:
            self._profiles[start] = _profile(start, code)

    def remove_code(self, start: int) -> None:
        i = bisect.bisect_left(self._starts, start)
        if i < len(self._starts) and self._starts[i] == start:
            _, end, _, _ = self._spans[i]
            del self._starts[i], self._spans[i]
            self._profiles.pop(start, None)
            # Translations of new code at these addresses must not reuse the memo.
            self._memo = {k: v for k, v in self._memo.items() if not start <= k >> 16 < end}

    def _span(self, address: int):
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0 and address < self._spans[i][1]:
            return self._spans[i]
        return None

    def _entry(self, address: int, size: int) -> tuple:
        """The memo entry of a block first seen: made in the hook, so it
        leaves nothing new tracked (module docstring)."""
        span = self._span(address)
        if span is None:
            return (self._totals[_UNKNOWN], size >> 2, 0, 0, 0, 0, 0, _UNKNOWN)
        start, end, name, code = span
        profile = self._profiles.get(start)
        if profile is None:
            raise RuntimeError(f"a block of {name} at {address:#x} ran while counting, "
                               "but its code was not profiled when counting started")
        n, loads, stores, last = profile.block(address, size)
        taken = 1 if last in (_UNCOND, _INDIRECT) else 0
        indirect = 1 if last == _INDIRECT else 0
        fallthrough = address + size if last == _COND else 0
        entry = (self._totals[name], n, loads, stores, taken, indirect, fallthrough, name)
        self._memo[address << 16 | size] = entry
        return entry

    # -- hooks -----------------------------------------------------------------------
    def on_block(self, address: int, size: int) -> int:
        entry = self._memo.get(address << 16 | size)
        if entry is None:
            entry = self._entry(address, size)
        if self._fallthrough:
            if address != self._fallthrough:
                self._last[TAKEN] += 1
            self._fallthrough = 0
        totals, n, loads, stores, taken, indirect, fallthrough, name = entry
        totals[INSN] += n
        totals[LOADS] += loads
        totals[STORES] += stores
        totals[TAKEN] += taken
        totals[INDIRECT] += indirect
        self._fallthrough = fallthrough
        self._last = totals
        self._last_name = name
        return n

    def on_helper_call(self, helper: str) -> None:
        name = self._last_name or "<engine>"
        totals = self._totals.setdefault(name, [0] * 6)
        totals[HELPER_CALLS] += 1
        per = self._helpers.setdefault(name, {})
        per[helper] = per.get(helper, 0) + 1

    def begin_entry(self) -> None:
        """An outermost call starts: no block ran before it."""
        self._fallthrough = 0
        self._last = None
        self._last_name = ""

    # -- results -----------------------------------------------------------------------
    def counts(self) -> dict[str, Counts]:
        out = {}
        for name, t in self._totals.items():
            if name == _UNKNOWN and not any(t):
                continue
            out[name] = Counts(t[INSN], t[LOADS], t[STORES], t[TAKEN], t[INDIRECT],
                               t[HELPER_CALLS], dict(self._helpers.get(name, {})))
        return out

    def reset(self) -> None:
        for t in self._totals.values():
            t[:] = [0] * 6
        self._helpers.clear()
