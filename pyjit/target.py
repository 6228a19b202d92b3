"""Resolving a TARGET of the `pyjit` command into Python functions.

    resolve_target("sqrt:200")                      # a canonical shape
    resolve_target("loop")
    resolve_target("path/to/file.py:Class.method")  # a file, then a qualname
    resolve_target("json.decoder:JSONDecoder.decode")   # an importable module
    resolve_target("json.decoder:*")                # every function defined there

A target is a shape (pyjit/shapes.py) when the part before the first `:` is
a shape's name; otherwise it is `MODULE:QUALNAME`, split at the last `:`.
MODULE is a file when it ends in `.py`, contains a path separator or names an
existing file, and an importable module otherwise, imported with the current
directory first on `sys.path` (as `python -m` and `python -c` have it, which
the installed `pyjit` script does not), so `mymod:f` finds `./mymod.py`.
QUALNAME is a dotted path from the module (`f`, `Class.method`,
`Outer.Inner.method`); static and class methods are taken as their
underlying functions.  `*` selects every function and method (static,
class, property accessors included) whose `__module__` is the module
itself, in definition order: functions it merely imports are left out.

A file is executed as a module named after its stem (`file.py` -> `file`),
with its directory first on `sys.path` while it runs, like `python file.py`
would, but under its own name rather than `__main__`, so an
`if __name__ == "__main__":` block does not run.

Anything wrong with a target raises `TargetError`, whose message says what
and how to fix it; the CLI prints it and exits with status 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types
from dataclasses import dataclass

from .callables import function_of


class TargetError(ValueError):
    """A TARGET that does not name Python functions."""


@dataclass(frozen=True)
class TargetFunction:
    """One function a target selected; `name` is `module:qualname`, the name
    the compiler and the dynamic counts use."""

    name: str
    func: types.FunctionType


TARGET_HELP = """\
TARGET is one of:
  SHAPE              a canonical shape: sqrt:200, sqrtpow:64, loop (pyjit shapes)
  FILE.py:QUALNAME   a function or method of a Python file: path/to/mod.py:Class.method
  MODULE:QUALNAME    of an importable module (the current directory first):
                     json.decoder:JSONDecoder.decode, mymod:f for ./mymod.py
  MODULE:*           every function and method the module or file defines
"""


def resolve_target(spec: str) -> list[TargetFunction]:
    """The functions `spec` names, in definition order; raises TargetError."""
    from .shapes import SHAPES, make_shape

    if not spec:
        raise TargetError("empty target; " + _EXPECTED)
    if spec.partition(":")[0] in SHAPES:
        try:
            func = make_shape(spec)
        except ValueError as exc:
            raise TargetError(f"bad shape {spec!r}: {exc}") from None
        return [_entry(func)]
    module_part, colon, qualname = spec.rpartition(":")
    if not colon or not module_part or not qualname:
        raise TargetError(f"{spec!r} is neither a shape (known: {', '.join(SHAPES)}) "
                          f"nor MODULE:QUALNAME; " + _EXPECTED)
    module = _load_module(module_part)
    if qualname == "*":
        found = module_functions(module)
        if not found:
            raise TargetError(f"{module_part!r} defines no Python functions")
        return [_entry(f) for f in found]
    return [_entry(_lookup(module, module_part, qualname))]


_EXPECTED = "expected a shape (sqrt:200, loop), FILE.py:QUALNAME, MODULE:QUALNAME or MODULE:*"


def _entry(func: types.FunctionType) -> TargetFunction:
    return TargetFunction(f"{func.__module__}:{func.__qualname__}", func)


# -- modules ------------------------------------------------------------------------

def _is_path(text: str) -> bool:
    separators = (os.sep, os.altsep) if os.altsep else (os.sep,)
    return text.endswith(".py") or any(s in text for s in separators) or os.path.isfile(text)


def _load_module(text: str) -> types.ModuleType:
    if _is_path(text):
        return load_file(text)
    cwd = os.getcwd()
    added = not any(os.path.abspath(p or ".") == cwd for p in sys.path)
    if added:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(text)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (text == exc.name or text.startswith(exc.name + ".")):
            raise TargetError(f"no module named {text!r} in the current directory or on "
                              f"sys.path (and no file {text!r}); give a file path ending in "
                              ".py or an importable module") from None
        raise TargetError(f"importing {text!r} failed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - whatever the module raises on import
        raise TargetError(f"importing {text!r} failed: {type(exc).__name__}: {exc}") from None
    except SystemExit as exc:
        raise TargetError(f"importing {text!r} failed: it called sys.exit({exc.code!r})") \
            from None
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)


def load_file(path: str) -> types.ModuleType:
    """Execute a Python file as a module named after its stem (see the module
    docstring); raises TargetError when it is missing or fails."""
    if not os.path.isfile(path):
        what = ("a directory, not a file" if os.path.isdir(path) else
                "not a regular file" if os.path.exists(path) else "no such file")
        raise TargetError(f"{path!r}: {what}")
    name = os.path.splitext(os.path.basename(path))[0] or "module"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TargetError(f"{path!r} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    directory = os.path.dirname(os.path.abspath(path))
    previous = sys.modules.get(name)
    sys.modules[name] = module          # dataclasses, pickling and the like look it up
    sys.path.insert(0, directory)
    loaded = False
    try:
        spec.loader.exec_module(module)
        loaded = True
    except SyntaxError as exc:
        where = path if exc.lineno is None else f"{path}:{exc.lineno}"
        raise TargetError(f"{where}: syntax error: {exc.msg}") from None
    except Exception as exc:  # noqa: BLE001 - whatever the file raises when run
        raise TargetError(f"running {path!r} failed: {type(exc).__name__}: {exc}") from None
    except SystemExit as exc:
        raise TargetError(f"running {path!r} failed: it called sys.exit({exc.code!r})") \
            from None
    finally:
        if sys.path and sys.path[0] == directory:
            del sys.path[0]
        if previous is not None:
            sys.modules[name] = previous    # never shadow a module of the same name
        elif not loaded and sys.modules.get(name) is module:
            del sys.modules[name]           # nor leave a half-run one to be imported
    return module


# -- qualnames ------------------------------------------------------------------------

def _lookup(module: types.ModuleType, module_text: str, qualname: str) -> types.FunctionType:
    obj: object = module
    path = []
    for part in qualname.split("."):
        if not part.isidentifier():
            raise TargetError(f"{qualname!r} is not a dotted name (like f or Class.method)")
        if isinstance(obj, type):
            # The class's own attribute, so that staticmethod/classmethod
            # wrappers are seen; then inherited ones.
            value = next((c.__dict__[part] for c in obj.__mro__ if part in c.__dict__), _MISSING)
        else:
            value = getattr(obj, part, _MISSING)
        if value is _MISSING:
            where = f"{module_text}:{'.'.join(path)}" if path else repr(module_text)
            raise TargetError(f"{where} has no attribute {part!r} "
                              f"(looking up {qualname!r}; `{module_text}:*` lists what is there)")
        obj = value
        path.append(part)
    func = function_of(obj)
    if func is None:
        raise TargetError(f"{module_text}:{qualname} is not a Python function "
                          f"({_describe(obj)}); only functions and methods can be compiled")
    return func


_MISSING = object()


def _describe(obj: object) -> str:
    if isinstance(obj, type):
        return f"a class; name one of its methods, e.g. {obj.__qualname__}.__init__"
    if isinstance(obj, property):
        return "a property; its getter is compiled under `MODULE:*`"
    if isinstance(obj, types.ModuleType):
        return "a module"
    return f"a {type(obj).__name__}"


def module_functions(module: types.ModuleType) -> list[types.FunctionType]:
    """Every function and method defined in module (not imported into it),
    classes searched recursively, in definition order, each once."""
    found: dict[int, types.FunctionType] = {}
    name = module.__name__

    def visit(namespace: dict, seen_classes: set[int]) -> None:
        for value in list(namespace.values()):
            if isinstance(value, type):
                if value.__module__ == name and id(value) not in seen_classes:
                    seen_classes.add(id(value))
                    visit(dict(vars(value)), seen_classes)
                continue
            candidates = [value.fget, value.fset, value.fdel] if isinstance(value, property) \
                else [function_of(value)]
            for func in candidates:
                if isinstance(func, types.FunctionType) and func.__module__ == name:
                    found.setdefault(id(func), func)

    visit(dict(vars(module)), set())
    return list(found.values())
