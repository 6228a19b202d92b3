"""What the JIT can compile, and why anything else cannot, in one sentence.

    function_of(f)           # the Python function behind f, or None
    not_compilable_reason(len)
    # "len is a built-in function (implemented in C): only functions written
    #  in Python (def or lambda) can be compiled"

Only a Python function (`types.FunctionType`: a `def` or a `lambda` in
Python source) has bytecode to compile.  A method, a static method or a
class method stands for the function it wraps.  Everything else -- a
built-in, a method of a built-in type, a function of a C extension (Cython
included), a `functools.partial`, a class, an instance with `__call__`, a
non-callable -- is described here so that `pyjit.jit.refusal_reason`, the
`pyjit` command's targets and the compiler say why it is not compiled, and
what to compile instead when there is something.
"""

from __future__ import annotations

import functools
import types

# Types implemented in C that stand for C code: nothing to compile.
_C_CALLABLES = (types.BuiltinFunctionType, types.BuiltinMethodType, types.WrapperDescriptorType,
                types.MethodWrapperType, types.MethodDescriptorType,
                types.ClassMethodDescriptorType, types.GetSetDescriptorType,
                types.MemberDescriptorType)


def function_of(obj: object) -> types.FunctionType | None:
    """The Python function obj is or wraps (a bound method's, a static or
    class method's `__func__`), or None."""
    if isinstance(obj, (staticmethod, classmethod, types.MethodType)):
        obj = obj.__func__
    return obj if isinstance(obj, types.FunctionType) else None


def not_compilable_reason(obj: object) -> str | None:
    """None when obj is (or wraps) a Python function, else one sentence
    saying what obj is, why it cannot be compiled, and what to compile
    instead when there is something."""
    if function_of(obj) is not None:
        return None
    if isinstance(obj, (staticmethod, classmethod, types.MethodType)):
        inner = obj.__func__
        return (f"{_name(obj)} is a {type(obj).__name__} whose function, {_name(inner)}, is "
                f"{_what(inner)}: {_ONLY}")
    return f"{_name(obj)} is {_what(obj)}: {_ONLY}"


_ONLY = "only functions written in Python (def or lambda) can be compiled"


def _what(obj: object) -> str:
    """obj described by kind, with what to compile instead where it helps."""
    if isinstance(obj, (types.GetSetDescriptorType, types.MemberDescriptorType)):
        return f"an attribute of the built-in type {obj.__objclass__.__name__} (implemented in C)"
    if isinstance(obj, _C_CALLABLES):
        owner = getattr(obj, "__objclass__", None)
        if isinstance(owner, type):
            return f"a method of the built-in type {owner.__name__} (implemented in C)"
        owner = getattr(obj, "__self__", None)
        if isinstance(owner, type):
            return f"a method implemented in C, bound to the class {owner.__qualname__}"
        if owner is not None and not isinstance(owner, types.ModuleType):
            return (f"a method implemented in C, bound to an object of type "
                    f"{type(owner).__name__}")
        return "a built-in function (implemented in C)"
    if isinstance(obj, functools.partial):
        return (f"a functools.partial (compile the function it wraps, "
                f"{_name(obj.func)}, instead)")
    if isinstance(obj, type):
        methods = [name for name, value in vars(obj).items() if function_of(value) is not None]
        if not methods:
            return "a class with no methods written in Python (implemented in C)"
        example = "__init__" if "__init__" in methods else methods[0]
        return f"a class (compile its methods instead, e.g. {obj.__qualname__}.{example})"
    if isinstance(obj, types.ModuleType):
        return "a module (compile its functions instead)"
    if isinstance(obj, property):
        return "a property (compile its getter, fget, instead)"
    kind = type(obj).__name__
    if "cython" in kind or "cyfunction" in kind:
        return f"a function of a compiled extension module ({kind}, implemented in C)"
    if callable(obj):
        call = getattr(type(obj), "__call__", None)
        if isinstance(call, types.FunctionType):
            return (f"a callable {kind} object (compile its class's method "
                    f"{type(obj).__qualname__}.__call__ instead)")
        return f"a callable {kind} object implemented in C"
    return f"an object of type {kind}, not a function"


def _name(obj: object) -> str:
    """A short name for obj in a message: its qualified name when it has
    one, else a shortened repr."""
    try:
        if isinstance(obj, types.ModuleType):
            return f"module {obj.__name__}"
        if isinstance(obj, functools.partial):
            return f"functools.partial({_name(obj.func)}, ...)"
        qualname = getattr(obj, "__qualname__", None)
        if isinstance(qualname, str):
            return qualname
        text = repr(obj)
    except Exception:  # noqa: BLE001 - an object whose repr fails is still named
        return f"a {type(obj).__name__} object"
    return text if len(text) <= 60 else text[:57] + "..."
