"""Helpers: the functions generated code calls, each declared once.

A `Helper` says everything a code generator and an engine need to know:

    declare("PyNumber_Add", ("obj", "obj"), "obj", "null")

- name: the symbol call sites use (`CallTarget(name)`); engines resolve it
  at load time (the Unicorn engine to a trap address).
- args: kinds of the arguments, in order.  Integer-class kinds go in
  x0..x7, "double" in d0..d7 (AAPCS64, each class counted separately):
  "obj" a PyObject* never NULL, "obj_or_null" a PyObject* or NULL,
  "int64" a signed 64-bit integer (also for C `int` / `Py_ssize_t`
  parameters), "ptr" a raw address (e.g. a PyObject** array), "double".
- result: "obj" a new reference in x0, "borrowed" a borrowed reference,
  "int" a C int (in x0, sign-extended), "int64", "bool" (C int 0/1),
  "double" (in d0), "void".
- failure: how an error is signalled, the exception being set in the
  thread state (errstate.py): "null" (x0 = 0), "minus_one" (-1, or -1.0;
  an "int" or "bool" result is negative only then, the C-API's `< 0` test,
  and compiled code tests its sign bit),
  "none" (cannot fail; raising is a helper bug that aborts emulation).
- steals: indices of arguments whose reference the helper consumes, on
  success and on failure, as `PyTuple_SetItem` does.
- room: a Python implementation that stands for what the interpreter does
  in C, on the runtime's own paths (the traceback, exception and argument
  bookkeeping, cache fills): it runs with `ROOM` more frames of recursion
  allowance, so that it works at the recursion limit as C code would
  (it calls no code of the program but what releasing a reference runs,
  or gives the allowance back around it, as the cache fills do).  Every
  helper's binding has that allowance for its own work; a helper without
  room is given the count back for its call (helper_binding.py).
- once: a helper whose work must not be done twice (it releases or records
  something) although it returns a value: an "int64" result that is
  always 0, which cannot fail.  Interrupted after it started, it is not
  called again, as a "void" helper is not; its result is then 0
  (helper_binding.py).
- impl: the name of a C-API function (called through ctypes.pythonapi,
  GIL held), or a Python function.  A Python implementation receives "obj"
  arguments as objects (borrowed), "obj_or_null" as an object or `NULL`,
  ints and floats as Python numbers; it returns an object (or NULL for an
  "obj" result without error, e.g. end of iteration), a number, or None
  for "void"; it raises to fail.

`HELPERS` maps names to helpers and refuses a name declared twice.  This
module is the declaration machinery only; the declarations are in capi.py
(C-API functions), helper_impls.py, helper_ops.py, cache_fills.py and
cells.py (Python implementations), and `pyjit.cpython.helpers` is the complete table.  How
an engine calls a helper on raw register values is
pyjit/runtime/helper_binding.py.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Callable



ARG_KINDS = ("obj", "obj_or_null", "int64", "double", "ptr")
RESULT_KINDS = ("obj", "borrowed", "int", "int64", "bool", "double", "void")
FAILURES = ("null", "minus_one", "none")
ROOM = 50          # recursion allowance of a helper declared with room

_FAILURES_OF = {
    "obj": ("null", "none"), "borrowed": ("null", "none"),
    "int": ("minus_one", "none"), "int64": ("minus_one", "none"),
    "bool": ("minus_one", "none"), "double": ("minus_one", "none"), "void": ("none",),
}




@dataclass(frozen=True)
class Helper:
    """One helper; see the module docstring."""

    name: str
    args: tuple[str, ...]
    result: str
    failure: str
    steals: tuple[int, ...] = ()
    impl: str | Callable | None = None
    doc: str = ""
    room: bool = False
    once: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"helper name {self.name!r} is not an identifier")
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "steals", tuple(self.steals))
        if self.impl is None:
            object.__setattr__(self, "impl", self.name)
        for kind in self.args:
            if kind not in ARG_KINDS:
                raise ValueError(f"{self.name}: unknown argument kind {kind!r}; use {ARG_KINDS}")
        if self.result not in RESULT_KINDS:
            raise ValueError(f"{self.name}: unknown result kind {self.result!r}; use {RESULT_KINDS}")
        if self.once and (self.result, self.failure) != ("int64", "none"):
            raise ValueError(f"{self.name}: a helper done once returns int64 0 and cannot fail")
        if self.failure not in _FAILURES_OF[self.result]:
            raise ValueError(f"{self.name}: failure {self.failure!r} does not go with a "
                             f"{self.result!r} result (allowed: {_FAILURES_OF[self.result]})")
        ints = sum(kind != "double" for kind in self.args)
        doubles = len(self.args) - ints
        if ints > 8 or doubles > 8:
            raise ValueError(f"{self.name}: more than 8 arguments of one register class")
        for i in self.steals:
            if not 0 <= i < len(self.args) or self.args[i] not in ("obj", "obj_or_null"):
                raise ValueError(f"{self.name}: steals argument {i}, which is not an object")
        if isinstance(self.impl, str):
            if not hasattr(ctypes.pythonapi, self.impl):
                raise ValueError(f"{self.name}: the C-API has no function {self.impl!r}")
        elif not callable(self.impl):
            raise TypeError(f"{self.name}: impl must be a C-API function name or a callable")

    @property
    def is_c(self) -> bool:
        """True when impl is a C-API function."""
        return isinstance(self.impl, str)

    def registers(self) -> tuple[str, ...]:
        """The register of each argument: "x0".."x7" / "d0".."d7"."""
        out, x, d = [], 0, 0
        for kind in self.args:
            if kind == "double":
                out.append(f"d{d}")
                d += 1
            else:
                out.append(f"x{x}")
                x += 1
        return tuple(out)

    @property
    def int_arg_count(self) -> int:
        return sum(kind != "double" for kind in self.args)

    @property
    def double_arg_count(self) -> int:
        return sum(kind == "double" for kind in self.args)

    def failure_value(self) -> int | float:
        """The raw value returned on failure (0 for "none")."""
        if self.failure == "minus_one":
            return -1.0 if self.result == "double" else -1
        return 0


HELPERS: dict[str, Helper] = {}


def register(helper: Helper) -> Helper:
    if helper.name in HELPERS:
        raise ValueError(f"helper {helper.name!r} is declared twice")
    HELPERS[helper.name] = helper
    return helper


def declare(name: str, args: tuple[str, ...], result: str, failure: str,
            steals: tuple[int, ...] = (), impl: str | Callable | None = None,
            doc: str = "", room: bool = False, once: bool = False) -> Helper:
    """Declare and register a helper (impl defaults to the C-API function
    called `name`)."""
    return register(Helper(name, tuple(args), result, failure, tuple(steals), impl, doc, room,
                           once))


def python_helper(name: str, args: tuple[str, ...], result: str, failure: str,
                  steals: tuple[int, ...] = (), room: bool = False, once: bool = False):
    """Decorator: declare the decorated function as the Python
    implementation of helper `name` (its docstring is the helper's doc)."""
    def decorate(fn: Callable) -> Callable:
        declare(name, args, result, failure, steals, fn, (fn.__doc__ or "").strip(), room,
                once)
        return fn
    return decorate
