"""Finding the functions whose code a process-wide mode did not count ahead.

    watch = unseen_code.Watch(found)      # found(func, code) -> keep watching code?
    watch.start()                         # None, or why it cannot watch
    ...
    watch.stop()

autojit counts, before they run, the code of every function alive when the
mode starts and of every module imported while it is on (nested code
included).  Code compiled at run time from strings (`exec`, `eval`,
`compile`: namedtuple's `__new__`, the methods dataclasses write, ...)
reaches neither, and neither does code a program builds itself
(`types.FunctionType(code, ...)` of unmarshalled code).  This module finds
the functions of such code and hands each to `found`, which gives it a
counted copy of its code (autojit.py).

- CPython 3.12 and later: `sys.monitoring`'s PY_START event, under a tool
  id of its own (OPTIMIZER_ID, or the next free one).  The interpreter calls
  back when a frame starts, once per code object: the callback answers
  DISABLE for code it has nothing more to do with (code counted already,
  module and class bodies, code not selected), which takes the event out of
  that code (its RESUME is uninstrumented again), so a code costs one
  callback in the process's life.  Code from a string stays watched: its
  next function to start (made by interpreted code, from the original) is
  found in turn.  The callback runs at the started frame's RESUME, where the
  interpreter checks for signals anyway: it serves nothing the interpreter
  would not.  The call that started still runs in the interpreter; the
  mode counts it as the code's first call.
- CPython 3.11 has no such event.  At the start of every collection of
  generation 1 or 2 (one in ten or fewer of the collections), the functions
  among the objects of generations 0 and 1, those the collection is about to
  move to an older generation, whose code is not known are noted (weak
  references) and handed over from the same callback, before the collection
  starts, unless the mode is busy on that thread (then at the next such
  collection).  A function is found
  once it has lived through a collection of generation 0: the short-lived
  ones are missed (they run in the interpreter), methods and other functions
  kept by a class or a module are found at the latest by the second
  collection of generation 1 after they were made.
"""

from __future__ import annotations

import gc
import sys
import types
import weakref
from typing import Callable

from .cpython import frames

_FunctionType = types.FunctionType


class Watch:
    """Watches for functions of code the mode has not counted (module
    docstring); `found(func, code)` says whether later frames or functions
    of that code should be reported too, or None: not now (the mode is
    busy on this thread), ask again later."""

    def __init__(self, found: Callable[[object, types.CodeType], bool]) -> None:
        self.found = found
        self._impl = _Monitoring(found) if hasattr(sys, "monitoring") else _Collector(found)

    def start(self) -> str | None:
        """Start watching; None, or a sentence saying why it cannot."""
        return self._impl.start()

    def stop(self) -> None:
        self._impl.stop()


class _Monitoring:
    """PY_START under a tool id of pyjit's own (3.12+)."""

    def __init__(self, found) -> None:
        self.found = found
        self.tool: int | None = None

    def start(self) -> str | None:
        mon = sys.monitoring
        for tool in (mon.OPTIMIZER_ID, 4, 3):
            try:
                mon.use_tool_id(tool, "pyjit")
            except ValueError:
                continue
            self.tool = tool
            break
        else:
            return ("every sys.monitoring tool id pyjit could use (5, 4, 3) is taken: "
                    "functions made from code compiled at run time stay in the interpreter")
        mon.register_callback(self.tool, mon.events.PY_START, self._started)
        mon.set_events(self.tool, mon.events.PY_START)
        return None

    def _started(self, code, offset, _function=frames.started_function):
        # (called by the interpreter, with no event of its own inside)
        try:
            keep = self.found(_function(), code)
        except Exception:        # noqa: BLE001 - never the program's exception
            keep = False
        return sys.monitoring.DISABLE if keep is False else None

    def stop(self) -> None:
        if self.tool is None:
            return
        mon = sys.monitoring
        mon.set_events(self.tool, 0)
        mon.register_callback(self.tool, mon.events.PY_START, None)
        mon.free_tool_id(self.tool)
        self.tool = None


class _Collector:
    """Functions among the young objects at older collections (3.11)."""

    def __init__(self, found) -> None:
        self.found = found
        self.pending: list = []          # weak references to functions not handed over yet
        self.seen: dict[int, object] = {}   # id(code) -> weak reference: nothing more to do
        self._on = False

    def start(self) -> str | None:
        self._on = True
        gc.callbacks.append(self._collecting)
        return None

    def _collecting(self, phase, info, _get_objects=gc.get_objects, _type=type,
                    _ref=weakref.ref, _function=_FunctionType):
        if phase != "start" or info["generation"] < 1 or not self._on:
            return
        seen, pending = self.seen, self.pending
        for generation in (0, 1):
            objects = _get_objects(generation)
            if _function not in map(_type, objects):    # (the usual case, in C)
                continue
            for obj in objects:
                if _type(obj) is _function:
                    known = seen.get(id(obj.__code__))
                    if known is None or known() is not obj.__code__:
                        pending.append(_ref(obj))
        if pending:
            self.hand_over()

    def hand_over(self) -> None:
        pending, self.pending = self.pending, []
        for at, ref in enumerate(pending):
            func = ref()
            if func is None:
                continue
            code = func.__code__
            known = self.seen.get(id(code))
            if known is not None and known() is code:
                continue
            try:
                keep = self.found(func, code)
            except Exception:    # noqa: BLE001 - never the program's exception
                keep = False
            if keep is None:                 # busy: the rest at a later collection
                self.pending.extend(pending[at:])
                return
            if not keep:
                try:
                    self.seen[id(code)] = weakref.ref(code, _forget(self.seen, id(code)))
                except TypeError:
                    pass

    def stop(self) -> None:
        self._on = False
        try:
            gc.callbacks.remove(self._collecting)
        except ValueError:
            pass
        self.pending = []
        self.seen.clear()


def _forget(seen: dict, key: int):
    def forget(ref) -> None:
        if seen.get(key) is ref:
            del seen[key]
    return forget
