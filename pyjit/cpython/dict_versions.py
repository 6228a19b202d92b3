"""Dict versions the caches compare, where CPython has none (3.14).

The global and module-attribute caches (cells.py) guard a dict by a
64-bit version that changes whenever the dict does.  CPython 3.11 to 3.13
keep one in the dict (`ma_version_tag`, layout.DICT_MA_VERSION_TAG).  3.14
removed it: its own caches guard the keys' `dk_version`, which only the
interpreter's specializer assigns (`_PyDictKeys_GetVersionForCurrentState`
is not exported) and which stays 0 for a dict no specialized instruction
read, so a guard on it could miss forever.  pyjit watches such dicts
instead (`PyDict_AddWatcher`, `PyDict_Watch`, the public API): every
watched dict has a word of its own here, and the watcher adds one to it
before any change of the dict (an added, replaced or deleted key, a
clear, a clone into it) and when it dies.

    base = version_base(d)    # the address the version is at + VERSION,
                              # constant while d lives
    version(base)             # the version now

On 3.11 to 3.13 the base is the dict itself and VERSION its
`ma_version_tag`: the cells hold the same words as before and compiled
code does the same loads.  On 3.14 the base is the watched word and
VERSION 0.  A word is never freed (a cell may hold its address after its
dict is gone: the death made it change, so such a cell never matches) and
starts at 1, so a zeroed cell matches no dict.  A word belongs to one dict:
a dict allocated where a dead one was gets a new word.

The watcher's callback is Python called from C (ctypes): a store into a
watched dict costs a call of it, under the GIL the store holds.  Module
globals change rarely after import, which is what caches assume anyway.
At exit the watcher is cleared before the interpreter clears modules, and
every word changes one last time; `watching()` is then False and the
cells stop filling.
"""

from __future__ import annotations

from builtins import RuntimeError, dict, id, range
import atexit
import ctypes

from . import layout

WATCHED = layout.DICT_MA_VERSION_TAG is None
VERSION = 0 if WATCHED else layout.DICT_MA_VERSION_TAG    # the version's offset from its base

_CHUNK = 512                                  # words allocated at once (never moved)
_chunks: list = []
_free: list[int] = []                         # addresses of words not yet given out
_word_of: dict[int, ctypes.c_uint64] = {}     # id(watched dict) -> its word
_watcher = -1

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                             ctypes.c_void_p)
_DEALLOCATED = 5                              # PyDict_WatchEvent's PyDict_EVENT_DEALLOCATED


def _changed(event: int, d: int, key: int, value: int, words=_word_of) -> int:
    """The watcher: the dict at d is about to change (or die).  Allocates
    no container (the words are made when the dict is first watched)."""
    word = words.get(d)
    if word is not None:
        word.value += 1
        if event == _DEALLOCATED:
            del words[d]
    return 0


_callback = _CALLBACK(_changed)


def _word() -> int:
    if not _free:
        chunk = (ctypes.c_uint64 * _CHUNK)(*([1] * _CHUNK))
        _chunks.append(chunk)
        base = ctypes.addressof(chunk)
        _free.extend(base + 8 * i for i in range(_CHUNK - 1, -1, -1))
    return _free.pop()


def watching() -> bool:
    """Whether versions still change with their dicts (False after exit
    began, on 3.14)."""
    return not WATCHED or _watcher >= 0 or not _chunks


def version_base(d: dict) -> int:
    """The address d's version is at, minus VERSION (d an exact dict)."""
    if not WATCHED:
        return id(d)
    word = _word_of.get(id(d))
    if word is None:
        global _watcher
        if _watcher < 0:
            if _chunks:                       # cleared at exit: a word that never changes
                return _word()
            _watcher = ctypes.pythonapi.PyDict_AddWatcher(_callback)
            if _watcher < 0:
                raise RuntimeError("no dict watcher left for pyjit's caches")
            atexit.register(_unwatch)
        word = ctypes.c_uint64.from_address(_word())
        if ctypes.pythonapi.PyDict_Watch(_watcher, ctypes.py_object(d)) < 0:
            raise RuntimeError("PyDict_Watch failed")
        _word_of[id(d)] = word
    return ctypes.addressof(word)


def version(base: int) -> int:
    """The version at base (version_base's)."""
    return ctypes.c_uint64.from_address(base + VERSION).value


def _unwatch() -> None:
    """At exit: no more callbacks (the modules' dicts are about to be
    cleared), and no cell matches again."""
    global _watcher
    if _watcher >= 0:
        ctypes.pythonapi.PyDict_ClearWatcher(_watcher)
        _watcher = -1
    for word in _word_of.values():
        word.value += 1
    _word_of.clear()


__all__ = ["VERSION", "WATCHED", "version", "version_base", "watching"]
