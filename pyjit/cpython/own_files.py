"""What is pyjit's own code, for the parts that must tell it from a
program's: the counting modes leave it alone (autojit.py), the share
measurement does not count its calls (bench/share.py), a traceback's
entry frame skips its frames to find the program's caller
(cpython/tracebacks.py), and a helper's traceback drops them
(runtime/helper_binding.py).  In the bottom layer: every layer asks.

- `is_own_file(filename)`: a code object's `co_filename` is a file of
  the pyjit package, or the name pyjit gives the code it generates
  (helper bindings: "<helper ...>", trampolines and entries: "<pyjit ...>").
- `is_own_module(name)`: a module name is pyjit's or one of its
  submodules' (what `__name__` reads in code exec'd with pyjit's globals,
  such as its dataclasses' generated methods).
"""

from __future__ import annotations

import os

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
GENERATED_PREFIXES = ("<helper ", "<pyjit ")
OWN_FILE_PREFIXES = (PACKAGE_DIR,) + GENERATED_PREFIXES


def is_own_file(filename: str) -> bool:
    return filename.startswith(OWN_FILE_PREFIXES)


def is_own_module(name) -> bool:
    return type(name) is str and (name == "pyjit" or name.startswith("pyjit."))
