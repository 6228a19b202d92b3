"""The printed form of LIR (see ir.py for each instruction's form).

    fun NAME(v0, v1):
    bb0:
      v2 = add v0, 1
      return v2
    bb1 (cold):
      ...

With an allocation, each vreg prints with its location: `v2{x9}`.
"""

from __future__ import annotations

from typing import Any, Callable

from . import ir


def format_function(func: ir.LirFunction, alloc: Any = None) -> str:
    def v(x: Any) -> str:
        if isinstance(x, ir.VReg):
            if alloc is not None and x in alloc.locations:
                return f"{x!r}{{{alloc.locations[x]}}}"
            return repr(x)
        return str(x)

    lines = [f"fun {func.name}({', '.join(v(p) for p in func.params)}):"]
    for block in func.blocks:
        lines.append(f"{block!r}{' (cold)' if block.cold else ''}:")
        for instr in block.instrs:
            lines.append("  " + format_instr(instr, v))
    return "\n".join(lines) + "\n"


def _addr(v: Callable[[Any], str], base: Any, offset: int) -> str:
    return f"[{v(base)} + {offset}]" if offset else f"[{v(base)}]"


def _release(v: Callable[[Any], str], i: ir.Instr) -> str:
    return f" release [{', '.join(map(v, i.release))}]" if i.release else ""


def format_instr(i: ir.Instr, v: Callable[[Any], str] = repr) -> str:
    match i:
        case ir.Move():
            return f"{v(i.dst)} = {v(i.src)}"
        case ir.ParallelMove():
            return f"({', '.join(map(v, i.dsts))}) = ({', '.join(map(v, i.srcs))})"
        case ir.LoadImm():
            return f"{v(i.dst)} = imm {i.value}"
        case ir.LoadConst():
            return f"{v(i.dst)} = const {i.const.text}"
        case ir.LoadSymbol():
            return f"{v(i.dst)} = &{i.symbol}"
        case ir.SaveRegisters():
            return f"save callee-saved -> [{v(i.area)}]"
        case ir.SaveReturnAddress():
            return f"store.8 return_address -> {_addr(v, i.area, i.offset)}"
        case ir.LoadDouble():
            return f"{v(i.dst)} = double {i.value!r}"
        case ir.AreaAddr():
            return f"{v(i.dst)} = &{i.area!r} + {i.offset}"
        case ir.Alu():
            return f"{v(i.dst)} = {i.op} {v(i.a)}, {v(i.b)}"
        case ir.AluFlags():
            return f"{v(i.dst)}, {v(i.overflow)} = {i.op}.overflow {v(i.a)}, {v(i.b)}"
        case ir.CondSet():
            return f"{v(i.dst)} = set.{i.cond} {v(i.a)}, {v(i.b)}"
        case ir.Select():
            return f"{v(i.dst)} = select.{i.cond} {v(i.a)}, {v(i.b)} ? {v(i.t)} : {v(i.f)}"
        case ir.FAlu():
            return f"{v(i.dst)} = {i.op} {v(i.a)}, {v(i.b)}"
        case ir.FUnary():
            return f"{v(i.dst)} = {i.op} {v(i.a)}"
        case ir.IntToDouble():
            return f"{v(i.dst)} = scvtf {v(i.a)}"
        case ir.FCondSet():
            return f"{v(i.dst)} = fset.{i.cond} {v(i.a)}, {v(i.b)}"
        case ir.Load():
            sign = "s" if i.signed else ""
            return f"{v(i.dst)} = load{sign}.{i.width} {_addr(v, i.base, i.offset)}"
        case ir.Store():
            return f"store.{i.width} {v(i.src)} -> {_addr(v, i.base, i.offset)}"
        case ir.Call():
            call = f"call {i.target.symbol}({', '.join(map(v, i.args))})" + ("" if i.hot else " cold")
            return f"{v(i.dst)} = {call}" if i.dst is not None else call
        case ir.CallReg():
            call = f"call *{v(i.fn)}({', '.join(map(v, i.args))})"
            return f"{v(i.dst)} = {call}" if i.dst is not None else call
        case ir.Jump():
            return f"jump -> {i.target!r}" + _release(v, i)
        case ir.Branch():
            width = "32" if i.width == 32 else ""
            return (f"branch{width}.{i.cond} {v(i.a)}, {v(i.b)} -> {i.then!r}, {i.else_!r}"
                    + _release(v, i))
        case ir.ReturnAddress():
            return f"{v(i.dst)} = return_address"
        case ir.EntryAddr():
            return f"{v(i.dst)} = entry"
        case ir.Incref():
            return f"{'xincref' if i.nullable else 'incref'} {v(i.value)}"
        case ir.Decref():
            return f"{'xdecref' if i.nullable else 'decref'} {v(i.value)}"
        case ir.BranchZero():
            kind = ("nonzero" if i.nonzero else "zero") if i.bit is None else \
                f"bit{i.bit}.{'set' if i.nonzero else 'clear'}"
            return f"branch.{kind} {v(i.a)} -> {i.then!r}, {i.else_!r}" + _release(v, i)
        case ir.FBranch():
            return f"fbranch.{i.cond} {v(i.a)}, {v(i.b)} -> {i.then!r}, {i.else_!r}"
        case ir.Return():
            return f"return {v(i.value)}" if i.value is not None else "return"
    raise TypeError(f"no printed form for {type(i).__name__}")
