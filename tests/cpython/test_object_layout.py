"""The layout table against live objects of the running interpreter.

Every offset is checked by reading real objects' memory through ctypes and
comparing with what Python says about them (ids, lengths, attributes), and
where a field changes (versions, refcounts) by watching it change.  The
table is the running version's description, also while that version is
still refused (its description is checked before pyjit runs on it).
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import sys
import types

import pytest

from pyjit.cpython.version import RUNNING, SUPPORTED, UnsupportedPython, check_build

L = importlib.import_module(SUPPORTED.get(RUNNING, "pyjit.cpython.v%d_%d" % RUNNING) + ".layout")


def u8(a): return ctypes.c_uint8.from_address(a).value
def u32(a): return ctypes.c_uint32.from_address(a).value
def u64(a): return ctypes.c_uint64.from_address(a).value
def s64(a): return ctypes.c_int64.from_address(a).value


def test_table_selected_for_running_version():
    assert L.VERSION == sys.version_info[:2]
    assert "FLOAT_OB_FVAL" in L.names()


@pytest.mark.parametrize("version", [v for v in [(3, 10), (3, 12), (3, 13), (3, 99)]
                                     if v not in SUPPORTED])
def test_other_versions_are_refused(version):
    with pytest.raises(UnsupportedPython, match=f"{version[0]}.{version[1]}"):
        check_build(version)


def test_object_header():
    """A new object held by one local has one reference; two more in a
    list count two.  (Not sys.getrefcount's view: it counts its own
    argument up to 3.13, while 3.14 passes a local borrowed.)"""
    o = object()
    assert s64(id(o) + L.OB_REFCNT) == 1
    assert u64(id(o) + L.OB_TYPE) == id(object)
    keep = [o, o]
    assert s64(id(o) + L.OB_REFCNT) == 3
    del keep
    assert s64(id(o) + L.OB_REFCNT) == 1


def test_float_value():
    x = 1.5
    assert ctypes.c_double.from_address(id(x) + L.FLOAT_OB_FVAL).value == 1.5
    y = -2.25e300
    assert ctypes.c_double.from_address(id(y) + L.FLOAT_OB_FVAL).value == y
    assert float.__basicsize__ == L.FLOAT_SIZE


@pytest.mark.parametrize("value", [0, 1, 7, -7, 2**30 - 1, 2**30, -(2**95) + 12345, 3**200])
def test_long_digits(value):
    assert sys.int_info.bits_per_digit == L.LONG_DIGIT_BITS
    assert sys.int_info.sizeof_digit == L.LONG_DIGIT_SIZE
    size = signed_digit_count(value)
    digits = [u32(id(value) + L.LONG_OB_DIGIT + L.LONG_DIGIT_SIZE * i) for i in range(abs(size))]
    assert all(d <= L.LONG_DIGIT_MASK for d in digits)
    magnitude = sum(d << (L.LONG_DIGIT_BITS * i) for i, d in enumerate(digits))
    assert (-magnitude if size < 0 else magnitude) == value
    if value:
        assert digits[-1] != 0          # normalized: no leading zero digit


def signed_digit_count(value: int) -> int:
    """The int's number of digits, negative for a negative int: ob_size
    (3.11), or lv_tag's digit count and sign (3.12)."""
    if L.LONG_OB_SIZE is not None:
        return s64(id(value) + L.LONG_OB_SIZE)
    tag = u64(id(value) + L.LONG_LV_TAG)
    return (1 - (tag & L.LONG_SIGN_MASK)) * (tag >> L.LONG_NON_SIZE_BITS)


@pytest.mark.parametrize("value", [0, 1, -1, 5, -5, 256, 2**30 - 1, -(2**30 - 1), 2**30])
def test_one_digit_ints_by_the_layout(value):
    """What the shared routines test: at most one digit, and its value."""
    if L.LONG_OB_SIZE is not None:
        size = s64(id(value) + L.LONG_OB_SIZE)
        compact, sign = -1 <= size <= 1, size
    else:
        tag = u64(id(value) + L.LONG_LV_TAG)
        compact, sign = tag < L.LONG_COMPACT_TAG_LIMIT, 1 - (tag & L.LONG_SIGN_MASK)
    assert compact == (abs(value) < 2**30)
    if compact:
        assert sign * u32(id(value) + L.LONG_OB_DIGIT) == value


def test_the_refcount_rule():
    """3.11: every object's count is its references.  3.12: immortal
    objects (None, small ints, ...) have the low 32 bits of their count
    saturated, bit IMMORTAL_BIT set; Py_INCREF and Py_DECREF leave them."""
    o = object()
    assert s64(id(o) + L.OB_REFCNT) == 1
    if L.IMMORTAL_REFCNT is None:
        assert L.IMMORTAL_BIT is None
        before = s64(id(None) + L.OB_REFCNT)      # None's count counts too
        keep = [None] * 5
        after = s64(id(None) + L.OB_REFCNT)
        del keep
        assert after - before == 5
        return
    # Own prototypes: ctypes.pythonapi's function objects are shared.
    incref = ctypes.PYFUNCTYPE(None, ctypes.py_object)(("Py_IncRef", ctypes.pythonapi))
    decref = ctypes.PYFUNCTYPE(None, ctypes.py_object)(("Py_DecRef", ctypes.pythonapi))
    for immortal in (None, True, 0, 256, -5, int, "a"):
        low = u32(id(immortal) + L.OB_REFCNT)
        assert low == L.IMMORTAL_REFCNT and low >> L.IMMORTAL_BIT & 1
        incref(immortal)
        decref(immortal)
        decref(immortal)
        assert u32(id(immortal) + L.OB_REFCNT) == L.IMMORTAL_REFCNT
    assert not u32(id(o) + L.OB_REFCNT) >> L.IMMORTAL_BIT & 1


def test_small_int_cache_bounds():
    # Small ints are shared objects: computed values are the same object.
    lo, hi = L.SMALL_INT_MIN, L.SMALL_INT_MAX
    assert int(str(lo)) is lo and int(str(hi)) is hi
    assert int(str(hi + 1)) is not int(str(hi + 1))


def test_tuple_and_list():
    items = ("a", 2.5, None)
    t = tuple(items)
    assert s64(id(t) + L.TUPLE_OB_SIZE) == 3
    assert [u64(id(t) + L.TUPLE_OB_ITEM + 8 * i) for i in range(3)] == [id(x) for x in items]
    lst = [1.5, "x"]
    lst.append(object())
    assert s64(id(lst) + L.LIST_OB_SIZE) == 3
    assert s64(id(lst) + L.LIST_ALLOCATED) >= 3
    array = u64(id(lst) + L.LIST_OB_ITEM)
    assert [u64(array + 8 * i) for i in range(3)] == [id(x) for x in lst]


def test_dict_fields_and_version():
    d = {"k": 1, "j": 2}
    assert s64(id(d) + L.DICT_MA_USED) == 2
    if L.DICT_MA_VERSION_TAG is not None:          # 3.14: no version (test_layout_v3_14.py)
        version = u64(id(d) + L.DICT_MA_VERSION_TAG)
        d["k"] = 3
        assert u64(id(d) + L.DICT_MA_VERSION_TAG) > version
    assert u64(id(d) + L.DICT_MA_VALUES) == 0           # a combined table
    keys = u64(id(d) + L.DICT_MA_KEYS)
    assert u8(keys + L.KEYS_DK_KIND) == L.DICT_KEYS_UNICODE
    assert s64(keys + L.KEYS_DK_NENTRIES) == 2
    assert s64(keys + L.KEYS_DK_REFCNT) >= 1
    entries = keys + L.dict_entries_offset(u8(keys + L.KEYS_DK_LOG2_INDEX_BYTES))
    got = {u64(entries + L.UNICODE_ENTRY_SIZE * i + L.UNICODE_ENTRY_KEY):
           u64(entries + L.UNICODE_ENTRY_SIZE * i + L.UNICODE_ENTRY_VALUE) for i in range(2)}
    assert got == {id(k): id(v) for k, v in d.items()}
    assert 1 << u8(keys + L.KEYS_DK_LOG2_SIZE) >= 2


def test_str_hash_and_the_index_probe():
    name = "".join(["attr", "ibute"])           # made at run time: hash not computed yet
    assert s64(id(name) + L.STR_HASH) == -1
    h = hash(name)
    assert s64(id(name) + L.STR_HASH) == h
    d = {f"k{i}": i for i in range(40)}
    d[name] = "v"
    keys = u64(id(d) + L.DICT_MA_KEYS)
    log2_size, log2_bytes = u8(keys + L.KEYS_DK_LOG2_SIZE), u8(keys + L.KEYS_DK_LOG2_INDEX_BYTES)
    width = 1 << (log2_bytes - log2_size)
    mask = (1 << log2_size) - 1
    i, perturb = h & mask, h % 2**64
    while True:                                   # the lookup the routines' probe makes
        index = int.from_bytes(ctypes.string_at(keys + L.KEYS_DK_INDICES + i * width, width),
                               "little", signed=True)
        assert index != L.DKIX_EMPTY
        entry = keys + L.dict_entries_offset(log2_bytes) + L.UNICODE_ENTRY_SIZE * index
        if index >= 0 and u64(entry + L.UNICODE_ENTRY_KEY) == id(name):
            break
        perturb >>= L.DICT_PERTURB_SHIFT
        i = (5 * i + perturb + 1) & mask
    assert u64(entry + L.UNICODE_ENTRY_VALUE) == id(d[name])


def test_general_dict_keys():
    d = {10**20: "a", 2.5: "b"}
    keys = u64(id(d) + L.DICT_MA_KEYS)
    assert u8(keys + L.KEYS_DK_KIND) == L.DICT_KEYS_GENERAL
    entries = keys + L.dict_entries_offset(u8(keys + L.KEYS_DK_LOG2_INDEX_BYTES))
    for i, (k, v) in enumerate(d.items()):
        entry = entries + L.GENERAL_ENTRY_SIZE * i
        assert u64(entry + L.GENERAL_ENTRY_KEY) == id(k)
        assert u64(entry + L.GENERAL_ENTRY_VALUE) == id(v)
        assert s64(entry + L.GENERAL_ENTRY_HASH) == hash(k)


def test_globals_keys_version_for_cached_global_loads():
    g = {"x": 5}
    exec("def f():\n    return x\n", g)
    keys = u64(id(g) + L.DICT_MA_KEYS)
    for _ in range(100):      # LOAD_GLOBAL specializes and gives the keys a version
        g["f"]()
    version = u32(keys + L.KEYS_DK_VERSION)
    assert version != 0
    g["x"] = 6                # a value change keeps the keys version
    assert u32(keys + L.KEYS_DK_VERSION) == version
    g["y"] = 1                # a new key resets it
    assert u32(u64(id(g) + L.DICT_MA_KEYS) + L.KEYS_DK_VERSION) != version


def test_type_fields():
    class C:
        pass
    for tp in (int, list, dict, C, type, types.FunctionType):
        base = id(tp)
        assert s64(base + L.TYPE_TP_BASICSIZE) == tp.__basicsize__
        assert s64(base + L.TYPE_TP_ITEMSIZE) == tp.__itemsize__
        assert u64(base + L.TYPE_TP_FLAGS) == tp.__flags__
        assert s64(base + L.TYPE_TP_DICTOFFSET) == tp.__dictoffset__
        assert u64(base + L.TYPE_TP_MRO) == id(tp.__mro__)
        assert u64(base + L.TYPE_TP_BASE) == id(tp.__base__ if tp is not object else None) \
            or tp.__base__ is None
        name = ctypes.c_char_p(u64(base + L.TYPE_TP_NAME)).value.decode()
        assert name.rpartition(".")[2] == tp.__name__
        (real_dict,) = gc.get_referents(tp.__dict__)
        if tp.__flags__ & vars(L).get("TPFLAGS_STATIC_BUILTIN", 0):
            assert u64(base + L.TYPE_TP_DICT) == 0      # 3.12: in the interpreter's state
        else:
            assert u64(base + L.TYPE_TP_DICT) == id(real_dict)
    assert s64(id(types.FunctionType) + L.TYPE_TP_VECTORCALL_OFFSET) == L.FUNC_VECTORCALL
    assert u64(id(type(iter([]))) + L.TYPE_TP_ITERNEXT) != 0
    assert u64(id(int) + L.TYPE_TP_ITERNEXT) == 0
    assert u64(id(type) + L.TYPE_TP_CALL) != 0 and u64(id(int) + L.TYPE_TP_CALL) == 0
    assert type.__basicsize__ == L.HEAPTYPE_SIZE
    assert object.__basicsize__ == L.OBJECT_HEAD_SIZE


def test_type_version_tag_follows_modifications():
    class C:
        pass
    obj = C()
    getattr(obj, "__class__")
    tag = u32(id(C) + L.TYPE_TP_VERSION_TAG)
    flag = L.TPFLAGS_VALID_VERSION_TAG          # None: 3.13 tests the tag alone
    assert tag != 0 and (flag is None or C.__flags__ & flag)
    C.attr = 1
    assert u32(id(C) + L.TYPE_TP_VERSION_TAG) == 0
    assert flag is None or not C.__flags__ & flag
    getattr(obj, "attr")      # a lookup assigns a new tag
    assert u32(id(C) + L.TYPE_TP_VERSION_TAG) not in (0, tag)


def test_type_flag_constants():
    class C:
        pass
    assert int.__flags__ & L.TPFLAGS_LONG_SUBCLASS and not str.__flags__ & L.TPFLAGS_LONG_SUBCLASS
    assert list.__flags__ & L.TPFLAGS_LIST_SUBCLASS
    assert tuple.__flags__ & L.TPFLAGS_TUPLE_SUBCLASS
    assert bytes.__flags__ & L.TPFLAGS_BYTES_SUBCLASS
    assert str.__flags__ & L.TPFLAGS_UNICODE_SUBCLASS
    assert dict.__flags__ & L.TPFLAGS_DICT_SUBCLASS
    assert ValueError.__flags__ & L.TPFLAGS_BASE_EXC_SUBCLASS
    assert type.__flags__ & L.TPFLAGS_TYPE_SUBCLASS
    assert C.__flags__ & L.TPFLAGS_HEAPTYPE and not int.__flags__ & L.TPFLAGS_HEAPTYPE
    assert C.__flags__ & L.TPFLAGS_MANAGED_DICT and not int.__flags__ & L.TPFLAGS_MANAGED_DICT
    assert C.__flags__ & L.TPFLAGS_HAVE_GC and not float.__flags__ & L.TPFLAGS_HAVE_GC
    assert int.__flags__ & L.TPFLAGS_IMMUTABLETYPE and not C.__flags__ & L.TPFLAGS_IMMUTABLETYPE
    assert int.__flags__ & L.TPFLAGS_READY and C.__flags__ & L.TPFLAGS_BASETYPE
    assert not bool.__flags__ & L.TPFLAGS_BASETYPE
    assert list.__flags__ & L.TPFLAGS_SEQUENCE and dict.__flags__ & L.TPFLAGS_MAPPING
    assert int.__flags__ & L.TPFLAGS_MATCH_SELF
    assert types.FunctionType.__flags__ & L.TPFLAGS_HAVE_VECTORCALL
    assert types.FunctionType.__flags__ & L.TPFLAGS_METHOD_DESCRIPTOR
    import abc
    assert abc.ABC.__flags__ & L.TPFLAGS_IS_ABSTRACT == 0
    assert type("A", (abc.ABC,), {"m": abc.abstractmethod(lambda s: 0)}).__flags__ \
        & L.TPFLAGS_IS_ABSTRACT


def test_heap_type_fields_and_cached_keys():
    class Point:
        __qualname__ = "Outer.Point"

        def __init__(self):
            self.x = 1.5
            self.y = "why"
    Point()
    base = id(Point)
    assert u64(base + L.HEAPTYPE_HT_NAME) == id(Point.__name__)
    assert u64(base + L.HEAPTYPE_HT_QUALNAME) == id(Point.__qualname__)
    assert u64(base + L.HEAPTYPE_HT_MODULE) == 0       # not created from a spec
    keys = u64(base + L.HEAPTYPE_HT_CACHED_KEYS)
    assert u8(keys + L.KEYS_DK_KIND) == L.DICT_KEYS_SPLIT
    assert s64(keys + L.KEYS_DK_NENTRIES) == 2
    entries = keys + L.dict_entries_offset(u8(keys + L.KEYS_DK_LOG2_INDEX_BYTES))
    assert [u64(entries + L.UNICODE_ENTRY_SIZE * i + L.UNICODE_ENTRY_KEY) for i in range(2)] \
        == [id("x"), id("y")]


def test_instance_values_before_the_object():
    class Point:
        def __init__(self):
            self.x = 10**30
            self.y = "why"
    p = Point()
    values = instance_values(p)
    assert values is not None
    if L.VALUES_TAG is None:
        assert u64(id(p) + L.OBJECT_MANAGED_DICT) == 0
    assert [u64(values + 8 * i) for i in range(2)] == [id(p.x), id(p.y)]
    p.x = 4.5                 # a store writes the same slot
    assert u64(values) == id(p.x)
    d = p.__dict__            # materializing the dict moves the values into it
    assert u64(id(p) + L.OBJECT_MANAGED_DICT) == id(d)
    if getattr(L, "INLINE_VALUES", False):
        # 3.13: the dict's ma_values is the inline PyDictValues, which stay
        # the attributes until the dict needs a table of its own.
        assert u64(id(d) + L.DICT_MA_VALUES) + L.VALUES_ITEMS == values
        assert instance_values(p) == values
        d[1] = "a key the shared keys cannot hold"
        assert instance_values(p) is None
        assert u64(id(d) + L.DICT_MA_VALUES) + L.VALUES_ITEMS != values
    else:
        assert u64(id(d) + L.DICT_MA_VALUES) == values
        assert instance_values(p) is None


def instance_values(obj) -> int | None:
    """The address of obj's values array, None when its dict holds them:
    the pointer before the object, NULL then (3.11), the tagged
    dict-or-values word (3.12), or the values after the object while
    their valid byte is set (3.13)."""
    if getattr(L, "INLINE_VALUES", False):
        assert type(obj).__flags__ & L.TPFLAGS_INLINE_VALUES
        header = id(obj) + type(obj).__basicsize__
        assert u8(header + L.VALUES_EMBEDDED) == 1
        assert u8(header + L.VALUES_SIZE) <= u8(header + L.VALUES_CAPACITY)
        return header + L.VALUES_ITEMS if u8(header + L.VALUES_VALID) else None
    word = u64(id(obj) + L.OBJECT_VALUES)
    if L.VALUES_TAG is None:
        return word or None
    return word + L.VALUES_TAG if word & L.VALUES_TAG else None


def test_insertion_order_of_instance_values():
    """The order bytes store_attr's empty-slot path writes: 3.11/3.12 a
    count at values[VALUES_ORDER_COUNT] and the indices below it, 3.13 the
    header's size and the bytes after `capacity` values."""
    class O:
        pass
    warm = O()
    warm.a, warm.b, warm.c = 1, 2, 3     # shared keys a, b, c
    o = O()
    o.c, o.a = 1, 2
    values = instance_values(o)
    if getattr(L, "INLINE_VALUES", False):
        header = values - L.VALUES_ITEMS
        capacity = u8(header + L.VALUES_CAPACITY)
        order = [u8(values + 8 * capacity + i) for i in range(u8(header + L.VALUES_SIZE))]
    else:
        count = u8(values + L.VALUES_ORDER_COUNT)
        order = [u8(values + L.VALUES_ORDER_COUNT - 1 - i) for i in range(count)]
    assert order == [2, 0]


def test_slot_member_descriptors():
    class Slotted:
        __slots__ = ("x", "y")
    s = Slotted()
    s.y = object()
    member = u64(id(Slotted.y) + L.MEMBER_DESCR_D_MEMBER)
    assert ctypes.string_at(u64(member)) == b"y"
    assert u32(member + L.MEMBERDEF_TYPE) == L.T_OBJECT_EX
    assert u32(member + L.MEMBERDEF_FLAGS) == 0
    offset = s64(member + L.MEMBERDEF_OFFSET)
    assert u64(id(s) + offset) == id(s.y)
    assert u64(id(s) + offset - 8) == 0          # x: never set
    readonly = u64(id(complex.real) + L.MEMBER_DESCR_D_MEMBER)     # a T_DOUBLE, READONLY
    assert u32(readonly + L.MEMBERDEF_FLAGS) == L.MEMBER_READONLY
    assert u32(readonly + L.MEMBERDEF_TYPE) != L.T_OBJECT_EX


def test_function_fields():
    def outer():
        captured = [1]

        def f(a, b=2.5, *, c=3):
            """doc"""
            return captured, a
        return f
    f = outer()
    base = id(f)
    assert u64(base + L.FUNC_GLOBALS) == id(f.__globals__)
    assert u64(base + L.FUNC_BUILTINS) == id(f.__builtins__)
    assert u64(base + L.FUNC_NAME) == id(f.__name__)
    assert u64(base + L.FUNC_QUALNAME) == id(f.__qualname__)
    assert u64(base + L.FUNC_CODE) == id(f.__code__)
    assert u64(base + L.FUNC_DEFAULTS) == id(f.__defaults__)
    assert u64(base + L.FUNC_KWDEFAULTS) == id(f.__kwdefaults__)
    assert u64(base + L.FUNC_CLOSURE) == id(f.__closure__)
    assert u64(base + L.FUNC_DOC) == id(f.__doc__)
    assert u64(base + L.FUNC_MODULE) == id(f.__module__)
    assert u64(base + L.FUNC_VECTORCALL) != 0
    assert types.FunctionType.__basicsize__ == L.FUNC_SIZE
    f.__dict__["tag"] = 1
    assert u64(base + L.FUNC_DICT) == id(f.__dict__)

    # A specialized call site gives a (simple) function a version; a new
    # __code__ resets it.
    def simple(a):
        return a
    exec("def caller(f):\n    for i in range(100):\n        f(i)\n", ns := {})
    ns["caller"](simple)
    assert u32(id(simple) + L.FUNC_VERSION) != 0
    simple.__code__ = simple.__code__.replace()
    assert u32(id(simple) + L.FUNC_VERSION) == getattr(L, "FUNC_VERSION_CLEARED", 0)


def test_cell_contents():
    def outer():
        value = [1, 2]

        def inner():
            return value
        return inner
    (cell,) = outer().__closure__
    assert u64(id(cell) + L.CELL_OB_REF) == id(cell.cell_contents)


def test_list_iterator_fields():
    items = ["a", "b", "c"]
    it = iter(items)
    next(it)
    assert s64(id(it) + L.LISTITER_INDEX) == 1
    assert u64(id(it) + L.LISTITER_SEQ) == id(items)
    list(it)
    assert u64(id(it) + L.LISTITER_SEQ) == 0        # exhausted: the list is let go


def test_enumerate_fields():
    """What pyjit_for_iter steps for enumerate over a list: the index, the
    list iterator, the pair it recycles, no long index."""
    items = ["a", "b", "c"]
    e = enumerate(items, 5)
    pair = next(e)
    assert s64(id(e) + L.ENUM_INDEX) == 6
    assert u64(id(e) + L.ENUM_SIT) == id(e.__reduce__()[1][0])     # the list iterator
    assert u64(id(e) + L.ENUM_RESULT) == id(pair)
    assert u64(id(e) + L.ENUM_LONGINDEX) == 0
    del pair
    big = enumerate(items, 2 ** 63)
    next(big)
    assert u64(id(big) + L.ENUM_LONGINDEX) != 0


def test_range_fields():
    """What pyjit_get_iter reads of an exact range: its three ints."""
    r = range(3, 20, 4)
    assert [u64(id(r) + off) for off in (L.RANGE_START, L.RANGE_STOP, L.RANGE_STEP)] == [
        id(r.start), id(r.stop), id(r.step)]


def test_range_iterator_fields():
    """What pyjit_for_iter steps: 3.11 counts an index up to len from
    start by step; 3.12 keeps the next value in start and counts len
    down."""
    it = iter(range(3, 20, 4))                      # 3, 7, 11, 15, 19
    next(it)
    start, step, length = (s64(id(it) + off) for off in
                           (L.RANGEITER_START, L.RANGEITER_STEP, L.RANGEITER_LEN))
    assert step == 4
    if L.RANGEITER_INDEX is not None:
        assert (s64(id(it) + L.RANGEITER_INDEX), start, length) == (1, 3, 5)
    else:
        assert (start, length) == (7, 4)
    assert next(it) == 7


def test_function_type_params_field():
    def f():
        pass
    if not hasattr(L, "FUNC_TYPEPARAMS"):           # PEP 695 is 3.12's
        assert not hasattr(f, "__type_params__")
        return
    assert u64(id(f) + L.FUNC_TYPEPARAMS) in (0, id(f.__type_params__))
    f.__type_params__ = (int,)
    assert u64(id(f) + L.FUNC_TYPEPARAMS) == id(f.__type_params__)


_thread_state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyThreadState_Get", ctypes.pythonapi))


def test_exception_stack_items():
    """The thread's top exception-stack item holds the exception being
    handled; a running generator's item is its own gi_exc_state."""
    try:
        raise KeyError("handled")
    except KeyError as exc:
        item = u64(_thread_state() + L.TSTATE_EXC_INFO)
        assert u64(item + L.ERR_STACKITEM_EXC_VALUE) == id(exc)

    def gen():
        yield u64(_thread_state() + L.TSTATE_EXC_INFO)
    g = gen()
    assert next(g) == id(g) + L.GEN_EXC_STATE


def test_frame_object_back_and_line_fields():
    """f_back (owned) and f_lineno (an int, the line when non-zero) of a
    frame object, as the traceback helpers write them into stand-in frames."""
    def below():
        return sys._getframe()
    def caller():
        return below(), sys._getframe()
    frame, calling = caller()            # both finished: f_back is a field now
    assert u64(id(frame) + L.FRAME_F_BACK) == id(frame.f_back) == id(calling)
    lineno = ctypes.c_int.from_address(id(frame) + L.FRAME_F_LINENO)
    saved = lineno.value
    lineno.value = 12345
    assert frame.f_lineno == 12345
    lineno.value = saved


def test_entry_frames():
    """A function the eval loop is entered for from C (here __next__, by
    next()): 3.11 links its frame to its caller's, 3.12 through an entry
    frame of the C stack between them."""
    def below_caller():
        """The frame below the caller's, its owner and the frame below it
        (read while the entry frame, a C local, exists)."""
        calling = u64(id(sys._getframe(1)) + L.FRAME_F_FRAME)
        below = u64(calling + L.IFRAME_PREVIOUS)
        if L.FRAME_OWNED_BY_CSTACK is None:
            return below, None, None
        return below, u8(below + L.IFRAME_OWNER), u64(below + L.IFRAME_PREVIOUS)

    class Iterator:
        def __next__(self):
            return below_caller()
    below, owner, further = next(Iterator())
    here = u64(id(sys._getframe()) + L.FRAME_F_FRAME)
    if L.FRAME_OWNED_BY_CSTACK is None:
        assert below == here
    else:
        assert owner in L.ENTRY_FRAME_OWNERS and further == here


def test_a_delegates_caller_is_its_generators_own_frame():
    """The frames and items a compiled generator's driver reads
    (cpython/genbody.py, generators.py): a delegate's __next__, called from
    C by its generator's `yield from`, has below it (past the entry frame,
    where the version has them) the generator's own frame, inside the
    generator object; the top exception-stack item is the generator's, and
    it links to the item that was on top before the generator ran."""
    class Delegate:
        def __iter__(self):
            return self

        def __next__(self):
            mine = u64(id(sys._getframe()) + L.FRAME_F_FRAME)
            below = u64(mine + L.IFRAME_PREVIOUS)
            if L.ENTRY_FRAME_OWNERS:
                assert u8(below + L.IFRAME_OWNER) in L.ENTRY_FRAME_OWNERS
                below = u64(below + L.IFRAME_PREVIOUS)
            item = u64(_thread_state() + L.TSTATE_EXC_INFO)
            return below, item, u64(item + L.ERR_STACKITEM_PREVIOUS)

    def gen():
        return (yield from Delegate())
    outer = u64(_thread_state() + L.TSTATE_EXC_INFO)
    g = gen()
    frame, item, previous = next(g)
    assert id(g) < frame < id(g) + sys.getsizeof(g)
    assert (item, previous) == (id(g) + L.GEN_EXC_STATE, outer)
