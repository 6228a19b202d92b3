#!/usr/bin/env bash
# Run a command with an AArch64 CPython 3.11 (or 3.13, 3.14) under qemu user-mode emulation.
#
#   scripts/aarch64-python.sh -m pytest tests/native -q     # the native suite
#   QEMU_CPU=cortex-a53 scripts/aarch64-python.sh -c 'import platform; print(platform.machine())'
#   scripts/aarch64-python.sh --prepare                      # only build the root
#   PYJIT_PYTHON_VERSION=3.14 scripts/aarch64-python.sh -m pytest tests/native -q
#
# The first run prepares a root directory from Debian's arm64 packages; later
# runs reuse it.  Each version has its own root: 3.11 from bookworm (the
# host's apt sources, as always), 3.13 from trixie, 3.14 from sid (a private
# sources.list with one line for the suite, on the mirror the host's apt
# sources name).  Nothing of the host's package state is changed, no root
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
#   from the qemu package.  For 3.13 and 3.14: the same packages of that
#   version and suite, with libmpdec4 libssl3t64 libzstd1 libbz2-1.0
#   liblzma5, and qemu-aarch64 from the suite's qemu-user (static binaries
#   since trixie; qemu-user-static is only a transitional package there):
#   each version runs under its suite's qemu (bookworm 7.2, trixie 10.0,
#   sid 11.1).
# - ROOT/usr/bin/python3 is a wrapper that runs
#   `qemu-aarch64-static -L ROOT -0 "$0" ROOT/usr/bin/python3.11`, so that
#   the guest's sys.executable is the wrapper (subprocesses work) and
#   sys.prefix is ROOT/usr.
# - Pure-Python test dependencies, pyperformance (the benchmarks the native
#   suite runs) and the AArch64 wheels of unicorn and capstone (pyjit
#   imports them) are installed by the host's pip into ROOT/.pyjit/site,
#   which is on the guest's PYTHONPATH with the repository; for the guest's
#   version (--python-version), whatever version the host's pip runs on.
#   unicorn (cp37-abi3) and capstone (py3-none) publish one manylinux2014
#   aarch64 wheel for every version; the rest is pure Python but psutil
#   (cp36-abi3).
#
# Environment:
#   PYJIT_PYTHON_VERSION  the guest's CPython: 3.11 (default), 3.13 or 3.14
#   PYJIT_AARCH64_ROOT  the root (default: $HOME/.cache/pyjit/aarch64-root for
#                       3.11, $HOME/.cache/pyjit/aarch64-root-VERSION for the others)
#   PYJIT_DEBIAN_MIRROR the Debian mirror for 3.13 and 3.14 (default: the one
#                       the host's apt sources name, else http://deb.debian.org/debian)
#   QEMU_CPU            read by qemu itself (e.g. cortex-a53: ARMv8.0 only)
#
# Timings under qemu are qemu's, not a hardware's.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${PYJIT_PYTHON_VERSION:-3.11}"
PIP_PACKAGES="pytest unicorn capstone pyperformance"

log() { echo "aarch64-python: $*" >&2; }
die() { echo "aarch64-python: $*" >&2; exit 1; }

# The Debian mirror the host's apt uses (a URI ending in /debian), else deb.debian.org.
debian_mirror() {
    if [ -n "${PYJIT_DEBIAN_MIRROR:-}" ]; then
        echo "$PYJIT_DEBIAN_MIRROR"; return
    fi
    local m
    m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
            2>/dev/null | grep -oE '(https?|file)://[^ ]*/debian/?( |$)' | head -n1 | tr -d ' ') || true
    echo "${m:-http://deb.debian.org/debian}"
}

case "$VERSION" in
    3.11)   # as it always was: the host's apt sources (bookworm), the same root and stamp
        ROOT="${PYJIT_AARCH64_ROOT:-${HOME:-/tmp}/.cache/pyjit/aarch64-root}"
        STAMP_NAME="ready-v2"
        SUITE=""
        ARM64_PACKAGES="python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libc6 libexpat1 zlib1g libffi8"
        QEMU_PACKAGE="qemu-user-static:amd64"; QEMU_BINARY="./usr/bin/qemu-aarch64-static"
        PIP_PLATFORMS=(--platform manylinux2014_aarch64)
        ;;
    3.13|3.14)
        ROOT="${PYJIT_AARCH64_ROOT:-${HOME:-/tmp}/.cache/pyjit/aarch64-root-$VERSION}"
        STAMP_NAME="ready-$VERSION-v1"
        if [ "$VERSION" = 3.13 ]; then SUITE=trixie; else SUITE=sid; fi
        ARM64_PACKAGES="python$VERSION-minimal libpython$VERSION-minimal libpython$VERSION-stdlib libc6 libexpat1 zlib1g libffi8 libmpdec4 libssl3t64 libzstd1 libbz2-1.0 liblzma5"
        QEMU_PACKAGE="qemu-user:amd64"; QEMU_BINARY="./usr/bin/qemu-aarch64"
        PIP_PLATFORMS=(--platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64)
        ;;
    3.12) die "no Debian suite has an arm64 CPython 3.12: PYJIT_PYTHON_VERSION is one of 3.11, 3.13, 3.14" ;;
    *) die "unsupported PYJIT_PYTHON_VERSION '$VERSION': supported are 3.11, 3.13, 3.14" ;;
esac
STATE="$ROOT/.pyjit"
STAMP="$STATE/$STAMP_NAME"

prepare() {
    local started=$SECONDS
    mkdir -p "$STATE/lists/partial" "$STATE/cache/archives/partial" "$STATE/apt.conf.d" \
             "$STATE/debs"
    : > "$STATE/status"
    local apt=(-q -oDir::State::Lists="$STATE/lists" -oDir::Cache="$STATE/cache"
               -oDir::State::status="$STATE/status" -oDir::Etc::Parts="$STATE/apt.conf.d"
               -oAPT::Architectures::=amd64 -oAPT::Architectures::=arm64
               -oDebug::NoLocking=1)
    if [ -n "$SUITE" ]; then   # a private sources.list: only the suite
        mkdir -p "$STATE/sources.list.d"
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) $SUITE main" \
            > "$STATE/sources.list"
        apt+=(-oDir::Etc::SourceList="$STATE/sources.list" -oDir::Etc::SourceParts="$STATE/sources.list.d")
    fi
    if [ "$(id -u)" = 0 ]; then
        apt+=(-oAPT::Sandbox::User=root)   # the private dirs are root's: no _apt sandbox
    fi
    if ! ls "$STATE/lists/"*arm64_Packages* >/dev/null 2>&1; then
        log "fetching package lists (private: $STATE/lists)"
        apt-get "${apt[@]}" update >&2
    fi
    local debs=("$QEMU_PACKAGE")
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
    if [ -n "$SUITE" ]; then
        # Merged /usr (trixie on): the packages ship /usr/lib only, the binaries
        # ask for /lib/ld-linux-aarch64.so.1; base-files' links, as on a system.
        for d in bin sbin lib; do
            [ -e "$ROOT/$d" ] || [ ! -d "$ROOT/usr/$d" ] || ln -s "usr/$d" "$ROOT/$d"
        done
    fi
    dpkg-deb --fsys-tarfile "$STATE/debs/"qemu-user*_amd64.deb \
        | tar -xO "$QEMU_BINARY" > "$STATE/qemu-aarch64-static"
    chmod +x "$STATE/qemu-aarch64-static"
    rm -f "$STATE/debs/"*.deb

    cat > "$ROOT/usr/bin/python3" <<EOF
#!/bin/sh
# pyjit: run the AArch64 python$VERSION of this root under qemu user-mode.
here=\$(cd "\$(dirname "\$0")" && pwd)
root=\$(cd "\$here/../.." && pwd)
exec "\$root/.pyjit/qemu-aarch64-static" -L "\$root" -0 "\$here/python3" \\
    "\$root/usr/bin/python$VERSION" "\$@"
EOF
    chmod +x "$ROOT/usr/bin/python3"

    log "installing $PIP_PACKAGES (aarch64 wheels) into $STATE/site"
    rm -rf "$STATE/site"
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore --target "$STATE/site" \
        "${PIP_PLATFORMS[@]}" --python-version "$VERSION" --implementation cp \
        --only-binary=:all: $PIP_PACKAGES >&2
    touch "$STAMP"
    log "root ready in $((SECONDS - started)) s: $ROOT"
}

# One root, one version: a root made for another version is not this one's.
for other in "$ROOT"/usr/bin/python3.[0-9]*; do
    if [ -e "$other" ] && [ "$(basename "$other")" != "python$VERSION" ]; then
        die "$ROOT holds $(basename "$other"), not python$VERSION: give each version its own PYJIT_AARCH64_ROOT"
    fi
done
if [ ! -e "$STAMP" ]; then
    prepare
fi
if [ "${1:-}" = "--prepare" ]; then
    exit 0
fi
export PYTHONPATH="$REPO:$STATE/site${PYTHONPATH:+:$PYTHONPATH}"
export PYJIT_UNDER_QEMU=1
exec "$ROOT/usr/bin/python3" "$@"
