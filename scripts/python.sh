#!/usr/bin/env bash
# Run a command with CPython VERSION (3.11, 3.12, 3.13 or 3.14) on this machine.
#
#   scripts/python.sh 3.14 -c 'import sys; print(sys.version)'
#   scripts/python.sh 3.14 -m venv /tmp/v && /tmp/v/bin/python -m pip install pytest
#   scripts/python.sh 3.13 --path        # print the interpreter's path (preparing it if needed)
#   scripts/python.sh 3.14 --prepare     # only prepare it
#
# Where VERSION comes from, the first that has it:
#   1. the host's python3, when it is VERSION (here: 3.11);
#   2. pyenv's newest VERSION.N ($PYENV_ROOT/versions/VERSION.N/bin/python,
#      PYENV_ROOT defaulting to `pyenv root`, else ~/.pyenv);
#   3. Debian's packages, unpacked into a cached root: 3.11 from bookworm,
#      3.13 from trixie, 3.14 from sid.  No Debian suite has 3.12 (bookworm
#      has 3.11, trixie 3.13, sid 3.13 and 3.14): without pyenv's 3.12 the
#      script says to run `pyenv install 3.12`.
# PYJIT_PYTHON_SOURCE=debian skips 1 and 2 (the Debian build, e.g. in CI).
#
# A Debian root is prepared once, like scripts/aarch64-python.sh's, without
# touching the host's package state and without root rights:
# - apt runs with private state per suite (CACHE/apt-SUITE: its own
#   sources.list with one line for the suite, list and cache directories,
#   an empty dpkg status file, an empty apt.conf.d), fetched once with
#   `apt-get update`; the host's architecture only.
# - `apt-get download` fetches CPython's packages (pythonV-minimal,
#   libpythonV-minimal, libpythonV-stdlib, pythonV-venv and the wheels
#   ensurepip installs) and the libraries its modules link to, from libc6
#   up; each is unpacked with `dpkg -x` into CACHE/VERSION-ARCH.
# - The suite's glibc is newer than the host's, so ROOT/usr/bin/pythonV gets
#   the root's dynamic loader as its interpreter and the root's library
#   directories as its RPATH, with patchelf 0.14.3 from bookworm (the
#   patchelf of trixie and sid, 0.18, writes a binary that crashes when it
#   sets both), itself run by the root's loader.  A real executable, not a
#   wrapper: `pythonV -m venv` makes a venv whose python (a symlink to it)
#   runs, and sys.executable works for subprocesses.
# - Debian's ensurepip takes pip from WHEEL_PKG_DIR, /usr/share/python-wheels
#   in the build's sysconfig data: the root's copies of that file are
#   pointed at ROOT/usr/share/python-wheels (the root's python3-pip-whl).
#
# Environment:
#   PYJIT_PYTHON_CACHE   the cache (default: $HOME/.cache/pyjit/python)
#   PYJIT_PYTHON_SOURCE  auto (default) or debian (only a Debian root)
#   PYJIT_DEBIAN_MIRROR  the Debian mirror (default: the one the host's apt
#                        sources name, else http://deb.debian.org/debian)
set -euo pipefail

SUPPORTED="3.11 3.12 3.13 3.14"
CACHE="${PYJIT_PYTHON_CACHE:-${HOME:-/tmp}/.cache/pyjit/python}"
SOURCE="${PYJIT_PYTHON_SOURCE:-auto}"
STAMP_NAME="ready-v1"

log() { echo "python.sh: $*" >&2; }
die() { echo "python.sh: $*" >&2; exit 1; }

usage() {
    echo "usage: scripts/python.sh VERSION [--path | --prepare | python arguments...]" >&2
    echo "       VERSION is one of: $SUPPORTED" >&2
    exit 2
}

# The Debian suite that has VERSION, or nothing.
debian_suite() {
    case "$1" in
        3.11) echo bookworm ;;
        3.13) echo trixie ;;
        3.14) echo sid ;;
    esac
}

# The packages of a Debian root for VERSION from SUITE (names differ by suite:
# the 64-bit time_t transition renamed libssl3 and libreadline8 after bookworm).
debian_packages() {
    local v="$1" suite="$2"
    local libs="libc6 libgcc-s1 libstdc++6 libexpat1 zlib1g libffi8 libbz2-1.0 liblzma5
                libzstd1 libsqlite3-0 libncursesw6 libtinfo6 libuuid1 libcrypt1"
    local py="python$v-minimal libpython$v-minimal libpython$v-stdlib python$v-venv
              python3-pip-whl python3-setuptools-whl"
    case "$suite" in
        bookworm) echo "$py python3-distutils python3-lib2to3 $libs libssl3 libreadline8" ;;
        *)        echo "$py $libs libssl3t64 libreadline8t64 libmpdec4" ;;
    esac
}

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

# VERSION ("3.14") of an interpreter, or nothing when it does not run.
version_of() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

# The host's python3 when it is VERSION (its real executable, not a pyenv shim).
find_host() {
    local v="$1" py
    py=$(command -v python3 2>/dev/null) || return 1
    [ "$(version_of "$py")" = "$v" ] || return 1
    "$py" -c 'import sys; print(sys.executable)'
}

# pyenv's newest VERSION.N.
find_pyenv() {
    local v="$1" root d n best="" bestn=""
    root="${PYENV_ROOT:-}"
    if [ -z "$root" ] && command -v pyenv >/dev/null 2>&1; then
        root=$(pyenv root 2>/dev/null) || root=""
    fi
    root="${root:-${HOME:-/tmp}/.pyenv}"
    [ -d "$root/versions" ] || return 1
    # Only plain releases (3.13.0, not 3.13.0t or 3.13-dev); the newest that runs.
    for d in "$root/versions/$v".*; do
        n="${d##*/}"
        [[ "$n" =~ ^${v//./\.}\.[0-9]+$ ]] || continue
        [ -x "$d/bin/python" ] && [ "$(version_of "$d/bin/python")" = "$v" ] || continue
        if [ -z "$bestn" ] || [ "$(printf '%s\n%s\n' "$bestn" "$n" | sort -V | tail -n1)" = "$n" ]; then
            best="$d/bin/python"; bestn="$n"
        fi
    done
    [ -n "$best" ] || return 1
    echo "$best"
}

# apt-get/apt-cache options for the private state of SUITE; creates it.
apt_state() {
    local suite="$1" dir="$CACHE/apt-$1"
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/apt.conf.d" "$dir/sources.list.d"
    [ -e "$dir/status" ] || : > "$dir/status"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) $suite main" \
        > "$dir/sources.list"
    APT=(-q -oDir::State::Lists="$dir/lists" -oDir::Cache="$dir/cache"
         -oDir::State::status="$dir/status" -oDir::Etc::Parts="$dir/apt.conf.d"
         -oDir::Etc::SourceList="$dir/sources.list" -oDir::Etc::SourceParts="$dir/sources.list.d"
         -oAPT::Architectures::="$ARCH" -oDebug::NoLocking=1)
    if [ "$(id -u)" = 0 ]; then
        APT+=(-oAPT::Sandbox::User=root)   # the private dirs are root's: no _apt sandbox
    fi
    if ! ls "$dir/lists/"*_Packages* >/dev/null 2>&1; then
        log "fetching the $suite package lists (private: $dir/lists)"
        apt-get "${APT[@]}" update >&2
    fi
}

# Download PACKAGES... of SUITE into DIR (emptied first), refreshing the lists once on failure.
apt_download() {
    local suite="$1" dir="$2"; shift 2
    apt_state "$suite"
    mkdir -p "$dir"
    rm -f "$dir/"*.deb
    log "downloading from $suite: $*"
    if ! (cd "$dir" && apt-get "${APT[@]}" download "$@" >&2); then
        log "download failed: refreshing the private $suite package lists and retrying"
        apt-get "${APT[@]}" update >&2
        (cd "$dir" && apt-get "${APT[@]}" download "$@" >&2) \
            || die "could not download CPython $VERSION's packages from Debian $suite"
    fi
}

prepare_debian() {
    local v="$1" suite="$2" root="$3"
    local started=$SECONDS state="$root/.pyjit" loader py patchelf sysconfigdata
    if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
        die "preparing CPython $v from Debian $suite needs apt-get and dpkg (a Debian or Ubuntu host)"
    fi
    [ -e /usr/share/keyrings/debian-archive-keyring.gpg ] \
        || die "preparing CPython $v from Debian $suite needs /usr/share/keyrings/debian-archive-keyring.gpg (debian-archive-keyring)"
    [ -n "$TRIPLET" ] || die "CPython $v from Debian $suite: only on amd64 and arm64 hosts, not $ARCH"
    log "preparing CPython $v from Debian $suite in $root"
    rm -rf "$root"
    mkdir -p "$state"
    # shellcheck disable=SC2046
    apt_download "$suite" "$state/debs" $(debian_packages "$v" "$suite")
    for deb in "$state/debs/"*.deb; do
        dpkg -x "$deb" "$root"
    done
    apt_download bookworm "$state/debs" patchelf
    dpkg -x "$state/debs/"patchelf_*.deb "$state/patchelf"
    rm -rf "$state/debs"

    loader=""
    for f in "$root"/usr/lib/"$TRIPLET"/ld-linux-*.so.[0-9] "$root"/lib/"$TRIPLET"/ld-linux-*.so.[0-9]; do
        if [ -f "$f" ] && [ ! -L "$f" ]; then loader="$f"; break; fi
    done
    [ -n "$loader" ] || die "no dynamic loader in $root (libc6 of $suite)"
    local libpath="$root/usr/lib/$TRIPLET:$root/lib/$TRIPLET"
    py="$root/usr/bin/python$v"
    patchelf="$state/patchelf/usr/bin/patchelf"
    log "setting $py's interpreter and RPATH to the root's"
    "$loader" --library-path "$libpath" "$patchelf" \
        --set-interpreter "$loader" --force-rpath --set-rpath "$libpath" "$py"
    for sysconfigdata in "$root/usr/lib/python$v/"_sysconfigdata_*.py; do
        sed -i "s|'WHEEL_PKG_DIR': '/usr/share/python-wheels/\?'|'WHEEL_PKG_DIR': '$root/usr/share/python-wheels/'|" \
            "$sysconfigdata"
    done
    "$py" -c 'import sys, ssl, ctypes, sqlite3, decimal, venv, ensurepip; print(sys.version)' >/dev/null \
        || die "the prepared CPython $v does not run: $py"
    touch "$state/$STAMP_NAME"
    log "CPython $v ready in $((SECONDS - started)) s: $py ($(du -sh "$root" | cut -f1))"
}

# The interpreter's path, preparing a Debian root if that is where VERSION comes from.
interpreter() {
    local v="$1" suite root py
    if [ "$SOURCE" = auto ]; then
        if py=$(find_host "$v") || py=$(find_pyenv "$v"); then
            echo "$py"; return
        fi
    elif [ "$SOURCE" != debian ]; then
        die "PYJIT_PYTHON_SOURCE is '$SOURCE': auto or debian"
    fi
    suite=$(debian_suite "$v")
    if [ -z "$suite" ]; then
        if [ "$SOURCE" = debian ]; then
            die "no Debian suite has CPython $v (bookworm: 3.11, trixie: 3.13, sid: 3.14); install it with \`pyenv install $v\`"
        fi
        die "CPython $v not found: no host python3 or pyenv $v.N, and no Debian suite has it; install it with \`pyenv install $v\`"
    fi
    root="$CACHE/$v-$ARCH"
    py="$root/usr/bin/python$v"
    if [ ! -e "$root/.pyjit/$STAMP_NAME" ]; then
        mkdir -p "$CACHE"
        exec 9>"$CACHE/.lock"
        flock 9     # one preparation at a time; a waiting one finds the root ready
        if [ ! -e "$root/.pyjit/$STAMP_NAME" ]; then
            prepare_debian "$v" "$suite" "$root"
        fi
        exec 9>&-
    fi
    echo "$py"
}

[ $# -ge 1 ] || usage
case "$1" in
    -h|--help) usage ;;
    --path|--prepare)   # also accepted before the version
        [ $# -eq 2 ] || usage
        set -- "$2" "$1" ;;
esac
VERSION="$1"; shift
case " $SUPPORTED " in
    *" $VERSION "*) ;;
    *) die "unsupported CPython version '$VERSION': supported are $SUPPORTED" ;;
esac
ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
case "$ARCH" in
    amd64|x86_64) ARCH=amd64; TRIPLET=x86_64-linux-gnu ;;
    arm64|aarch64) ARCH=arm64; TRIPLET=aarch64-linux-gnu ;;
    *) TRIPLET="" ;;
esac

PY=$(interpreter "$VERSION")
case "${1:-}" in
    --path) echo "$PY"; exit 0 ;;
    --prepare) exit 0 ;;
esac
exec "$PY" "$@"
