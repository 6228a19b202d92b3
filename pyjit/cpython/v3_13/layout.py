"""Object layout of CPython 3.13 (64-bit Linux, release build).

3.13 keeps most of 3.12's layout (`pyjit.cpython.v3_12.layout`, imported
here: immortal objects, ints' lv_tag, type, function and range iterator
fields); what it changed is redefined below, from the 3.13.0 headers
(cpython/object.h, internal/pycore_dict.h, pycore_object.h, pycore_frame.h,
pycore_interp.h, pycore_ceval.h, pycore_ceval_state.h, pycore_gil.h,
pycore_runtime.h, pycore_signal.h, cpython/pystate.h) and checked against
live objects by tests/cpython/test_object_layout.py.

The differences that change generated code:
- inline values: an instance of a type with TPFLAGS_INLINE_VALUES keeps its
  attribute values after the object, at the type's tp_basicsize, as a
  PyDictValues (a byte header, then the values); its `valid` byte is
  cleared when the values move into a dict of their own.  The word before
  the GC header (OBJECT_MANAGED_DICT) is only the dict, NULL until one is
  made; a dict made from valid values shares them (its ma_values is the
  inline array), so `valid` alone says whether the values are the
  object's attributes.
- the eval breaker is the thread state's (TSTATE_EVAL_BREAKER, a uintptr):
  its low EVAL_EVENTS_BITS bits are the requests (GIL drop, signals,
  pending calls, asynchronous exception, GC, stop-the-world), the bits
  above them the instrumentation version, which the eval loop compares
  rather than tests.  A signal sets its bit in the main thread's state,
  the GIL's drop request in the holder's.
- no _PyCFrame: the thread state points at its running interpreter frame
  itself (TSTATE_CURRENT_FRAME); the frame's first word is f_executable
  (the code object of a Python frame).
- the running thread state is a C thread-local, as in 3.12; the GIL is the
  interpreter's (ceval.gil), whose last_holder the routines trust.
"""

from __future__ import annotations

from ..v3_12.layout import *  # noqa: F401,F403  (what 3.13 did not change)

VERSION = (3, 13)

# -- PyTypeObject: tp_versions_used (uint16) after tp_watched; the size is 3.12's ----------
TYPE_TP_VERSIONS_USED = 410
# PyHeapTypeObject gained _spec_cache after ht_module.
HEAPTYPE_SIZE = 928

TPFLAGS_VALID_VERSION_TAG = None  # no longer set: a tp_version_tag of 0 is the invalid one

# -- listiterobject: its end sets it_index to -1 (and a negative index is an end) ----------
LISTITER_END_INDEX = -1
TPFLAGS_INLINE_VALUES = 1 << 2     # the values live after the object (VALUES_* below)

# -- managed dicts and inline values --------------------------------------------------------
# The word at -24 is the dict (PyManagedDictPointer), NULL until one is
# made; it never holds values.  The values (PyDictValues) start at the
# object plus its type's tp_basicsize: capacity, size, embedded and valid
# bytes, then the value pointers at VALUES_ITEMS.
OBJECT_VALUES = None               # no pre-header word for the values: see INLINE_VALUES
OBJECT_MANAGED_DICT = -24
VALUES_TAG = None
INLINE_VALUES = True               # values at obj + tp_basicsize (3.11, 3.12: a pre-header word)
VALUES_CAPACITY = 0                # uint8
VALUES_SIZE = 1                    # uint8
VALUES_EMBEDDED = 2                # uint8: the values are inline in their object
VALUES_VALID = 3                   # uint8: 0 once a dict of its own holds the attributes
VALUES_ITEMS = 8                   # PyObject *values[]
MANAGED_WEAKREF = -32

# -- the thread state and frames ---------------------------------------------------------
TSTATE_EXC_INFO = 120              # PyThreadState.exc_info (3.12: 104)
TSTATE_CFRAME = None               # no _PyCFrame: see TSTATE_CURRENT_FRAME
CFRAME_CURRENT_FRAME = None
TSTATE_CURRENT_FRAME = 72          # PyThreadState.current_frame: _PyInterpreterFrame *
IFRAME_EXECUTABLE = 0              # f_executable: the code object of a Python frame
IFRAME_CODE = IFRAME_EXECUTABLE
IFRAME_PREVIOUS = 8
IFRAME_FUNCOBJ = 16
IFRAME_FUNC = IFRAME_FUNCOBJ
IFRAME_INSTR_PTR = 56              # _Py_CODEUNIT *: the running (or next) instruction
IFRAME_STACKTOP = 64               # int
IFRAME_OWNER = 70                  # char
IFRAME_LOCALSPLUS = 72

# -- the interpreter's state ---------------------------------------------------------------
# The eval breaker moved from the interpreter state into each thread state.
INTERP_EVAL_BREAKER = None         # see TSTATE_EVAL_BREAKER
TSTATE_EVAL_BREAKER = 24           # uintptr_t
EVAL_EVENTS_BITS = 8               # the request bits; the instrumentation version above them
EVAL_EVENTS_MASK = (1 << EVAL_EVENTS_BITS) - 1
EVAL_BREAKER_REQUESTS_WIDTH = EVAL_EVENTS_BITS // 8   # the low byte (little-endian)
EVAL_GIL_DROP_REQUEST_BIT = 1 << 0
EVAL_SIGNALS_PENDING_BIT = 1 << 1
EVAL_CALLS_TO_DO_BIT = 1 << 2
EVAL_ASYNC_EXCEPTION_BIT = 1 << 3
EVAL_GC_SCHEDULED_BIT = 1 << 4
EVAL_PLEASE_STOP_BIT = 1 << 5
EVAL_EXPLICIT_MERGE_BIT = 1 << 6
# PyInterpreterState.ceval (at 0): instrumentation_version, recursion_limit,
# then the GIL pointer.
INTERP_CEVAL_GIL = 16
GIL_LAST_HOLDER = 8
GIL_LOCKED = 16
# PyThreadState's recursion counters follow eval_breaker and the flags.
TSTATE_RECURSION_REMAINING = 44    # py_recursion_remaining (int)
TSTATE_RECURSION_LIMIT = 48        # py_recursion_limit (int)
TSTATE_C_RECURSION_REMAINING = 52  # c_recursion_remaining (int)
# _PyRuntime.ceval no longer has signals_pending: a signal sets
# signals.is_tripped and the main thread's SIGNALS_PENDING bit.
RUNTIME_SIGNALS_PENDING = None
RUNTIME_SIGNALS_IS_TRIPPED = 2128  # _PyRuntime.signals.is_tripped (int)


def names() -> list[str]:
    """The names this table defines (upper-case constants)."""
    return sorted(n for n in globals() if n.isupper())
