"""pyjit.hir: the high-level IR, built from CPython bytecode.

    build_hir(fn) -> Function          bytecode -> SSA HIR (builder_311)
    run_pipeline(func, names)          passes by name (DEFAULT_PIPELINE)
    format_function(func)              the text form; verify(func)
    opcode_counts(func)                {"LoadAttrCached": 3, ...}
    interp.run(func, fn, *args)        execute it, checking reference counts
    optable.format_op_table()          every op's ownership/may_raise/may_call

Representation
--------------
A ``Function`` holds ``Block``s in layout order, the entry first.  A block
is phis, then body instructions, then one terminator (Branch, CondBranch,
Return, RaiseException, Reraise, ReraiseCurrent).  Instructions are small
dataclasses (``ir.Instr``; one class per op in ``ops_*.py``, each with a
docstring giving its printed form and semantics) with uniform
``operands`` (SSA ``Value``s) and ``result``.  Every op declares:

- ``may_raise``: it can fail, leaving an exception set;
- ``may_call``: it can run arbitrary Python code, so a borrowed reference
  (a global) may die across it;
- ``ownership`` of its result: a new reference, borrowed (for the whole
  call; volatile, until the next may_call; or from an operand, as a tuple
  item from its tuple), or not an object;
- ``steals``: the operands whose reference it consumes, on success and
  failure alike (MakeTuple, MakeList, Return, phis, CheckVar, RefineType,
  PopExcept, RaiseException, Reraise).

Values are real ``PyObject*`` (types ``Object``, ``OptObject`` when NULL is
possible, known exact types like ``Float`` or ``Tuple``) or unboxed
``CInt64``/``CDouble``/``CBool`` (``types.py``).

Exception edges
---------------
Outside a ``try``, a may-raise instruction that fails goes to the
function's error exit: release what is held, return NULL.  Inside a ``try``
(its bytecode offset is covered by ``co_exceptiontable``), the builder gives
the instruction an ``exc_target``: the landing block of its handler, and
makes it end its block (only a ``Branch`` to the normal continuation may
follow it; a raising terminator has no normal successor).  The landing is
an ordinary block whose predecessors are the raising blocks: its phis take
the locals and the handler's part of the value stack *as held at the
raising point* (never the raising instruction's own result), and it starts
with ``FetchException``, which takes the pending exception.  So every pass
sees exception control flow as ordinary edges (``Block.successors()``
includes the exceptional one), and the values live at each failing point
are explicit.

Refcount insertion then records on every may-raise instruction its
``exc_release``: the owned values to release when it fails (those the
handler does not take over).  The code generator emits, for a failure:
release ``exc_release`` (XDecref when the type may be NULL), then jump to
``exc_target`` with its phi moves, or return NULL.  When an exception edge
must also add references (a borrowed argument flowing into a handler phi),
refcount insertion splits it and the new landing block holds the Increfs.

Compiled code never deoptimizes: a guard (``IsType``, the identity check of
the global ``range``) branches to a generic path inside the function.
"""

from . import ops_containers, ops_core, ops_exc, ops_gen, ops_numeric, ops_objects  # noqa: F401  (register ops)
from .build import build_hir, compile_hir
from .errors import CompileRefused, UnsupportedBytecode, UnsupportedFunction, VerifyError
from .ir import OPS, Block, Function, Instr, Ownership, Param, Value
from .passes import DEFAULT_PIPELINE, PASSES, run_pipeline
from .printer import format_function
from .stats import opcode_counts
from .types import Type
from .verifier import verify

__all__ = [
    "Block", "CompileRefused", "DEFAULT_PIPELINE", "Function", "Instr", "OPS", "Ownership",
    "PASSES", "Param", "Type", "UnsupportedBytecode", "UnsupportedFunction", "Value",
    "VerifyError", "build_hir", "compile_hir", "format_function", "opcode_counts",
    "run_pipeline", "verify",
]
