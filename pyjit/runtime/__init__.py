"""pyjit.runtime: load and run compiled code against the running CPython.

Only this package knows Unicorn and ctypes.

- `layout`: the object layout table of the running CPython version.
- `hostmem`: the host's memory map, mmap/reservations.
- `helpers`: helper declarations (`HELPERS`, `declare`, `Helper`).
- `errstate`: the pending exception of emulated code.
- `Engine` (engine.py): what every engine shares (loading, symbols, the
  call path, lifetime); `NativeEngine` (native_engine.py) runs code on an
  AArch64 CPU.
- `UnicornEngine` (unicorn_engine.py): emulated execution, with
  `EmulationFault` for everything that goes wrong in emulated code.
"""

from . import errstate, layout
from .counts import Counts
from .engine import Engine
from .faults import EmulationFault
from .helpers import HELPERS, NULL, Helper, declare
from . import helper_impls, helper_ops  # noqa: F401  (declare the helpers)
from .loaded import LoadedCode
from .unicorn_engine import UnicornEngine

__all__ = ["layout", "errstate", "Counts", "Engine", "EmulationFault", "HELPERS", "NULL",
           "Helper", "declare", "LoadedCode", "UnicornEngine"]
