#!/usr/bin/env bash
# Install what the test suite needs, then run it.  Arguments go to pytest.
#   llvm-mc (Debian's llvm) is the encoder's oracle; pyjit[test] brings
#   pytest, hypothesis and keystone.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v llvm-mc >/dev/null 2>&1; then
    echo "test.sh: installing llvm (llvm-mc) with apt-get" >&2
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq llvm >/dev/null
fi
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
exec python3 -m pytest "$@"
