"""Canonical shapes: generated Python functions that size tests assert on.

    fn = make_shape("sqrt:200")     # a real function, compiled from source
    fn(9.0) == 600.0

- `sqrt:N`: `s = 0.0`, then N times `s += math.sqrt(x)`, `return s`;
  `f(9.0) == 3.0 * N`.
- `sqrtpow:N`: N times `y = math.sqrt(x); s += math.pow(y, y)`;
  `f(9.0) == 27.0 * N`.
- `loop`: `s = 0; for i in range(n): s += (i * 3) ^ (i >> 2); return s`.

A count is at most MAX_COUNT (10,000).  Sizes grow linearly in N (about
160 bytes a line of `sqrt`, 2.5 ms and 40 KB of compiler memory each), so
sqrt:10000 is already 1.6 MB of code -- past the 1 MiB reach of literal
loads and conditional branches, where islands and veneers start -- and
takes under a minute; the canonical count is 200.  A larger count studies
nothing new and, at sqrt:99999999999, would exhaust memory long before
finishing, so it is refused before anything is built.

CinderX's sizes for the same shapes are in ../shared/reference/ANCHORS.md.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass
from typing import Any, Callable


MAX_COUNT = 10_000


@dataclass(frozen=True)
class Shape:
    name: str
    summary: str
    source: Callable[[int], str]
    default_n: int | None
    sample_args: Callable[[int], tuple]
    expected: Callable[[int], Any]


def _sqrt(n: int) -> str:
    body = "".join("    s += math.sqrt(x)\n" for _ in range(n))
    return f"def sqrt_{n}(x):\n    s = 0.0\n{body}    return s\n"


def _sqrtpow(n: int) -> str:
    body = "".join("    y = math.sqrt(x)\n    s += math.pow(y, y)\n" for _ in range(n))
    return f"def sqrtpow_{n}(x):\n    s = 0.0\n{body}    return s\n"


def _loop(_n: int) -> str:
    return ("def loop(n):\n    s = 0\n    for i in range(n):\n"
            "        s += (i * 3) ^ (i >> 2)\n    return s\n")


SHAPES: dict[str, Shape] = {
    "sqrt": Shape("sqrt", "N times `s += math.sqrt(x)`; f(9.0) == 3.0 * N", _sqrt, None,
                  lambda n: (9.0,), lambda n: 3.0 * n),
    "sqrtpow": Shape("sqrtpow", "N times `y = math.sqrt(x); s += math.pow(y, y)`; "
                     "f(9.0) == 27.0 * N", _sqrtpow, None, lambda n: (9.0,), lambda n: 27.0 * n),
    "loop": Shape("loop", "for i in range(n): s += (i * 3) ^ (i >> 2)", _loop, 0,
                  lambda n: (1000,), lambda n: sum((i * 3) ^ (i >> 2) for i in range(1000))),
}


def parse_shape(spec: str) -> tuple[Shape, int]:
    """'sqrt:200' -> (SHAPES['sqrt'], 200); 'loop' -> (SHAPES['loop'], 0)."""
    name, _, count = spec.partition(":")
    shape = SHAPES.get(name)
    if shape is None:
        raise ValueError(f"unknown shape {name!r}; known: {', '.join(SHAPES)}")
    if shape.default_n is not None:
        if count:
            raise ValueError(f"shape {name!r} takes no count")
        return shape, shape.default_n
    n = int(count) if count.isascii() and count.isdigit() and len(count) <= 20 else None
    if n is None:
        raise ValueError(f"shape {name!r} needs a count from 1 to {MAX_COUNT}, e.g. "
                         f"{name}:200") from None
    check_count(n, f"shape {name!r}")
    return shape, n


def check_count(n: int, what: str) -> None:
    """ValueError unless 1 <= n <= MAX_COUNT (see the module docstring)."""
    if n < 1:
        raise ValueError(f"{what}: the count must be at least 1, not {n}")
    if n > MAX_COUNT:
        raise ValueError(f"{what}: the count must be at most {MAX_COUNT} (sqrt:{MAX_COUNT} is "
                         f"already 1.6 MB of code), not {n}")


def make_shape(spec: str) -> types.FunctionType:
    """The shape's function, compiled from its source in a fresh module
    namespace (named `pyjit_shapes`) that has `math`."""
    shape, n = parse_shape(spec)
    namespace: dict[str, Any] = {"math": math, "__name__": "pyjit_shapes"}
    code = compile(shape.source(n), f"<shape {spec}>", "exec")
    exec(code, namespace)
    fn = next(v for v in namespace.values() if isinstance(v, types.FunctionType))
    return fn


def is_shape(spec: str) -> bool:
    return spec.partition(":")[0] in SHAPES
