"""`stub`: `bl` to a shared per-target stub (`ldr x16, lit; br x16`).

4 bytes a site; 16 bytes a distinct target (8 of stub, 8 of literal).
CinderX's "shared helper stubs" iteration (77,160 -> 71,616 on sqrt:200).
"""

from .base import BuildingBlock, CallLowering, register


@register
class Stub(CallLowering):
    name = "stub"
    order = 30

    def choose(self, site):
        return BuildingBlock.STUB
