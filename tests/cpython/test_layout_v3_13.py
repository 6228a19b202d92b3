"""What CPython 3.13's description says of the interpreter's own state,
against the running 3.13: the thread state's eval breaker, current frame
and recursion counters, the interpreter frame's fields, the GIL, the
signals flag, read through ctypes with the description's offsets (what
compiled code and the shared routines read and write on 3.13).
"""

from __future__ import annotations

import ctypes
import signal
import sys
import threading

import pytest

pytestmark = pytest.mark.skipif(sys.version_info[:2] != (3, 13), reason="CPython 3.13's layout")

if sys.version_info[:2] == (3, 13):
    from pyjit.cpython.v3_13 import layout as L


def u8(a): return ctypes.c_uint8.from_address(a).value
def s32(a): return ctypes.c_int32.from_address(a).value
def u64(a): return ctypes.c_uint64.from_address(a).value


_thread_state = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyThreadState_Get", ctypes.pythonapi))
_interpreter = ctypes.PYFUNCTYPE(ctypes.c_void_p)(("PyInterpreterState_Get", ctypes.pythonapi))
_set_interrupt = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_int)(
    ("PyErr_SetInterruptEx", ctypes.pythonapi))


def _runtime() -> int:
    return ctypes.addressof(ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime"))


def test_thread_state_points_at_its_interpreter_and_the_gil_at_it():
    tstate = _thread_state()
    assert u64(tstate + L.TSTATE_INTERP) == _interpreter()
    gil = u64(_interpreter() + L.INTERP_CEVAL_GIL)
    assert u64(gil + L.GIL_LAST_HOLDER) == tstate
    assert s32(gil + L.GIL_LOCKED) == 1


def test_recursion_counters():
    tstate = _thread_state()
    assert s32(tstate + L.TSTATE_RECURSION_LIMIT) == sys.getrecursionlimit()
    here = s32(tstate + L.TSTATE_RECURSION_REMAINING)

    def deeper():
        return s32(tstate + L.TSTATE_RECURSION_REMAINING)
    assert deeper() == here - 1              # one Python frame more
    c_here = s32(tstate + L.TSTATE_C_RECURSION_REMAINING)
    assert 0 < c_here < 10_000
    # A C call that calls back into Python counts C recursion.
    assert min([0], key=lambda _: s32(tstate + L.TSTATE_C_RECURSION_REMAINING)) == 0
    seen = []
    min([0], key=lambda _: seen.append(s32(tstate + L.TSTATE_C_RECURSION_REMAINING)))
    assert seen[0] < c_here


def test_current_frame_and_interpreter_frame_fields():
    def probe():
        """Its frame's fields, read while it runs, with C calls only (a
        Python call's frame would be the current one, and would reuse this
        frame's memory once it returned)."""
        word = ctypes.c_uint64.from_address
        frame = word(_thread_state() + L.TSTATE_CURRENT_FRAME).value
        caller = word(frame + L.IFRAME_PREVIOUS).value
        return (word(frame + L.IFRAME_EXECUTABLE).value, word(frame + L.IFRAME_FUNCOBJ).value,
                word(caller + L.IFRAME_EXECUTABLE).value)
    assert probe() == (id(probe.__code__), id(probe), id(sys._getframe().f_code))
    # The frame object of this function refers to the interpreter frame.
    me = sys._getframe()
    current = ctypes.c_uint64.from_address(_thread_state() + L.TSTATE_CURRENT_FRAME).value
    assert u64(id(me) + L.FRAME_F_FRAME) == current
    slot = me.f_code.co_varnames.index("me")
    assert u64(current + L.IFRAME_LOCALSPLUS + 8 * slot) == id(me)
    assert u8(current + L.IFRAME_OWNER) == 0                # FRAME_OWNED_BY_THREAD
    code_start = id(me.f_code) + type(me.f_code).__basicsize__ - 8   # co_code_adaptive
    assert u64(current + L.IFRAME_INSTR_PTR) > code_start


def test_eval_breaker_holds_the_instrumentation_version_above_the_requests():
    word = _thread_state() + L.TSTATE_EVAL_BREAKER
    before = u64(word) >> L.EVAL_EVENTS_BITS
    sys.settrace(lambda *a: None)            # a new instrumentation version
    sys.settrace(None)
    assert u64(word) >> L.EVAL_EVENTS_BITS > before


def test_a_signal_sets_the_tripped_flag_and_the_main_threads_request_bit():
    """The request comes from another thread, which cannot run the handler
    (only the main thread runs them), so the flags stay set while it reads
    them; the main thread, joining it, serves them afterwards."""
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


def test_bytecode_tables():
    import dis
    from pyjit.cpython.v3_13 import opcodes

    def f(a, b):
        if a < b:
            return a >= b
    args = [i.arg for i in dis.get_instructions(f) if i.opname == "COMPARE_OP"]
    assert [opcodes.COMPARE_OPS[a >> opcodes.COMPARE_OP_SHIFT] for a in args] == ["<", ">="]
    assert [bool(a & opcodes.COMPARE_OP_TO_BOOL) for a in args] == [True, False]
    assert [opcodes.FUNCTION_ATTRIBUTES[1 << k] for k in range(4)] == list(dis.FUNCTION_ATTR_FLAGS)
    convert = [i.arg for i in dis.get_instructions(lambda x: f"{x!s}{x!r}{x!a}")
               if i.opname == "CONVERT_VALUE"]
    assert [opcodes.FORMAT_CONVERSIONS[a] for a in convert] == ["str", "repr", "ascii"]


def test_the_counting_tail_starts_with_what_for_iter_skips():
    from pyjit.cpython.bytecode_edit import Label
    from pyjit.cpython.v3_13 import counting

    def f(a):
        return a
    _, tail, _ = counting.counting_code(f.__code__, consts=dict.fromkeys(
        ("counter", "hook", "go_on", "Failure", "type", "exc_of"), 0))
    assert tail[:3] == [Label("arrived"), ("END_FOR", 0), ("POP_TOP", 0)]
    # What FOR_ITER's exit skips in the interpreter's own code of a loop.
    ops = [i.opname for i in dis_instructions(lambda xs: [None for _ in xs])]
    assert ops[ops.index("END_FOR") + 1] == "POP_TOP"


def dis_instructions(fn):
    import dis
    return list(dis.get_instructions(fn))
