"""HIR from CPython 3.14 bytecode: the 3.13 builder (`builder_313`, itself
3.12's and 3.11's driver) with 3.14's handler table.

``driver`` (``Builder314``, ``build_function``, 3.14's refusals) and
``handlers`` (the table: 3.13's handlers for the opcodes 3.14 kept as they
were, and 3.14's own).  Decoding, blocks, exception tables, landings and
the FrameState walk are 3.11's: 3.14 kept the instruction format and the
exception table; its cache sizes are read from `opcode` by name
(bytecode_edit.cache_entries), so ``JUMP_BACKWARD``'s new cache entry
needs nothing here.  The call slots are kept in 3.11's order on the
abstract stack, as 3.13's builder does (its docstring says why).

What 3.14 changed, as the handlers see it:

- ``LOAD_FAST_BORROW`` and ``LOAD_FAST_BORROW_LOAD_FAST_BORROW`` push a
  local without a reference of its own (the interpreter's stack ref is
  tagged).  The HIR's values are SSA and reference counts are inserted
  after building (passes/refcount), from what each op consumes: a borrowed
  load is an ordinary load there, which is what ``LOAD_FAST`` was, and
  what the interpreter may borrow the HIR counts no worse.
- ``LOAD_SMALL_INT`` (the int in the oparg), ``LOAD_COMMON_CONSTANT``
  (``AssertionError``, ``NotImplementedError``, ``tuple``, ``all``,
  ``any``: what 3.13's ``LOAD_ASSERTION_ERROR`` did for the first),
  ``NOT_TAKEN`` (a no-op the interpreter's branch monitoring needs),
  ``POP_ITER`` (pops a finished loop's iterator; ``FOR_ITER``'s exit edge
  still carries the iterator and a NULL for ``END_FOR``, as 3.13's does).
- ``BINARY_OP`` subscripts too (oparg ``SUBSCR``): ``BINARY_SUBSCR`` is
  gone.
- ``with``: the context manager's ``__exit__`` and ``__enter__`` are two
  ``LOAD_SPECIAL``s, each pushing the method and its self (or the bound
  attribute and NULL), ``BEFORE_WITH`` is gone.  The builder pushes a
  ``LoadSpecial`` (the method bound to the manager) with NULL for the self
  slot, in 3.11's order, so ``CALL`` calls it, and ``WITH_EXCEPT_START``
  (exit, its self slot, lasti, the previous exception, the exception)
  finds the bound ``__exit__`` where 3.11's handler reads it.
- ``CALL_FUNCTION_EX`` has no oparg: the keyword mapping is always on the
  stack, NULL (a ``PUSH_NULL``) when the call has none.
- ``SET_FUNCTION_ATTRIBUTE`` 0x10 sets the ``__annotate__`` function of
  3.14's lazy annotations.
- ``PUSH_NULL`` right before ``CALL_FUNCTION_EX`` is the missing keyword
  mapping, pushed on top (3.13's handler puts a call's NULL below the
  callable).
- A frame's slots are cleared last first (``_PyFrame_ClearLocals``): the
  locals the function still holds when it ends are released in that order,
  so finalizers run in the interpreter's order.

- Template strings: ``BUILD_INTERPOLATION`` is a call of
  ``string.templatelib.Interpolation``, ``BUILD_TEMPLATE`` a call of
  ``Template`` with the constant strings and the interpolations the
  function built, interleaved (other shapes are refused).

- Generators, coroutines, async generators and generator expressions are
  3.13's bytecode, and 3.13's handlers build their bodies (3.12's and
  3.11's, see builder_313), but for two details: ``async with`` enters with
  two ``LOAD_SPECIAL``s as ``with`` does (``BEFORE_ASYNC_WITH`` is gone),
  its exit called with the manager as its self; and ``END_ASYNC_FOR`` has
  an oparg that only tells monitoring where the loop's step is (``dis``
  lists it as a jump; bytecode_311 does not take it for one).
  Zero-argument ``super()`` (``LOAD_SUPER_ATTR``) and ``LOAD_BUILD_CLASS``
  are 3.13's.

Refused in one sentence each: class bodies, ``except*`` and ``match``: the
table has no handler for their opcodes.
"""

from . import handlers  # noqa: F401  (fill HANDLERS)
from .driver import HANDLERS, Builder314, build_function

__all__ = ["HANDLERS", "Builder314", "build_function"]
