#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the patched, trimmed qemu-system-arm.
#
#   scripts/build-qemu.sh [--asan] [DIR]      (default DIR: build/qemu)
#
# Without --asan the binary goes to DIR/build; with --asan a second
# configuration of the same patched tree (the same options plus QEMU's own
# --enable-asan --enable-ubsan) goes to DIR/build-asan.  Both share
# DIR/download and DIR/src; each is configured once and built incrementally.
#
# 1. Source: $QEMU_SRC if set (your own QEMU 10.2.x tree, patched in place),
#    else Debian's qemu 1:10.2.2+ds-1 source package fetched with apt-get
#    source (checksum verified) and unpacked with Debian's patches into
#    DIR/src; ../shared/qemu-src is the fallback if the archive fails.
# 2. Overlay: qemu/ (new files, laid out like QEMU's tree) is copied in,
#    the files shared with libvup (scripts/qemu-shared.sh: the control-region
#    header and decoder) are installed with QEMU's include paths, and
#    qemu/patches/*.patch
#    (changes to existing QEMU files) are applied.  Changed overlay files
#    are re-copied; a changed patch set is reverted and re-applied.
# 3. Configure once (again only if the options change), then ninja.
# Re-running does only what changed.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
variant=normal
if [ "${1:-}" = --asan ]; then
    variant=asan
    shift
fi
dir=${1:-$here/build/qemu}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case $variant in
    normal) bld=$dir/build ;;
    asan) bld=$dir/build-asan ;;
esac

# Both configurations patch the one source tree: one run at a time (make -j
# may start `make qemu` and `make qemu-asan` together).
exec 9> "$dir/.build-qemu.lock"
flock 9

QEMU_DEB_VERSION=1:10.2.2+ds-1
ORIG=qemu_10.2.2+ds.orig.tar.xz
ORIG_SHA256=be05230fe47a6937cd29f28f562932c8125f9c93c2a82c625198f7a4aa601dfb
SHARED_SRC=${VUP_SHARED_DIR:-$here/../shared}/qemu-src

log() { echo "build-qemu: $*"; }
die() { echo "build-qemu: error: $*" >&2; exit 1; }

fetch_debian_source() {
    local dl=$dir/download
    mkdir -p "$dl"
    if [ ! -f "$dl/qemu_10.2.2+ds-1.dsc" ] || [ ! -f "$dl/$ORIG" ]; then
        log "fetching Debian source package qemu=$QEMU_DEB_VERSION"
        if ! (cd "$dl" && apt-get source --download-only "qemu=$QEMU_DEB_VERSION" >/dev/null 2>"$dl/apt.log"); then
            log "apt-get source failed ($(tail -n 1 "$dl/apt.log")); using $SHARED_SRC"
            [ -d "$SHARED_SRC" ] || die "no fallback source at $SHARED_SRC"
            (cd "$SHARED_SRC" && sha256sum -c --quiet SHA256SUMS) ||
                die "checksum mismatch in $SHARED_SRC"
            cp "$SHARED_SRC"/qemu_10.2.2+ds* "$dl/"
        fi
    fi
    echo "$ORIG_SHA256  $dl/$ORIG" | sha256sum -c --quiet - ||
        die "$dl/$ORIG does not match sha256 $ORIG_SHA256 (delete $dl to refetch)"
    log "unpacking with Debian's patches into $dir/src"
    rm -rf "$dir/src.tmp"
    (cd "$dl" && dpkg-source --no-check -x qemu_10.2.2+ds-1.dsc "$dir/src.tmp" >/dev/null)
    mv "$dir/src.tmp" "$dir/src"
}

if [ -n "${QEMU_SRC:-}" ]; then
    src=$(cd "$QEMU_SRC" && pwd) || die "QEMU_SRC=$QEMU_SRC is not a directory"
    [ -f "$src/VERSION" ] || die "$src does not look like a QEMU tree (no VERSION)"
    case "$(cat "$src/VERSION")" in
        10.2.*) ;;
        *) die "$src is QEMU $(cat "$src/VERSION"); this project targets 10.2.x" ;;
    esac
else
    src=$dir/src
    [ -f "$src/VERSION" ] || fetch_debian_source
fi

# --- overlay: new files ------------------------------------------------------
copy_if_changed() {   # SRC DST
    if ! cmp -s "$1" "$2"; then
        mkdir -p "$(dirname "$2")"
        cp "$1" "$2"
        log "updated ${2#$src/}"
    fi
}
(cd "$here/qemu" && find . -type f ! -path './patches/*' ! -name '*.orig' | sort) |
while read -r f; do
    copy_if_changed "$here/qemu/$f" "$src/${f#./}"
done
# The control-region header and decoder, shared with libvup.
. "$here/scripts/qemu-shared.sh"
vup_shared_files | while read -r from to; do
    vup_shared_render "$here/$from" > "$dir/shared.tmp"
    copy_if_changed "$dir/shared.tmp" "$src/$to"
done
rm -f "$dir/shared.tmp"

# --- overlay: patches to existing files --------------------------------------
applied=$src/.vup-applied-patches
shopt -s nullglob
patches=("$here"/qemu/patches/*.patch)
want=$(cat /dev/null "${patches[@]}" | sha256sum | cut -d' ' -f1)
have=$(cat "$applied/sha256" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
    if [ -d "$applied" ]; then
        old=("$applied"/*.patch)
        for ((i = ${#old[@]} - 1; i >= 0; i--)); do
            p=${old[i]}
            log "reverting $(basename "$p")"
            patch -s -d "$src" -p1 -R < "$p" || die "could not revert $p"
        done
        rm -rf "$applied"
    fi
    mkdir -p "$applied"
    for p in "${patches[@]}"; do
        log "applying $(basename "$p")"
        patch -s -d "$src" -p1 --no-backup-if-mismatch < "$p" ||
            die "$(basename "$p") does not apply to $src"
        cp "$p" "$applied/"
    done
    echo "$want" > "$applied/sha256"
fi

# --- configure ----------------------------------------------------------------
CONFIGURE_ARGS=(
    --target-list=arm-softmmu --python=/usr/bin/python3
    --disable-docs --disable-werror --disable-rust --disable-user
    --disable-tools --disable-guest-agent --without-default-features
    --enable-fdt=system --disable-install-blobs
    --without-default-devices --with-devices-arm=vfio-user-mcu
    --enable-trace-backends=log
)
if [ $variant = asan ]; then
    # QEMU's own sanitizer options (meson_options.txt: asan, ubsan).  As in
    # upstream's clang-system CI job, undefined behaviour is not recovered
    # from: the first report ends QEMU, whoever runs it.
    CONFIGURE_ARGS+=(--enable-asan --enable-ubsan
                     --extra-cflags=-fno-sanitize-recover=undefined)
fi
want_cfg=$(printf '%s\n' "$src" "${CONFIGURE_ARGS[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$bld/build.ninja" ] || [ "$(cat "$bld/.vup-configure" 2>/dev/null)" != "$want_cfg" ]; then
    log "configuring in $bld"
    rm -rf "$bld"
    mkdir -p "$bld"
    (cd "$bld" && "$src/configure" "${CONFIGURE_ARGS[@]}" > configure.log 2>&1) ||
        { tail -n 30 "$bld/configure.log" >&2; die "configure failed (log: $bld/configure.log)"; }
    echo "$want_cfg" > "$bld/.vup-configure"
fi

log "building qemu-system-arm (ninja; incremental)"
start=$(date +%s)
if ! ninja -C "$bld" qemu-system-arm > "$bld/ninja.log" 2>&1; then
    grep -E 'error|Error' "$bld/ninja.log" | head -n 30 >&2
    die "build failed (log: $bld/ninja.log)"
fi
log "qemu-system-arm ($variant) ready: $bld/qemu-system-arm ($(( $(date +%s) - start )) s)"
