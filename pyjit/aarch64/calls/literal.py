"""`literal`: load the target from the literal pool, `blr x16`.

8 bytes a site; 8 bytes a distinct target (one deduplicated pool entry).
CinderX's "literal pool" iteration (84,320 -> 77,160 bytes on sqrt:200).
"""

from .base import CallLowering, register


@register
class Literal(CallLowering):
    name = "literal"

    def emit_call(self, buf, site, tail=False):
        self.call_literal(buf, site, tail)
