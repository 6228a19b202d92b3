"""HIR from CPython 3.11 bytecode, by abstract interpretation.

Modules: ``driver`` (the walk, blocks and edges, landings, the handler
table), ``handlers_values`` (stack, locals, globals, attributes, operators,
containers), ``handlers_flow`` (calls, iteration, jumps, exceptions,
``with``); ``bytecode_311`` (beside this package) decodes.

The builder walks the reachable bytecode blocks in offset order with a
``FrameState`` (the SSA value of every local slot and stack slot) and
translates each instruction through ``HANDLERS``, a table from opcode name
to handler function (duplicates are rejected).  An opcode without a handler
raises ``UnsupportedBytecode`` naming it, its line and the function.
Generators, coroutines and async generators are built as bodies resumed
at their yields (``resume.py``, ``handlers_gen.py``; hir/ops_gen.py).

Joins and loop headers get a phi per slot (``ssa.FrameBuilder``); a
may-raise instruction inside a ``try`` region (its offset is covered by the
exception table) gets an exception edge to its handler's landing block,
which takes the pending exception (``FetchException``) and pushes it, after
a ``None`` standing for ``lasti`` when the entry asks for one, on the
handler's stack prefix.

3.11 specifics handled here: the two call slots ``[meth_or_NULL,
self_or_callable]`` left by ``LOAD_METHOD``, ``LOAD_GLOBAL`` (with its
NULL bit) and ``PUSH_NULL`` (``PRECALL`` is a no-op, ``KW_NAMES`` names the
next ``CALL``'s keyword arguments); ``MAKE_CELL``/``COPY_FREE_VARS`` before
``RESUME``; locals are read with a check for NULL (``CheckVar``) unless the
slot is known bound.  ``for x in range(...)`` over the global ``range``
becomes a guarded ``RangeIter`` with the generic call and ``GetIter`` as
the fallback path.
"""

from . import handlers_flow, handlers_gen, handlers_values  # noqa: F401  (fill HANDLERS)
from .driver import HANDLERS, Builder311, HandlerTable, build_function, function_params, local_names

__all__ = ["HANDLERS", "Builder311", "HandlerTable", "build_function", "function_params", "local_names"]
