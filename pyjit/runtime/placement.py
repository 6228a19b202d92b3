"""Where an engine will load compiled code, known before any engine exists.

Both engines load code into an arena of CODE_ARENA_SIZE bytes (their
default), and load the shared routines (pyjit/cpython/routines.py) into the
same arena before any compiled function: so a `bl` from compiled code
reaches every routine.  `planned_placement()` says exactly that, for
compiling without an engine (`pyjit size`, `pyjit dump`): the `near`
strategy then decides as it does for a Unicorn engine's real placement,
whose helpers are trap stubs far out of reach.
"""

from __future__ import annotations

from ..aarch64.calls import CodePlacement
from ..cpython.routines import ROUTINES

CODE_ARENA_SIZE = 64 << 20


def planned_placement() -> CodePlacement:
    """The placement of code an engine with the default arena will load."""
    return CodePlacement.planned(CODE_ARENA_SIZE, ROUTINES)
