"""The description of CPython 3.12 (64-bit Linux, release build).

- layout.py: offsets, flags and constants generated code may inline (3.11's,
  with what 3.12 changed: immortal objects, ints' lv_tag, the tagged
  dict-or-values word of managed dicts, type and function fields, the
  thread state's recursion counters, where the GIL lives);
- objects.py: assembly fragments that read and write 3.12's objects (the
  immortal-aware reference counts, compact ints) for the shared routines;
- opcodes.py: the bytecode tables pyjit's builder and lowering share;
- counting.py: the call-counting prologue of the process-wide modes.
"""

from . import counting, layout, objects, opcodes

VERSION = (3, 12)
