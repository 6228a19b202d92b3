"""`lazy-stub`: a shared stub only for targets with two or more sites.

A target called once gets the literal sequence (8 + 8 bytes) instead of a
stub (4 + 16): planning sees every site first, so the choice is exact.
"""

from .base import CallLowering, register


@register
class LazyStub(CallLowering):
    name = "lazy-stub"

    def emit_call(self, buf, site, tail=False):
        if self.site_counts[site.target] >= 2:
            self.call_stub(buf, site, tail)
        else:
            self.call_literal(buf, site, tail)
