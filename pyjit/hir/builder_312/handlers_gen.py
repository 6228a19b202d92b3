"""3.12's own handlers of generators and coroutines; the rest are 3.11's
(builder_311/handlers_gen.py, shared through handlers.py).

`yield from x` and `await x` are, in 3.12 bytecode,

    GET_YIELD_FROM_ITER | GET_AWAITABLE     iter
    LOAD_CONST None
    L: SEND exit                            done: push the result, jump (iter kept)
       YIELD_VALUE                          (a throw here goes to C)
       RESUME 2 | 3
       JUMP_BACKWARD_NO_INTERRUPT L
    exit: END_SEND                          pop iter below the result
    ...
    C: CLEANUP_THROW                        [iter, sent, exc]: a StopIteration's
       JUMP_BACKWARD exit                   value goes on at exit, else re-raised

3.11's YIELD_VALUE hands an exception thrown in at such a yield to the
delegate (IterThrow), as gen.throw does, and leaves the loop with what the
delegate returns; what the delegate raises is raised at the yield, and so
reaches CLEANUP_THROW, which re-raises it (or, for a StopIteration that
closing the delegate raised, goes on with its value, as the interpreter
does).
"""

from __future__ import annotations

from ..builder_311.handlers_flow import leaving_by_exception
from ..bytecode_311 import BcInstr
from ..ops_core import CondBranch
from ..ops_exc import CheckExcMatch, Reraise
from ..ops_objects import LoadAttrCached
from .driver import HANDLERS, Builder312


@HANDLERS("END_SEND")
def _end_send(b: Builder312, ins: BcInstr) -> None:
    value = b.pop()
    b.pop()
    b.push(value)


@HANDLERS("CLEANUP_THROW")
def _cleanup_throw(b: Builder312, ins: BcInstr) -> None:
    exc = b.pop()
    b.pop()
    b.pop()
    returned = b.emit(CheckExcMatch([exc, b.const(StopIteration)]))
    done, other = b.func.new_block(), b.func.new_block()
    b.emit(CondBranch([returned], if_true=done, if_false=other))
    b.current = other
    leaving_by_exception(b)
    b.emit(Reraise([exc]))
    b.current = done
    b.push(b.const(None))
    b.push(b.emit(LoadAttrCached([exc], name="value")))
