"""`near`: `bl` straight to the target when it is surely in reach.

In reach means the engine told the compiler where the code will be placed
(`CodePlacement`) and the target's address, and every byte of the placement
is within `bl`'s +-128 MiB of it; the `bl` is then relocated at load time
(CALL26).  Otherwise the site calls a shared per-target veneer
(`ldr x16, lit; br x16`, 8 + 8 bytes).  Upstream CinderX's 2026 lowering.
"""

from .base import BuildingBlock, CallLowering, register


@register
class Near(CallLowering):
    name = "near"
    order = 60

    def choose(self, site):
        return BuildingBlock.NEAR if self.reaches(site.target) else BuildingBlock.VENEER
