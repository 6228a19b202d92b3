#!/usr/bin/env bash
# Run a command with an AArch64 CPython 3.11 under qemu user-mode emulation.
#
#   scripts/aarch64-python.sh -m pytest tests/native -q     # the native suite
#   QEMU_CPU=cortex-a53 scripts/aarch64-python.sh -c 'import platform; print(platform.machine())'
#   scripts/aarch64-python.sh --prepare                      # only build the root
#
# The first run prepares a root directory from Debian's arm64 packages; later
# runs reuse it.  Nothing of the host's package state is changed, no root
# rights are needed beyond what apt-get download needs (none), and neither
# binfmt_misc nor a chroot is used:
#
# - apt runs with private state: its own list directory, cache directory,
#   an empty dpkg status file and an empty apt.conf.d (so the host's hooks do
#   not run), with arm64 added to the architectures; the lists are fetched
#   once with `apt-get update` under those options.
# - `apt-get download` fetches qemu-user-static:amd64 and the arm64 packages
#   of a minimal CPython 3.11 (python3.11-minimal libpython3.11-minimal
#   libpython3.11-stdlib libc6 libexpat1 zlib1g libffi8); each arm64 package
#   is unpacked with `dpkg -x` into ROOT; only qemu-aarch64-static is taken
#   from the qemu package.
# - ROOT/usr/bin/python3 is a wrapper that runs
#   `qemu-aarch64-static -L ROOT -0 "$0" ROOT/usr/bin/python3.11`, so that
#   the guest's sys.executable is the wrapper (subprocesses work) and
#   sys.prefix is ROOT/usr.
# - Pure-Python test dependencies, pyperformance (the benchmarks the native
#   suite runs) and the AArch64 wheels of unicorn and capstone (pyjit
#   imports them) are installed by the host's pip into ROOT/.pyjit/site,
#   which is on the guest's PYTHONPATH with the repository.
#
# Environment:
#   PYJIT_AARCH64_ROOT  the root (default: $HOME/.cache/pyjit/aarch64-root)
#   QEMU_CPU            read by qemu itself (e.g. cortex-a53: ARMv8.0 only)
#
# Timings under qemu are qemu's, not a hardware's.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="${PYJIT_AARCH64_ROOT:-${HOME:-/tmp}/.cache/pyjit/aarch64-root}"
STATE="$ROOT/.pyjit"
STAMP="$STATE/ready-v2"
ARM64_PACKAGES="python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libc6 libexpat1 zlib1g libffi8"
PIP_PACKAGES="pytest unicorn capstone pyperformance"

log() { echo "aarch64-python: $*" >&2; }

prepare() {
    local started=$SECONDS
    mkdir -p "$STATE/lists/partial" "$STATE/cache/archives/partial" "$STATE/apt.conf.d" \
             "$STATE/debs"
    : > "$STATE/status"
    local apt=(-q -oDir::State::Lists="$STATE/lists" -oDir::Cache="$STATE/cache"
               -oDir::State::status="$STATE/status" -oDir::Etc::Parts="$STATE/apt.conf.d"
               -oAPT::Architectures::=amd64 -oAPT::Architectures::=arm64
               -oDebug::NoLocking=1)
    if [ "$(id -u)" = 0 ]; then
        apt+=(-oAPT::Sandbox::User=root)   # the private dirs are root's: no _apt sandbox
    fi
    if ! ls "$STATE/lists/"*arm64_Packages* >/dev/null 2>&1; then
        log "fetching package lists (private: $STATE/lists)"
        apt-get "${apt[@]}" update >&2
    fi
    local debs=(qemu-user-static:amd64)
    for p in $ARM64_PACKAGES; do debs+=("$p:arm64"); done
    log "downloading ${debs[*]}"
    rm -f "$STATE/debs/"*.deb
    if ! (cd "$STATE/debs" && apt-get "${apt[@]}" download "${debs[@]}" >&2); then
        log "download failed: refreshing the private package lists and retrying"
        apt-get "${apt[@]}" update >&2
        (cd "$STATE/debs" && apt-get "${apt[@]}" download "${debs[@]}" >&2)
    fi
    for deb in "$STATE/debs/"*_arm64.deb; do
        dpkg -x "$deb" "$ROOT"
    done
    dpkg-deb --fsys-tarfile "$STATE/debs/"qemu-user-static_*_amd64.deb \
        | tar -xO ./usr/bin/qemu-aarch64-static > "$STATE/qemu-aarch64-static"
    chmod +x "$STATE/qemu-aarch64-static"
    rm -f "$STATE/debs/"*.deb

    cat > "$ROOT/usr/bin/python3" <<'EOF'
#!/bin/sh
# pyjit: run the AArch64 python3.11 of this root under qemu user-mode.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
exec "$root/.pyjit/qemu-aarch64-static" -L "$root" -0 "$here/python3" \
    "$root/usr/bin/python3.11" "$@"
EOF
    chmod +x "$ROOT/usr/bin/python3"

    log "installing $PIP_PACKAGES (aarch64 wheels) into $STATE/site"
    rm -rf "$STATE/site"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$STATE/site" \
        --platform manylinux2014_aarch64 --python-version 3.11 --implementation cp \
        --only-binary=:all: $PIP_PACKAGES >&2
    touch "$STAMP"
    log "root ready in $((SECONDS - started)) s: $ROOT"
}

if [ ! -e "$STAMP" ]; then
    prepare
fi
if [ "${1:-}" = "--prepare" ]; then
    exit 0
fi
export PYTHONPATH="$REPO:$STATE/site${PYTHONPATH:+:$PYTHONPATH}"
export PYJIT_UNDER_QEMU=1
exec "$ROOT/usr/bin/python3" "$@"
