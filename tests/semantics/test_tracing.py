"""A tracer or profiler sees the interpreter: while one is set, compiled
functions run their original code (the tracer sees their lines and none of
pyjit's frames), and compiled code again once it is removed."""

from __future__ import annotations

import sys

import pyjit.jit as jit
from exc_support import compiled


def inner(x):
    y = x * 2
    return y + 1


def outer(x):
    total = 0
    for i in range(x):
        total += inner(i)
    return total


def record(events):
    def tracer(frame, event, arg):
        events.append((frame.f_code.co_name, event, frame.f_lineno,
                       frame.f_code.co_filename == __file__))
        return tracer
    return tracer


def traced(call, setter=sys.settrace):
    events = []
    setter(record(events))
    try:
        result = call()
    finally:
        setter(None)
    return result, [e for e in events if e[3] and e[0] != "<lambda>"]


def test_the_tracer_sees_the_same_events_as_for_the_interpreter():
    expected = traced(lambda: outer(3))
    with compiled(outer, inner):
        assert jit.is_jit_compiled(outer)
        assert traced(lambda: outer(3)) == expected
        # Back to compiled code once the tracer is gone.
        assert outer.__code__ is not jit.install.original_code(outer)
        assert outer(3) == expected[0]


def test_a_profiler_sees_the_same_calls():
    def profile(call):
        calls = []

        def profiler(frame, event, arg):
            if event in ("call", "return") and frame.f_code.co_filename == __file__:
                calls.append((frame.f_code.co_name, event))
        sys.setprofile(profiler)
        try:
            call()
        finally:
            sys.setprofile(None)
        return calls
    expected = profile(lambda: outer(2))
    with compiled(outer, inner):
        assert profile(lambda: outer(2)) == expected


def test_a_tracer_set_from_c_is_noticed_at_the_next_call():
    # A tracer installed without sys.settrace (as C tools do, through
    # PyEval_SetTrace) is noticed by the next compiled call, which runs in
    # the interpreter, as every later one does: that first call still shows
    # the entry's frames to the tracer, the later ones none of pyjit's.
    set_trace = sys.settrace.__pyjit_original__
    expected = traced(lambda: outer(2), set_trace)
    with compiled(outer, inner):
        events = []
        set_trace(record(events))
        try:
            first = outer(2)
            del events[:]
            second = outer(2)
        finally:
            set_trace(None)
        assert first == second == expected[0]
        assert [e for e in events if e[3]] == expected[1]
        assert not any(e[0] in ("entry", "_tracing_changed") for e in events)
    sys.settrace(None)          # puts the trampolines back (a no-op if they are)
