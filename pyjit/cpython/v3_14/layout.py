"""Object layout of CPython 3.14 (64-bit Linux, release build with the GIL).

3.14 keeps most of 3.13's layout (`pyjit.cpython.v3_13.layout`, imported
here: inline values, the thread state's eval breaker and current frame,
ints' lv_tag, dict keys, the GIL); what it changed is redefined below, from
the 3.14.10 headers (object.h, refcount.h, cpython/dictobject.h,
cpython/funcobject.h, cpython/pystate.h, internal/pycore_stackref.h,
pycore_interpframe_structs.h, pycore_tstate.h, pycore_long.h,
pycore_ceval.h, pycore_runtime_structs.h) and checked against live objects
by tests/cpython/test_object_layout.py and test_layout_v3_14.py.

The differences that change generated code:
- the object header of the default (GIL) build is still two words: the
  first is a 32-bit ob_refcnt, then ob_overflow and ob_flags (16 bits
  each); only a free-threaded build (Py_GIL_DISABLED, refused: its header
  is larger) splits the count into ob_ref_local and ob_ref_shared.
  Immortal counts start at IMMORTAL_REFCNT (3 << 30, no longer all ones):
  Py_INCREF leaves a count whose low 32 bits are at least IMMORTAL_REFCNT
  alone, Py_DECREF one whose bit 31 is set; both write the low 32 bits
  only.  Statically allocated objects (None, small ints, static types)
  also have OB_FLAGS_IMMORTAL and OB_FLAGS_STATIC in ob_flags.  Interned
  strings are no longer immortal.
- the small ints have bit 2 of lv_tag set (LONG_SMALL_INT_BIT): a
  non-negative one-digit test masks it (CPython's
  _PyLong_IsNonNegativeCompact), the compact test (lv_tag below
  LONG_COMPACT_TAG_LIMIT) and the sign bits are unaffected.
- dicts have no version tag: the word at DICT_WATCHER_TAG holds the
  watcher bits and a watched-mutation counter, and a change of a value
  changes nothing a guard could read.  A cached global or module
  attribute load guards the keys' dk_version (KEYS_DK_VERSION, unchanged
  by value stores, reset by a new or deleted key) and reads the value from
  its entry, missing on NULL (LOAD_GLOBAL_MODULE, LOAD_ATTR_MODULE).
- the interpreter frame holds _PyStackRefs (f_executable, f_funcobj,
  localsplus and the value stack): tagged words whose object is the word
  with STACKREF_TAG_REFCNT cleared (see STACKREF_* below); a NULL slot (an
  unbound local) is STACKREF_NULL, not 0.  The frame's stackpointer is a
  pointer (3.13: an int stacktop); localsplus is at 80.
- a tuple caches its hash (ob_hash) before its items: TUPLE_OB_ITEM is 32.
- the function object gained func_annotate: vectorcall, func_version and
  the size move by 8; a version of 1 (FUNC_VERSION_CLEARED) is a cleared
  one, not a version a guard may match (valid ones start at 2).
- the thread state counts Python recursion at 48 (limit at 52); there is
  no C recursion counter: C recursion is checked against the machine stack
  pointer (_PyThreadStateImpl.c_stack_soft_limit).
"""

from __future__ import annotations

from ..v3_13.layout import *  # noqa: F401,F403  (what 3.14 did not change)

VERSION = (3, 14)

# -- PyObject: uint32 ob_refcnt, uint16 ob_overflow, uint16 ob_flags, then ob_type -----
OB_REFCNT_BITS = 32                # Py_INCREF and Py_DECREF read and write these only
OB_OVERFLOW = 4
OB_FLAGS = 6                       # uint16
OB_FLAGS_IMMORTAL = 1              # _Py_IMMORTAL_FLAGS (and the stack refs' tag bit)
OB_FLAGS_STATIC = 4                # _Py_STATICALLY_ALLOCATED_FLAG

# -- the refcount rule ------------------------------------------------------------------
# Py_INCREF: the low 32 bits plus one, unless they are IMMORTAL_REFCNT or
# more (unsigned).  Py_DECREF: nothing when bit IMMORTAL_BIT of the low 32
# bits is set, else those bits minus one, freeing at zero.  A count between
# 2**31 and IMMORTAL_REFCNT (an object made immortal, or a mortal one
# counted that high) is never decremented and climbs to IMMORTAL_REFCNT.
IMMORTAL_REFCNT = 3 << 30          # _Py_IMMORTAL_INITIAL_REFCNT, the low 32 bits
IMMORTAL_BIT = 31                  # _Py_IsImmortal: the low 32 bits negative as an int32

# -- PyHeapTypeObject: ht_token after _ht_tpname ---------------------------------------
HEAPTYPE_SIZE = 936

# -- PyLongObject: lv_tag bit 2 marks the small ints -----------------------------------
LONG_SMALL_INT_BIT = 1 << 2        # IMMORTALITY_BIT_MASK (pycore_long.h)

# -- PyTupleObject: the cached hash (-1 until computed) before the items -------------------
TUPLE_OB_HASH = 24                 # Py_hash_t
TUPLE_OB_ITEM = 32                 # PyObject *ob_item[] inline

# -- PyDictObject: _ma_watcher_tag where 3.13 had ma_version_tag ------------------------
DICT_MA_VERSION_TAG = None         # no mutation version: see DICT_WATCHER_TAG
DICT_WATCHER_TAG = 24              # uint64: watcher bits 0-7, watched mutations 8-11
DICT_WATCHER_MASK = 0xFF

# -- PyFunctionObject: func_annotate (3.14) after func_annotations ---------------------
FUNC_ANNOTATE = 120
FUNC_TYPEPARAMS = 128
FUNC_VECTORCALL = 136
FUNC_VERSION = 144                 # uint32
FUNC_SIZE = 152
FUNC_VERSION_UNSET = 0
FUNC_VERSION_CLEARED = 1           # the code, defaults or the like changed since it had one
FUNC_VERSION_FIRST_VALID = 2

# -- generators: the exception state follows the qualname (no gi_code since 3.12) -----
GEN_EXC_STATE = 40                 # _PyErr_StackItem, inline
GEN_IFRAME = 72                    # the generator's _PyInterpreterFrame, inline

# -- _PyStackRef (pycore_stackref.h, the GIL build) --------------------------------------
# A stack ref is a word: the object's address, with bit 0
# (STACKREF_TAG_REFCNT) set when the reference owns no count on the object
# (a borrowed reference, as LOAD_FAST_BORROW pushes, or one to an object
# with OB_FLAGS_IMMORTAL), clear when it owns one.  A callee's parameter
# slots hold the references its caller pushed: borrowed ones too, so a
# parameter's slot may be tagged while the caller's local keeps the object.  Its object is the word
# & ~STACKREF_TAG_REFCNT.  STACKREF_NULL (the tag alone) is NULL; a word
# whose low two bits are STACKREF_INT_TAG is a tagged int (word >> 2), no
# object.  Closing a reference (PyStackRef_CLOSE) decrefs the object only
# when the tag is clear, and then without an immortality test
# (Py_DECREF_MORTAL): a reference to an immortal object must be tagged.
STACKREF_TAG_REFCNT = 1
STACKREF_TAG_BITS = 3
STACKREF_INT_TAG = 3
STACKREF_NULL = STACKREF_TAG_REFCNT

# -- the thread state and frames ---------------------------------------------------------
# _PyInterpreterFrame: f_executable and f_funcobj are stack refs (the code
# object, the function); stackpointer (_PyStackRef *) points past the top
# of the value stack, which follows the co_nlocalsplus slots of localsplus.
IFRAME_EXECUTABLE = 0              # a stack ref: the code object
IFRAME_CODE = IFRAME_EXECUTABLE
IFRAME_FUNCOBJ = 16                # a stack ref: the function
IFRAME_FUNC = IFRAME_FUNCOBJ
IFRAME_STACKTOP = None             # see IFRAME_STACKPOINTER
IFRAME_STACKPOINTER = 64           # _PyStackRef *
IFRAME_RETURN_OFFSET = 72          # uint16
IFRAME_OWNER = 74                  # char: FRAME_OWNED_BY_*
IFRAME_LOCALSPLUS = 80             # _PyStackRef localsplus[]
FRAME_OWNED_BY_THREAD = 0
FRAME_OWNED_BY_GENERATOR = 1
FRAME_OWNED_BY_INTERPRETER = 3     # the entry frame the eval loop pushes when C enters it
FRAME_OWNED_BY_CSTACK = 4
# Frames standing for no Python code: the entry frame, and C-owned ones
# (_PyFrame_IsIncomplete: owner >= FRAME_OWNED_BY_INTERPRETER).
ENTRY_FRAME_OWNERS = (FRAME_OWNED_BY_INTERPRETER, FRAME_OWNED_BY_CSTACK)
TSTATE_RECURSION_REMAINING = 48    # py_recursion_remaining (int)
TSTATE_RECURSION_LIMIT = 52        # py_recursion_limit (int)
TSTATE_RECURSION_HEADROOM = 56     # int
TSTATE_C_RECURSION_REMAINING = None  # C recursion: the machine stack against the limits below
TSTATE_EXC_INFO = 120              # _PyErr_StackItem *
# _PyThreadStateImpl (what every PyThreadState is) after PyThreadState:
# the C stack's top and limits, addresses.  A C call deeper than
# c_stack_soft_limit (the stack grows down) raises RecursionError.
TSTATE_C_STACK_TOP = 840
TSTATE_C_STACK_SOFT_LIMIT = 848
TSTATE_C_STACK_HARD_LIMIT = 856

# -- the interpreter's state ---------------------------------------------------------------
EVAL_JIT_INVALIDATE_COLD_BIT = 1 << 7   # the eighth request bit (3.14)
RUNTIME_SIGNALS_IS_TRIPPED = 2304  # _PyRuntime.signals.is_tripped (int)


def names() -> list[str]:
    """The names this table defines (upper-case constants)."""
    return sorted(n for n in globals() if n.isupper())


def stackref_object(word: int) -> int:
    """The address of the object a stack ref refers to (0 for NULL); a
    tagged int has none (ValueError)."""
    if word & STACKREF_TAG_BITS == STACKREF_INT_TAG:
        raise ValueError(f"{word:#x} is a tagged int, not an object reference")
    return word & ~STACKREF_TAG_REFCNT
