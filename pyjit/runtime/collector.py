"""The cyclic garbage collector, paused while an engine sets up or tears
down a thread's outermost entry (and, under Unicorn, while emulated code
runs outside its helpers).

Any allocation may start a collection, and a collection runs finalizers
(`__del__`, weak reference callbacks) that may call compiled functions.
Such a call arriving while the thread's outermost entry is half set up
(its stack taken, its context not yet running) or half torn down would
take itself for the outermost entry and share, then release, the state the
real one is using.  Both engines pause the collector from the start of an
outermost entry to the moment the code starts running, and again from the
moment it returns to the end of the entry: a collection that was due runs
at the next allocation after that (inside the emulation, or in the
caller), where a nested call is an ordinary one.  A program that disabled
the collector keeps it disabled: only a collector that is running is
paused and resumed.

The Unicorn engine also pauses it while emulated code runs and resumes it
around each helper call: its hooks run Python code between two
instructions of a routine, where a collection could find an object that
compiled code released and has not freed yet at count zero, and free it
first (docs/architecture.md, "Nesting and recursion").

The three are the collector's own C functions, called inline by the
engines in this order: `running()` stored first, then `pause()` when it
was running, `resume()` when the stored value says so.  A signal handler
may raise at the check point after any of them: the stored value then
still says whether the collector has to be resumed (a Python function
wrapping them would have a check point between pausing and telling).
"""

from __future__ import annotations

from gc import disable as pause, enable as resume, isenabled as running

__all__ = ["pause", "resume", "running"]
