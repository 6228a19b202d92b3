"""`sys._getframe(n)` and `sys._getframemodulename(n)` counting compiled
activations that have no interpreter frame.

A compiled function called by another compiled function runs without a
frame of its own (pyjit/runtime/activations.py), so the interpreter's
`sys._getframe(n)` counts one frame fewer for each such activation between
the caller and frame n: `doctest.DocTestSuite()` and `typing`'s
`_caller(depth)` then look at the wrong module.  When compiled code is
first loaded, `install` replaces the two functions in `sys` with ones that
count them: frame n is an interpreter frame as before, or, for such an
activation, a frame object standing for it as a traceback entry's does
(pyjit/cpython/tracebacks.py: the function's code name, file and globals,
no locals), at the line of the call it is making when that is known (its
call to the next such activation, or the call it left machine code by)
and at its first line otherwise; its
`f_back` is the frame the interpreter would show below it.  pyjit's own
frames are not counted either (the autojit hook's, which a function's
first call runs through, and Python helpers').  Counting makes a frame
object for every frame up to n (the interpreter's makes one for frame n).

`frame.f_back` is replaced too, in the frame type's dict (`back`): the
`f_back` of a running interpreter frame called from such an activation is
the activation's stand-in, as getframe would give it, so walks that start
from a frame (`inspect.stack()`, `traceback.extract_stack()`, logging's
caller) see what the interpreter's would.  The field itself is left alone:
it belongs to the interpreter while the frame runs, and a value set there
would be dropped unreleased when the frame ends.  C code reading frames
(`PyFrame_GetBack`: `warnings`' stack levels) still sees the interpreter's.
A stand-in is made at each read (`f.f_back is f.f_back` is False there).

`frame.f_lineno` is replaced too (`lineno`): a trampoline frame whose
function runs compiled code is at the call that function is paused in (its
call to the first activation without a frame, or the call it left machine
code by), and the innermost activation's stand-in at the call it left
machine code by, when the engine can tell (`Engine.left_at`: the Unicorn
engine can, the native one cannot; then its first line).  Such a
trampoline frame's `f_lasti` is -1 (`lasti`), so that `inspect`, which
reads a line from the code's positions at f_lasti when it can, reads
f_lineno.
"""

from __future__ import annotations

from builtins import ValueError, id, len, list, range, sum, type
import ctypes
import operator
import sys
import types

from . import install as _install
from .cpython import layout, type_attrs
from .cpython.frames import function_address, real_back
from .cpython.own_files import is_own_file
from .cpython.tracebacks import CodeInfo, is_standin, set_back
from .runtime import activations

_getframe = sys._getframe
_getframemodulename = getattr(sys, "_getframemodulename", None)
_Pointer = ctypes.c_void_p
_index = operator.index
_is_own_file = is_own_file
_is_counted = _install.is_counted_code
_real_back = real_back
_entered = activations.entered
_is_standin = is_standin
# address -> (the compiled function there, its CodeInfo or None), or None
# when no compiled function lives there (set by install)
_function_at = None


def _frame_address(frame) -> int:
    """The interpreter frame a frame object stands for."""
    return _Pointer.from_address(id(frame) + layout.FRAME_F_FRAME).value or 0


def _entries(first, depth: int) -> tuple[list, list]:
    """From first (an interpreter frame object) outward, the frames as the
    interpreter would list them: frame objects, and an _Activation for
    each activation without a frame; to index depth at least, and past it
    to the last such activation.  Also, for each entry, its depth among
    the interpreter's frames (-1 for an _Activation).  pyjit's own frames
    are not listed (the autojit hook's on a function's first call, with
    the frame of the counting code that called it, and Python helpers'),
    but first is, whatever it is."""
    groups = activations.above_frames()
    out: list = []
    depths: list = []
    frame, real, skipped = first, 0, False
    while frame is not None and (len(out) <= depth or groups):
        code = frame.f_code
        if real and (_is_own_file(code.co_filename) or skipped and _is_counted(code)):
            skipped = True
        else:
            skipped = False
            if groups:
                address = _frame_address(frame)
                k = 0
                while k < len(groups):
                    if groups[k][0] == address:
                        activations_of = _activation_entries(groups.pop(k)[1], address)
                        out.extend(activations_of)
                        depths.extend([-1] * len(activations_of))
                    else:
                        k += 1
            out.append(frame)
            depths.append(real)
        frame = _real_back(frame)
        real += 1
    return out, depths


class _Activation:
    """An activation without a frame: its function, CodeInfo and line."""

    __slots__ = ("func", "info", "line")

    def __init__(self, func, info: CodeInfo, line: int):
        self.func, self.info, self.line = func, info, line


def _activation_entries(records, frame: int) -> list:
    """An _Activation for each record of the entry under frame (an
    interpreter frame's address), innermost first: an activation is at the
    call it makes to the next inner one, the innermost at the call it left
    machine code by (`_line_left`).  A callee that is no compiled function
    now (uncompiled, or dead, while its code runs: the address is not read
    then) is left out."""
    out = []
    inner_return = 0
    for callee, back in records:
        found = _function_at(callee) if _function_at is not None else None
        if found is not None:
            func, info = found
            if info is None:
                info = CodeInfo(_install.original_code(func), func.__globals__)
            if inner_return:
                line = info.line_at(inner_return)
            else:
                line = _line_left(info, frame) if not out else None
            out.append(_Activation(func, info,
                                   line if line is not None else info.code.co_firstlineno))
        inner_return = back
    return out


def _line_left(info: CodeInfo, frame: int) -> int | None:
    """The line of the call by which the compiled code of info, the
    innermost of the entry under frame, left machine code (it is paused in
    that call), when the engine can tell."""
    left = activations.left_at(frame)
    if left is None:
        return None
    engine, address = left
    loaded = engine.code_at(address)
    if loaded is None or loaded.address != info.base:
        return None
    return info.line_at(address)


def _materialize(entries: list, index: int):
    """The frame object for entries[index], stand-ins made for the
    activations from there on, each one's f_back the next entry's."""
    following = None
    for k in range(len(entries) - 1, index - 1, -1):
        entry = entries[k]
        if type(entry) is _Activation:
            frame = entry.info.new_frame(entry.line)
            if following is not None:
                set_back(frame, following)
            entries[k] = frame
        following = entries[k]
    return entries[index]


def getframe(depth=0, /):
    """sys._getframe: the frame object depth calls below the caller's
    (module docstring)."""
    depth = _index(depth)
    if depth <= 0:
        return _getframe(1)
    entries, _ = _entries(_getframe(1), depth)
    if depth >= len(entries):
        raise ValueError("call stack is not deep enough")
    return _materialize(entries, depth)


def getframemodulename(depth=0, /):
    """sys._getframemodulename: the module of the function depth calls
    below the caller's, or None."""
    depth = _index(depth)
    if depth <= 0:
        return _getframemodulename(1)
    entries, depths = _entries(_getframe(1), depth)
    if depth >= len(entries):
        return None
    entry = entries[depth]
    if type(entry) is _Activation:
        return entry.func.__module__
    return _getframemodulename(depths[depth] + 1)


def back(frame):
    """frame.f_back as the interpreter would show it: for a running frame
    called from a compiled activation without a frame, that activation's
    stand-in (its f_back the next one's, the last one's the interpreter's
    frame they run above); pyjit's own frames skipped, as getframe skips
    them.  A frame that has finished, or a stand-in, has its f_back set
    (the interpreter's, or pyjit's) and keeps it."""
    below = _real_back(frame)
    if below is None or not _entered() or \
            _Pointer.from_address(id(frame) + layout.FRAME_F_BACK).value:
        return below
    skipped = False
    while below is not None:
        code = below.f_code
        if not (_is_own_file(code.co_filename) or skipped and _is_counted(code)):
            break
        skipped = True
        below = _real_back(below)
    if below is None:
        return None
    groups = activations.above_frames()
    if not groups:
        return below
    address = _frame_address(below)
    for group_frame, records in groups:
        if group_frame == address:
            entries = _activation_entries(records, address)
            if entries:
                entries.append(below)
                return _materialize(entries, 0)
    return below


_BACK = type_attrs.ReadOnlyView(back, "f_back", "frame")


def lineno(frame):
    """frame.f_lineno as the interpreter would show it: for the trampoline
    frame of a compiled function that is running, the line of the call it
    is paused in (the call to its first activation without a frame, else
    the call by which it left machine code, when the engine can tell);
    otherwise the interpreter's, whose trampoline frames are all on the
    function's first line."""
    if _entered():
        address = _frame_address(frame)
        if address:
            line = _running_line(address)
            if line is not None:
                return line
    return _own_lineno(frame)


def _running_line(frame: int) -> int | None:
    """The line of the compiled function running under frame (an
    interpreter frame's address) if it is one, else None."""
    found = _function_at(_function_address(frame)) if _function_at is not None else None
    if found is None:
        return None
    func, info = found
    if info is None:
        return None
    for group_frame, records in activations.above_frames():
        if group_frame == frame:
            return info.line_at(records[-1][1])     # its call to the first of them
    return _line_left(info, frame)


def lasti(frame):
    """frame.f_lasti as the interpreter's, except for the trampoline frame
    of a compiled function running at a known line: -1, as a frame that
    has run no instruction (the trampoline's own instruction says nothing
    of where the function is).  What reads positions from f_lasti then
    takes the line from f_lineno instead (`inspect.getframeinfo`).  A
    stand-in's is -1 too: its code has the function's positions (for its
    traceback entries' tb_lasti), not where this frame is."""
    if _is_standin(frame):
        return -1
    if _entered():
        address = _frame_address(frame)
        if address and _running_line(address) is not None:
            return -1
    return _own_lasti(frame)


_own_lasti = types.FrameType.__dict__["f_lasti"].__get__
_LASTI = type_attrs.ReadOnlyView(lasti, "f_lasti", "frame")
_OWN_LINENO = types.FrameType.__dict__["f_lineno"]
_own_lineno = _OWN_LINENO.__get__
_function_address = function_address
_LINENO = type_attrs.ReadingView(lineno, _OWN_LINENO)


def install(function_at) -> None:
    """Put getframe (and getframemodulename where the interpreter has it)
    in sys; function_at(address) gives (the compiled function whose object
    is at address, its CodeInfo or None), or None when no live compiled
    function is there."""
    global _function_at
    _function_at = function_at
    if sys._getframe is _getframe:
        sys._getframe = getframe
    if _getframemodulename is not None and sys._getframemodulename is _getframemodulename:
        sys._getframemodulename = getframemodulename
    type_attrs.replace(types.FrameType, "f_back", _BACK)
    type_attrs.replace(types.FrameType, "f_lineno", _LINENO)
    type_attrs.replace(types.FrameType, "f_lasti", _LASTI)
