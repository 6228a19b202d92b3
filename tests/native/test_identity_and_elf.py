"""Compile-only tests, run on every host:

- the native and Unicorn engines receive identical code bytes for the same
  function and strategy; their relocations differ only in what they
  resolve to;
- `pyjit.dump_elf` writes a file `llvm-objdump -d` disassembles, with a
  symbol per compiled function and per stub and pool region.

Two compiles of one function differ in one thing that has nothing to do
with the engine: the addresses of the inline cache cells each compile
creates (literals holding a cell's address).  The comparison replaces
those literals with the cell's index among the compile's consts first;
every other byte must be equal.
"""

from __future__ import annotations

import ctypes

import re
import struct
import subprocess

import pytest

import pyjit
import pyjit.jit as jit
from pyjit.aarch64.calls import CodePlacement, strategy_names
from pyjit.compiler import compile_function
from pyjit.runtime import UnicornEngine
from pyjit.cpython.routines import ROUTINES
from pyjit.runtime.native_engine import NativeEngine, reserve_code_arena
from pyjit.runtime import native_routines
from pyjit.runtime.native_helpers import NativeHelpers
from pyjit.shapes import make_shape

from native_support import NATIVE_REASON

GLOBAL_K = 3


class Point:
    def __init__(self, x):
        self.x = x


def sample(p, xs):
    total = 0
    for x in xs:
        total += x * GLOBAL_K + p.x
    return total, len(xs), abs(total)


FUNCTIONS = {"sqrt:200": make_shape("sqrt:200"), "sqrtpow:64": make_shape("sqrtpow:64"),
             "loop": make_shape("loop"), "sample": sample}


@pytest.fixture(scope="module")
def unicorn():
    engine = UnicornEngine(code_arena_size=8 << 20, timeout=None)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def native_side():
    """(placement, resolve) of a native engine: the real one on AArch64,
    elsewhere the arena a native engine would reserve and the addresses its
    helpers would have (C-API functions and ctypes callbacks exist on any
    host)."""
    if NATIVE_REASON is None:
        engine = NativeEngine(code_arena_size=8 << 20)
        yield engine.placement(), engine.helper_address
        engine.close()
    else:
        arena = reserve_code_arena(8 << 20)
        # The routines a native engine loads first, at the start of its
        # arena, and its Python helpers' stubs after them.
        routines = {name: arena.start + 0x400 * i for i, name in enumerate(ROUTINES)}
        stubs = arena.start + 0x400 * len(ROUTINES)
        helpers = NativeHelpers(lambda helper, fault: None, (ctypes.c_uint64 * 256)(), stubs,
                                native_routines.STUB_SIZE)
        yield CodePlacement(arena.start, arena.end, routines), helpers.address
        helpers.clear()
        arena.release()


def normalized(compiled) -> bytes:
    """The code's bytes with each literal that holds the address of one of
    the compile's own consts replaced by that const's index."""
    index = {}
    for i, const in enumerate(compiled.consts):
        index.setdefault(getattr(const, "address", None), i)
        index.setdefault(id(const), i)
    index.pop(None, None)
    data = bytearray(compiled.code.data)
    for offset, entry in compiled.code.literals.items():
        if entry.value is not None and entry.size == 8 and entry.value in index:
            struct.pack_into("<Q", data, offset, 0xC0DE_0000_0000_0000 | index[entry.value])
    return bytes(data)


def _resolver(helper_address, placement, others):
    def resolve(symbol):
        try:
            return helper_address(symbol)
        except KeyError:
            pass
        if symbol in placement.symbols:          # shared routines: in the engine's arena
            return placement.symbols[symbol]
        return others[symbol]                    # the stack limit: anything
    return resolve


@pytest.mark.parametrize("strategy", strategy_names())
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_native_and_unicorn_get_identical_bytes(unicorn, native_side, name, strategy):
    fn = FUNCTIONS[name]
    native_placement, native_helper = native_side
    emulated = compile_function(fn, strategy, placement=unicorn.placement())
    native = compile_function(fn, strategy, placement=native_placement)
    assert native_placement.start != unicorn.placement().start
    assert normalized(native) == normalized(emulated)
    assert native.code.relocs == emulated.code.relocs
    assert native.code.sizes == emulated.code.sizes
    # Linked for each engine, the bytes differ only inside relocated fields
    # (and the const literals above).
    symbols = {r.symbol for r in native.code.relocs if r.symbol}
    fake = {s: 0x5000_0000 + 0x100 * i for i, s in enumerate(sorted(symbols))}
    a = emulated.code.link(unicorn.placement().start,
                           _resolver(unicorn.helper_address, unicorn.placement(), fake))
    b = native.code.link(native_placement.start,
                         _resolver(native_helper, native_placement, fake))
    fields = set()
    for r in native.code.relocs:
        fields.update(range(r.offset, r.offset + (8 if r.kind.name.endswith("64") else 4)))
    for offset, entry in native.code.literals.items():
        if normalized(native)[offset:offset + 8] != native.code.data[offset:offset + 8]:
            fields.update(range(offset, offset + 8))
    assert [i for i in range(len(a)) if a[i] != b[i] and i not in fields] == []
    assert any(a[i] != b[i] for i in fields)            # the helpers really differ


def test_dump_elf_disassembles(tmp_path, request):
    if NATIVE_REASON is None:
        request.getfixturevalue("native")            # dump the native engine's code
    def kernel(x, n):
        s = 0.0
        for i in range(n):
            s += x * i
        return s
    try:
        assert jit.force_compile(kernel, "stub")
        assert kernel(2.0, 4) == 12.0
        path = tmp_path / "code.elf"
        count = pyjit.dump_elf(str(path))
        loaded = {code.name: code for code in jit.get_engine().loaded}
        assert count == len(loaded) and jit.compiled_function(kernel).name in loaded
        out = subprocess.run(["llvm-objdump", "-d", str(path)], capture_output=True, text=True,
                             check=True).stdout
    finally:
        jit.force_uncompile(kernel)
    name = f"{kernel.__module__}:{kernel.__qualname__}"
    code = loaded[name]
    assert "file format elf64-littleaarch64" in out
    assert re.search(rf"^{code.address:016x} <{re.escape(name)}>:", out, re.M)
    listing = out.split(f"<{name}>:", 1)[1]
    assert re.search(r"\tstp\tx29, x30, \[sp, #-\d+\]!", listing)        # the prologue
    assert f"<{name}.stubs.0>:" in out and f"<{name}.literals.0>:" in out
    # Pools are shown as data (8 bytes a line, no mnemonic), not decoded.
    pool = listing.split(f"<{name}.literals.0>:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert pool and all(re.fullmatch(r"[0-9a-f]+: ([0-9a-f]{2} ){8}\s+.{0,8}", line.strip())
                        for line in pool), pool[:3]
