"""Threads calling compiled code: results, reference counts and isolation
as in the interpreter, under a switch interval that makes the interpreter
change threads at almost every check point.  Every test is repeated (a race
shows up intermittently), and bounded in time: threads are daemons joined
with a timeout, a hang fails instead of blocking the suite."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

import pyjit.jit as jit

from conftest import is_unicorn

JOIN_TIMEOUT = 20.0


@pytest.fixture
def fast_switching():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def run_threads(targets) -> list:
    """Run each target in a daemon thread; return what they returned (or
    raised), in order; fail if one does not finish in time."""
    results = [None] * len(targets)

    def wrap(i, target):
        try:
            results[i] = target()
        except BaseException as exc:        # noqa: BLE001 - reported below
            results[i] = exc

    threads = [threading.Thread(target=wrap, args=(i, t), daemon=True)
               for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread did not finish (hang)"
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


SHARED = ["shared"]


def interpreted_step(x):
    return x + len(SHARED)


def compiled_step(x, box):
    box.append(x)               # a helper call that allocates
    y = interpreted_step(x)     # a helper running Python code: threads switch there
    box.pop()
    return y + 1


def compiled_loop(n, box):
    s = 0
    for i in range(n):
        s = compiled_step(s, box) - 1
    return s


@pytest.mark.parametrize("repeat", range(3))
def test_two_threads_calling_compiled_functions(jit_compile, fast_switching, repeat):
    jit_compile(compiled_step)
    before = sys.getrefcount(SHARED)

    def worker():
        box = []
        for _ in range(20_000 if repeat == 0 else 5_000):
            assert compiled_step(1, box) == 3
        return len(box)

    assert run_threads([worker, worker]) == [0, 0]
    assert sys.getrefcount(SHARED) == before


@pytest.mark.parametrize("repeat", range(3))
def test_many_threads_in_compiled_loops(jit_compile, fast_switching, repeat):
    jit_compile(compiled_step, compiled_loop)
    n = 2_000
    results = run_threads([lambda: compiled_loop(n, []) for _ in range(6)])
    assert results == [n] * 6                   # each step adds one


def test_a_thread_compiles_and_calls_while_another_runs_compiled_code(jit_compile):
    inside, compiled_there = threading.Event(), threading.Event()

    def wait_in_helper(x):
        inside.set()
        assert compiled_there.wait(JOIN_TIMEOUT)    # releases the GIL, inside compiled code
        return x * 2

    def outer(x):
        return wait_in_helper(x) + 1

    def late(a, b):
        return [a, b, a + b]

    jit_compile(outer)

    def other():
        assert inside.wait(JOIN_TIMEOUT)
        assert engine_running()
        try:
            assert jit.force_compile(late)
            return [late(i, 1) for i in range(50)]
        finally:
            compiled_there.set()

    def main():
        return outer(20)

    got = run_threads([main, other])
    jit.force_uncompile(late)
    assert got == [41, [[i, 1, i + 1] for i in range(50)]]


STOP = [False]
SPIN_LIMIT = 3_000_000


def spin_until_stopped():
    """A loop with no helper call: only its eval breaker check can hand
    the GIL to a thread asking for it."""
    n = 0
    while not STOP[0] and n < SPIN_LIMIT:
        n += 1
    return n


def test_a_compiled_loop_in_a_thread_hands_the_gil_to_another(jit_compile):
    """The main thread, waiting for the GIL, asks the thread running the
    compiled loop to drop it (its own thread state's eval breaker on 3.13,
    the interpreter's on 3.11 and 3.12): the loop's check serves the
    request, the main thread stops the loop long before its limit."""
    jit_compile(spin_until_stopped)
    STOP[0] = False
    started = threading.Event()

    def worker():
        started.set()
        return spin_until_stopped()

    def stopper():
        assert started.wait(JOIN_TIMEOUT)
        time.sleep(0.05)                 # gives the GIL up, and asks for it back
        STOP[0] = True

    count, _ = run_threads([worker, stopper])
    assert 0 < count < SPIN_LIMIT


def engine_running() -> bool:
    return jit.get_engine()._running()


def test_calls_from_another_thread_while_one_is_inside(jit_compile):
    release = threading.Event()
    entered = threading.Event()

    def block(x):
        entered.set()
        assert release.wait(JOIN_TIMEOUT)
        return x

    def blocked(x):
        return block(x) + 1

    def quick(x):
        return x * 3

    jit_compile(blocked, quick)

    def first():
        return blocked(1)

    def second():
        assert entered.wait(JOIN_TIMEOUT)
        try:
            return [quick(i) for i in range(200)]     # while `first` is inside compiled code
        finally:
            release.set()

    assert run_threads([first, second]) == [2, [3 * i for i in range(200)]]


class Boom(Exception):
    pass


def raise_if(x):
    if x % 2:
        raise Boom(x)
    return x


def checked(x):
    return raise_if(x) + 1


@pytest.mark.parametrize("repeat", range(3))
def test_exceptions_stay_in_their_thread(jit_compile, fast_switching, repeat):
    jit_compile(checked)

    def worker(parity):
        caught = 0
        for i in range(1_000):
            x = 2 * i + parity
            try:
                assert checked(x) == x + 1 and parity == 0
            except Boom as exc:
                assert exc.args == (x,) and parity == 1
                caught += 1
        return caught

    assert run_threads([lambda: worker(0), lambda: worker(1)] * 2) == [0, 1_000] * 2


def recurse_mixed(n):
    return 0 if n == 0 else interpreted_recurse(n - 1) + 1


def interpreted_recurse(n):
    return recurse_mixed(n)


def test_deep_nesting_in_several_threads(jit_compile, fast_switching):
    jit_compile(recurse_mixed)
    assert run_threads([lambda: recurse_mixed(300) for _ in range(4)]) == [300] * 4


def test_a_threads_emulation_contexts_go_with_it(engine, jit_compile):
    if not is_unicorn(engine):
        pytest.skip("emulation contexts are the Unicorn engine's")
    jit_compile(recurse_mixed)
    recurse_mixed(2)                    # this thread's contexts exist before counting
    before = len(engine._contexts)
    run_threads([lambda: recurse_mixed(200) for _ in range(3)])   # 3 threads, 4 contexts each
    import gc
    gc.collect()
    assert len(engine._contexts) == before


def pop_some(lst, n, out):
    for _ in range(n):
        out.append(lst.pop())


def append_some(lst, n):
    for i in range(n):
        lst.append(i)


@pytest.fixture
def slow_python_memory_hook(engine, monkeypatch):
    """The Unicorn engine's Python first-touch hook gives the GIL up (as its
    Python code may, at any check point), so that the other threads run
    while a routine is in the middle of a list operation."""
    if not is_unicorn(engine):
        pytest.skip("the native engine has no memory hooks")
    from pyjit.runtime.identity import IdentityMap
    mapped = IdentityMap.map_access

    def map_access(self, address, size):
        time.sleep(0.0005)
        return mapped(self, address, size)

    monkeypatch.setattr(IdentityMap, "map_access", map_access)


@pytest.fixture
def yielding_memory_hook(engine, monkeypatch, slow_python_memory_hook):
    """Every first touch gives the GIL up: the threads' contexts (new
    threads, new contexts) do every first touch in the slow Python hook,
    not the native one (native_first_touch.py), which would not give the
    GIL up: what keeps other compiled code out is the emulation lock."""
    monkeypatch.setattr(engine, "native_first_touch", False)


@pytest.mark.parametrize("repeat", range(2))
def test_threads_popping_one_list_while_a_memory_hook_runs(jit_compile, yielding_memory_hook,
                                                           repeat):
    """Each thread's first touch of a chunk of the list's items runs the
    memory hook in the middle of `pyjit_list_pop`, between reading the size
    and storing it; the other threads must not pop meanwhile (one item
    popped twice, another never)."""
    jit_compile(pop_some)
    lst = list(range(1000, 1000 + 300_000))     # items in several 64 KiB chunks
    outs = [[] for _ in range(4)]
    run_threads([lambda out=out: pop_some(lst, 30_000, out) for out in outs])
    popped = [x for out in outs for x in out]
    assert len(popped) == len(set(popped)) == 120_000
    assert len(lst) == 180_000 and set(popped).isdisjoint(lst)


@pytest.mark.parametrize("repeat", range(2))
def test_threads_appending_to_one_list_while_a_memory_hook_runs(jit_compile,
                                                                yielding_memory_hook, repeat):
    jit_compile(append_some)
    lst = list(range(400_000))
    del lst[200_000:]                           # (room: the appends stay in the routine)
    lst_before = len(lst)
    run_threads([lambda: append_some(lst, 20_000) for _ in range(4)])
    assert len(lst) == lst_before + 80_000
    assert sorted(lst[lst_before:]) == sorted(list(range(20_000)) * 4)


def pop_all(lst, out):
    while True:
        try:
            out.append(lst.pop())
        except IndexError:
            return


def churn_until(lst, done, appended, popped):
    """Interpreted: append an item, pop the last one (if another thread
    has not emptied the list meanwhile), until done."""
    i = -1
    while not done:
        lst.append(i)
        appended.append(i)
        try:
            popped.append(lst.pop())
        except IndexError:
            pass
        i -= 1


@pytest.mark.parametrize("repeat", range(2))
def test_interpreted_threads_never_run_inside_a_compiled_list_routine(
        engine, jit_compile, slow_python_memory_hook, repeat):
    """Interpreted threads run at any check point of theirs, so they must
    not run while compiled code is inside a routine: a first touch there
    (a new int, the list's items reallocated as it grows) is mapped without
    giving the GIL up (native_first_touch.py).  Through the Python hook
    (which gives the GIL up here, as it may at any check point) appends are
    lost, items popped twice, or the process crashes.  Checked: every item
    appended is popped or still in the list, once."""
    if not engine.native_first_touch:
        pytest.skip("this host has no native first-touch hook: the race stays possible here")
    jit_compile(append_some, pop_all)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    try:
        lst, appended, popped = [], [[], []], [[], [], [], [], []]

        def phase(compiled_targets):
            done = []

            def compiled():
                run_threads(compiled_targets)
                done.append(True)

            run_threads([compiled] + [lambda k=k: churn_until(lst, done, appended[k], popped[k])
                                      for k in range(2)])

        phase([lambda: append_some(lst, 5_000) for _ in range(3)])
        phase([lambda k=k: pop_all(lst, popped[k]) for k in range(2, 5)])
        everything_popped = sorted(lst + [x for out in popped for x in out])
        assert everything_popped == sorted(list(range(5_000)) * 3 + appended[0] + appended[1])
    finally:
        sys.setswitchinterval(previous)


def sum_lists(lists):
    s = 0
    for lst in lists:
        for x in lst:
            s += x
    return s


def test_what_runs_in_a_memory_hook_leaves_the_collectors_list_whole(engine, jit_compile,
                                                                    monkeypatch):
    """While a memory hook's Python code runs, another thread may allocate:
    objects the collector tracks are linked into its generation 0.  The
    routines' loops over lists (their list iterators pooled, 3.11 to 3.13)
    must not hold a link of that list in registers across an access that
    can fill: a linked-in object was cut out of the list, and the process
    crashed in the collector (Lib/test/test_logging.py under autojit:1).
    Here every first touch of new threads' contexts runs the Python hook,
    which keeps a new list each time; each must be in the collector's list."""
    if not is_unicorn(engine):
        pytest.skip("the native engine has no memory hooks")
    import gc
    from pyjit.runtime.identity import IdentityMap
    monkeypatch.setattr(engine, "native_first_touch", False)
    kept = []
    mapped = IdentityMap.map_access

    def map_access(self, address, size):
        kept.append([address])            # as another thread would, here
        return mapped(self, address, size)

    monkeypatch.setattr(IdentityMap, "map_access", map_access)
    jit_compile(sum_lists)

    def work():
        for k in range(20):
            assert sum_lists([[i, k] for i in range(40)]) == 780 + 40 * k

    for _ in range(4):
        assert run_threads([work]) == [None]
    assert kept
    listed = {id(obj) for obj in gc.get_objects()}
    assert [obj for obj in kept if id(obj) not in listed] == []
    gc.collect()


def test_threads_past_the_engines_stacks_run_the_call_in_the_interpreter():
    """Four threads inside one compiled function at once, in an engine with
    two stacks (the primary one and one thread stack): the two that find
    none taken run the call in the interpreter, with the same result,
    where they raised RuntimeError (Lib/test's test_queue runs 100 threads
    at once)."""
    from pyjit.environment import settings
    try:
        small = jit.make_engine(settings().engine, thread_stacks=1)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    barrier = threading.Barrier(4)

    def all_inside(x):
        barrier.wait(timeout=JOIN_TIMEOUT)
        return x + 1

    def inside(x):
        return all_inside(x) * 2

    with small:
        assert jit.force_compile(inside, engine=small), jit.refusal_reason(inside)
        assert run_threads([lambda i=i: inside(i) for i in range(4)]) == [2, 4, 6, 8]
        assert not barrier.broken
        jit.force_uncompile(inside)


def child_exit_code(pid: int, what: str) -> int:
    """The forked child's exit code; fail (killing it) if it does not exit in time."""
    deadline = time.monotonic() + JOIN_TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail(f"the child did not exit: {what}")
        time.sleep(0.01)


def quick(x):
    return x + 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_while_other_threads_enter_and_leave_compiled_code(jit_compile, fast_switching):
    """CPython's test_threading.test_is_alive_after_fork: the main thread
    forks while another thread enters or leaves compiled code.  The child
    calls compiled code itself and exits; it hung when the other thread
    held the engine's emulation lock at the fork (a thread that does not
    exist in the child)."""
    jit_compile(quick)
    for i in range(20):
        t = threading.Thread(target=lambda: [quick(k) for k in range(200)])
        t.start()
        pid = os.fork()
        if pid == 0:
            os._exit(10 if quick(9) == 10 else 11)
        t.join()
        assert child_exit_code(pid, f"fork {i} hangs") == 10


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_while_another_thread_holds_the_emulation_lock(engine, jit_compile):
    """Deterministically, what the test above may hit: another thread holds
    the engine's emulation lock (as between its entry's taking it and its
    emulation, where the interpreter may switch threads) when the main
    thread forks.  The fork waits until the lock is free, so the child,
    where that thread does not exist, can run compiled code."""
    if not is_unicorn(engine):
        pytest.skip("the emulation lock is the Unicorn engine's")
    jit_compile(quick)
    held, release = threading.Event(), threading.Event()

    def holder():
        with engine._emulating:
            held.set()
            release.wait(JOIN_TIMEOUT)

    t = threading.Thread(target=holder, daemon=True)
    t.start()
    assert held.wait(JOIN_TIMEOUT)
    threading.Timer(0.3, release.set).start()
    pid = os.fork()
    if pid == 0:
        os._exit(10 if quick(9) == 10 else 11)
    t.join(JOIN_TIMEOUT)
    assert child_exit_code(pid, "the lock stayed held in it") == 10


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_while_another_thread_compiles(jit_compile):
    """Another thread holds the JIT's lock (as while it compiles a function
    on its first call under autojit) when the main thread forks: the fork
    waits for it, and the child can compile and run a function."""
    held, release = threading.Event(), threading.Event()

    def holder():
        with jit._lock:
            held.set()
            release.wait(JOIN_TIMEOUT)

    t = threading.Thread(target=holder, daemon=True)
    t.start()
    assert held.wait(JOIN_TIMEOUT)
    threading.Timer(0.3, release.set).start()
    pid = os.fork()
    if pid == 0:
        os._exit(10 if jit.force_compile(quick) and quick(9) == 10 else 11)
    t.join(JOIN_TIMEOUT)
    assert child_exit_code(pid, "the JIT's lock stayed held in it") == 10


_FORK_HANDLER_PROGRAM = """
import os, sys, threading
import pyjit.jit as jit
# a program's own lock, taken by a fork handler registered after pyjit is
# imported and before any engine exists (as logging's module lock)
lock = threading.Lock()
os.register_at_fork(before=lock.acquire, after_in_parent=lock.release,
                    after_in_child=lock.release)
ready, done = threading.Event(), threading.Event()

def holder():
    with lock:                  # compiled: it needs the emulation lock to go on
        ready.set()
        done.wait(0.5)          # until the fork happened, or half a second
    return 1

assert jit.force_compile(holder), jit.refusal_reason(holder)
t = threading.Thread(target=holder, daemon=True)
t.start()
ready.wait(10)
pid = os.fork()
if pid == 0:
    os._exit(0)
done.set()
t.join(10)
_, status = os.waitpid(pid, 0)
print("forked", os.waitstatus_to_exitcode(status), t.is_alive())
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_fork_takes_the_programs_locks_before_the_emulation_lock():
    """A fork handler of the program takes a lock that a thread in compiled
    code holds (test_logging's test_post_fork_child_no_deadlock): the fork
    waits for it while that thread goes on, and only then takes the
    emulation lock, which the thread needs to get back from its helper."""
    import subprocess
    proc = subprocess.run([sys.executable, "-c", _FORK_HANDLER_PROGRAM], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["forked", "0", "False"], proc.stderr
