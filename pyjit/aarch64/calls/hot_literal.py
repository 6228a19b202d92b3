"""`hot-literal`: literal sequence on hot sites, shared stub on cold ones.

Hot sites avoid the extra branch through a stub (8 bytes a site); cold
sites stay small (4 bytes a site).  A target's literal is shared by both.
"""

from .base import BuildingBlock, CallLowering, register


@register
class HotLiteral(CallLowering):
    name = "hot-literal"
    order = 50

    def choose(self, site):
        return BuildingBlock.LITERAL if site.hot else BuildingBlock.STUB
