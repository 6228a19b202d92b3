"""`literal`: load the target from the literal pool, `blr x16`.

8 bytes a site; 8 bytes a distinct target (one deduplicated pool entry).
CinderX's "literal pool" iteration (84,320 -> 77,160 bytes on sqrt:200).
"""

from .base import BuildingBlock, CallLowering, register


@register
class Literal(CallLowering):
    name = "literal"
    order = 20

    def choose(self, site):
        return BuildingBlock.LITERAL
