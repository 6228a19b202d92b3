"""pyjit.runtime: load and run compiled code against the running CPython.

Only this package knows Unicorn, capstone's use for faults and counts, and
the engines' ctypes plumbing; what it knows of CPython itself comes from
pyjit.cpython.

- `Engine` (engine.py): what every engine shares (loading, symbols, the
  call path, lifetime);
- `UnicornEngine` (unicorn_engine.py): emulated execution, with
  `EmulationFault` (faults.py) for everything that goes wrong in emulated
  code; `NativeEngine` (native_engine.py) on AArch64 Linux;
- `entries`: which compiled function runs where (call cells), the engines'
  stack limits and int pools; `routines`: the shared routines per engine;
- `stacks`: the engine stacks both engines run compiled code on;
  `interrupts`: asynchronous exceptions on the engines' own code paths;
- `uc_api` (libunicorn called with the GIL held), `unicorn_context` (the
  per-thread emulation contexts), `hostmem`, `identity`, `traps`,
  `host_stack`, `counts`: the Unicorn engine's parts.

Importing the package imports no engine: the names below are loaded on
first use, so that code which only compiles never loads Unicorn.
"""

from __future__ import annotations

import importlib

_LAZY = {"Engine": ".engine", "UnicornEngine": ".unicorn_engine", "NativeEngine": ".native_engine",
         "EmulationFault": ".faults", "Counts": ".counts", "LoadedCode": ".loaded"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pyjit.runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


__all__ = sorted(_LAZY)
