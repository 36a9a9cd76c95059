/*
 * vfio-user platform device: finding, reading and validating the control
 * region
 *
 * The rules are libvup's decoder (vup-cr-decode.c.inc, the very code the
 * backends, vup-info and their fuzzer use); this file asks the server
 * what the decoder cannot know (its regions and IRQ indices), checks what
 * only QEMU cares about (eventfd signalling, names that become QOM
 * children) and builds the device's state from the decoded view.
 *
 * Copyright (c) 2025 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/vfio.h>
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "hw/vfio/vfio-device.h"
#include "hw/vfio-user/proxy.h"
#include "platform-internal.h"

/* Find the control region by its type/subtype capability. */
bool vfio_user_platform_find_cr(VFIOUserPlatform *vdev, Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    struct vfio_region_info *info;

    if (vfio_device_get_region_info_type(vbasedev, VUP_CR_REGION_TYPE,
                                         VUP_CR_REGION_SUBTYPE, &info)) {
        error_setg(errp, "no control region (no region with type 0x%x "
                   "subtype %u among %u regions): not a vfio-user MCU "
                   "backend?", VUP_CR_REGION_TYPE, VUP_CR_REGION_SUBTYPE,
                   vbasedev->num_initial_regions);
        return false;
    }
    if (!(info->flags & VFIO_REGION_INFO_FLAG_READ)) {
        error_setg(errp, "control region (region %u) is not readable",
                   info->index);
        return false;
    }
    vdev->cr_index = info->index;
    vdev->cr_size = info->size;
    return true;
}

static bool vfio_user_platform_read_cr(VFIOUserPlatform *vdev, uint32_t off,
                                       void *buf, uint32_t len, Error **errp)
{
    uint64_t max = vdev->vbasedev.proxy->max_xfer_size;

    while (len) {
        uint32_t chunk = MIN(len, max);

        if (vfio_user_platform_region_read(vdev, vdev->cr_index, off, buf,
                                           chunk, errp) != VUP_IO_OK) {
            error_prepend(errp, "reading the control region at 0x%x: ", off);
            return false;
        }
        buf += chunk;
        off += chunk;
        len -= chunk;
    }
    return true;
}

/*
 * What the decoder checks the entries against: every region's size and
 * access flags, and the number of IRQ indices, as the server gives them.
 */
static bool vfio_user_platform_limits(VFIOUserPlatform *vdev,
                                      struct vup_cr_device_limits *lim,
                                      uint64_t *sizes, uint32_t *flags,
                                      Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    unsigned int i;

    for (i = 0; i < vbasedev->num_initial_regions; i++) {
        struct vfio_region_info *info;
        int ret = vfio_device_get_region_info(vbasedev, i, &info);

        if (ret) {
            error_setg_errno(errp, -ret, "cannot get info of region %u", i);
            return false;
        }
        sizes[i] = info->size;
        flags[i] = info->flags & (VFIO_REGION_INFO_FLAG_READ |
                                  VFIO_REGION_INFO_FLAG_WRITE);
    }
    *lim = (struct vup_cr_device_limits) {
        .num_regions = vbasedev->num_initial_regions,
        .num_irqs = vbasedev->num_irqs,
        .region_size = sizes,
        .region_flags = flags,
        .cr_index = vdev->cr_index,
    };
    return true;
}

/* An IRQ index QEMU registers an eventfd on must take one. */
static bool vfio_user_platform_check_eventfd(VFIOUserPlatform *vdev,
                                             uint32_t index, const char *what,
                                             Error **errp)
{
    struct vfio_irq_info info = { .argsz = sizeof(info) };
    int ret = vfio_device_get_irq_info(&vdev->vbasedev, index, &info);

    if (ret) {
        error_setg_errno(errp, -ret, "%s: cannot get info of irq index %u",
                         what, index);
        return false;
    }
    if (!(info.flags & VFIO_IRQ_INFO_EVENTFD) || info.count < 1) {
        error_setg(errp, "%s: irq index %u does not support eventfd "
                   "signalling (flags 0x%x, count %u)", what, index,
                   info.flags, info.count);
        return false;
    }
    return true;
}

/* Clock names become QOM children of the device: Clock outputs/inputs. */
static bool vfio_user_platform_check_qom_name(VFIOUserPlatform *vdev,
                                              const struct vup_cr_clock *c,
                                              Error **errp)
{
    if (strchr(c->name, '/') || g_str_has_suffix(c->name, "[*]") ||
        object_property_find(OBJECT(vdev), c->name)) {
        error_setg(errp, "control region entry %u (clock \"%s\"): the name "
                   "cannot be a QOM child of the device",
                   vup_cr_entry_number(vdev->view, c), c->name);
        return false;
    }
    return true;
}

static int vfio_user_platform_direct_cmp(const void *a, const void *b)
{
    const VFIOUserPlatformDirect *x = a, *y = b;

    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* A window, its region's flags and its DIRECT ranges, sorted. */
static void vfio_user_platform_add_window(VFIOUserPlatform *vdev,
                                          const struct vup_cr_mmio *e,
                                          uint32_t region_flags)
{
    const struct vup_cr_view *v = vdev->view;
    VFIOUserPlatformWindow *win = &vdev->windows[vdev->num_windows++];
    size_t i;

    win->dev = vdev;
    win->e = e;
    win->region_flags = region_flags;
    win->posted = e->flags & VUP_CR_MMIO_POSTED_WRITES;
    win->size = e->size;
    win->direct = g_new0(VFIOUserPlatformDirect, v->num_direct + 1);
    for (i = 0; i < v->num_direct; i++) {
        if (v->direct[i]->region_index == e->region_index) {
            win->direct[win->num_direct++] = (VFIOUserPlatformDirect) {
                .offset = v->direct[i]->offset, .size = v->direct[i]->size,
            };
        }
    }
    qsort(win->direct, win->num_direct, sizeof(*win->direct),
          vfio_user_platform_direct_cmp);
}

/* The device's state from a validated descriptor. */
static bool vfio_user_platform_build(VFIOUserPlatform *vdev,
                                     const uint32_t *region_flags,
                                     Error **errp)
{
    const struct vup_cr_view *v = vdev->view;
    size_t i;

    vdev->live_offset = v->hdr->live_offset;
    vdev->has_vtime = v->cap_vtime != NULL;
    vdev->has_doorbell = v->cap_doorbell != NULL;
    vdev->doorbell_index = vdev->has_doorbell ? v->cap_doorbell->offset : 0;
    /*
     * From 1.3 the live part carries EDGE pulses as well as levels, and
     * the doorbell says when it changed: one eventfd instead of one per
     * line, and nothing to poll per line at a synchronisation point.
     */
    vdev->lines_in_live = vup_cr_lines_in_live(v);
    vdev->predicts = vup_cr_predicts_lines(v);

    for (i = 0; i < v->num_irq; i++) {
        if (!vdev->lines_in_live &&
            !vfio_user_platform_check_eventfd(vdev, v->irq[i]->irq_index,
                                              v->irq[i]->name, errp)) {
            return false;
        }
    }
    if (vdev->has_doorbell &&
        !vfio_user_platform_check_eventfd(vdev, vdev->doorbell_index,
                                          "doorbell", errp)) {
        return false;
    }
    for (i = 0; i < v->num_clock; i++) {
        if (!vfio_user_platform_check_qom_name(vdev, v->clock[i], errp)) {
            return false;
        }
    }

    vdev->windows = g_new0(VFIOUserPlatformWindow, v->num_mmio);
    for (i = 0; i < v->num_mmio; i++) {
        vfio_user_platform_add_window(vdev, v->mmio[i],
                                      region_flags[v->mmio[i]->region_index]);
    }
    vdev->irqs = g_new0(VFIOUserPlatformIRQ, v->num_irq);
    for (i = 0; i < v->num_irq; i++) {
        vdev->irqs[i].dev = vdev;
        vdev->irqs[i].e = v->irq[i];
        vdev->irq_by_index[v->irq[i]->irq_index] = &vdev->irqs[i];
    }
    vdev->num_irqs = v->num_irq;
    vdev->clocks = g_new0(VFIOUserPlatformClock, v->num_clock);
    for (i = 0; i < v->num_clock; i++) {
        vdev->clocks[i].dev = vdev;
        vdev->clocks[i].e = v->clock[i];
    }
    vdev->num_clocks = v->num_clock;
    vdev->signals = g_new0(VFIOUserPlatformSignal, v->num_signal);
    for (i = 0; i < v->num_signal; i++) {
        vdev->signals[i].dev = vdev;
        vdev->signals[i].e = v->signal[i];
    }
    vdev->num_signals = v->num_signal;
    return true;
}

bool vfio_user_platform_load_cr(VFIOUserPlatform *vdev, Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    g_autofree uint64_t *sizes = NULL;
    g_autofree uint32_t *flags = NULL;
    g_autofree uint8_t *desc = NULL;
    struct vup_cr_device_limits lim;
    struct vup_cr_header h;
    char err[256];

    if (!vfio_user_platform_find_cr(vdev, errp)) {
        return false;
    }
    if (vdev->cr_size < sizeof(h)) {
        error_setg(errp, "control region (region %u) is only 0x%" PRIx64
                   " bytes", vdev->cr_index, vdev->cr_size);
        return false;
    }
    if (!vfio_user_platform_read_cr(vdev, 0, &h, sizeof(h), errp)) {
        return false;
    }
    /* The decoder checks the header again; this bounds what we read. */
    if (h.desc_size < sizeof(h) || h.desc_size > VUP_CR_MAX_DESC_SIZE ||
        h.desc_size > vdev->cr_size) {
        error_setg(errp, "control region header: desc_size %u is not "
                   "between %zu and min(%u, region size 0x%" PRIx64 ")",
                   h.desc_size, sizeof(h), VUP_CR_MAX_DESC_SIZE,
                   vdev->cr_size);
        return false;
    }
    desc = g_malloc0(h.desc_size);
    if (!vfio_user_platform_read_cr(vdev, 0, desc, h.desc_size, errp)) {
        return false;
    }
    if (memcmp(desc, &h, sizeof(h))) {
        error_setg(errp, "control region header changed while reading it");
        return false;
    }

    sizes = g_new0(uint64_t, vbasedev->num_initial_regions);
    flags = g_new0(uint32_t, vbasedev->num_initial_regions);
    if (!vfio_user_platform_limits(vdev, &lim, sizes, flags, errp)) {
        return false;
    }
    vdev->view = g_new0(struct vup_cr_view, 1);
    if (vup_cr_decode(desc, h.desc_size, &lim, vdev->view, err,
                      sizeof(err))) {
        error_setg(errp, "%s", err);
        return false;
    }
    /* Kept: the view points into it, and a reconnect compares it. */
    vdev->desc_size = h.desc_size;
    vdev->desc = g_steal_pointer(&desc);
    return vfio_user_platform_build(vdev, flags, errp);
}

void vfio_user_platform_free_cr(VFIOUserPlatform *vdev)
{
    unsigned int i;

    for (i = 0; i < vdev->num_windows; i++) {
        g_free(vdev->windows[i].direct);
    }
    g_free(vdev->windows);
    g_free(vdev->irqs);
    g_free(vdev->irq_out);
    g_free(vdev->clocks);
    for (i = 0; i < vdev->num_signals; i++) {
        g_free(vdev->signals[i].out);
    }
    g_free(vdev->signals);
    g_free(vdev->view);
    g_free(vdev->desc);
}

/*
 * A backend that comes back must describe exactly the device the board
 * mapped and wired: the same descriptor, byte for byte, and regions and
 * IRQ indices that still serve it.
 */
bool vfio_user_platform_check_same(VFIOUserPlatform *vdev, Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    uint32_t cr_index = vdev->cr_index;
    uint64_t cr_size = vdev->cr_size;
    g_autofree uint8_t *desc = g_malloc0(vdev->desc_size);
    unsigned int i;
    bool found;

    found = vfio_user_platform_find_cr(vdev, errp);
    if (found && (vdev->cr_index != cr_index || vdev->cr_size != cr_size)) {
        error_setg(errp, "the control region is region %u (0x%" PRIx64
                   " bytes), it was region %u (0x%" PRIx64 " bytes)",
                   vdev->cr_index, vdev->cr_size, cr_index, cr_size);
        found = false;
    }
    vdev->cr_index = cr_index;
    vdev->cr_size = cr_size;
    if (!found ||
        !vfio_user_platform_read_cr(vdev, 0, desc, vdev->desc_size, errp)) {
        return false;
    }
    if (memcmp(desc, vdev->desc, vdev->desc_size)) {
        error_setg(errp, "its control region describes another device");
        return false;
    }
    for (i = 0; i < vdev->num_windows; i++) {
        VFIOUserPlatformWindow *win = &vdev->windows[i];
        struct vfio_region_info *info;

        if (vfio_device_get_region_info(vbasedev, win->e->region_index,
                                        &info) ||
            (info->flags & (VFIO_REGION_INFO_FLAG_READ |
                            VFIO_REGION_INFO_FLAG_WRITE)) !=
            win->region_flags || info->size < win->size) {
            error_setg(errp, "region %u of window %s changed",
                       win->e->region_index, win->e->name);
            return false;
        }
    }
    return true;
}
