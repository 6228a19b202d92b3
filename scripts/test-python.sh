#!/usr/bin/env bash
# Run the test suite under CPython VERSION in a fresh virtual environment.
# Arguments after VERSION go to pytest.
#
#   scripts/test-python.sh 3.13                    # the whole suite on 3.13
#   scripts/test-python.sh 3.14 -x tests/cpython   # some of it on 3.14
#   PYJIT_TEST_VENV=~/.cache/pyjit/venv-3.12 scripts/test-python.sh 3.12 -k layout
#
# - The interpreter is scripts/python.sh's for VERSION (the host's, pyenv's,
#   or a Debian build it prepares and caches: see there).
# - The venv is made in a temporary directory and removed at the end (what
#   CI needs), or, with PYJIT_TEST_VENV=DIR, made in DIR when DIR has none
#   and reused otherwise (quicker by hand; remove DIR to start afresh).
# - Then scripts/test.sh runs with the venv activated, as .ci/run does for
#   the host's python3: llvm-mc (Debian's llvm) installed when missing,
#   `pip install -e '.[test]'`, pytest with the arguments.  Its exit status
#   is this script's.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "test-python: $*" >&2; }
die() { echo "test-python: $*" >&2; exit 1; }

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
    echo "usage: scripts/test-python.sh VERSION [pytest arguments...]  (VERSION: 3.11 3.12 3.13 3.14)" >&2
    exit 2
fi
VERSION="$1"; shift

py=$("$REPO/scripts/python.sh" "$VERSION" --path)   # python.sh says why when it cannot

if [ -n "${PYJIT_TEST_VENV:-}" ]; then
    venv="$PYJIT_TEST_VENV"
else
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/pyjit-test-$VERSION.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    venv="$tmp/venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    started=$SECONDS
    "$py" -m venv "$venv"
    log "venv for CPython $VERSION ($py) made in $((SECONDS - started)) s: $venv"
fi
got=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[ "$got" = "$VERSION" ] || die "$venv holds CPython $got, not $VERSION: remove it or pick another PYJIT_TEST_VENV"

# shellcheck disable=SC1091
. "$venv/bin/activate"
started=$SECONDS
status=0
bash "$REPO/scripts/test.sh" "$@" || status=$?
log "CPython $VERSION: scripts/test.sh exited with $status after $((SECONDS - started)) s"
exit "$status"
