"""An asynchronous exception at every check point of pyjit's own code on a
compiled call's path leaves the runtime as it was.

A signal handler runs at the interpreter's next check point (a function's
entry, a backward jump, the return of a call to anything but a Python
function on 3.12 and later) and may raise there, in the JIT's entry, the
engine's bookkeeping, a trap hook or a helper binding as well as in the
program.  Timers land at random points (test_signal_delivery.py); here
sys.monitoring stands for the signal and raises at each check point of
pyjit's Python code in turn, one point per call, for every point a call
passes: PY_START and PY_RESUME where the entry is not quiet
(cpython/tstate.quiet_entry), backward JUMPs, and C_RETURN.  (A call the
specializing interpreter later makes without a check, len() for one, is
still one while the code is cold, so the points are not too many.)

After each call: its result is right or the exception came out of it (at
once, or deferred to the call's end), and nothing is left behind: no
thread inside compiled code, no stack held, no pending or deferred
exception, no handled exception (sys.exc_info()), no reference leaked,
the recursion count as it was, nothing printed as unraisable; the next
call runs normally.  The same sweep with a handler that calls compiled
code instead of raising: both calls give their results.
"""

from __future__ import annotations

import os
import signal
import sys

import pytest

import pyjit
from pyjit.cpython import errstate, interrupts, tstate
from pyjit.runtime import EmulationFault
from conftest import is_unicorn

pytestmark = pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12's")

PYJIT_DIR = os.path.dirname(pyjit.__file__) + os.sep
_RESUME = __import__("dis").opmap["RESUME"]


class Injected(KeyboardInterrupt):
    """What the stand-in signal handler raises."""


class Injector:
    """Counts the check points of pyjit's code while armed; at the
    target-th one runs handler(where), as a signal handler would run
    there."""

    TOOL = 5

    def __init__(self, handler):
        self.armed = False
        self.count = 0
        self.target = None
        self.where = None
        self.handler = handler

    def _hit(self, code, offset):
        if not self.armed:
            return None
        self.count += 1
        if self.count == self.target:
            self.armed = False
            self.where = f"{code.co_qualname} at offset {offset}"
            self.handler(self.where)
        return None

    def on_start(self, code, offset):
        if not code.co_filename.startswith(PYJIT_DIR):
            return sys.monitoring.DISABLE
        raw = code.co_code
        if raw[offset] == _RESUME and raw[offset + 1] >= 2:       # a quiet entry
            return None
        return self._hit(code, offset)

    def on_jump(self, code, offset, destination):
        if not code.co_filename.startswith(PYJIT_DIR):
            return sys.monitoring.DISABLE
        if destination < offset:
            return self._hit(code, offset)
        return None

    def on_c_return(self, code, offset, callable_, arg0):
        if not code.co_filename.startswith(PYJIT_DIR):
            return None
        return self._hit(code, offset)

    def __enter__(self):
        m = sys.monitoring
        m.use_tool_id(self.TOOL, "pyjit check points")
        events = m.events
        m.register_callback(self.TOOL, events.PY_START, self.on_start)
        m.register_callback(self.TOOL, events.PY_RESUME, self.on_start)
        m.register_callback(self.TOOL, events.JUMP, self.on_jump)
        m.register_callback(self.TOOL, events.C_RETURN, self.on_c_return)
        m.set_events(self.TOOL, events.PY_START | events.PY_RESUME | events.JUMP
                     | events.CALL | events.C_RETURN | events.C_RAISE)
        return self

    def __exit__(self, *exc):
        m = sys.monitoring
        m.set_events(self.TOOL, 0)
        for event in (m.events.PY_START, m.events.PY_RESUME, m.events.JUMP, m.events.C_RETURN):
            m.register_callback(self.TOOL, event, None)
        m.free_tool_id(self.TOOL)

    def run(self, fn, *args, target=None):
        """fn(*args) with the target-th check point raising (None: count
        them); returns (result or the exception, points passed)."""
        self.count, self.target, self.where = 0, target, None
        self.armed = True
        try:
            outcome = fn(*args)
        except Injected as exc:
            outcome = exc
        finally:
            self.armed = False
        return outcome, self.count


SENTINEL = object()


def interpreted(i):
    return i + 1                        # a helper runs Python code


def compiled_inner(items, i):
    return len(items) + interpreted(i)


def busy(n):
    """Helpers of most kinds: calls into Python code and compiled code,
    allocations and frees, an exception handler."""
    total = 0
    keep = []
    for i in range(n):
        x = SENTINEL                    # a reference the activation holds
        keep.append([i, str(i)])
        if len(keep) > 2:
            keep = []
        try:
            total += compiled_inner(keep, i) + (x is None)
        except ZeroDivisionError:
            total = -1
    return total


def fails(i):
    return 1 // i                       # interpreted: raises for 0


def raising(n):
    """The error path: a callee's exception handled, then one leaving."""
    x = SENTINEL
    try:
        fails(0)
    except ZeroDivisionError as exc:
        saved = exc
    raise ValueError(n, x is saved)


def relay(n):
    return busy(n) + 1                  # interpreted, between two compiled frames


def nested(n):
    return relay(n) * 2


def _no_op_handler(signum, frame):
    pass


def signals_itself():
    signal.raise_signal(signal.SIGUSR1)  # the handler runs at the loop's next check


def checks(n):
    """The eval breaker's path: a signal whose handler returns."""
    total = 0
    for i in range(n):
        signals_itself()
        total += i
    return total


def make_big(n):
    return [n] * (1 << 18)              # interpreted: items on pages never read before


def reads_fresh_pages(n):
    """The memory hook: compiled code reads memory the engine has not
    mapped yet."""
    return make_big(n)[5] + make_big(n + 1)[7]


def countdown(n):
    while n:
        yield n
        n -= 1


def consumes(n):
    """A compiled generator driven from compiled code.  Closed here when
    the loop is interrupted: a suspended compiled generator left to be
    finalized whenever its last reference goes may be finalized inside
    the engine's own bookkeeping, where resuming it is not covered
    (docs/architecture.md, "Signals")."""
    total = 0
    values = countdown(n)
    try:
        for value in values:
            total += value
    finally:
        values.close()
    return total


CASES = {
    "helpers": ((busy, compiled_inner), busy, 4),
    "error path": ((raising,), raising, 3),
    "nested entries": ((busy, compiled_inner, nested), nested, 2),
    "eval breaker": ((checks,), checks, 3),
    "memory hook": ((reads_fresh_pages,), reads_fresh_pages, 3),
    "generator": ((countdown, consumes), consumes, 3),
    # Every outermost entry unmaps every chunk, so each call maps them again.
    "stale pages": ((busy, compiled_inner), busy, 2),
}
STALE_POLICY = {"stale pages": "unmap_all"}


def _outcome(fn, arg):
    try:
        return fn(arg)
    except Exception as exc:            # noqa: BLE001 - the case's own exception
        return (type(exc), exc.args)


@pytest.fixture
def unraisable():
    seen = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append
    yield seen
    sys.unraisablehook = previous


def reentered(n):
    return n * 3 + len([n])


def _sweep(case, engine, jit_compile, handler, allowed):
    """Run the case with the handler at each of its check points in turn;
    allowed(outcome, where) says whether an outcome is right."""
    if not is_unicorn(engine):
        pytest.skip("the native engine enters Python helpers with the C error indicator set "
                    "(errstate.surface), where sys.monitoring's callbacks cannot run")
    fns, fn, arg = CASES[case]
    for f in fns + (reentered,):
        if not pyjit.force_compile(f):
            pytest.skip(f"{f.__name__} does not compile here: {pyjit.refusal_reason(f)}")
    jit_compile(*fns, reentered)
    policy = getattr(engine, "stale_policy", None)
    if case in STALE_POLICY:
        if policy is None:
            pytest.skip("this engine maps no pages of its own")
        engine.stale_policy = STALE_POLICY[case]
    previous = signal.signal(signal.SIGUSR1, _no_op_handler)
    try:
        expected = _outcome(fn, arg)
        assert expected == _outcome(fn, arg)            # warm: caches filled, contexts made
        refs = sys.getrefcount(SENTINEL)
        counter = tstate.recursion_counter()
        left = counter.value
        with Injector(handler) as injector:
            _, points = injector.run(_outcome, fn, arg)
            assert points > 20, points  # the call path runs pyjit's Python code
            for target in range(1, points + 1):
                try:
                    outcome, _ = injector.run(_outcome, fn, arg, target=target)
                except EmulationFault as fault:          # pragma: no cover - the failure
                    pytest.fail(f"the handler at {injector.where} made a fault: {fault}")
                where = injector.where
                assert allowed(outcome, expected), (where, outcome)
                assert not engine._running(), f"left inside compiled code after {where}"
                assert interrupts.pending() is None, f"deferred exception left at {where}"
                assert errstate.pending() is None, f"pending exception left at {where}"
                assert sys.exc_info() == (None, None, None), f"handled exception left at {where}"
                assert not engine._stacks.in_use(), f"a stack held after {where}"
                assert sys.getrefcount(SENTINEL) == refs, f"a reference leaked at {where}"
                assert counter.value == left, f"recursion count off by {counter.value - left} " \
                                              f"after {where}"
                assert _outcome(fn, arg) == expected, f"the next call after {where}"
    finally:
        if policy is not None:
            engine.stale_policy = policy
        signal.signal(signal.SIGUSR1, previous)


@pytest.mark.parametrize("case", CASES)
def test_an_interrupt_at_any_check_point_leaves_nothing_behind(case, engine, jit_compile,
                                                               unraisable):
    def raise_injected(where):
        raise Injected(where)

    _sweep(case, engine, jit_compile, raise_injected,
           lambda outcome, expected: outcome == expected or isinstance(outcome, Injected))
    assert unraisable == []


@pytest.mark.parametrize("case", CASES)
def test_a_handler_calling_compiled_code_at_any_check_point(case, engine, jit_compile,
                                                            unraisable):
    # Wherever the handler runs (the engine's set-up of an outermost entry,
    # a hook, a helper binding, its exit), both calls give their results.
    results = []

    def call_compiled(where):
        results.append(reentered(2))

    def both_right(outcome, expected):
        ran = list(results)
        results.clear()
        return outcome == expected and ran in ([], [7])

    _sweep(case, engine, jit_compile, call_compiled, both_right)
    assert unraisable == []
