"""The description of CPython 3.14 (64-bit Linux, release build with the GIL).

- layout.py: offsets, flags and constants generated code may inline (3.13's,
  with what 3.14 changed: the immortal count 3 << 30 and a 32-bit count
  beside ob_flags, the small-int bit of lv_tag, dicts without a version
  tag, the interpreter frame's tagged stack refs and stackpointer, the
  function's func_annotate, the thread state's recursion counters);
- objects.py: assembly fragments that read and write 3.14's objects for the
  shared routines (3.13's, but for reference counts, the non-negative int
  test and stack refs);
- opcodes.py: the bytecode tables pyjit's builder and lowering share;
- counting.py: the call-counting prologue of the process-wide modes.
"""

from . import counting, layout, objects, opcodes

VERSION = (3, 14)
