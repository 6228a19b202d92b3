"""The interpreter's state where the version's layout says it is.

The eval breaker word, the signals hint, the GIL's last holder and the
thread state's recursion count are read
here through their offsets (pyjit/cpython/v3_11/layout.py, the addresses
of pyjit/cpython/interpreter.py) and watched doing what the interpreter
makes them do.  Compiled code and the shared routines read and write these
words: a wrong offset would corrupt the interpreter.
"""

from __future__ import annotations

import ctypes
import itertools
import operator
import signal
import sys
import threading
import time

from pyjit.cpython import interpreter

_usleep = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_uint)(("usleep", ctypes.pythonapi))
# PyFUNCTYPE: the GIL stays held across the call, and copying 4 bytes is done
# by C without the eval loop running in between (no eval breaker check).
_read32 = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)(
    ("memcpy", ctypes.pythonapi))
# C's raise(): the C signal handler runs, the Python one only at the eval
# loop's next check (signal.raise_signal would run it at once).
_raise = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_int)(("raise", ctypes.pythonapi))


def _word(address: int) -> int:
    return ctypes.c_int32.from_address(address).value


# The requests in the eval breaker word (3.13 keeps the instrumentation
# version above them, nonzero once sys.monitoring or a tracer was used).
_REQUESTS = (1 << 8 * interpreter.layout.EVAL_BREAKER_REQUESTS_WIDTH) - 1


def test_the_eval_breaker_is_set_while_another_thread_asks_for_the_gil():
    """This thread holds the GIL in usleep (PYFUNCTYPE: not released) while
    another thread waits for it: after the switch interval, the waiting
    thread sets gil_drop_request and with it the eval breaker.  The word is
    copied by C right after usleep, before the eval loop can serve the
    request (and reset the word)."""
    address = interpreter.eval_breaker_address()
    started = threading.Event()
    stop = False

    def spin():
        started.set()
        while not stop:
            pass

    worker = threading.Thread(target=spin)
    worker.start()
    started.wait()
    copy = ctypes.c_int32(0)
    try:
        for _ in range(5):
            # usleep(50 ms) then memcpy, both from C: no eval loop check between.
            list(itertools.starmap(operator.call, [
                (_usleep, 50_000), (_read32, ctypes.addressof(copy), address, 4)]))
            if copy.value & _REQUESTS:
                break
    finally:
        stop = True
        worker.join()
    assert copy.value & _REQUESTS != 0
    assert _word(address) & _REQUESTS == 0      # served: nothing asks any more


def test_the_eval_breaker_is_clear_when_nothing_is_pending():
    time.sleep(0.01)
    assert interpreter.eval_breaker() == 0


def test_a_signal_sets_the_eval_breaker_and_the_signals_hint():
    """The C signal handler sets the hint and the word; they are copied by
    C before the eval loop runs the Python handler (which clears them)."""
    ran = []
    previous = signal.signal(signal.SIGUSR1, lambda *_: ran.append(1))
    words = (ctypes.c_int32 * 2)()
    try:
        list(itertools.starmap(operator.call, [
            (_raise, signal.SIGUSR1),
            (_read32, ctypes.addressof(words), interpreter.eval_breaker_address(), 4),
            (_read32, ctypes.addressof(words) + 4, interpreter.signals_pending_address(), 4)]))
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert ran == [1]
    # The word: 1 (3.11, 3.12), or the signals bit among the requests (3.13).
    assert [words[0] & _REQUESTS, words[1]] == [interpreter.layout.EVAL_SIGNALS_PENDING_BIT, 1]
    assert _word(interpreter.signals_pending_address()) == 0


def test_the_gil_last_holder_is_the_thread_that_released_it():
    last = ctypes.c_uint64.from_address(interpreter.gil_last_holder_address())
    here = interpreter.running_thread_state()
    time.sleep(0.001)                  # released and taken back by this thread
    assert last.value == here


def test_recursion_remaining_counts_frames():
    limit = sys.getrecursionlimit()
    assert ctypes.c_int32.from_address(
        interpreter.running_thread_state() + interpreter.layout.TSTATE_RECURSION_LIMIT).value == limit

    def depth(n):
        return interpreter.recursion_remaining() if n == 0 else depth(n - 1)

    assert depth(0) - depth(10) == 10
    assert depth(0) == interpreter.recursion_remaining() - 1   # one frame more: depth's
