/*
 * vfio-user platform device: window accesses and server requests
 *
 * Each window is a MemoryRegion whose accesses take the fastest path the
 * backend and the fast-path property allow: a load from the window's
 * read-only register mirror (platform-shm.c), the shared-memory mailbox
 * (platform-shm.c), or one VFIO_USER_REGION_READ/WRITE on the calling
 * (vCPU) thread.  Posted writes stay ordered before later reads because
 * the socket and the mailbox are FIFO and the backend handles requests in
 * order.  Any reply (or mailbox response) also means the backend has
 * handled the posted writes sent before it: posted_pending tracks that for
 * the reads served from a mirror.
 *
 * Copyright (c) 2025 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/vfio.h>
#include "qapi/error.h"
#include "qemu/log.h"
#include "hw/vfio-user/device.h"
#include "hw/vfio-user/proxy.h"
#include "hw/vfio-user/trace.h"
#include "system/address-spaces.h"
#include "platform-internal.h"

/*
 * The access any vfio-user-platform device is forwarding (MMIO dispatch
 * holds the BQL): a backend that fails while another one serves the
 * guest's access, e.g. when a clock it consumes changes, names it too.
 */
static VFIOUserPlatformAccess *vfio_user_platform_current;

char *vfio_user_platform_access_str(VFIOUserPlatform *vdev)
{
    const VFIOUserPlatformAccess *a = &vdev->access;
    const char *other = "";

    if (!a->win && vfio_user_platform_current) {
        a = vfio_user_platform_current;
        other = a->win->dev->socket;
    }
    if (!a->win) {
        return NULL;
    }
    return g_strdup_printf("%s %s+0x%" HWADDR_PRIx "%s%s%s",
                           a->write ? "write to" : "read of", a->win->e->name,
                           a->addr, other[0] ? " (" : "", other,
                           other[0] ? ")" : "");
}

static void vfio_user_platform_access_begin(VFIOUserPlatformWindow *win,
                                            hwaddr addr, bool write)
{
    VFIOUserPlatform *vdev = win->dev;

    vdev->access = (VFIOUserPlatformAccess) {
        .win = win, .addr = addr, .write = write,
    };
    vfio_user_platform_current = &vdev->access;
}

static void vfio_user_platform_access_end(VFIOUserPlatform *vdev)
{
    vdev->access.win = NULL;
    vfio_user_platform_current = NULL;
}

/*
 * REGION_READ/REGION_WRITE through the vfio-user device helpers, which
 * tell a refusal (the backend's error reply: the guest's bus error) from
 * a failure (no valid answer).
 */
VUPIOResult vfio_user_platform_region_read(VFIOUserPlatform *vdev,
                                           uint32_t index, uint64_t offset,
                                           void *data, uint32_t count,
                                           Error **errp)
{
    Error *err = NULL;
    int ret;

    ret = vfio_user_region_read(vdev->vbasedev.proxy, index, offset, count,
                                data, &err);
    if (err) {
        error_propagate(errp, err);
        return VUP_IO_FAILED;
    }
    if (ret < 0) {
        /* Still a reply: the backend handled what we sent before. */
        vdev->posted_pending = false;
        error_setg_errno(errp, -ret, "backend refused the read");
        return VUP_IO_REFUSED;
    }
    if (ret != count) {
        error_setg(errp, "malformed read reply (%d bytes for %u)", ret,
                   count);
        return VUP_IO_FAILED;
    }
    vdev->posted_pending = false;
    return VUP_IO_OK;
}

VUPIOResult vfio_user_platform_region_write(VFIOUserPlatform *vdev,
                                            uint32_t index, uint64_t offset,
                                            const void *data, uint32_t count,
                                            bool post, Error **errp)
{
    Error *err = NULL;
    int ret;

    ret = vfio_user_region_write(vdev->vbasedev.proxy, index, offset, count,
                                 (void *)data, post, &err);
    if (err) {
        error_propagate(errp, err);
        return VUP_IO_FAILED;
    }
    if (ret < 0) {
        vdev->posted_pending = false;
        error_setg_errno(errp, -ret, "backend refused the write");
        return VUP_IO_REFUSED;
    }
    if (post) {
        vdev->posted_pending = true;
    } else {
        vdev->posted_pending = false;
    }
    return VUP_IO_OK;
}

static MemTxResult vfio_user_platform_window_result(VFIOUserPlatformWindow *w,
                                                    VUPIOResult ret,
                                                    Error *err)
{
    VFIOUserPlatform *vdev = w->dev;
    g_autofree char *access = NULL;

    switch (ret) {
    case VUP_IO_OK:
        vfio_user_platform_access_end(vdev);
        return MEMTX_OK;
    case VUP_IO_REFUSED:
        access = vfio_user_platform_access_str(vdev);
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s: %s\n", vdev->socket, access,
                      error_get_pretty(err));
        error_free(err);
        vfio_user_platform_access_end(vdev);
        return MEMTX_ERROR;
    default:
        vfio_user_platform_fail(vdev, err, NULL);
        vfio_user_platform_access_end(vdev);
        return vfio_user_platform_failed_access(vdev);
    }
}

/*
 * A guest access to a window: refused at once if the backend failed or
 * the region does not allow it, else forwarded by the mailbox or the
 * socket, and a synchronisation point after any answer.
 */
static MemTxResult vfio_user_platform_window_access(VFIOUserPlatformWindow *win,
                                                    hwaddr addr,
                                                    uint64_t *data,
                                                    unsigned size, bool write)
{
    VFIOUserPlatform *vdev = win->dev;
    bool post = write && win->posted;
    uint32_t need = write ? VFIO_REGION_INFO_FLAG_WRITE
                          : VFIO_REGION_INFO_FLAG_READ;
    uint8_t buf[8] = { 0 };
    Error *err = NULL;
    VUPIOResult ret;

    /* Input signals of this instant first: the access sees them. */
    vfio_user_platform_signals_flush(vdev);
    if (vdev->failed) {
        return vfio_user_platform_failed_access(vdev);
    }
    if (!(win->region_flags & need)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s %s window %s+0x%" HWADDR_PRIx
                      "\n", vdev->socket, write ? "write to" : "read of",
                      write ? "read-only" : "write-only", win->e->name, addr);
        return MEMTX_ERROR;
    }

    if (write) {
        trace_vfio_user_platform_write(win->e->name, addr, *data, size, post);
    }
    vfio_user_platform_access_begin(win, addr, write);
    if (vdev->mbox) {
        ret = vfio_user_platform_mbox_access(vdev, win, addr, data, size,
                                             write, post, &err);
    } else if (!vfio_user_platform_pre_access(vdev, post)) {
        ret = VUP_IO_FAILED;    /* reported */
    } else if (write) {
        stn_le_p(buf, size, *data);
        ret = vfio_user_platform_region_write(vdev, win->e->region_index,
                                              addr, buf, size, post, &err);
    } else {
        ret = vfio_user_platform_region_read(vdev, win->e->region_index,
                                             addr, buf, size, &err);
        *data = ldn_le_p(buf, size);
    }
    if (ret == VUP_IO_OK && !post) {
        if (!write) {
            trace_vfio_user_platform_read(win->e->name, addr, *data, size);
        }
        vfio_user_platform_sync(vdev);
    } else if (ret == VUP_IO_OK && vdev->sync_bh && !vdev->doorbell_active) {
        /*
         * A posted write has no reply, no sync point: catch up from the
         * main loop.  A backend with a doorbell rings it for what a posted
         * request changed, so a main-loop wake-up per write is not needed.
         */
        qemu_bh_schedule(vdev->sync_bh);
    }
    return vfio_user_platform_window_result(win, ret, err);
}

static MemTxResult vfio_user_platform_window_read(void *opaque, hwaddr addr,
                                                  uint64_t *data,
                                                  unsigned size,
                                                  MemTxAttrs attrs)
{
    VFIOUserPlatformWindow *win = opaque;

    *data = 0;
    vfio_user_platform_signals_flush(win->dev);
    if (!win->dev->failed &&
        vfio_user_platform_read_mirror(win, addr, size, data)) {
        trace_vfio_user_platform_read_direct(win->e->name, addr, *data, size);
        return MEMTX_OK;
    }
    return vfio_user_platform_window_access(win, addr, data, size, false);
}

static MemTxResult vfio_user_platform_window_write(void *opaque, hwaddr addr,
                                                   uint64_t data,
                                                   unsigned size,
                                                   MemTxAttrs attrs)
{
    return vfio_user_platform_window_access(opaque, addr, &data, size, true);
}

void vfio_user_platform_windows_init(VFIOUserPlatform *vdev)
{
    unsigned int i;

    for (i = 0; i < vdev->num_windows; i++) {
        VFIOUserPlatformWindow *win = &vdev->windows[i];
        const struct vup_cr_mmio *e = win->e;
        g_autofree char *mr_name = g_strdup_printf("vfio-user %s", e->name);

        win->ops = (MemoryRegionOps) {
            .read_with_attrs = vfio_user_platform_window_read,
            .write_with_attrs = vfio_user_platform_window_write,
            .endianness = DEVICE_LITTLE_ENDIAN,
            .valid.min_access_size = e->min_access,
            .valid.max_access_size = e->max_access,
            .impl.min_access_size = e->min_access,
            .impl.max_access_size = e->max_access,
        };
        memory_region_init_io(&win->mr, OBJECT(vdev), &win->ops, win,
                              mr_name, win->size);
        trace_vfio_user_platform_window(vdev->socket, e->name, e->base,
                                        win->size, e->region_index,
                                        e->flags);
    }
}

/* Requests from the backend (DMA); runs in the main loop with the BQL. */
void vfio_user_platform_process_req(void *opaque, VFIOUserMsg *msg)
{
    VFIOUserPlatform *vdev = opaque;
    VFIOUserProxy *proxy = vdev->vbasedev.proxy;
    VFIOUserHdr *hdr = msg->hdr;

    if (msg->fds != NULL) {
        vfio_user_send_error(proxy, hdr, EINVAL);
        vfio_user_putfds(msg);
        return;
    }

    switch (hdr->command) {
    case VFIO_USER_DMA_READ:
        vfio_user_dma_read(proxy, &address_space_memory,
                           (VFIOUserDMARW *)hdr);
        break;
    case VFIO_USER_DMA_WRITE:
        vfio_user_dma_write(proxy, &address_space_memory,
                            (VFIOUserDMARW *)hdr);
        break;
    default:
        vfio_user_send_error(proxy, hdr, ENOSYS);
    }
}
