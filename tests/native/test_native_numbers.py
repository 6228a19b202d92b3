"""The number routines' float paths on the CPU: exact floats (and a float
with a one-digit int) in + - * / and comparisons give the interpreter's
results bit for bit and its exceptions, results come from the engine's pool
of dead floats, and nothing leaks."""

from __future__ import annotations

import itertools
import math
import struct
import sys

import pytest

from pyjit.cpython.int_pool import CAPACITY
from pyjit.runtime import entries

from native_support import native_only

pytestmark = native_only


def arith(a, b):
    x = a
    x += b
    y = a
    y *= b
    return a + b, a - b, a * b, a / b, x, y


def compare_all(a, b):
    return a < b, a <= b, a == b, a != b, a > b, a >= b


def churn(n, x):
    s = 0.0
    for i in range(n):
        s = s * 0.5 + x / 3.0 - i
        if s > x:
            s -= 1.0
    return s


NAN = float("nan")
VALUES = [0.0, -0.0, 1.0, -1.5, 0.1, 1 / 3, 1e308, -1e308, 5e-324, -5e-324,
          2.2250738585072014e-308, math.inf, -math.inf, NAN, -NAN, 0, 3, -7, 2**30 - 1, 2**30,
          True, None]


def bits(value):
    if isinstance(value, tuple):
        return tuple(bits(v) for v in value)
    if type(value) is float:
        return "float", struct.pack("<d", value)
    return value


def outcome(fn, a, b):
    try:
        value = fn(a, b)
    except Exception as exc:  # noqa: BLE001 - comparing with the interpreter
        return "raise", type(exc), str(exc)
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        value = tuple("nan" if isinstance(v, float) and v != v else v for v in value)
    return "ok", bits(value)


@pytest.mark.parametrize("fn", [arith, compare_all])
def test_floats_are_the_interpreters_bit_for_bit(compiled, fn):
    pairs = list(itertools.product(VALUES, VALUES))
    reference = [outcome(fn, a, b) for a, b in pairs]      # (0.0, 0 and False are one key)
    compiled(fn)
    for (a, b), expected in zip(pairs, reference):
        assert outcome(fn, a, b) == expected, (a, b)


def test_float_pool_serves_and_nothing_leaks(compiled, native):
    expected = churn(500, 2.5)
    compiled(churn)
    x = 2.5
    before = sys.getrefcount(x)
    for _ in range(20):
        assert bits(churn(500, x)) == bits(expected)
    assert sys.getrefcount(x) == before
    assert 0 < entries.float_pool(native).count <= CAPACITY
