"""The dict versions the global and module-attribute caches compare.

A cache (cells.py) guards a dict by a 64-bit word that takes a new,
process-unique value whenever the dict changes, and never a value another
dict had: equal versions mean the same dict in the same state.  The word is
at `VERSION` in the dict object:

- 3.11 to 3.13: `ma_version_tag`, which CPython keeps so
  (DICT_NEXT_VERSION; 3.12 and 3.13 keep watcher bits in its low 8 bits,
  and still give it a new version at every change).
- 3.14 has none.  Its own caches guard the keys' `dk_version`, which only
  its specializer assigns (`_PyDictKeys_GetVersionForCurrentState` is not
  exported: a dict no specialized instruction read keeps version 0, and a
  guard on it would miss forever) and which a value store leaves alone.
  pyjit watches the dicts it caches instead (`PyDict_AddWatcher`,
  `PyDict_Watch`) and keeps 3.13's rule in the dict's `_ma_watcher_tag`:
  its low 12 bits are CPython's (watcher bits 0-7, the optimizer's count of
  watched mutations 8-11), the bits above are unused in a build with the
  GIL (a free-threaded build keeps a unique id there, and is refused).
  The watcher, called by the interpreter before every change of a watched
  dict (an added, replaced or deleted key, a clear, a clone into it) and
  when it dies, writes the next value of a process-wide counter there,
  as DICT_NEXT_VERSION did.  It must be native code: CPython calls it in
  the middle of a dict operation, also with an exception pending, which a
  Python callback (ctypes) would replace with a SystemError and lose.
  pyjit/runtime/dict_watcher.py makes it (a few host instructions) and
  hands it here with `use_watcher`; until then (no engine yet) no dict is
  watched and no cache fills.

    watch(d)      # True when d's version follows its changes (3.14: watched now)
    version(d)    # the version now

A cell's version words start at `NEVER`, a value no dict has (0 before
3.14; on 3.14 an unwatched dict's tag is 0, so all ones).
"""

from __future__ import annotations

from builtins import id
import ctypes

from . import layout

WATCHED = layout.DICT_MA_VERSION_TAG is None
VERSION = layout.DICT_WATCHER_TAG if WATCHED else layout.DICT_MA_VERSION_TAG
NEVER = (1 << 64) - 1 if WATCHED else 0
# The tag's bits below the version (3.14): watcher bits and the optimizer's
# watched-mutation count (DICT_MAX_WATCHERS + DICT_WATCHED_MUTATION_BITS).
CPYTHON_BITS = 12
INCREMENT = 1 << CPYTHON_BITS

_watcher = -1                  # the watcher's id (use_watcher), -1: none yet
_counter: ctypes.c_uint64 | None = None
_watch = ctypes.pythonapi.PyDict_Watch if WATCHED else None
if _watch is not None:
    _watch.argtypes = (ctypes.c_int, ctypes.py_object)


def use_watcher(watcher: int, counter: ctypes.c_uint64) -> None:
    """The watcher (an id from PyDict_AddWatcher) writes counter's next
    value (counter += INCREMENT) into the tag of each watched dict that
    changes; watch() does the same when it starts watching one."""
    global _watcher, _counter
    _watcher, _counter = watcher, counter


def watch(d) -> bool:
    """Whether d's version changes with d from now on (3.14: d is watched,
    with a version of its own; False while there is no watcher).  d: a
    dict."""
    if not WATCHED:
        return True
    if _watcher < 0:
        return False
    tag = ctypes.c_uint64.from_address(id(d) + VERSION)
    if not tag.value >> _watcher & 1:
        if _watch(_watcher, d) < 0:
            return False
        _counter.value += INCREMENT
        tag.value = tag.value & INCREMENT - 1 | _counter.value
    return True


def version(d) -> int:
    """d's version now (its word at VERSION)."""
    return ctypes.c_uint64.from_address(id(d) + VERSION).value


__all__ = ["INCREMENT", "NEVER", "VERSION", "WATCHED", "use_watcher", "version", "watch"]
