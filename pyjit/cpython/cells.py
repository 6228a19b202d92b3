"""Inline cache cells and the helpers that fill them on a miss.

Everything here is what a cell means for the running CPython (dict version
tags, type version tags, shared keys, managed dicts); nothing knows an
engine.  Compiled code reads the cells; pyjit/runtime/entries.py tells call
cells where compiled functions live.

A cell is a few 64-bit words of host memory (`Cell`, an `array('Q')` the
compiled function keeps in its consts): its address is a constant of the
code, valid as long as the compiled function lives, and machine code reads
it with plain loads, either inline at the site or in a routine shared by
every site (cache_routines.py; pyjit/lir/lower_caches.py chooses).  Only
helpers write a cell, on a miss, under the GIL, while no emulated
instruction of that thread runs; other threads' compiled code may run at
any check point of the helper (it holds the GIL there), so a fill stores
its words in one step (`Cell.write`: no check point between the first
store and the last), after reading the versions it caches and before
looking up what they guard.  A cell starts all zero, which never
matches (no object, dict or type has address or version 0), so its first
execution goes to its miss helper.  A miss helper gets the cell's address
and the site's operands, does what the interpreter does (same result, same
exception) and fills the cell when the case is cacheable: the global,
attribute, method and module-attribute ones are cache_fills.py's, the
call cells' is here.

Each kind: its words (byte offsets), what the hot path checks, and why that
is enough for the cached words to be right.

Attribute, method and call cells are polymorphic (`PolyCell`): ENTRIES (4)
entries of the words below, one per receiver type (per callee), checked in
order; the first word of an entry is its key (type, callee), 0 when free.
A key is in at most one entry, so the hot path stops at the entry whose key
matches and misses when that entry's other checks fail.  A fill goes to the
key's own entry, else a free one, else the least recently filled, and
writes the whole entry at once.  Each entry carries its own guards, so
every rule below holds per entry: an entry whose type changed never matches again (its
version tag is gone for good) while the site's other entries stay warm.

`GlobalCell` [globals version, builtins version, value, globals, builtins]
    One per name per compiled function.  Hot: both dicts' versions
    (dict_versions: ma_version_tag, or on 3.14 the version pyjit's dict
    watcher keeps in _ma_watcher_tag) equal the cell's -> value
    (borrowed).  Every change of a dict gives it a new, process-unique
    version (3.11's DICT_NEXT_VERSION, or the watcher's), so equal
    versions mean both dicts are exactly as when the value was looked up.
    Filled only for exact dicts whose versions are kept (3.14: watched),
    and not for a split table as globals (an instance's vars(): stores
    into the values it shares leave its version alone on 3.13).
    When the versions differ (a store into another global of the module
    changed the globals' version), a name the globals hold is still read
    without a helper call, as 3.11's LOAD_GLOBAL_MODULE reads it: at the
    cell's HINT, the name's entry in the globals when a miss last found it
    there (an exact dict), checked as an AttrCell's dict path checks it
    (below): a combined table of str keys whose entry at HINT has the
    cell's NAME as its key and a value (borrowed).  A value found in the
    builtins (HINT is FROM_BUILTINS) is still the builtins' when their
    version is the cell's and the globals still lack the name: a probe of
    the globals' index table for it (`dict_lacks` in routines.py, the
    lookup dictobject.c makes) ends at an empty slot without passing an
    entry whose key is the name or has its hash (a str equal to it might
    be there), in a table of str keys, all within a few probes.

`AttrCell` ENTRIES x [type, tp_version_tag, slot word], hint, name
    The slot word is the byte offset of values[index] (an instance value
    of a type with Py_TPFLAGS_MANAGED_DICT), or the byte offset of a
    `__slots__` member in the object tagged with MEMBER (bit 0; offsets
    are multiples of 8).  Hot, both: Py_TYPE is the entry's type, its
    tp_version_tag the entry's.

    Instance values.  Hot: the values array (`OBJECT_VALUES`) not NULL
    (3.12: tagged as values; 3.13: inline and `valid`).  A load needs the
    slot not NULL, increfs and returns it.  A store (`for_store`) stores
    the new value (incref) and releases the old one, which is
    STORE_ATTR_INSTANCE_VALUE: an existing slot keeps its place in the
    values' insertion order, and an empty one is first added to it
    (_PyDictValues_AddToInsertionOrder, objects.add_to_insertion_order):
    3.11/3.12 count the set slots in the byte at values[-2] and keep
    their indices in the bytes below it, 3.13/3.14 in the `size` byte of
    the values' header and the bytes after the `capacity` value pointers.
    Every values array of a type has room for every index of its shared
    keys (they are sized for the keys' dk_nentries + dk_usable, which a
    split table never outgrows), so no capacity check is needed; an empty
    slot is not in the order (a deletion takes it out).  3.13/3.14 send a
    store into the values of an object that has a dict to the miss
    helper (objects.no_dict_sharing_values): the dict may share them
    (`valid` stays set), and a store must go through it (its watchers,
    its version, its ma_used for a new key); loads may still read them.  Filled when tp_getattro (loads) / tp_setattro
    (stores) is the generic one, the type has a valid version tag, no
    class attribute `name` is a data descriptor or could become one (it
    must be of an immutable type without __set__/__delete__), and `name`
    is in the type's shared keys (`ht_cached_keys`) at `index`.  The
    version tag changes whenever the type or a base changes and is never
    reused; shared keys only grow, so an index stays valid for every
    values array of the type; a materialized __dict__ or a __class__
    assignment sets the values pointer to NULL (3.12: untags it; 3.13: a
    dict that takes the values over clears `valid`).

    Slot members (MEMBER).  The slot is at obj + offset.  A load needs it
    not NULL (NULL: the miss helper raises the interpreter's
    AttributeError), increfs and returns it; a store stores the new value
    (incref) and releases the old one if there was one, which is
    PyMember_SetOne for T_OBJECT_EX.  Filled when tp_getattro /
    tp_setattro is the generic one and the MRO's attribute `name` is
    exactly a member descriptor of type T_OBJECT_EX with no flag (loads
    allow READONLY) whose d_type is in the type's MRO: then the generic
    getattr / setattr calls member_get / member_set, whose type check
    passes and which read / write exactly that word.  The descriptor is
    found in the type, so its version tag covers it: replacing it (say by
    a property) changes the tag; a member descriptor and its PyMemberDef
    never change.

    Materialized dicts (loads).  An instance whose values are not in use
    (a dict of its own holds its attributes: set in another order than
    the type's first instance set them, or its __dict__ asked for) is read
    through the dict, as 3.11's LOAD_ATTR_WITH_HINT reads it: the object's
    managed dict (objects.instance_dict) is a combined table of str keys
    (ma_values NULL, dk_kind DICT_KEYS_UNICODE), the cell's HINT is below
    its dk_nentries, and that entry's key is the cell's NAME (the
    interned name the code uses; a dict's key is never another object
    equal to it when this one is there: keys are unique) with a value not
    NULL: the attribute is that value.  The type's entry says that name
    is an instance attribute for the type (a values slot, or DICT_ONLY
    when the shared keys do not have it) under its version tag, so no
    data descriptor takes precedence.  A miss sets HINT to the name's
    index in the dict of the object it missed on; instances whose dicts
    differ in order share one hint (CPython's is per site too).  Stores
    into a dict are not made inline (the dict's version and watchers):
    with the type's entry matched (values slot or DICT_ONLY), they are
    PyObject_SetAttr, the store STORE_ATTR makes, and fill nothing.  A method load (MethodCell) on such an instance finds the
    type's method when the dict lacks the name (the probe above, the
    cell's NAME after its entries).

`MethodCell` [type, tp_version_tag, method, keys check] entries, name, and
    one class entry [class, tp_version_tag, function, bind]: a method load
    from a class (`Strength.weaker(...)`, `cls.weaker(...)`), whose type is
    exactly `type`, no entry's.  Hot: obj is the class and has the version
    tag -> (function, class) when bind (a classmethod: the call of the
    bound method classmethod.__get__ makes is the function's with the
    class first, and no bound method is made), else (NULL, function).
    Filled when `type` has no attribute `name` (type_getattro would look
    there first) and the MRO's attribute is a plain function (its __get__
    without an instance gives it), or a staticmethod or classmethod of one
    (staticmethod.__get__ gives the function; classmethod.__get__, on
    3.11/3.12 through the function's own __get__, binds it to the class);
    the version tag covers the class's dict and its MRO's.

`ClassAttrCell` [class, tp_version_tag, value]
    A load through a global that holds a class when the code is compiled
    (`Direction.FORWARD`).  Hot: Py_TYPE(obj) is exactly `type` (so the
    version tag is there to read), obj is the cell's class and its
    tp_version_tag the cell's -> value, a new reference.  Filled when the
    class's type is exactly `type` (type_getattro; `type` is immutable and
    must have no attribute `name`, which would come first), and the MRO's
    attribute is a plain function (func_descr_get without an instance
    gives the function itself) or has no __get__ and cannot get one: its
    type is immutable, or is in the class's MRO (adding __get__ to it
    changes the class's tag as well).  Then type_getattro returns exactly
    that attribute.  Equal tags mean the same class, unchanged, with no
    base changed: the value is still in a dict of its MRO, alive.  A dead
    class's address may be reused, but a new type never gets an old tag.

`ModuleAttrCell` [md_dict version, value]
    For exact modules.  Hot: Py_TYPE is ModuleType, md_dict not NULL, its
    version the cell's -> value, a new reference (LoadMethod: (NULL,
    value)).  On 3.14 its version starts at dict_versions.NEVER, which no
    dict has (an unwatched dict's tag is 0), as GlobalCell's do.  Filled when ModuleType has no attribute `name` (it would come
    first or last in module_getattro) and md_dict holds it.

`MethodCell` ENTRIES x [type, tp_version_tag, method, keys check]
    Hot: type and version as for AttrCell, then keys check 0 (the type has
    no instance dict at all) or: no materialized dict
    (`OBJECT_MANAGED_DICT` NULL) and the shared keys' dk_nentries + 1 equal
    to it -> (method, obj), new references.  Filled when
    _PyObject_GetMethod finds a method descriptor (a function, a method
    descriptor: immutable types) on the type and the instance cannot
    shadow it: `name` is not among the shared keys, which only grow by
    appending, so an unchanged count means it is still absent from every
    values array.

`CallCell` ENTRIES x [callee, target], megamorphic target
    Direct calls between compiled functions.  Compiled code (inline, or the
    shared `pyjit_call_cached` routine) does:

        callee == an entry's callee  -> call that entry's target
        cell.megamorphic != 0        -> call cell.megamorphic
        otherwise                    -> call call_cell_fill(cell, callee, generic)
        (args below the stack limit  -> call PyObject_Vectorcall instead)

    with the vectorcall ABI (x0 callable, x1 args, x2 nargsf, x3 kwnames),
    which is both a compiled function's and PyObject_Vectorcall's.
    Invariants:
    - `target` is the entry of `callee`'s compiled code in the engine the
      cell's code runs in (what the cell's `compiled_entry`, set by the runtime
      when the code is loaded, answers), or `generic` (PyObject_Vectorcall's
      address in that engine, which the code hands to the fill helper).
      Only `call_cell_fill` writes a cell; the runtime calls
      `reset_call_cells_naming(func)` when func is compiled and before its
      code is unloaded, so no cell ever holds the entry of freed code and a
      function compiled after a cell cached "not compiled" is found next
      call.
    - A compiled callee is alive while a cell names its entry: the runtime
      resets the cells naming a compiled function when it dies, in its
      deallocation (a weak reference's callback), before any other object
      can have its address.  A cell naming a dead
      object only ever holds `generic`, which is right for any callee.
    - A fill goes to a free entry, else the least recently filled one, whose
      callee is forgotten first.  A site that filled MEGAMORPHIC_AFTER
      times stops filling: the megamorphic word holds `generic`, so callees
      not in an entry go to PyObject_Vectorcall without trapping into the
      fill helper again; the entries it has keep working (and are still
      reset as above).
    - An entry names a compiled callee's machine code by its identity, and
      a program can change what a function runs under the same identity
      (`f.__code__ = ...`): the routines call a compiled target only when
      the callee's func_version carries pyjit's stamp (func_versions.py),
      which the interpreter takes away on any such change; otherwise they
      ask `call_entry_stale`.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import (
    LookupError, TypeError, bytes, id, isinstance, len, list, memoryview, min, object, range,
    super, type,
)
import array
import ctypes
import types
import weakref
from functools import partial
from typing import ClassVar

from . import dict_versions, layout
from .helper_decl import python_helper


# -- cells ---------------------------------------------------------------------------

_by_address: dict[int, weakref.ref] = {}


class Cell:
    """WORDS zeroed 64-bit words at `address`.  `name` is what the site
    looks up (a global or attribute name; for a CallCell, the site), kept
    alive by the cell for its miss helper; `misses` / `fills` count the
    miss helper's calls and fills.  Word offsets are byte offsets, as the
    code loads them: `get`/`put` read and write them from Python,
    `words()` lists them.  The words are an `array('Q')` of the cell's
    own, or a part of one shared with the cells made with it
    (`method_call_cells`), which each of them keeps alive."""

    WORDS: ClassVar[int] = 0

    def __new__(cls, name: str, *args, storage: tuple[array.array, int] | None = None,
                **kwargs):
        cell = super().__new__(cls)
        if storage is None:
            storage = (array.array("Q", bytes(8 * cls.WORDS)), 0)
        memory, first = storage
        cell._memory = memory
        cell._words = memoryview(memory)[first:first + cls.WORDS]
        cell.name = name
        cell.address = memory.buffer_info()[0] + 8 * first
        cell.misses = cell.fills = 0
        address = cell.address

        def forget(ref, address=address, cells=_by_address):
            # (the table a default: the module's globals are None when the
            # interpreter finalizes it before the cells)
            if cells.get(address) is ref:
                del cells[address]
        _by_address[address] = weakref.ref(cell, forget)
        return cell

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.words()}>"

    def words(self) -> list[int]:
        return self._words.tolist()

    def get(self, offset: int) -> int:
        return self._words[offset >> 3]

    def put(self, offset: int, value: int) -> None:
        self._words[offset >> 3] = value

    def write(self, offset: int, words) -> None:
        """Store words from byte offset on in one step, with no check point
        (where the interpreter may switch threads) between the first store
        and the last: compiled code on another thread sees the words as they
        were or as they are now, never half of a fill (a GlobalCell whose
        versions match with the old or no value, a key with the words of
        another fill).  The new words are made first (an allocation may run
        a collection, and finalizers); the slice assignment copies them."""
        new = array.array("Q", words)
        i = offset >> 3
        self._words[i:i + len(new)] = new


def cell_at(address: int) -> Cell:
    """The live cell whose words are at address."""
    ref = _by_address.get(address)
    cell = ref() if ref is not None else None
    if cell is None:
        raise LookupError(f"no cache cell at {address:#x}")
    return cell


# A HINT word no entry index equals: the name's place is not known;
# FROM_BUILTINS, another, says that a GlobalCell's value is the builtins';
# NO_DICT_HINT, a third, that a store's fill found no entry to point at
# (the store routine then leaves the store to PyObject_SetAttr, not to
# the fill again: NO_HINT sends it to the fill).
NO_HINT = (1 << 64) - 1
FROM_BUILTINS = NO_HINT - 1
NO_DICT_HINT = NO_HINT - 2


class GlobalCell(Cell):
    """One per global name per compiled function; GLOBALS and BUILTINS are
    the function's dicts (constant, kept alive by the cell)."""

    WORDS = 7
    GLOBALS_VERSION, BUILTINS_VERSION, VALUE, GLOBALS, BUILTINS = 0, 8, 16, 24, 32
    HINT, NAME = 40, 48     # the name's entry in the globals (AttrCell's HINT, NAME)

    def __new__(cls, name: str, globals_: dict, builtins: dict):
        cell = super().__new__(cls, name, globals_, builtins)
        cell.globals, cell.builtins = globals_, builtins
        cell.put(cls.GLOBALS, id(globals_))
        cell.put(cls.BUILTINS, id(builtins))
        cell.put(cls.GLOBALS_VERSION, dict_versions.NEVER)
        cell.put(cls.BUILTINS_VERSION, dict_versions.NEVER)
        cell.put(cls.HINT, NO_HINT)
        cell.put(cls.NAME, id(name))
        return cell


class PolyCell(Cell):
    """A cell of ENTRIES entries of ENTRY bytes each, checked in order; an
    entry's first word is its key (a type, a callee), 0 when free.  A key
    is in at most one entry: `fill_entry` reuses the key's entry, else a
    free one, else the least recently filled."""

    ENTRIES: ClassVar[int] = 4
    ENTRY: ClassVar[int] = 8

    def __new__(cls, name: str, *args, **kwargs):
        cell = super().__new__(cls, name, *args, **kwargs)
        cell.stamps = [0] * cls.ENTRIES
        return cell

    def entry_of(self, key: int) -> int | None:
        """The byte offset of key's entry, or None."""
        for i in range(self.ENTRIES):
            if self.get(i * self.ENTRY) == key:
                return i * self.ENTRY
        return None

    def keys(self) -> list[int]:
        return [self.get(i * self.ENTRY) for i in range(self.ENTRIES)]

    def victim(self, key: int) -> int:
        """The byte offset of the entry a fill for key goes to."""
        at = self.entry_of(key)
        if at is None:
            at = self.entry_of(0)
        if at is None:
            at = self.ENTRY * min(range(self.ENTRIES), key=self.stamps.__getitem__)
        return at

    def fill_entry(self, at: int, words: list[int]) -> None:
        """Write an entry in one step (`write`): a reader never sees a key
        with another fill's words, even when two threads fill the same
        entry at once."""
        self.write(at, words)
        self.fills += 1
        self.stamps[at // self.ENTRY] = self.fills

    def clear_entry(self, at: int) -> None:
        self.write(at, (0,) * (self.ENTRY // 8))


class AttrCell(PolyCell):
    ENTRY = 24
    TYPE, VERSION, SLOT = 0, 8, 16      # within an entry
    MEMBER = 1      # SLOT's tag: a __slots__ member at obj + (SLOT - MEMBER)
    DICT_ONLY = 3   # SLOT: an instance attribute the type's shared keys do not have
    # After the entries: where the name was in the last materialized
    # instance dict a miss looked at (a combined table's entry index; all
    # ones: none), and the name (its address: a dict's key must be it).
    HINT = PolyCell.ENTRIES * ENTRY
    NAME = HINT + 8
    WORDS = NAME // 8 + 1

    def __new__(cls, name: str, for_store: bool = False):
        cell = super().__new__(cls, name, for_store)
        cell.for_store = for_store
        cell.put(cls.HINT, NO_HINT)
        cell.put(cls.NAME, id(name))
        return cell


class ClassAttrCell(Cell):
    WORDS = 3
    CLASS, VERSION, VALUE = 0, 8, 16


class ModuleAttrCell(Cell):
    WORDS = 2
    VERSION, VALUE = 0, 8

    def __new__(cls, name: str):
        cell = super().__new__(cls, name)
        cell.put(cls.VERSION, dict_versions.NEVER)
        return cell


class MethodCell(PolyCell):
    ENTRY = 32
    TYPE, VERSION, METHOD, KEYS = 0, 8, 16, 24      # within an entry
    NAME = PolyCell.ENTRIES * ENTRY                 # after the entries: the name (its address)
    # A load from a class: the class, its version tag, the function and
    # whether the class is its first argument (a classmethod's).
    CLASS, CLASS_VERSION, CLASS_FUNC, CLASS_BIND = NAME + 8, NAME + 16, NAME + 24, NAME + 32
    WORDS = CLASS_BIND // 8 + 1

    def __new__(cls, name: str, *args, **kwargs):
        cell = super().__new__(cls, name, *args, **kwargs)
        cell.put(cls.NAME, id(name))
        return cell


class CallCell(PolyCell):
    ENTRY = 16
    CALLEE, TARGET = 0, 8                           # within an entry
    MEGAMORPHIC = PolyCell.ENTRIES * ENTRY
    # The class an INSTANCE target makes instances of, as of its last fill:
    # its version tag, its __init__ (a compiled function, borrowed: the
    # class holds it while its version stands), the cell calling it.
    INSTANCE_VERSION, INSTANCE_INIT, INSTANCE_CELL = (MEGAMORPHIC + 8, MEGAMORPHIC + 16,
                                                      MEGAMORPHIC + 24)
    WORDS = INSTANCE_CELL // 8 + 1
    # Set by the runtime when the cell's code is loaded: callee -> the
    # address of its compiled entry in that engine, or None.
    compiled_entry = None

    def __new__(cls, name: str, instances: bool = True, **kwargs):
        """instances: whether a fill may give the INSTANCE target (only
        for a site calling through pyjit_call_cached, which passes the
        cell to the routines)."""
        cell = super().__new__(cls, name, **kwargs)
        cell.instances = instances
        cell.init_cell = None
        cell.waiting = {}           # id of an __init__ not compiled yet -> id of its class
        return cell

    def fill_instance(self, version: int, init) -> None:
        """The words of an INSTANCE target for a class of this version tag
        whose __init__ is init (the init cell made on the first fill)."""
        if self.init_cell is None:
            self.init_cell = CallCell(f"{self.name} __init__", instances=False)
            self.init_cell.compiled_entry = self.compiled_entry
        self.write(self.INSTANCE_VERSION, [version, id(init), self.init_cell.address])


def method_call_cells(method: str, site: str) -> tuple[MethodCell, CallCell]:
    """A MethodCell for `method` and the CallCell of `site` right after
    it, in one array: a site that loads a method and calls it at once
    passes the first, and the routine finds the second at
    METHOD_CALL_CELL (pyjit_call_method_cached0)."""
    memory = array.array("Q", bytes(8 * (MethodCell.WORDS + CallCell.WORDS)))
    return (MethodCell(method, storage=(memory, 0)),
            CallCell(site, storage=(memory, MethodCell.WORDS)))


METHOD_CALL_CELL = 8 * MethodCell.WORDS     # the CallCell's offset from the MethodCell
# Or'ed into the count a site passes pyjit_call_method_cached0 when its
# receiver is not an argument of the calling function: the routine then holds
# self for the call (an argument lives for the caller's whole call; a global,
# say, may lose its last reference to the method it calls).  Counts of a
# fused site stay below it (lower_caches.fused_call).
METHOD_HOLD_SELF = 0x100


# -- call cells ---------------------------------------------------------------------------

MEGAMORPHIC_AFTER = 8           # fills of one call cell before it stops caching

# id(callee) -> {id(cell): weak reference to a CallCell naming it}: plain dicts
# and weak references, no WeakSet, whose Python methods call builtins.len.
_naming: dict[int, dict[int, weakref.ref]] = {}


@python_helper("call_cell_fill", ("ptr", "obj", "ptr"), "int64", "none", room=True)
def call_cell_fill(cell, callee, generic):
    """The target to call callee with, at a miss of CallCell `cell`: the
    callee's compiled entry in the cell's engine (or the routine of a
    builtin with one, container_routines.CALL_INTRINSICS, tagged
    TAIL_CALL), else `generic` (the address of PyObject_Vectorcall); the
    cell remembers it."""
    cell = cell_at(cell)
    cell.misses += 1
    compiled_entry = cell.compiled_entry
    entry = compiled_entry(callee) if compiled_entry is not None else None
    megamorphic = cell.fills >= MEGAMORPHIC_AFTER
    if entry is None and compiled_entry is not None and cell.instances and not megamorphic:
        instance = instance_init(callee)
        if instance is not None and compiled_entry(instance[1]) is not None:
            cell.fill_instance(*instance)
            entry = INSTANCE
        elif instance is not None:
            # Reset when the __init__ is compiled (reset_call_cells_naming_id).
            cell.waiting[id(instance[1])] = id(callee)
            _name(cell, id(instance[1]))
    target = generic if entry is None else entry
    if megamorphic:
        cell.put(CallCell.MEGAMORPHIC, generic)
        at = cell.entry_of(id(callee))
        if at is not None and cell.get(at + CallCell.TARGET) == INSTANCE:
            cell.fill_entry(at, [id(callee), generic])     # (a refill's class: no more)
        return target
    at = cell.victim(id(callee))
    _unname(cell, at)
    cell.fill_entry(at, [id(callee), target])
    _name(cell, id(callee))
    return target


# A CallCell target: the callee is a class whose instances the call routine
# makes itself, object.__new__(cls) then a direct call of its compiled
# __init__ (the INSTANCE words), where the interpreter's type call would
# call the __init__ from C, through its trampoline, in an emulation of its
# own.  Tagged as an intrinsic (bit 0) with bit 1, which no address has.
INSTANCE = 3
_ABSTRACT = 1 << 20                   # Py_TPFLAGS_IS_ABSTRACT


def instance_init(cls) -> tuple[int, object] | None:
    """(cls's version tag, its __init__) when calling cls is
    object.__new__(cls) then cls.__init__(self, *args, **kwargs) with a
    Python __init__, as the interpreter's type call does for a class of
    metaclass type that defines no __new__ and is not abstract; else
    None."""
    if type(cls) is not type or cls.__new__ is not object.__new__ or cls.__flags__ & _ABSTRACT:
        return None
    for base in cls.__mro__:
        init = base.__dict__.get("__init__")
        if init is not None:
            break
    if type(init) is not types.FunctionType:
        return None
    version = _version_tag(cls)
    return (version, init) if version else None


def _version_tag(cls) -> int:
    """cls's tp_version_tag (0: none; the lookups above assign one)."""
    return ctypes.c_uint32.from_address(id(cls) + layout.TYPE_TP_VERSION_TAG).value


@python_helper("init_returned", ("obj",), "obj", "null", steals=(0,))
def init_returned(result):
    """The interpreter's TypeError for an __init__ that returned result,
    not None (the call routines' INSTANCE path; the result released)."""
    raise TypeError(f"__init__() should return None, not '{tp_name(type(result)):.200s}'")


def tp_name(cls) -> str:
    """cls's tp_name, which the interpreter's messages show (a class's
    name; "collections.deque" for a type made in C)."""
    return ctypes.c_char_p.from_address(id(cls) + _TP_NAME).value.decode("utf-8", "replace")


_TP_NAME = 24                         # after PyVarObject's header, on every version


# Set by the runtime (pyjit/runtime/entries.py): callee, target, generic ->
# what call_entry_stale returns.
entry_recheck = None


@python_helper("call_entry_stale", ("obj", "ptr", "ptr"), "int64", "none", room=True)
def call_entry_stale(callee, target, generic):
    """The address to call callee with, when the call routines were about
    to call its compiled entry `target` and found its version no longer
    pyjit's (func_versions.py: its code, defaults or the like were
    assigned): target again, callee stamped again, while its trampoline is
    still its code; else `generic` (the address of PyObject_Vectorcall),
    and no cell names callee any more."""
    return entry_recheck(callee, target, generic)


def _name(cell: CallCell, callee: int) -> None:
    """Remember that cell names callee (an id) until one of them goes."""
    cells = _naming.get(callee)
    if cells is None:
        cells = _naming[callee] = {}
    if id(cell) not in cells:
        cells[id(cell)] = weakref.ref(cell, partial(_cell_died, _naming, callee, id(cell)))


def _cell_died(naming: dict, callee: int, cell: int, ref: weakref.ref) -> None:
    # (naming is _naming, bound when the reference was made: at exit this
    # module's globals may be None before the cells die)
    cells = naming.get(callee)
    if cells is not None and cells.get(cell) is ref:
        del cells[cell]
        if not cells:
            del naming[callee]


def _unname(cell: CallCell, at: int) -> None:
    """Clear the entry at byte offset at, and forget that it names its
    callee (a callee is in at most one entry of a cell)."""
    callee = cell.get(at + CallCell.CALLEE)
    cell.clear_entry(at)
    cells = _naming.get(callee)
    if cells is not None:
        cells.pop(id(cell), None)
        if not cells:
            del _naming[callee]


def reset_call_cells_naming(func) -> None:
    """Clear every call cell entry naming func: its next call through any
    of them asks call_cell_fill again."""
    reset_call_cells_naming_id(id(func))


def reset_call_cells_naming_id(key: int) -> None:
    """reset_call_cells_naming for the object whose id is key (callable
    while that object is being deallocated, before its memory is reused)."""
    for ref in list(_naming.pop(key, {}).values()):
        cell = ref()
        at = cell.entry_of(key) if cell is not None else None
        if at is None and isinstance(cell, CallCell) and key in cell.waiting:
            at = cell.entry_of(cell.waiting.pop(key))     # a class whose __init__ key is
        if at is not None:
            cell.clear_entry(at)


def cells_of(consts, kind: type = Cell) -> list:
    """The cells of one kind among a compiled function's consts."""
    return [obj for obj in consts if isinstance(obj, kind)]
