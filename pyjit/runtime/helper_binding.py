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

Asynchronous exceptions (a signal handler raising at a check point of the
generated code or of the helper, interrupts.py): in a helper that can fail
they are its failure like any other (one raised at the interpreter's check
right after a C helper returned a new reference loses that reference: the
check drops the address, not the object; recording it costs every call
about 0.2 us, a third of a trap, so it is not done); a deferred one (raised earlier in the
engine's own code) is raised by the next helper that can fail, instead of
calling it; in a helper that cannot fail they are deferred, and the helper
is called again when it had not started or returns a value (those helpers
inspect state or fill a cache: calling them twice is harmless; a void one,
or one declared `once` (release_and_exit, traceback_exit, which return the
function's 0), that started keeps its partial effect: a leak of what it
had not released, a missing traceback entry, never a double release).  A second interruption of the
same call is a fault.  The generated functions enter quietly
(cpython/tstate.quiet_entry): no signal handler runs before their `try`.

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
    BaseException, MemoryError, RecursionError, RuntimeError, TypeError, ValueError, compile,
    dict, enumerate, exec, float, getattr, id, int, isinstance, len, max, range, str, type,
)
import ctypes
import dis
from typing import Callable

from ..cpython import own_files
from ..cpython import errstate, frames
from ..cpython import tstate
from ..cpython.tstate import quiet_entry
from ..cpython import interrupts
from .faults import EmulationFault
from ..cpython.helper_decl import ROOM
from ..cpython.helpers import NULL, Helper

_POINTER_KINDS = ("obj", "obj_or_null", "ptr", "borrowed")
# c_void_p converts fastest; as a result it gives None for NULL (handled).
_CTYPES = {"obj": ctypes.c_void_p, "obj_or_null": ctypes.c_void_p, "ptr": ctypes.c_void_p,
           "borrowed": ctypes.c_void_p, "int64": ctypes.c_int64, "double": ctypes.c_double,
           "int": ctypes.c_int, "bool": ctypes.c_int, "void": None}

_obj = __import__("_ctypes").PyObj_FromPtr        # a new reference to the object at an address
_incref = __import__("_ctypes").Py_INCREF
_decref_address = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))


# ctypes converts each argument with its argtype's `from_param`, C calls
# the interpreter counts against the recursion limit (the C function the
# helper stands for is one counted call in the interpreter, and ctypes'
# call of it is another, which the engines compensate: HOOK_FRAMES).
# c_void_p's conversion of an int is one call deep, the depth of the C
# function's own count, so it costs nothing more; c_int64's and c_double's
# also ask isinstance (two deeper): an int64 argument is passed as c_void_p
# (the same 64 bits, a negative value included), and a helper with a
# double argument is given CONVERSION_DEPTH frames of room for its call.
_ARG_CTYPES = dict(_CTYPES, int64=ctypes.c_void_p)
CONVERSION_DEPTH = {"double": 2}


def c_function(helper: Helper):
    """The ctypes function of a C helper (a prototype of our own, so that
    argtypes set on ctypes.pythonapi by anyone else do not matter)."""
    proto = ctypes.PYFUNCTYPE(_CTYPES[helper.result],
                              *(_ARG_CTYPES[kind] for kind in helper.args))
    return proto((helper.impl, ctypes.pythonapi))


# -- converting a Python implementation's result -----------------------------------

class _BadResult(TypeError):
    """A Python helper returned a value of the wrong kind (its contract)."""


def _new_ref(value) -> int:
    """A new reference to value, as an address (0 for NULL).  Entered
    quietly; its one change is the incref, and an asynchronous exception
    at the check after it finds the reference taken: it is deferred."""
    if value is NULL:
        return 0
    address = id(value)
    try:
        _incref(value)
    except BaseException as late:
        interrupts.defer(late)
    return address


quiet_entry(_new_ref)


def _borrowed(value) -> int:
    return 0 if value is NULL else id(value)


def _to_int(value) -> int:
    if value is None or value is NULL or isinstance(value, float):
        raise _BadResult(f"returned {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _BadResult(f"returned {value!r}") from None


def _to_float(value) -> float:
    if value is None or value is NULL:
        raise _BadResult(f"returned {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _BadResult(f"returned {value!r}") from None


def _void(value) -> int:
    if value is not None:
        raise _BadResult(f"a void helper returned {value!r}")
    return 0


_CONVERT = {"obj": _new_ref, "borrowed": _borrowed, "int": _to_int, "int64": _to_int,
            "bool": _to_int, "double": _to_float, "void": _void}


def _obj_or_null(address: int):
    return _obj(address) if address else NULL


def _contract_error(helper: Helper, what: str, exc: BaseException) -> EmulationFault:
    return EmulationFault(f"helper {helper.name} {what}: {type(exc).__name__}: {exc}")


_OWN_FILES = (own_files.PACKAGE_DIR, "<helper ")    # (a trampoline's frame is the program's)


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


_ArgumentError = ctypes.ArgumentError
_UNSET = object()                   # a Python helper's value before it returned
_CONVERSION_ERRORS = {"RecursionError": RecursionError, "MemoryError": MemoryError}


def _conversion_error(exc: BaseException) -> BaseException:
    """ctypes converts the arguments of a C function (a C helper's, or one
    a Python helper calls) by calling each argtype's `from_param`, a C call
    the interpreter counts against the recursion limit: at the limit it
    raises RecursionError, which ctypes reports as ArgumentError("argument
    N: RecursionError: message").  The interpreter would have raised that
    RecursionError at the same point (the C call the helper stands for):
    it is given back as one."""
    head, _, rest = str(exc).partition(": ")
    name, _, message = rest.partition(": ")
    if head.startswith("argument ") and name in _CONVERSION_ERRORS:
        return _CONVERSION_ERRORS[name](message)
    return exc


def _started(helper: Helper, exc: BaseException) -> bool:
    """Whether the call of helper that exc interrupted had done anything: a
    C helper that cannot fail is only interrupted after it returned; a
    Python one had started when exc left its frame past its entry."""
    if isinstance(helper.impl, str):        # (helper.is_c, with the builtins bound here)
        return True
    code = getattr(helper.impl, "__code__", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return tb.tb_lasti > _entry_offset(code)
        tb = tb.tb_next
    return False


def _entry_offset(code) -> int:
    """The offset of code's entry RESUME (after its cell set-up)."""
    for instr in dis.get_instructions(code):
        if instr.opname == "RESUME":
            return instr.offset
    return 0


def _fail(helper: Helper, exc: BaseException, is_c: bool) -> None:
    """exc is helper's failure: it becomes the pending exception before
    anything else (no check point before that), then is given back as the
    program's (a ctypes conversion error), with pyjit's frames stripped; an
    asynchronous exception interrupting that is deferred.  A bad result of
    a Python helper breaks its contract instead."""
    errstate.put_pending(exc)
    bad = False
    try:
        bad = type(exc) is _BadResult
        if not bad:
            if type(exc) is _ArgumentError:
                exc = _conversion_error(exc)
                errstate.put_pending(exc)
            # (errstate.py: a C helper's exception replacing an unnormalized one)
            replaced = is_c and errstate.replaced_in(exc, _is_own)
            _strip_own_frames(exc)
            if replaced:
                errstate.mark_replacement()
    except BaseException as late:
        interrupts.defer(late)
    if bad:
        raise _contract_error(helper, "returned a bad result", exc) from exc


def _converted(helper: Helper, exc: BaseException, value):
    """helper returned value and exc interrupted the conversion of it: the
    helper's work is done, so exc is deferred (asynchronous) and the value
    converted again (the conversions change nothing before their last
    step); a bad result breaks the helper's contract."""
    if isinstance(exc, _BadResult):
        raise _contract_error(helper, "returned a bad result", exc) from exc
    if not interrupts.is_asynchronous(exc):
        raise _contract_error(helper, "had its result fail to convert", exc) from exc
    interrupts.defer(exc)
    return _CONVERT[helper.result](value)


quiet_entry(_fail)
quiet_entry(_converted)


def _interrupted(helper: Helper, exc: BaseException, again: Callable, args: tuple):
    """A helper that cannot fail raised exc: a fault, unless exc is
    asynchronous (interrupts.py); then it is deferred and the helper called
    again if it had not started or returns a value (module docstring)."""
    if isinstance(exc, _BadResult):
        raise _contract_error(helper, "returned a bad result", exc) from exc
    if not interrupts.is_asynchronous(exc):
        raise _contract_error(helper, "cannot fail but raised", exc) from exc
    interrupts.defer(exc)
    if (helper.result == "void" or helper.once) and _started(helper, exc):
        return 0
    try:
        return again(*args)
    except EmulationFault:
        raise
    except BaseException as second:
        raise _contract_error(helper, "was interrupted twice", second) from second


# -- code generation ---------------------------------------------------------------------

def compile_call(helper: Helper, name: str, arg_exprs: list[str], store: str | None,
                 namespace: dict, params: str = "") -> Callable:
    """Generate `def name(params)` calling helper on arg_exprs.

    store formats the raw result into a statement, e.g. "return {}" or
    "X[16] = {}" (None: drop it).  namespace supplies the names arg_exprs
    and store use; the binding's own names are added to it."""
    lines = [f"def {name}({params}):"] + (["    frame = 0"] if helper.is_c else
                                           ["    value = UNSET"])
    # Recursion room (helper_decl.py) while the binding runs: its own work
    # (switching the current frame, converting, recording a failure) is
    # Python calls and comparisons the interpreter counts, where the
    # instruction it stands for counts nothing.  A helper declared with
    # room keeps it while it runs; any other is given the count back for
    # its call (`roomless`), so that it, and the program's code it runs,
    # sees what the interpreter's instruction would.  The thread's counter
    # is made by the engine's call (None outside one).
    lines += ["    roomless = False", "    room = per_thread.counter",
              "    if room is not None:", "        room.value += ROOM"]
    give = not helper.room
    can_fail = helper.failure != "none"
    finally_lines = []
    if helper.is_c:
        finally_lines += ["        if frame:", "            slot.value = saved"]
    for i in helper.steals if not helper.is_c else ():
        finally_lines += [f"        if a{i}:", f"            decref(a{i})"]
    finally_lines += ["        if roomless:", "            room.value += GIVEN",
                      "        if room is not None:", "            room.value -= ROOM"]
    # A helper that cannot fail is called again after an interruption outside
    # the `except` that caught it: inside, the handled exception would be the
    # interruption, which a helper reading the handled exception (PUSH_EXC_INFO)
    # would take for the compiled function's.  Inside the `finally`, which
    # releases what the call may use.
    retry = not can_fail
    body = []
    for i, expr in enumerate(arg_exprs):
        # Read every argument first: the helper may run nested emulation
        # that reuses wherever the arguments came from.
        if expr != f"a{i}":
            body.append(f"    a{i} = {expr}")
    if helper.is_c:
        # C code called from here sees the compiled function's frame as the
        # current one, not this binding's (pyjit/cpython/frames.py).  Switched
        # inside the `try` (a signal handler may run at any call), after the
        # arguments are read, and marked switched only once it is.
        body += ["    innermost_frame = innermost()", "    if innermost_frame:",
                 "        slot = frame_slot()", "        saved = slot.value",
                 "        slot.value = innermost_frame", "        frame = innermost_frame"]
    if helper.is_c:
        call_args = [f"a{i}" for i in range(len(arg_exprs))]
        call = f"call({', '.join(call_args)})"
        value = ("0" if helper.result == "void"
                 else "result or 0" if helper.result in _POINTER_KINDS else "result")
    else:
        wrap = {"obj": "obj(a{})", "obj_or_null": "obj_or_null(a{})"}
        call_args = [wrap.get(kind, "a{}").format(i) for i, kind in enumerate(helper.args)]
        call = f"call({', '.join(call_args)})"
        value = "result"
    if can_fail:
        # A deferred asynchronous exception is this helper's failure.
        body += ["    if ANY[0]:", "        deferred = take_deferred()",
                 "        if deferred is not None:", "            raise deferred"]
    if give:
        # (no check point between a change of the count and its mark: a
        # signal handler runs at calls and backward jumps only)
        body += ["    if room is not None:", "        room.value -= GIVEN",
                 "        roomless = True"]
    body += [f"    result = {call}" if helper.is_c else f"    value = {call}"]
    if give:
        body += ["    if roomless:", "        room.value += GIVEN", "        roomless = False"]
    if not helper.is_c:
        # Done once value is set: an interruption of the conversion is deferred.
        body += ["    result = convert(value)"]

    def put(value: str, indent: str = "    ") -> list[str]:
        if store is None:
            return [f"{indent}return"]
        statement = store.format(value)
        return [f"{indent}{statement}"] + ([] if statement.startswith("return") else
                                           [f"{indent}return"])

    handler = ["except EmulationFault:", "    raise", "except BaseException as exc:"]
    if give:
        handler += ["    if roomless:", "        room.value += GIVEN", "        roomless = False"]
    indent = "    "
    if not helper.is_c:
        handler += ["    if value is not UNSET:",
                    "        result = converted(helper, exc, value)", "    else:"]
        indent = "        "
    if can_fail:
        handler += [f"{indent}fail(helper, exc, IS_C)"] + put("FAIL", indent)
    else:
        handler += [f"{indent}interruption = exc"]
    attempt = ["try:"] + body + handler
    if retry:
        arg_tuple = "".join(f"a{i}, " for i in range(len(arg_exprs)))
        lines += ["    interruption = None"]
        attempt += ["if interruption is not None:",
                    f"    result = interrupted(helper, interruption, again, ({arg_tuple}))",
                    "    interruption = None"]
    if finally_lines and retry:
        lines += ["    try:"] + ["        " + line for line in attempt] + ["    finally:"]
        lines += finally_lines
    elif finally_lines:
        lines += ["    " + line for line in attempt] + ["    finally:"] + finally_lines
    else:
        lines += ["    " + line for line in attempt]
    lines += put(value)
    namespace.update({
        "__name__": __name__,             # pyjit's code: the process-wide modes leave it alone
        "call": c_function(helper) if helper.is_c else helper.impl,
        "EmulationFault": EmulationFault, "BaseException": BaseException, "type": type,
        "fail": _fail, "IS_C": helper.is_c, "converted": _converted, "UNSET": _UNSET,
        "FAIL": helper.failure_value(),
        "convert": _CONVERT[helper.result], "helper": helper, "contract_error": _contract_error,
        "obj": _obj, "obj_or_null": _obj_or_null, "decref": _decref_address,
        "innermost": frames.innermost, "frame_slot": frames.current_frame_slot,
        "BadResult": _BadResult, "interrupted": _interrupted, "ANY": interrupts.ANY,
        "per_thread": tstate.per_thread, "ROOM": ROOM,
        # Given back around the call: all of it, but what converting a C
        # function's arguments costs beyond the C function's own count.
        "GIVEN": ROOM - max([CONVERSION_DEPTH.get(kind, 0) for kind in helper.args]
                            if helper.is_c else [], default=0),
        "take_deferred": interrupts.take,
    })
    if not can_fail:     # what _interrupted calls again
        raw_params = ", ".join(f"a{i}" for i in range(len(arg_exprs)))
        again = f"convert({call})" if not helper.is_c else call
        lines += [f"def again({raw_params}):", f"    return {again}"]
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<helper {helper.name}>", "exec"), namespace)
    fn = quiet_entry(namespace[name])
    fn.helper = helper
    fn.source = source
    return fn


def bind(helper: Helper) -> Callable:
    """The helper as a raw callable: f(*raw_args) -> raw result."""
    params = [f"a{i}" for i in range(len(helper.args))]
    return compile_call(helper, helper.name, params, "return {}", {}, ", ".join(params))
