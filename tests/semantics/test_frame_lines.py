"""The line a running compiled function is at, as what reads frames sees
it: `frame.f_lineno` of its trampoline frame or of the stand-in for an
activation without a frame (pyjit/frame_view.py), and what is built on it:
logging's record of the caller, `traceback.extract_stack()`, `inspect`'s
frame records of stand-ins.  A function is at the call it is paused in:
the call to the next compiled activation when there is one (its record
tells), else the call by which it left machine code, which the Unicorn
engine reads from its registers and the routines' frames
(pyjit/runtime/routine_frames.py); the native engine cannot tell that one
(docs/architecture.md)."""

from __future__ import annotations

import inspect
import logging
import sys
import traceback

import pytest

from pyjit.runtime.engine import Engine
from exc_support import compiled


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.seen = []

    def emit(self, record):
        self.seen.append((record.funcName, record.lineno))


_log = logging.getLogger("pyjit.tests.frame_lines")
_handler = _Records()
_log.addHandler(_handler)
_log.setLevel(logging.INFO)
_log.propagate = False


def logs(n):
    total = 0
    for i in range(n):
        total += i
    _log.info("total %d", total)        # a method call: through the call routines
    return total


def calls_logs(n):
    first = logs(n)
    _log.info("again")
    return first


def logged(call):
    _handler.seen.clear()
    call()
    return list(_handler.seen)


def both(call, *functions):
    """(call() interpreted, call() with functions compiled)."""
    first = call()
    with compiled(*functions):
        second = call()
    return first, second


def _innermost_known(engine) -> bool:
    """Whether the engine tells where compiled code called out from."""
    return type(engine).left_at is not Engine.left_at


def test_a_log_record_has_the_line_of_the_logging_call(engine):
    interpreted, jitted = both(lambda: logged(lambda: calls_logs(3)), logs, calls_logs)
    assert interpreted == [("logs", logs.__code__.co_firstlineno + 4),
                                 ("calls_logs", calls_logs.__code__.co_firstlineno + 2)]
    if not _innermost_known(engine):
        pytest.skip("the native engine cannot tell where compiled code called out from")
    assert jitted == interpreted


def where_called():
    """Interpreted: (name, line) of the caller's frame and the one below."""
    frame = sys._getframe(1)
    return [(frame.f_code.co_name, frame.f_lineno),
            (frame.f_back.f_code.co_name, frame.f_back.f_lineno)]


def under_trampoline(n):
    x = n + 1
    if x > 100:
        return None
    return where_called()


def calls_under_trampoline(n):
    k = n * 2
    return under_trampoline(k)


def test_f_lineno_of_a_running_trampoline_frame(engine):
    # under_trampoline entered from the interpreter: its frame is a
    # trampoline's, its line the call of where_called
    interpreted, jitted = both(lambda: under_trampoline(1), under_trampoline)
    assert interpreted[0] == ("under_trampoline", under_trampoline.__code__.co_firstlineno + 4)
    if not _innermost_known(engine):
        pytest.skip("the native engine cannot tell where compiled code called out from")
    assert jitted == interpreted


def test_f_lineno_of_a_trampoline_frame_whose_callee_has_none():
    # calls_under_trampoline's frame (a trampoline's) at its direct call of
    # under_trampoline: the activation record tells, on either engine
    interpreted, jitted = both(lambda: calls_under_trampoline(1), under_trampoline,
                               calls_under_trampoline)
    assert jitted[1] == interpreted[1] == \
        ("calls_under_trampoline", calls_under_trampoline.__code__.co_firstlineno + 2)


def stacks(_n):
    return ([(entry.name, entry.lineno) for entry in traceback.extract_stack(limit=4)][-2::-1],
            [(info.function, info.lineno) for info in inspect.stack()[1:4]])


def inner(n):
    y = n
    return stacks(y)


def middle(n):
    z = n
    return inner(z)


def outer(n):
    w = n
    return middle(w)


def test_extract_stack_and_inspect_see_the_lines(engine):
    interpreted, jitted = both(lambda: outer(1), inner, middle, outer)
    extracted, inspected = jitted
    lines = [("inner", inner.__code__.co_firstlineno + 2),
             ("middle", middle.__code__.co_firstlineno + 2),
             ("outer", outer.__code__.co_firstlineno + 2)]
    assert interpreted == (lines, lines)
    # middle and outer: the calls they make (records); middle a stand-in,
    # outer a trampoline frame (whose f_lasti is -1 while it runs compiled
    # code, so that inspect reads f_lineno)
    assert extracted[1:] == inspected[1:] == lines[1:]
    if not _innermost_known(engine):
        pytest.skip("the native engine cannot tell where compiled code called out from")
    assert jitted == interpreted


def lasti_of_caller():
    frame = sys._getframe(1)
    return frame.f_lasti, frame.f_lineno


def runs_lasti_reader():
    return lasti_of_caller()


def test_a_running_trampoline_frame_has_no_last_instruction(engine):
    interpreted, jitted = both(runs_lasti_reader, runs_lasti_reader)
    assert interpreted[0] >= 0
    if not _innermost_known(engine):
        assert jitted[1] == runs_lasti_reader.__code__.co_firstlineno
        return
    assert jitted == (-1, interpreted[1])


def test_f_lasti_stays_read_only():
    frame = sys._getframe()
    with pytest.raises(AttributeError, match="attribute 'f_lasti' of 'frame' objects is not "
                                             "writable"):
        frame.f_lasti = 1


def keep_frame():
    return sys._getframe()


def test_a_frame_after_its_function_returned_is_the_interpreters():
    interpreted, jitted = both(lambda: keep_frame().f_lineno, keep_frame)
    assert jitted == keep_frame.__code__.co_firstlineno    # a trampoline's first line
    assert interpreted == keep_frame.__code__.co_firstlineno + 1


def _set_line(frame):
    try:
        frame.f_lineno = 3
    except ValueError as exc:
        return str(exc)
    return None


def test_f_lineno_is_written_as_the_interpreter_lets_it():
    interpreted, jitted = both(lambda: _set_line(keep_frame()), keep_frame)
    assert jitted == interpreted is not None


def test_a_log_record_names_the_caller_with_logging_compiled_too(engine):
    # Logger.info calls _log with **kwargs: through a Python helper, whose
    # frames (pyjit's own) a walk of f_back from _log's frame must skip
    # even where no activation runs without a frame.
    internals = (logging.Logger.info, logging.Logger._log, logging.Logger.findCaller,
                 logging.currentframe)
    interpreted, jitted = both(lambda: logged(lambda: calls_logs(3)),
                               logs, calls_logs, *internals)
    if _innermost_known(engine):
        assert jitted == interpreted
    else:
        assert [name for name, _ in jitted] == [name for name, _ in interpreted]


def test_f_back_skips_pyjits_frames_on_a_first_call_under_autojit(engine):
    # A function's first call under autojit runs its compiled code from the
    # mode's hook: traceback.extract_stack's sys._getframe().f_back is the
    # hook's frame there, which the program must not see.
    from pyjit import autojit, jit
    namespace = {"__name__": "frame_lines_case", "traceback": traceback}
    exec(compile("def names():\n    return [f.name for f in traceback.extract_stack()]\n",
                 "<frame lines case>", "exec"), namespace)
    names = namespace["names"]
    expected = names()
    assert autojit.current() is None
    mode = autojit.start(1, ["frame_lines_case:*", "traceback:*"])
    try:
        first, second = names(), names()
    finally:
        autojit.stop()
        for func in mode.compiled_functions():
            jit.force_uncompile(func)
    assert "names" in str(sorted(mode.compiled_names))
    assert first == second == expected
