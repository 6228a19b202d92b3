"""The counting prologue's counter (the version's `counting` module): an
itertools.repeat(None, n) among the counted code's constants, whose
count is written in place to count again from zero (`reset`), so that
the code's constants never change.  Where the count lies in the object is
found in a probe at import, not assumed."""

from __future__ import annotations

from builtins import RuntimeError, id, range, type
import ctypes
import itertools

_ssize_t = ctypes.c_ssize_t


def _count_offset() -> int:
    probe = itertools.repeat(None, 0x5EED5EED)
    for offset in range(2 * ctypes.sizeof(ctypes.c_void_p), type(probe).__basicsize__,
                        ctypes.sizeof(_ssize_t)):
        if _ssize_t.from_address(id(probe) + offset).value == 0x5EED5EED:
            return offset
    raise RuntimeError("no count found in an itertools.repeat object")


_COUNT = _count_offset()


def new(n: int):
    """A counter whose next n items come, then none."""
    return itertools.repeat(None, n)


def reset(counter, n: int) -> None:
    """counter (made by `new`) gives n more items, then none."""
    _ssize_t.from_address(id(counter) + _COUNT).value = n
