"""Object layout of CPython 3.11 (64-bit Linux, release build).

Byte offsets and constants that generated code may inline.  They come from
the 3.11 headers (Include/object.h, cpython/object.h, cpython/*object.h,
internal/pycore_dict.h, internal/pycore_object.h, and for the interpreter's
own state cpython/pystate.h, internal/pycore_interp.h, pycore_runtime.h)
and are checked against live objects by tests/cpython/test_object_layout.py
and tests/semantics/test_interpreter_state.py.  The layout is the same on
x86-64 and AArch64 Linux (LP64, same alignment rules) for everything here
(the runtime state's fields after the GIL's pthread mutexes, 40 bytes on
x86-64 and 48 on AArch64, would move; none is used).

Naming: STRUCT_FIELD, e.g. TYPE_TP_FLAGS is offsetof(PyTypeObject, tp_flags).
Offsets of fields *before* an object are negative.
"""

from __future__ import annotations


VERSION = (3, 11)

POINTER_SIZE = 8

# -- PyObject / PyVarObject ---------------------------------------------------------
OB_REFCNT = 0
OB_TYPE = 8
OB_SIZE = 16            # PyVarObject.ob_size
OBJECT_HEAD_SIZE = 16
VAR_OBJECT_HEAD_SIZE = 24

# The refcount rule: ob_refcnt is a plain 64-bit count at OB_REFCNT that every
# incref adds one to and every decref takes one from, freeing at zero; 3.11
# has no immortal objects (IMMORTAL_REFCNT None: no count is left alone).
IMMORTAL_REFCNT = None
IMMORTAL_BIT = None

# -- PyTypeObject --------------------------------------------------------------------
TYPE_TP_NAME = 24                  # const char *
TYPE_TP_BASICSIZE = 32
TYPE_TP_ITEMSIZE = 40
TYPE_TP_DEALLOC = 48
TYPE_TP_VECTORCALL_OFFSET = 56
TYPE_TP_AS_NUMBER = 96
TYPE_TP_AS_SEQUENCE = 104
TYPE_TP_AS_MAPPING = 112
TYPE_TP_HASH = 120
TYPE_TP_CALL = 128
TYPE_TP_GETATTRO = 144
TYPE_TP_SETATTRO = 152
TYPE_TP_FLAGS = 168                # unsigned long
TYPE_TP_RICHCOMPARE = 200
TYPE_TP_ITER = 216
TYPE_TP_ITERNEXT = 224
TYPE_TP_BASE = 256
TYPE_TP_DICT = 264
TYPE_TP_DESCR_GET = 272
TYPE_TP_DICTOFFSET = 288
TYPE_TP_MRO = 344
TYPE_TP_VERSION_TAG = 384          # unsigned int (32 bits)
TYPE_TP_VECTORCALL = 400
TYPE_SIZE = 408                    # sizeof(PyTypeObject)

# -- PyHeapTypeObject (classes defined in Python) ----------------------------------
HEAPTYPE_HT_NAME = 848
HEAPTYPE_HT_SLOTS = 856
HEAPTYPE_HT_QUALNAME = 864
HEAPTYPE_HT_CACHED_KEYS = 872      # PyDictKeysObject * shared by instances
HEAPTYPE_HT_MODULE = 880
HEAPTYPE_SIZE = 904

# -- type flags (tp_flags) ----------------------------------------------------------
TPFLAGS_MANAGED_DICT = 1 << 4      # instances keep values/dict before the object
TPFLAGS_SEQUENCE = 1 << 5
TPFLAGS_MAPPING = 1 << 6
TPFLAGS_DISALLOW_INSTANTIATION = 1 << 7
TPFLAGS_IMMUTABLETYPE = 1 << 8
TPFLAGS_HEAPTYPE = 1 << 9
TPFLAGS_BASETYPE = 1 << 10
TPFLAGS_HAVE_VECTORCALL = 1 << 11
TPFLAGS_READY = 1 << 12
TPFLAGS_READYING = 1 << 13
TPFLAGS_HAVE_GC = 1 << 14
TPFLAGS_METHOD_DESCRIPTOR = 1 << 17
TPFLAGS_VALID_VERSION_TAG = 1 << 19
TPFLAGS_IS_ABSTRACT = 1 << 20
TPFLAGS_MATCH_SELF = 1 << 22
TPFLAGS_LONG_SUBCLASS = 1 << 24
TPFLAGS_LIST_SUBCLASS = 1 << 25
TPFLAGS_TUPLE_SUBCLASS = 1 << 26
TPFLAGS_BYTES_SUBCLASS = 1 << 27
TPFLAGS_UNICODE_SUBCLASS = 1 << 28
TPFLAGS_DICT_SUBCLASS = 1 << 29
TPFLAGS_BASE_EXC_SUBCLASS = 1 << 30
TPFLAGS_TYPE_SUBCLASS = 1 << 31

# -- GC header and the pre-header of objects with a managed dict -------------------
GC_HEAD_SIZE = 16                  # PyGC_Head, just before a GC object
# Managed-dict objects (TPFLAGS_MANAGED_DICT; their tp_dictoffset is negative
# and must not be used) carry two more words before the GC header: the
# values array and the dict pointer.
# A cached attribute load: check tp_version_tag, load *(obj + OBJECT_VALUES),
# if not NULL load values[index] (index from ht_cached_keys), check not NULL.
OBJECT_VALUES = -32                # PyDictValues ** (NULL once a dict exists)
OBJECT_MANAGED_DICT = -24          # PyObject ** (the materialized __dict__)
VALUES_TAG = None                  # OBJECT_VALUES is an untagged pointer (3.12 tags it)
INLINE_VALUES = False              # the values are not after the object (3.13's are)
TPFLAGS_INLINE_VALUES = None       # no such flag (3.13)
# The insertion order of a values array (3.11, 3.12): bytes before it,
# values[-1] the prefix size, values[-2] the count, then the indices of the
# set entries from values[-3] downwards (_PyDictValues_AddToInsertionOrder).
VALUES_ORDER_COUNT = -2            # uint8, relative to the values array

# -- member descriptors (__slots__) ---------------------------------------------------
# PyMemberDescrObject: PyDescr_COMMON (head, d_type, d_name, d_qualname),
# then the PyMemberDef * (name, type, offset, flags, doc).
MEMBER_DESCR_D_MEMBER = 40
MEMBERDEF_TYPE = 8                 # int
MEMBERDEF_OFFSET = 16              # Py_ssize_t, from the object's address
MEMBERDEF_FLAGS = 24               # int
T_OBJECT_EX = 16                   # Py_T_OBJECT_EX: an object, NULL raises AttributeError
MEMBER_READONLY = 1                # Py_READONLY (any other flag: not cached)

# -- PyFloatObject ------------------------------------------------------------------
FLOAT_OB_FVAL = 16                 # double
FLOAT_SIZE = 24

# -- PyLongObject -------------------------------------------------------------------
# ob_size holds the sign and the number of digits: 0 for 0, -n for negatives.
LONG_OB_SIZE = OB_SIZE
LONG_OB_DIGIT = 24                 # uint32 digits, least significant first
LONG_DIGIT_BITS = 30
LONG_DIGIT_SIZE = 4
LONG_DIGIT_MASK = (1 << LONG_DIGIT_BITS) - 1
SMALL_INT_MIN = -5                 # cached small ints: [-5, 256], one array of
SMALL_INT_MAX = 256                # objects SMALL_INT_STRIDE bytes apart
SMALL_INT_STRIDE = 32              # sizeof(PyLongObject) with one digit

# -- PyASCIIObject ---------------------------------------------------------------------
STR_HASH = 24                      # Py_hash_t, -1 until computed

# -- PyTupleObject / PyListObject ------------------------------------------------------
TUPLE_OB_SIZE = OB_SIZE
TUPLE_OB_ITEM = 24                 # PyObject *ob_item[] inline
LIST_OB_SIZE = OB_SIZE
LIST_OB_ITEM = 24                  # PyObject **ob_item
LISTITER_INDEX = 16                # listiterobject.it_index
LISTITER_SEQ = 24                  # listiterobject.it_seq (NULL once exhausted)
LISTITER_END_INDEX = None          # what the end writes into it_index (3.13: -1; a
                                   # negative index is an end that keeps it_seq)
ENUM_INDEX = 16                    # enumobject.en_index (Py_ssize_t)
ENUM_SIT = 24                      # enumobject.en_sit, the iterator enumerated
ENUM_RESULT = 32                   # enumobject.en_result, the pair it recycles
ENUM_LONGINDEX = 40                # enumobject.en_longindex, NULL below PY_SSIZE_T_MAX
RANGE_START = 16                   # rangeobject: start, stop, step, length (ints)
RANGE_STOP = 24
RANGE_STEP = 32
RANGEITER_INDEX = 16               # rangeiterobject: index, start, step, len (longs)
RANGEITER_START = 24
RANGEITER_STEP = 32
RANGEITER_LEN = 40
LIST_ALLOCATED = 32

# -- PyDictObject ---------------------------------------------------------------------
DICT_MA_USED = 16
DICT_MA_VERSION_TAG = 24           # uint64, changes on every mutation
DICT_MA_KEYS = 32                  # PyDictKeysObject *
DICT_MA_VALUES = 40                # PyDictValues * (split dicts), else NULL

# -- PyDictKeysObject -----------------------------------------------------------------
KEYS_DK_REFCNT = 0
KEYS_DK_LOG2_SIZE = 8              # uint8
KEYS_DK_LOG2_INDEX_BYTES = 9       # uint8
KEYS_DK_KIND = 10                  # uint8: one of DICT_KEYS_*
KEYS_DK_VERSION = 12               # uint32, 0 after any change to the keys
KEYS_DK_USABLE = 16
KEYS_DK_NENTRIES = 24
KEYS_DK_INDICES = 32               # index table, then the entries
DICT_KEYS_GENERAL = 0
DICT_KEYS_UNICODE = 1
DICT_KEYS_SPLIT = 2
# Entries start at keys + KEYS_DK_INDICES + (1 << dk_log2_index_bytes).
# The index table: 1 << dk_log2_size signed indices of 1 << (log2_index_bytes
# - log2_size) bytes each; probed from hash & mask, then i = (5 * i +
# perturb + 1) & mask with perturb = hash, shifted right by PERTURB_SHIFT
# before each step (dictobject.c's lookups).
DKIX_EMPTY = -1
DKIX_DUMMY = -2
DICT_PERTURB_SHIFT = 5
UNICODE_ENTRY_SIZE = 16            # PyDictUnicodeEntry {me_key, me_value}
UNICODE_ENTRY_KEY = 0
UNICODE_ENTRY_VALUE = 8
GENERAL_ENTRY_SIZE = 24            # PyDictKeyEntry {me_hash, me_key, me_value}
GENERAL_ENTRY_HASH = 0
GENERAL_ENTRY_KEY = 8
GENERAL_ENTRY_VALUE = 16
# A cached global load (as 3.11's LOAD_GLOBAL_MODULE): globals is an exact
# dict, globals->ma_keys->dk_version == cached version, then the value is
# entries[index].me_value, deopt if NULL.

# -- PyFunctionObject -----------------------------------------------------------------
FUNC_GLOBALS = 16
FUNC_BUILTINS = 24
FUNC_NAME = 32
FUNC_QUALNAME = 40
FUNC_CODE = 48
FUNC_DEFAULTS = 56
FUNC_KWDEFAULTS = 64
FUNC_CLOSURE = 72
FUNC_DOC = 80
FUNC_DICT = 88
FUNC_MODULE = 104
FUNC_VECTORCALL = 120
FUNC_VERSION = 128                 # uint32
FUNC_SIZE = 136

# -- PyModuleObject --------------------------------------------------------------------
MODULE_MD_DICT = 16                # PyObject *md_dict (NULL only once tp_clear ran)

# -- PyCellObject -------------------------------------------------------------------
CELL_OB_REF = 16

# -- the thread state and frames (Include/cpython/pystate.h, internal/pycore_frame.h) --
TSTATE_CFRAME = 56                 # PyThreadState.cframe: _PyCFrame *
CFRAME_CURRENT_FRAME = 8           # _PyCFrame.current_frame: _PyInterpreterFrame *
TSTATE_CURRENT_FRAME: int | None = None  # (3.13: the thread state's own, no _PyCFrame)
FRAME_F_BACK = 16                  # PyFrameObject.f_back: PyFrameObject * (owned)
FRAME_F_FRAME = 24                 # PyFrameObject.f_frame: _PyInterpreterFrame *
FRAME_F_LINENO = 40                # PyFrameObject.f_lineno: int, the line when non-zero
IFRAME_FUNC = 0                    # _PyInterpreterFrame.f_func: PyFunctionObject * (borrowed)
IFRAME_CODE = 32                   # _PyInterpreterFrame.f_code
IFRAME_PREVIOUS = 48               # _PyInterpreterFrame.previous
IFRAME_LOCALSPLUS = 72             # _PyInterpreterFrame.localsplus[]: locals, cells, stack
TSTATE_EXC_INFO = 120              # PyThreadState.exc_info: _PyErr_StackItem * (the top item)
ERR_STACKITEM_EXC_VALUE = 0        # _PyErr_StackItem.exc_value
ERR_STACKITEM_PREVIOUS = 8         # _PyErr_StackItem.previous_item
GEN_EXC_STATE = 48                 # PyGenObject.gi_exc_state: _PyErr_StackItem (inline)
# A frame the eval loop is entered with from C links straight to its
# caller's frame: no frame stands for the C call in between.
IFRAME_OWNER: int | None = None
FRAME_OWNED_BY_CSTACK: int | None = None
ENTRY_FRAME_OWNERS: tuple[int, ...] = ()   # the owners of such frames: none


def stackref_object(word: int) -> int:
    """The object of a word of an interpreter frame's locals or stack: the
    word itself (until 3.14's tagged _PyStackRef)."""
    return word

# -- the interpreter's state --------------------------------------------------------
# PyInterpreterState.ceval.eval_breaker (_Py_atomic_int, 32 bits): nonzero
# when the eval loop must stop at its next check (RESUME, JUMP_BACKWARD) to
# run signal handlers or pending calls, hand the GIL to a thread asking for
# it, or raise an asynchronous exception; the interpreter recomputes it
# from those requests whenever it serves one.  The interpreter state is
# PyInterpreterState_Get().
INTERP_EVAL_BREAKER = 100
TSTATE_EVAL_BREAKER: int | None = None   # (3.13: the thread state's own)
EVAL_BREAKER_REQUESTS_WIDTH = 4    # bytes at its address holding the requests: the word
EVAL_SIGNALS_PENDING_BIT = 1       # the word with a signal pending (it is 0 or 1)
# PyThreadState: recursion_remaining (int) is what the eval loop counts
# down on entering a frame (_Py_EnterRecursiveCallTstate) and up on leaving
# it; at zero, _Py_CheckRecursiveCall raises RecursionError (or refreshes
# the count from a raised limit).  recursion_limit (int) is the thread's
# copy of sys.getrecursionlimit().
TSTATE_INTERP = 16                 # PyInterpreterState *
TSTATE_RECURSION_REMAINING = 32
TSTATE_RECURSION_LIMIT = 36
# The same counter counts C recursion: entering the eval loop from C (a
# callback, PyObject_Call of a Python function) counts one more than the
# frame entered, and there is no counter of C recursion of its own.
RECURSION_COUNT_OF_C_ENTRY = 1
TSTATE_C_RECURSION_REMAINING: int | None = None
# _PyRuntime (an exported symbol of the interpreter), the runtime state:
# ceval.signals_pending (_Py_atomic_int) is the hint that a signal arrived
# (the eval breaker is computed from it, e.g. by take_gil);
# ceval.gil.last_holder is the thread state of the thread that last held
# the GIL (take_gil and drop_gil set it).
RUNTIME_SIGNALS_PENDING = 352
RUNTIME_SIGNALS_IS_TRIPPED: int | None = None   # (3.13: the hint, signals.is_tripped)
RUNTIME_GIL_LAST_HOLDER = 368

# -- vectorcall ----------------------------------------------------------------------
# nargsf carries this flag when args[-1] may be overwritten by the callee.
VECTORCALL_ARGUMENTS_OFFSET = 1 << 63


def names() -> list[str]:
    """The names this table defines (upper-case constants)."""
    return sorted(n for n in globals() if n.isupper())


def dict_entries_offset(log2_index_bytes: int) -> int:
    """Offset of a dict keys object's entries from the keys object, given
    its dk_log2_index_bytes."""
    return KEYS_DK_INDICES + (1 << log2_index_bytes)
