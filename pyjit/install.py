"""Installing compiled code into live function objects.

A function is redirected by giving it a new `__code__`: a trampoline code
object with the original's parameters, whose only job is to hand their
values to an entry callable and to re-raise what the entry reports,

    def <name>(<the original's parameters>):
        if '__pyjit_entry__' is None:       # never true: the dead branch
            (freevar, ...)                  # keeps the free variables and
            local_1 = local_2 = ... = None  # makes the original's locals
        r = <entry>(param_1, ..., param_n)  # every parameter slot, in order
                                            # (r: the first slot's name)
        if <type>(r) is <Failure>:          # not r.__class__: r's own
                                            # __getattribute__ must not run
            RERAISE (<exc_of>(r), (r := None))[0]   # patched from `raise
                                            # ...`: r cleared, no cycle
        return r                            # exc -> frame

What tools read of a code object stays the original's: the name,
qualified name, file and first line, the parameters (so `inspect.signature`
and argument errors are the original's: the interpreter binds the
arguments, with the function's defaults, before the trampoline runs), and
`co_varnames` (the original's locals come next; the result reuses the
first slot, and only a function without parameters or locals has one more
name), `co_names` (a function's trampoline names nothing itself, so its
names are the original's: `inspect.getclosurevars` reads them; a
generator's or coroutine's has its own names first), `co_argcount`,
`co_posonlyargcount`, `co_kwonlyargcount` and the flags for `*args` and
`**kwargs` are the original's).  The free variables are the original's, so
the function's `__closure__` still fits.

A failed compiled call comes back as a `Failure` (pyjit/cpython/errstate.py)
whose exception was never raised through pyjit's frames; `RERAISE` raises it
from the trampoline's frame without adding a traceback entry for it and
without touching `__context__`, so the traceback the caller sees is the one
compiled code built (`pyjit/cpython/tracebacks.py`: the function at its real
line, then its callees).

The entry callable and the Failure class sit in the trampoline's constants:
the template is compiled with placeholder string constants, then
`code.replace(co_consts=...)` swaps them in.  Every existing reference to
the function object (module globals, class attributes, bound methods)
thereby reaches the entry.

`uninstall` puts the original code back (unless the program has given the
function other code since: a program's `f.__code__ = ...` is kept).  `shadow(func)` is a separate
function object running the original code with the function's globals,
defaults and closure: the way to run the interpreted version while the
trampoline is installed.
"""

from __future__ import annotations

# Bound at import: a program may rebind builtins.len and the like (the call path
# of compiled code must not see that).
from builtins import (
    AssertionError, BaseException, SyntaxWarning, bool, bytearray, bytes, callable, chr, compile,
    id,
    dict, enumerate, exec, isinstance, len, list, min, next, str, tuple, type, zip,
)
import dis
import keyword
import types
import warnings
from typing import Any, Callable

from .cpython.errstate import Failure, failure_exc
from .cpython.helper_ops import ORIGINAL_CODE as _ORIGINAL
from .cpython.helper_ops import installed_original as _installed_original
from .cpython.genbody import END, strip_trampoline_entry

_ENTRY = "__pyjit_entry__"
_FAILURE = "__pyjit_failure__"
_EXC_OF = "__pyjit_exc_of__"
_TYPE = "__pyjit_type__"                # type, a constant (builtins may be rebound)
_STRIP = "__pyjit_strip__"
_BASE = "__pyjit_base_exception__"      # BaseException, a constant (builtins may be rebound)
_END = "__pyjit_end__"
_ITERABLE_COROUTINE = 0x100
_VARARGS, _VARKEYWORDS = 0x04, 0x08
_templates: dict[tuple, types.CodeType] = {}


def parameter_names(code: types.CodeType) -> tuple[str, ...]:
    """The parameter slots of code, in co_varnames order."""
    n = (code.co_argcount + code.co_kwonlyargcount
         + bool(code.co_flags & _VARARGS) + bool(code.co_flags & _VARKEYWORDS))
    return code.co_varnames[:n]


def _source_name(name: str, index: int) -> str:
    """name, or an identifier standing for it in generated source when it is
    none (a compiler's `.0`, an assertion rewriter's `@py_assert1`)."""
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"__pyjit_name_{index}__"


def _parameter_list(code: types.CodeType, names: tuple[str, ...]) -> str:
    """The source of code's parameter list (without defaults), with names
    for its co_varnames.  co_varnames holds the positional parameters, the
    keyword-only ones, then the names of *args and **kwargs."""
    n, k = code.co_argcount, code.co_kwonlyargcount
    parts = list(names[:n])
    if code.co_posonlyargcount:
        parts.insert(code.co_posonlyargcount, "/")
    i = n + k
    if code.co_flags & _VARARGS:
        parts.append("*" + names[i])
        i += 1
    elif k:
        parts.append("*")
    parts += names[n:n + k]
    if code.co_flags & _VARKEYWORDS:
        parts.append("**" + names[i])
    return ", ".join(parts)


def _template(code: types.CodeType, kind: str | None = None) -> types.CodeType:
    """The trampoline code for code's parameters, locals and free variables
    (cached by their shape); kind: "generator" or "coroutine" for the
    trampoline of a compiled generator or coroutine body (module
    docstring), None for a plain function."""
    key = (code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
           code.co_flags & (_VARARGS | _VARKEYWORDS), code.co_varnames, code.co_freevars, kind)
    template = _templates.get(key)
    if template is not None:
        return template
    varnames = tuple(_source_name(n, i) for i, n in enumerate(code.co_varnames))
    freevars = tuple(_source_name(n, len(varnames) + i) for i, n in enumerate(code.co_freevars))
    params = varnames[:len(parameter_names(code))]
    local_names = list(varnames[len(params):])
    # The result goes in a slot the original has (a parameter's value is
    # read once, before the call); only a function with neither parameters
    # nor locals gets a name of its own.
    result = (params + tuple(local_names) or ("__pyjit_result__",))[0]
    cells = "".join(f"    {name} = None\n" for name in freevars)
    dead = f"            ({', '.join(freevars)},)\n" if freevars else ""
    if local_names:
        dead += f"            {' = '.join(local_names)} = None\n"
    # A generator's parameters live in its body's state from the start (the
    # body takes them: hir/ops_gen.py ResumeValue), not in the trampoline's
    # frame, so that rebinding one releases the value as the interpreter does.
    others = [p for p in params if p != result]
    forget = f"            del {', '.join(others)}\n" if others else ""
    if kind is None:
        body = (f"        {result} = {_ENTRY!r}({', '.join(params)})\n"
                f"        if {_TYPE!r}({result}) is {_FAILURE!r}:\n"
                f"            raise ({_EXC_OF!r}({result}), ({result} := None))[0]\n"
                f"        return {result}\n")
    elif kind == "async generator":
        # cpython/genbody.py's AsyncGeneratorBody says why this loop; the
        # dead `yield` makes the trampoline an async generator.
        dead += "            yield\n"
        value = "__pyjit_value__"
        body = (f"        {result} = {_ENTRY!r}({', '.join(params)})\n"
                f"{forget[4:]}"
                "        while True:\n"
                "            try:\n"
                f"                {value} = await {result}\n"
                f"            except {_BASE!r} as {value}:\n"
                f"                raise {_STRIP!r}({value})\n"
                f"            if {value} is {_END!r}:\n"
                "                return\n"
                "            try:\n"
                f"                {value} = yield {value}\n"
                f"            except {_BASE!r} as {value}:\n"
                f"                {result}.throw_next({value})\n"
                "            else:\n"
                f"                {result}.send_next({value})\n")
    else:
        delegate = "await" if kind == "coroutine" else "yield from"
        body = ("        try:\n"
                f"            {result} = {_ENTRY!r}({', '.join(params)})\n"
                f"{forget}"
                f"            return ({delegate} {result})\n"
                f"        except {_BASE!r} as {result}:\n"
                f"            raise {_STRIP!r}({result})\n")
    source = (
        "def _outer():\n"
        f"{cells}"
        f"    {'async ' if kind in ('coroutine', 'async generator') else ''}def _trampoline("
        f"{_parameter_list(code, varnames)}):\n"
        f"        if {_ENTRY!r} is None:\n"
        f"{dead or '            pass' + chr(10)}"
        f"{body}"
        "    return _trampoline\n"
    )
    namespace: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)   # "'str' object is not callable"...
        exec(compile(source, "<pyjit trampoline>", "exec"), namespace)
    template = _on_the_first_line(_reraising(namespace["_outer"]().__code__))
    original = dict(zip(varnames + freevars, code.co_varnames + code.co_freevars))
    template = template.replace(
        co_varnames=tuple(original.get(n, n) for n in template.co_varnames),
        co_freevars=tuple(original.get(n, n) for n in template.co_freevars))
    if template.co_freevars != code.co_freevars or \
            template.co_varnames[:len(code.co_varnames)] != code.co_varnames:
        raise AssertionError(f"trampoline of {code.co_qualname}: free variables "
                             f"{template.co_freevars}, names {template.co_varnames}")
    _templates[key] = template
    return template


def _on_the_first_line(code: types.CodeType) -> types.CodeType:
    """code with every instruction on its first line (the `def` line of the
    function it stands for), not on lines of the template's source, which
    would point into the function's body: a location table (3.11+ format,
    Objects/locations.md) of "no column" entries of up to 8 code units,
    each with line delta 0."""
    units = len(code.co_code) // 2
    table = bytearray()
    while units:
        n = min(units, 8)
        table += bytes((0x80 | (13 << 3) | (n - 1), 0))
        units -= n
    return code.replace(co_linetable=bytes(table))


def _reraising(code: types.CodeType) -> types.CodeType:
    """code with its one `raise X` (RAISE_VARARGS 1) turned into RERAISE 0:
    the same stack effect (one exception popped), but no traceback entry
    for this frame and no implicit chaining."""
    raises = [i for i in dis.get_instructions(code) if i.opname == "RAISE_VARARGS"]
    if len(raises) != 1 or raises[0].arg != 1:
        raise AssertionError(f"trampoline template: expected one `raise X`, got {raises}")
    co_code = bytearray(code.co_code)
    co_code[raises[0].offset] = dis.opmap["RERAISE"]
    co_code[raises[0].offset + 1] = 0
    return code.replace(co_code=bytes(co_code))


def trampoline_code(original: types.CodeType, entry: Callable[..., Any],
                    kind: str | None = None) -> types.CodeType:
    """A trampoline for `original` that calls entry(*parameter slots); kind
    (see `_template`) for a generator or coroutine."""
    template = _template(original, kind)
    swap = {_ENTRY: entry, _FAILURE: Failure, _TYPE: type, _STRIP: strip_trampoline_entry,
            _BASE: BaseException, _END: END, _EXC_OF: failure_exc}
    consts = tuple(swap.get(c, c) if isinstance(c, str) else c for c in template.co_consts)
    return template.replace(
        co_consts=consts, co_names=template.co_names + original.co_names,
        co_name=original.co_name, co_qualname=original.co_qualname,
        co_filename=original.co_filename, co_firstlineno=original.co_firstlineno,
        co_flags=template.co_flags | (original.co_flags & _ITERABLE_COROUTINE))


# id(counted code) -> (counted code, the code it counts calls of): code the
# process-wide modes (pyjit/autojit.py) gave functions; it is not compiled.
_counted: dict[int, tuple[types.CodeType, types.CodeType]] = {}


def register_counted(counted: types.CodeType, code: types.CodeType) -> None:
    """counted is code with a call-counting prologue (pyjit/autojit.py):
    what compiling or shadowing a function with counted code uses is code."""
    _counted[id(counted)] = (counted, code)


def forget_counted(counted: types.CodeType) -> None:
    _counted.pop(id(counted), None)


def is_counted_code(code: types.CodeType) -> bool:
    """Whether code is a counting code register_counted was given."""
    counted = _counted.get(id(code))
    return counted is not None and counted[0] is code


def original_code(func: types.FunctionType) -> types.CodeType:
    """The code func had before any trampoline was installed (with no
    call-counting prologue)."""
    code = _installed_original(func)
    if code is None:
        code = func.__code__
    counted = _counted.get(id(code))
    return counted[1] if counted is not None and counted[0] is code else code


def is_installed(func: types.FunctionType) -> bool:
    return _installed_original(func) is not None


def install(func: types.FunctionType, entry: Callable[..., Any], kind: str | None = None) -> None:
    """Make every call of func go to entry(*parameter slots) (see the
    module docstring: a Failure it returns is re-raised); kind "generator"
    or "coroutine": func is one, and entry returns the delegate of its
    trampoline (pyjit/cpython/genbody.py)."""
    original = original_code(func)
    trampoline = trampoline_code(original, entry, kind)
    func.__code__ = trampoline
    func.__dict__[_ORIGINAL] = (original, id(func), trampoline)


def uninstall(func: types.FunctionType) -> None:
    """Give func its original code back (no-op if nothing is installed, or
    if the program has given func other code since: that code stays; an
    entry copied from another function is dropped)."""
    original = _installed_original(func)
    entry = func.__dict__.pop(_ORIGINAL, None)
    if original is not None and func.__code__ is entry[2]:
        func.__code__ = original


def replace_original(func: types.FunctionType, code: types.CodeType) -> None:
    """The code uninstall will give func back, when a trampoline is
    installed (code must run the same as the one it replaces)."""
    if _installed_original(func) is not None:
        func.__dict__[_ORIGINAL] = (code,) + func.__dict__[_ORIGINAL][1:]


def shadow(func: types.FunctionType) -> types.FunctionType:
    """A function object running func's original code, with func's globals,
    name, defaults, keyword defaults and closure."""
    clone = types.FunctionType(original_code(func), func.__globals__, func.__name__,
                               func.__defaults__, func.__closure__)
    clone.__kwdefaults__ = func.__kwdefaults__
    clone.__qualname__ = func.__qualname__
    return clone


def call_for_trampoline(func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """func(*args, **kwargs) for an entry to return: its result, or a
    Failure with its exception, whose traceback starts at func's own frame
    (this function's entry is dropped: the trampoline re-raises it)."""
    try:
        return func(*args, **kwargs)
    except BaseException as exc:
        tb = exc.__traceback__
        return Failure(exc.with_traceback(tb.tb_next if tb is not None else None))


def split_slots(code: types.CodeType, slots: tuple) -> tuple[tuple, dict]:
    """(positional arguments, keyword arguments) that bind to the parameter
    slots (co_varnames order: positional, keyword-only, *args, **kwargs)."""
    n, k = code.co_argcount, code.co_kwonlyargcount
    args = slots[:n]
    kwargs = dict(zip(code.co_varnames[n:n + k], slots[n:n + k]))
    i = n + k
    if code.co_flags & _VARARGS:
        args = args + tuple(slots[i])
        i += 1
    if code.co_flags & _VARKEYWORDS:
        kwargs.update(slots[i])
    return args, kwargs


def entry_of(func: types.FunctionType) -> Callable | None:
    """The entry callable installed in func, or None."""
    if not is_installed(func):
        return None
    return next((c for c in func.__code__.co_consts
                 if callable(c) and c is not Failure and c is not strip_trampoline_entry), None)
