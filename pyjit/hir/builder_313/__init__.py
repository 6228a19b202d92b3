"""HIR from CPython 3.13 bytecode: the 3.12 builder (`builder_312`, itself
3.11's driver) with 3.13's handler table.

``driver`` (``Builder313``, ``build_function``) and ``handlers`` (the
table: 3.12's handlers for the opcodes 3.13 kept as they were, and 3.13's
own).  Decoding, blocks, exception tables, landings and the FrameState walk
are 3.11's: 3.13 kept the instruction format and the exception table (its
cache sizes are read from `opcode` by name: bytecode_edit.cache_entries).

The call slots.  3.13 puts the NULL of a call above the callable
(``[callable, self_or_NULL]``: ``LOAD_GLOBAL`` with its NULL bit, and
``PUSH_NULL`` after the callable), where 3.11 and 3.12 put it below
(``[meth_or_NULL, self_or_callable]``).  A method load means the same in
both orders when its two values are not NULL (``[meth, self]``), and a call
with neither slot NULL calls the first with the second as its first
argument in both.  The builder keeps the 3.11 order on its abstract stack:
3.13's ``PUSH_NULL`` puts the NULL below the callable on top, and
``LOAD_GLOBAL``, ``LOAD_ATTR`` and ``LOAD_SUPER_ATTR`` (their method forms
push the method load's two outputs, method or NULL first) are 3.12's; so
``CALL`` and ``CALL_FUNCTION_EX`` are 3.12's too.  Only calls read those
slots.

What else 3.13 changed, as the handlers see it: ``CALL_KW`` (the keyword
names are a constant tuple on the stack, 3.12's ``KW_NAMES`` is gone);
``TO_BOOL`` before the conditional jumps and ``UNARY_NOT``, which take an
exact bool; ``COMPARE_OP``'s operator in oparg >> 5 and its bit 4 (16), the
result converted to bool; the superinstructions ``LOAD_FAST_LOAD_FAST``,
``STORE_FAST_LOAD_FAST``, ``STORE_FAST_STORE_FAST`` (two local indices in
the oparg's nibbles); f-string fields as ``CONVERT_VALUE`` then
``FORMAT_SIMPLE`` or ``FORMAT_WITH_SPEC``; ``MAKE_FUNCTION`` without oparg
followed by one ``SET_FUNCTION_ATTRIBUTE`` per part; ``END_FOR`` pops the
NULL standing for the item and the ``POP_TOP`` after it pops the iterator
(the interpreter's ``FOR_ITER`` jumps past both at the end: the builder's
edge carries the same values); ``RESUME``'s location in its oparg's low two
bits, the bit above them set where the exception stack is one deep (the
RESUME after a plain yield outside any try is 5: ``resume_location`` gives
the location to 3.12's YIELD_VALUE, which tells a SEND loop's yield by it);
the handlers of ``with`` and ``except``, and ``CLEANUP_THROW``, go back to
the code after them with ``JUMP_BACKWARD_NO_INTERRUPT``.  Generators,
coroutines, async generators, ``LOAD_SUPER_ATTR`` and ``LOAD_BUILD_CLASS``
are otherwise 3.12's, and so are their handlers.
"""

from . import handlers  # noqa: F401  (fill HANDLERS)
from .driver import HANDLERS, Builder313, build_function

__all__ = ["HANDLERS", "Builder313", "build_function"]
