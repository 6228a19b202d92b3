"""Helpers behind HIR instructions that no single C-API function implements.

Each one does what CPython 3.11's interpreter does for the bytecode the
instruction came from, raising the same exceptions with the same messages,
so that compiled code fails exactly like the interpreter.  Conventions are
those of helpers.py: "obj" arguments arrive borrowed, a returned object is
handed over as a new reference, raising sets the pending exception and
returns the failure value.  `out` arguments are addresses of PyObject*
slots the helper fills with new references.
"""

from __future__ import annotations

import builtins as _builtins
import ctypes
import types

from . import errstate
from .helper_impls import unpack_items
from .helpers import NULL, python_helper

_obj = __import__("_ctypes").PyObj_FromPtr
_incref = __import__("_ctypes").Py_INCREF
# A prototype of our own: argtypes set on ctypes.pythonapi elsewhere are global.
_decref = ctypes.PYFUNCTYPE(None, ctypes.py_object)(("Py_DecRef", ctypes.pythonapi))


def _slots(address: int, n: int):
    return (ctypes.c_uint64 * n).from_address(address)


def _put(slots, i: int, value) -> None:
    """Store a new reference to value (or NULL) in slots[i]."""
    if value is NULL:
        slots[i] = 0
    else:
        _incref(value)
        slots[i] = id(value)


# -- arguments -------------------------------------------------------------------------

@python_helper("bind_args", ("obj", "ptr", "int64", "obj_or_null"), "obj", "null")
def bind_args(func, args, nargsf, kwnames):
    """Bind a vectorcall's arguments to func's parameters as the interpreter
    does (defaults, keyword-only, *args, **kwargs, and the same TypeErrors):
    a tuple of every parameter slot in co_varnames order."""
    nargs = nargsf & ((1 << 63) - 1)      # nargsf arrives signed ("int64")
    names = () if kwnames is NULL else kwnames
    values = [_obj(a) for a in _slots(args, nargs + len(names))] if nargs + len(names) else []
    positional, keywords = values[:nargs], dict(zip(names, values[nargs:]))
    code = func.__code__
    original = getattr(func, "__pyjit_original_code__", code)
    return _bind(func, original, positional, keywords)


def _bind(func, code, positional, keywords):
    import inspect
    shadow = type(func)(code, func.__globals__, func.__name__, func.__defaults__, func.__closure__)
    shadow.__kwdefaults__ = func.__kwdefaults__
    shadow.__qualname__ = func.__qualname__
    try:
        bound = inspect.signature(shadow).bind(*positional, **keywords)
    except TypeError as exc:
        raise TypeError(f"{func.__qualname__}() {exc}") from None
    bound.apply_defaults()
    n = code.co_argcount + code.co_kwonlyargcount
    n += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)
    return tuple(bound.arguments[name] for name in code.co_varnames[:n])


# -- locals, globals, cells -------------------------------------------------------------

@python_helper("raise_unbound_local", ("obj",), "int", "minus_one")
def raise_unbound_local(name):
    """LOAD_FAST of an unbound local."""
    raise UnboundLocalError(f"local variable '{name}' referenced before assignment")


@python_helper("load_global_borrowed", ("obj", "obj", "obj"), "borrowed", "null")
def load_global_borrowed(globals_, builtins, name):
    """LOAD_GLOBAL: globals[name], else builtins[name], else NameError; a
    reference borrowed from the dict that holds it."""
    value = globals_.get(name, NULL) if type(globals_) is dict else NULL
    if value is NULL:
        try:
            value = builtins[name]
        except KeyError:
            raise NameError(f"name '{name}' is not defined", name=name) from None
    return value


@python_helper("store_global", ("obj", "obj", "obj"), "int", "minus_one")
def store_global(globals_, name, value):
    globals_[name] = value
    return 0


@python_helper("delete_global", ("obj", "obj"), "int", "minus_one")
def delete_global(globals_, name):
    try:
        del globals_[name]
    except KeyError:
        raise NameError(f"name '{name}' is not defined", name=name) from None
    return 0


@python_helper("load_deref", ("obj", "obj", "int64"), "obj", "null")
def load_deref(cell, name, is_free):
    try:
        return cell.cell_contents
    except ValueError:
        if is_free:
            raise NameError(f"free variable '{name}' referenced before assignment in "
                            "enclosing scope", name=name) from None
        raise UnboundLocalError(f"local variable '{name}' referenced before assignment") from None


@python_helper("delete_deref", ("obj", "obj", "int64"), "int", "minus_one")
def delete_deref(cell, name, is_free):
    try:
        del cell.cell_contents
    except ValueError:
        load_deref(cell, name, is_free)
    return 0


# -- attributes and methods ---------------------------------------------------------------

@python_helper("load_method", ("obj", "obj", "ptr"), "int", "minus_one")
def load_method(obj, name, out):
    """LOAD_METHOD: out[0], out[1] = (function, obj) when type(obj) has a
    plain method `name` the instance does not shadow, else (NULL,
    obj.name); new references.  CPython's own _PyObject_GetMethod decides,
    so nothing is materialized (an instance's __dict__ stays virtual)."""
    raw = ctypes.c_void_p()
    found = _get_method(obj, name, ctypes.byref(raw))
    slots = _slots(out, 2)
    if found:
        _incref(obj)
        slots[0], slots[1] = raw.value, id(obj)     # raw.value: a reference of ours
    else:
        slots[0], slots[1] = 0, raw.value
    return 0


# int _PyObject_GetMethod(PyObject *obj, PyObject *name, PyObject **method):
# raises (through ctypes) when the lookup fails.
_get_method = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.py_object,
                                ctypes.POINTER(ctypes.c_void_p))(("_PyObject_GetMethod",
                                                                  ctypes.pythonapi))


@python_helper("delete_attr", ("obj", "obj"), "int", "minus_one")
def delete_attr(obj, name):
    delattr(obj, name)
    return 0


# -- calls ------------------------------------------------------------------------------

@python_helper("call_ex", ("obj", "obj", "obj_or_null"), "obj", "null")
def call_ex(func, args, kwargs):
    """CALL_FUNCTION_EX: func(*args, **kwargs)."""
    if type(args) is not tuple:
        try:
            args = tuple(args)
        except TypeError:
            if not hasattr(args, "__iter__"):
                raise TypeError(f"{_describe(func)} argument after * must be an iterable, "
                                f"not {type(args).__name__}") from None
            raise
    if kwargs is NULL:
        return func(*args)
    return func(*args, **kwargs)


def _describe(func) -> str:
    name = getattr(func, "__qualname__", None) or type(func).__name__
    return f"{name}()"


@python_helper("make_function", ("obj", "obj", "obj_or_null", "obj_or_null", "obj_or_null",
                                 "obj_or_null"), "obj", "null")
def make_function(code, globals_, defaults, kwdefaults, annotations, closure):
    """MAKE_FUNCTION."""
    fn = types.FunctionType(code, globals_, code.co_name, None if defaults is NULL else defaults,
                       None if closure is NULL else closure)
    fn.__qualname__ = code.co_qualname
    if kwdefaults is not NULL:
        fn.__kwdefaults__ = kwdefaults
    if annotations is not NULL:
        fn.__annotations__ = (dict(zip(annotations[::2], annotations[1::2]))
                              if type(annotations) is tuple else annotations)
    return fn


# -- iteration ------------------------------------------------------------------------------

@python_helper("for_iter", ("obj", "ptr"), "int", "minus_one")
def for_iter(iterator, out):
    """FOR_ITER: 1 with next(iterator) in out[0], or 0 when exhausted."""
    try:
        value = type(iterator).__next__(iterator)
    except StopIteration:
        return 0
    _put(_slots(out, 1), 0, value)
    return 1


@python_helper("range_iter", ("obj", "obj_or_null", "obj_or_null"), "obj", "null")
def range_iter(a, b, c):
    """iter(range(a)), iter(range(a, b)), iter(range(a, b, c))."""
    args = [x for x in (a, b, c) if x is not NULL]
    return iter(range(*args))


@python_helper("unpack_tuple", ("obj", "int64"), "obj", "null")
def unpack_tuple(seq, n):
    """UNPACK_SEQUENCE n: seq's items as a tuple, exactly n of them."""
    if type(seq) is tuple and len(seq) == n:
        return seq
    return tuple(unpack_items(seq, n))


@python_helper("unpack_ex_tuple", ("obj", "int64", "int64"), "obj", "null")
def unpack_ex_tuple(seq, before, after):
    """UNPACK_EX: (first `before` items, a list of the middle, last `after`)."""
    try:
        items = list(seq)
    except TypeError:
        if not hasattr(seq, "__iter__"):
            raise TypeError(f"cannot unpack non-iterable {type(seq).__name__} object") from None
        raise
    if len(items) < before + after:
        raise ValueError(f"not enough values to unpack (expected at least {before + after}, "
                         f"got {len(items)})")
    middle = items[before:len(items) - after]
    return (*items[:before], middle, *items[len(items) - after:])


# -- building -------------------------------------------------------------------------------

def _steal_all(address: int, n: int) -> list:
    """The n objects at address, whose references the caller hands over."""
    objs = [_obj(a) for a in _slots(address, n)] if n else []
    for o in objs:
        _decref(o)
    return objs


@python_helper("make_tuple_steal", ("ptr", "int64"), "obj", "null")
def make_tuple_steal(items, n):
    """A tuple of the n objects at items, stealing their references."""
    return tuple(_steal_all(items, n))


@python_helper("make_list_steal", ("ptr", "int64"), "obj", "null")
def make_list_steal(items, n):
    """A list of the n objects at items, stealing their references."""
    return _steal_all(items, n)


@python_helper("build_const_key_map", ("obj", "ptr", "int64"), "obj", "null")
def build_const_key_map(keys, values, n):
    return dict(zip(keys, (_obj(a) for a in _slots(values, n))))


@python_helper("build_string", ("ptr", "int64"), "obj", "null")
def build_string(parts, n):
    return "".join(_obj(a) for a in _slots(parts, n)) if n else ""


@python_helper("list_extend", ("obj", "obj"), "int", "minus_one")
def list_extend(lst, iterable):
    try:
        lst.extend(iterable)
    except TypeError:
        if not hasattr(iterable, "__iter__") and not hasattr(iterable, "__getitem__"):
            raise TypeError(f"Value after * must be an iterable, not {type(iterable).__name__}") \
                from None
        raise
    return 0


@python_helper("dict_update", ("obj", "obj"), "int", "minus_one")
def dict_update(d, other):
    if not hasattr(other, "keys"):
        raise TypeError(f"'{type(other).__name__}' object is not a mapping")
    d.update(other)
    return 0


@python_helper("dict_merge", ("obj", "obj", "obj"), "int", "minus_one")
def dict_merge(d, other, func):
    if not hasattr(other, "keys"):
        raise TypeError(f"{_describe(func)} argument after ** must be a mapping, "
                        f"not {type(other).__name__}")
    for key in other.keys():
        if key in d:
            raise TypeError(f"{_describe(func)} got multiple values for keyword argument '{key}'")
        d[key] = other[key]
    return 0


# -- exceptions -----------------------------------------------------------------------------

@python_helper("fetch_exception", (), "obj", "null")
def fetch_exception():
    """Take the pending exception (a handler's first step)."""
    exc = errstate.take_pending()
    if exc is None:
        raise SystemError("no exception to fetch")
    return exc


# The exception being handled by compiled code (sys.exc_info()'s value),
# one per thread, as CPython keeps it in the thread state.
_handled = __import__("threading").local()


def handled() -> BaseException | None:
    return getattr(_handled, "exc", None)


@python_helper("push_exc_info", ("obj",), "obj", "null")
def push_exc_info(exc):
    """PUSH_EXC_INFO: exc becomes the handled exception; the previous one
    (None if there was none) is returned."""
    prev = getattr(_handled, "exc", None)
    _handled.exc = exc
    return prev


@python_helper("pop_except", ("obj",), "int", "minus_one")
def pop_except(prev):
    """POP_EXCEPT: prev (None: nothing) is the handled exception again."""
    _handled.exc = None if prev is None else prev
    return 0


@python_helper("check_exc_match", ("obj", "obj"), "int", "minus_one")
def check_exc_match(exc, match_type):
    """CHECK_EXC_MATCH: 1 if exc matches the except clause's type."""
    types = match_type if type(match_type) is tuple else (match_type,)
    for t in types:
        if not (isinstance(t, type) and issubclass(t, BaseException)):
            raise TypeError("catching classes that do not inherit from BaseException "
                            "is not allowed")
    return int(isinstance(exc, match_type))


@python_helper("reraise", ("obj",), "int", "minus_one")
def reraise(exc):
    """RERAISE: raise exc again, keeping its traceback."""
    raise exc


@python_helper("reraise_current", (), "int", "minus_one")
def reraise_current():
    """A bare `raise`."""
    exc = handled()
    if exc is None:
        raise RuntimeError("No active exception to reraise")
    raise exc


@python_helper("before_with", ("obj", "ptr"), "int", "minus_one")
def before_with(mgr, out):
    """BEFORE_WITH: out[0] = bound __exit__, out[1] = __enter__()."""
    tp = type(mgr)
    try:
        enter = tp.__enter__
    except AttributeError:
        raise TypeError(f"'{tp.__name__}' object does not support the context manager "
                        "protocol") from None
    try:
        exit_ = tp.__exit__
    except AttributeError:
        raise TypeError(f"'{tp.__name__}' object does not support the context manager "
                        "protocol (missed __exit__ method)") from None
    bound_exit = exit_.__get__(mgr, tp)
    value = enter(mgr)
    slots = _slots(out, 2)
    _put(slots, 0, bound_exit)
    _put(slots, 1, value)
    return 0


@python_helper("with_except_start", ("obj", "obj"), "obj", "null")
def with_except_start(exit_, exc):
    return exit_(type(exc), exc, exc.__traceback__)


# -- imports ------------------------------------------------------------------------------

@python_helper("import_name", ("obj", "obj", "obj", "obj"), "obj", "null")
def import_name(globals_, name, fromlist, level):
    return _builtins.__import__(name, globals_, None, fromlist, level)


@python_helper("import_from", ("obj", "obj"), "obj", "null")
def import_from(module, name):
    try:
        return getattr(module, name)
    except AttributeError:
        pass
    import sys
    try:
        full = f"{module.__name__}.{name}"
        return sys.modules[full]
    except (AttributeError, KeyError):
        raise ImportError(f"cannot import name '{name}' from '{getattr(module, '__name__', '?')}'",
                          name=getattr(module, "__name__", None)) from None


# -- releasing -------------------------------------------------------------------------------

@python_helper("release_array", ("ptr", "int64"), "void", "none")
def release_array(items, n):
    """Py_XDECREF each of the n PyObject* at items (an exception path
    releasing what it held)."""
    for address in _slots(items, n) if n else ():
        if address:
            _decref_address(address)


_decref_address = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))
