"""Canonical shapes: generated Python functions that size tests assert on.

    fn = make_shape("sqrt:200")     # a real function, compiled from source
    fn(9.0) == 600.0

- `sqrt:N`: `s = 0.0`, then N times `s += math.sqrt(x)`, `return s`;
  `f(9.0) == 3.0 * N`.
- `sqrtpow:N`: N times `y = math.sqrt(x); s += math.pow(y, y)`;
  `f(9.0) == 27.0 * N`.
- `loop`: `s = 0; for i in range(n): s += (i * 3) ^ (i >> 2); return s`.

CinderX's sizes for the same shapes are in ../shared/reference/ANCHORS.md.
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass
from typing import Any, Callable


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
    try:
        n = int(count)
    except ValueError:
        raise ValueError(f"shape {name!r} needs a count, e.g. {name}:200") from None
    if n < 1:
        raise ValueError(f"shape {name!r}: the count must be at least 1")
    return shape, n


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
