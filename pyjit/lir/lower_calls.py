"""Calls: VectorCall and CallMethod, with direct calls between compiled
functions.

Both ops end in one vectorcall, `callee(args, nargsf, kwnames)` on an
argument array in the scratch area whose slot 0 stays free (so
PY_VECTORCALL_ARGUMENTS_OFFSET may be set).  A compiled function has that
very signature (the runtime ABI), and so does PyObject_Vectorcall: a call
site only has to choose the address it calls, through its CallCell
(pyjit/cpython/cells.py states the invariants):

    callee == an entry's callee ? target = its target           (hot)
    else cell.megamorphic ?       target = cell.megamorphic
    else                          target = call_cell_fill(cell, callee,
                                                          &PyObject_Vectorcall)
    sp below the stack limit ?    target = &PyObject_Vectorcall
    result = target(callee, args, nargsf, kwnames)   (a compiled target's
             call counted against the interpreter's recursion limit)

`target` is the callee's compiled entry when the callee is a function
compiled in the same engine, else PyObject_Vectorcall (a helper trap under
Unicorn).  A compiled callee called with keywords or another argument count
binds its arguments on its own cold entry path.

The options' `direct_calls` (PYJIT_DIRECT_CALLS by default) chooses how:
- "shared" (default): the site calls the shared `pyjit_call_cached` routine
  (pyjit/cpython/routines.py) with the cell in x4; the routine calls the
  target (a compiled callee counted against the recursion limit; a tail
  branch to PyObject_Vectorcall, which counts its own frames).  A site
  costs one instruction and one literal more than a helper call;
- "inline": the selection above is emitted at the site, which then calls
  the chosen target through the shared `pyjit_call_target` routine (the
  stack limit and the recursion count);
- "off": every call goes to PyObject_Vectorcall.

Sites whose callee is known at compile time not to be a Python function (a
global or module attribute bound to a builtin or a class now, as
`math.sqrt` or `len`) keep the plain helper call: no cell, no extra code.
A few builtins have a routine with the vectorcall's signature that does the
common case without a helper call and otherwise tail-branches to
PyObject_Vectorcall (`INTRINSICS`; the routine checks that the callable
still is that builtin): `isinstance(obj, cls)` -> `pyjit_isinstance`,
`len(obj)` -> `pyjit_len`, `math.sqrt(x)` -> `pyjit_sqrt`.
"""

from __future__ import annotations

import math
import types

from ..cpython import cells as caches
from ..cpython.routines import CALL_TARGET
from ..hir import ops_core as K
from ..hir.ir import Ownership
from ..hir import ops_objects as O
from . import ir
from . import lower_caches as cached
from .ir import VReg
from .lower_ops import _ops, helper_op
from .lowering import PY_VECTORCALL_ARGUMENTS_OFFSET, FunctionLowering, lowers

L = FunctionLowering
GENERIC = "PyObject_Vectorcall"

# builtin -> (positional argument count, the routine calling it, the routine
# answering the truth of the call's result instead: VectorCallBool)
INTRINSICS = {isinstance: (2, "pyjit_isinstance", "pyjit_isinstance_bool"),
              len: (1, "pyjit_len", None), math.sqrt: (1, "pyjit_sqrt", None)}


def _intrinsic(lw: L, callee_now, nargs: int, kwnames, truth: bool = False) -> str | None:
    """The routine for a call of callee_now with nargs positional arguments
    and kwnames (truth: for the truth of its result), or None (always None
    when caches are off: generic helpers only)."""
    if lw.options.caches == "off":
        return None
    try:
        count, routine, truth_routine = INTRINSICS.get(callee_now, (None, None, None))
    except TypeError:              # an unhashable callee
        return None
    if count != nargs or kwnames:
        return None
    return truth_routine if truth else routine


@lowers(O.VectorCall)
def _vector_call(lw: L, instr: O.VectorCall) -> None:
    _vector_call_to(lw, instr, lw.vreg(instr.result))


@lowers(O.VectorCallBool)
def _vector_call_bool(lw: L, instr: O.VectorCallBool) -> None:
    """The truth of a call's result (1, 0 or -1), the result released:
    one call of the intrinsic's truth routine (`pyjit_isinstance_bool`),
    else the call, then `pyjit_is_true_release` on its result."""
    truth = lw.vreg(instr.result)
    if _vector_call_to(lw, instr, truth, truth=True):
        result = lw.new()
        _vector_call_to(lw, instr, result)
        lw.call_routine("pyjit_is_true_release", [result], truth)
    lw.check(instr, "PyObject_IsTrue", truth)


def _vector_call_to(lw: L, instr, dst: VReg, truth: bool = False) -> bool:
    """dst = the call instr makes; with truth, only when an intrinsic's
    truth routine answers (then checked by the caller): True when it has
    none (nothing emitted)."""
    callee_now = cached.compile_time_value(lw, instr.operands[0])
    nargs = len(instr.operands) - 1 - len(instr.kwnames)
    intrinsic = _intrinsic(lw, callee_now, nargs, instr.kwnames, truth)
    if truth and intrinsic is None:
        return True
    callable_, *args = _ops(lw, instr)
    argp = lw.store_array(args, first_slot=1)
    kw = lw.const(instr.kwnames) if instr.kwnames else lw.imm(0)
    nargsf = lw.imm(nargs | PY_VECTORCALL_ARGUMENTS_OFFSET)
    if truth:
        lw.call_routine(intrinsic, [callable_, argp, nargsf, kw], dst)
        return False
    vectorcall(lw, instr, callable_, argp, nargsf, kw, _may_be_compiled(callee_now), intrinsic,
               dst=dst)
    return False


@lowers(O.CallMethod)
def _call_method(lw: L, instr: O.CallMethod) -> None:
    """meth NULL: self(args...), else meth(self, args...), both from one
    array [_, self, args...]: the shared `pyjit_call_method` routine (a
    cell's direct call) or `pyjit_vectorcall_method` (no cell) takes meth
    and the array from self on and does the choosing; with inline direct
    calls, or caches off, the site does."""
    load = instr.operands[0].defn
    if isinstance(load, O.LoadMethodCached) and cached.fused_call(lw, load) is instr:
        _call_loaded_method(lw, instr, load, lw.vreg(instr.result), "pyjit_call_method_cached0")
        lw.check(instr, GENERIC, lw.vreg(instr.result))
        return
    _call_method_to(lw, instr, lw.vreg(instr.result))


@lowers(O.CallMethodBool)
def _call_method_bool(lw: L, instr: O.CallMethodBool) -> None:
    """The truth of the call's result (1, 0 or -1), the result released:
    one call of `pyjit_call_method_cached_bool0` for a method load and its
    call, else the call, then `pyjit_is_true_release` on its result."""
    load, truth = instr.operands[0].defn, lw.vreg(instr.result)
    if isinstance(load, O.LoadMethodCached) and cached.fused_call(lw, load) is instr:
        _call_loaded_method(lw, instr, load, truth, "pyjit_call_method_cached_bool0")
    else:
        result = lw.new()
        _call_method_to(lw, instr, result)
        lw.call_routine("pyjit_is_true_release", [result], truth)
    lw.check(instr, "PyObject_IsTrue", truth)


def _call_method_to(lw: L, instr, dst: VReg) -> None:
    """CallMethod's call (not fused with its load), its result in dst."""
    meth, self_, *args = _ops(lw, instr)
    nargs = len(args) - len(instr.kwnames)
    area = lw.area(2 + len(args))
    for i, v in enumerate([self_] + args):
        lw.emit(ir.Store(v, area, 8 * (1 + i)))
    now = _method_now(lw, instr)
    intrinsic = (_intrinsic(lw, now, nargs, instr.kwnames)
                 if isinstance(instr.operands[0].defn, K.LoadNull) else None)
    how, direct = lw.options.direct_calls, _may_be_compiled(now)
    if intrinsic is None and lw.options.caches != "off" and (how == "shared" or not direct
                                                             or how == "off"):
        # The routine chooses between the two forms itself.
        argp = lw.new()
        lw.emit(ir.AreaAddr(argp, area, 8))
        args = [meth, argp, lw.imm(nargs + 1)]
        if how == "shared" and direct:
            routine = "pyjit_call_method"
            cell = cached.cell_ref(lw, caches.CallCell(f"{lw.f.name}:{instr.lineno}"))
        else:
            routine, cell = "pyjit_vectorcall_method", None
        if instr.kwnames:
            args.append(lw.const(instr.kwnames))
        else:
            routine += "0"                  # the entry that sets kwnames to NULL
        lw.call_routine(routine, args, dst, word=cell)     # (the routine reads the cell)
        lw.check(instr, GENERIC, dst)           # the routine released meth and self
        return
    callee, argp, n = lw.new(), lw.new(), lw.new()
    with_meth, without, call = lw.f.new_block(), lw.f.new_block(), lw.f.new_block()
    lw.emit(ir.BranchZero(meth, without, with_meth))
    lw.cur = with_meth
    lw.emit(ir.Move(callee, meth))
    lw.emit(ir.AreaAddr(argp, area, 8))
    lw.emit(ir.LoadImm(n, nargs + 1))
    lw.emit(ir.Jump(call))
    lw.cur = without
    lw.emit(ir.Move(callee, self_))
    lw.emit(ir.AreaAddr(argp, area, 16))
    lw.emit(ir.LoadImm(n, nargs | PY_VECTORCALL_ARGUMENTS_OFFSET))
    lw.emit(ir.Jump(call))
    lw.cur = call
    kw = lw.const(instr.kwnames) if instr.kwnames else lw.imm(0)
    vectorcall(lw, instr, callee, argp, n, kw, _may_be_compiled(now), intrinsic, dst=dst)


def _call_loaded_method(lw: L, instr, load: O.LoadMethodCached, dst: VReg,
                        routine: str) -> None:
    """dst = obj.name(args...) as one call of `pyjit_call_method_cached0`
    (or its truth: `..._bool0`), which finds the method (the MethodCell)
    and calls it with [obj, args...], the site's CallCell right after the
    MethodCell in memory.  obj counted by the routine for the call unless it
    outlives the call anyway (_SELF_OUTLIVES_CALL; else METHOD_HOLD_SELF in
    the count).  The caller checks dst."""
    obj = lw.vreg(load.operands[0])
    args = [lw.vreg(v) for v in instr.operands[2:]]
    area = lw.area(2 + len(args))
    for i, v in enumerate([obj] + args):
        lw.emit(ir.Store(v, area, 8 * (1 + i)))
    argp = lw.new()
    lw.emit(ir.AreaAddr(argp, area, 8))
    method_cell, call_cell = caches.method_call_cells(load.name, f"{lw.f.name}:{instr.lineno}")
    lw.keep(call_cell)                      # (found by the routine after the method cell)
    count = len(args) + 1
    if load.operands[0].defn.ownership not in _SELF_OUTLIVES_CALL:
        count |= caches.METHOD_HOLD_SELF    # (the routine holds self for the call)
    lw.call_routine(routine, [argp, lw.imm(count)], dst,
                    word=cached.cell_ref(lw, method_cell), args_from=1)


# Receivers that outlive a fused method call without a count of the
# routine's: an owned value (its release comes after the fused instruction:
# nothing stands between the load and the call) and one borrowed for the
# whole call (an argument, a constant, a closure cell, True/False).  A global
# passed borrowed (refcount-held-operands) or an item borrowed from another
# object is held by the routine: the method may drop the last reference.
_SELF_OUTLIVES_CALL = (Ownership.NEW, Ownership.BORROWED)


def _method_now(lw: L, instr: O.CallMethod):
    """What a CallMethod would call right now, when that is known: a
    global (meth NULL, self the callable), or a module global's attribute
    (LoadMethod leaves (NULL, attribute) for modules)."""
    defn = instr.operands[0].defn
    if isinstance(defn, K.LoadNull):
        return cached.compile_time_value(lw, instr.operands[1])
    if not isinstance(defn, O.LoadMethodCached):
        return cached.UNKNOWN
    module = cached.compile_time_value(lw, defn.operands[0])
    if type(module) is not types.ModuleType:
        return cached.UNKNOWN
    return vars(module).get(defn.name, cached.UNKNOWN)


def _may_be_compiled(callee_now) -> bool:
    """Whether a call of callee_now may go to compiled code: a Python
    function, or a class whose compiled __init__ the call routine may call
    (cells.INSTANCE)."""
    return (callee_now is cached.UNKNOWN or type(callee_now) is types.FunctionType
            or type(callee_now) is type and caches.instance_init(callee_now) is not None)


def vectorcall(lw: L, instr, callee: VReg, argp: VReg, nargsf: VReg, kw: VReg,
               direct: bool, intrinsic: str | None = None, dst: VReg | None = None) -> None:
    """instr's result (or dst) = callee(argp[0:n], nargsf, kw), through the
    intrinsic routine when there is one, else a CallCell when direct (see
    the module docstring), else PyObject_Vectorcall."""
    how = lw.options.direct_calls
    if intrinsic is None and (how == "off" or not direct):
        helper_op(lw, instr, GENERIC, [callee, argp, nargsf, kw], dst=dst)
        return
    result = lw.vreg(instr.result) if dst is None else dst
    if intrinsic is not None:
        lw.call_routine(intrinsic, [callee, argp, nargsf, kw], result)
    elif how == "shared":
        cell = cached.cell_ref(lw, caches.CallCell(f"{lw.f.name}:{instr.lineno}"))
        lw.call_routine("pyjit_call_cached", [callee, argp, nargsf, kw], result, word=cell)
    else:
        cell = cached.cell_address(lw, caches.CallCell(f"{lw.f.name}:{instr.lineno}",
                                                       instances=False))
        target = _select_target(lw, cell, callee)
        lw.call_routine(CALL_TARGET, [callee, argp, nargsf, kw, target], result)
    lw.check(instr, GENERIC, result, lw.stolen_operands(instr))


def _select_target(lw: L, cell: VReg, callee: VReg) -> VReg:
    """The inline form of pyjit_call_cached's choice: a vreg holding the
    address to call (the site then calls it through pyjit_call_target,
    which does the stack limit check and the recursion count)."""
    C = caches.CallCell
    target = lw.new()
    miss, fill = lw.f.new_block(cold=True), lw.f.new_block(cold=True)
    go = lw.f.new_block()
    entry = cached.find_entry(lw, callee, cell, C, miss)
    lw.emit(ir.Load(target, entry, C.TARGET))
    lw.emit(ir.Jump(go))
    lw.cur = miss
    lw.emit(ir.Load(target, cell, C.MEGAMORPHIC))
    lw.emit(ir.BranchZero(target, fill, go))
    lw.cur = fill
    generic = lw.new()
    lw.emit(ir.LoadSymbol(generic, GENERIC))
    lw.call("call_cell_fill", [cell, callee, generic], target)
    lw.emit(ir.Jump(go))
    lw.cur = go
    return target
