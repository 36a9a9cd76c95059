#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Export the QEMU side (qemu/ and the files shared with libvup) as a
# `git format-patch` series for upstream QEMU v10.2.x.
#
#   scripts/export-patches.sh OUTDIR
#
# The base is upstream QEMU without Debian's patches: the Debian orig
# tarball (build/qemu/download/qemu_10.2.2+ds.orig.tar.xz, fetched by
# scripts/build-qemu.sh; override with QEMU_ORIG_TARBALL).  The series is
# committed in logical steps in a temporary git repository (the patches of
# qemu/patches that stand alone as they are, with their own messages; the
# new files with the patches they need), written to OUTDIR with git
# format-patch, then checked with git am on a fresh copy.
# Author and Signed-off-by come from git config (user.name, user.email),
# else "vfio-user-mcu developers".
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tarball=${QEMU_ORIG_TARBALL:-$here/build/qemu/download/qemu_10.2.2+ds.orig.tar.xz}

die() { echo "export-patches: error: $*" >&2; exit 1; }
log() { echo "export-patches: $*"; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
[ -f "$tarball" ] || die "no $tarball (run scripts/build-qemu.sh first, or set QEMU_ORIG_TARBALL)"
mkdir -p "$1"
out=$(cd "$1" && pwd)
if compgen -G "$out/*.patch" > /dev/null; then
    die "$out already holds patches; use an empty directory"
fi

name=$(git -C "$here" config user.name 2>/dev/null || true)
email=$(git -C "$here" config user.email 2>/dev/null || true)
name=${name:-vfio-user-mcu developers}
email=${email:-vfio-user-mcu@invalid}
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email
export GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# unpack DIR: upstream tree committed as the base in DIR
unpack() {
    mkdir -p "$1"
    tar -xJf "$tarball" -C "$1" --strip-components=1
    git -C "$1" init -q
    # No background gc racing with the cleanup of the temporary trees.
    git -C "$1" config gc.auto 0
    git -C "$1" config maintenance.auto false
    git -C "$1" add -A
    git -C "$1" -c core.autocrlf=false commit -q -m "QEMU $(cat "$1/VERSION") (upstream base)"
}

log "unpacking $(basename "$tarball")"
unpack "$tmp/work"
src=$tmp/work
base=$(git -C "$src" rev-parse HEAD)

apply_patch() {   # qemu/patches/NAME: its changes, without committing
    patch -s -d "$src" -p1 --no-backup-if-mismatch < "$here/qemu/patches/$1" ||
        die "$1 does not apply to upstream $(cat "$src/VERSION")"
}
am_patch() {      # qemu/patches/NAME: applied and committed as it is
    git -C "$src" am -q -s "$here/qemu/patches/$1" ||
        die "$1 does not apply to upstream $(cat "$src/VERSION")"
}
add_file() {      # FILE-IN-PROJECT PATH-IN-QEMU
    mkdir -p "$(dirname "$src/$2")"
    cp "$here/$1" "$src/$2"
}
commit() {        # MESSAGE (subject, blank line, body)
    git -C "$src" add -A
    git -C "$src" commit -q -s -F - <<< "$1"
}
patch_named() {   # SUBJECT-SLUG: the one qemu/patches file for it
    local f
    f=$(cd "$here/qemu/patches" && ls ./*-"$1"*.patch 2>/dev/null)
    [ "$(echo "$f" | wc -w)" = 1 ] || die "no single patch for $1: $f"
    basename "$f"
}

# 1. Fixes and additions to existing QEMU files that stand on their own
#    (each patch carries its message): the vfio capability walk, the
#    vfio-user proxy and device helpers, the QAPI option enums.
for p in "$here"/qemu/patches/*.patch; do
    name=$(basename "$p")
    case "$name" in
        *split-the-client*|*trace-events*|*hw-arm-build*|*docs-vfio-user-mcu*) ;;
        *serve-unimplemented-peripheral*) ;;
        *) am_patch "$name" ;;
    esac
done

# 2. Kconfig/meson: vfio-user core without PCI
am_patch "$(patch_named split-the-client)"

# 3. the platform device, its control-region header and decoder
. "$here/scripts/qemu-shared.sh"
vup_shared_files | while read -r from to; do
    mkdir -p "$(dirname "$src/$to")"
    vup_shared_render "$here/$from" > "$src/$to"
done
add_file qemu/include/hw/vfio-user/platform.h include/hw/vfio-user/platform.h
for f in "$here"/qemu/hw/vfio-user/*; do
    add_file "qemu/hw/vfio-user/$(basename "$f")" "hw/vfio-user/$(basename "$f")"
done
apply_patch "$(patch_named trace-events)"
commit "hw/vfio-user: add vfio-user-platform, a non-PCI vfio-user device

vfio-user-platform connects to a vfio-user server that describes itself
in a control region: a vfio region identified by a VFIO_REGION_INFO_CAP_TYPE
capability (type 0x56555043, subtype 1) whose layout is defined in
include/hw/vfio-user/vup-control-region.h.  It lists MMIO windows (vfio
region, guest physical base, size, access sizes, whether writes may be
posted), interrupt lines (vfio IRQ index, NVIC line, level or edge),
clocks, signal groups between peripherals, and hints for the board.
The message set of vfio-user is unchanged.

The control region is validated by the decoder of the server library
(hw/vfio-user/vup-cr-decode.c.inc, BSD-3-Clause, built unchanged), so the
device and the servers apply one set of rules, the ones the servers'
fuzzer covers; errors name the socket and the entry.  The device creates
one MemoryRegion per window that forwards accesses with the vfio-user
region helpers (posted writes where allowed), and one qemu_irq output
per line, fed from the region's live part; each signal group is a named
GPIO group of the device, outputs fed from the live part, inputs sent to
the server in one write per guest instant.  Guest RAM is offered for DMA
through the vfio-user container; DMA_READ/DMA_WRITE requests are served
too.  A server that dies or stops answering stops QEMU (on-failure=stop)
or makes its windows give bus errors (on-failure=bus-error, optionally
reconnecting), with an error naming it and the guest access in progress.

A server may also share memory, which the device maps when offered
(fast-path property): the live part, a shared-memory request mailbox
for window accesses, and read-only mirrors of registers without read
side effects (DIRECT_MAPPED windows with DIRECT ranges), from which
reads are served without a message.

The code is split as hw/vfio-user is: platform.c (QOM, properties,
realize/reset, failure policy), platform-cr.c (the control region),
platform-io.c (window accesses, server requests), platform-shm.c (shared
memory), platform-sync.c (IRQ lines, clocks, virtual time),
platform-signal.c (signal groups); boards use the functions of
include/hw/vfio-user/platform.h only, including one that gives a board
the device's options as its own properties and one that connects the
signal groups of its devices by name.

The control-region header and decoder are BSD-3-Clause on purpose: they
are shared verbatim (but for include paths) with server libraries that
are not GPL (any vfio-user server can be a backend)."

# 4. the board
add_file qemu/hw/arm/vfio-user-mcu.c hw/arm/vfio-user-mcu.c
apply_patch "$(patch_named hw-arm-build-vfio-user-mcu)"
commit "hw/arm: add vfio-user-mcu, a Cortex-M board with vfio-user peripherals

A generic armv7m board with flash (aliased at 0 for booting) and two
SRAMs, whose peripherals are external vfio-user servers given with
sockets=PATH[:PATH...].  One vfio-user-platform device per socket; its
windows are mapped into the system address space and its interrupt
lines wired to the NVIC, its clocks routed by name between servers and
to the CPU and SysTick.  Memory and CPU hints in the servers' control
regions replace the defaults, and properties set by the user replace
both.  The devices' options (fast-path, on-failure, msg-timeout...) are
board properties too.  The board refuses overlapping windows (within
and across servers), windows over memory, the PPB or bit-band aliases,
lines at or above num-irq and NVIC lines driven twice.  Signal groups
are connected by name across servers (an OUT group to the IN groups of
its name; widths must agree).  Firmware is loaded with -kernel."

# 5. the attach helper, and the boards that use it
add_file qemu/include/hw/arm/vfio-user-attach.h include/hw/arm/vfio-user-attach.h
add_file qemu/hw/arm/vfio-user-attach.c hw/arm/vfio-user-attach.c
add_file qemu/hw/arm/vfio-user-attach-stub.c hw/arm/vfio-user-attach-stub.c
apply_patch "$(patch_named hw-arm-build-the-vfio-user-attach)"
commit "hw/arm: add vfio-user-attach, vfio-user backends on existing boards

A board that models a real SoC leaves what it does not implement to
unimplemented-device placeholders.  vfio_user_attach() lets the user
serve any of those from external vfio-user servers: each server window
is mapped over the placeholder at its address, and refused, naming both,
where the CPU would see anything else there (a modelled device, memory,
another server's window); its interrupt lines are wired to the SoC's
NVIC, and refused at or above its num-irq or where a device's GPIO
output already drives the line; its input clocks come from a function
of the board, and its signal groups connect by name to the other
servers' and to the board's own lines that another function of the
board gives.  vfio_user_attach_class_init() gives the board the
\"vfio-user\" property (socket paths separated by ':') and the
vfio-user-platform options.  Without VFIO_USER_ATTACH a stub adds
nothing, so boards call it unconditionally.

The list of sockets is parsed and its devices created by
vfio_user_platform_create_list(), which vfio-user-mcu uses too."
for p in "$here"/qemu/patches/*serve-unimplemented-peripheral*.patch; do
    am_patch "$(basename "$p")"
done

# 6. documentation
add_file qemu/docs/system/arm/vfio-user-mcu.rst docs/system/arm/vfio-user-mcu.rst
apply_patch "$(patch_named docs-vfio-user-mcu)"
commit "docs/system/arm: document the vfio-user-mcu board

Board properties, example command lines, how a vfio-user server
describes itself to the board, and the errors it reports.  Add a
MAINTAINERS entry for the board and the platform device."

# Everything from qemu/ must be in the series, except build-only files.
leftover=$(cd "$here/qemu" && find . -type f ! -path './patches/*' ! -path './configs/*' |
    sed 's|^\./||' | while read -r f; do cmp -s "$here/qemu/$f" "$src/$f" || echo "$f"; done)
[ -z "$leftover" ] || die "not exported: $leftover"

git -C "$src" format-patch -q -o "$out" "$base"..HEAD
n=$(ls "$out"/*.patch | wc -l)

log "checking that the series applies with git am to a fresh upstream tree"
unpack "$tmp/check"
git -C "$tmp/check" am -q "$out"/*.patch || die "the series does not apply with git am"
diff -r -q -x .git "$tmp/check" "$src" > /dev/null ||
    die "git am result differs from the exported tree"

log "wrote $n patches to $out"
ls "$out"
