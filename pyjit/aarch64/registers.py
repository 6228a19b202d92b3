"""AArch64 registers as values.

A register is an immutable, interned `Reg(kind, num, sp)`:

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


class Reg:
    """A register; `Reg(kind, num, sp)` returns the one instance of it.

    Registers are interned (every construction, copy and unpickling yields
    the module's own instance), so equality is identity and needs no
    Python-level __eq__ or __hash__: the register allocator and the
    emitters compare and hash registers hundreds of thousands of times a
    benchmark.  The derived properties are computed once, at creation.
    Instances are immutable."""

    __slots__ = ("kind", "num", "sp", "is_gpr", "is_fp", "is64", "is_zr", "name")

    def __new__(cls, kind: str, num: int, sp: bool = False) -> Reg:
        reg = _INTERNED.get((kind, num, sp))
        if reg is None:
            reg = _INTERNED[kind, num, sp] = cls._make(kind, num, sp)
        return reg

    @classmethod
    def _make(cls, kind: str, num: int, sp: bool) -> Reg:
        if kind not in ("x", "w", "d"):
            raise ValueError(f"unknown register kind {kind!r}")
        if not 0 <= num <= 31:
            raise ValueError(f"register number {num} out of range 0..31")
        num, sp = int(num), bool(sp)
        if sp and (kind == "d" or num != 31):
            raise ValueError("only register 31 of x/w can be the stack pointer")
        reg = object.__new__(cls)
        is_gpr = kind in ("x", "w")
        fields = {
            "kind": kind, "num": num, "sp": sp,
            "is_gpr": is_gpr,
            "is_fp": kind == "d",
            "is64": kind in ("x", "d"),             # the sf bit / 64-bit size
            "is_zr": is_gpr and num == 31 and not sp,
            "name": (("sp" if kind == "x" else "wsp") if sp else kind + "zr")
                    if num == 31 and is_gpr else f"{kind}{num}",
        }
        for attr, value in fields.items():
            object.__setattr__(reg, attr, value)
        return reg

    def __setattr__(self, attr: str, value: object) -> None:
        raise AttributeError(f"registers are immutable: cannot set {attr!r}")

    def __delattr__(self, attr: str) -> None:
        raise AttributeError(f"registers are immutable: cannot delete {attr!r}")

    def __reduce__(self):
        return Reg, (self.kind, self.num, self.sp)

    def __copy__(self) -> Reg:
        return self

    def __deepcopy__(self, memo: dict) -> Reg:
        return self

    def as_x(self) -> Reg:
        return Reg("x", self.num, self.sp)

    def as_w(self) -> Reg:
        return Reg("w", self.num, self.sp)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return self.name.upper()


_INTERNED: dict[tuple[str, int, bool], Reg] = {}


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
