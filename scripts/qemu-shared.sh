# SPDX-License-Identifier: BSD-3-Clause
#
# The files the project shares with QEMU, verbatim but for their include
# paths: the control-region layout, the decoder's header and the decoder
# itself.  Sourced by build-qemu.sh (overlay) and export-patches.sh.
#
#   vup_shared_files             prints "PROJECT-PATH QEMU-PATH" lines
#   vup_shared_render SRC        prints SRC with QEMU's include paths

vup_shared_files() {
    cat <<'LIST'
include/vup/control-region.h include/hw/vfio-user/vup-control-region.h
include/vup/cr.h include/hw/vfio-user/vup-cr.h
lib/cr-decode.c hw/vfio-user/vup-cr-decode.c.inc
LIST
}

vup_shared_render() {
    sed -e 's|^#include "control-region.h"$|#include "hw/vfio-user/vup-control-region.h"|' \
        -e 's|^#include "vup/cr.h"$|#include "hw/vfio-user/vup-cr.h"|' "$1"
}
