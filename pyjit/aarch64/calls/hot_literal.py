"""`hot-literal`: literal sequence on hot sites, shared stub on cold ones.

Hot sites avoid the extra branch through a stub (8 bytes a site); cold
sites stay small (4 bytes a site).  A target's literal is shared by both.
"""

from .base import CallLowering, register


@register
class HotLiteral(CallLowering):
    name = "hot-literal"

    def emit_call(self, buf, site, tail=False):
        if site.hot:
            self.call_literal(buf, site, tail)
        else:
            self.call_stub(buf, site, tail)
