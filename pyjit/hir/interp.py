"""An HIR interpreter with an ownership ledger, for tests.

``run(func, pyfunc, *args, **kwargs)`` executes an HIR ``Function`` on real
Python objects: arguments are bound as the real function would bind them,
globals, builtins and closure cells come from ``pyfunc``, and every op is
implemented with Python's own semantics (``interp_ops.SEMANTICS``).  It
returns the result or raises the exception the function raises.

When the function has been through refcount insertion (or
``check_refcounts=True``) a ``Ledger`` checks the reference counting the
code generator will emit:

- every owned reference is a token held by the SSA value it belongs to: an
  instruction with a NEW result creates one, ``Incref`` adds one, ``Decref``
  releases one, a stolen operand gives one away (on success and on failure
  alike), a phi takes one from its input on the edge;
- releasing a reference a value does not hold is an error naming the
  instruction (a double decref); so is using a value whose references are
  all gone, using a volatile borrowed value (a global) after a may_call
  instruction or passing it to one, and using a value borrowed from a
  tuple once the tuple is released;
- when a value is defined again (the next loop iteration) it must hold no
  reference any more, and when the function returns or raises, every token
  except the returned one must have been released (a leak).

On a failing instruction the interpreter releases its ``exc_release``
values, then goes to its ``exc_target`` (the pending exception is what
``FetchException`` returns) or leaves the function with the exception.
"""

from __future__ import annotations

from types import FunctionType
from typing import Any

from ..cpython.null import NULL as _NULL
from ..cpython.semantics import bind_arguments as _bind_arguments
from .errors import HIRError, InterpError, LedgerError
from .interp_ops import SEMANTICS
from .ir import Block, Function, Instr, Ownership, Value
from .ops_core import Branch, CondBranch, Decref, Incref, Phi, Return, XDecref, XIncref
from .printer import Namer, format_instr


NULL: Any = _NULL     # NULL as the helpers see it too (pyjit/cpython/null.py)


class Ledger:
    """References held by the SSA values of one activation."""

    def __init__(self, describe) -> None:
        self.holds: dict[Value, list[str]] = {}
        self.describe = describe

    def count(self, value: Value) -> int:
        return len(self.holds.get(value, ()))

    def acquire(self, value: Value, origin: str) -> None:
        self.holds.setdefault(value, []).append(origin)

    def release(self, value: Value, where: str) -> None:
        tokens = self.holds.get(value)
        if not tokens:
            raise LedgerError(f"{where}: releases a reference {self.describe(value)} does not hold "
                              "(double release or release of a borrowed reference)")
        tokens.pop()

    def check_redefinition(self, value: Value, where: str) -> None:
        if self.holds.get(value):
            raise LedgerError(f"{where}: {self.describe(value)} is redefined while still holding "
                              f"{len(self.holds[value])} reference(s) (leak)")

    def check_clean(self, where: str) -> None:
        leaks = [f"{self.describe(v)} holds {len(t)} ({'; '.join(t)})"
                 for v, t in self.holds.items() if t]
        if leaks:
            raise LedgerError(f"{where}: references leaked: " + ", ".join(leaks))


def bind_arguments(func: Function, pyfunc: FunctionType, args: tuple, kwargs: dict) -> dict[int, Any]:
    """Parameter slot -> bound value, as calling ``pyfunc`` binds them
    (semantics.bind_arguments, shared with compiled code's bind_args)."""
    code = func.code if func.code is not None else pyfunc.__code__
    slots = _bind_arguments(pyfunc, code, args, kwargs)
    return {p.index: slots[p.index] for p in func.params}


def run(func: Function, pyfunc: FunctionType, *args: Any, check_refcounts: bool | None = None,
        max_steps: int = 5_000_000, **kwargs: Any) -> Any:
    """Execute ``func`` (built from ``pyfunc``) on the arguments."""
    act = Activation(func, pyfunc, bind_arguments(func, pyfunc, args, kwargs),
                     func.refcounted if check_refcounts is None else check_refcounts)
    return act.run(max_steps)


class Activation:
    """One execution of an HIR function."""

    def __init__(self, func: Function, pyfunc: FunctionType, args: dict[int, Any], ledger: bool) -> None:
        self.semantics = SEMANTICS
        self.func = func
        self.globals = pyfunc.__globals__
        self.builtins = pyfunc.__builtins__
        self.closure = pyfunc.__closure__ or ()
        self.args = args
        self.env: dict[Value, Any] = {}
        self.namer = Namer(func)
        self.ledger = Ledger(self.namer.value) if ledger else None
        self.epoch = 0
        self.def_epoch: dict[Value, int] = {}
        self.second: dict[Instr, Any] = {}
        self.pending: BaseException | None = None
        self.handled: BaseException | None = None

    def where(self, instr: Instr) -> str:
        return f"`{format_instr(instr, self.namer)}`"

    # -- values ------------------------------------------------------------
    def tracked(self, value: Value, obj: Any) -> bool:
        return (self.ledger is not None and obj is not NULL and value.type.is_refcounted
                and value not in self.func.refcount_hints.immortal)

    def usable(self, value: Value, user: Instr | None) -> str | None:
        """None when ``value`` may be used by ``user`` now, else why not."""
        obj = self.env[value]
        if not self.tracked(value, obj) or self.ledger.count(value):  # type: ignore[union-attr]
            return None
        defn = value.defn
        kind = defn.ownership if defn is not None else Ownership.BORROWED
        if kind is Ownership.BORROWED:
            return None
        if kind is Ownership.BORROWED_VOLATILE:
            if user is not None and user.may_call and not self.func.refcount_hints.held(user, value):
                return "a volatile borrowed reference is passed to an instruction that may call"
            if self.def_epoch[value] != self.epoch:
                return "a volatile borrowed reference is used after an instruction that may call"
            return None
        if kind is Ownership.BORROWED_FROM:
            source = defn.operands[defn.borrow_source]  # type: ignore[union-attr]
            reason = self.usable(source, None)
            return None if reason is None else f"it is borrowed from {self.namer.value(source)}, and {reason}"
        return "all its references were released"

    def read(self, value: Value, user: Instr) -> Any:
        if value not in self.env:
            raise InterpError(f"{self.where(user)}: {self.namer.value(value)} is not defined")
        reason = self.usable(value, user)
        if reason is not None:
            raise LedgerError(f"{self.where(user)}: uses {self.namer.value(value)} but {reason}")
        return self.env[value]

    def define(self, instr: Instr, obj: Any) -> None:
        value = instr.result
        assert value is not None
        if self.ledger is not None:
            self.ledger.check_redefinition(value, self.where(instr))
        self.env[value] = obj
        self.def_epoch[value] = self.epoch
        if instr.ownership is Ownership.NEW and self.tracked(value, obj):
            self.ledger.acquire(value, f"from {self.where(instr)}")  # type: ignore[union-attr]

    def give_away(self, instr: Instr, value: Value, obj: Any, why: str) -> None:
        if self.tracked(value, obj):
            self.ledger.release(value, f"{self.where(instr)} ({why})")  # type: ignore[union-attr]

    # -- execution -----------------------------------------------------------
    def run(self, max_steps: int) -> Any:
        block, pred = self.func.entry, None
        steps = 0
        while True:
            if pred is not None:
                self.enter(block, pred)
            for instr in block.instrs[len(block.phis):]:
                steps += 1
                if steps > max_steps:
                    raise InterpError(f"more than {max_steps} steps")
                outcome = self.execute(instr)
                if outcome is not None:
                    if isinstance(outcome, _Returned):
                        return outcome.value
                    block, pred = outcome, block
                    break
            else:
                raise InterpError(f"fell off the end of {self.namer.block(block)}")

    def enter(self, block: Block, pred: Block) -> None:
        """Take the phis' inputs from the edge pred -> block, all at once."""
        phis = block.phis
        inputs = []
        for phi in phis:
            assert isinstance(phi, Phi)
            if pred not in phi.preds:
                raise InterpError(f"{self.where(phi)}: no input for predecessor {self.namer.block(pred)}")
            value = phi.input_for(pred)
            inputs.append((value, self.read(value, phi)))
        for phi, (value, obj) in zip(phis, inputs):
            self.give_away(phi, value, obj, "phi input")
        for phi, (_, obj) in zip(phis, inputs):
            self.define(phi, obj)

    def execute(self, instr: Instr) -> Block | _Returned | None:
        kind = type(instr)
        if kind in _RELEASE_OPS:  # the ledger reports a release of nothing held
            value = instr.operands[0]
            if value not in self.env:
                raise InterpError(f"{self.where(instr)}: {self.namer.value(value)} is not defined")
            self.refcount_op(instr, self.env[value])
            return None
        vals = [self.read(v, instr) for v in instr.operands]
        if kind in _REFCOUNT_OPS:
            self.refcount_op(instr, vals[0])
            return None
        if kind is Branch:
            return instr.target  # type: ignore[attr-defined]
        if kind is CondBranch:
            return instr.if_true if vals[0] else instr.if_false  # type: ignore[attr-defined]
        if kind is Return:
            self.give_away(instr, instr.operands[0], vals[0], "returned")
            if self.ledger is not None:
                self.ledger.check_clean(f"return at {self.where(instr)}")
            return _Returned(vals[0])
        try:
            result = self.semantics[kind](self, instr, vals)
        except HIRError:
            raise
        except BaseException as exc:  # the operation raised: the HIR exception path
            self.steal(instr, vals)
            return self.fail(instr, exc)
        self.steal(instr, vals)
        if instr.may_call:
            self.epoch += 1
        if instr.result is not None:
            self.define(instr, result)
        return None

    def steal(self, instr: Instr, vals: list[Any]) -> None:
        for i in instr.stolen_indices():
            self.give_away(instr, instr.operands[i], vals[i], "stolen")

    def refcount_op(self, instr: Instr, obj: Any) -> None:
        value = instr.operands[0]
        if obj is NULL:
            if isinstance(instr, (Incref, Decref)):
                raise InterpError(f"{self.where(instr)}: {self.namer.value(value)} is NULL")
            return
        if self.ledger is None:
            return
        if isinstance(instr, (Incref, XIncref)):
            self.ledger.acquire(value, f"from {self.where(instr)}")
        else:
            self.ledger.release(value, self.where(instr))
            self.epoch += 1

    def fail(self, instr: Instr, exc: BaseException) -> Block:
        """Release what the failing instruction says, then go to its handler
        or leave the function with ``exc``."""
        if not instr.may_raise:
            raise InterpError(f"{self.where(instr)} cannot raise, but raised {exc!r}") from exc
        for value in instr.exc_release or []:
            obj = self.env.get(value, NULL)
            if obj is not NULL and self.ledger is not None:
                self.ledger.release(value, f"release list of {self.where(instr)}")
        if instr.exc_target is not None:
            self.pending = exc
            return instr.exc_target
        if self.ledger is not None:
            self.ledger.check_clean(f"error exit at {self.where(instr)}")
        raise exc


class _Returned:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


_REFCOUNT_OPS = (Incref, XIncref, Decref, XDecref)
_RELEASE_OPS = (Decref, XDecref)
CORE_OPS = frozenset({Incref, XIncref, Decref, XDecref, Branch, CondBranch, Return, Phi})
