"""Whether pyjit's own code is running on this thread.

    own_code.depth += 1      # compiled functions called meanwhile run in the interpreter

While `depth` is nonzero, a compiled function called on this thread runs
its original code in the interpreter (the entries of installed.py check it
first), and the process-wide modes neither count nor compile what is
called.  Two kinds of pyjit's code set it:

- the compiler (jit.force_compile): the standard library's functions it
  calls may be compiled themselves, and compiling must never wait on
  emulated code;
- an engine's own bookkeeping around an emulation (unicorn_engine.py): a
  signal handler or a finalizer that runs at a check point there and calls
  compiled code would otherwise enter the engine while it is setting up
  an entry or reading the result of one that returned.  The engine clears
  it while a helper runs (the program's code then runs compiled as usual)
  and sets it back when the helper returns.
"""

from __future__ import annotations

import threading


class OwnCode(threading.local):
    depth = 0


own_code = OwnCode()
