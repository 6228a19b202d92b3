"""Inline caches: LoadGlobalCached, LoadAttrCached, StoreAttrCached and
LoadMethodCached through cache cells (pyjit/cpython/cells.py states each
kind's words and invariants).

The options' `caches` (PYJIT_CACHES by default) chooses how the hot path is
emitted; the cells, their invariants and their miss helpers are the same:

- "shared" (default): the site calls the kind's routine, shared by every
  site of every function in the engine (pyjit/cpython/routines.py), with
  the cell's address as first argument: a site costs what a helper call
  costs, and the routine returns without trapping when the cell matches;
- "inline": the site loads and compares inline, and calls the miss helper
  on a cold path (about 40 to 90 more bytes a site);
- "off": the generic helpers (PyObject_GetAttr, ...), no cells.

CompareOp, BinarySubscr and the BinaryOps + - * / & | ^ (and in place)
call the shared `pyjit_compare`, `pyjit_getitem`, `pyjit_int_*` and
`pyjit_float_*` routines unless caches are "off" (in both other modes): a
fast path for small exact ints, exact floats and exact lists indexed by
one, the C-API function otherwise (routines.py, int_routines.py).

Either way a miss runs the kind's miss helper, which does what the
interpreter does (same result, same exception) and refills the cell when
the case is cacheable.

Global cells are shared by every load of the same name in a function (the
key is the same); attribute and method cells are per site.  Which kind a
site uses is decided at compile time from what the receiver is now: a
receiver loaded from a global that currently holds a module gets a module
cell (`math.sqrt`), one that holds a class exactly of type `type` a class
cell for loads (`Direction.FORWARD`), anything else an instance cell
(`self.x`).  That only
shapes the code: a wrong guess just misses, and the miss stays correct.
"""

from __future__ import annotations

import types

from ..cpython import cells as caches
from ..cpython import dict_versions, layout
from ..cpython.consume_routines import consuming
from ..cpython.int_routines import INT_OPS
from ..hir import ops_containers as CT
from ..hir import ops_core as K
from ..hir import ops_numeric as N
from ..hir import ops_objects as O
from ..hir.ir import Ownership
from . import ir
from .ir import ConstRef, VReg
from .lower_ops import (COMPARE_OP, _builtins, _globals, _name, _null_or, _ops, _two_results,
                        binary_op_helper, helper_op)
from .lowering import FunctionLowering, LoweringError, lowers

L = FunctionLowering
UNKNOWN = object()


# -- building blocks, shared with lower_calls ---------------------------------------------

def cell_address(lw: L, cell: caches.Cell) -> VReg:
    """A vreg holding the address of cell's words; the compiled function
    keeps the cell alive through its consts."""
    v = lw.new()
    lw.emit(ir.LoadConst(v, cell_ref(lw, cell)))
    return v


# A global's cell is the word after each call of pyjit_cache_load_global
# while the function loads it at no more sites than this: 8 bytes a site,
# against 4 (the literal load) a site and the literal's 8 once.
WORD_SITES = 2


def _sites_loading(lw: L, name: str) -> int:
    """How many LoadGlobalCached of name the function has."""
    counts = lw.global_sites
    if counts is None:
        counts = lw.global_sites = {}
        for instr in lw.h.instructions():
            if isinstance(instr, O.LoadGlobalCached):
                counts[instr.name] = counts.get(instr.name, 0) + 1
    return counts.get(name, 0)


def cell_ref(lw: L, cell: caches.Cell) -> ConstRef:
    """The constant of cell's address (a shared routine's word: ir.Call);
    the compiled function keeps the cell alive through its consts."""
    lw.keep(cell)
    return ConstRef(cell.address, f"{type(cell).__name__} {cell.name}")


def load(lw: L, base: VReg, offset: int, width: int = 8) -> VReg:
    v = lw.new()
    lw.emit(ir.Load(v, base, offset, width))
    return v


def guard(lw: L, a: VReg, b: ir.Operand, miss: ir.Block) -> None:
    """Go to miss unless a == b; continue in a new hot block."""
    ok = lw.f.new_block()
    lw.emit(ir.Branch("ne", a, b, miss, ok))
    lw.cur = ok


def guard_nonzero(lw: L, a: VReg, miss: ir.Block) -> None:
    ok = lw.f.new_block()
    lw.emit(ir.BranchZero(a, miss, ok))
    lw.cur = ok


def compile_time_value(lw: L, value):
    """What a HIR value loaded from a global, or from an attribute of a
    module global, is bound to right now (following RefineType); UNKNOWN
    for any other value.  Nothing is evaluated: dicts are only read."""
    defn = value.defn
    while isinstance(defn, K.RefineType):
        defn = defn.operands[0].defn
    if isinstance(defn, O.LoadAttrCached):
        module = compile_time_value(lw, defn.operands[0])
        if type(module) is types.ModuleType:
            return vars(module).get(defn.name, UNKNOWN)
        return UNKNOWN
    if not isinstance(defn, O.LoadGlobalCached):
        return UNKNOWN
    for namespace in (lw.pyfunc.__globals__, lw.pyfunc.__builtins__):
        if type(namespace) is dict and defn.name in namespace:
            return namespace[defn.name]
    return UNKNOWN


def _is_module(lw: L, value) -> bool:
    return type(compile_time_value(lw, value)) is types.ModuleType


def find_entry(lw: L, key: VReg, cell: VReg, kind: type, miss: ir.Block) -> VReg:
    """The address of the entry of a polymorphic cell (caches.PolyCell)
    whose key word equals key, tried in order; miss when none does."""
    entry, found = lw.new(), lw.f.new_block()
    for i in range(kind.ENTRIES):
        hit = lw.f.new_block()
        other = lw.f.new_block() if i + 1 < kind.ENTRIES else miss
        lw.emit(ir.Branch("eq", key, load(lw, cell, i * kind.ENTRY), hit, other))
        lw.cur = hit
        if i:
            lw.emit(ir.Alu("add", entry, cell, i * kind.ENTRY))
        else:
            lw.emit(ir.Move(entry, cell))
        lw.emit(ir.Jump(found))
        lw.cur = other
    lw.cur = found
    return entry


# -- globals -------------------------------------------------------------------------------


@lowers(O.LoadGlobalCached)
def _load_global(lw: L, instr: O.LoadGlobalCached) -> None:
    """Both dicts' versions equal the cell's -> the cached value (borrowed)."""
    how = lw.options.caches
    if how == "off":
        helper_op(lw, instr, "load_global_borrowed", [_globals(lw), _builtins(lw), _name(lw, instr)])
        return
    result = lw.vreg(instr.result)
    cells = lw.global_cells
    if instr.name not in cells:
        cells[instr.name] = caches.GlobalCell(instr.name, lw.pyfunc.__globals__,
                                              lw.pyfunc.__builtins__)
    if how == "shared" and _sites_loading(lw, instr.name) <= WORD_SITES:
        lw.call_routine("pyjit_cache_load_global", [], result,
                        word=cell_ref(lw, cells[instr.name]), args_from=1)
        lw.check(instr, "load_global_fill", result)
        return
    cell = cell_address(lw, cells[instr.name])
    if how == "shared":                 # the cell's one literal, shared by its sites
        lw.call_routine("pyjit_cache_load_global_x0", [cell], result)
        lw.check(instr, "load_global_fill", result)
        return
    C = caches.GlobalCell
    miss, done = lw.f.new_block(cold=True), lw.f.new_block()
    guard(lw, load(lw, _globals(lw), dict_versions.VERSION), load(lw, cell, C.GLOBALS_VERSION),
          miss)
    guard(lw, load(lw, _builtins(lw), dict_versions.VERSION),
          load(lw, cell, C.BUILTINS_VERSION), miss)
    lw.emit(ir.Load(result, cell, C.VALUE))
    lw.emit(ir.Jump(done))
    lw.cur = miss
    lw.call("load_global_fill", [cell], result)
    lw.check(instr, "load_global_fill", result)
    lw.emit(ir.Jump(done))
    lw.cur = done


# -- attributes ------------------------------------------------------------------------------

def _instance_slot(lw: L, obj: VReg, cell: VReg, miss: ir.Block,
                   member: ir.Block | None = None,
                   in_dict: ir.Block | None = None) -> tuple[VReg, VReg]:
    """The guards of an AttrCell (the entry of obj's type); (the address of
    the cached slot, the entry's SLOT word).  A values slot continues in
    the current block; a `__slots__` member (the word tagged MEMBER) in
    block `member` when given, else (loads) in the current block too; an
    attribute held by a materialized dict (DICT_ONLY), or a missing values
    array, is a miss (the shared routine reads dicts: cells.py), or goes
    to in_dict when given (a store: the generic one)."""
    C = caches.AttrCell
    tp = load(lw, obj, layout.OB_TYPE)
    entry = find_entry(lw, tp, cell, C, miss)
    guard(lw, load(lw, tp, layout.TYPE_TP_VERSION_TAG, 4), load(lw, entry, C.VERSION), miss)
    word, tag, slot = load(lw, entry, C.SLOT), lw.new(), lw.new()
    in_values, in_member = lw.f.new_block(), lw.f.new_block()
    lw.emit(ir.Alu("and", tag, word, C.MEMBER))
    lw.emit(ir.BranchZero(tag, in_values, in_member))
    lw.cur = in_member
    dict_only, member_ok = lw.new(), lw.f.new_block()
    lw.emit(ir.Alu("and", dict_only, word, C.DICT_ONLY ^ C.MEMBER))
    # DICT_ONLY: the routines' dict path (a store's in_dict, when given)
    lw.emit(ir.BranchZero(dict_only, member_ok, in_dict or miss))
    lw.cur = member_ok
    lw.emit(ir.Alu("add", slot, obj, word))
    lw.emit(ir.Alu("sub", slot, slot, C.MEMBER))
    after = member if member is not None else lw.f.new_block()
    lw.emit(ir.Jump(after))
    lw.cur = in_values
    values = _instance_values(lw, obj, in_dict or miss)
    lw.emit(ir.Alu("add", slot, values, word))
    if member is None:
        lw.emit(ir.Jump(after))
        lw.cur = after
    return slot, word


def _add_to_insertion_order(lw: L, obj: VReg, slot: VReg, word: VReg, miss: ir.Block) -> None:
    """_PyDictValues_AddToInsertionOrder for the empty values slot `slot`
    (word = 8 * its index), as objects.add_to_insertion_order (which says
    why it is right) does it: 3.11/3.12's count byte before the values and
    the order bytes below it, 3.13's size and the order bytes after the
    `capacity` values (obj has no dict: _store_attr checked)."""
    values, index = lw.new(), lw.new()
    lw.emit(ir.Alu("sub", values, slot, word))
    lw.emit(ir.Alu("lsr", index, word, 3))
    if layout.INLINE_VALUES:
        items = layout.VALUES_ITEMS
        capacity = load(lw, values, layout.VALUES_CAPACITY - items, 1)
        size = load(lw, values, layout.VALUES_SIZE - items, 1)
        order = lw.new()
        lw.emit(ir.Alu("lsl", order, capacity, 3))
        lw.emit(ir.Alu("add", order, order, values))
        lw.emit(ir.Alu("add", order, order, size))
        lw.emit(ir.Store(index, order, 0, 1))
        lw.emit(ir.Alu("add", size, size, 1))
        lw.emit(ir.Store(size, values, layout.VALUES_SIZE - items, 1))
        return
    count = load(lw, values, layout.VALUES_ORDER_COUNT, 1)
    lw.emit(ir.Alu("add", count, count, 1))
    lw.emit(ir.Store(count, values, layout.VALUES_ORDER_COUNT, 1))
    order = lw.new()
    lw.emit(ir.Alu("sub", order, values, count))
    lw.emit(ir.Store(index, order, layout.VALUES_ORDER_COUNT, 1))


def _instance_values(lw: L, obj: VReg, miss: ir.Block) -> VReg:
    """The values array of obj (its type has a managed dict); miss when its
    dict is materialized.  The layout says where the values are: behind a
    pre-header pointer that is NULL then (3.11), or one pre-header word
    tagged VALUES_TAG when it holds values - VALUES_TAG rather than the dict
    (3.12), or inline after the object, the attributes while their valid
    byte is set (3.13, INLINE_VALUES)."""
    if layout.INLINE_VALUES:
        header = _valid_inline_values(lw, obj, miss)
        values = lw.new()
        lw.emit(ir.Alu("add", values, header, layout.VALUES_ITEMS))
        return values
    word = load(lw, obj, layout.OBJECT_VALUES)
    if layout.VALUES_TAG is None:
        guard_nonzero(lw, word, miss)
        return word
    tag = lw.new()
    lw.emit(ir.Alu("and", tag, word, layout.VALUES_TAG))
    guard_nonzero(lw, tag, miss)
    values = lw.new()
    lw.emit(ir.Alu("add", values, word, layout.VALUES_TAG))
    return values


def _valid_inline_values(lw: L, obj: VReg, miss: ir.Block) -> VReg:
    """The address of obj's inline values header (obj + its type's
    tp_basicsize); miss when they are no longer its attributes (their
    valid byte is clear: a dict of its own holds them)."""
    size = load(lw, load(lw, obj, layout.OB_TYPE), layout.TYPE_TP_BASICSIZE)
    header = lw.new()
    lw.emit(ir.Alu("add", header, obj, size))
    guard_nonzero(lw, load(lw, header, layout.VALUES_VALID, 1), miss)
    return header


def _no_instance_dict(lw: L, obj: VReg, miss: ir.Block) -> None:
    """Miss when obj (its type has a managed dict) has a materialized
    __dict__, or (3.13) one that no longer shares its inline values (see
    _instance_values)."""
    if layout.INLINE_VALUES:
        _valid_inline_values(lw, obj, miss)
        return
    word = load(lw, obj, layout.OBJECT_MANAGED_DICT)
    no_dict = lw.f.new_block()
    if layout.VALUES_TAG is None:
        lw.emit(ir.BranchZero(word, no_dict, miss))
    else:
        tag = lw.new()
        lw.emit(ir.Alu("and", tag, word, layout.VALUES_TAG))
        lw.emit(ir.BranchZero(tag, miss, no_dict))
    lw.cur = no_dict


def _module_value(lw: L, obj: VReg, cell: VReg, miss: ir.Block) -> VReg:
    """The guards of a ModuleAttrCell; the cached value (borrowed)."""
    C = caches.ModuleAttrCell
    guard(lw, load(lw, obj, layout.OB_TYPE), lw.const(types.ModuleType), miss)
    md_dict = load(lw, obj, layout.MODULE_MD_DICT)
    guard_nonzero(lw, md_dict, miss)
    guard(lw, load(lw, md_dict, dict_versions.VERSION), load(lw, cell, C.VERSION), miss)
    return load(lw, cell, C.VALUE)


def _class_value(lw: L, obj: VReg, cell: VReg, miss: ir.Block) -> VReg:
    """The guards of a ClassAttrCell (obj exactly a type, the cell's class,
    with the cell's version); the cached value (borrowed)."""
    C = caches.ClassAttrCell
    guard(lw, load(lw, obj, layout.OB_TYPE), lw.const(type), miss)
    guard(lw, obj, load(lw, cell, C.CLASS), miss)
    guard(lw, load(lw, obj, layout.TYPE_TP_VERSION_TAG, 4), load(lw, cell, C.VERSION), miss)
    return load(lw, cell, C.VALUE)


@lowers(O.LoadAttrCached)
def _load_attr(lw: L, instr: O.LoadAttrCached) -> None:
    """The instance's slot, the module's or the class's cached value:
    increfed."""
    obj = lw.vreg(instr.operands[0])
    how = lw.options.caches
    if how == "off":
        helper_op(lw, instr, "PyObject_GetAttr", [obj, _name(lw, instr)])
        return
    result = lw.vreg(instr.result)
    receiver = compile_time_value(lw, instr.operands[0])
    module = type(receiver) is types.ModuleType
    klass = type(receiver) is type
    kind = (caches.ModuleAttrCell if module else caches.ClassAttrCell if klass
            else caches.AttrCell)
    if how == "shared":
        routine = ("pyjit_cache_load_module_attr" if module else
                   "pyjit_cache_load_class_attr" if klass else "pyjit_cache_load_attr")
        lw.call_routine(routine, [obj], result, word=cell_ref(lw, kind(instr.name)), args_from=1)
        lw.check(instr, "load_attr_fill", result)
        return
    cell = cell_address(lw, kind(instr.name))
    miss, done = lw.f.new_block(cold=True), lw.f.new_block()
    if module:
        lw.emit(ir.Move(result, _module_value(lw, obj, cell, miss)))
    elif klass:
        lw.emit(ir.Move(result, _class_value(lw, obj, cell, miss)))
    else:
        lw.emit(ir.Load(result, _instance_slot(lw, obj, cell, miss)[0], 0))
        guard_nonzero(lw, result, miss)
    lw.incref(result)
    lw.emit(ir.Jump(done))
    lw.cur = miss
    lw.call("load_attr_fill", [cell, obj], result)
    lw.check(instr, "load_attr_fill", result)
    lw.emit(ir.Jump(done))
    lw.cur = done


@lowers(O.StoreAttrCached)
def _store_attr(lw: L, instr: O.StoreAttrCached) -> None:
    """Store the new value (incref, unless it is handed over: `consumed`)
    into the instance's slot and release the old one; an empty values slot
    is first added to the insertion order, an empty member slot has nothing
    to release.  An instance of
    the entry's type whose attributes are in a dict (its own, or one that
    shares its values) takes the store STORE_ATTR makes, PyObject_SetAttr,
    as the shared routine does: nothing to fill."""
    obj, value = lw.vreg(instr.operands[0]), lw.vreg(instr.operands[1])
    how = lw.options.caches
    taken = bool(lw.stolen_operands(instr))     # the value handed over (refcount-consume)
    if how == "off":
        helper_op(lw, instr, "PyObject_SetAttr", [obj, _name(lw, instr), value])
        return
    if how == "shared":
        routine = "pyjit_cache_store_attr_consuming" if taken else "pyjit_cache_store_attr"
        status = lw.call_routine(routine, [obj, value],
                                 word=cell_ref(lw, caches.AttrCell(instr.name, for_store=True)),
                                 args_from=1)
        lw.check(instr, "store_attr_fill", status)
        return
    cell = cell_address(lw, caches.AttrCell(instr.name, for_store=True))
    miss, in_dict, done = lw.f.new_block(cold=True), lw.f.new_block(cold=True), lw.f.new_block()
    member, replace, empty, store = (lw.f.new_block() for _ in range(4))
    slot, word = _instance_slot(lw, obj, cell, miss, member, in_dict)
    if layout.INLINE_VALUES:            # objects.no_dict_sharing_values
        no_dict = lw.f.new_block()
        lw.emit(ir.BranchZero(load(lw, obj, layout.OBJECT_MANAGED_DICT), no_dict, in_dict))
        lw.cur = no_dict
    old = load(lw, slot, 0)
    lw.emit(ir.BranchZero(old, empty, replace))
    lw.cur = empty
    _add_to_insertion_order(lw, obj, slot, word, miss)
    lw.emit(ir.Jump(store))
    lw.cur = member
    lw.emit(ir.Load(old, slot, 0))
    lw.emit(ir.BranchZero(old, store, replace))
    lw.cur = replace
    if not taken:
        lw.incref(value)
    lw.emit(ir.Store(value, slot, 0))
    lw.decref(old)
    lw.emit(ir.Jump(done))
    lw.cur = store
    if not taken:
        lw.incref(value)
    lw.emit(ir.Store(value, slot, 0))
    lw.emit(ir.Jump(done))
    lw.cur = miss
    status = lw.call("store_attr_fill", [cell, obj, value])
    lw.check(instr, "store_attr_fill", status, lw.stolen_operands(instr))
    lw.emit(ir.Jump(done))
    lw.cur = in_dict
    status = lw.call("PyObject_SetAttr", [obj, _name(lw, instr), value])
    lw.check(instr, "PyObject_SetAttr", status, lw.stolen_operands(instr))
    lw.emit(ir.Jump(done))
    lw.cur = done


# -- methods ----------------------------------------------------------------------------------

@lowers(O.LoadMethodCached)
def _load_method(lw: L, instr: O.LoadMethodCached) -> None:
    """(method, obj) from a MethodCell, or (NULL, value) from a
    ModuleAttrCell; new references."""
    obj = lw.vreg(instr.operands[0])
    how = lw.options.caches
    if how == "off":
        _two_results(lw, instr, "load_method", [obj, _name(lw, instr)])
        return
    method, second = lw.vreg(instr.result), lw.new()
    lw.second[instr.result] = second
    module = _is_module(lw, instr.operands[0])
    if fused_call(lw, instr) is not None:
        return                   # the CallMethod right after it loads the method (lower_calls)
    kind = caches.ModuleAttrCell if module else caches.MethodCell
    area = lw.area(2)
    if how == "shared":
        out = lw.new()
        lw.emit(ir.AreaAddr(out, area, 0))
        routine = "pyjit_cache_load_module_method" if module else "pyjit_cache_load_method"
        status = lw.call_routine(routine, [obj, out], word=cell_ref(lw, kind(instr.name)),
                                 args_from=1)
        lw.check(instr, "load_method_fill", status)
        lw.emit(ir.Load(method, area, 0))
        lw.emit(ir.Load(second, area, 8))
        return
    cell = cell_address(lw, kind(instr.name))
    miss, done = lw.f.new_block(cold=True), lw.f.new_block()
    if module:
        lw.emit(ir.Move(second, _module_value(lw, obj, cell, miss)))
        lw.incref(second)
        lw.emit(ir.LoadImm(method, 0))
    else:
        entry = _method_guards(lw, obj, cell, miss)
        lw.emit(ir.Load(method, entry, caches.MethodCell.METHOD))
        lw.incref(method)
        lw.incref(obj)
        lw.emit(ir.Move(second, obj))
    lw.emit(ir.Jump(done))
    lw.cur = miss
    out = lw.new()
    lw.emit(ir.AreaAddr(out, area, 0))
    status = lw.call("load_method_fill", [cell, obj, out])
    lw.check(instr, "load_method_fill", status)
    lw.emit(ir.Load(method, area, 0))
    lw.emit(ir.Load(second, area, 8))
    lw.emit(ir.Jump(done))
    lw.cur = done


def fused_call(lw: L, load: O.LoadMethodCached) -> "O.CallMethod | O.CallMethodBool | None":
    """The CallMethod that loads load's method itself (through the
    pyjit_call_method_cached routine) instead of load: the instruction
    right after load's GetSecondOutput, calling the pair with arguments
    computed before the load, on the same line, with the same exception
    path and release list (so that a failure of the load is the call's);
    else None.  Sites with keywords, or without a call cell, are not
    fused, nor loads from a module (a ModuleAttrCell's).  (Asked by the
    load and by the call: decided once.)"""
    try:
        return lw.fused_calls[load]
    except KeyError:
        call = lw.fused_calls[load] = _fused_call(lw, load)
        return call


def _fused_call(lw: L, load: O.LoadMethodCached) -> "O.CallMethod | O.CallMethodBool | None":
    if lw.options.caches != "shared" or _is_module(lw, load.operands[0]):
        return None
    block = lw._hir_block_of(load)
    k = block.instrs.index(load)
    if k + 2 >= len(block.instrs):
        return None
    second, call = block.instrs[k + 1], block.instrs[k + 2]
    if not (isinstance(second, O.GetSecondOutput) and second.operands[0] is load.result
            and isinstance(call, (O.CallMethod, O.CallMethodBool))
            and call.operands[0] is load.result
            and call.operands[1] is second.result and not call.kwnames
            and lw.options.direct_calls == "shared"
            and call.lineno == load.lineno and call.exc_target is load.exc_target
            and list(call.exc_release or ()) == list(load.exc_release or ())):
        return None
    if any(v is load.result or v is second.result for v in call.operands[2:]):
        return None
    if len(call.operands) - 1 >= caches.METHOD_HOLD_SELF:
        return None                         # (the count and the routine's flag share a word)
    return call


def _method_guards(lw: L, obj: VReg, cell: VReg, miss: ir.Block) -> VReg:
    """The entry of obj's type, with the version as the entry's; then,
    unless the entry's keys check is 0 (no instance dict), no materialized
    dict and the shared keys' dk_nentries + 1 equal to the keys check.
    Returns the entry's address."""
    C = caches.MethodCell
    tp = load(lw, obj, layout.OB_TYPE)
    entry = find_entry(lw, tp, cell, C, miss)
    guard(lw, load(lw, tp, layout.TYPE_TP_VERSION_TAG, 4), load(lw, entry, C.VERSION), miss)
    keys_check = load(lw, entry, C.KEYS)
    found, has_dict = lw.f.new_block(), lw.f.new_block()
    lw.emit(ir.BranchZero(keys_check, found, has_dict))
    lw.cur = has_dict
    _no_instance_dict(lw, obj, miss)
    keys = load(lw, tp, layout.HEAPTYPE_HT_CACHED_KEYS)
    count = load(lw, keys, layout.KEYS_DK_NENTRIES)
    lw.emit(ir.Alu("add", count, count, 1))
    guard(lw, count, keys_check, miss)
    lw.emit(ir.Jump(found))
    lw.cur = found
    return entry


# -- fast paths without cells ------------------------------------------------------------------

def _fast_path(lw: L, instr, routine: str, helper: str, args: list[VReg],
               status: bool = False) -> None:
    """instr through a shared routine that does helper's work (or
    tail-branches to it) when caches are not "off", else helper itself;
    status: the helper's result is only a success flag, not instr's."""
    if status:
        dst = lw.new()
    else:
        dst = lw.vreg(instr.result) if instr.result is not None else None
    if lw.options.caches == "off":
        helper_op(lw, instr, helper, args, dst=dst)
        return
    result = lw.call_routine(routine, args, dst)
    lw.check(instr, helper, result, lw.stolen_operands(instr))


def _held(lw: L, instr) -> str:
    """"_held" when an operand is passed borrowed from a container the
    comparison can change (a global: refcount-held-operands), so that the
    routine holds both on its generic path; else ""."""
    hints = lw.h.refcount_hints
    return "_held" if any(v.defn is not None and v.defn.ownership is Ownership.BORROWED_VOLATILE
                          and hints.held(instr, v) for v in instr.operands) else ""


@lowers(N.CompareOp)
def _compare(lw: L, instr: N.CompareOp) -> None:
    """Two small exact ints, or two exact floats, compare without a trap
    (pyjit_compare)."""
    _fast_path(lw, instr, "pyjit_compare" + _held(lw, instr), "PyObject_RichCompare",
               _ops(lw, instr) + [lw.imm(COMPARE_OP[instr.kind])])


@lowers(N.CompareBool)
def _compare_bool(lw: L, instr: N.CompareBool) -> None:
    """pyjit_compare_bool: 1, 0 or -1 (the truth-tests pass runs only
    with caches on)."""
    result = lw.call_routine("pyjit_compare_bool" + _held(lw, instr),
                             _ops(lw, instr) + [lw.imm(COMPARE_OP[instr.kind])],
                             lw.vreg(instr.result))
    lw.check(instr, "PyObject_IsTrue", result)


@lowers(N.BinaryOp)
def _binary_op(lw: L, instr: N.BinaryOp) -> None:
    """+ - * & | ^ (and in place) of small exact ints, + - * / of exact
    floats, without a trap (pyjit_int_*, pyjit_float_*: INT_OPS); the other
    operators call their C-API function."""
    helper = binary_op_helper(instr.kind)
    int_op = INT_OPS.get(instr.kind.name)
    if int_op is None:
        helper_op(lw, instr, helper, _ops(lw, instr))
        return
    # The operand slots handed over (refcount-consume): the
    # consuming entry releases them itself, or holds its result in one.
    mask = sum(1 << i for i in instr.consumed if instr.operands[i].type.is_refcounted)
    if not mask or lw.options.caches == "off":
        _fast_path(lw, instr, int_op[0], helper, _ops(lw, instr))
        return
    result = lw.call_routine(consuming(int_op[0]), _ops(lw, instr) + [lw.imm(mask)],
                             lw.vreg(instr.result))
    lw.check(instr, helper, result)


@lowers(CT.BinarySubscr)
def _subscript(lw: L, instr: CT.BinarySubscr) -> None:
    """list[small int] and tuple[small int] in range without a trap
    (pyjit_getitem)."""
    _fast_path(lw, instr, "pyjit_getitem", "PyObject_GetItem", _ops(lw, instr))


@lowers(CT.GetIter)
def _get_iter(lw: L, instr: CT.GetIter) -> None:
    """iter(an exact list) from the pool of dead list iterators without a
    trap (pyjit_get_iter)."""
    _fast_path(lw, instr, "pyjit_get_iter", "PyObject_GetIter", _ops(lw, instr))


@lowers(CT.RangeIter)
def _range_iter(lw: L, instr: CT.RangeIter) -> None:
    """iter(range(...)) of one-digit ints from the pool of dead range
    iterators without a trap (pyjit_range_iter)."""
    a = _ops(lw, instr)
    _fast_path(lw, instr, "pyjit_range_iter", "range_iter",
               [a[0], _null_or(lw, a, 1), _null_or(lw, a, 2)])


@lowers(CT.StoreSubscr)
def _store_subscript(lw: L, instr: CT.StoreSubscr) -> None:
    """list[small int] = value in range without a trap (pyjit_setitem)."""
    _fast_path(lw, instr, "pyjit_setitem", "PyObject_SetItem", _ops(lw, instr))


@lowers(CT.UnpackSequence)
def _unpack(lw: L, instr: CT.UnpackSequence) -> None:
    """The items, new references, into the scratch area, and from there
    into registers at once (nothing else may use the area before the
    LoadUnpackedItems that follow): an exact tuple or list of the right
    size without a trap (pyjit_unpack), else the unpack_into helper."""
    area = lw.area(max(instr.count, 1))
    out = lw.vreg(instr.result)
    lw.emit(ir.AreaAddr(out, area, 0))
    _fast_path(lw, instr, "pyjit_unpack", "unpack_into",
               _ops(lw, instr) + [lw.imm(instr.count), out], status=True)
    items = lw.unpacked[instr.result] = [lw.new() for _ in range(instr.count)]
    for i, item in enumerate(items):
        lw.emit(ir.Load(item, area, 8 * i))


@lowers(CT.LoadUnpackedItem)
def _unpacked_item(lw: L, instr: CT.LoadUnpackedItem) -> None:
    items = lw.unpacked.get(instr.operands[0])
    if items is None or instr.result in lw.vregs:
        raise LoweringError("LoadUnpackedItem does not read an UnpackSequence")
    lw.vregs[instr.result] = items[instr.index]      # the register it was loaded into
