"""`stub`: `bl` to a shared per-target stub (`ldr x16, lit; br x16`).

4 bytes a site; 16 bytes a distinct target (8 of stub, 8 of literal).
CinderX's "shared helper stubs" iteration (77,160 -> 71,616 on sqrt:200).
"""

from .base import CallLowering, register


@register
class Stub(CallLowering):
    name = "stub"

    def emit_call(self, buf, site, tail=False):
        self.call_stub(buf, site, tail)
