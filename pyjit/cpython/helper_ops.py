"""Python helpers behind HIR instructions that no single C-API function
implements: arguments, locals and cells, attributes and methods, calls,
iteration, unpacking, exceptions, imports, and releasing on error paths.

Conventions are those of helper_decl.py: "obj" arguments arrive borrowed, a
returned object is handed over as a new reference, raising sets the
pending exception and returns the failure value.  `out` arguments are
addresses of PyObject* slots the helper fills with new references.  What
each operation does is semantics.py's, shared with the HIR interpreter.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import SystemError, delattr, dict, enumerate, getattr, id, int, len, tuple, type, zip
import ctypes

from . import errstate, semantics
from .helper_decl import python_helper
from .helper_impls import addresses, objects, put
from .null import NULL
from .tracebacks import traceback_exit

_obj = __import__("_ctypes").PyObj_FromPtr
# A prototype of our own: argtypes set on ctypes.pythonapi elsewhere are global.
_decref = ctypes.PYFUNCTYPE(None, ctypes.py_object)(("Py_DecRef", ctypes.pythonapi))
_decref_address = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))


def _u64(address: int) -> int:
    return ctypes.c_uint64.from_address(address).value


# -- arguments -------------------------------------------------------------------------

# Where pyjit/install.py keeps a compiled function's original code: in the
# function's __dict__ under this key, as (code, id of the function).
ORIGINAL_CODE = "__pyjit_original_code__"


def installed_original(func):
    """The original code install.py kept for func, or None.  The entry
    names the function it was made for: functools.update_wrapper copies a
    wrapped function's __dict__ into its wrapper, and a copied entry says
    nothing of the wrapper (taken for its own, the wrapper would be given
    the wrapped function's code with its own closure)."""
    entry = func.__dict__.get(ORIGINAL_CODE)
    if type(entry) is tuple and entry[1] == id(func):
        return entry[0]
    return None


@python_helper("bind_args", ("obj", "ptr", "int64", "obj_or_null"), "obj", "null")
def bind_args(func, args, nargsf, kwnames):
    """Bind a vectorcall's arguments to func's parameters as the interpreter
    does (defaults, keyword-only, *args, **kwargs, and the same TypeErrors):
    a tuple of every parameter slot in co_varnames order."""
    nargs = nargsf & ((1 << 63) - 1)      # nargsf arrives signed ("int64")
    names = () if kwnames is NULL else kwnames
    values = objects(args, nargs + len(names))
    code = installed_original(func)
    if code is None:
        code = func.__code__
    return semantics.bind_arguments(func, code, values[:nargs],
                                    dict(zip(names, values[nargs:])))


# -- locals and cells ---------------------------------------------------------------------

@python_helper("raise_unbound_local", ("obj",), "int", "minus_one", room=True)
def raise_unbound_local(name):
    """LOAD_FAST of an unbound local."""
    raise semantics.unbound_local(name)


@python_helper("load_deref", ("obj", "obj", "int64"), "obj", "null")
def load_deref(cell, name, is_free):
    """LOAD_DEREF of cell (name and whether it is a free variable name the
    error of an empty cell)."""
    return semantics.load_deref(cell, name, is_free)


@python_helper("delete_deref", ("obj", "obj", "int64"), "int", "minus_one")
def delete_deref(cell, name, is_free):
    semantics.delete_deref(cell, name, is_free)
    return 0


# -- attributes and methods ---------------------------------------------------------------

@python_helper("load_method", ("obj", "obj", "ptr"), "int", "minus_one")
def load_method(obj, name, out):
    """LOAD_METHOD: out[0], out[1] = (function, obj) or (NULL, obj.name),
    new references (semantics.get_method)."""
    first, second = semantics.get_method(obj, name)
    slots = addresses(out, 2)
    put(slots, 0, first)
    put(slots, 1, second)
    return 0


@python_helper("delete_attr", ("obj", "obj"), "int", "minus_one")
def delete_attr(obj, name):
    delattr(obj, name)
    return 0


# -- calls ------------------------------------------------------------------------------

python_helper("call_ex", ("obj", "obj", "obj_or_null"), "obj", "null")(semantics.call_ex)
python_helper("make_function", ("obj", "obj", "obj_or_null", "obj_or_null", "obj_or_null",
                                "obj_or_null"), "obj", "null")(semantics.make_function)
python_helper("make_function_annotate", ("obj", "obj", "obj_or_null", "obj_or_null",
                                         "obj_or_null", "obj_or_null", "obj"), "obj", "null")(
    semantics.make_function)


python_helper("load_build_class", ("obj",), "obj", "null")(semantics.load_build_class)
python_helper("super_without_arguments", ("obj", "obj_or_null", "int64", "int64"), "obj",
              "null")(semantics.super_without_arguments)


# -- iteration and unpacking ------------------------------------------------------------

@python_helper("for_iter", ("obj", "ptr"), "int", "minus_one")
def for_iter(iterator, out):
    """FOR_ITER: 1 with the next item in out[0], or 0 when exhausted."""
    value = semantics.for_iter(iterator)
    if value is NULL:
        return 0
    put(addresses(out, 1), 0, value)
    return 1


python_helper("range_iter", ("obj", "obj_or_null", "obj_or_null"), "obj", "null")(
    semantics.range_iter)


@python_helper("unpack_into", ("obj", "int64", "ptr"), "int", "minus_one")
def unpack_into(seq, n, out):
    """UNPACK_SEQUENCE n: a new reference to each of seq's items, exactly
    n of them, in out[0..n-1]; 0 (-1 and nothing stored on failure)."""
    items = semantics.unpack_sequence(seq, n)
    slots = addresses(out, n)
    for i, item in enumerate(items):
        put(slots, i, item)
    return 0


python_helper("unpack_ex_tuple", ("obj", "int64", "int64"), "obj", "null")(semantics.unpack_ex)


# -- building ---------------------------------------------------------------------------

def _steal_all(address: int, n: int) -> list:
    """The n objects at address, whose references the caller hands over."""
    objs = objects(address, n)
    for o in objs:
        _decref(o)
    return objs


@python_helper("make_tuple_steal", ("ptr", "int64"), "obj", "null", room=True)
def make_tuple_steal(items, n):
    """A tuple of the n objects at items, stealing their references."""
    return tuple(_steal_all(items, n))


@python_helper("make_list_steal", ("ptr", "int64"), "obj", "null", room=True)
def make_list_steal(items, n):
    """A list of the n objects at items, stealing their references."""
    return _steal_all(items, n)


@python_helper("list_extend", ("obj", "obj"), "int", "minus_one")
def list_extend(lst, iterable):
    semantics.list_extend(lst, iterable)
    return 0


@python_helper("dict_update", ("obj", "obj"), "int", "minus_one")
def dict_update(d, other):
    semantics.dict_update(d, other)
    return 0


@python_helper("dict_merge", ("obj", "obj", "obj"), "int", "minus_one")
def dict_merge(d, other, func):
    semantics.dict_merge(d, other, func)
    return 0


# -- exceptions -----------------------------------------------------------------------------

@python_helper("push_exc_info", ("obj",), "obj", "none", room=True)
def push_exc_info(exc):
    """PUSH_EXC_INFO: exc becomes the handled exception; the previous one
    (None if there was none) is returned.  It cannot fail: an asynchronous
    exception before the change is deferred and the helper called again,
    one after it finds it done (errstate.set_handled)."""
    return errstate.push_handled(exc)


@python_helper("pop_except", ("obj",), "int", "none", room=True)
def pop_except(prev):
    """POP_EXCEPT: prev (None: nothing) is the handled exception again.  It
    cannot fail; calling it again after an interruption is harmless."""
    errstate.set_handled(prev)
    return 0


@python_helper("check_exc_match", ("obj", "obj"), "int", "minus_one", room=True)
def check_exc_match(exc, match_type):
    """CHECK_EXC_MATCH: 1 if exc matches the except clause's type."""
    return int(semantics.check_exc_match(exc, match_type))


@python_helper("reraise", ("obj",), "int", "minus_one", room=True)
def reraise(exc):
    """RERAISE: exc is pending again as it is: its traceback kept, no entry
    added for the re-raising frame, and no implicit chaining (a Python
    `raise` would set __context__ to the exception being handled)."""
    errstate.set_pending(exc)
    errstate.set_reraised()
    return -1


@python_helper("reraise_current", (), "int", "minus_one", room=True)
def reraise_current():
    """A bare `raise`: the handled exception is pending again, as RERAISE
    does it (RuntimeError when nothing is handled)."""
    exc = errstate.handled()
    if exc is None:
        semantics.reraise_current(None)
    return reraise(exc)


@python_helper("before_async_with", ("obj", "ptr"), "int", "minus_one")
def before_async_with(mgr, out):
    """BEFORE_ASYNC_WITH: out[0], out[1] = the bound __aexit__, the result
    of __aenter__() (new references)."""
    exit_, value = semantics.before_async_with(mgr)
    slots = addresses(out, 2)
    put(slots, 0, exit_)
    put(slots, 1, value)
    return 0


@python_helper("before_with", ("obj", "ptr"), "int", "minus_one")
def before_with(mgr, out):
    """BEFORE_WITH: out[0] = bound __exit__, out[1] = __enter__()."""
    exit_, value = semantics.before_with(mgr)
    slots = addresses(out, 2)
    put(slots, 0, exit_)
    put(slots, 1, value)
    return 0


python_helper("with_except_start", ("obj", "obj"), "obj", "null")(semantics.with_except_start)
python_helper("load_special", ("obj", "obj"), "obj", "null")(semantics.load_special)


# -- imports ------------------------------------------------------------------------------

@python_helper("import_name", ("obj", "obj", "obj", "obj"), "obj", "null")
def import_name(globals_, name, fromlist, level):
    """IMPORT_NAME, with the builtins of a function of these globals."""
    return semantics.import_name(name, globals_, semantics.builtins_of(globals_), fromlist,
                                 level)


python_helper("import_from", ("obj", "obj"), "obj", "null")(semantics.import_from)


# -- releasing -------------------------------------------------------------------------------

@python_helper("release_and_exit", ("obj", "int64", "ptr"), "int64", "none", room=True,
               once=True)
def release_and_exit(info, lr, base):
    """A compiled function's release exit: Py_XDECREF the objects it held
    when the call returning to lr failed (the release exit's map in info,
    a CodeInfo, says where each is, as an offset from base, the area the
    exit stored the callee-saved registers in; spill slots are at their
    offsets from it too), then its traceback entry (traceback_exit); 0,
    the function's result."""
    for offset in info.releases_at(lr):
        address = _u64(base + offset)
        if address:
            _decref_address(address)
    return traceback_exit(info, lr)
