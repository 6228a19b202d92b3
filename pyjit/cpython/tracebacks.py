"""Traceback entries for compiled functions, as the interpreter makes them.

CPython adds a traceback entry for a frame when an exception leaves an
instruction of that frame (`PyTraceBack_Here`, the `error:` label of the
eval loop): at the raise, or at the call a callee's exception came out of.
A re-raise (`RERAISE`, a bare `raise`) adds none.  Then the exception goes
to the frame's handler, or out of the frame.

Compiled code does the same through two helpers, both given the function's
`CodeInfo` and the return address of the call that failed (the LIR's
`SaveReturnAddress`, first thing on an exception path):

- `traceback_exit(info, lr)`: the function is about to return NULL;
- `fetch_exception(info, lr)`: a handler takes the pending exception.

Each adds the entry `[function, line of lr]` in front of the pending
exception's traceback, unless the failure was a re-raise (the re-raising
helpers say so: errstate.reraised), lr maps to no line (the argument
binding of the entry, which CPython does before the frame exists), or the
exception replaced an unnormalized one whose entries the interpreter
drops at the handler (errstate.mark_replacement).

An entry needs a frame object.  A compiled activation has no frame of its
own, so a `CodeInfo` keeps one frame object that stands for the function:
an unstarted generator's frame built from a code object with the function's
name, qualified name, file and first line, and its globals (so `f_code`,
`f_globals` and the file and line a printer shows are the function's; its
`f_locals` are empty and `f_back` is None).  The line of the entry is
explicit (`tb_lasti` -1 makes the traceback module use `tb_lineno`).
"""

from __future__ import annotations

# Bound at import: a program may rebind builtins.len and the like (the call path
# of compiled code must not see that).
from builtins import KeyError, SystemError, dict, list
import bisect
import types
from typing import Any, Iterable

from . import errstate
from .helper_decl import python_helper

_TracebackType = types.TracebackType


class CodeInfo:
    """What the traceback helpers know of one compiled function: its
    original code and globals, and the line of each piece of its machine
    code once loaded (`set_lines`, `set_base`)."""

    __slots__ = ("code", "globals", "base", "_offsets", "_lines", "_frame", "_releases",
                 "__weakref__")

    def __init__(self, code: types.CodeType, globals_: dict):
        self.code, self.globals = code, globals_
        self.base = 0                       # where the code is loaded (0: not loaded)
        self._offsets: list[int] = []
        self._lines: list[int | None] = []
        self._frame: Any = None
        self._releases: dict[int, tuple[int, ...]] = {}

    def set_lines(self, pieces: Iterable[tuple[int, int | None]]) -> None:
        """pieces: (code offset, source line or None), one per piece of
        machine code, in offset order."""
        pieces = list(pieces)
        self._offsets = [offset for offset, _ in pieces]
        self._lines = [line for _, line in pieces]

    def line_at(self, address: int) -> int | None:
        """The source line of the call whose return address is address."""
        i = bisect.bisect_right(self._offsets, address - 4 - self.base) - 1
        return self._lines[i] if i >= 0 and self.base else None

    def set_releases(self, releases: dict[int, tuple[int, ...]]) -> None:
        """The release exit's map (codegen.EmittedFunction.releases): a
        failing call's return address as a code offset -> where the objects
        to release are, as offsets from the register save area."""
        self._releases = dict(releases)

    def releases_at(self, address: int) -> tuple[int, ...]:
        """Where the objects to release are when the call whose return
        address is address failed (SystemError if the code has no entry
        for it: the release exit is only reached from the calls it lists)."""
        try:
            return self._releases[address - self.base]
        except KeyError:
            raise SystemError(f"{self.code.co_qualname}: no release entry for the call "
                              f"returning to {address:#x}") from None

    def frame(self):
        """The frame object standing for the function in traceback entries."""
        if self._frame is None:
            self._frame = _standin_frame(self.code, self.globals)
        return self._frame

    def __repr__(self) -> str:
        return f"<CodeInfo {self.code.co_qualname}>"


def _gen():
    yield


def _standin_frame(code: types.CodeType, globals_: dict):
    standin = _gen.__code__.replace(co_name=code.co_name, co_qualname=code.co_qualname,
                                    co_filename=code.co_filename,
                                    co_firstlineno=code.co_firstlineno)
    generator = types.FunctionType(standin, globals_)()
    frame = generator.gi_frame
    generator.close()                       # the frame object outlives the generator
    return frame


def add_entry(info: CodeInfo, lr: int) -> None:
    """The traceback entry of a failure at lr in info's function, in front
    of the pending exception's traceback (see the module docstring).  Its
    one change of state is its last step (no check point follows it): an
    asynchronous exception interrupts it before anything changed, and the
    helper may be called again (helper_binding.py)."""
    if errstate.reraised():
        errstate.take_reraised()
        return
    exc = errstate.pending()
    line = info.line_at(lr)
    if exc is None or line is None or errstate.is_replacement(exc):
        return
    entry = _TracebackType(exc.__traceback__, info.frame(), -1, line)
    exc.__traceback__ = entry


@python_helper("traceback_exit", ("obj", "int64"), "int64", "none", room=True, once=True)
def traceback_exit(info, lr):
    """The compiled function returns NULL: its traceback entry; 0, the
    function's result."""
    add_entry(info, lr)
    return 0


@python_helper("fetch_exception", ("obj", "int64"), "obj", "none", room=True)
def fetch_exception(info, lr):
    """A handler's first step: the function's traceback entry, then the
    pending exception, taken.  It cannot fail (a handler's landing block
    has no failure path): an asynchronous exception is deferred, and one
    that interrupts it finds nothing taken yet (add_entry's one change and
    the take are its last steps)."""
    add_entry(info, lr)
    exc = errstate.take_pending()
    if exc is None:
        raise SystemError("no exception to fetch")
    return exc
