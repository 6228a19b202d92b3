"""Calling a helper on raw values, with C's error and reference conventions.

Raw values are what registers hold: ints for addresses and integers,
floats for doubles.  Every engine needs the same thing around a helper:

- a C-API helper is called through a ctypes prototype of our own
  (`PYFUNCTYPE`: the GIL stays held; arguments are passed as raw addresses,
  so ctypes touches no reference count); if it fails, ctypes re-raises its
  exception in Python: it is caught and stored as the pending exception
  (errstate.py), and the failure value is returned;
- a Python helper gets "obj" arguments as objects (temporary references,
  dropped when it returns), "obj_or_null" as an object or NULL; its result
  is converted ("obj": one new reference handed to the caller); a raise is
  stored as the pending exception and the failure value returned; stolen
  arguments are released after the call, on success and on failure;
- a helper declared "none" (cannot fail) that raises, or a Python helper
  returning a value of the wrong kind, breaks its contract: that raises
  EmulationFault, which engines treat as a fault, not as a Python error;
- EmulationFault raised inside a helper (a nested emulation that faulted)
  is never turned into a pending exception.

`bind(helper)` is the helper as a raw callable `f(*raw_args) -> raw`.
`compile_call(helper, name, arg_exprs, store, namespace)` generates the
same logic with arguments read from expressions (e.g. an engine's argument
block) and the result handed to `store`, so that an engine's trap does not
pay for an extra Python call.  Generated code keeps a call to one frame with
no per-argument loop: this is the hot path of every helper call.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import (
    BaseException, RuntimeError, TypeError, compile, enumerate, exec, float, id, int, isinstance,
    len, range, type,
)
import ctypes
import os
from typing import Callable

from ..cpython import errstate, frames
from .faults import EmulationFault
from ..cpython.helpers import NULL, Helper

_POINTER_KINDS = ("obj", "obj_or_null", "ptr", "borrowed")
# c_void_p converts fastest; as a result it gives None for NULL (handled).
_CTYPES = {"obj": ctypes.c_void_p, "obj_or_null": ctypes.c_void_p, "ptr": ctypes.c_void_p,
           "borrowed": ctypes.c_void_p, "int64": ctypes.c_int64, "double": ctypes.c_double,
           "int": ctypes.c_int, "bool": ctypes.c_int, "void": None}

_obj = __import__("_ctypes").PyObj_FromPtr        # a new reference to the object at an address
_incref = __import__("_ctypes").Py_INCREF
_decref_address = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))


def c_function(helper: Helper):
    """The ctypes function of a C helper (a prototype of our own, so that
    argtypes set on ctypes.pythonapi by anyone else do not matter)."""
    proto = ctypes.PYFUNCTYPE(_CTYPES[helper.result], *(_CTYPES[kind] for kind in helper.args))
    return proto((helper.impl, ctypes.pythonapi))


# -- converting a Python implementation's result -----------------------------------

def _new_ref(value) -> int:
    if value is NULL:
        return 0
    _incref(value)
    return id(value)


def _borrowed(value) -> int:
    return 0 if value is NULL else id(value)


def _to_int(value) -> int:
    if value is None or value is NULL or isinstance(value, float):
        raise TypeError(f"returned {value!r}")
    return int(value)


def _void(value) -> int:
    if value is not None:
        raise TypeError(f"a void helper returned {value!r}")
    return 0


_CONVERT = {"obj": _new_ref, "borrowed": _borrowed, "int": _to_int, "int64": _to_int,
            "bool": _to_int, "double": float, "void": _void}


def _obj_or_null(address: int):
    return _obj(address) if address else NULL


def _contract_error(helper: Helper, what: str, exc: BaseException) -> EmulationFault:
    return EmulationFault(f"helper {helper.name} {what}: {type(exc).__name__}: {exc}")


_OWN_FILES = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep, "<helper ")


def _is_own(frame) -> bool:
    return frame.f_code.co_filename.startswith(_OWN_FILES)


def _strip_own_frames(exc: BaseException) -> BaseException:
    """Drop pyjit's own frames (the binding's, a Python implementation's
    and the semantics it calls) from the head of exc's traceback, so that it
    starts at the first frame of the program's own code the exception came
    through (a callee), or is empty; and clear the locals of the dropped
    frames that finished: a helper that raises an exception it holds in a
    local (raise_exception, reraise) would otherwise make a cycle exception
    -> traceback -> frame -> exception, keeping its arguments alive until
    the next collection."""
    tb = exc.__traceback__
    while tb is not None and _is_own(tb.tb_frame):
        try:
            tb.tb_frame.clear()
        except RuntimeError:      # a frame still running (the binding's own)
            pass
        tb = tb.tb_next
    return exc.with_traceback(tb)


# -- code generation ---------------------------------------------------------------------

def compile_call(helper: Helper, name: str, arg_exprs: list[str], store: str | None,
                 namespace: dict, params: str = "") -> Callable:
    """Generate `def name(params)` calling helper on arg_exprs.

    store formats the raw result into a statement, e.g. "return {}" or
    "X[16] = {}" (None: drop it).  namespace supplies the names arg_exprs
    and store use; the binding's own names are added to it."""
    lines = [f"def {name}({params}):"]
    for i, expr in enumerate(arg_exprs):
        # Read every argument first: the helper may run nested emulation
        # that reuses wherever the arguments came from.
        if expr != f"a{i}":
            lines.append(f"    a{i} = {expr}")
    if helper.is_c:
        call_args = [f"a{i}" for i in range(len(arg_exprs))]
        on_error = "set_pending(strip(exc))"
    else:
        wrap = {"obj": "obj(a{})", "obj_or_null": "obj_or_null(a{})"}
        call_args = [wrap.get(kind, "a{}").format(i) for i, kind in enumerate(helper.args)]
        on_error = "set_pending(strip(exc))"
    if helper.failure == "none":
        on_error = "raise contract_error(helper, 'cannot fail but raised', exc) from exc"

    def put(value: str) -> list[str]:
        if store is None:
            return ["    return"]
        statement = store.format(value)
        return [f"    {statement}"] + ([] if statement.startswith("return") else ["    return"])

    if helper.is_c:
        # C code called from here sees the compiled function's frame as the
        # current one, not this binding's (pyjit/cpython/frames.py).
        lines += ["    frame = innermost()", "    if frame:", "        slot = frame_slot()",
                  "        saved = slot.value", "        slot.value = frame"]
    lines += ["    try:", f"        result = call({', '.join(call_args)})",
              "    except EmulationFault:", "        raise",
              "    except BaseException as exc:", f"        {on_error}"]
    if helper.failure != "none":
        lines += ["    " + line for line in put("FAIL")]
    if helper.is_c:
        lines += ["    finally:", "        if frame:", "            slot.value = saved"]
    elif helper.steals:
        lines.append("    finally:")
        for i in helper.steals:
            lines += [f"        if a{i}:", f"            decref(a{i})"]
    if helper.is_c:
        value = ("0" if helper.result == "void"
                 else "result or 0" if helper.result in _POINTER_KINDS else "result")
    else:
        lines += ["    try:", "        result = convert(result)",
                  "    except BaseException as exc:",
                  "        raise contract_error(helper, 'returned a bad result', exc) from exc"]
        value = "result"
    lines += put(value)
    namespace.update({
        "call": c_function(helper) if helper.is_c else helper.impl,
        "EmulationFault": EmulationFault, "BaseException": BaseException,
        "set_pending": errstate.set_pending,
        "strip": _strip_own_frames, "FAIL": helper.failure_value(),
        "convert": _CONVERT[helper.result], "helper": helper, "contract_error": _contract_error,
        "obj": _obj, "obj_or_null": _obj_or_null, "decref": _decref_address,
        "innermost": frames.innermost, "frame_slot": frames.current_frame_slot,
    })
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<helper {helper.name}>", "exec"), namespace)
    fn = namespace[name]
    fn.helper = helper
    fn.source = source
    return fn


def bind(helper: Helper) -> Callable:
    """The helper as a raw callable: f(*raw_args) -> raw result."""
    params = [f"a{i}" for i in range(len(helper.args))]
    return compile_call(helper, helper.name, params, "return {}", {}, ", ".join(params))
