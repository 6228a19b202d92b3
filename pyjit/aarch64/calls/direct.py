"""`direct`: materialize the target's address in x16 and `blr x16`.

Four relocated moves (movz + 3 movk) and a `blr`: 20 bytes a site, nothing
per target.  The form PyPy's AArch64 backend uses; CinderX started here.
"""

from .base import BuildingBlock, CallLowering, register


@register
class Direct(CallLowering):
    name = "direct"
    order = 10

    def choose(self, site):
        return BuildingBlock.ABSOLUTE
