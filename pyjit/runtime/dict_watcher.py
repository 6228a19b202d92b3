"""The dict watcher that keeps 3.14's dict versions (cpython/dict_versions.py).

    install()      # once, before any cache fills; nothing before 3.14

CPython calls a dict watcher as `int cb(PyDict_WatchEvent event, PyObject
*dict, PyObject *key, PyObject *new_value)` before each change of a
watched dict, in the middle of the dict operation and possibly with an
exception pending, so the callback is host machine code, a page of its
own, that touches nothing but two words:

    counter += INCREMENT
    dict->_ma_watcher_tag = (dict->_ma_watcher_tag & (INCREMENT - 1)) | counter
    return 0

(what DICT_NEXT_VERSION did for 3.13's ma_version_tag).  The page is
written, then made read-only and executable (on AArch64 Linux that change
makes the kernel synchronize the instruction cache for it), and is never
unmapped: CPython may call the watcher until the process ends, modules'
dicts included, after atexit.  x86-64 and AArch64 hosts; elsewhere no
watcher is installed and the global and module caches never fill (they
stay correct, as misses).
"""

from __future__ import annotations

import ctypes
import platform
import struct

from ..aarch64.asmtext import assemble
from ..cpython import dict_versions
from .hostmem import PAGE, PROT_EXEC, PROT_READ, PROT_WRITE, mmap_anonymous, mprotect

_installed = False
_counter = ctypes.c_uint64(0)          # the last version given out (kept alive here)


def _x86_64(counter: int, tag: int, increment: int) -> bytes:
    """The callback for x86-64 (System V: rsi = the dict)."""
    return (b"\x48\xb8" + struct.pack("<Q", counter)          # movabs rax, counter
            + b"\x48\x8b\x10"                                  # mov rdx, [rax]
            + b"\x48\x81\xc2" + struct.pack("<i", increment)   # add rdx, increment
            + b"\x48\x89\x10"                                  # mov [rax], rdx
            + b"\x48\x8b\x4e" + bytes([tag])                   # mov rcx, [rsi + tag]
            + b"\x81\xe1" + struct.pack("<I", increment - 1)   # and ecx, increment - 1
            + b"\x48\x09\xd1"                                  # or rcx, rdx
            + b"\x48\x89\x4e" + bytes([tag])                   # mov [rsi + tag], rcx
            + b"\x31\xc0"                                      # xor eax, eax
            + b"\xc3")                                         # ret


def _aarch64(counter: int, tag: int, increment: int) -> bytes:
    """The callback for AArch64 (x1 = the dict)."""
    return assemble(aarch64_source(counter, tag, increment), "pyjit:dict_watcher").code.data


def aarch64_source(counter: int, tag: int, increment: int) -> str:
    """The AArch64 callback's assembly text."""
    return f"""\
    ldr x9, counter
    ldr x10, [x9]
    add x10, x10, #{increment}
    str x10, [x9]
    ldr x11, [x1, #{tag}]
    and x11, x11, #{increment - 1}
    orr x11, x11, x10
    str x11, [x1, #{tag}]
    mov w0, #0
    ret
counter:
    .quad {counter:#x}
"""


_CODE = {"x86_64": _x86_64, "AMD64": _x86_64, "aarch64": _aarch64, "arm64": _aarch64}


def install() -> None:
    """Install the watcher and hand it to dict_versions (3.14 on x86-64 or
    AArch64; idempotent)."""
    global _installed
    if _installed or not dict_versions.WATCHED:
        return
    _installed = True
    make = _CODE.get(platform.machine())
    if make is None:
        return
    assert 0 < dict_versions.VERSION < 128 and dict_versions.INCREMENT < 1 << 31
    code = make(ctypes.addressof(_counter), dict_versions.VERSION, dict_versions.INCREMENT)
    page = mmap_anonymous(PAGE, PROT_READ | PROT_WRITE)
    ctypes.memmove(page, code, len(code))
    mprotect(page, PAGE, PROT_READ | PROT_EXEC)
    add_watcher = ctypes.pythonapi.PyDict_AddWatcher
    add_watcher.argtypes = (ctypes.c_void_p,)
    watcher = add_watcher(page)
    if watcher < 0:
        ctypes.pythonapi.PyErr_Clear()
        return
    dict_versions.use_watcher(watcher, _counter)
