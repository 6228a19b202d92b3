"""AArch64 registers as values.

A register is a frozen `Reg(kind, num, sp)`:

- kind "x" (64-bit general), "w" (32-bit general), "d" (64-bit FP/SIMD scalar);
- num 0..31;
- number 31 of a general register is either the zero register (`xzr`/`wzr`,
  sp=False) or the stack pointer (`sp`/`wsp`, sp=True).  The encoding is the
  same 31; which one an instruction means depends on the operand slot, so the
  encoders check `sp` against what the slot accepts.

Module constants cover every register: X0..X30, XZR, SP, W0..W30, WZR, WSP,
D0..D31, plus the AAPCS64 names FP (x29), LR (x30), IP0 (x16), IP1 (x17).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reg:
    kind: str
    num: int
    sp: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("x", "w", "d"):
            raise ValueError(f"unknown register kind {self.kind!r}")
        if not 0 <= self.num <= 31:
            raise ValueError(f"register number {self.num} out of range 0..31")
        if self.sp and (self.kind == "d" or self.num != 31):
            raise ValueError("only register 31 of x/w can be the stack pointer")

    @property
    def is_gpr(self) -> bool:
        return self.kind in ("x", "w")

    @property
    def is_fp(self) -> bool:
        return self.kind == "d"

    @property
    def is64(self) -> bool:
        """True for x and d registers (the sf bit / 64-bit size)."""
        return self.kind in ("x", "d")

    @property
    def is_zr(self) -> bool:
        return self.is_gpr and self.num == 31 and not self.sp

    @property
    def name(self) -> str:
        if self.num == 31 and self.is_gpr:
            if self.sp:
                return "sp" if self.kind == "x" else "wsp"
            return self.kind + "zr"
        return f"{self.kind}{self.num}"

    def as_x(self) -> Reg:
        return Reg("x", self.num, self.sp)

    def as_w(self) -> Reg:
        return Reg("w", self.num, self.sp)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return self.name.upper()


def _bank(kind: str) -> list[Reg]:
    return [Reg(kind, n) for n in range(32)]


_X, _W, _D = _bank("x"), _bank("w"), _bank("d")

(X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15,
 X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30,
 XZR) = _X
(W0, W1, W2, W3, W4, W5, W6, W7, W8, W9, W10, W11, W12, W13, W14, W15,
 W16, W17, W18, W19, W20, W21, W22, W23, W24, W25, W26, W27, W28, W29, W30,
 WZR) = _W
(D0, D1, D2, D3, D4, D5, D6, D7, D8, D9, D10, D11, D12, D13, D14, D15,
 D16, D17, D18, D19, D20, D21, D22, D23, D24, D25, D26, D27, D28, D29, D30,
 D31) = _D
SP = Reg("x", 31, sp=True)
WSP = Reg("w", 31, sp=True)

FP, LR, IP0, IP1 = X29, X30, X16, X17

# Registers the AAPCS64 asks a callee to preserve.
CALLEE_SAVED_GPRS = tuple(_X[19:29])
CALLEE_SAVED_FPRS = tuple(_D[8:16])


def xreg(n: int) -> Reg:
    return _X[n]


def wreg(n: int) -> Reg:
    return _W[n]


def dreg(n: int) -> Reg:
    return _D[n]


_BY_NAME: dict[str, Reg] = {r.name: r for r in (*_X, *_W, *_D, SP, WSP)}
_BY_NAME.update({"fp": X29, "lr": X30, "ip0": X16, "ip1": X17})


def parse_reg(name: str) -> Reg | None:
    """The register spelled `name` (case-insensitive), or None."""
    return _BY_NAME.get(name.strip().lower())
