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
own, so each entry gets a frame object standing for the activation: a
closed generator's frame built from a code object with the function's
name, qualified name, file, first line and local names (`CodeInfo`'s
stand-in code), and its globals, so `f_code`, `f_globals`, the file and
line a printer shows and the names 3.11's and 3.12's NameError suggestions
read are the function's; its `f_locals` are empty (the locals' values are
not kept).  The line of the entry
is explicit, and its `tb_lasti` is the offset of the bytecode instruction
the failing call came from (-1 where not known: the traceback module then
uses `tb_lineno`); the stand-in code has the function's location table, so
the traceback module underlines what failed, as in the interpreter's
entries.
What the interpreter's frame would say once the exception left it is
written into the frame object's fields (layout FRAME_F_LINENO,
FRAME_F_BACK): `f_lineno` is the line where the activation was left (the
entry's line, or a re-raise's, as in a `finally` run on the way out), and
`f_back` is the frame below the activation's trampoline frame when it was
entered through one (from the interpreter or from C), and becomes the
frame of the caller's entry when the exception passes through a compiled
caller (the frame the interpreter's callee frame has as `f_back` is the
one its caller's entry shows).
"""

from __future__ import annotations

# Bound at import: a program may rebind builtins.len and the like (the call path
# of compiled code must not see that).
from builtins import KeyError, SystemError, bool, bytearray, bytes, dict, id, len, list, max, min
import bisect
import ctypes
import dis
import sys
import types
from typing import Iterable

from . import errstate, frames, layout
from .own_files import PACKAGE_DIR
from .helper_decl import python_helper

_TracebackType = types.TracebackType


class CodeInfo:
    """What the traceback helpers know of one compiled function: its
    original code and globals, and the line of each piece of its machine
    code once loaded (`set_lines`, `set_base`)."""

    __slots__ = ("code", "globals", "base", "_offsets", "_lines", "_lastis", "_standin",
                 "_releases", "__weakref__")

    def __init__(self, code: types.CodeType, globals_: dict):
        self.code, self.globals = code, globals_
        self.base = 0                       # where the code is loaded (0: not loaded)
        self._offsets: list[int] = []
        self._lines: list[int | None] = []
        self._lastis: list[int] = []
        self._standin: types.CodeType | None = None
        self._releases: dict[int, tuple[int, ...]] = {}

    def set_lines(self, pieces: Iterable[tuple[int, int | None, int | None]]) -> None:
        """pieces: (code offset, source line or None, offset of the bytecode
        instruction it came from or None), one per piece of machine code,
        in offset order."""
        pieces = list(pieces)
        self._offsets = [offset for offset, _, _ in pieces]
        self._lines = [line for _, line, _ in pieces]
        self._lastis = [-1 if lasti is None else lasti for _, _, lasti in pieces]

    def line_at(self, address: int) -> int | None:
        """The source line of the call whose return address is address."""
        i = bisect.bisect_right(self._offsets, address - 4 - self.base) - 1
        return self._lines[i] if i >= 0 and self.base else None

    def lasti_at(self, address: int) -> int:
        """The offset of the bytecode instruction (a traceback's tb_lasti)
        of the call whose return address is address, -1 when not known."""
        i = bisect.bisect_right(self._offsets, address - 4 - self.base) - 1
        return self._lastis[i] if i >= 0 and self.base else -1

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

    def new_frame(self, line: int):
        """A frame object standing for one activation of the function in a
        traceback entry, at line (module docstring)."""
        if self._standin is None:
            # The function's local names (unset): what reads the frame's
            # code for them finds them (3.11's NameError suggestions).  Its
            # positions are the function's, unit for unit (`_positions`).
            code, linetable = _positions(self.code)
            self._standin = _gen.__code__.replace(
                co_name=self.code.co_name, co_qualname=self.code.co_qualname,
                co_filename=self.code.co_filename, co_firstlineno=self.code.co_firstlineno,
                co_consts=_gen.__code__.co_consts + (_STANDIN,),
                co_varnames=self.code.co_varnames, co_nlocals=len(self.code.co_varnames),
                co_code=code, co_linetable=linetable)
        generator = _FunctionType(self._standin, self.globals)()
        frame = generator.gi_frame
        generator.close()                   # the frame object outlives the generator
        _Int.from_address(id(frame) + layout.FRAME_F_LINENO).value = line
        return frame

    def __repr__(self) -> str:
        return f"<CodeInfo {self.code.co_qualname}>"


def _gen():
    yield


def _no_locations(units: int) -> bytes:
    """A location table giving `units` code units no source location (the
    format of CPython 3.11 to 3.14, Objects/locations.md: an entry of code
    15 covers one to eight units): a stand-in's units past its function's
    end (`_positions`)."""
    table = bytearray()
    while units:
        n = min(units, 8)
        table.append(0x80 | 15 << 3 | n - 1)
        units -= n
    return bytes(table)


def _positions(original: types.CodeType) -> tuple[bytes, bytes]:
    """(code, location table) for a stand-in of original: the stand-in's
    own instructions (a generator's, never run), padded with NOPs to the
    original's length, and the original's location table (its units past
    the original's end have none).  A traceback entry's tb_lasti, an offset
    in the original's instructions, then has the original's positions in
    the stand-in's code: the traceback module underlines what failed.
    `frame_view.lasti` makes a stand-in frame's own f_lasti -1: its line is
    f_lineno's."""
    own = _gen.__code__.co_code
    units = len(original.co_code) // 2
    padding = max(0, units - len(own) // 2)
    extra = max(0, len(own) // 2 - units)
    return (own + bytes((_NOP, 0)) * padding,
            original.co_linetable + (_no_locations(extra) if extra else b""))


_NOP = dis.opmap["NOP"]


_STANDIN = object()            # among a stand-in code's constants: marks its frames
_FunctionType = types.FunctionType
_Int = ctypes.c_int
_Pointer = ctypes.c_void_p


def is_standin(frame) -> bool:
    consts = frame.f_code.co_consts           # (any frame's: some codes have none)
    return bool(consts) and consts[-1] is _STANDIN


def set_back(frame, back) -> None:
    """frame.f_back = back (a new reference; the frame releases it when it
    dies), releasing the one it had."""
    _incref(back)
    slot = _Pointer.from_address(id(frame) + layout.FRAME_F_BACK)
    old, slot.value = slot.value, id(back)
    if old:
        _decref(old)


_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = (ctypes.py_object,)
_incref.restype = None
_decref = ctypes.pythonapi.Py_DecRef
_decref.argtypes = (ctypes.c_void_p,)
_decref.restype = None
_getframe = sys._getframe
_object_at = __import__("_ctypes").PyObj_FromPtr
_real_back = frames.real_back


def _trampoline_caller(info: CodeInfo):
    """The frame object below the innermost compiled activation's
    trampoline frame when that activation is info's function (entered from
    the interpreter or from C), else None.  (A function calling itself
    directly has no trampoline frame of its own: the caller's entry, added
    when the exception passes through it, corrects what this gives.)"""
    address = frames.innermost()
    if not address:
        return None
    code = _object_at(_Pointer.from_address(address + layout.IFRAME_CODE).value)
    if code.co_qualname != info.code.co_qualname:
        return None
    f = _getframe(2)
    while f is not None and f.f_code is not code:
        f = _real_back(f)
    back = _real_back(f) if f is not None else None
    hooked = False
    while back is not None and back.f_code.co_filename.startswith(PACKAGE_DIR):
        back, hooked = _real_back(back), True    # a first call, made by the counting hook...
    if hooked and back is not None and back.f_code.co_qualname == code.co_qualname:
        back = _real_back(back)             # ...for the counted frame of the same call
    return back


def add_entry(info: CodeInfo, lr: int) -> None:
    """The traceback entry of a failure at lr in info's function, in front
    of the pending exception's traceback (see the module docstring).  Its
    one change the program sees is its last step (no check point follows
    it): an asynchronous exception interrupts it before that, and the
    helper may be called again (helper_binding.py)."""
    if errstate.reraised():
        errstate.take_reraised()
        # left by a re-raise: the activation's entry, added when its handler
        # took the exception, is the first; its frame is at this line now
        exc, line = errstate.pending(), info.line_at(lr)
        head = exc.__traceback__ if exc is not None else None
        if (line is not None and head is not None and is_standin(head.tb_frame)
                and head.tb_frame.f_code is info._standin):
            _Int.from_address(id(head.tb_frame) + layout.FRAME_F_LINENO).value = line
        return
    exc = errstate.pending()
    line = info.line_at(lr)
    if exc is None or line is None or errstate.is_replacement(exc):
        return
    head = exc.__traceback__
    frame = info.new_frame(line)
    back = _trampoline_caller(info)
    if back is not None:
        set_back(frame, back)
    if head is not None and is_standin(head.tb_frame) and _real_back(head.tb_frame) is not frame:
        set_back(head.tb_frame, frame)     # the callee's frame: this activation called it
    exc.__traceback__ = _TracebackType(head, frame, info.lasti_at(lr), line)


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
