"""Errors of the HIR stage.

``CompileRefused`` and its subclasses are the expected outcome for code the
JIT does not handle: the caller keeps the function in the interpreter.  The
other errors are bugs (in the builder, a pass, or hand-written IR).
"""

from __future__ import annotations


class CompileRefused(Exception):
    """The function cannot be compiled; it keeps running in the interpreter."""

    def __init__(self, function: str, reason: str) -> None:
        super().__init__(f"{function}: {reason}; it stays in the interpreter")
        self.function = function
        self.reason = reason


class UnsupportedBytecode(CompileRefused):
    """An opcode the builder does not translate."""

    def __init__(self, function: str, opname: str, lineno: int | None, offset: int) -> None:
        where = f"line {lineno}" if lineno is not None else "no line"
        super().__init__(function, f"unsupported bytecode {opname} at {where} (offset {offset})")
        self.opname = opname
        self.lineno = lineno
        self.offset = offset


class UnsupportedFunction(CompileRefused):
    """A kind of function the JIT does not compile (a generator that reads
    its own frame); ``why`` completes the sentence."""

    def __init__(self, function: str, kind: str, lineno: int | None, why: str) -> None:
        super().__init__(function, f"{kind} (line {lineno}) cannot be compiled: {why}")
        self.kind = kind
        self.lineno = lineno


class HIRError(Exception):
    """An internal error of the HIR stage."""


class VerifyError(HIRError):
    """The verifier found problems; ``problems`` lists them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("HIR verification failed:\n  " + "\n  ".join(problems))
        self.problems = problems


class PassError(HIRError):
    """A pass was misused (unknown name, wrong order)."""


class LedgerError(HIRError):
    """The reference counting of the HIR is wrong (the HIR interpreter's
    ownership ledger says where)."""


class InterpError(HIRError):
    """The HIR cannot be executed (undefined value, malformed control flow)."""
