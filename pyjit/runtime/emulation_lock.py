"""One thread at a time runs emulated instructions (the Unicorn engine).

    lock = threading.RLock()         # the engine's
    take(lock)                       # before emu_start; after a helper, back to emulation
    give(lock)                       # after emu_start; before a helper runs

Emulation holds the GIL, but a hook that fires in the middle of a routine
runs Python code, and Python code gives the GIL up at its check points:
the memory hooks (the first touch of a chunk of host memory by a thread's
context, identity.py; a write to a chunk mapped read-only) fire at any
load or store, between two instructions of a routine that has read a
list's size and not yet stored the new one.  Without this lock another
thread could then run compiled code on the same object: two threads
appending to one list lost appends, and two popping it freed an item
twice (`tests/semantics/test_threads.py`, shared lists).  A C function of
the interpreter cannot be interrupted there, so a thread holds this lock
while it runs emulated instructions and its hooks, and gives it up only
where a C function would let other threads run: around a helper call
(which may run Python code, release the GIL or block) and when the
emulation returns.  A thread that finds the lock taken waits without the
GIL.

What the lock does not cover: a thread that is not emulating (inside a
helper's C function, or running interpreted code) and gets the GIL while a
memory hook interrupts a routine on an object it works on too.  That is
closed where first touches are mapped in machine code that never enters
the interpreter (native_first_touch.py: x86-64 Linux 6.11+); the Python
hook still runs where that one declines (an access that faults anyway)
and on other hosts.  docs/architecture.md,
"Threads, the GIL and emulation contexts", has the measurements.

A fork waits for the lock (the at-fork handlers here: `take_again`
before, `give` after, in parent and child), so that no thread that is gone
in the child holds it there.  The forking thread takes it last, after
every other lock a "before" handler takes: a thread in compiled code may
hold such a lock and need this one to go on (test_logging's
test_post_fork_child_no_deadlock: a thread in compiled code holds
logging's lock, whose handler, `logging._acquireLock`, waits for it; had
the emulation lock been taken first, that thread could never return from
its helper to release it).  Handlers registered later run first, so these
are registered when this module is first imported, which `pyjit.jit`
does: before the program's own imports that follow `import pyjit`.  A
module imported earlier that registers such a handler still takes its
lock after this one.

`take` and `give` defer a signal handler's exception raised while they
wait or at the check point just after the lock changed hands (an RLock
says whether the thread holds it) and go on until it has; both are entered
quietly (no check point before their `try`).  The hook of a helper call,
which runs at every helper call, inlines their first step
(unicorn_context.py).
"""

from __future__ import annotations

from builtins import BaseException, id, list, reversed, sorted
import os
import weakref

from ..cpython import interrupts
from ..cpython.tstate import quiet_entry


def take(lock, defer=interrupts.defer) -> None:
    """Acquire lock (an RLock the calling thread does not hold)."""
    while True:
        try:
            lock.acquire()
        except BaseException as exc:        # a signal handler, while waiting or just after
            defer(exc)
            if not lock._is_owned():
                continue
        return


def take_again(lock, defer=interrupts.defer) -> None:
    """Acquire lock once more, whether the calling thread holds it or not
    (each call is undone by one `give`: before and after a fork)."""
    while True:
        try:
            count = lock._is_owned() and lock._recursion_count()
            lock.acquire()
            return
        except BaseException as exc:        # a signal handler, while waiting or just after
            defer(exc)
            if lock._is_owned() and lock._recursion_count() > (count or 0):
                return


def give(lock, defer=interrupts.defer) -> None:
    """Release lock if the calling thread holds it."""
    while True:
        try:
            if lock._is_owned():
                lock.release()
            return
        except BaseException as exc:        # a signal handler, before the release or after
            defer(exc)


quiet_entry(take)
quiet_entry(take_again)
quiet_entry(give)


_engines: weakref.WeakSet = weakref.WeakSet()      # every open engine with such a lock


def register(engine) -> None:
    """engine (its `_emulating` lock, its `_after_fork_in_child()`) takes
    part in forks until it is gone."""
    _engines.add(engine)


def _locks() -> list:
    """The emulation locks of the live engines, in one order for every thread."""
    return sorted((eng._emulating for eng in list(_engines)), key=id)


def _before_fork() -> None:
    for lock in _locks():
        take_again(lock)


def _after_fork_in_parent() -> None:
    for lock in reversed(_locks()):
        give(lock)


def _after_fork_in_child() -> None:
    for lock in reversed(_locks()):
        give(lock)
    for eng in list(_engines):
        eng._after_fork_in_child()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                    after_in_child=_after_fork_in_child)
