"""The description of CPython 3.11 (64-bit Linux, release build).

- layout.py: offsets, flags and constants generated code may inline;
- objects.py: assembly fragments that read and write 3.11's objects (one-digit
  ints, reference counts) for the shared routines;
- opcodes.py: the bytecode tables pyjit's builder and lowering share;
- counting.py: the call-counting prologue of the process-wide modes.
"""

from . import counting, layout, objects, opcodes

VERSION = (3, 11)
