"""The code generator hands a call lowering strategy the same call sites
when planning as when emitting: every (target, hot, section) that `plan`
sees, `emit_call` sees as often, cold blocks' sites included.

Real functions are compiled with a recording strategy instance (a subclass
of a registered strategy, not registered itself) passed to
`compile_function`.
"""

from __future__ import annotations

from collections import Counter

import pytest

from pyjit.aarch64.calls import CallLowering, get_strategy, strategy_names
from pyjit.aarch64.codegen import REFCOUNT_MODES
from pyjit.compiler import compile_function


def keyword_defaults(a, b=1, c=2):
    t = b * c
    return a + t


def catches(xs, i):
    try:
        return xs[i] / xs[i + 1]
    except (ZeroDivisionError, IndexError):
        return None
    finally:
        xs.append(i)


def many_decrefs(a, b, c):
    x = a + b
    y = x * c
    z = (x, y, a)
    return len(z) + y - x


FUNCTIONS = [keyword_defaults, catches, many_decrefs]


def _key(site):
    return site.target.symbol, site.hot, site.section


def recording(name: str) -> CallLowering:
    """A fresh instance of strategy `name` that records what it is handed."""
    class Recording(type(get_strategy(name))):
        def __init__(self, placement=None):
            super().__init__(placement)
            self.planned: Counter = Counter()
            self.emitted: Counter = Counter()

        def plan(self, sites):
            super().plan(sites)
            self.planned.update(_key(site) for site in sites)

        def emit_call(self, buf, site, tail=False):
            self.emitted[_key(site)] += 1
            super().emit_call(buf, site, tail)

    return Recording()


@pytest.mark.parametrize("refcounts", list(REFCOUNT_MODES))
@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_plan_and_emission_see_the_same_sites(func, refcounts):
    lowering = recording("hot-literal")
    compiled = compile_function(func, lowering, refcounts=refcounts)
    assert lowering.planned == lowering.emitted
    # What makes the comparison bite: cold sites in the cold section (the
    # argument binding, the exits), the deallocation tail calls, hot sites.
    assert lowering.planned[("pyjit_bind_call", False, "cold")] == 1
    assert lowering.planned[("pyjit_dealloc", False, "cold")] >= 1
    assert any(hot and section == "hot" for _, hot, section in lowering.planned)
    assert compiled.strategy == "hot-literal"


def test_the_try_function_releases_in_the_cold_section():
    lowering = recording("lazy-stub")
    compile_function(catches, lowering)
    assert lowering.emitted[("release_and_exit", False, "cold")] == 1


@pytest.mark.parametrize("strategy", strategy_names())
def test_recording_changes_no_byte(strategy):
    for func in FUNCTIONS:
        lowering = recording(strategy)
        assert compile_function(func, lowering).code.data == \
            compile_function(func, strategy).code.data
        assert lowering.planned == lowering.emitted
