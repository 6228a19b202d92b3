"""What CPython 3.14's description says of the interpreter's own state and
of what 3.14 changed, against the running 3.14: the object header's flags
and immortal counts, the small-int bit, dicts without a version, the
interpreter frame's stack refs, the thread state's counters and C stack
limits, the eval breaker, the signals flag, the bytecode tables and the
counting prologue's exit.  Read through ctypes while 3.14 is still refused
by `version.SUPPORTED` (the engines do not use this description yet).
"""

from __future__ import annotations

import ctypes
import dis
import signal
import sys
import threading

import pytest

pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 14), reason="CPython 3.14's layout")

if sys.version_info[:2] == (3, 14):
    from pyjit.cpython.v3_14 import layout as L


def u8(a): return ctypes.c_uint8.from_address(a).value
def u16(a): return ctypes.c_uint16.from_address(a).value
def u32(a): return ctypes.c_uint32.from_address(a).value
def s32(a): return ctypes.c_int32.from_address(a).value
def u64(a): return ctypes.c_uint64.from_address(a).value
def s64(a): return ctypes.c_int64.from_address(a).value


_thread_state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyThreadState_Get", ctypes.pythonapi))
_interpreter = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyInterpreterState_Get", ctypes.pythonapi))
_set_interrupt = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_int)(
    ("PyErr_SetInterruptEx", ctypes.pythonapi))


def _runtime() -> int:
    return ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))


# -- the object header -------------------------------------------------------------------

def test_the_build_has_the_gil_and_the_two_word_header():
    import sysconfig
    assert sysconfig.get_config_var("Py_GIL_DISABLED") == 0
    assert object.__basicsize__ == L.OBJECT_HEAD_SIZE == L.OB_TYPE + 8 == 16


def test_static_objects_have_the_immortal_count_and_flags():
    for static in (None, True, 0, 256, -5, int, "a", ()):
        base = id(static)
        assert u32(base + L.OB_REFCNT) == L.IMMORTAL_REFCNT
        assert u16(base + L.OB_OVERFLOW) == 0
        assert u16(base + L.OB_FLAGS) == L.OB_FLAGS_IMMORTAL | L.OB_FLAGS_STATIC


def test_a_mortal_count_fills_the_low_word_only():
    o = object()
    assert s64(id(o) + L.OB_REFCNT) == 1       # overflow and flags clear
    keep = [o] * 7
    assert u32(id(o) + L.OB_REFCNT) == 8 and u16(id(o) + L.OB_FLAGS) == 0
    del keep


def test_interned_strings_are_mortal():
    s = sys.intern("".join(["not ", "static ", str(id(object()))]))
    assert sys.intern(s) is s
    low = u32(id(s) + L.OB_REFCNT)
    assert not low >> L.IMMORTAL_BIT & 1 and u16(id(s) + L.OB_FLAGS) == 0


def test_only_the_small_ints_have_the_small_int_bit():
    for value in range(-8, 300):
        number = int(str(value))                  # the cached object, or a new one
        small = L.SMALL_INT_MIN <= value <= L.SMALL_INT_MAX
        tag = u64(id(number) + L.LONG_LV_TAG)
        assert bool(tag & L.LONG_SMALL_INT_BIT) == small, value
        assert (tag & ~L.LONG_SMALL_INT_BIT) >> L.LONG_NON_SIZE_BITS == (value != 0)
        assert 1 - (tag & L.LONG_SIGN_MASK) == (value > 0) - (value < 0)


def test_the_small_ints_are_one_array():
    """What the int routines index: the cached ints SMALL_INT_STRIDE bytes
    apart, from SMALL_INT_MIN."""
    base = id(L.SMALL_INT_MIN)
    for value in range(L.SMALL_INT_MIN, L.SMALL_INT_MAX + 1):
        assert id(int(str(value))) == base + (value - L.SMALL_INT_MIN) * L.SMALL_INT_STRIDE


def test_tuples_cache_their_hash_before_the_items():
    t = tuple([1.5, "x", None])
    assert s64(id(t) + L.TUPLE_OB_HASH) == -1      # not computed yet
    h = hash(t)
    assert s64(id(t) + L.TUPLE_OB_HASH) == h
    assert [u64(id(t) + L.TUPLE_OB_ITEM + 8 * i) for i in range(3)] == [id(x) for x in t]


# -- dicts: watcher bits, no version --------------------------------------------------------

_WATCH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                   ctypes.c_void_p)


def test_the_dict_word_holds_watcher_bits_and_no_version():
    add = ctypes.PYFUNCTYPE(ctypes.c_int, _WATCH_CALLBACK)(("PyDict_AddWatcher", ctypes.pythonapi))
    watch = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.py_object)(
        ("PyDict_Watch", ctypes.pythonapi))
    clear = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_int)(("PyDict_ClearWatcher", ctypes.pythonapi))
    events = []
    callback = _WATCH_CALLBACK(lambda event, *_: events.append(event) or 0)
    d = {"k": 1}
    word = id(d) + L.DICT_WATCHER_TAG
    before = u64(word)
    d["k"] = 2                                   # a value store changes nothing there
    d["j"] = 3
    del d["j"]
    assert u64(word) == before and before & L.DICT_WATCHER_MASK == 0
    watcher = add(callback)
    assert 0 <= watcher < 8
    try:
        assert watch(watcher, d) == 0
        assert u64(word) & L.DICT_WATCHER_MASK == 1 << watcher
        d["k"] = 4
        assert len(events) == 1
    finally:
        assert clear(watcher) == 0


# -- the interpreter frame's stack refs ------------------------------------------------------

def test_frame_fields_hold_stack_refs():
    def probe(a, b):
        """Its frame, read with C calls only while it runs (a Python call's
        frame would be the current one)."""
        none = None                               # noqa: F841 (read as a slot)
        word = ctypes.c_uint64.from_address
        frame = word(_thread_state() + L.TSTATE_CURRENT_FRAME).value
        slots = [word(frame + L.IFRAME_LOCALSPLUS + 8 * i).value for i in range(7)]
        return (frame, word(frame + L.IFRAME_EXECUTABLE).value, word(frame + L.IFRAME_FUNCOBJ).value,
                word(frame + L.IFRAME_STACKPOINTER).value, u8(frame + L.IFRAME_OWNER), slots, b)
    fresh = object()
    frame, executable, funcobj, stackpointer, owner, slots, made = probe(fresh, object())
    assert L.stackref_object(executable) == id(probe.__code__)
    assert L.stackref_object(funcobj) == id(probe)
    assert owner == L.FRAME_OWNED_BY_THREAD
    assert stackpointer >= frame + L.IFRAME_LOCALSPLUS + 8 * len(probe.__code__.co_varnames)
    # The comprehension's variable is a slot of its own (PEP 709), bound
    # while it runs.
    assert probe.__code__.co_varnames == ("a", "b", "none", "word", "frame", "i", "slots")
    a, b, none, _, frame_slot, _, unbound = slots
    # An argument keeps the caller's reference: `fresh` borrowed (the
    # caller's LOAD_FAST_BORROW), the new object owned.
    assert a == id(fresh) | L.STACKREF_TAG_REFCNT
    assert b == id(made)
    assert none == id(None) | L.STACKREF_TAG_REFCNT          # an immortal object: tagged
    assert frame_slot == id(frame)                # the int the frame read, owned
    assert unbound == L.STACKREF_NULL and L.stackref_object(unbound) == 0   # not stored yet


def _suspended(a):
    return [None, a, 1.5, 7, (yield)]


def test_a_suspended_generators_stack_refs():
    """None, a borrowed local (LOAD_FAST_BORROW), a constant the frame
    owns a count on, a small int: tagged, tagged, clear, tagged."""
    fresh = object()
    gen = _suspended(fresh)
    next(gen)
    frame = id(gen) + L.GEN_IFRAME
    assert L.stackref_object(u64(frame + L.IFRAME_EXECUTABLE)) == id(gen.gi_code)
    assert u8(frame + L.IFRAME_OWNER) == L.FRAME_OWNED_BY_GENERATOR
    base = frame + L.IFRAME_LOCALSPLUS + 8 * len(gen.gi_code.co_varnames)
    stack = [u64(p) for p in range(base, u64(frame + L.IFRAME_STACKPOINTER), 8)]
    one_and_a_half = _suspended.__code__.co_consts[-1]
    assert one_and_a_half == 1.5
    assert [L.stackref_object(w) for w in stack] == [id(None), id(fresh), id(one_and_a_half), id(7)]
    assert [w & L.STACKREF_TAG_REFCNT for w in stack] == [1, 1, 0, 1]
    gen.close()


def test_a_tagged_int_is_no_object_reference():
    with pytest.raises(ValueError, match="tagged int"):
        L.stackref_object(5 << 2 | L.STACKREF_INT_TAG)


def test_a_generator_keeps_the_exception_it_handles():
    def handling():
        try:
            raise KeyError("k")
        except KeyError as exc:
            yield exc
    gen = handling()
    exc = next(gen)
    assert u64(id(gen) + L.GEN_EXC_STATE + L.ERR_STACKITEM_EXC_VALUE) == id(exc)
    gen.close()


# -- the thread state ---------------------------------------------------------------------

def test_thread_state_points_at_its_interpreter_and_the_gil_at_it():
    tstate = _thread_state()
    assert u64(tstate + L.TSTATE_INTERP) == _interpreter()
    gil = u64(_interpreter() + L.INTERP_CEVAL_GIL)
    assert u64(gil + L.GIL_LAST_HOLDER) == tstate
    assert s32(gil + L.GIL_LOCKED) == 1


def test_the_python_recursion_counter():
    tstate = _thread_state()
    assert s32(tstate + L.TSTATE_RECURSION_LIMIT) == sys.getrecursionlimit()
    here = s32(tstate + L.TSTATE_RECURSION_REMAINING)

    def deeper():
        return s32(tstate + L.TSTATE_RECURSION_REMAINING)
    assert deeper() == here - 1              # one Python frame more
    assert s32(tstate + L.TSTATE_RECURSION_HEADROOM) == 0
    assert L.TSTATE_C_RECURSION_REMAINING is None
    # Entering from C (a ctypes callback, PyObject_CallNoArgs) costs the
    # counter no more than a call from Python.
    seen = []
    call_no_args = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object)(
        ("PyObject_CallNoArgs", ctypes.pythonapi))
    deeper2 = lambda: seen.append(s32(tstate + L.TSTATE_RECURSION_REMAINING))  # noqa: E731
    deeper2()
    ctypes.PYFUNCTYPE(None)(deeper2)()
    call_no_args(deeper2)
    assert seen[1:] == [seen[0] - L.RECURSION_COUNT_OF_C_ENTRY] * 2


def test_the_c_stack_limits_are_the_main_threads_stack():
    """The main thread's c_stack_top lies in the process's [stack] mapping,
    the limits below it (the stack grows down)."""
    with open("/proc/self/maps") as maps:
        low, high = next(tuple(int(x, 16) for x in line.split()[0].split("-"))
                         for line in maps if line.rstrip().endswith("[stack]"))
    tstate = _thread_state()
    assert threading.current_thread() is threading.main_thread()
    top, soft, hard = (u64(tstate + off) for off in (L.TSTATE_C_STACK_TOP,
                                                      L.TSTATE_C_STACK_SOFT_LIMIT,
                                                      L.TSTATE_C_STACK_HARD_LIMIT))
    assert low <= top <= high
    assert hard < soft < top


def test_eval_breaker_holds_the_instrumentation_version_above_the_requests():
    word = _thread_state() + L.TSTATE_EVAL_BREAKER
    before = u64(word) >> L.EVAL_EVENTS_BITS
    sys.settrace(lambda *a: None)            # a new instrumentation version
    sys.settrace(None)
    assert u64(word) >> L.EVAL_EVENTS_BITS > before


def test_a_signal_sets_the_tripped_flag_and_the_main_threads_request_bit():
    """As 3.13's (test_layout_v3_13.py), at 3.14's offsets."""
    got, seen = [], []
    main_word = _thread_state() + L.TSTATE_EVAL_BREAKER
    tripped = _runtime() + L.RUNTIME_SIGNALS_IS_TRIPPED

    def request():
        assert _set_interrupt(signal.SIGUSR1) == 0
        seen.append((u64(main_word) & L.EVAL_EVENTS_MASK, s32(tripped)))
    old = signal.signal(signal.SIGUSR1, lambda *a: got.append(a[0]))
    try:
        worker = threading.Thread(target=request)
        worker.start()
        worker.join()
        assert seen == [(L.EVAL_SIGNALS_PENDING_BIT, 1)]
        for _ in range(3):                    # eval breaker checks of the main thread
            pass
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert got == [signal.SIGUSR1]
    assert s32(tripped) == 0 and u64(main_word) & L.EVAL_EVENTS_MASK == 0


# -- bytecode ------------------------------------------------------------------------------

def test_bytecode_tables():
    from pyjit.cpython.v3_14 import opcodes

    def f(a, b):
        return a[b], a + b
    ops = [opcodes.BINARY_OPS[i.arg] for i in dis.get_instructions(f) if i.opname == "BINARY_OP"]
    assert ops == ["SUBSCR", "ADD"]
    assert "BINARY_SUBSCR" not in dis.opmap
    flags = [opcodes.FUNCTION_ATTRIBUTES[1 << k] for k in range(len(dis.FUNCTION_ATTR_FLAGS))]
    assert flags == list(dis.FUNCTION_ATTR_FLAGS) and flags[-1] == "annotate"

    def g(a, b):
        if a < b:
            return a >= b
    args = [i.arg for i in dis.get_instructions(g) if i.opname == "COMPARE_OP"]
    assert [opcodes.COMPARE_OPS[a >> opcodes.COMPARE_OP_SHIFT] for a in args] == ["<", ">="]
    assert [bool(a & opcodes.COMPARE_OP_TO_BOOL) for a in args] == [True, False]


def test_for_iter_leaves_the_iterator_for_what_follows_end_for():
    """The counting tail's third instruction is where an exhausted FOR_ITER
    goes on, the iterator on top: made RETURN_VALUE, the call returns the
    counter; the description's POP_ITER pops it."""
    from pyjit.cpython.v3_14 import counting

    import test_counting_prologue as prologue

    original = counting.counting_code

    def returning_the_top(code, **indices):
        body, tail, depth = original(code, **indices)
        assert tail[2] == ("POP_ITER", 0)
        return body, [*tail[:2], ("RETURN_VALUE", 0), *tail[3:]], depth

    def add(a, b):
        return a + b
    prologue.counting.counting_code = returning_the_top
    try:
        f = prologue.counted(add, 0, lambda *slots: prologue.GO_ON)
    finally:
        prologue.counting.counting_code = original
    counter = f.__code__.co_consts[len(add.__code__.co_consts)]
    assert f(1, 2) is counter


def test_resume_quiet_enters_without_the_signal_check():
    """A handler that raises, run at a check point while C (qsort) calls a
    Python comparator: on entering it (RESUME 0) the exception escapes the
    callback and is lost; with RESUME_QUIET the entry runs no handler and
    the comparator's own body catches what its next check raises."""
    from pyjit.cpython.v3_14 import opcodes

    compare_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
    qsort = ctypes.PYFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                              compare_type)(("qsort", ctypes.CDLL(None)))

    class Boom(Exception):
        pass
    armed = [False]

    def boom(signum, frame):
        if armed[0]:
            raise Boom()

    def escapes(compare) -> int:
        lost = []
        old_hook, sys.unraisablehook = sys.unraisablehook, lost.append
        previous = signal.signal(signal.SIGALRM, boom)
        callback = compare_type(compare)
        data = (ctypes.c_int * 2000)()
        try:
            signal.setitimer(signal.ITIMER_REAL, 50e-6, 50e-6)
            for _ in range(300):
                try:
                    armed[0] = True
                    qsort(data, len(data), 4, callback)
                except Boom:
                    pass
                armed[0] = False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            sys.unraisablehook = old_hook
        return sum(isinstance(u.exc_value, Boom) for u in lost)

    def compare(a, b):
        try:
            return 0
        except Boom:
            return 0
    loud = compare
    quiet = with_resume_arg(compare, opcodes.RESUME_QUIET)
    assert escapes(loud) > 0
    assert escapes(quiet) == 0


def with_resume_arg(fn, resume_arg: int):
    """fn with its entry RESUME's argument replaced."""
    import types
    raw = bytearray(fn.__code__.co_code)
    at = next(i for i in range(0, len(raw), 2) if raw[i] == dis.opmap["RESUME"])
    assert raw[at + 1] == 0
    raw[at + 1] = resume_arg
    return types.FunctionType(fn.__code__.replace(co_code=bytes(raw)), fn.__globals__, fn.__name__,
                              fn.__defaults__, fn.__closure__)
