"""Shared pytest configuration: the golden-file option.

Golden files are per CPython version where the output differs: the file
tests/golden/NAME holds CPython 3.11's output, and tests/golden/py3XX/NAME
another version's when it differs from 3.11's (bytecode changes the HIR,
the object model the machine code).  `pytest --update-golden` on a version
writes its own file, or removes it when the output is 3.11's again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"
BASE_VERSION = (3, 11)             # the unprefixed golden files are this version's output
VERSION_DIR = "py%d%d" % sys.version_info[:2]


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files with the current output (review the diff)")


@pytest.fixture
def golden(request):
    """golden(name, text): compare text with tests/golden/NAME, or rewrite it
    under --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        base = GOLDEN_DIR / name
        own = base if sys.version_info[:2] == BASE_VERSION else GOLDEN_DIR / VERSION_DIR / name
        path = own if own.exists() else base
        if update:
            if own is not base and base.exists() and base.read_text() == text:
                own.unlink(missing_ok=True)     # this version's output is 3.11's again
                return
            own.parent.mkdir(parents=True, exist_ok=True)
            own.write_text(text)
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; run pytest --update-golden and review it")
        assert text == path.read_text(), f"output differs from {path} (pytest --update-golden rewrites it)"

    return check
