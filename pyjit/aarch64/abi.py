"""AAPCS64 as pyjit uses it: which registers hold what.

- x0..x7 / d0..d7: arguments and results (x0 / d0).
- x8..x14 and d16..d29: more caller-saved registers for values.
- x15, x16 (IP0), x17 (IP1), d30, d31: scratch of the code generator,
  never allocated.  x16/x17 also carry call sequences, stubs and veneers
  (the call lowering may clobber them at any call), so scratch values never
  live across a call or from one LIR instruction to the next.
- x18: the platform register, never used.
- x19..x28, d8..d15: callee-saved; values live across calls go here (or
  to the stack).  The code generator saves the ones a function uses.
- x29: frame pointer (frame record at the bottom of the frame); x30: LR.
- SP stays 16-byte aligned.
"""

from __future__ import annotations

from ..lir.ir import FP, GP
from ..lir.regalloc import RegisterSet
from .registers import D30, D31, X15, X16, X17, dreg, xreg

ARG_GPRS = tuple(xreg(n) for n in range(8))
ARG_FPRS = tuple(dreg(n) for n in range(8))

GP_SCRATCH = (X16, X17, X15)
FP_SCRATCH = (D31, D30)

# Argument registers last among the caller-saved ones, so that values
# survive the argument shuffling of the next call where possible.
REGISTER_SETS = {
    GP: RegisterSet(
        caller_saved=tuple(xreg(n) for n in (*range(8, 15), *range(7, -1, -1))),
        callee_saved=tuple(xreg(n) for n in range(19, 29)),
    ),
    FP: RegisterSet(
        caller_saved=tuple(dreg(n) for n in (*range(16, 30), *range(7, -1, -1))),
        callee_saved=tuple(dreg(n) for n in range(8, 16)),
    ),
}
