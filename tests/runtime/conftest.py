"""Fixtures for the runtime tests."""

from __future__ import annotations

import pytest

from pyjit.cpython import errstate
from pyjit.runtime import UnicornEngine


@pytest.fixture(scope="module")
def engine():
    """One engine per test module (creating one maps regions and binds
    every helper); each test leaves no pending exception behind."""
    eng = UnicornEngine(code_arena_size=16 << 20, timeout=20.0)
    yield eng
    eng.close()


@pytest.fixture(autouse=True)
def _clean_pending():
    errstate.set_pending(None)
    yield
    errstate.set_pending(None)
