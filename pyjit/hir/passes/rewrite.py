"""Rule-driven instruction replacement, shared by ``simplify`` and
``guard-elimination``.

A rule looks at one instruction and returns None (keep it), an existing
``Value`` it provably equals, or a new ``Instr`` to put in its place.  When
the old instruction had an exception edge, a replacement that may raise
takes it over (same raising point, so the handler's phi inputs stay
valid); otherwise the edge goes away and the handler's phis drop this
block.
"""

from __future__ import annotations

from typing import Callable

from ..ir import Function, Instr, Value

Rule = Callable[[Instr], "Value | Instr | None"]


def apply_rules(func: Function, rules: dict[type[Instr], Rule]) -> bool:
    """One pass over the function; True if anything was replaced."""
    changed = False
    mapping: dict[Value, Value] = {}
    for block in func.blocks:
        new_instrs: list[Instr] = []
        for instr in block.instrs:
            if mapping:
                instr.replace_operands(mapping)
            rule = rules.get(type(instr))
            if rule is None:                  # most instructions
                new_instrs.append(instr)
                continue
            replacement = rule(instr)
            if replacement is None:
                new_instrs.append(instr)
                continue
            handler = instr.exc_target
            if isinstance(replacement, Instr):
                replacement.lineno, replacement.offset = instr.lineno, instr.offset
                if handler is not None and replacement.may_raise:
                    replacement.exc_target, handler = handler, None
                new_instrs.append(replacement)
                replacement = replacement.result
            if handler is not None:
                for phi in handler.phis:
                    phi.remove_pred(block)  # type: ignore[attr-defined]
            if instr.result is not None and replacement is not None:
                mapping[instr.result] = replacement
            changed = True
        block.instrs = new_instrs
    func.replace_uses(mapping)
    return changed
