"""Golden LIR and listings of small Python functions, compiled with the
default strategy (`pytest --update-golden` rewrites them; review the diff).

Object constants are relocations, so the bytes and the text do not depend on
where objects live; the listings are at offset 0, unrelocated.
"""

from __future__ import annotations

import math

import pytest

from pyjit.aarch64.listing import listing
from pyjit.compiler import compile_function
from pyjit.lir.printer import format_function


def add(a, b):
    return a + b


def choose(x):
    if x is None:
        return 0
    return x


def count_down(n):
    while n:
        n -= 1
    return n


def norm(p):
    return math.sqrt(p.x * p.x + p.y * p.y)


FUNCTIONS = {"add": add, "choose": choose, "count_down": count_down, "norm": norm}


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_golden_lir_and_listing(name, golden):
    compiled = compile_function(FUNCTIONS[name])
    golden(f"jit/{name}.lir.txt", format_function(compiled.lir, compiled.emitted.allocation))
    golden(f"jit/{name}.asm.txt", listing(compiled.code, name=name))
