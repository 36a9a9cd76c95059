#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Export the QEMU side (qemu/ and the shared control-region header) as a
# `git format-patch` series for upstream QEMU v10.2.x.
#
#   scripts/export-patches.sh OUTDIR
#
# The base is upstream QEMU without Debian's patches: the Debian orig
# tarball (build/qemu/download/qemu_10.2.2+ds.orig.tar.xz, fetched by
# scripts/build-qemu.sh; override with QEMU_ORIG_TARBALL).  The series is
# committed in logical steps in a temporary git repository, written to
# OUTDIR with git format-patch, then checked with git am on a fresh copy.
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
    git -C "$1" add -A
    git -C "$1" -c core.autocrlf=false commit -q -m "QEMU $(cat "$1/VERSION") (upstream base)"
}

log "unpacking $(basename "$tarball")"
unpack "$tmp/work"
src=$tmp/work
base=$(git -C "$src" rev-parse HEAD)

apply_patch() {   # qemu/patches/NAME
    patch -s -d "$src" -p1 --no-backup-if-mismatch < "$here/qemu/patches/$1" ||
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

# 1. Kconfig/meson: vfio-user core without PCI
apply_patch 0001-vfio-user-kconfig-split-pci-and-platform.patch
commit "vfio-user: split the client into core, PCI and platform parts

CONFIG_VFIO_USER depended on VFIO_PCI because its only device was
vfio-user-pci.  Make VFIO_USER the client core (proxy, device I/O,
container), selected by VFIO_USER_PCI (default y where VFIO_PCI is)
and by the new VFIO_USER_PLATFORM, which boards select for non-PCI
vfio-user devices.  Configurations with VFIO_PCI build the same files
as before.

The platform device itself uses no PCI, but the hw/vfio core still links
against vfio-pci code (cpr.c, the legacy container's hot reset,
vfio_pci_from_vfio_device()), so VFIO_USER_PLATFORM selects PCI and
VFIO_PCI until that core is split."

# 2. proxy: notice a dead server
apply_patch 0002-vfio-user-proxy-report-disconnect.patch
commit "vfio-user: fail waiters at once and notify when the server goes away

When the server closes its socket, the proxy set its state to error but
threads waiting for replies only failed when their timeout expired, and
the device was not told.  Wake the waiters so they fail immediately,
refuse new sends on a broken connection, name the socket in the receive
error, and let a device register a bottom half that runs once when the
connection fails (vfio_user_set_disconnect_bh), so it can report which
server died even while the guest is idle."

# 3. region info: accept kernel-style "argsz too small" replies
apply_patch 0006-vfio-user-region-info-argsz-retry.patch
commit "vfio-user: accept region info replies that ask for a larger argsz

When a region has capabilities that do not fit the caller's argsz, the
server (like the kernel) answers with VFIO_REGION_INFO_FLAG_CAPS, the
argsz it needs and cap_offset 0, and vfio_device_get_region_info()
retries with that argsz.  The cap_offset sanity check rejected that
first reply with -EINVAL, so such regions could never be queried.  Only
check cap_offset when the reply's capabilities fit."

# 3b. proxy: a hostile or failing server
apply_patch 0007-vfio-user-proxy-broken-reply-stream.patch
commit "vfio-user: do not trust a broken reply stream

A server that died with unread data (ECONNRESET) aborted QEMU:
vfio_user_recv_hdr() set *errp after qio_channel_readv_full() had set it.
A reply cut short (server stalls or dies mid-reply) left the request in
no queue while part_recv still pointed at it, and the waiter's timeout
removed it from a queue it was not in; the partial message is now
finished when the connection fails, or abandoned safely.  An unexpected
reply (wrong or late id), a reply larger than expected or to another
command, unexpected fds on a reply and oversized requests left their
body in the stream to be read as the next header: they now fail the
connection (fds still closed).  DMA_UNMAP on a failed connection returns
at once, and vfio_user_abort() lets a device give up on a server that
stopped answering."

# 3c. region info: bound the server's argsz
apply_patch 0008-vfio-user-region-info-argsz-bound.patch
commit "vfio-user: bound the argsz a server asks for in region info

On a retry, vfio_user_get_region_info() used the server's argsz: with
0xffffffff the uint32 message size overflowed and the request was built
in a 15-byte buffer.  Refuse an argsz larger than one message."

# 3d. proxy: replies read by the waiting thread
apply_patch 0009-vfio-user-proxy-recv-inline.patch
commit "vfio-user: let the waiting thread read its reply

A request sent with vfio_user_send_wait() was answered through the
proxy's iothread: it read the reply, then woke the waiting thread with
a condition variable, two wake-ups per round trip.  With
vfio_user_set_recv_inline(), the waiting thread (a vCPU thread doing
MMIO) sends what is queued and reads the socket itself under the proxy
lock, polling it for a bounded time before it sleeps in poll().
Requests from the server that arrive meanwhile still go to the request
handler.  Off by default: vfio-user-pci is unchanged."

# 4. the platform device and its control-region header
add_file include/vup/control-region.h include/hw/vfio-user/vup-control-region.h
add_file qemu/include/hw/vfio-user/platform.h include/hw/vfio-user/platform.h
add_file qemu/hw/vfio-user/platform.c hw/vfio-user/platform.c
apply_patch 0003-vfio-user-platform-trace-events.patch
apply_patch 0010-vfio-user-platform-fast-path-trace-events.patch
apply_patch 0011-vfio-user-platform-direct-trace-events.patch
commit "hw/vfio-user: add vfio-user-platform, a non-PCI vfio-user device

vfio-user-platform connects to a vfio-user server that describes itself
in a control region: a vfio region identified by a VFIO_REGION_INFO_CAP_TYPE
capability (type 0x56555043, subtype 1) whose layout is defined in
include/hw/vfio-user/vup-control-region.h.  It lists MMIO windows (vfio
region, guest physical base, size, access sizes, whether writes may be
posted), interrupt lines (vfio IRQ index, NVIC line, level or edge) and
hints for the board.  The message set of vfio-user is unchanged.

The device validates every field of the control region, with errors
naming the socket and the entry, creates one MemoryRegion per window
that forwards accesses with REGION_READ/REGION_WRITE (posted writes
where allowed), and one qemu_irq output per line, fed by eventfds: edge
lines pulse per signal, level lines follow the level word of the
region's live part.  Guest RAM is offered for DMA through the vfio-user
container; DMA_READ/DMA_WRITE requests are served too.  A server that
dies or stops answering stops QEMU with an error naming it and the
access in progress.

A server may also share memory, which the device maps when offered
(fast-path property): the live part, a shared-memory request mailbox
for window accesses, and read-only mirrors of registers without read
side effects (DIRECT_MAPPED windows with DIRECT ranges), from which
reads are served without a message.

Boards create the device (it is not user-creatable) and use the
accessors in hw/vfio-user/platform.h to map the windows and wire the
lines.

vup-control-region.h is BSD-3-Clause on purpose: it is the one
definition of the layout, shared verbatim with server libraries that
are not GPL (any vfio-user server can be a backend)."

# 5. the board
add_file qemu/hw/arm/vfio-user-mcu.c hw/arm/vfio-user-mcu.c
apply_patch 0004-hw-arm-vfio-user-mcu-build.patch
commit "hw/arm: add vfio-user-mcu, a Cortex-M board with vfio-user peripherals

A generic armv7m board with flash (aliased at 0 for booting) and two
SRAMs, whose peripherals are external vfio-user servers given with
sockets=PATH[:PATH...].  One vfio-user-platform device per socket; its
windows are mapped into the system address space and its interrupt
lines wired to the NVIC.  Memory and CPU hints in the servers' control
regions replace the defaults, and properties set by the user replace
both.  The board refuses overlapping windows (within and across
servers), windows over memory, the PPB or bit-band aliases, lines at or
above num-irq and NVIC lines driven twice.  Firmware is loaded with
-kernel."

# 6. documentation
add_file qemu/docs/system/arm/vfio-user-mcu.rst docs/system/arm/vfio-user-mcu.rst
apply_patch 0005-docs-maintainers-vfio-user-mcu.patch
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
