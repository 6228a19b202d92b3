"""Signal handlers that raise while compiled code runs: the exception comes
out of the compiled call as it would out of the interpreted one, never as
"Exception ignored on calling ctypes callback", never as an EmulationFault,
wherever the handler ran (inside a helper, or at a check point of the
engine's own code on the way to or from one: timers over a sweep of delays
land at many such points).  Nothing is left behind: no pending or deferred
exception, no thread inside compiled code."""

from __future__ import annotations

import random
import signal
import sys
import time

import pytest

from pyjit.cpython import interrupts
from pyjit.runtime import EmulationFault


class Alarm(Exception):
    pass


def raise_alarm(signum, frame):
    raise Alarm("timer")


@pytest.fixture
def unraisable():
    """What reached sys.unraisablehook (e.g. an exception escaping a ctypes
    callback) during the test."""
    seen = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append
    yield seen
    sys.unraisablehook = previous


@pytest.fixture(autouse=True)
def no_collector_callbacks():
    """No Python code in the collector's callbacks while a test runs: a
    handler that runs there (at a callback's check point) raises into the
    collector, which reports it as unraisable and drops it, in the
    interpreter too.  hypothesis, loaded by other tests, keeps one."""
    import gc
    saved = gc.callbacks[:]
    gc.callbacks.clear()
    yield
    gc.callbacks[:] = saved


@pytest.fixture
def alarm_handler():
    def install(handler):
        signal.signal(signal.SIGALRM, handler)
    previous = signal.getsignal(signal.SIGALRM)
    yield install
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def step(i):
    return i + 1                        # interpreted: a helper runs Python code


def busy(seconds):
    """Helpers of every kind until the time is up: calls into Python code,
    allocations, frees (helpers that cannot fail), dict and list work."""
    deadline = time.monotonic() + seconds
    i = 0
    keep = []
    while time.monotonic() < deadline:
        i = step(i)
        keep.append([i, str(i)])
        if len(keep) > 20:
            keep = []                   # frees 20 lists: deallocation helpers
        d = {"k": i, "v": keep}
        i = d["k"]
    return i


def interrupted(fn, handler_exc, delay):
    """Start a one-shot timer, run fn, return what it raised (None if it
    returned)."""
    try:
        signal.setitimer(signal.ITIMER_REAL, delay)
        fn(2.0)
    except handler_exc as exc:
        return exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return None


def test_an_exception_from_a_sigalrm_handler_comes_out_of_the_compiled_call(
        jit_compile, alarm_handler, unraisable):
    jit_compile(busy)
    busy(0.001)
    alarm_handler(raise_alarm)
    rng = random.Random(1234)
    for _ in range(150):
        delay = rng.choice([rng.uniform(1e-5, 3e-4), rng.uniform(3e-4, 3e-3)])
        try:
            exc = interrupted(busy, Alarm, delay)
        except EmulationFault as fault:                  # pragma: no cover - the failure
            pytest.fail(f"the interrupt became an EmulationFault: {fault}")
        assert isinstance(exc, Alarm) and exc.args == ("timer",)
        assert interrupts.pending() is None
    assert unraisable == []
    assert busy(0.001) >= 0                              # still runs fine


def test_keyboard_interrupt(jit_compile, alarm_handler, unraisable):
    jit_compile(busy)
    busy(0.001)
    alarm_handler(signal.default_int_handler)            # raises KeyboardInterrupt
    rng = random.Random(99)
    for _ in range(100):
        exc = interrupted(busy, KeyboardInterrupt, rng.uniform(1e-5, 2e-3))
        assert isinstance(exc, KeyboardInterrupt)
    assert unraisable == []


def nested_busy(seconds):
    return relay(seconds) + 1


def relay(seconds):
    return busy(seconds)                # interpreted, between two compiled frames


def test_interrupting_nested_compiled_code(jit_compile, alarm_handler, unraisable):
    jit_compile(busy, nested_busy)
    nested_busy(0.001)
    alarm_handler(raise_alarm)
    rng = random.Random(7)
    for _ in range(80):
        exc = interrupted(nested_busy, Alarm, rng.uniform(1e-5, 2e-3))
        assert isinstance(exc, Alarm)
    assert unraisable == []


SENTINEL = object()


def holds_sentinel(seconds):
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        x = SENTINEL                    # a reference the activation holds (no helper)
        i = step(i) + (x is None)       # helper calls: an interrupt lands in one
    return i


def test_an_interrupt_releases_what_compiled_code_held(jit_compile, alarm_handler):
    jit_compile(holds_sentinel)
    holds_sentinel(0.001)               # warm: caches filled, contexts made
    alarm_handler(raise_alarm)
    before = sys.getrefcount(SENTINEL)
    for i in range(150):
        assert isinstance(interrupted(holds_sentinel, Alarm, 1e-4 * (1 + i % 10)), Alarm)
    # The compiled error path releases what the activation held, as the
    # interpreter unwinds a frame.
    assert sys.getrefcount(SENTINEL) == before
