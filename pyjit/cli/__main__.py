"""`python -m pyjit.cli ...`: the `pyjit` command (pyjit/cli/__init__.py)."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
