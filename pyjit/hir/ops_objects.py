"""HIR object ops: globals, attributes, methods, calls, cells and closures,
function objects and imports.

Each docstring starts with the printed form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ir import Instr, Ownership, hir_op
from .types import CBool, Cell, Code, Func, Object, OptObject, Top


# -- globals -----------------------------------------------------------------


@hir_op
class LoadGlobalCached(Instr):
    """``v:Object = LoadGlobalCached<name>``

    ``globals[name]``, else ``builtins[name]``, else NameError.  The code
    generator caches the result and checks the two dicts' version tags.
    Borrowed from the dict: valid until the next may_call instruction.
    Assumes exact-``str`` keys, so the lookup itself runs no Python code."""

    name: str
    may_raise = True
    ownership_kind = Ownership.BORROWED_VOLATILE


@hir_op
class StoreGlobal(Instr):
    """``StoreGlobal<name> v``: ``globals[name] = v`` (the old value may be
    freed)."""

    name: str
    has_result = False
    may_raise = True
    may_call = True
    has_effects = True
    operand_types = (Object,)


@hir_op
class DeleteGlobal(Instr):
    """``DeleteGlobal<name>``: ``del globals[name]``; NameError if absent."""

    name: str
    has_result = False
    may_raise = True
    may_call = True
    has_effects = True


# -- attributes and methods --------------------------------------------------


@hir_op
class LoadAttrCached(Instr):
    """``v:Object = LoadAttrCached<name> obj``: ``obj.name``
    (``PyObject_GetAttr``); the code generator may inline a type-version
    checked instance-dict load.  New reference."""

    name: str
    may_raise = True
    may_call = True
    held_operands = (0,)
    operand_types = (Object,)


@hir_op
class StoreAttrCached(Instr):
    """``StoreAttrCached<name> obj value``: ``obj.name = value``
    (``PyObject_SetAttr``); value is not stolen, but an owned value whose
    last use this is may be handed over (``consumed``): the store then
    moves that reference into the attribute."""

    name: str
    has_result = False
    may_raise = True
    may_call = True
    has_effects = True
    held_operands = (0, 1)
    consumable = (1,)
    operand_types = (Object, Object)


@hir_op
class DeleteAttr(Instr):
    """``DeleteAttr<name> obj``: ``del obj.name``."""

    name: str
    has_result = False
    may_raise = True
    may_call = True
    has_effects = True
    operand_types = (Object,)


@hir_op
class LoadMethodCached(Instr):
    """``m:OptObject = LoadMethodCached<name> obj``

    Method lookup without creating a bound method (``_PyObject_GetMethod``):
    when ``type(obj)`` has a plain method ``name`` not shadowed by the
    instance, ``m`` is that unbound function and ``GetSecondOutput m`` is
    ``obj``; otherwise ``m`` is NULL and the second output is
    ``obj.name``.  Both outputs are new references (or NULL)."""

    name: str
    result_type = OptObject
    has_second_output = True
    may_raise = True
    may_call = True
    held_operands = (0,)
    operand_types = (Object,)


@hir_op
class GetSecondOutput(Instr):
    """``v:Object = GetSecondOutput m``

    The second result of the two-result instruction defining ``m``
    (LoadMethodCached, BeforeWith, IterSend, IterThrow); it must come right after it on its
    normal path.  A new reference, produced by that instruction."""

    has_effects = True  # claims a reference: never deleted
    operand_types = (Top,)   # an object, or IterSend's CBool


@dataclass(eq=False, repr=False)
class _Call(Instr):
    kwnames: tuple[str, ...] = ()
    may_raise = True
    may_call = True

    def attrs(self) -> list[tuple[str, Any]]:
        return [("kwnames", self.kwnames)] if self.kwnames else []


@hir_op
class VectorCall(_Call):
    """``v:Object = VectorCall callable arg... [<kwnames=('k',)>]``

    ``PyObject_Vectorcall(callable, args, nargs, kwnames)``: the last
    ``len(kwnames)`` operands are keyword arguments.  New reference."""

    operand_types = (Object,)
    extra_operand_type = Object


@hir_op
class VectorCallBool(_Call):
    """``c:CBool = VectorCallBool callable arg... [<kwnames=('k',)>]``

    The truth of ``PyObject_Vectorcall(...)``, whose result it releases: a
    call only tested (the ``truth-tests`` pass makes it of a VectorCall and
    its IsTruthy)."""

    result_type = CBool
    operand_types = (Object,)
    extra_operand_type = Object


@hir_op
class CallMethod(_Call):
    """``v:Object = CallMethod meth self arg...``

    The 3.11 call protocol on the two slots a method load leaves: when
    ``meth`` is NULL, call ``self(arg...)``; otherwise call
    ``meth(self, arg...)``.  kwnames as for VectorCall.  New reference.
    Steals ``meth`` and ``self`` (both new references of the method load):
    the shared call routines release them after the call."""

    steals = (0, 1)
    operand_types = (OptObject, Object)
    extra_operand_type = Object


@hir_op
class CallMethodBool(_Call):
    """``c:CBool = CallMethodBool meth self arg...``

    The truth of what CallMethod would return, which it releases: a method
    call only tested (the ``truth-tests`` pass).  Steals ``meth`` and
    ``self`` as CallMethod does."""

    steals = (0, 1)
    result_type = CBool
    operand_types = (OptObject, Object)
    extra_operand_type = Object


@hir_op
class CallEx(Instr):
    """``v:Object = CallEx func args [kwargs]``: ``func(*args, **kwargs)``
    (``PyObject_Call``, after turning ``args`` into a tuple and ``kwargs``
    into a dict as CPython does).  New reference."""

    may_raise = True
    may_call = True
    operand_types = (Object, Object)
    extra_operand_type = Object
    max_extra_operands = 1


# -- functions, cells and closures ---------------------------------------------


@hir_op
class MakeFunction(Instr):
    """``v:Func = MakeFunction<defaults+closure> code defaults closure``

    A new function object for ``code`` with the enclosing globals
    (``PyFunction_New``); ``parts`` names the optional operands that follow
    ``code``, in order: defaults, kwdefaults, annotations, closure (3.14:
    and annotate, the function computing the annotations)."""

    parts: tuple[str, ...] = ()
    result_type = Func
    may_raise = True
    operand_types = (Code,)
    extra_operand_type = Object
    max_extra_operands = 5

    def attrs(self) -> list[tuple[str, Any]]:
        return [("parts", "+".join(self.parts))] if self.parts else []


@hir_op
class MakeCell(Instr):
    """``v:Cell = MakeCell init``: a new cell holding ``init`` (empty when
    init is NULL): ``PyCell_New``.  New reference."""

    result_type = Cell
    may_raise = True
    operand_types = (OptObject,)


@hir_op
class SyncFrameLocals(Instr):
    """``SyncFrameLocals<slots> value...``: make the function's frame show
    these current values of its local variables (slot i of ``slots`` gets
    value i, NULL meaning unbound), before a call that may read the frame
    (``locals()``, ``sys._getframe()``...; pyjit/cpython/frames.py).  The
    frame's slots own their references: each value is increfed, the old
    one released (which may run ``__del__``).  For the slots in ``cells``
    (parameters captured by a closure) the value is a cell, and the frame
    shows its content: the trampoline's frame holds plain values."""

    slots: tuple[int, ...]
    cells: tuple[int, ...] = ()
    has_result = False
    may_call = True
    has_effects = True
    extra_operand_type = OptObject


@hir_op
class LoadFreeCell(Instr):
    """``v:Cell = LoadFreeCell<index, name>``: cell ``index`` of the running
    function's closure; borrowed for the whole call."""

    index: int
    name: str
    result_type = Cell
    ownership_kind = Ownership.BORROWED


@hir_op
class LoadDeref(Instr):
    """``v:Object = LoadDeref<name> cell``: the cell's contents, a new
    reference; NameError (free variable) or UnboundLocalError (cell
    variable) when empty."""

    name: str
    is_free: bool = False
    may_raise = True
    operand_types = (Cell,)

    def attrs(self) -> list[tuple[str, Any]]:
        return [("name", self.name)]


@hir_op
class StoreDeref(Instr):
    """``StoreDeref<name> cell value``: set the cell's contents (the old
    contents may be freed); value is not stolen."""

    name: str
    has_result = False
    may_call = True
    has_effects = True
    operand_types = (Cell, Object)


@hir_op
class DeleteDeref(Instr):
    """``DeleteDeref<name> cell``: empty the cell; raises when already empty."""

    name: str
    is_free: bool = False
    has_result = False
    may_raise = True
    may_call = True
    has_effects = True
    operand_types = (Cell,)

    def attrs(self) -> list[tuple[str, Any]]:
        return [("name", self.name)]


@hir_op
class SuperNoArgs(Instr):
    """``v:Object = SuperNoArgs<argcount, first_is_cell> class_cell first``:
    ``super()`` without arguments in a method, for the builtin ``super``:
    ``super(__class__, first)`` where ``class_cell`` is the function's
    ``__class__`` cell and ``first`` the value of its first local (NULL when
    deleted; the cell holding it when ``first_is_cell``), with the
    interpreter's RuntimeErrors when either is missing.  New reference."""

    argcount: int
    first_is_cell: bool = False
    may_raise = True
    may_call = True
    operand_types = (Cell, OptObject)


@hir_op
class LoadBuildClass(Instr):
    """``v:Object = LoadBuildClass``: the function's builtins'
    ``__build_class__`` (NameError when it is missing).  New reference."""

    may_raise = True
    may_call = True


# -- imports -------------------------------------------------------------------


@hir_op
class ImportName(Instr):
    """``v:Object = ImportName<name> level fromlist``:
    ``__import__(name, globals, None, fromlist, level)``."""

    name: str
    may_raise = True
    may_call = True
    operand_types = (Object, Object)


@hir_op
class ImportFrom(Instr):
    """``v:Object = ImportFrom<name> module``: ``module.name``, falling back
    to the submodule ``sys.modules[module.__name__ + '.' + name]``;
    ImportError otherwise."""

    name: str
    may_raise = True
    may_call = True
    operand_types = (Object,)


__all__ = [
    "CallEx", "CallMethod", "CallMethodBool", "DeleteAttr", "DeleteDeref", "DeleteGlobal",
    "GetSecondOutput", "ImportFrom", "ImportName", "LoadAttrCached", "LoadBuildClass",
    "LoadDeref", "LoadFreeCell", "LoadGlobalCached", "LoadMethodCached",
    "MakeCell", "MakeFunction", "StoreAttrCached", "StoreDeref",
    "StoreGlobal", "SuperNoArgs", "SyncFrameLocals", "VectorCall", "VectorCallBool",
]
