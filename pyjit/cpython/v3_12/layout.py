"""Object layout of CPython 3.12 (64-bit Linux, release build).

3.12 keeps most of 3.11's layout (`pyjit.cpython.v3_11.layout`, imported
here); what it changed is redefined below, from the 3.12 headers
(Include/object.h, cpython/longintrepr.h, cpython/funcobject.h,
cpython/object.h, internal/pycore_object.h, pycore_frame.h,
pycore_interp.h, pycore_ceval_state.h, pycore_gil.h, pycore_runtime.h,
cpython/pystate.h) and checked against live objects by
tests/cpython/test_object_layout.py and
tests/semantics/test_interpreter_state.py.

The differences that change generated code:
- immortal objects: the low 32 bits of ob_refcnt saturate at
  IMMORTAL_REFCNT; an incref leaves an object whose low word would wrap to
  zero alone, a decref leaves an object whose low word is negative as a
  32-bit int alone (Py_INCREF, Py_DECREF of 64-bit builds).  None, True,
  False, the small ints, interned strings and static types are immortal.
- ints: `lv_tag` (where 3.11 had ob_size) holds the digit count shifted
  left by LONG_NON_SIZE_BITS and a sign in the low bits (0 positive,
  1 zero, 2 negative); an int of at most one digit ("compact") has
  lv_tag < LONG_COMPACT_TAG_LIMIT, and its value is (1 - (lv_tag & 3)) *
  digit[0].
- managed dicts: one word before the GC header (OBJECT_VALUES) holds either
  the values array minus one (bit 0 set: VALUES_TAG) or the materialized
  dict (bit 0 clear; NULL before one exists without values).
- the GIL is the interpreter's own: the main interpreter's ceval.gil
  points at it (its last_holder: gil_last_holder_address).
"""

from __future__ import annotations

from ..v3_11.layout import *  # noqa: F401,F403  (what 3.12 did not change)

VERSION = (3, 12)

# -- the refcount rule ------------------------------------------------------------------
# A count whose low 32 bits, as a signed int, are negative is immortal; an
# incref adds one to the low 32 bits unless that wraps them to zero (and
# writes the low 32 bits only), a decref takes one from the 64-bit count
# unless the object is immortal.
IMMORTAL_REFCNT = 0xFFFFFFFF       # _Py_IMMORTAL_REFCNT (UINT_MAX): the low 32 bits
IMMORTAL_BIT = 31                  # set in the low 32 bits of every immortal count

# -- PyTypeObject: tp_watched (unsigned char) follows tp_vectorcall ----------------------
TYPE_TP_WATCHED = 408
TYPE_SIZE = 416

# -- PyHeapTypeObject: everything after the type object moves by 8 -------------------
HEAPTYPE_HT_NAME = 856
HEAPTYPE_HT_SLOTS = 864
HEAPTYPE_HT_QUALNAME = 872
HEAPTYPE_HT_CACHED_KEYS = 880
HEAPTYPE_HT_MODULE = 888
HEAPTYPE_SIZE = 920

TPFLAGS_STATIC_BUILTIN = 1 << 1    # a static builtin type: its tp_dict (TYPE_TP_DICT) is
                                   # NULL, the interpreter keeps the dict
TPFLAGS_MANAGED_WEAKREF = 1 << 3   # the weakref list sits before the object
TPFLAGS_ITEMS_AT_END = 1 << 23

# -- the pre-header of objects with a managed dict ---------------------------------------
# PyDictOrValues at -24: values - VALUES_TAG (which has bit 0 set: values
# is 8-byte aligned) while the values array is in use, so values = word +
# VALUES_TAG; otherwise the word is the dict (or NULL).
# The managed weakref list is at -32.
OBJECT_VALUES = -24
OBJECT_MANAGED_DICT = -24          # the same word, when bit 0 is clear
VALUES_TAG = 1                     # bit 0: the word is values - 1
MANAGED_WEAKREF = -32

# -- PyLongObject: _PyLongValue {uintptr_t lv_tag; digit ob_digit[1]} ------------------
LONG_OB_SIZE = None                # no ob_size: see LONG_LV_TAG
LONG_LV_TAG = 16
LONG_OB_DIGIT = 24
LONG_NON_SIZE_BITS = 3             # lv_tag = ndigits << 3 | sign
LONG_SIGN_MASK = 3
LONG_SIGN_ZERO = 1
LONG_SIGN_NEGATIVE = 2
LONG_COMPACT_TAG_LIMIT = 2 << LONG_NON_SIZE_BITS   # lv_tag below it: at most one digit

# -- _PyRangeIterObject: no index; start is the next value, len the values left ------
RANGEITER_INDEX = None
RANGEITER_START = 16
RANGEITER_STEP = 24
RANGEITER_LEN = 32

# -- PyFunctionObject: func_typeparams (3.12) before vectorcall -------------------------
FUNC_TYPEPARAMS = 120
FUNC_VECTORCALL = 128
FUNC_VERSION = 136                 # uint32
FUNC_SIZE = 144

# -- the thread state and frames ---------------------------------------------------------
# _PyCFrame lost use_tracing: current_frame is its first word.  The
# interpreter frame's first fields are f_code, previous, f_funcobj (3.11's
# f_func), f_globals, f_builtins, f_locals, frame_obj, prev_instr, then
# stacktop, return_offset and owner; localsplus is where it was.
CFRAME_CURRENT_FRAME = 0
IFRAME_CODE = 0
IFRAME_PREVIOUS = 8
IFRAME_FUNCOBJ = 16
IFRAME_FUNC = IFRAME_FUNCOBJ         # the name the version-independent code reads
IFRAME_LOCALSPLUS = 72
# Entering the eval loop from C pushes an "entry frame" on the C stack
# (owner FRAME_OWNED_BY_CSTACK) between the frame entered and its caller's.
IFRAME_OWNER = 70                  # char
FRAME_OWNED_BY_CSTACK = 3
ENTRY_FRAME_OWNERS = (FRAME_OWNED_BY_CSTACK,)
# PyThreadState: 3.11's curexc_type/value/traceback became one
# current_exception, so exc_info moved up two words.
TSTATE_EXC_INFO = 104
# PyGenObject lost gi_code (the code is its frame's): gi_exc_state moved up.
GEN_EXC_STATE = 40

# -- the interpreter's state ---------------------------------------------------------------
# PyInterpreterState.ceval.eval_breaker (_Py_atomic_int, 32 bits).
INTERP_EVAL_BREAKER = 368
# PyInterpreterState.ceval.gil: the _gil_runtime_state this interpreter
# takes (the main interpreter's own interp->_gil); in it, last_holder is
# the thread state that holds or last held the GIL, locked whether it is
# held.
INTERP_CEVAL_GIL = 384
GIL_LAST_HOLDER = 8
GIL_LOCKED = 16
RUNTIME_GIL_LAST_HOLDER = None     # no GIL in _PyRuntime: see INTERP_CEVAL_GIL
# PyThreadState: the eval loop counts Python frames in
# py_recursion_remaining (down on entering a frame, up on leaving it;
# RecursionError at zero) and C recursion in c_recursion_remaining;
# py_recursion_limit is the thread's copy of sys.getrecursionlimit().
TSTATE_RECURSION_REMAINING = 28    # py_recursion_remaining (int)
TSTATE_RECURSION_LIMIT = 32        # py_recursion_limit (int)
TSTATE_C_RECURSION_REMAINING = 36
# Entering the eval loop from C counts PY_EVAL_C_STACK_UNITS (2) on
# c_recursion_remaining and only the frame entered on py_recursion_remaining;
# calling a C object through tp_call counts one on c_recursion_remaining.
RECURSION_COUNT_OF_C_ENTRY = 0
# _PyRuntime.ceval.signals_pending (_Py_atomic_int).  Nothing before it
# depends on the size of pthread types in a way that differs between
# x86-64 and AArch64 (the one pthread_condattr_t is padded to the same
# 24-byte struct), so it is one offset on both.
RUNTIME_SIGNALS_PENDING = 2008


def names() -> list[str]:
    """The names this table defines (upper-case constants)."""
    return sorted(n for n in globals() if n.isupper())
