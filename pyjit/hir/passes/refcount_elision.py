"""Reference-count elision: what refcount-insertion may leave out, proved
before it runs and handed to it in ``func.refcount_hints`` (ir.RefcountHints).

Each pass only records a fact; refcount-insertion reads the facts, so that
switching a pass off (``--disable-pass NAME``) gives the same insertion with
fewer proofs: more Incref/Decref, never fewer.  With all four off, every
value the interpreter's stack would hold a reference to is owned around
each instruction that may run code of the program, as CPython does.

    refcount-frame-values   arguments and constants stay borrowed: the
                            caller holds the arguments and the code object's
                            co_consts the constants for the whole call, and
                            no code of the program can take those references
                            away (a frame's argument slots are not rebound by
                            anyone but the function itself, which is what its
                            KeepAlives track).
    refcount-held-operands  a global (or another volatile borrowed value)
                            used by a cached attribute load, attribute store
                            or method load may be passed to it borrowed: the
                            instruction runs code of the program only on its
                            miss path, a Python helper (cpython/cache_fills.py:
                            load_attr_fill, store_attr_fill,
                            load_method_fill) whose arguments are Python
                            references held until it returns, or, for a
                            store's hit, in the release of the old value,
                            after which it does not touch its operands; and
                            the compiled code does not use the operand
                            after that.  So may a comparison's operands
                            (CompareOp, CompareBool): its routine runs code
                            only on its generic path, which holds both
                            across PyObject_RichCompare.  Only with inline
                            caches on (caches shared or inline): with caches
                            off these are PyObject_GetAttr/SetAttr and
                            PyObject_RichCompare, whose C code holds
                            nothing.
    refcount-consume
                            an operator's owned operand whose last use it is
                            is handed to it (``Instr.consumable``): its
                            routine releases it, or puts the result in its
                            object when nothing else holds it, instead of a
                            Decref after it.
    refcount-immortal       constants whose object is immortal (3.12+: None,
                            True, False, small ints, interned strings,
                            static types) are not counted at all: an Incref
                            or Decref of them changes nothing, and a steal
                            of one needs no reference.  Immortality is
                            permanent while Python code runs.

What is not elided, and why: a global passed to a call (``f(g)``, or the
callable itself) stays owned around the call.  The callee may rebind the
global and drop the dict's reference, which may be the last one; a C
callee (a builtin, PyObject_Vectorcall's target) and a compiled callee
(whose arguments are borrowed, ``LoadArg``) hold no reference of their own.
docs/architecture.md ("Reference-count elision") gives the argument.
"""

from __future__ import annotations

from ...cpython import objects
from ...options import CompileOptions
from ..ir import Function
from .pipeline import Pass, register_pass


@register_pass
class FrameValues(Pass):
    """Arguments and constants are never promoted to owned references."""

    name = "refcount-frame-values"
    summary = "arguments and constants stay borrowed (they live for the call)"

    def run(self, func: Function) -> None:
        func.refcount_hints.frame_values_outlive = True


@register_pass
class HeldOperands(Pass):
    """Volatile values used by an instruction that holds them itself."""

    name = "refcount-held-operands"
    summary = "a global used by a cached attribute load/store or a comparison stays borrowed (caches on)"

    def applies(self, options: CompileOptions) -> bool:
        return options.caches != "off"

    def run(self, func: Function) -> None:
        func.refcount_hints.held_uses |= {i for i in func.instructions() if i.held_operands}


@register_pass
class Immortal(Pass):
    """Constants whose object is immortal are not reference counted."""

    name = "refcount-immortal"
    summary = "no Incref/Decref of immortal constants (3.12+: None, True, small ints...)"

    def run(self, func: Function) -> None:
        func.refcount_hints.immortal |= {
            i.result for i in func.instructions()
            if i.constant and i.result is not None and i.result.type.is_refcounted
            and objects.is_immortal(i.value)}


@register_pass
class ConsumedOperands(Pass):
    """Owned operands an operator uses last are handed to it."""

    name = "refcount-consume"
    summary = "an operator takes over an owned operand it uses last (its box may hold the result)"

    def run(self, func: Function) -> None:
        func.refcount_hints.consume_last_uses = True
