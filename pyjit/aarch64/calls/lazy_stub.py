"""`lazy-stub`: a shared stub only for targets with two or more sites.

A target called once gets the literal sequence (8 + 8 bytes) instead of a
stub (4 + 16): planning sees every site first, so the choice is exact.
"""

from .base import BuildingBlock, CallLowering, register


@register
class LazyStub(CallLowering):
    name = "lazy-stub"
    order = 40

    def choose(self, site):
        if self.site_counts[site.target] >= 2:
            return BuildingBlock.STUB
        return BuildingBlock.LITERAL
