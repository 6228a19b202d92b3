"""`gi_yieldfrom`, `cr_await` and `ag_await` of compiled generators,
coroutines and async generators, as the interpreter gives them.

The generator object the program holds is a trampoline's (pyjit/install.py)
suspended in its own `yield from`/`await` of the body's driver
(cpython/genbody.py) whenever the body is suspended, so the interpreter's
attributes name the driver at every suspension.  When compiled code is
first loaded, `install` puts a view of each in the three types' own dicts
(cpython/type_attrs.py): for a driver, what the body's own `yield
from`/`await` delegates to where it is suspended (`GeneratorBody.delegate`:
None at a plain yield), and anything else as the interpreter gives it.
"""

from __future__ import annotations

from builtins import type
import types

from .cpython import type_attrs
from .cpython.genbody import AsyncGeneratorBody, GeneratorBody

_DRIVERS = (GeneratorBody, AsyncGeneratorBody)


def _view(cls: type, name: str, owner_name: str) -> type_attrs.ReadOnlyView:
    real = cls.__dict__[name].__get__

    def get(obj):
        value = real(obj)
        if type(value) in _DRIVERS:
            return value.delegate()
        return value

    return type_attrs.ReadOnlyView(get, name, owner_name)


_VIEWS = [(cls, name, _view(cls, name, owner))
          for cls, name, owner in ((types.GeneratorType, "gi_yieldfrom", "generator"),
                                   (types.CoroutineType, "cr_await", "coroutine"),
                                   (types.AsyncGeneratorType, "ag_await", "async_generator"))]


def install() -> None:
    for cls, name, view in _VIEWS:
        type_attrs.replace(cls, name, view)
