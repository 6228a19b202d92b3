"""The miss helpers of global, attribute, method and module-attribute
cells (cells.py says what each cell holds and why its hot path is enough),
and what they ask the type: its version tag, the MRO's attribute, its
shared keys.  Each does what the interpreter's instruction does (the same
result, the same exception) and fills the cell when the case is cacheable.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import (
    classmethod, dict, getattr, hasattr, id, int, isinstance, range, setattr, staticmethod, str, type,
)
import ctypes
import types

from . import dict_versions, layout, objects, semantics
from .cells import (
    FROM_BUILTINS, NO_DICT_HINT, NO_HINT, AttrCell, ClassAttrCell, GlobalCell, MethodCell, ModuleAttrCell, cell_at,
)
from .helper_decl import ROOM, python_helper
from .null import NULL
from .tstate import per_thread as _per_thread

_obj = __import__("_ctypes").PyObj_FromPtr
_incref = __import__("_ctypes").Py_INCREF
_type_lookup = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.py_object)(
    ("_PyType_Lookup", ctypes.pythonapi))
_GENERIC_GETATTR = ctypes.cast(ctypes.pythonapi.PyObject_GenericGetAttr, ctypes.c_void_p).value
_GENERIC_SETATTR = ctypes.cast(ctypes.pythonapi.PyObject_GenericSetAttr, ctypes.c_void_p).value


def _u8(address: int) -> int:
    return ctypes.c_uint8.from_address(address).value


def _u32(address: int) -> int:
    return ctypes.c_uint32.from_address(address).value


def _u64(address: int) -> int:
    return ctypes.c_uint64.from_address(address).value


def _s64(address: int) -> int:
    return ctypes.c_int64.from_address(address).value


# -- what the type says -----------------------------------------------------------------

def _version(tp: type) -> int:
    """tp's version tag, 0 when it has no valid one (3.13 has no flag for
    it: the tag is 0 then)."""
    flag = layout.TPFLAGS_VALID_VERSION_TAG
    if flag is not None and not tp.__flags__ & flag:
        return 0
    return _u32(id(tp) + layout.TYPE_TP_VERSION_TAG)


def _lookup(tp: type, name: str):
    """_PyType_Lookup(tp, name): the MRO's attribute (borrowed) or NULL;
    gives tp a version tag when it can."""
    address = _type_lookup(tp, name)
    return _obj(address) if address else NULL


def _immutable_non_data(descr) -> bool:
    """descr is not a data descriptor and its type cannot become one."""
    dt = type(descr)
    if not dt.__flags__ & layout.TPFLAGS_IMMUTABLETYPE:
        return False
    return not (hasattr(dt, "__set__") or hasattr(dt, "__delete__"))


def _shared_keys(tp: type) -> int:
    """The address of tp's shared keys (split kind), or 0."""
    flags = tp.__flags__
    if not (flags & layout.TPFLAGS_HEAPTYPE and flags & layout.TPFLAGS_MANAGED_DICT):
        return 0
    if layout.INLINE_VALUES and not flags & layout.TPFLAGS_INLINE_VALUES:
        return 0        # 3.13: a managed dict, and no values after the object
    keys = _u64(id(tp) + layout.HEAPTYPE_HT_CACHED_KEYS)
    if not keys or _u8(keys + layout.KEYS_DK_KIND) != layout.DICT_KEYS_SPLIT:
        return 0
    return keys


def _key_index(keys: int, name: str) -> int | None:
    """The index of name among the shared keys at address keys."""
    entries = keys + layout.dict_entries_offset(_u8(keys + layout.KEYS_DK_LOG2_INDEX_BYTES))
    for i in range(_s64(keys + layout.KEYS_DK_NENTRIES)):
        key = _u64(entries + i * layout.UNICODE_ENTRY_SIZE + layout.UNICODE_ENTRY_KEY)
        if key == id(name) or (key and _obj(key) == name):
            return i
    return None


def _member_offset(descr, tp: type, for_store: bool) -> int | None:
    """The byte offset in tp's instances of the object slot member
    descriptor descr (`__slots__`) gets and sets, when member_get /
    member_set do nothing else for an instance of tp: descr is exactly a
    member descriptor, of T_OBJECT_EX, with no flag but (for a load)
    READONLY, and its d_type is tp or a base of it (descr_check passes).
    Then a get is *slot, AttributeError when NULL, and a set stores the
    new value and releases the old one (PyMember_GetOne / SetOne)."""
    if type(descr) is not types.MemberDescriptorType:
        return None
    owner = descr.__objclass__          # PyType_IsSubtype: in tp_mro (no __subclasscheck__)
    for base in _obj(_u64(id(tp) + layout.TYPE_TP_MRO)):
        if base is owner:
            break
    else:
        return None
    member = _u64(id(descr) + layout.MEMBER_DESCR_D_MEMBER)
    flags = _u32(member + layout.MEMBERDEF_FLAGS)
    if for_store or flags & ~layout.MEMBER_READONLY:
        if flags:
            return None
    if _u32(member + layout.MEMBERDEF_TYPE) != layout.T_OBJECT_EX:
        return None
    offset = _s64(member + layout.MEMBERDEF_OFFSET)
    return offset if offset > 0 and offset % 8 == 0 else None


def _fill_instance_attr(cell: AttrCell, tp: type, obj=None) -> None:
    name = cell.name
    if type(name) is not str:
        return
    slot = layout.TYPE_TP_SETATTRO if cell.for_store else layout.TYPE_TP_GETATTRO
    generic = _GENERIC_SETATTR if cell.for_store else _GENERIC_GETATTR
    if _u64(id(tp) + slot) != generic:
        return
    descr = _lookup(tp, name)
    if descr is not NULL and not _immutable_non_data(descr):
        offset = _member_offset(descr, tp, cell.for_store)
        version = _version(tp)          # (after the lookup, which may assign it)
        if offset is not None and version and _lookup(tp, name) is descr:
            cell.fill_entry(cell.victim(id(tp)), [id(tp), version, offset | AttrCell.MEMBER])
        return
    if not _shared_keys(tp):
        return
    version, index = _version(tp), _key_index(_shared_keys(tp), name)
    hint = _dict_hint(obj, name) if obj is not None else None
    if version and index is not None:
        cell.fill_entry(cell.victim(id(tp)), [id(tp), version, 8 * index])
    elif version and (hint is not None or cell.for_store):
        # A store of a name the shared keys lack goes into a dict: the
        # entry sends it to PyObject_SetAttr without this helper.
        cell.fill_entry(cell.victim(id(tp)), [id(tp), version, AttrCell.DICT_ONLY])
    if hint is not None:
        cell.put(AttrCell.HINT, hint)
    elif cell.for_store and obj is not None and objects.instance_dict_address(id(obj)):
        cell.put(AttrCell.HINT, NO_DICT_HINT)     # (a store through it: not the fill again)


def _dict_hint(obj, name: str) -> int | None:
    """The index of name's entry in obj's materialized instance dict (see
    _entry_index), else None."""
    address = objects.instance_dict_address(id(obj))
    return _entry_index(address, name) if address else None


def _entry_index(address: int, name: str) -> int | None:
    """The index of name's entry in the dict at address when that is a
    combined table of str keys holding the name object itself (what the
    routines' dict paths read: cells.py), else None."""
    keys = _u64(address + layout.DICT_MA_KEYS)
    if _u64(address + layout.DICT_MA_VALUES) or _u8(keys + layout.KEYS_DK_KIND) != \
            layout.DICT_KEYS_UNICODE:
        return None
    entries = keys + layout.dict_entries_offset(_u8(keys + layout.KEYS_DK_LOG2_INDEX_BYTES))
    key = id(name)
    for i in range(_u64(keys + layout.KEYS_DK_NENTRIES)):
        if _u64(entries + i * layout.UNICODE_ENTRY_SIZE + layout.UNICODE_ENTRY_KEY) == key:
            return i
    return None


def _fill_class_attr(cell: ClassAttrCell, cls) -> None:
    """Fill cell with cls.name when type_getattro gives the MRO's attribute
    itself for as long as cls keeps its version tag: cls is exactly a
    `type` (type_getattro, and a metatype that never changes), which has
    no attribute `name` (it would be looked at first), and the MRO's
    attribute is a plain function (func_descr_get with no instance gives
    the function) or has no __get__ at all: its type is immutable, or in
    cls's MRO, whose changes (a __get__ added) change cls's tag too."""
    name = cell.name
    if type(cls) is not type or type(name) is not str or _lookup(type, name) is not NULL:
        return
    value = _lookup(cls, name)
    if value is NULL:
        return
    vt = type(value)
    if vt is not types.FunctionType:
        if _lookup(vt, "__get__") is not NULL:
            return
        if not vt.__flags__ & layout.TPFLAGS_IMMUTABLETYPE:
            for base in _obj(_u64(id(cls) + layout.TYPE_TP_MRO)):
                if base is vt:
                    break
            else:
                return
    version = _version(cls)
    if version and _lookup(cls, name) is value:     # (nothing changed since)
        cell.write(ClassAttrCell.CLASS, (id(cls), version, id(value)))
        cell.fills += 1


def _module_entry(module, name) -> tuple[int, object] | None:
    """(md_dict version, value) when module.name is md_dict[name] for as
    long as md_dict does not change."""
    if type(module) is not types.ModuleType or type(name) is not str:
        return None
    if _lookup(types.ModuleType, name) is not NULL:
        return None
    md_dict = _u64(id(module) + layout.MODULE_MD_DICT)
    if not md_dict:
        return None
    d = _obj(md_dict)
    if type(d) is not dict:
        return None
    if not dict_versions.watch(d):
        return None
    version = dict_versions.version(d)      # before the lookup (see GlobalCell's)
    value = d.get(name, NULL)
    if value is NULL:
        return None
    return version, value


def _fill_module_attr(cell: ModuleAttrCell, module) -> None:
    entry = _module_entry(module, cell.name)
    if entry is not None:
        cell.write(ModuleAttrCell.VERSION, (entry[0], id(entry[1])))
        cell.fills += 1


def _fill_method(cell: MethodCell, tp: type, method) -> None:
    name = cell.name
    if type(name) is not str or _u64(id(tp) + layout.TYPE_TP_GETATTRO) != _GENERIC_GETATTR:
        return
    if _lookup(tp, name) is not method:
        return
    flags = type(method).__flags__
    if not (flags & layout.TPFLAGS_METHOD_DESCRIPTOR and flags & layout.TPFLAGS_IMMUTABLETYPE):
        return
    version = _version(tp)
    if not version:
        return
    if tp.__flags__ & layout.TPFLAGS_MANAGED_DICT:
        keys = _shared_keys(tp)
        if not keys or _key_index(keys, name) is not None:
            return
        keys_check = _s64(keys + layout.KEYS_DK_NENTRIES) + 1
    elif _s64(id(tp) + layout.TYPE_TP_DICTOFFSET) == 0:
        keys_check = 0
    else:
        return
    cell.fill_entry(cell.victim(id(tp)), [id(tp), version, id(method), keys_check])


def _fill_class_method(cell: MethodCell, cls) -> None:
    """Fill cell's class entry with what a method load of its name from
    the class cls gives (cells.py, MethodCell, says when)."""
    name = cell.name
    if type(cls) is not type or type(name) is not str or _lookup(type, name) is not NULL:
        return
    attr = _lookup(cls, name)
    kind = type(attr)
    if kind is types.FunctionType:
        func, bind = attr, 0
    elif kind in (staticmethod, classmethod) and type(attr.__func__) is types.FunctionType:
        func, bind = attr.__func__, int(kind is classmethod)
    else:
        return
    version = _version(cls)
    if version and _lookup(cls, name) is attr:             # (nothing changed since)
        cell.write(MethodCell.CLASS, (id(cls), version, id(func), bind))
        cell.fills += 1


# -- miss helpers ----------------------------------------------------------------------

# The miss helpers do the interpreter's work in Python: they run with room
# (helper_decl.py), so that their own frames and calls do not fail at a
# recursion limit where the interpreter's instruction would not, and give
# it back around the program's code they run (an attribute's descriptor or
# __getattr__, a mapping's __getitem__), less the frames between the helper
# and that code, which then sees the count the interpreter's would.

@python_helper("load_global_fill", ("ptr",), "borrowed", "null", room=True)
def load_global_fill(cell):
    """LOAD_GLOBAL on a miss of GlobalCell `cell`: globals[name], else
    builtins[name], else NameError; a reference borrowed from the dict
    holding it.  Fills the cell when both dicts are exact dicts."""
    cell = cell_at(cell)
    cell.misses += 1
    globals_, builtins = cell.globals, cell.builtins
    # The versions are read before the lookup: a dict changed in between
    # (by another thread at a check point of the lookup) leaves the cell
    # with a version that never matches again, never a stale value under
    # a current version.  Then the three words are written in one step.
    exact = type(globals_) is dict and type(builtins) is dict
    # A split table (vars() of an instance used as globals) shares the
    # object's values, whose stores (the interpreter's on 3.13 too) leave
    # the dict's version alone: not cached.
    kept = (exact and not _u64(id(globals_) + layout.DICT_MA_VALUES)
            and dict_versions.watch(globals_) and dict_versions.watch(builtins))
    versions = (dict_versions.version(globals_), dict_versions.version(builtins)) if kept else None
    if exact:
        value = semantics.load_global(globals_, builtins, cell.name)
    else:                                   # the mappings' own code may run
        counter = _per_thread.counter
        if counter is not None:
            counter.value -= ROOM - 1       # (semantics.load_global's frame)
        try:
            value = semantics.load_global(globals_, builtins, cell.name)
        finally:
            if counter is not None:
                counter.value += ROOM - 1
    if kept:
        cell.write(GlobalCell.GLOBALS_VERSION, (versions[0], versions[1], id(value)))
        cell.fills += 1
        hint = _entry_index(id(globals_), cell.name) if type(cell.name) is str else None
        if hint is None:        # (a str key equal to the name: the probe will not pass it)
            hint = FROM_BUILTINS if cell.name not in globals_ else NO_HINT
        cell.put(GlobalCell.HINT, hint)
    else:
        # As ceval's LOAD_GLOBAL for other mappings; the result may be a fresh
        # object nothing else holds: the cell keeps it alive until the next miss.
        cell.keepalive = value
    return value


@python_helper("load_attr_fill", ("ptr", "obj"), "obj", "null", room=True)
def load_attr_fill(cell, obj):
    """obj.name (PyObject_GetAttr) on a miss of an AttrCell, ClassAttrCell
    or ModuleAttrCell, which is filled when the attribute is cacheable."""
    cell = cell_at(cell)
    cell.misses += 1
    counter = _per_thread.counter
    if counter is not None:
        counter.value -= ROOM
    try:
        value = getattr(obj, cell.name)
    finally:
        if counter is not None:
            counter.value += ROOM
    if isinstance(cell, ModuleAttrCell):
        _fill_module_attr(cell, obj)
    elif isinstance(cell, ClassAttrCell):
        _fill_class_attr(cell, obj)
    else:
        _fill_instance_attr(cell, type(obj), obj)
    return value


@python_helper("store_attr_fill", ("ptr", "obj", "obj"), "int", "minus_one", room=True)
def store_attr_fill(cell, obj, value):
    """obj.name = value (PyObject_SetAttr) on a miss of AttrCell `cell`,
    which is filled when the attribute is a plain instance attribute."""
    cell = cell_at(cell)
    cell.misses += 1
    counter = _per_thread.counter
    if counter is not None:
        counter.value -= ROOM
    try:
        setattr(obj, cell.name, value)
    finally:
        if counter is not None:
            counter.value += ROOM
    _fill_instance_attr(cell, type(obj), obj)
    return 0


@python_helper("load_method_fill", ("ptr", "obj", "ptr"), "int", "minus_one", room=True)
def load_method_fill(cell, obj, out):
    """LOAD_METHOD (_PyObject_GetMethod) on a miss of a MethodCell or
    ModuleAttrCell: out[0], out[1] = (method, obj) or (NULL, obj.name), new
    references; fills the cell when the result is cacheable."""
    cell = cell_at(cell)
    cell.misses += 1
    counter = _per_thread.counter
    if counter is not None:
        counter.value -= ROOM - 2           # (get_method's frame and its ctypes call)
    try:
        first, second = semantics.get_method(obj, cell.name)
    finally:
        if counter is not None:
            counter.value += ROOM - 2
    slots = (ctypes.c_uint64 * 2).from_address(out)
    _incref(second)
    if first is not NULL:
        _incref(first)
        slots[0], slots[1] = id(first), id(second)
        if isinstance(cell, MethodCell):
            _fill_method(cell, type(obj), first)
    else:
        slots[0], slots[1] = 0, id(second)
        if isinstance(cell, ModuleAttrCell):
            _fill_module_attr(cell, obj)
        elif isinstance(cell, MethodCell):
            _fill_class_method(cell, obj)
    return 0
