"""Installing compiled code into live function objects.

A function is redirected by giving it a new `__code__`: a trampoline code
object whose only job is to hand its arguments to an entry callable,

    def <name>(*args, **kwargs):
        if kwargs is None:      # never true: keeps the free variables
            (freevar, ...)
        return <entry>(args, kwargs)

The trampoline has the original's free variables (so the function's
`__closure__` still fits) and its name, qualname, file and first line (so
tracebacks and introspection stay readable).  The entry callable sits in the
trampoline's constants: the template is compiled calling a placeholder
string constant, then `code.replace(co_consts=...)` swaps the entry in.
Every existing reference to the function object (module globals, class
attributes, bound methods) thereby reaches the entry.

`uninstall` puts the original code back.  `shadow(func)` is a separate
function object running the original code with the function's globals,
defaults and closure: the way to run the interpreted version while the
trampoline is installed.
"""

from __future__ import annotations

import types
from typing import Any, Callable

_PLACEHOLDER = "__pyjit_entry__"
_ORIGINAL = "__pyjit_original_code__"
_templates: dict[tuple[str, ...], types.CodeType] = {}


def _template(freevars: tuple[str, ...]) -> types.CodeType:
    """The trampoline code for these free variable names (cached)."""
    code = _templates.get(freevars)
    if code is not None:
        return code
    cells = "".join(f"    {name} = None\n" for name in freevars)
    keep = f"            ({', '.join(freevars)},)\n" if freevars else "            pass\n"
    source = (
        "def _outer():\n"
        f"{cells}"
        "    def _trampoline(*args, **kwargs):\n"
        "        if kwargs is None:\n"
        f"{keep}"
        f"        return {_PLACEHOLDER!r}(args, kwargs)\n"
        "    return _trampoline\n"
    )
    namespace: dict[str, Any] = {}
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)   # "'str' object is not callable"
        exec(compile(source, "<pyjit trampoline>", "exec"), namespace)
    code = namespace["_outer"]().__code__
    if code.co_freevars != freevars:
        raise AssertionError(f"trampoline free variables {code.co_freevars} != {freevars}")
    _templates[freevars] = code
    return code


def trampoline_code(original: types.CodeType, entry: Callable[[tuple, dict], Any]) -> types.CodeType:
    """A trampoline for `original` that calls entry(args, kwargs)."""
    template = _template(original.co_freevars)
    consts = tuple(entry if c == _PLACEHOLDER else c for c in template.co_consts)
    return template.replace(
        co_consts=consts, co_name=original.co_name, co_qualname=original.co_qualname,
        co_filename=original.co_filename, co_firstlineno=original.co_firstlineno)


def original_code(func: types.FunctionType) -> types.CodeType:
    """The code func had before any trampoline was installed."""
    return func.__dict__.get(_ORIGINAL, func.__code__)


def is_installed(func: types.FunctionType) -> bool:
    return _ORIGINAL in func.__dict__


def install(func: types.FunctionType, entry: Callable[[tuple, dict], Any]) -> None:
    """Make every call of func go to entry(args, kwargs)."""
    original = original_code(func)
    func.__code__ = trampoline_code(original, entry)
    func.__dict__[_ORIGINAL] = original


def uninstall(func: types.FunctionType) -> None:
    """Give func its original code back (no-op if nothing is installed)."""
    original = func.__dict__.pop(_ORIGINAL, None)
    if original is not None:
        func.__code__ = original


def shadow(func: types.FunctionType) -> types.FunctionType:
    """A function object running func's original code, with func's globals,
    name, defaults, keyword defaults and closure."""
    clone = types.FunctionType(original_code(func), func.__globals__, func.__name__,
                               func.__defaults__, func.__closure__)
    clone.__kwdefaults__ = func.__kwdefaults__
    clone.__qualname__ = func.__qualname__
    return clone


def entry_of(func: types.FunctionType) -> Callable | None:
    """The entry callable installed in func, or None."""
    if not is_installed(func):
        return None
    return next((c for c in func.__code__.co_consts if callable(c)), None)
