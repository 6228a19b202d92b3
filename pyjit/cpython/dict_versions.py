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
    counter()     # the address of CPython's own version counter, or 0

A routine that changes a dict as CPython does (a store into an instance's
dict) takes CPython's next version itself: `STORE_INCREMENT` added to the
counter CPython keeps (3.11: `_pydict_global_version`; 3.12, 3.13: the main
interpreter's `dict_state.global_version`), the tag's bits below the
increment kept (3.13's watched-mutation count; 3.12's watcher bits, zero
in a dict the routine changes), unless the dict is watched
(`WATCHER_MASK`: CPython calls the watchers first).  Neither counter is
exported; `counter()` finds it in the writable memory of the file that
holds `_PyRuntime` (its data and the zero-filled part after it), as the
one word there that equals a fresh dict's version through several
changes, and confirms it with one more.  3.14 has no counter (0).

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


# CPython's own version step, and the tag's watcher bits (3.11: none).
STORE_INCREMENT = {(3, 11): 1, (3, 12): 1 << 8, (3, 13): 1 << 12}.get(layout.VERSION, 0)
WATCHER_MASK = 0 if layout.VERSION == (3, 11) else (1 << 8) - 1

_ROUNDS = 3
_found: list[int] = []


def counter() -> int:
    """The address of CPython's dict version counter (found once), or 0
    when there is none (3.14) or it cannot be found."""
    if not _found:
        _found.append(_search() if STORE_INCREMENT else 0)
    return _found[0]


def _search() -> int:
    regions = _runtime_regions()
    for _attempt in range(3):           # (a dict changed by other code meanwhile: again)
        d: dict = {}
        candidates: set[int] | None = None
        for k in range(_ROUNDS):
            d[k] = k                      # a new version
            now = _matches(regions, version(d) & ~(STORE_INCREMENT - 1))
            candidates = now if candidates is None else candidates & now
        if candidates is not None and len(candidates) == 1:
            address = candidates.pop()
            d[_ROUNDS] = 0
            if ctypes.c_uint64.from_address(address).value == \
                    version(d) & ~(STORE_INCREMENT - 1):
                return address
    return 0


def _matches(regions: list[tuple[int, int]], value: int) -> set[int]:
    """The 8-byte aligned words in regions equal to value."""
    pattern = value.to_bytes(8, "little")
    out = set()
    for lo, hi in regions:
        data = ctypes.string_at(lo, hi - lo)
        at = data.find(pattern)
        while at >= 0:
            if (lo + at) % 8 == 0:
                out.add(lo + at)
            at = data.find(pattern, at + 1)
    return out


def _runtime_regions() -> list[tuple[int, int]]:
    """The writable mappings of the file holding _PyRuntime, each with the
    anonymous writable mapping right after it (its zero-filled data)."""
    try:
        runtime = ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))
        with open("/proc/self/maps") as f:
            lines = f.read().splitlines()
    except (OSError, ValueError):
        return []
    maps = []
    for line in lines:
        fields = line.split(maxsplit=5)
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        maps.append((lo, hi, fields[1], fields[5] if len(fields) > 5 else ""))
    path = next((p for lo, hi, _, p in maps if lo <= runtime < hi), "")
    if not path:
        return []
    out = []
    for k, (lo, hi, perms, p) in enumerate(maps):
        if p == path and perms.startswith("rw"):
            out.append((lo, hi))
            if k + 1 < len(maps):
                nlo, nhi, nperms, np = maps[k + 1]
                if nlo == hi and not np and nperms.startswith("rw"):
                    out.append((nlo, nhi))
    return out


def version(d) -> int:
    """d's version now (its word at VERSION)."""
    return ctypes.c_uint64.from_address(id(d) + VERSION).value


__all__ = ["INCREMENT", "NEVER", "STORE_INCREMENT", "VERSION", "WATCHED", "WATCHER_MASK",
           "counter", "use_watcher", "version", "watch"]
