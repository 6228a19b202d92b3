"""Signals reach compiled code as they reach interpreted code.

The interpreter runs a signal's Python handler at its next eval breaker
check (a function's entry, a loop's back edge); compiled code checks the
eval breaker there too.  A handler that raises makes the exception come out
of the compiled function at that point, through its own handlers first; a
handler that returns lets it go on.  Each case runs several times (signals
arrive at a different point each time) and must end well under a second
after the signal.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import pytest
from semantics_support import compiled, fresh  # noqa: F401  (fixtures)

REPEATS = 5
PROMPT = 0.5          # seconds from the signal to the exception, at most
DELAY = 0.05          # seconds from arming the timer to the signal


class Alarm(Exception):
    pass


@contextlib.contextmanager
def handler_for(signum, handler):
    previous = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signum, previous)


def _raise_alarm(signum, frame):
    raise Alarm()


def _time_to_raise(fn, *args, exc=Alarm):
    """Arm the alarm, run fn(*args) until it raises exc: seconds from the
    signal to the exception."""
    start = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, DELAY)
    with pytest.raises(exc):
        fn(*args)
    return time.monotonic() - start - DELAY


SPIN = """
def spin():
    n = 0
    while True:
        n += 1
"""

CATCHING = """
def catching():
    n = 0
    try:
        while True:
            n += 1
    except Alarm:
        return n
"""

CALLS_COMPILED = """
def step(n):
    return n + 1

def calls_compiled():
    n = 0
    while True:
        n = step(n)
"""

WHILE_CONDITION = """
def counts_down(n):
    while n > -1:
        n = n - 1 + 1
    return n
"""


def test_alarm_stops_a_compiled_while_true_loop(compiled, fresh):
    spin = compiled(fresh(SPIN, "spin"))
    with handler_for(signal.SIGALRM, _raise_alarm):
        for _ in range(REPEATS):
            assert _time_to_raise(spin) < PROMPT


def test_alarm_stops_a_loop_on_its_conditional_back_edge(compiled, fresh):
    # `while n > -1` ends with POP_JUMP_BACKWARD_IF_TRUE: the check is on
    # that edge.
    counts_down = compiled(fresh(WHILE_CONDITION, "counts_down"))
    with handler_for(signal.SIGALRM, _raise_alarm):
        for _ in range(REPEATS):
            assert _time_to_raise(counts_down, 10) < PROMPT


def test_the_compiled_functions_own_handler_catches_it(compiled, fresh):
    catching = compiled(fresh(CATCHING, "catching", Alarm=Alarm))
    with handler_for(signal.SIGALRM, _raise_alarm):
        for _ in range(REPEATS):
            signal.setitimer(signal.ITIMER_REAL, DELAY)
            assert catching() > 0


def test_alarm_stops_a_loop_calling_a_compiled_function(compiled, fresh):
    calls_compiled = fresh(CALLS_COMPILED, "calls_compiled")
    compiled(calls_compiled.__globals__["step"], calls_compiled)
    with handler_for(signal.SIGALRM, _raise_alarm):
        for _ in range(REPEATS):
            assert _time_to_raise(calls_compiled) < PROMPT


def test_alarm_raised_in_an_interpreted_callee_leaves_the_compiled_loop(compiled, fresh):
    # The callee sleeps (time.sleep runs the handler when the signal cuts
    # the sleep short): the exception comes from the callee, through the
    # compiled caller, which does not catch it.
    source = """
    def work():
        time.sleep(0.2)

    def loop():
        while True:
            work()
    """
    loop = compiled(fresh(source, "loop", time=time))
    with handler_for(signal.SIGALRM, _raise_alarm):
        for _ in range(REPEATS):
            assert _time_to_raise(loop) < PROMPT


def test_a_handler_that_returns_lets_the_loop_go_on(compiled, fresh):
    source = """
    def until(flag):
        n = 0
        while not flag:
            n += 1
        return n
    """
    until = compiled(fresh(source, "until"))
    flag = []
    with handler_for(signal.SIGALRM, lambda *_: flag.append(1)):
        for _ in range(REPEATS):
            flag.clear()
            signal.setitimer(signal.ITIMER_REAL, DELAY)
            start = time.monotonic()
            assert until(flag) > 0
            assert time.monotonic() - start - DELAY < PROMPT
            assert flag == [1]


def test_sigint_raises_keyboard_interrupt_in_a_compiled_loop(compiled, fresh):
    # Sent from another thread, which needs the GIL to run: an engine that
    # holds it in compiled code hands it over at the loop's check.
    spin = compiled(fresh(SPIN, "spin"))
    with handler_for(signal.SIGINT, signal.default_int_handler):
        for _ in range(REPEATS):
            start = time.monotonic()
            sender = threading.Timer(DELAY, os.kill, (os.getpid(), signal.SIGINT))
            sender.start()
            with pytest.raises(KeyboardInterrupt):
                spin()
            sender.join()
            assert time.monotonic() - start - DELAY < PROMPT
