"""Shared pytest configuration: the golden-file option.

Golden files are per CPython version where the output differs: the file
tests/golden/NAME holds CPython 3.11's output, and tests/golden/py3XX/NAME
a later version's when it differs from the version before it that has one
(bytecode changes the HIR, the object model the machine code): 3.13 reads
py313/NAME, else py312/NAME, else NAME.  `pytest --update-golden` on a
version writes its own file, or removes it when the output is what it
would read without it again.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"
BASE_VERSION = (3, 11)             # the unprefixed golden files are this version's output


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite golden files with the current output (review the diff)")


@pytest.fixture
def golden(request):
    """golden(name, text): compare text with tests/golden/NAME, or rewrite it
    under --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        chain = [GOLDEN_DIR / ("py%d%d" % (3, minor)) / name
                 for minor in range(sys.version_info[1], BASE_VERSION[1], -1)]
        chain.append(GOLDEN_DIR / name)
        own, earlier = chain[0], chain[1:]
        inherited = next((p for p in earlier if p.exists()), None)
        path = own if own.exists() else inherited
        if update:
            if inherited is not None and inherited.read_text() == text:
                own.unlink(missing_ok=True)     # this version's output is an earlier one's again
                return
            own.parent.mkdir(parents=True, exist_ok=True)
            own.write_text(text)
            return
        if path is None:
            pytest.fail(f"golden file {own} is missing; run pytest --update-golden and review it")
        assert text == path.read_text(), f"output differs from {path} (pytest --update-golden rewrites it)"

    return check
