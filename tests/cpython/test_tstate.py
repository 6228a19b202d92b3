"""cpython/tstate.py against the running interpreter: the thread state's
recursion counter, and functions entered without a signal check."""

from __future__ import annotations

import ctypes
import signal
import sys
import threading

import pytest

from pyjit.cpython.version import RUNNING, SUPPORTED

if RUNNING not in SUPPORTED:
    pytest.skip("tstate.py reads the enabled description of the running version",
                allow_module_level=True)

from pyjit.cpython import tstate  # noqa: E402


def test_the_recursion_counter_counts_frames_down_from_the_limit():
    counter = tstate.recursion_counter()
    assert tstate.recursion_limit_field().value == sys.getrecursionlimit()

    def depth_below(n):
        return counter.value if n == 0 else depth_below(n - 1)

    top = counter.value
    assert depth_below(10) == top - 11
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(previous + 500)       # rewrites it, keeping the depth
    try:
        assert counter.value == top + 500
    finally:
        sys.setrecursionlimit(previous)
    assert counter.value == top


def test_the_counter_is_per_thread():
    main = tstate.recursion_counter()
    seen = []
    t = threading.Thread(target=lambda: seen.append(tstate.recursion_counter()))
    t.start()
    t.join()
    assert seen and ctypes.addressof(seen[0]) != ctypes.addressof(main)
    assert tstate.recursion_counter() is main


def test_what_an_entry_from_c_costs_each_counter():
    """Calling a Python function from C (a ctypes callback, a C-API call)
    costs the frame counter ENTRY_FROM_C_COUNTS more than calling it from
    Python; where the version counts C recursion apart, that counter pays
    for the entry instead, and a call between Python functions leaves it
    alone."""
    frames, c_counts = tstate.recursion_counter(), tstate.c_recursion_counter()
    seen = []

    def callee():
        seen.append((frames.value, c_counts.value if c_counts is not None else None))

    call_no_args = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.py_object)(
        ("PyObject_CallNoArgs", ctypes.pythonapi))
    callee()
    ctypes.PYFUNCTYPE(None)(callee)()
    call_no_args(callee)
    (direct, c_direct), *through_c = seen
    for frames_left, c_left in through_c:
        assert direct - frames_left == tstate.ENTRY_FROM_C_COUNTS
        if c_counts is None:
            # 3.11 counts the entry as a frame; 3.14 measures C recursion
            # by the machine stack (TSTATE_C_STACK_*), no counter pays.
            measured = getattr(tstate.layout, "TSTATE_C_STACK_SOFT_LIMIT", None) is not None
            assert c_left is None and tstate.ENTRY_FROM_C_COUNTS == (0 if measured else 1)
        else:
            assert c_left < c_direct
    if c_counts is not None:
        top = c_counts.value

        def deeper(n):
            return c_counts.value if n == 0 else deeper(n - 1)

        assert deeper(20) == top


def test_the_c_counter_is_per_thread():
    main = tstate.c_recursion_counter()
    if main is None:
        assert tstate.layout.TSTATE_C_RECURSION_REMAINING is None
        return
    seen = []
    t = threading.Thread(target=lambda: seen.append(tstate.c_recursion_counter()))
    t.start()
    t.join()
    assert seen and ctypes.addressof(seen[0]) != ctypes.addressof(main)
    assert tstate.c_recursion_counter() is main


class Boom(Exception):
    pass


_CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_qsort = ctypes.PYFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, _CMP)(
    ("qsort", ctypes.CDLL(None)))


_armed = [False]


def _raise_boom(signum, frame):
    if _armed[0]:                       # only while C (qsort) or the callbacks run
        raise Boom()


def _escapes(compare, sorts: int = 300) -> int:
    """Sort with compare (a Python comparator C calls) while a timer's
    handler raises Boom every 50 us; returns how many exceptions escaped
    the callback.  A signal arriving while qsort's own C code runs is
    handled at the next check point: on entering the comparator, unless it
    enters quietly (its body catches the rest)."""
    seen = []
    old_hook, sys.unraisablehook = sys.unraisablehook, seen.append
    previous = signal.signal(signal.SIGALRM, _raise_boom)
    callback = _CMP(compare)
    data = (ctypes.c_int * 2000)()
    try:
        signal.setitimer(signal.ITIMER_REAL, 50e-6, 50e-6)
        for _ in range(sorts):
            try:
                _armed[0] = True
                _qsort(data, len(data), 4, callback)
                _armed[0] = False
            except Boom:
                _armed[0] = False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = old_hook
    return sum(isinstance(u.exc_value, Boom) for u in seen)


def loud(a, b, caught=[0]):
    try:
        return 0
    except Boom:
        caught[0] += 1
        return 0


def quiet(a, b, caught=[0]):
    try:
        return 0
    except Boom:
        caught[0] += 1
        return 0


def test_quiet_entry_runs_no_signal_handler_on_entering():
    assert _escapes(loud) > 0           # raised on entering: printed and lost
    tstate.quiet_entry(quiet)
    assert _escapes(quiet) == 0


def test_quiet_entry_keeps_closures_working():
    def outer(k):
        def inner(x):
            return x + k
        return inner

    inner = outer(5)
    assert tstate.quiet_entry(inner) is inner and inner(1) == 6
    with pytest.raises(ValueError, match="no entry RESUME"):
        tstate.quiet_entry(inner)          # already quiet


@pytest.mark.skipif(not tstate.C_STACK_MEASURED, reason="C recursion is counted, not measured")
def test_c_stack_limits_follow_the_stack_in_use_and_come_back():
    """3.14 measures C recursion by the stack pointer: while C code runs on
    another stack (the native engine's), the thread's limits lie in it."""
    L = tstate.layout
    here = tstate._thread_state()

    def limits():
        return tuple(ctypes.c_uint64.from_address(here + offset).value
                     for offset in (L.TSTATE_C_STACK_TOP, L.TSTATE_C_STACK_SOFT_LIMIT,
                                    L.TSTATE_C_STACK_HARD_LIMIT))

    own = limits()
    stack = ctypes.create_string_buffer(1 << 20)
    low = ctypes.addressof(stack)
    tstate.use_c_stack(low, low + len(stack))
    try:
        top, soft, hard = limits()
        assert top == low + len(stack) and low <= hard < soft < top
    finally:
        tstate.reset_c_stack()
    assert limits() == own
