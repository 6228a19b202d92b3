"""A time bound for emulation that costs a clock read per call.

Unicorn's own `timeout` argument starts (and joins) a thread for every
`emu_start` (about 140 us measured here) and is not nesting-safe: a nested
`emu_start` resets the shared timeout state.  Instead, one daemon thread per
engine polls the engine's deadline and stops the emulation past it.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import max, min
import threading
import weakref


class Watchdog:
    """A daemon thread calling engine._check_deadline() every `interval`
    seconds (timeout / 4, at most 50 ms).

    It polls instead of being signalled per call, so that a call costs only
    a clock read.  It holds a weak reference: a forgotten engine is still
    collected, and the thread then ends."""

    def __init__(self, engine):
        self._engine = weakref.ref(engine)
        self._stopped = threading.Event()
        timeout = engine.timeout or 1.0
        self.interval = min(0.05, max(0.001, timeout / 4))
        self._thread = threading.Thread(target=self._run, name="pyjit-unicorn-watchdog",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            engine = self._engine()
            if engine is None:
                return
            engine._check_deadline()
            del engine

    def stop(self) -> None:
        self._stopped.set()
