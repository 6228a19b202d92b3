"""Helpers shared by the instruction builders (`isa_*.py`).

The builders check operands in two steps: a cheap combined test on the
fast path (attribute reads and comparisons only), and, when that test
fails, `reject_regs`, which walks the operands one by one to produce a
message naming the instruction, the operand and what it allows.
"""

from __future__ import annotations

from typing import NoReturn

from .operands import Cond, EncodingError
from .registers import WZR, XZR, Reg

# sf bit (and register width) per general register kind.
SF = {"x": 1, "w": 0}
WIDTH = {"x": 64, "w": 32}
ZR = {"x": XZR, "w": WZR}

# Slot modes for `reject_regs`: which meaning of register 31 the slot has.
ZR_SLOT = "zr"  # xzr/wzr allowed, sp/wsp not
SP_SLOT = "sp"  # sp/wsp allowed, xzr/wzr not

_KIND_TEXT = {"x": "an x register", "w": "a w register", "d": "a d register",
              "xw": "an x or w register", "xwd": "an x, w or d register",
              "xd": "an x or d register", "wx": "a w or x register"}


def reject_regs(name: str, *slots: tuple[str, object, str, str]) -> NoReturn:
    """Raise EncodingError for the first operand that does not fit its slot.

    Each slot is (operand name, value, allowed kinds, mode) where kinds is a
    string of register kinds ("xw", "x", "d", ...) and mode is ZR_SLOT or
    SP_SLOT (ignored for d registers).  Called only after a fast check
    failed, so finding nothing wrong is a bug in that fast check.
    """
    for slot, reg, kinds, mode in slots:
        want = _KIND_TEXT.get(kinds, f"a register of kind {kinds}")
        if not isinstance(reg, Reg):
            raise EncodingError(f"{name}: {slot} must be {want}, got {reg!r}")
        if reg.kind not in kinds:
            raise EncodingError(f"{name}: {slot} must be {want}, got {reg}")
        if reg.kind != "d" and reg.num == 31:
            if mode == ZR_SLOT and reg.sp:
                raise EncodingError(
                    f"{name}: {slot} cannot be {reg}: register 31 is the zero register here")
            if mode == SP_SLOT and not reg.sp:
                raise EncodingError(
                    f"{name}: {slot} cannot be {reg}: register 31 is the stack pointer here")
    raise AssertionError(f"{name}: operands rejected but no fault found: {slots}")


_COND_CODES: dict[object, int] = {}
for _c in Cond:
    _COND_CODES[_c] = _c.value  # also matches the plain ints 0..15
    _COND_CODES[_c.name.lower()] = _c.value
    _COND_CODES[_c.name] = _c.value
_COND_CODES.update({"cs": 2, "CS": 2, "cc": 3, "CC": 3})
_COND_NAMES = ", ".join(c.name.lower() for c in Cond)


def cond_code(name: str, cond: object, allow_al: bool = True) -> int:
    """The 4-bit code of `cond` (a Cond or its name), or EncodingError.
    With allow_al False, al and nv are refused (aliases such as cset that
    invert the condition cannot express them)."""
    try:
        code = _COND_CODES.get(cond)
    except TypeError:  # unhashable
        code = None
    if code is None or (code >= 14 and not allow_al):
        allowed = _COND_NAMES if allow_al else _COND_NAMES.replace(", al, nv", "")
        raise EncodingError(f"{name}: condition {cond!r} not allowed: allowed {allowed}")
    return code


def check_uint(name: str, what: str, value: object, limit: int) -> int:
    """`value` if it is an int in 0..limit, else EncodingError."""
    if type(value) is int and 0 <= value <= limit:
        return value
    raise EncodingError(f"{name}: {what} {value!r} out of range: allowed 0..{limit}")


def bad_operand(name: str, slot: str, value: object, allowed: str) -> NoReturn:
    raise EncodingError(f"{name}: {slot} {value!r} not supported: allowed {allowed}")
