"""The float paths of the number routines (pyjit_int_add/sub/mul and
pyjit_float_truediv, their in-place forms, pyjit_compare) and the pool of
dead floats (pyjit_dealloc, cpython/int_pool.py): the interpreter's results
bit for bit (-0.0, infinities, subnormals, huge values) and its exceptions
(division by zero) for every pair of operands, exact floats and one-digit
ints mixed, no trap for them, and no object handed out twice."""

from __future__ import annotations

import gc
import itertools
import math
import struct
import sys

import pytest

import pyjit.jit as jit
from pyjit.runtime import UnicornEngine, entries
from pyjit.cpython.int_pool import CAPACITY

from conftest import interpreted


def arith(a, b):
    return a + b, a - b, a * b, a / b


def in_place(a, b):
    x = a
    x += b
    y = a
    y -= b
    z = a
    z *= b
    w = a
    w /= b
    return x, y, z, w


def compare_all(a, b):
    return a < b, a <= b, a == b, a != b, a > b, a >= b


class Float(float):
    def __add__(self, other):
        return "add"

    def __lt__(self, other):
        return "lt"


NAN = float("nan")
VALUES = [0.0, -0.0, 1.0, -1.5, 3.0, 0.1, 1 / 3, 1e308, -1e308, 1.7976931348623157e308,
          5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, math.inf, -math.inf, NAN, -NAN,
          0, 1, -7, 2**30 - 1, -(2**30 - 1), 2**30, -(2**30), 2**40, True, None, "a",
          Float(2.5), Float(-0.0)]


def bits(value):
    """value with every float replaced by its bits (so -0.0 != 0.0, and a
    NaN's sign and payload count)."""
    if isinstance(value, tuple):
        return tuple(bits(v) for v in value)
    if type(value) is float:
        return "float", struct.pack("<d", value)
    return value


def outcome(call, both_nan=False):
    """("ok", bits of the value) or ("raise", type, message).  With both_nan
    (both operands NaN) a NaN is only a NaN: which operand's sign and payload
    an operation keeps is the C compiler's choice, and the interpreter's own
    specialized instructions and its C-API functions choose differently."""
    try:
        value = call()
    except Exception as exc:  # noqa: BLE001 - comparing with the interpreter
        return "raise", type(exc), str(exc)
    if both_nan:
        value = tuple("nan" if isinstance(v, float) and v != v else v for v in value)
    return "ok", bits(value)


def is_nan(x):
    return isinstance(x, float) and x != x


@pytest.mark.parametrize("fn", [arith, in_place, compare_all])
def test_float_ops_are_the_interpreters_for_every_pair(mode, compiled, fn):
    compiled(fn)
    reference = interpreted(fn)
    for a, b in itertools.product(VALUES, VALUES):
        both_nan = is_nan(a) and is_nan(b)
        assert (outcome(lambda: fn(a, b), both_nan)
                == outcome(lambda: reference(a, b), both_nan)), (a, b)


def test_division_by_zero_raises_the_interpreters_error(compiled):
    def div(a, b):
        return a / b

    def idiv(a, b):
        a /= b
        return a
    compiled(div, idiv)
    for fn in (div, idiv):
        for a, b in [(1.0, 0.0), (1.0, -0.0), (0.0, 0.0), (math.inf, 0.0), (NAN, -0.0)]:
            with pytest.raises(ZeroDivisionError) as got:
                fn(a, b)
            with pytest.raises(ZeroDivisionError) as expected:
                interpreted(fn)(a, b)
            assert str(got.value) == str(expected.value)


def test_exact_floats_make_no_trap(compiled, traps):
    def work(n, x):
        s = 0.0
        i = 0
        while i < n:
            y = x * 1.5 - 0.25
            s += y / 3.0
            if s > 1e9:
                s = s * 0.5
            x = x + 0.125
            i += 1
        return s
    compiled(work)
    work(50, 1.0)                             # the pool fills with what dies here
    result, counts = traps(lambda: work(200, 1.0))
    assert bits(result) == bits(interpreted(work)(200, 1.0))
    # Results come from the pool and deaths go back, except the returned
    # float and x (they die in the interpreter): two allocations at most;
    # `i += 1` on ints traps nowhere either.
    floats = {k: v for k, v in counts.items() if k.startswith("PyNumber")}
    assert sum(floats.values()) <= 2, counts
    assert "PyObject_RichCompare" not in counts and "Py_DecRef" not in counts, counts


def test_floats_and_one_digit_ints_mixed_make_no_trap(compiled, traps):
    def eval_a(n):
        s = 0.0
        for i in range(n):
            for j in range(n):
                s += 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1) * 2 - j
                if s < j or 3 > s:
                    s = s + 1
        return s
    compiled(eval_a)
    eval_a(10)
    result, counts = traps(lambda: eval_a(20))
    assert bits(result) == bits(interpreted(eval_a)(20))
    assert not {"PyNumber_TrueDivide", "PyNumber_Multiply", "PyNumber_Subtract",
                "PyObject_RichCompare"} & set(counts), counts


def test_int_true_division(mode, compiled):
    def div(a, b):
        return a / b
    compiled(div)
    ints = [0, 1, -1, 3, -7, 10, 2**30 - 1, -(2**30 - 1), 2**30, 2**62]
    for a, b in itertools.product(ints, ints):
        assert (outcome(lambda: div(a, b)) == outcome(lambda: interpreted(div)(a, b))), (a, b)


def test_results_kept_alive_are_never_reused(compiled):
    def make(x, k):
        return x * 1.0 + k
    compiled(make)
    kept = [make(float(i), 0.5) for i in range(5 * CAPACITY)]
    churn = [make(float(i), 7.0) for i in range(10 * CAPACITY)]
    del churn
    assert kept == [i + 0.5 for i in range(5 * CAPACITY)]
    assert len({id(x) for x in kept}) == len(kept)
    assert len({sys.getrefcount(x) for x in kept}) == 1       # each held by the list only
    assert not any(gc.is_tracked(x) for x in kept)


def test_float_pool_is_bounded_and_drained_on_close(compiled):
    engine = UnicornEngine()
    previous = jit._engine
    jit.set_engine(engine)
    try:
        def churn(n):
            s = 0.0
            for i in range(n):
                s = s * 0.5 + 1.25
            return s
        compiled(churn)
        assert churn(3000) == interpreted(churn)(3000)
        pool = entries.float_pool(engine)
        assert 0 < pool.count <= CAPACITY
        jit.force_uncompile(churn)
        engine.close()
        assert pool.count == 0
    finally:
        jit.set_engine(previous)


def test_int_multiplication(mode, compiled, traps):
    def mul(a, b):
        x = a
        x *= b
        return a * b, x
    compiled(mul)
    reference = interpreted(mul)
    ints = [0, 1, -1, 7, -9, 256, 257, 2**15, -(2**15) - 3, 2**30 - 1, -(2**30 - 1), 2**30,
            2**62, True]
    for a, b in itertools.product(ints, ints):
        assert mul(a, b) == reference(a, b), (a, b)


def test_one_digit_int_products_make_no_trap(compiled, traps):
    def products(n):
        s = 0
        for i in range(n):
            s = (s * 3 + i * (i - 5)) & 0xFFFFF
        return s
    compiled(products)
    products(100)                             # the pool fills with what dies here
    result, counts = traps(lambda: products(300))
    assert result == interpreted(products)(300)
    assert "PyNumber_Multiply" not in counts, counts
    assert sum(v for k, v in counts.items() if k.startswith("PyNumber")) <= 2, counts


def test_float_struct_is_what_the_routines_read():
    from pyjit.cpython import layout
    for x in (1.5, -0.0, math.inf):
        raw = (struct.unpack_from("<d", (ctypes_bytes(x, layout.FLOAT_OB_FVAL + 8)),
                                  layout.FLOAT_OB_FVAL)[0])
        assert bits(raw) == bits(x)


def ctypes_bytes(obj, n):
    import ctypes
    return ctypes.string_at(id(obj), n)


def test_results_kept_come_from_batches_not_traps(compiled, traps):
    def keep(n):
        out = []
        for i in range(n):
            out.append(i * 0.5 + 0.25)
        return out
    compiled(keep)
    keep(4)
    result, counts = traps(lambda: keep(10 * CAPACITY))
    assert result == interpreted(keep)(10 * CAPACITY)
    assert len({id(x) for x in result}) == len(result)
    assert len({sys.getrefcount(x) for x in result}) == 1       # each held by the list only
    # One refill makes half a pool: 20 for 640 floats kept, no C-API call.
    assert not {k for k in counts if k.startswith("PyNumber")}, counts
    assert counts["pool_refill"] == 20


def square_roots(x):
    return math.sqrt(x)


SQRT_VALUES = [0.0, -0.0, 1.0, 2.0, 0.1, 1e308, 1.7976931348623157e308, 5e-324,
               2.2250738585072014e-308, math.inf, -math.inf, NAN, -1.0, -5e-324,
               0, 4, 2**70, -1, True, Float(2.25), "x", None]


def test_sqrt_is_the_builtins_bit_for_bit(compiled, traps):
    compiled(square_roots)
    for x in SQRT_VALUES:
        assert outcome(lambda: square_roots(x)) == outcome(lambda: interpreted(square_roots)(x)), x
    square_roots(2.0)
    result, counts = traps(lambda: [square_roots(float(i)) for i in range(50)])
    assert "PyObject_Vectorcall" not in counts, counts


def test_sqrt_rebound_is_called(compiled):
    compiled(square_roots)
    assert square_roots(9.0) == 3.0
    saved = math.sqrt
    math.sqrt = lambda x: ("rebound", x)
    try:
        assert square_roots(9.0) == ("rebound", 9.0)
    finally:
        math.sqrt = saved
    assert square_roots(16.0) == 4.0


def test_refills_while_other_threads_take_from_the_pool(compiled):
    """Threads keep floats (refills, from the helper, with other threads'
    compiled code taking from the same pool meanwhile) and churn them: no
    float handed out twice, every value right."""
    import threading

    def keep(n, k):
        out = []
        for i in range(n):
            out.append(i * 0.5 + k)
            s = 0.0
            for j in range(3):
                s = s + j * 1.5           # floats that die in compiled code
        return out
    compiled(keep)
    results = {}

    def work(k):
        results[k] = keep(3000, float(k))
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [x for k in range(4) for x in results[k]]
    assert all(results[k] == [i * 0.5 + k for i in range(3000)] for k in range(4))
    assert len({id(x) for x in everything}) == len(everything)
