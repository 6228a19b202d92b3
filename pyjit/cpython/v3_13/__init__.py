"""The description of CPython 3.13 (64-bit Linux, release build).

- layout.py: offsets, flags and constants generated code may inline (3.12's,
  with what 3.13 changed: values inline after the object, the thread state's
  own eval breaker and current frame, the interpreter frame's f_executable,
  the recursion counters' new offsets);
- objects.py: assembly fragments that read and write 3.13's objects for the
  shared routines (3.12's, but for the instance values);
- opcodes.py: the bytecode tables pyjit's builder and lowering share;
- counting.py: the call-counting prologue of the process-wide modes.
"""

from . import counting, layout, objects, opcodes

VERSION = (3, 13)
