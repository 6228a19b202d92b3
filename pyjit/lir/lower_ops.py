"""The lowering of each HIR op to LIR: `LOWERINGS[op class](lowering, instr)`.

Three kinds:
- inline: control flow, constants, reference counting, identity and type
  tests, truthiness of True/False/None, tuple items, unboxed floats;
- one helper call: `_HELPER_OPS` lists op -> helper and how the operands
  and attributes become arguments; the failure check and the release of
  operands the op steals (where the helper borrows) are generic;
- a helper call around the scratch area: ops with two results, iteration.

Inline caches (globals, attributes, methods) and the int compare / list
subscript fast paths are in lower_caches.py, calls in lower_calls.py; all
three register into lowering.py's table, and lower.py imports them.

A test asserts every registered HIR op has a lowering.
"""

from __future__ import annotations

from typing import Callable

from ..cpython import layout, opcodes
from ..cpython.helpers import BINARY_OP_HELPERS, HELPERS
from ..cpython.interpreter import EVAL_BREAKER_SYMBOL
from ..cpython.routines import EVAL_BREAKER, FOR_ITER
from ..cpython.semantics import CONVERSIONS
from ..hir import ops_containers as C
from ..hir import ops_core as K
from ..hir import ops_exc as E
from ..hir import ops_numeric as N
from ..hir import ops_objects as O
from ..hir import types as T
from ..hir.ir import Instr
from . import ir
from .ir import FP
from .lowering import FunctionLowering, LoweringError, lowers

L = FunctionLowering


def _ops(lw: L, instr: Instr) -> list:
    return [lw.vreg(v) for v in instr.operands]


def _null_or(lw: L, values: list, i: int):
    return values[i] if i < len(values) else lw.imm(0)


# -- the generic helper call ----------------------------------------------------------

def helper_op(lw: L, instr: Instr, helper: str, args: list,
              helper_steals: bool = False, dst: ir.VReg | None = None) -> ir.VReg | None:
    """Call helper(args) for instr: its result (if instr has one) in instr's
    vreg (or dst), operands instr steals released after the call unless the
    helper steals them itself (helper_steals), then the failure check."""
    h = HELPERS[helper]
    if dst is None:
        dst = lw.vreg(instr.result) if instr.result is not None and h.result != "void" else None
    result = lw.call(helper, args, dst, value=dst is not None)
    stolen = [] if helper_steals else lw.stolen_operands(instr)
    lw.check(instr, helper, result, stolen)
    return result


def binary_op_helper(kind) -> str:
    """The C-API function of a BinaryOp kind (ADD -> PyNumber_Add)."""
    return BINARY_OP_HELPERS[kind.name]


# PyObject_RichCompare's op of each comparison (Py_LT = 0 ... Py_GE = 5).
COMPARE_OP = {kind: opcodes.COMPARE_OPS.index(kind.symbol) for kind in N.CompareKind}
_UNARY = {N.UnaryOpKind.NEGATIVE: "PyNumber_Negative", N.UnaryOpKind.POSITIVE: "PyNumber_Positive",
          N.UnaryOpKind.INVERT: "PyNumber_Invert"}
_CONVERSIONS = {name: number for number, name in enumerate(CONVERSIONS)}


def _name(lw: L, instr) -> ir.VReg:
    return lw.const(instr.name)


def _globals(lw: L) -> ir.VReg:
    return lw.const(lw.pyfunc.__globals__, "globals")


def _builtins(lw: L) -> ir.VReg:
    return lw.const(lw.pyfunc.__builtins__, "builtins")


# op -> (helper, arguments from (lowering, instr, operand vregs))
_HELPER_OPS: dict[type, tuple[Callable, Callable]] = {
    N.UnaryOp: (lambda i: _UNARY[i.kind], lambda lw, i, a: a),
    N.Contains: (lambda i: "PySequence_Contains", lambda lw, i, a: [a[1], a[0]]),
    # STORE_GLOBAL is PyDict_SetItem on the globals (a dict subclass's
    # __setitem__ is not called), a C call rather than Python code.
    O.StoreGlobal: (lambda i: "PyDict_SetItem", lambda lw, i, a: [_globals(lw), _name(lw, i), a[0]]),
    O.DeleteGlobal: (lambda i: "delete_global", lambda lw, i, a: [_globals(lw), _name(lw, i)]),
    O.DeleteAttr: (lambda i: "delete_attr", lambda lw, i, a: [a[0], _name(lw, i)]),
    O.CallEx: (lambda i: "call_ex", lambda lw, i, a: [a[0], a[1], _null_or(lw, a, 2)]),
    O.MakeCell: (lambda i: "PyCell_New", lambda lw, i, a: a),
    O.StoreDeref: (lambda i: "PyCell_Set", lambda lw, i, a: a),
    O.DeleteDeref: (lambda i: "delete_deref",
                    lambda lw, i, a: [a[0], _name(lw, i), lw.imm(int(i.is_free))]),
    O.ImportName: (lambda i: "import_name",
                   lambda lw, i, a: [_globals(lw), _name(lw, i), a[1], a[0]]),
    O.ImportFrom: (lambda i: "import_from", lambda lw, i, a: [a[0], _name(lw, i)]),
    O.LoadBuildClass: (lambda i: "load_build_class", lambda lw, i, a: [_builtins(lw)]),
    O.SuperNoArgs: (lambda i: "super_without_arguments",
                    lambda lw, i, a: [a[0], a[1], lw.imm(i.argcount), lw.imm(int(i.first_is_cell))]),
    C.BuildSlice: (lambda i: "PySlice_New",
                   lambda lw, i, a: [a[0], a[1], _null_or(lw, a, 2)]),
    C.FormatValue: (lambda i: "format_value",
                    lambda lw, i, a: [a[0], _null_or(lw, a, 1), lw.imm(_CONVERSIONS[i.conversion])]),
    C.ListAppend: (lambda i: "PyList_Append", lambda lw, i, a: a),
    C.ListExtend: (lambda i: "list_extend", lambda lw, i, a: a),
    C.SetAdd: (lambda i: "PySet_Add", lambda lw, i, a: a),
    C.SetUpdate: (lambda i: "_PySet_Update", lambda lw, i, a: a),
    C.MapAdd: (lambda i: "PyDict_SetItem", lambda lw, i, a: a),
    C.DictUpdate: (lambda i: "dict_update", lambda lw, i, a: a),
    C.DictMerge: (lambda i: "dict_merge", lambda lw, i, a: a),
    C.ListToTuple: (lambda i: "PyList_AsTuple", lambda lw, i, a: a),
    C.DeleteSubscr: (lambda i: "PyObject_DelItem", lambda lw, i, a: a),
    C.UnpackEx: (lambda i: "unpack_ex_tuple",
                 lambda lw, i, a: [a[0], lw.imm(i.before), lw.imm(i.after)]),
    E.FetchException: (lambda i: "fetch_exception",
                       lambda lw, i, a: [lw.const(lw.code_info, "code info"), lw.failure_site()]),
    E.PushExcInfo: (lambda i: "push_exc_info", lambda lw, i, a: a),
    E.PopExcept: (lambda i: "pop_except", lambda lw, i, a: a),
    E.CheckExcMatch: (lambda i: "check_exc_match", lambda lw, i, a: a),
    E.WithExceptStart: (lambda i: "with_except_start", lambda lw, i, a: a),
    E.LoadSpecial: (lambda i: "load_special", lambda lw, i, a: [a[0], _name(lw, i)]),
    K.BoxFloat: (lambda i: "PyFloat_FromDouble", lambda lw, i, a: a),
}


def _lower_helper_op(lw: L, instr: Instr) -> None:
    helper_of, args_of = _HELPER_OPS[type(instr)]
    helper_op(lw, instr, helper_of(instr), args_of(lw, instr, _ops(lw, instr)))


for _cls in _HELPER_OPS:
    lowers(_cls)(_lower_helper_op)


# -- ops whose operands go through the scratch area -------------------------------------

@lowers(C.MakeTuple, C.MakeList, C.BuildSet, C.BuildString)
def _array_op(lw: L, instr: Instr) -> None:
    helper = {C.MakeTuple: "make_tuple_steal", C.MakeList: "make_list_steal",
              C.BuildSet: "build_set", C.BuildString: "build_string"}[type(instr)]
    items = _ops(lw, instr)
    helper_op(lw, instr, helper, [lw.store_array(items), lw.imm(len(items))],
              helper_steals=helper.endswith("_steal"))


@lowers(C.BuildMap)
def _build_map(lw: L, instr: Instr) -> None:
    items = _ops(lw, instr)
    helper_op(lw, instr, "build_map", [lw.store_array(items), lw.imm(len(items) // 2)])


@lowers(C.BuildConstKeyMap)
def _build_const_key_map(lw: L, instr: Instr) -> None:
    keys, *values = _ops(lw, instr)
    helper_op(lw, instr, "build_const_key_map", [keys, lw.store_array(values), lw.imm(len(values))])


@lowers(O.MakeFunction)
def _make_function(lw: L, instr: O.MakeFunction) -> None:
    code, *rest = _ops(lw, instr)
    parts = dict(zip(instr.parts, rest))
    args = [code, _globals(lw)] + [parts.get(p) or lw.imm(0)
                                   for p in ("defaults", "kwdefaults", "annotations", "closure")]
    if "annotate" in parts:         # 3.14's lazy annotations
        helper_op(lw, instr, "make_function_annotate", args + [parts["annotate"]])
        return
    helper_op(lw, instr, "make_function", args)


def _two_results(lw: L, instr: Instr, helper: str, args: list) -> None:
    """A helper filling out[0] (instr's result) and out[1] (its second
    output, for GetSecondOutput)."""
    area = lw.area(2)
    out = lw.new()
    lw.emit(ir.AreaAddr(out, area, 0))
    status = lw.call(helper, args + [out])
    lw.check(instr, helper, status)
    lw.emit(ir.Load(lw.vreg(instr.result), area, 0))
    second = lw.second[instr.result] = lw.new()
    lw.emit(ir.Load(second, area, 8))


@lowers(E.BeforeWith)
def _before_with(lw: L, instr: E.BeforeWith) -> None:
    helper = "before_async_with" if instr.asynchronous else "before_with"
    _two_results(lw, instr, helper, [lw.vreg(instr.operands[0])])


@lowers(O.GetSecondOutput)
def _second_output(lw: L, instr: O.GetSecondOutput) -> None:
    source = lw.second.get(instr.operands[0])
    if source is None or instr.result in lw.vregs:
        raise LoweringError("GetSecondOutput does not follow a two-result instruction")
    lw.vregs[instr.result] = source      # the same register: no move


@lowers(C.ForIter)
def _for_iter(lw: L, instr: C.ForIter) -> None:
    """Through pyjit_for_iter (list and range iterators without a trap)
    unless caches are off, else the for_iter helper."""
    area = lw.area(1)
    out = lw.new()
    lw.emit(ir.AreaAddr(out, area, 0))
    args = [lw.vreg(instr.operands[0]), out]
    status = (lw.call("for_iter", args, value=True) if lw.options.caches == "off"
              else lw.call_routine(FOR_ITER, args))
    lw.check(instr, "for_iter", status)
    result = lw.vreg(instr.result)
    lw.emit(ir.LoadImm(result, 0))
    got, done = lw.f.new_block(), lw.f.new_block()
    lw.emit(ir.BranchZero(status, done, got))
    lw.cur = got
    lw.emit(ir.Load(result, area, 0))
    lw.emit(ir.Jump(done))
    lw.cur = done


# -- raising -------------------------------------------------------------------------------

@lowers(E.RaiseException, E.Reraise, E.ReraiseCurrent)
def _raise(lw: L, instr: Instr) -> None:
    operands = _ops(lw, instr)
    if isinstance(instr, E.RaiseException):
        helper, args = "raise_exception", [operands[0], _null_or(lw, operands, 1)]
    elif isinstance(instr, E.Reraise):
        helper, args = "reraise", operands
    else:
        helper, args = "reraise_current", []
    lw.call(helper, args)
    exc, release = lw.exc_edge(instr, lw.stolen_operands(instr))
    lw.emit(ir.Jump(exc, release=release))


@lowers(O.LoadDeref)
def _load_deref(lw: L, instr: O.LoadDeref) -> None:
    """The cell's contents inline (a new reference); an empty cell goes
    to the load_deref helper, which raises the interpreter's NameError or
    UnboundLocalError (or returns the contents, if another thread filled
    the cell meanwhile)."""
    cell, result = lw.vreg(instr.operands[0]), lw.vreg(instr.result)
    empty, done = lw.f.new_block(cold=True), lw.f.new_block()
    lw.emit(ir.Load(result, cell, layout.CELL_OB_REF))
    full = lw.f.new_block()
    lw.emit(ir.BranchZero(result, empty, full))
    lw.cur = full
    lw.incref(result)
    lw.emit(ir.Jump(done))
    lw.cur = empty
    lw.call("load_deref", [cell, lw.const(instr.name), lw.imm(int(instr.is_free))], result)
    lw.check(instr, "load_deref", result)
    lw.emit(ir.Jump(done))
    lw.cur = done


@lowers(K.CheckVar)
def _check_var(lw: L, instr: K.CheckVar) -> None:
    u = lw.vreg(instr.operands[0])
    unbound, ok = lw.f.new_block(cold=True), lw.f.new_block()
    lw.emit(ir.BranchZero(u, unbound, ok))
    lw.cur = unbound
    lw.call("raise_unbound_local", [lw.const(instr.name)], hot=False)
    lw.jump_to_exc(instr)
    lw.cur = ok
    lw.emit(ir.Move(lw.vreg(instr.result), u))


@lowers(K.CheckEvalBreaker)
def _check_eval_breaker(lw: L, instr: K.CheckEvalBreaker) -> None:
    """Test the eval breaker's requests inline (the word's address is
    EVAL_BREAKER_SYMBOL's, resolved at load time; the layout says how wide
    they are): `ldr; ldr w; cbnz`.  3.13's word is the running thread
    state's, whose address the symbol's word holds (the GIL's last
    holder): `ldr; ldr; ldrb; cbnz`.  When
    it is set, a cold path calls the shared routine pyjit_eval_breaker
    (which clears it and calls the handle_eval_breaker helper: their
    docstrings say why); a failure (a signal handler raised) takes instr's
    exception path."""
    word_at, word = lw.new(), lw.new()
    lw.emit(ir.LoadSymbol(word_at, EVAL_BREAKER_SYMBOL))
    offset = 0
    if layout.TSTATE_EVAL_BREAKER is not None:      # the running thread state's word
        tstate = lw.new()
        lw.emit(ir.Load(tstate, word_at, 0))
        word_at, offset = tstate, layout.TSTATE_EVAL_BREAKER
    lw.emit(ir.Load(word, word_at, offset, width=layout.EVAL_BREAKER_REQUESTS_WIDTH))
    serve, cont = lw.f.new_block(cold=True), lw.f.new_block()
    lw.emit(ir.BranchZero(word, cont, serve))
    lw.cur = serve
    status = lw.call_routine(EVAL_BREAKER, [])
    lw.check(instr, "handle_eval_breaker", status)
    lw.emit(ir.Jump(cont))
    lw.cur = cont


# -- inline ops -------------------------------------------------------------------------------

@lowers(K.LoadArg)
def _load_arg(lw: L, instr: K.LoadArg) -> None:
    if lw.h.needs_frame and _STACKREFS:
        # The trampoline frame's slot: a stack ref, tagged when the caller
        # lent the reference (layout.STACKREF_TAG_REFCNT).
        raw = lw.new()
        lw.emit(ir.Load(raw, lw.argv, 8 * instr.index))
        lw.emit(ir.Alu("and", lw.vreg(instr.result), raw, _UNTAG))
        return
    lw.emit(ir.Load(lw.vreg(instr.result), lw.argv, 8 * instr.index))


# 3.14's interpreter frames hold _PyStackRefs (layout.STACKREF_*).
_STACKREFS = getattr(layout, "STACKREF_TAG_REFCNT", None) is not None
_UNTAG = ~getattr(layout, "STACKREF_TAG_REFCNT", 0) & (1 << 64) - 1


@lowers(K.LoadConst)
def _load_const(lw: L, instr: K.LoadConst) -> None:
    lw.const(instr.value, dst=lw.vreg(instr.result))


@lowers(K.LoadNull)
def _load_null(lw: L, instr: K.LoadNull) -> None:
    lw.emit(ir.LoadImm(lw.vreg(instr.result), 0))


@lowers(K.PrimConst)
def _prim_const(lw: L, instr: K.PrimConst) -> None:
    dst = lw.vreg(instr.result)
    if dst.cls == FP:
        lw.emit(ir.LoadDouble(dst, float(instr.value)))
    else:
        lw.emit(ir.LoadImm(dst, int(instr.value)))


@lowers(K.Phi)
def _phi(lw: L, instr: K.Phi) -> None:
    """Nothing here: predecessors move the inputs (edge_moves)."""


@lowers(K.KeepAlive)
def _keep_alive(lw: L, instr: K.KeepAlive) -> None:
    """Nothing: it only shapes where reference counting releases values."""


@lowers(K.Branch)
def _branch(lw: L, instr: K.Branch) -> None:
    pred = lw._hir_block_of(instr)
    lw.edge_moves(pred, instr.target)
    lw.emit(ir.Jump(lw.blocks[instr.target]))


@lowers(K.CondBranch)
def _cond_branch(lw: L, instr: K.CondBranch) -> None:
    pred = lw._hir_block_of(instr)
    yes, no = lw.jump_edge(pred, instr.if_true), lw.jump_edge(pred, instr.if_false)
    lw.emit(ir.BranchZero(lw.vreg(instr.operands[0]), no, yes))


@lowers(K.Return)
def _return(lw: L, instr: K.Return) -> None:
    lw.emit(ir.Move(lw.ret, lw.vreg(instr.operands[0])))
    lw.emit(ir.Jump(lw.exit))


@lowers(K.Incref)
def _incref(lw: L, instr: Instr) -> None:
    lw.incref(lw.vreg(instr.operands[0]))


@lowers(K.XIncref)
def _xincref(lw: L, instr: Instr) -> None:
    lw.xincref(lw.vreg(instr.operands[0]))


@lowers(K.Decref)
def _decref(lw: L, instr: Instr) -> None:
    lw.decref(lw.vreg(instr.operands[0]))


@lowers(K.XDecref)
def _xdecref(lw: L, instr: Instr) -> None:
    lw.xdecref(lw.vreg(instr.operands[0]))


@lowers(K.RefineType)
def _refine(lw: L, instr: Instr) -> None:
    lw.emit(ir.Move(lw.vreg(instr.result), lw.vreg(instr.operands[0])))


_PY_TYPES = {T.Float: float, T.Long: int, T.Bool: bool, T.Str: str, T.Bytes: bytes,
             T.Tuple: tuple, T.List: list, T.Dict: dict, T.Set: set, T.FrozenSet: frozenset,
             T.NoneType: type(None), T.Slice: slice, T.TypeObj: type}


@lowers(K.IsType)
def _is_type(lw: L, instr: K.IsType) -> None:
    pytype = _PY_TYPES.get(instr.type)
    if pytype is None:
        raise LoweringError(f"IsType<{instr.type}>: no exact Python type")
    t = lw.new()
    lw.emit(ir.Load(t, lw.vreg(instr.operands[0]), layout.OB_TYPE))
    lw.emit(ir.CondSet("eq", lw.vreg(instr.result), t, lw.const(pytype)))


@lowers(K.IsNull)
def _is_null(lw: L, instr: Instr) -> None:
    lw.emit(ir.CondSet("eq", lw.vreg(instr.result), lw.vreg(instr.operands[0]), 0))


@lowers(K.IsIdentical)
def _is_identical(lw: L, instr: Instr) -> None:
    a, b = _ops(lw, instr)
    lw.emit(ir.CondSet("eq", lw.vreg(instr.result), a, b))


@lowers(K.BoolNot)
def _bool_not(lw: L, instr: Instr) -> None:
    lw.emit(ir.Alu("eor", lw.vreg(instr.result), lw.vreg(instr.operands[0]), 1))


@lowers(K.BoxBool)
def _box_bool(lw: L, instr: Instr) -> None:
    c = lw.vreg(instr.operands[0])
    lw.emit(ir.Select("ne", lw.vreg(instr.result), c, 0, lw.const(True), lw.const(False)))


@lowers(K.IsTruthy)
def _is_truthy(lw: L, instr: K.IsTruthy) -> None:
    """The shared pyjit_is_true routine (True, False and None there,
    anything else through PyObject_IsTrue); with caches off, those three
    inline before the helper call."""
    v, result = lw.vreg(instr.operands[0]), lw.vreg(instr.result)
    if lw.options.caches != "off":
        lw.call_routine("pyjit_is_true", [v], result)     # 1, 0 or -1, sign-extended
        lw.check(instr, "PyObject_IsTrue", result)
        return
    f = lw.f
    yes, no, not_true, not_false, slow, done = (f.new_block() for _ in range(6))
    lw.emit(ir.Branch("eq", v, lw.const(True), yes, not_true))
    lw.cur = not_true
    lw.emit(ir.Branch("eq", v, lw.const(False), no, not_false))
    lw.cur = not_false
    lw.emit(ir.Branch("eq", v, lw.const(None), no, slow))
    lw.cur = slow
    lw.call("PyObject_IsTrue", [v], result, value=True)
    lw.check(instr, "PyObject_IsTrue", result)
    lw.emit(ir.Jump(done))
    lw.cur = yes
    lw.emit(ir.LoadImm(result, 1))
    lw.emit(ir.Jump(done))
    lw.cur = no
    lw.emit(ir.LoadImm(result, 0))
    lw.emit(ir.Jump(done))
    lw.cur = done


@lowers(K.UnboxFloat)
def _unbox_float(lw: L, instr: Instr) -> None:
    lw.emit(ir.Load(lw.vreg(instr.result), lw.vreg(instr.operands[0]), layout.FLOAT_OB_FVAL))


_DOUBLE_OPS = {N.DoubleOpKind.ADD: "fadd", N.DoubleOpKind.SUBTRACT: "fsub",
               N.DoubleOpKind.MULTIPLY: "fmul"}


@lowers(N.DoubleBinaryOp)
def _double_op(lw: L, instr: N.DoubleBinaryOp) -> None:
    a, b = _ops(lw, instr)
    lw.emit(ir.FAlu(_DOUBLE_OPS[instr.kind], lw.vreg(instr.result), a, b))


@lowers(C.LoadTupleItem)
def _tuple_item(lw: L, instr: C.LoadTupleItem) -> None:
    lw.emit(ir.Load(lw.vreg(instr.result), lw.vreg(instr.operands[0]),
                    layout.TUPLE_OB_ITEM + 8 * instr.index))


@lowers(O.SyncFrameLocals)
def _sync_frame_locals(lw: L, instr: O.SyncFrameLocals) -> None:
    """Into the frame's slot of each local (the argument array of a
    function that needs its frame): the value (a cell's content for the
    slots in `cells`), increfed, the old one released (STORE_FAST)."""
    for slot, value in zip(instr.slots, _ops(lw, instr)):
        if slot in instr.cells:
            content = lw.new()
            lw.emit(ir.Load(content, value, layout.CELL_OB_REF))
            value = content
        if _STACKREFS:
            _store_stackref(lw, 8 * slot, value)
            continue
        old = lw.new()
        lw.emit(ir.Load(old, lw.argv, 8 * slot))
        lw.xincref(value)
        lw.emit(ir.Store(value, lw.argv, 8 * slot))
        lw.xdecref(old)


def _store_stackref(lw: L, offset: int, value: ir.VReg) -> None:
    """STORE_FAST into a 3.14 frame slot (a _PyStackRef, layout.STACKREF_*):
    the value increfed, tagged when it is immortal (the interpreter closes
    an untagged reference without testing), STACKREF_NULL for NULL; the old
    reference released unless it is tagged (it owns no count then)."""
    old, word, null_word = lw.new(), lw.new(), lw.new()
    lw.emit(ir.Load(old, lw.argv, offset))
    nonnull, null, stored = lw.f.new_block(), lw.f.new_block(), lw.f.new_block()
    lw.emit(ir.BranchZero(value, null, nonnull))
    lw.cur = nonnull
    lw.incref(value)
    count, immortal = lw.new(), lw.new()
    lw.emit(ir.Load(count, value, layout.OB_REFCNT, 4))
    lw.emit(ir.Alu("lsr", immortal, count, layout.IMMORTAL_BIT))
    lw.emit(ir.Alu("orr", word, value, immortal))
    lw.emit(ir.Store(word, lw.argv, offset))
    lw.emit(ir.Jump(stored))
    lw.cur = null
    lw.emit(ir.LoadImm(null_word, layout.STACKREF_NULL))
    lw.emit(ir.Store(null_word, lw.argv, offset))
    lw.emit(ir.Jump(stored))
    lw.cur = stored
    tag, owned, done = lw.new(), lw.f.new_block(), lw.f.new_block()
    lw.emit(ir.Alu("and", tag, old, layout.STACKREF_TAG_REFCNT))
    lw.emit(ir.BranchZero(tag, owned, done))
    lw.cur = owned
    lw.decref(old)
    lw.emit(ir.Jump(done))
    lw.cur = done


@lowers(O.LoadFreeCell)
def _free_cell(lw: L, instr: O.LoadFreeCell) -> None:
    closure = lw.new()
    lw.emit(ir.Load(closure, lw.callable, layout.FUNC_CLOSURE))
    lw.emit(ir.Load(lw.vreg(instr.result), closure, layout.TUPLE_OB_ITEM + 8 * instr.index))

