"""`sys._getframe(n)` and `sys._getframemodulename(n)` count the compiled
activations that a compiled caller called directly (they have no
interpreter frame: pyjit/runtime/activations.py, pyjit/frame_view.py):
frame n is the one the interpreter gives, or a frame standing for such an
activation, with its code's name, its globals and an f_back chain as the
interpreter's.  What doctest (`DocTestSuite()` finding its caller's
module) and typing (`_caller(depth)`) rely on."""

from __future__ import annotations

import doctest
import inspect
import sys
import traceback

import pytest

import other_module
from exc_support import compiled

from pyjit import jit
from pyjit.runtime.engine import Engine
from pyjit.runtime import activations


def view(n):
    """Interpreted: what frame n below this one is."""
    frame = sys._getframe(n)
    return frame.f_code.co_name, frame.f_globals["__name__"]


def chain(n, length=4):
    """Interpreted: names along f_back from frame n."""
    frame, names = sys._getframe(n), []
    while frame is not None and len(names) < length:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names


def lines(n):
    frame = sys._getframe(n)
    return frame.f_code.co_name, frame.f_lineno


def level3(reader, n):
    return reader(n)


def level2(reader, n):
    result = level3(reader, n)
    return result


def level1(reader, n):
    return level2(reader, n)


LEVELS = (level1, level2, level3)


def both(call, *functions):
    """(call() interpreted, call() with functions compiled)."""
    first = call()
    with compiled(*functions):
        second = call()
    return first, second


@pytest.mark.parametrize("n", range(1, 6))
def test_frames_of_directly_called_activations_are_counted(n):
    interpreted, jitted = both(lambda: level1(view, n), *LEVELS)
    assert jitted == interpreted


@pytest.mark.parametrize("n", range(1, 4))
def test_a_standin_frame_has_the_interpreters_f_back_chain(n):
    interpreted, jitted = both(lambda: level1(chain, n), *LEVELS)
    assert jitted == interpreted


def test_the_activations_are_live_while_the_reader_runs():
    seen = []

    def reader(n):
        seen.append([len(records) for _, records in activations.above_frames()])
        return view(n)

    with compiled(*LEVELS):
        level1(reader, 1)
    # level1 entered from the interpreter (a trampoline frame): level2 and
    # level3 are its direct callees
    assert seen == [[2]]
    assert activations.above_frames() == []


def test_an_activation_that_called_the_next_one_is_at_that_call():
    interpreted, jitted = both(lambda: level1(lines, 2), *LEVELS)
    assert jitted == interpreted == ("level2", level2.__code__.co_firstlineno + 1)


def test_a_frame_past_the_stack_raises_as_the_interpreters():
    with compiled(*LEVELS):
        with pytest.raises(ValueError, match="call stack is not deep enough"):
            level1(sys._getframe, 10 ** 6)


def test_depth_zero_and_below_are_the_callers_own_frame():
    def own(n):
        return sys._getframe(n).f_code.co_name
    with compiled(*LEVELS):
        assert level1(own, 0) == level1(own, -3) == "own"
    with pytest.raises(TypeError):
        sys._getframe("1")


def through_relay(reader, depths):
    """(interpreted, compiled) results of reader(n) for each n of depths,
    reader called by other_module.relay from a function of this module;
    both compiled for the second."""
    def in_other_module(n):
        return other_module.relay(reader, n)
    return both(lambda: [in_other_module(n) for n in depths], in_other_module,
                other_module.relay)


def test_each_frame_has_its_functions_globals():
    interpreted, jitted = through_relay(view, range(1, 4))
    assert jitted == interpreted
    assert interpreted[0] == ("relay", "other_module")


@pytest.mark.skipif(not hasattr(sys, "_getframemodulename"),
                    reason="sys._getframemodulename is 3.12's")
def test_getframemodulename_counts_them_too():
    def modules(n):
        return sys._getframemodulename(n)
    interpreted, jitted = through_relay(modules, range(0, 5))
    assert jitted == interpreted
    assert interpreted[1:3] == ["other_module", __name__]


def _doctest_module():
    """A docstring example, found by DocTestSuite through its caller's
    frame.

    >>> 1 + 1
    2
    """


def suite_here(_):
    return doctest.DocTestSuite()


def test_doctest_finds_the_module_that_asked():
    # DocTestSuite() without a module reads sys._getframe(2), suite_here's
    # frame; called directly by relay, suite_here has none, and relay's
    # module, which has no doctests, was found instead
    def ids():
        return sorted(t.id() for t in other_module.relay(suite_here, 0))
    interpreted = ids()
    with compiled(other_module.relay, suite_here):
        jitted = ids()
    assert jitted == interpreted
    assert any("_doctest_module" in name for name in interpreted)


def uncompiling_victim(reader):
    jit.force_uncompile(uncompiling_victim)     # its activation goes on compiled
    return reader()


def calls_victim(reader):
    return uncompiling_victim(reader)


def test_an_activation_of_a_function_no_longer_compiled_is_left_out():
    # the view names only functions the JIT has compiled now (a record's
    # function may even be dead: its address is not read then)
    def reader():
        names = []
        for k in range(1, 4):
            names.append(sys._getframe(k).f_code.co_name)
        return names
    interpreted = calls_victim(reader)
    assert jit.force_compile(calls_victim) and jit.force_compile(uncompiling_victim)
    try:
        jitted = calls_victim(reader)
    finally:
        jit.force_uncompile(calls_victim)
    assert interpreted[:2] == ["uncompiling_victim", "calls_victim"]
    assert jitted[:2] == interpreted[1:3]


# -- f_back from an interpreter frame -----------------------------------------------------

def walk(_n, length=5):
    """Interpreted: names along f_back from this function's own frame
    (sys._getframe() of depth 0, as inspect.currentframe() gives it)."""
    frame, names = sys._getframe(), []
    while frame is not None and len(names) < length:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names


def test_f_back_of_an_interpreter_frame_shows_the_activations_below_it():
    # walk's frame was pushed by level3, which level2 called directly, as
    # level1 called level2: the interpreter's previous frame is level1's
    interpreted, jitted = both(lambda: level1(walk, 0), *LEVELS)
    assert jitted == interpreted
    assert interpreted[:4] == ["walk", "level3", "level2", "level1"]


def test_inspect_and_traceback_walk_them_too():
    def names(_n):
        return ([info.function for info in inspect.stack()[:4]],
                [entry.name for entry in traceback.extract_stack(limit=4)][::-1])
    interpreted, jitted = both(lambda: level1(names, 0), *LEVELS)
    assert jitted == interpreted
    assert interpreted[0] == ["names", "level3", "level2", "level1"]


def test_f_back_lines_are_the_calls_made(engine):
    def where(_n):
        frame = sys._getframe().f_back
        return [(frame.f_code.co_name, frame.f_lineno),
                (frame.f_back.f_code.co_name, frame.f_back.f_lineno),
                (frame.f_back.f_back.f_code.co_name, frame.f_back.f_back.f_lineno)]
    interpreted, jitted = both(lambda: level1(where, 0), *LEVELS)
    # level2's line is its call of level3, a record of the call tells
    assert jitted[1] == interpreted[1] == ("level2", level2.__code__.co_firstlineno + 1)
    if type(engine).left_at is not Engine.left_at:
        # level3, the innermost activation, at the call it left machine code
        # by (the engine's registers, through the routines' frames); level1,
        # under its trampoline frame, at its call of level2
        assert jitted == interpreted
    else:
        # the native engine cannot tell where compiled code called out from
        assert jitted[0] == ("level3", level3.__code__.co_firstlineno)
        assert jitted[1:] == interpreted[1:]


def test_a_finished_frame_keeps_the_f_back_it_had():
    def keep(_n):
        return sys._getframe()
    with compiled(*LEVELS):
        frame = level1(keep, 0)
    # once finished, f_back is the frame object the interpreter linked, and
    # the activations it ran under are gone: level1's trampoline frame
    assert frame.f_back.f_code.co_name == "level1"


def test_f_back_stays_read_only():
    with compiled(*LEVELS):
        frame = level1(lambda _n: sys._getframe(), 0)
    message = "attribute 'f_back' of 'frame' objects is not writable"
    with pytest.raises(AttributeError, match=message):
        frame.f_back = None
    with pytest.raises(AttributeError, match=message):
        del frame.f_back
    assert type(frame).f_back.__get__(frame) is frame.f_back


def test_with_nothing_compiled_running_f_back_is_the_interpreters():
    frame = sys._getframe()
    assert frame.f_back is frame.f_back and frame.f_back.f_code is sys._getframe(1).f_code


class CallerOfGetter:
    @property
    def caller(self):
        return sys._getframe().f_back.f_code.co_name


def reads_property(obj):
    return obj.caller


def reads_through_callee(obj):
    return reads_property(obj)


def test_a_function_run_by_a_python_helper_has_the_compiled_caller_below():
    # the property's first read is a cache fill (a Python helper of pyjit's,
    # whose frames are skipped); reads_property was called directly
    interpreted, jitted = both(lambda: reads_through_callee(CallerOfGetter()),
                               reads_property, reads_through_callee)
    assert jitted == interpreted == "reads_property"
