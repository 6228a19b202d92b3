"""What the interpreter does for each operation, written once.

The HIR interpreter (pyjit/hir/interp_ops.py) and the Python helpers of
compiled code (helper_impls.py, helper_ops.py) both call these functions,
so an operation's result and its exception (type and message) are defined
in one place, and are CPython's: each function follows what ceval.c does
for the bytecode the operation comes from.  Arguments are Python objects,
with NULL (null.py) where C has a NULL pointer; a function returns the
result or raises the interpreter's exception.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import (
    AttributeError, BaseException, ImportError, KeyError, NameError, RecursionError,
    RuntimeError, SystemError, TypeError, UnboundLocalError, ValueError, all, ascii, bool,
    compile, dict, format, getattr, hasattr, isinstance, issubclass, iter, len, list, next,
    range, repr, str, tuple, type, vars, zip,
)
import builtins as _builtins_module
import ctypes
import operator
import sys
import types
from keyword import iskeyword

from .null import NULL

_obj = __import__("_ctypes").PyObj_FromPtr
_decref = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))
# int _PyObject_GetMethod(PyObject *obj, PyObject *name, PyObject **method):
# raises (through ctypes) when the lookup fails.
_get_method = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.py_object,
                                ctypes.POINTER(ctypes.c_void_p))(("_PyObject_GetMethod",
                                                                  ctypes.pythonapi))


# -- messages ---------------------------------------------------------------------------

def function_str(func) -> str:
    """_PyObject_FunctionStr: how error messages name a callable
    ("mod.f()", "print()")."""
    try:
        qualname = func.__qualname__
    except AttributeError:
        return str(func)
    module = getattr(func, "__module__", None)
    if module is not None and module != "builtins":
        return f"{module}.{qualname}()"
    return f"{qualname}()"


def unbound_local(name: str) -> UnboundLocalError:
    """The error of reading an unbound local."""
    return UnboundLocalError(f"cannot access local variable '{name}' where it is not "
                             "associated with a value")


def recursion_error() -> RecursionError:
    """The error of entering a frame past the recursion limit (3.11's
    _Py_CheckRecursiveCall for a Python frame)."""
    return RecursionError("maximum recursion depth exceeded")


def unbound_deref(name: str, is_free: bool) -> Exception:
    """The error of reading an empty cell: a local's or a free variable's."""
    if is_free:
        return NameError(f"cannot access free variable '{name}' where it is not associated "
                         "with a value in enclosing scope", name=name)
    return unbound_local(name)


def _iterable(obj) -> bool:
    """tp_iter, or PySequence_Check (__getitem__ on a non-dict type)."""
    tp = type(obj)
    return hasattr(tp, "__iter__") or (hasattr(tp, "__getitem__") and not issubclass(tp, dict))


# -- the eval loop's periodic check ---------------------------------------------------------

def check_eval_breaker() -> None:
    """What 3.11's RESUME (a function's entry) and JUMP_BACKWARD do when
    the interpreter's eval breaker is set: signal handlers run (one that
    raises makes this raise), pending calls run, the GIL goes to a thread
    asking for it, an asynchronous exception is raised.  Entering this
    function is all of it: its own RESUME is such a check."""


# -- arguments ------------------------------------------------------------------------------

def parameter_count(code) -> int:
    """How many parameter slots code has: positional, keyword-only, then
    *args and **kwargs when present (the first names of co_varnames)."""
    return (code.co_argcount + code.co_kwonlyargcount
            + bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08))


def bind_arguments(func, code, positional, keywords) -> tuple:
    """The value of every parameter slot of code, in co_varnames order, when
    func (whose code code is) is called with positional and keywords: bound
    by the interpreter itself (defaults, keyword-only, *args, **kwargs, and
    its TypeErrors naming the function), through a binder function with
    code's parameters and func's defaults whose body only returns them.  A
    comprehension's code has a parameter named ".0", which no keyword can
    bind: it takes its arguments by position."""
    n = parameter_count(code)
    names = code.co_varnames[:n]
    if not all(name.isidentifier() and not iskeyword(name) for name in names):
        if keywords or len(positional) != n:
            raise TypeError(f"{func.__qualname__}() takes {n} positional arguments")
        return tuple(positional)
    binder = types.FunctionType(_binder_code(code, names), _BINDER_GLOBALS, func.__name__,
                                func.__defaults__)
    binder.__kwdefaults__ = func.__kwdefaults__
    binder.__qualname__ = func.__qualname__
    return binder(*positional, **keywords)


# Binder code per parameter list: (names, argcount, posonly, kwonly, flags) -> code.
_binders: dict[tuple, types.CodeType] = {}
_BINDER_GLOBALS: dict = {"__builtins__": {}}    # a binder reads no global


def _binder_code(code, names: tuple[str, ...]) -> types.CodeType:
    """The code of `def _(<code's parameters>): return (<them>,)`, without
    defaults (the binder function gets func's), made once per parameter
    list."""
    flags = code.co_flags & 0x0C                 # CO_VARARGS | CO_VARKEYWORDS
    key = (names, code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, flags)
    binder = _binders.get(key)
    if binder is None:
        positional = list(names[:code.co_argcount])
        if code.co_posonlyargcount:
            positional.insert(code.co_posonlyargcount, "/")
        rest = names[code.co_argcount:]
        kwonly = list(rest[:code.co_kwonlyargcount])
        rest = rest[code.co_kwonlyargcount:]
        star = [f"*{rest[0]}"] if flags & 0x04 else (["*"] if kwonly else [])
        dstar = [f"**{rest[-1]}"] if flags & 0x08 else []
        source = (f"def _({', '.join(positional + star + kwonly + dstar)}):\n"
                  f"    return ({''.join(name + ', ' for name in names)})\n")
        module = compile(source, "<pyjit binder>", "exec")
        binder = _binders[key] = next(c for c in module.co_consts
                                      if type(c) is types.CodeType)
    return binder


# -- globals, cells, names ------------------------------------------------------------------

def load_global(globals_, builtins, name):
    """LOAD_GLOBAL: globals[name], else builtins[name], else NameError
    (dict lookups for exact dicts, the mapping protocol otherwise)."""
    if type(globals_) is dict and type(builtins) is dict:
        value = globals_.get(name, NULL)
        if value is NULL:
            value = builtins.get(name, NULL)
        if value is NULL:
            raise NameError(f"name '{name}' is not defined", name=name)
        return value
    try:
        return globals_[name]
    except KeyError:
        pass
    try:
        return builtins[name]
    except KeyError:
        raise NameError(f"name '{name}' is not defined", name=name) from None


def store_global(globals_, name, value) -> None:
    """STORE_GLOBAL: PyDict_SetItem (a dict subclass's __setitem__ is not
    called)."""
    dict.__setitem__(globals_, name, value)


def delete_global(globals_, name) -> None:
    try:
        del globals_[name]
    except KeyError:
        raise NameError(f"name '{name}' is not defined", name=name) from None


def load_deref(cell, name: str, is_free: bool):
    """LOAD_DEREF: the cell's contents."""
    try:
        return cell.cell_contents
    except ValueError:
        raise unbound_deref(name, is_free) from None


def delete_deref(cell, name: str, is_free: bool) -> None:
    try:
        del cell.cell_contents
    except ValueError:
        raise unbound_deref(name, is_free) from None


def make_cell(value):
    return types.CellType() if value is NULL else types.CellType(value)


# -- attributes, methods, special methods ------------------------------------------------------

def get_method(obj, name):
    """_PyObject_GetMethod (LOAD_METHOD): (the unbound method, obj) when
    type(obj) has a plain method `name` the instance does not shadow, else
    (NULL, obj.name).  CPython itself decides, so an instance's __dict__ is
    never materialized."""
    raw = ctypes.c_void_p()
    found = _get_method(obj, name, ctypes.byref(raw))
    value = _obj(raw.value)            # a reference of ours...
    _decref(raw.value)                 # ...instead of the one _PyObject_GetMethod gave
    return (value, obj) if found else (NULL, value)


def lookup_special(obj, name: str):
    """_PyObject_LookupSpecial: name looked up on type(obj)'s MRO, bound to
    obj when it is a descriptor; NULL when absent."""
    tp = type(obj)
    for klass in tp.__mro__:
        if name in klass.__dict__:
            attr = klass.__dict__[name]
            get = getattr(type(attr), "__get__", None)
            return get(attr, obj, tp) if get is not None else attr
    return NULL


def before_with(mgr):
    """BEFORE_WITH: (the bound __exit__, the result of __enter__()).  On
    3.14, whose LOAD_SPECIALs look __exit__ up first, with their messages."""
    if _LOAD_SPECIAL:
        exit_ = load_special(mgr, "__exit__")
        return exit_, load_special(mgr, "__enter__")()
    enter = lookup_special(mgr, "__enter__")
    if enter is NULL:
        raise TypeError(f"'{type(mgr).__name__}' object does not support the context manager "
                        "protocol")
    exit_ = lookup_special(mgr, "__exit__")
    if exit_ is NULL:
        raise TypeError(f"'{type(mgr).__name__}' object does not support the context manager "
                        "protocol (missed __exit__ method)")
    return exit_, enter()


# 3.14 enters a context manager with LOAD_SPECIALs (BEFORE_WITH is gone).
_LOAD_SPECIAL = sys.version_info >= (3, 14)

# LOAD_SPECIAL's oparg -> (the method, the protocol, the other protocol's
# suggestion) (3.14: dis._special_method_names; the messages of ceval.c's
# _Py_SpecialMethods).
SPECIAL_METHODS = {
    "__enter__": (0, "the context manager protocol",
                  "the asynchronous context manager protocol. Did you mean to use 'async with'?"),
    "__exit__": (1, "the context manager protocol",
                 "the asynchronous context manager protocol. Did you mean to use 'async with'?"),
    "__aenter__": (2, "the asynchronous context manager protocol",
                   "the context manager protocol. Did you mean to use 'with'?"),
    "__aexit__": (3, "the asynchronous context manager protocol",
                  "the context manager protocol. Did you mean to use 'with'?"),
}


def load_special(obj, name: str):
    """LOAD_SPECIAL (3.14): type(obj).name bound to obj; TypeError naming
    the type (fully qualified, as %T) and the missing method, with the
    other protocol suggested when the type has it (CPython's own
    _PyEval_SpecialMethodCanSuggest decides)."""
    method = lookup_special(obj, name)
    if method is not NULL:
        return method
    oparg, protocol, other = SPECIAL_METHODS[name]
    message = (f"'{qualified_type_name(type(obj))}' object does not support {protocol} "
               f"(missed {name} method)")
    if _can_suggest(obj, oparg):
        message += f" but it supports {other}"
    raise TypeError(message)


def _can_suggest(obj, oparg: int) -> bool:
    suggest = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.py_object, ctypes.c_int)(
        ("_PyEval_SpecialMethodCanSuggest", ctypes.pythonapi))
    return bool(suggest(obj, oparg))


def qualified_type_name(tp: type) -> str:
    """A type's name as CPython's %T formats it (PyType_GetFullyQualifiedName):
    module.qualname, the qualname alone for builtins and __main__."""
    module = tp.__module__
    if type(module) is not str or module in ("builtins", "__main__"):
        return tp.__qualname__
    return f"{module}.{tp.__qualname__}"


def before_async_with(mgr):
    """BEFORE_ASYNC_WITH: (the bound __aexit__, the result of
    __aenter__()); on 3.14 as its LOAD_SPECIALs do it (before_with)."""
    if _LOAD_SPECIAL:
        exit_ = load_special(mgr, "__aexit__")
        return exit_, load_special(mgr, "__aenter__")()
    enter = lookup_special(mgr, "__aenter__")
    if enter is NULL:
        raise TypeError(f"'{type(mgr).__name__}' object does not support the asynchronous "
                        "context manager protocol")
    exit_ = lookup_special(mgr, "__aexit__")
    if exit_ is NULL:
        raise TypeError(f"'{type(mgr).__name__}' object does not support the asynchronous "
                        "context manager protocol (missed __aexit__ method)")
    return exit_, enter()


def with_except_start(exit_, exc):
    """WITH_EXCEPT_START: __exit__(type, value, traceback)."""
    return exit_(type(exc), exc, exc.__traceback__)


# -- calls and functions ---------------------------------------------------------------------

def call(callable_, args, kwnames=()):
    """A vectorcall: the last len(kwnames) arguments are keywords."""
    if not kwnames:
        return callable_(*args)
    split = len(args) - len(kwnames)
    return callable_(*args[:split], **dict(zip(kwnames, args[split:])))


def call_ex(func, args, kwargs=NULL):
    """CALL_FUNCTION_EX: func(*args, **kwargs) (kwargs NULL: none)."""
    if type(args) is not tuple:
        if not _iterable(args):
            raise TypeError(f"{function_str(func)} argument after * must be an iterable, "
                            f"not {type(args).__name__}")
        args = tuple(args)
    if kwargs is NULL:
        return func(*args)
    return func(*args, **kwargs)


# Called with every function compiled code makes, when set: a process-wide
# mode gives it the machine code compiled for its code (pyjit/autojit.py).
function_made = None


def make_function(code, globals_, defaults=NULL, kwdefaults=NULL, annotations=NULL,
                  closure=NULL, annotate=NULL):
    """MAKE_FUNCTION: annotations come as a flat (name, value, ...) tuple or
    a dict; annotate is 3.14's function computing them.  `function_made`,
    when set, sees the function."""
    fn = types.FunctionType(code, globals_, code.co_name,
                            None if defaults is NULL else defaults,
                            None if closure is NULL else closure)
    fn.__qualname__ = code.co_qualname
    if kwdefaults is not NULL:
        fn.__kwdefaults__ = kwdefaults
    if annotations is not NULL:
        fn.__annotations__ = (dict(zip(annotations[::2], annotations[1::2]))
                              if type(annotations) is tuple else annotations)
    if annotate is not NULL:
        fn.__annotate__ = annotate
    made = function_made
    if made is not None:
        made(fn)
    return fn


# -- imports ---------------------------------------------------------------------------------

def import_name(name, globals_, builtins, fromlist, level):
    """IMPORT_NAME: the frame's builtins' __import__ (ImportError when it
    has none), called as the interpreter calls it."""
    try:
        import_ = builtins["__import__"]
    except KeyError:
        raise ImportError("__import__ not found") from None
    return import_(name, globals_, None, fromlist, level)


def import_from(module, name):
    """IMPORT_FROM: module.name, else the submodule `module.name` from
    sys.modules, else ImportError with the interpreter's message."""
    try:
        return getattr(module, name)
    except AttributeError:
        pass
    pkgname = getattr(module, "__name__", NULL)
    if isinstance(pkgname, str):
        found = sys.modules.get(f"{pkgname}.{name}", NULL)
        if found is not NULL:
            return found
    else:
        pkgname = NULL
    shown = "<unknown module name>" if pkgname is NULL else pkgname
    path = getattr(module, "__file__", None)
    if not isinstance(path, str):
        raise ImportError(f"cannot import name {name!r} from {shown!r} (unknown location)",
                          name=None if pkgname is NULL else pkgname)
    spec = getattr(module, "__spec__", None)
    if getattr(spec, "_initializing", False):
        message = (f"cannot import name {name!r} from partially initialized module {shown!r} "
                   f"(most likely due to a circular import) ({path})")
    else:
        message = f"cannot import name {name!r} from {shown!r} ({path})"
    raise ImportError(message, name=None if pkgname is NULL else pkgname, path=path)


def builtins_of(globals_) -> dict:
    """The builtins a function created with these globals gets
    (_PyEval_BuiltinsFromGlobals)."""
    builtins = globals_.get("__builtins__", NULL) if type(globals_) is dict else NULL
    if builtins is NULL:
        return _BUILTINS
    return vars(builtins) if isinstance(builtins, types.ModuleType) else builtins


_BUILTINS = vars(_builtins_module)          # the interpreter's builtins dict


def load_build_class(builtins):
    """LOAD_BUILD_CLASS: the builtins' __build_class__."""
    try:
        return builtins["__build_class__"]
    except KeyError:
        raise NameError("__build_class__ not found") from None


def super_without_arguments(class_cell, first, argcount: int, first_is_cell: bool):
    """`super()` in a method (super_init_without_args): super(__class__,
    first local), with its RuntimeErrors.  first is NULL when deleted, the
    cell holding the first argument when first_is_cell."""
    if argcount == 0:
        raise RuntimeError("super(): no arguments")
    if first is not NULL and first_is_cell:
        try:
            first = first.cell_contents
        except ValueError:
            first = NULL
    if first is NULL:
        raise RuntimeError("super(): arg[0] deleted")
    try:
        cls = class_cell.cell_contents
    except ValueError:
        raise RuntimeError("super(): empty __class__ cell") from None
    if not isinstance(cls, type):
        raise RuntimeError(f"super(): __class__ is not a type ({type(cls).__name__})")
    return _builtins_module.super(cls, first)


# -- containers --------------------------------------------------------------------------------

def build_map(items) -> dict:
    """BUILD_MAP: a dict of the key, value pairs of the flat sequence items."""
    return {items[k]: items[k + 1] for k in range(0, len(items), 2)}


def list_extend(lst, iterable) -> None:
    """LIST_EXTEND (a starred item of a list or call)."""
    try:
        lst.extend(iterable)
    except TypeError:
        if not _iterable(iterable):
            raise TypeError(f"Value after * must be an iterable, not {type(iterable).__name__}") \
                from None
        raise


def dict_update(d, other) -> None:
    """DICT_UPDATE ({**other})."""
    if not hasattr(other, "keys"):
        raise TypeError(f"'{type(other).__name__}' object is not a mapping")
    d.update(other)


def dict_merge(d, other, func) -> None:
    """DICT_MERGE (f(**other)): no key twice, with the messages naming func."""
    if not hasattr(other, "keys"):
        raise TypeError(f"{function_str(func)} argument after ** must be a mapping, "
                        f"not {type(other).__name__}")
    for key in other.keys():
        if key in d:
            raise TypeError(f"{function_str(func)} got multiple values for keyword argument "
                            f"'{key}'")
        d[key] = other[key]


# The conversions of an f-string field by number (FVC_NONE, FVC_STR,
# FVC_REPR, FVC_ASCII), as format_value takes them.
CONVERSIONS = ("", "str", "repr", "ascii")


def format_value(value, spec, conversion: int):
    """FORMAT_VALUE: conversion 0 none, 1 str(), 2 repr(), 3 ascii(), then
    format(value, spec) (spec NULL: "", and an exact str stays as it is)."""
    if conversion == 1:
        value = str(value)
    elif conversion == 2:
        value = repr(value)
    elif conversion == 3:
        value = ascii(value)
    elif conversion != 0:
        raise SystemError(f"unexpected conversion flag {conversion}")
    if spec is NULL and type(value) is str:
        return value
    return format(value, "" if spec is NULL else spec)


def _iterate_for_unpack(seq):
    try:
        return iter(seq)
    except TypeError:
        if not _iterable(seq):
            raise TypeError(f"cannot unpack non-iterable {type(seq).__name__} object") from None
        raise


# 3.14 says how many values an exact list, tuple or dict had (unpack_iterable).
_UNPACK_SAYS_HOW_MANY = sys.version_info >= (3, 14)


def unpack_sequence(seq, n: int) -> list:
    """UNPACK_SEQUENCE n: exactly n items of seq, first item first."""
    items = []
    for item in _iterate_for_unpack(seq):
        if len(items) == n:
            if _UNPACK_SAYS_HOW_MANY and type(seq) in (list, tuple, dict):
                raise ValueError(f"too many values to unpack (expected {n}, got {len(seq)})")
            raise ValueError(f"too many values to unpack (expected {n})")
        items.append(item)
    if len(items) < n:
        raise ValueError(f"not enough values to unpack (expected {n}, got {len(items)})")
    return items


def unpack_ex(seq, before: int, after: int) -> tuple:
    """UNPACK_EX: the first `before` items, a list of the middle ones, the
    last `after` items."""
    items = list(_iterate_for_unpack(seq))
    need = before + after
    if len(items) < need:
        raise ValueError(f"not enough values to unpack (expected at least {need}, "
                         f"got {len(items)})")
    end = len(items) - after
    return (*items[:before], items[before:end], *items[end:])


# -- iteration ---------------------------------------------------------------------------------

def for_iter(iterator):
    """FOR_ITER: the next item, or NULL when the iterator is exhausted."""
    return next(iterator, NULL)


def range_iter(start, stop=NULL, step=NULL):
    """iter(range(start)), iter(range(start, stop)), iter(range(start, stop,
    step))."""
    return iter(range(*(x for x in (start, stop, step) if x is not NULL)))


# -- operators ---------------------------------------------------------------------------------

def number_power(a, b):
    """a ** b (BINARY_OP NB_POWER: PyNumber_Power with a None modulus)."""
    return operator.pow(a, b)


def number_inplace_power(a, b):
    """a **= b (BINARY_OP NB_INPLACE_POWER)."""
    return operator.ipow(a, b)


# -- exceptions -------------------------------------------------------------------------------

def _is_exception_class(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseException)


def _instantiate(obj, message: str) -> BaseException:
    if _is_exception_class(obj):
        value = obj()
        if not isinstance(value, BaseException):
            raise TypeError(f"calling {obj!r} should have returned an instance of "
                            f"BaseException, not {type(value).__name__}")
        return value
    if isinstance(obj, BaseException):
        return obj
    raise TypeError(message)


def raise_exception(exc, cause=NULL):
    """RAISE_VARARGS 1 or 2: raise exc (a class is instantiated) from cause
    (NULL: no `from`; None: `from None`)."""
    value = _instantiate(exc, "exceptions must derive from BaseException")
    if cause is not NULL:
        value.__cause__ = (None if cause is None else
                           _instantiate(cause, "exception causes must derive from BaseException"))
    raise value


def reraise_current(handled):
    """A bare `raise` while `handled` (None: nothing) is being handled."""
    if handled is None:
        raise RuntimeError("No active exception to reraise")
    raise handled


def check_exc_match(exc, match_type) -> bool:
    """CHECK_EXC_MATCH: True if exc matches the except clause's type."""
    classes = match_type if type(match_type) is tuple else (match_type,)
    if not all(_is_exception_class(c) for c in classes):
        raise TypeError("catching classes that do not inherit from BaseException is not allowed")
    return isinstance(exc, match_type)
