"""HIR from CPython 3.12 bytecode: the 3.11 builder (`builder_311`) with
3.12's handler table.

``driver`` (``Builder312``, ``build_function``, the generator's
StopIteration handler left out), ``handlers`` (the table: 3.11's handlers
for the opcodes 3.12 kept as they were, and 3.12's own) and
``handlers_gen`` (3.12's END_SEND and CLEANUP_THROW). Decoding, blocks,
exception tables, landings and the FrameState walk are 3.11's: 3.12 kept
the instruction format, inline caches, the exception table and the call
slots' order.

What 3.12 changed, as the handlers see it: ``CALL`` without ``PRECALL``
(the slots ``[meth_or_NULL, self_or_callable]`` are 3.11's); ``LOAD_ATTR``
with the method bit (3.11's ``LOAD_METHOD``); ``LOAD_SUPER_ATTR`` (the
two-argument form becomes the call of ``super`` and the attribute or method
load, the zero-argument form 3.11's ``super()``); ``RETURN_CONST``;
``FOR_ITER`` ends at its ``END_FOR``, which pops the iterator and a NULL
standing for the item; ``POP_JUMP_IF_*`` without direction;
``BINARY_SLICE``/``STORE_SLICE``; ``CALL_INTRINSIC_1`` for ``+x`` and
list-to-tuple; ``LOAD_FAST_CHECK`` and, for inlined comprehensions,
``LOAD_FAST_AND_CLEAR`` (the outer value, possibly NULL, moves to the stack
and comes back with ``STORE_FAST``); ``COMPARE_OP``'s operator in the
oparg's high bits; generators: a SEND loop ends at ``END_SEND`` (the
delegate still on the stack), a throw its delegate raises reaches
``CLEANUP_THROW``, the async generator's wrap is an intrinsic, and the
whole body sits in a handler turning StopIteration into RuntimeError, which
the generator driver does instead.
"""

from . import handlers, handlers_gen  # noqa: F401  (fill HANDLERS)
from .driver import HANDLERS, Builder312, build_function

__all__ = ["HANDLERS", "Builder312", "build_function"]
