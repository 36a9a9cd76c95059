/*
 * vfio-user platform device: an MCU peripheral served over vfio-user
 *
 * The backend (any vfio-user server) describes itself in a control region
 * (include/hw/vfio-user/vup-control-region.h): MMIO windows with their
 * guest physical addresses, interrupt lines with their NVIC numbers, and
 * hints for the board.  This device validates that description, forwards
 * window accesses as VFIO_USER_REGION_READ/WRITE (or through a shared
 * mailbox, or, for side-effect-free registers, reads them from a read-only
 * mirror the backend shares) and turns eventfd signals into qemu_irq
 * outputs.  Boards (e.g. vfio-user-mcu) map the windows and wire the
 * outputs.
 *
 * Copyright (c) 2025 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/vfio.h>
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/processor.h"
#include "hw/irq.h"
#include "hw/qdev-clock.h"
#include "hw/qdev-properties.h"
#include "hw/sysbus.h"
#include "hw/vfio/vfio-device.h"
#include "hw/vfio-user/device.h"
#include "hw/vfio-user/proxy.h"
#include "hw/vfio-user/platform.h"
#include "hw/vfio-user/trace.h"
#include "system/address-spaces.h"
#include "system/dma.h"
#include "system/runstate.h"
#include <linux/futex.h>
#include <sys/syscall.h>

/* Largest access forwarded without a heap allocation. */
#define VUP_SMALL_XFER 8

/* Bound on the region info capability chain we are willing to walk. */
#define VUP_MAX_REGION_CAPS 16

typedef enum {
    VUP_IO_OK,        /* done */
    VUP_IO_REFUSED,   /* the backend answered with an error */
    VUP_IO_FAILED,    /* no valid answer: backend dead, stuck or broken */
} VUPIOResult;

/*
 * The backend is gone or broken.  Say which one and what we were doing,
 * once.  Then, by the on-failure policy, stop QEMU with a failure exit
 * status, or drop the connection and let every later access to the
 * backend's windows fail at once with a bus error (and, with
 * reconnect-ms, try to get the backend back).
 */
static void G_GNUC_PRINTF(3, 4)
vfio_user_platform_fail(VFIOUserPlatform *vdev, Error *err,
                        const char *fmt, ...)
{
    g_autofree char *what = NULL;
    g_autofree char *then = NULL;
    va_list ap;

    if (vdev->failed) {
        error_free(err);
        return;
    }
    vdev->failed = true;

    va_start(ap, fmt);
    what = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    if (!vdev->bus_error) {
        then = g_strdup("stopping");
    } else if (vdev->reconnect_ms) {
        then = g_strdup_printf("its windows now give bus errors; "
                               "reconnecting every %u ms",
                               vdev->reconnect_ms);
    } else {
        then = g_strdup("its windows now give bus errors");
    }
    trace_vfio_user_platform_failed(vdev->socket, vdev->bus_error);
    error_report("vfio-user-platform %s: %s%s%s; %s", vdev->socket, what,
                 err ? ": " : "", err ? error_get_pretty(err) : "", then);
    error_free(err);
    if (!vdev->bus_error) {
        qemu_system_shutdown_request_with_code(SHUTDOWN_CAUSE_HOST_ERROR,
                                               EXIT_FAILURE);
        return;
    }
    /*
     * A backend that stopped answering might answer a later request, or
     * the next one might wait a whole timeout again: fail the connection
     * now, drop it from the main loop.
     */
    if (vdev->vbasedev.proxy) {
        vfio_user_abort(vdev->vbasedev.proxy);
    }
    qemu_bh_schedule(vdev->drop_bh);
}

/*
 * The result of an access to a failed device.  With on-failure=bus-error
 * the guest gets its bus error.  When stopping, QEMU exits as soon as the
 * main loop sees the request: a bus error meanwhile would only send the
 * guest into its fault handler, whose own accesses fault again until the
 * CPU locks up and aborts QEMU, so the access reads as 0 instead.
 */
static MemTxResult vfio_user_platform_failed_access(VFIOUserPlatform *vdev)
{
    return vdev->bus_error ? MEMTX_ERROR : MEMTX_OK;
}

/*
 * A reply that carries VFIO_USER_ERROR: the backend's answer, or the
 * proxy's own when the connection broke while we waited (the stream could
 * not be trusted any more).  Only the first is a refusal.
 */
static VUPIOResult vfio_user_platform_error_reply(VFIOUserPlatform *vdev,
                                                  VFIOUserHdr *hdr,
                                                  const char *what,
                                                  Error **errp)
{
    if (vdev->vbasedev.proxy->state != VFIO_PROXY_CONNECTED) {
        error_setg_errno(errp, ECONNRESET, "no valid reply to the %s", what);
        return VUP_IO_FAILED;
    }
    /* Still a reply: the backend handled what we sent before. */
    vdev->posted_pending = false;
    error_setg_errno(errp, hdr->error_reply, "backend refused the %s", what);
    return VUP_IO_REFUSED;
}

/*
 * Forwarding: one small function per direction.  Each access is one
 * request and (unless posted) one reply on the calling thread.  Posted
 * writes stay ordered before later reads because the socket is FIFO and
 * the backend handles requests in order.  The shared-memory mailbox
 * (VUP_CR_CAP_FAST_PATH, below) replaces both when the backend offers it.
 * Any reply (or mailbox response) also means the backend has handled the
 * posted writes sent before it: posted_pending tracks that for the reads
 * served from a mirror (DIRECT_MAPPED windows).
 */
static VUPIOResult vfio_user_platform_region_read(VFIOUserPlatform *vdev,
                                                  uint32_t index,
                                                  uint64_t offset,
                                                  void *data, uint32_t count,
                                                  Error **errp)
{
    VFIOUserProxy *proxy = vdev->vbasedev.proxy;
    QEMU_ALIGNED(8) uint8_t buf[sizeof(VFIOUserRegionRW) + VUP_SMALL_XFER];
    g_autofree uint8_t *heap = NULL;
    uint32_t size = sizeof(VFIOUserRegionRW) + count;
    VFIOUserRegionRW *msg;

    if (count > proxy->max_xfer_size) {
        error_setg(errp, "read of %u bytes exceeds max transfer size %"
                   PRIu64, count, proxy->max_xfer_size);
        return VUP_IO_FAILED;
    }
    if (count <= VUP_SMALL_XFER) {
        memset(buf, 0, sizeof(buf));
        msg = (VFIOUserRegionRW *)buf;
    } else {
        heap = g_malloc0(size);
        msg = (VFIOUserRegionRW *)heap;
    }

    vfio_user_request_msg(&msg->hdr, VFIO_USER_REGION_READ, sizeof(*msg), 0);
    msg->offset = offset;
    msg->region = index;
    msg->count = count;

    if (!vfio_user_send_wait(proxy, &msg->hdr, NULL, size, errp)) {
        return VUP_IO_FAILED;
    }
    if (msg->hdr.flags & VFIO_USER_ERROR) {
        return vfio_user_platform_error_reply(vdev, &msg->hdr, "read", errp);
    }
    if (msg->hdr.size != size || msg->count != count) {
        error_setg(errp, "malformed read reply (size %u, count %u for %u)",
                   msg->hdr.size, msg->count, count);
        return VUP_IO_FAILED;
    }
    vdev->posted_pending = false;
    memcpy(data, msg->data, count);
    return VUP_IO_OK;
}

static VUPIOResult vfio_user_platform_region_write(VFIOUserPlatform *vdev,
                                                   uint32_t index,
                                                   uint64_t offset,
                                                   const void *data,
                                                   uint32_t count, bool post,
                                                   Error **errp)
{
    VFIOUserProxy *proxy = vdev->vbasedev.proxy;
    QEMU_ALIGNED(8) uint8_t buf[sizeof(VFIOUserRegionRW) + VUP_SMALL_XFER];
    uint32_t size = sizeof(VFIOUserRegionRW) + count;
    VFIOUserRegionRW *msg;

    if (count > proxy->max_xfer_size) {
        error_setg(errp, "write of %u bytes exceeds max transfer size %"
                   PRIu64, count, proxy->max_xfer_size);
        return VUP_IO_FAILED;
    }

    if (post) {
        /* The proxy owns and frees the message once it is sent. */
        msg = g_malloc0(size);
        vfio_user_request_msg(&msg->hdr, VFIO_USER_REGION_WRITE, size,
                              VFIO_USER_NO_REPLY);
        msg->offset = offset;
        msg->region = index;
        msg->count = count;
        memcpy(msg->data, data, count);
        if (!vfio_user_send_async(proxy, &msg->hdr, NULL, errp)) {
            return VUP_IO_FAILED;
        }
        vdev->posted_pending = true;
        return VUP_IO_OK;
    }

    if (count > VUP_SMALL_XFER) {
        error_setg(errp, "synchronous write of %u bytes", count);
        return VUP_IO_FAILED;
    }
    memset(buf, 0, sizeof(buf));
    msg = (VFIOUserRegionRW *)buf;
    vfio_user_request_msg(&msg->hdr, VFIO_USER_REGION_WRITE, size, 0);
    msg->offset = offset;
    msg->region = index;
    msg->count = count;
    memcpy(msg->data, data, count);

    if (!vfio_user_send_wait(proxy, &msg->hdr, NULL, size, errp)) {
        return VUP_IO_FAILED;
    }
    if (msg->hdr.flags & VFIO_USER_ERROR) {
        return vfio_user_platform_error_reply(vdev, &msg->hdr, "write",
                                              errp);
    }
    if (msg->hdr.size < sizeof(*msg) || msg->count != count) {
        error_setg(errp, "malformed write reply (size %u, count %u for %u)",
                   msg->hdr.size, msg->count, count);
        return VUP_IO_FAILED;
    }
    vdev->posted_pending = false;
    return VUP_IO_OK;
}

static bool vfio_user_platform_pre_access(VFIOUserPlatform *vdev, bool post);
static void vfio_user_platform_sync(VFIOUserPlatform *vdev);

/*
 * Shared memory (docs/control-region.md, "Fast path").  A backend that
 * offers the control region's live part with VFIO_REGION_INFO_FLAG_MMAP
 * and a sparse-mmap area gets it mapped: synchronisation points read it
 * instead of sending REGION_READ, and vtime_ns is a store.  If the area
 * also holds the FAST_PATH mailbox, window accesses go through it: the
 * vCPU thread fills a ring slot, kicks the backend if it sleeps, and for
 * a read spins a bounded time on the response before sleeping on a futex.
 * Socket requests in that mode are all waited for, and the backend serves
 * the mailbox before each socket message, so both stay in one order.
 */

/*
 * How long the vCPU thread polls for a response before it sleeps: busy
 * for the first microseconds (a polling backend answers in well under
 * one), then yielding the CPU between polls, so that on a loaded host the
 * backend gets to run instead of being spun against.
 */
#define VUP_MBOX_BUSY_NS        (3 * SCALE_US)
/* Sleep slices, to notice a backend that went away. */
#define VUP_MBOX_SLICE_NS       (10 * SCALE_MS)

static void vfio_user_platform_unmap_shared(VFIOUserPlatform *vdev)
{
    unsigned int i;

    for (i = 0; i < vdev->num_windows; i++) {
        VFIOUserPlatformWindow *win = &vdev->windows[i];

        if (win->mirror) {
            munmap((void *)win->mirror, win->mirror_size);
            win->mirror = NULL;
            win->mirror_size = 0;
        }
    }
    if (vdev->mbox_kick_active) {
        event_notifier_cleanup(&vdev->mbox_kick);
        vdev->mbox_kick_active = false;
    }
    vdev->mbox = NULL;
    vdev->live_map = NULL;
    if (vdev->shm) {
        munmap(vdev->shm, vdev->shm_size);
        vdev->shm = NULL;
    }
}

/*
 * The first sparse-mmap area of a region (the control region's live part,
 * a DIRECT_MAPPED window's mirror), if its info offers one.
 */
static bool vfio_user_platform_shm_area(struct vfio_region_info *info,
                                        uint64_t *offset, uint64_t *size)
{
    struct vfio_region_info_cap_sparse_mmap *sparse;
    struct vfio_info_cap_header *hdr;
    uint32_t off = info->cap_offset;
    unsigned int steps;

    if (!(info->flags & VFIO_REGION_INFO_FLAG_MMAP) ||
        !(info->flags & VFIO_REGION_INFO_FLAG_CAPS)) {
        return false;
    }
    for (steps = 0; off && steps < VUP_MAX_REGION_CAPS; steps++) {
        if (off < sizeof(*info) || off % 4 ||
            off + sizeof(*hdr) > info->argsz) {
            return false;
        }
        hdr = (void *)info + off;
        if (hdr->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
            sparse = container_of(hdr,
                                  struct vfio_region_info_cap_sparse_mmap,
                                  header);
            if (off + sizeof(*sparse) + sizeof(sparse->areas[0]) >
                info->argsz || sparse->nr_areas < 1) {
                return false;
            }
            *offset = sparse->areas[0].offset;
            *size = sparse->areas[0].size;
            return true;
        }
        off = hdr->next;
    }
    return false;
}

/* The control region's live part and, if published, the mailbox. */
static void vfio_user_platform_map_live(VFIOUserPlatform *vdev)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    struct vfio_region_info *info;
    struct vup_cr_mailbox *m;
    uint64_t area_off, area_size;
    Error *err = NULL;
    const char *why;
    void *p;
    int fd;

    if (vfio_device_get_region_info(vbasedev, vdev->cr_index, &info) ||
        !vfio_user_platform_shm_area(info, &area_off, &area_size)) {
        why = "no sparse-mmap area";
        goto out;
    }
    fd = vfio_device_get_region_fd(vbasedev, vdev->cr_index);
    if (fd < 0 || area_off != vdev->live_offset ||
        area_size < sizeof(struct vup_cr_live) ||
        area_size > vdev->cr_size - area_off ||
        area_size % qemu_real_host_page_size() ||
        (info->offset + area_off) % qemu_real_host_page_size()) {
        why = "no fd, or the area is not the page-aligned live part";
        goto out;
    }
    p = mmap(NULL, area_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
             info->offset + area_off);
    if (p == MAP_FAILED) {
        why = "mmap failed";
        goto out;
    }
    vdev->shm = p;
    vdev->shm_size = area_size;
    vdev->live_map = p;

    why = "live part mapped";
    if (!vdev->use_mbox || !vdev->has_mbox_cap) {
        goto out;
    }
    if (vdev->mbox_offset < area_off || vdev->mbox_offset % 64 ||
        vdev->mbox_size < sizeof(*m) ||
        vdev->mbox_offset - area_off > area_size - sizeof(*m)) {
        why = "live part mapped; the mailbox is outside the area";
        goto out;
    }
    m = p + (vdev->mbox_offset - area_off);
    if (qatomic_read(&m->num_slots) != VUP_CR_MBOX_SLOTS ||
        qatomic_read(&m->kick_irq) >= vbasedev->num_irqs ||
        qatomic_read(&m->head) != qatomic_read(&m->tail)) {
        why = "live part mapped; the mailbox header is not usable";
        goto out;
    }
    if (event_notifier_init(&vdev->mbox_kick, 0)) {
        why = "live part mapped; no eventfd for the mailbox";
        goto out;
    }
    vdev->mbox_kick_active = true;
    if (!vfio_device_irq_set_signaling(vbasedev, qatomic_read(&m->kick_irq),
                                       0, VFIO_IRQ_SET_ACTION_TRIGGER,
                                       event_notifier_get_fd(
                                           &vdev->mbox_kick), &err)) {
        error_free(err);
        event_notifier_cleanup(&vdev->mbox_kick);
        vdev->mbox_kick_active = false;
        why = "live part mapped; the backend refused the kick eventfd";
        goto out;
    }
    vdev->mbox_head = qatomic_read(&m->head);
    vdev->mbox = m;
    why = "live part and mailbox mapped";

out:
    trace_vfio_user_platform_shm(vdev->socket, why);
}

/*
 * A DIRECT_MAPPED window's read-only mirror: the sparse-mmap area at
 * offset 0 of its region, at least the window's size, page aligned, in
 * the region's fd at the (page-aligned) info offset.  The fd must really
 * hold it: a load past its end would be a SIGBUS, not a bus error.
 */
static void vfio_user_platform_map_mirror(VFIOUserPlatform *vdev,
                                          VFIOUserPlatformWindow *win)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    uint64_t page = qemu_real_host_page_size();
    uint64_t len = ROUND_UP(win->size, page);
    struct vfio_region_info *info;
    uint64_t area_off, area_size;
    const char *why;
    struct stat st;
    void *p;
    int fd;

    if (!win->num_direct) {
        why = "no DIRECT ranges, mirror not mapped";
        goto out;
    }
    if (vfio_device_get_region_info(vbasedev, win->region_index, &info) ||
        !vfio_user_platform_shm_area(info, &area_off, &area_size)) {
        why = "no sparse-mmap area";
        goto out;
    }
    fd = vfio_device_get_region_fd(vbasedev, win->region_index);
    if (fd < 0) {
        why = "no fd for the region";
        goto out;
    }
    if (area_off != 0 || area_size < win->size || area_size % page) {
        why = "the area is not the page-aligned window at offset 0";
        goto out;
    }
    if (info->offset % page) {
        why = "the mirror's offset in the fd is not page aligned";
        goto out;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
        info->offset > (uint64_t)st.st_size ||
        len > (uint64_t)st.st_size - info->offset) {
        why = "the fd is not a file that holds the mirror";
        goto out;
    }
    p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, info->offset);
    if (p == MAP_FAILED) {
        why = "mmap failed";
        goto out;
    }
    win->mirror = p;
    win->mirror_size = len;
    why = "mirror mapped";

out:
    trace_vfio_user_platform_mirror(vdev->socket, win->name, why);
}

/*
 * Map what the backend shares.  Nothing here is required: on any problem
 * the device keeps the standard path and says why in a trace.
 */
static void vfio_user_platform_map_shared(VFIOUserPlatform *vdev)
{
    unsigned int i;

    vfio_user_platform_unmap_shared(vdev);
    vdev->mbox_head = 0;
    if (vdev->map_live && vdev->live_offset) {
        vfio_user_platform_map_live(vdev);
    }
    for (i = 0; vdev->use_direct && i < vdev->num_windows; i++) {
        if (vdev->windows[i].flags & VUP_CR_MMIO_DIRECT_MAPPED) {
            vfio_user_platform_map_mirror(vdev, &vdev->windows[i]);
        }
    }
}

/*
 * Wait until *@addr is no longer @val: spin, then sleep on the futex
 * (the backend wakes it when QEMU says it waits).  False with @errp set
 * when the backend is gone or took longer than msg-timeout.
 */
static bool vfio_user_platform_mbox_wait(VFIOUserPlatform *vdev,
                                         uint32_t *addr, uint32_t val,
                                         Error **errp)
{
    struct vup_cr_mailbox *m = vdev->mbox;
    VFIOUserProxy *proxy = vdev->vbasedev.proxy;
    int64_t start = get_clock();
    int64_t end = start + (int64_t)vdev->msg_timeout * SCALE_MS;
    int64_t now;

    do {
        if (qatomic_load_acquire(addr) != val) {
            return true;
        }
        now = get_clock();
        if (now - start < VUP_MBOX_BUSY_NS) {
            cpu_relax();
        } else {
            sched_yield();
        }
    } while (now - start < (int64_t)vdev->spin_us * SCALE_US);

    for (;;) {
        struct timespec ts = {
            .tv_nsec = MIN(VUP_MBOX_SLICE_NS, MAX(end - now, 1)),
        };

        qatomic_set(&m->q_waiting, 1);
        /* Pairs with the backend's fence between resp_seq and q_waiting. */
        smp_mb();
        if (qatomic_load_acquire(addr) == val) {
            syscall(__NR_futex, addr, FUTEX_WAIT, val, &ts, NULL, 0);
        }
        qatomic_set(&m->q_waiting, 0);
        if (qatomic_load_acquire(addr) != val) {
            return true;
        }
        if (proxy->state != VFIO_PROXY_CONNECTED) {
            error_setg_errno(errp, ECONNRESET, "server connection lost");
            return false;
        }
        now = get_clock();
        if (now >= end) {
            error_setg_errno(errp, ETIMEDOUT, "timed out waiting for a "
                             "response in the mailbox (%u ms)",
                             vdev->msg_timeout);
            return false;
        }
    }
}

static VUPIOResult vfio_user_platform_mbox_access(VFIOUserPlatform *vdev,
                                                  VFIOUserPlatformWindow *win,
                                                  hwaddr addr, uint64_t *data,
                                                  unsigned size, bool write,
                                                  bool post, Error **errp)
{
    struct vup_cr_mailbox *m = vdev->mbox;
    uint32_t n = vdev->mbox_head;
    struct vup_cr_mbox_req *r;
    uint32_t tail, status;

    /* Posted writes may have filled the ring. */
    while (n - (tail = qatomic_load_acquire(&m->tail)) >= VUP_CR_MBOX_SLOTS) {
        if (!vfio_user_platform_mbox_wait(vdev, &m->tail, tail, errp)) {
            return VUP_IO_FAILED;
        }
    }
    r = &m->ring[n % VUP_CR_MBOX_SLOTS];
    r->op = write ? VUP_CR_MBOX_OP_WRITE : VUP_CR_MBOX_OP_READ;
    r->size = size;
    r->flags = post ? VUP_CR_MBOX_POSTED : 0;
    r->region = win->region_index;
    r->offset = addr;
    r->data = write ? *data : 0;
    if (vdev->has_vtime) {
        uint64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

        if (now != vdev->vtime_sent) {
            trace_vfio_user_platform_vtime(vdev->socket, now, post);
        }
        r->flags |= VUP_CR_MBOX_VTIME;
        r->vtime_ns = now;
        /* Later socket requests are waited for: they see it there. */
        qatomic_set(&vdev->live_map->vtime_ns, now);
        vdev->vtime_sent = now;
    }
    vdev->mbox_head = n + 1;
    qatomic_store_release(&m->head, n + 1);
    /* Pairs with the backend's fence between b_sleeping and head. */
    smp_mb();
    if (qatomic_read(&m->b_sleeping)) {
        event_notifier_set(&vdev->mbox_kick);
    }
    trace_vfio_user_platform_mbox(win->name, addr, write ? *data : 0, size,
                                  write, post);
    if (post) {
        vdev->posted_pending = true;
        return VUP_IO_OK;
    }

    for (;;) {
        uint32_t seq = qatomic_load_acquire(&m->resp_seq);

        if (seq == n + 1) {
            break;
        }
        if (!vfio_user_platform_mbox_wait(vdev, &m->resp_seq, seq, errp)) {
            return VUP_IO_FAILED;
        }
    }
    /* The backend serves the ring in order: posted writes before n too. */
    vdev->posted_pending = false;
    status = qatomic_read(&m->status);
    if (status) {
        error_setg_errno(errp, status, "backend refused the %s",
                         write ? "write" : "read");
        return VUP_IO_REFUSED;
    }
    if (!write) {
        *data = qatomic_read(&m->resp_data);
    }
    return VUP_IO_OK;
}

/*
 * The live part, from the mapping: seq first (acquire), then the fields.
 * A change after the seq load bumps it again and rings the doorbell, so a
 * later synchronisation point applies it.
 */
static void vfio_user_platform_live_load(VFIOUserPlatform *vdev,
                                         struct vup_cr_live *live)
{
    struct vup_cr_live *l = vdev->live_map;
    unsigned int i;

    live->seq = qatomic_load_acquire(&l->seq);
    live->deadline_ns = qatomic_read(&l->deadline_ns);
    for (i = 0; i < ARRAY_SIZE(live->irq_level); i++) {
        live->irq_level[i] = qatomic_read(&l->irq_level[i]);
    }
    for (i = 0; i < ARRAY_SIZE(live->clock_hz); i++) {
        live->clock_hz[i] = qatomic_read(&l->clock_hz[i]);
    }
}


/* MMIO windows */

/*
 * A read served from a DIRECT_MAPPED window's mirror (docs/control-region.md,
 * "Direct-mapped windows"): it must lie entirely inside one DIRECT range,
 * and no posted write may be waiting to be handled, since the mirror would
 * not show its effect yet (such a read is forwarded, which orders it after
 * them).  The backend keeps the mirror up to date with aligned, untorn
 * stores; one untorn load reads it.  No message, no synchronisation point.
 */
static bool vfio_user_platform_read_mirror(VFIOUserPlatformWindow *win,
                                           hwaddr addr, unsigned size,
                                           uint64_t *data)
{
    const VFIOUserPlatformDirect *d;
    unsigned int lo = 0, hi = win->num_direct;
    const void *p;

    if (!win->mirror || win->dev->posted_pending || size > ATOMIC_REG_SIZE ||
        !QEMU_IS_ALIGNED(addr, size) || addr >= win->size) {
        return false;
    }
    /* The last range that starts at or below addr (they do not overlap). */
    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;

        if (win->direct[mid].offset <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (!lo) {
        return false;
    }
    d = &win->direct[lo - 1];
    if (addr - d->offset >= d->size || size > d->size - (addr - d->offset)) {
        return false;
    }

    p = win->mirror + addr;
    switch (size) {
    case 1:
        *data = qatomic_read((const uint8_t *)p);
        break;
    case 2:
        *data = le16_to_cpu(qatomic_read((const uint16_t *)p));
        break;
    case 4:
        *data = le32_to_cpu(qatomic_read((const uint32_t *)p));
        break;
    default:
        *data = le64_to_cpu(qatomic_read__nocheck((const uint64_t *)p));
        break;
    }
    return true;
}

static MemTxResult vfio_user_platform_window_read(void *opaque, hwaddr addr,
                                                  uint64_t *data,
                                                  unsigned size,
                                                  MemTxAttrs attrs)
{
    VFIOUserPlatformWindow *win = opaque;
    VFIOUserPlatform *vdev = win->dev;
    uint8_t buf[8] = { 0 };
    Error *err = NULL;
    VUPIOResult ret;

    *data = 0;
    if (vdev->failed) {
        return vfio_user_platform_failed_access(vdev);
    }
    if (!(win->region_flags & VFIO_REGION_INFO_FLAG_READ)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: read of write-only window "
                      "%s+0x%" HWADDR_PRIx "\n", vdev->socket, win->name,
                      addr);
        return MEMTX_ERROR;
    }

    if (vfio_user_platform_read_mirror(win, addr, size, data)) {
        trace_vfio_user_platform_read_direct(win->name, addr, *data, size);
        return MEMTX_OK;
    }
    if (vdev->mbox) {
        ret = vfio_user_platform_mbox_access(vdev, win, addr, data, size,
                                             false, false, &err);
    } else if (!vfio_user_platform_pre_access(vdev, false)) {
        return vfio_user_platform_failed_access(vdev);
    } else {
        ret = vfio_user_platform_region_read(vdev, win->region_index, addr,
                                             buf, size, &err);
        *data = ldn_le_p(buf, size);
    }
    switch (ret) {
    case VUP_IO_OK:
        trace_vfio_user_platform_read(win->name, addr, *data, size);
        vfio_user_platform_sync(vdev);
        return MEMTX_OK;
    case VUP_IO_REFUSED:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: read of %s+0x%" HWADDR_PRIx
                      ": %s\n", vdev->socket, win->name, addr,
                      error_get_pretty(err));
        error_free(err);
        return MEMTX_ERROR;
    default:
        vfio_user_platform_fail(vdev, err, "read of %s+0x%" HWADDR_PRIx
                                " failed",
                                win->name, addr);
        return vfio_user_platform_failed_access(vdev);
    }
}

static MemTxResult vfio_user_platform_window_write(void *opaque, hwaddr addr,
                                                   uint64_t data,
                                                   unsigned size,
                                                   MemTxAttrs attrs)
{
    VFIOUserPlatformWindow *win = opaque;
    VFIOUserPlatform *vdev = win->dev;
    bool post = win->flags & VUP_CR_MMIO_POSTED_WRITES;
    uint8_t buf[8];
    Error *err = NULL;
    VUPIOResult ret;

    if (vdev->failed) {
        return vfio_user_platform_failed_access(vdev);
    }
    if (!(win->region_flags & VFIO_REGION_INFO_FLAG_WRITE)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write to read-only window "
                      "%s+0x%" HWADDR_PRIx "\n", vdev->socket, win->name,
                      addr);
        return MEMTX_ERROR;
    }

    trace_vfio_user_platform_write(win->name, addr, data, size, post);
    if (vdev->mbox) {
        ret = vfio_user_platform_mbox_access(vdev, win, addr, &data, size,
                                             true, post, &err);
    } else if (!vfio_user_platform_pre_access(vdev, post)) {
        return vfio_user_platform_failed_access(vdev);
    } else {
        stn_le_p(buf, size, data);
        ret = vfio_user_platform_region_write(vdev, win->region_index, addr,
                                              buf, size, post, &err);
    }
    switch (ret) {
    case VUP_IO_OK:
        if (!post) {
            vfio_user_platform_sync(vdev);
        } else if (vdev->sync_bh && !vdev->doorbell_active) {
            /*
             * No reply, no sync point: catch up from the main loop.  A
             * backend with a doorbell rings it for what a posted request
             * changed, so a main-loop wake-up per write is not needed.
             */
            qemu_bh_schedule(vdev->sync_bh);
        }
        return MEMTX_OK;
    case VUP_IO_REFUSED:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write to %s+0x%" HWADDR_PRIx
                      ": %s\n", vdev->socket, win->name, addr,
                      error_get_pretty(err));
        error_free(err);
        return MEMTX_ERROR;
    default:
        vfio_user_platform_fail(vdev, err, "write to %s+0x%" HWADDR_PRIx
                                " failed",
                                win->name, addr);
        return vfio_user_platform_failed_access(vdev);
    }
}

/*
 * The live part and synchronisation points (docs/control-region.md, "Time,
 * clocks and synchronisation points").  QEMU re-reads the live part after
 * every non-posted reply, when an IRQ eventfd or the doorbell rings, and
 * when a deadline fires; it then applies output clocks, IRQ levels and the
 * next deadline, in that order.  Edge pulses the backend signalled before
 * its reply are taken at the same points.  So whatever a guest access or a
 * backend timer changes takes effect before the guest's next instruction,
 * independently of when the main loop sees the eventfds: runs are
 * deterministic under -icount.
 */

static bool vfio_user_platform_live_write(VFIOUserPlatform *vdev,
                                          uint32_t field, uint64_t value,
                                          bool post, const char *what)
{
    uint8_t buf[8];
    Error *err = NULL;

    stq_le_p(buf, value);
    if (vfio_user_platform_region_write(vdev, vdev->cr_index,
                                        vdev->live_offset + field, buf,
                                        sizeof(buf), post, &err) !=
        VUP_IO_OK) {
        vfio_user_platform_fail(vdev, err, "writing %s to the live part "
                                "failed", what);
        return false;
    }
    return true;
}

/* VIRTUAL_TIME: tell the backend the guest's virtual time. */
static bool vfio_user_platform_send_vtime(VFIOUserPlatform *vdev, bool post)
{
    uint64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    /* The backend reads it there before any request it answers. */
    if (vdev->live_map) {
        qatomic_set(&vdev->live_map->vtime_ns, now);
    }
    if (post && now == vdev->vtime_sent) {
        return true;
    }
    trace_vfio_user_platform_vtime(vdev->socket, now, post);
    vdev->vtime_sent = now;
    return vfio_user_platform_live_write(vdev,
                                         offsetof(struct vup_cr_live,
                                                  vtime_ns),
                                         now, post, "vtime_ns");
}

static void vfio_user_platform_set_irq(VFIOUserPlatform *vdev,
                                       VFIOUserPlatformIRQ *irq, bool level)
{
    if (level != irq->level) {
        irq->level = level;
        trace_vfio_user_platform_irq(irq->name, irq->line, level);
        qemu_set_irq(vdev->irq_out[irq->out], level);
    }
}

static void vfio_user_platform_set_deadline(VFIOUserPlatform *vdev,
                                            uint64_t deadline)
{
    if (deadline == vdev->deadline_ns) {
        return;
    }
    vdev->deadline_ns = deadline;
    trace_vfio_user_platform_deadline(vdev->socket, deadline);
    if (deadline == VUP_CR_NO_DEADLINE) {
        timer_del(vdev->deadline_timer);
        return;
    }
    /*
     * The backend already ran everything due by the time it was told:
     * an earlier deadline means "as soon as possible", not a busy loop.
     */
    if (vdev->vtime_sent != UINT64_MAX && deadline <= vdev->vtime_sent) {
        deadline = vdev->vtime_sent + 1;
    }
    timer_mod(vdev->deadline_timer, MIN(deadline, (uint64_t)INT64_MAX));
}

static void vfio_user_platform_sync_once(VFIOUserPlatform *vdev)
{
    struct vup_cr_live live;
    Error *err = NULL;
    unsigned int i;

    /*
     * Eventfds the backend wrote before its reply are set by now.  With
     * the live part mapped, only EDGE lines need clearing here (a read
     * each): LEVEL lines and the doorbell only say "look at the live
     * part", which a mapped one makes cheap to do again from their
     * handlers.
     */
    for (i = 0; i < vdev->num_irqs; i++) {
        VFIOUserPlatformIRQ *irq = &vdev->irqs[i];

        if (!irq->notifier_active ||
            (vdev->live_map && !(irq->flags & VUP_CR_IRQ_EDGE))) {
            continue;
        }
        if (event_notifier_test_and_clear(&irq->notifier) &&
            (irq->flags & VUP_CR_IRQ_EDGE)) {
            trace_vfio_user_platform_irq(irq->name, irq->line, 2);
            qemu_irq_pulse(vdev->irq_out[irq->out]);
        }
    }
    if (vdev->doorbell_active && !vdev->live_map) {
        event_notifier_test_and_clear(&vdev->doorbell);
    }
    if (!vdev->live_offset || vdev->failed) {
        return;
    }

    if (vdev->live_map) {
        vfio_user_platform_live_load(vdev, &live);
    } else if (vfio_user_platform_region_read(vdev, vdev->cr_index,
                                              vdev->live_offset, &live,
                                              sizeof(live), &err) !=
               VUP_IO_OK) {
        vfio_user_platform_fail(vdev, err, "reading the live part failed");
        return;
    }
    if (vdev->live_valid && live.seq == vdev->live_seq) {
        return;
    }
    vdev->live_valid = true;
    vdev->live_seq = live.seq;
    trace_vfio_user_platform_sync(vdev->socket, live.seq);

    for (i = 0; i < vdev->num_clocks && !vdev->failed; i++) {
        VFIOUserPlatformClock *c = &vdev->clocks[i];
        uint64_t hz = le64_to_cpu(live.clock_hz[c->live_index]);

        if (!(c->flags & VUP_CR_CLOCK_OUTPUT) || hz == c->hz) {
            continue;
        }
        if (hz > VUP_CR_CLOCK_MAX_HZ) {
            vfio_user_platform_fail(vdev, NULL, "clock %s: %" PRIu64 " Hz "
                                    "in the live part is above %" PRIu64,
                                    c->name, hz, VUP_CR_CLOCK_MAX_HZ);
            return;
        }
        c->hz = hz;
        trace_vfio_user_platform_clock_out(vdev->socket, c->name, hz);
        clock_update(c->clk, CLOCK_PERIOD_FROM_HZ(hz));
    }

    for (i = 0; i < vdev->num_irqs && !vdev->failed; i++) {
        VFIOUserPlatformIRQ *irq = &vdev->irqs[i];
        uint32_t word = le32_to_cpu(live.irq_level[irq->irq_index / 32]);

        if (irq->flags & VUP_CR_IRQ_LEVEL) {
            vfio_user_platform_set_irq(vdev, irq,
                                       (word >> (irq->irq_index % 32)) & 1);
        }
    }

    if (vdev->has_vtime && !vdev->failed) {
        vfio_user_platform_set_deadline(vdev, le64_to_cpu(live.deadline_ns));
    }
}

/*
 * A synchronisation point.  Applying a clock can write another backend's
 * input and synchronise it, which can come back here: the outer call then
 * goes round again instead of nesting.
 */
static void vfio_user_platform_sync(VFIOUserPlatform *vdev)
{
    if (vdev->failed || !vdev->vbasedev.proxy) {
        return;
    }
    if (vdev->syncing) {
        vdev->resync = true;
        return;
    }
    vdev->syncing = true;
    do {
        vdev->resync = false;
        vfio_user_platform_sync_once(vdev);
    } while (vdev->resync && !vdev->failed);
    vdev->syncing = false;
}

static void vfio_user_platform_sync_bh(void *opaque)
{
    vfio_user_platform_sync(opaque);
}

/*
 * Before forwarding an access: the backend runs its timers due by now.
 * With the live part mapped, a store does for an access we wait for; a
 * posted one may be overtaken by the next store, so it still gets the
 * time in the message stream (a posted write, only when it changed).
 */
static bool vfio_user_platform_pre_access(VFIOUserPlatform *vdev, bool post)
{
    if (!vdev->has_vtime) {
        return true;
    }
    if (vdev->live_map && !post) {
        uint64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

        if (now != vdev->vtime_sent) {
            trace_vfio_user_platform_vtime(vdev->socket, now, false);
            vdev->vtime_sent = now;
        }
        qatomic_set(&vdev->live_map->vtime_ns, now);
        return true;
    }
    return vfio_user_platform_send_vtime(vdev, true);
}

static void vfio_user_platform_deadline_cb(void *opaque)
{
    VFIOUserPlatform *vdev = opaque;

    if (vdev->failed) {
        return;
    }
    trace_vfio_user_platform_deadline_fire(vdev->socket, vdev->deadline_ns);
    /* Re-armed by the sync below if the backend still wants a wake-up. */
    vdev->deadline_ns = VUP_CR_NO_DEADLINE;
    if (vfio_user_platform_send_vtime(vdev, false)) {
        vfio_user_platform_sync(vdev);
    }
}

/* An input clock changed: the backend sees it before the guest goes on. */
static void vfio_user_platform_push_input(VFIOUserPlatform *vdev,
                                          VFIOUserPlatformClock *c)
{
    uint64_t period = clock_get(c->clk);
    uint64_t hz = period ? CLOCK_PERIOD_1SEC / period : 0;

    if (vdev->failed || !vdev->vbasedev.proxy || !vdev->live_offset) {
        return;
    }
    c->hz = hz;
    trace_vfio_user_platform_clock_in(vdev->socket, c->name, hz);
    if (vfio_user_platform_live_write(vdev,
                                      offsetof(struct vup_cr_live,
                                               clock_hz[c->live_index]),
                                      hz, false, c->name)) {
        vfio_user_platform_sync(vdev);
    }
}

static void vfio_user_platform_clock_in_cb(void *opaque, ClockEvent event)
{
    VFIOUserPlatformClock *c = opaque;

    vfio_user_platform_push_input(c->dev, c);
}

static void vfio_user_platform_push_inputs(VFIOUserPlatform *vdev)
{
    unsigned int i;

    for (i = 0; i < vdev->num_clocks; i++) {
        if (vdev->clocks[i].flags & VUP_CR_CLOCK_INPUT) {
            vfio_user_platform_push_input(vdev, &vdev->clocks[i]);
        }
    }
}

static bool vfio_user_platform_clocks_init(VFIOUserPlatform *vdev,
                                           Error **errp)
{
    DeviceState *dev = DEVICE(vdev);
    unsigned int i;

    for (i = 0; i < vdev->num_clocks; i++) {
        VFIOUserPlatformClock *c = &vdev->clocks[i];

        /* The QOM child is named after the clock. */
        if (strchr(c->name, '/') || g_str_has_suffix(c->name, "[*]") ||
            object_property_find(OBJECT(vdev), c->name)) {
            error_setg(errp, "control region entry %u (clock \"%s\"): "
                       "the name cannot be a QOM child of the device",
                       c->entry, c->name);
            return false;
        }
        c->dev = vdev;
        if (c->flags & VUP_CR_CLOCK_OUTPUT) {
            c->clk = qdev_init_clock_out(dev, c->name);
            c->hz = c->freq_hz;
            clock_set(c->clk, CLOCK_PERIOD_FROM_HZ(c->freq_hz));
        } else {
            c->clk = qdev_init_clock_in(dev, c->name,
                                        vfio_user_platform_clock_in_cb, c,
                                        ClockUpdate);
        }
        trace_vfio_user_platform_clock(vdev->socket, c->name, c->flags,
                                       c->live_index, c->freq_hz);
    }
    return true;
}

/* Interrupts */

static void vfio_user_platform_irq_handler(EventNotifier *n)
{
    VFIOUserPlatformIRQ *irq = container_of(n, VFIOUserPlatformIRQ, notifier);
    VFIOUserPlatform *vdev = irq->dev;

    if (!event_notifier_test_and_clear(n) || vdev->failed) {
        return;
    }
    if (irq->flags & VUP_CR_IRQ_EDGE) {
        trace_vfio_user_platform_irq(irq->name, irq->line, 2);
        qemu_irq_pulse(vdev->irq_out[irq->out]);
    } else {
        vfio_user_platform_sync(vdev);
    }
}

/* Control events outside a request: clock or deadline changes. */
static void vfio_user_platform_doorbell_handler(EventNotifier *n)
{
    VFIOUserPlatform *vdev = container_of(n, VFIOUserPlatform, doorbell);

    if (event_notifier_test_and_clear(n) && !vdev->failed) {
        vfio_user_platform_sync(vdev);
    }
}

static bool vfio_user_platform_irqs_init(VFIOUserPlatform *vdev,
                                         Error **errp)
{
    unsigned int i;

    vdev->irq_out = g_new0(qemu_irq, vdev->num_irqs);
    for (i = 0; i < vdev->num_irqs; i++) {
        VFIOUserPlatformIRQ *irq = &vdev->irqs[i];

        irq->out = i;
        sysbus_init_irq(SYS_BUS_DEVICE(vdev), &vdev->irq_out[i]);
        if (event_notifier_init(&irq->notifier, 0)) {
            error_setg_errno(errp, errno, "irq %s: cannot create eventfd",
                             irq->name);
            return false;
        }
        irq->notifier_active = true;
        event_notifier_set_handler(&irq->notifier,
                                   vfio_user_platform_irq_handler);
        if (!vfio_device_irq_set_signaling(&vdev->vbasedev, irq->irq_index,
                                           0, VFIO_IRQ_SET_ACTION_TRIGGER,
                                           event_notifier_get_fd(
                                               &irq->notifier), errp)) {
            error_prepend(errp, "irq %s: ", irq->name);
            return false;
        }
    }

    if (vdev->has_doorbell) {
        if (event_notifier_init(&vdev->doorbell, 0)) {
            error_setg_errno(errp, errno, "doorbell: cannot create eventfd");
            return false;
        }
        vdev->doorbell_active = true;
        event_notifier_set_handler(&vdev->doorbell,
                                   vfio_user_platform_doorbell_handler);
        if (!vfio_device_irq_set_signaling(&vdev->vbasedev,
                                           vdev->doorbell_index, 0,
                                           VFIO_IRQ_SET_ACTION_TRIGGER,
                                           event_notifier_get_fd(
                                               &vdev->doorbell), errp)) {
            error_prepend(errp, "doorbell (irq index %u): ",
                          vdev->doorbell_index);
            return false;
        }
    }
    return true;
}

static void vfio_user_platform_irqs_exit(VFIOUserPlatform *vdev)
{
    unsigned int i;

    for (i = 0; i < vdev->num_irqs; i++) {
        VFIOUserPlatformIRQ *irq = &vdev->irqs[i];

        if (irq->notifier_active) {
            event_notifier_set_handler(&irq->notifier, NULL);
            event_notifier_cleanup(&irq->notifier);
            irq->notifier_active = false;
        }
    }
    if (vdev->doorbell_active) {
        event_notifier_set_handler(&vdev->doorbell, NULL);
        event_notifier_cleanup(&vdev->doorbell);
        vdev->doorbell_active = false;
    }
}

/* Requests from the backend: DMA to and from guest memory. */

static void vfio_user_platform_dma_read(VFIOUserPlatform *vdev,
                                        VFIOUserDMARW *msg)
{
    VFIOUserProxy *proxy = vdev->vbasedev.proxy;
    VFIOUserDMARW *res;
    MemTxResult r;
    size_t size;

    if (msg->hdr.size < sizeof(*msg)) {
        vfio_user_send_error(proxy, &msg->hdr, EINVAL);
        return;
    }
    if (msg->count > proxy->max_xfer_size) {
        vfio_user_send_error(proxy, &msg->hdr, E2BIG);
        return;
    }

    size = msg->count + sizeof(VFIOUserDMARW);
    res = g_malloc0(size);
    memcpy(res, msg, sizeof(*res));
    g_free(msg);

    r = dma_memory_read(&address_space_memory, res->offset, &res->data,
                        res->count, MEMTXATTRS_UNSPECIFIED);
    if (r != MEMTX_OK) {
        vfio_user_send_error(proxy, &res->hdr, EFAULT);
        return;
    }
    if (res->hdr.flags & VFIO_USER_NO_REPLY) {
        g_free(res);
        return;
    }
    vfio_user_send_reply(proxy, &res->hdr, size);
}

static void vfio_user_platform_dma_write(VFIOUserPlatform *vdev,
                                         VFIOUserDMARW *msg)
{
    VFIOUserProxy *proxy = vdev->vbasedev.proxy;
    MemTxResult r;

    if (msg->hdr.size < sizeof(*msg) ||
        msg->count > msg->hdr.size - sizeof(*msg)) {
        vfio_user_send_error(proxy, &msg->hdr, EINVAL);
        return;
    }

    r = dma_memory_write(&address_space_memory, msg->offset, &msg->data,
                         msg->count, MEMTXATTRS_UNSPECIFIED);
    if (r != MEMTX_OK) {
        vfio_user_send_error(proxy, &msg->hdr, EFAULT);
        return;
    }
    if (msg->hdr.flags & VFIO_USER_NO_REPLY) {
        g_free(msg);
        return;
    }
    vfio_user_send_reply(proxy, &msg->hdr, sizeof(msg->hdr));
}

/* Runs in the main loop with the BQL held. */
static void vfio_user_platform_process_req(void *opaque, VFIOUserMsg *msg)
{
    VFIOUserPlatform *vdev = opaque;
    VFIOUserHdr *hdr = msg->hdr;

    if (msg->fds != NULL) {
        vfio_user_send_error(vdev->vbasedev.proxy, hdr, EINVAL);
        vfio_user_putfds(msg);
        return;
    }

    switch (hdr->command) {
    case VFIO_USER_DMA_READ:
        vfio_user_platform_dma_read(vdev, (VFIOUserDMARW *)hdr);
        break;
    case VFIO_USER_DMA_WRITE:
        vfio_user_platform_dma_write(vdev, (VFIOUserDMARW *)hdr);
        break;
    default:
        vfio_user_send_error(vdev->vbasedev.proxy, hdr, ENOSYS);
    }
}

static void vfio_user_platform_disconnected(void *opaque)
{
    VFIOUserPlatform *vdev = opaque;

    vfio_user_platform_fail(vdev, NULL, "the backend closed the connection");
}

/* Control region: finding, reading and validating it */

static const char *vup_entry_type_name(uint16_t type)
{
    switch (type) {
    case VUP_CR_ENTRY_MMIO:
        return "mmio";
    case VUP_CR_ENTRY_IRQ:
        return "irq";
    case VUP_CR_ENTRY_CLOCK:
        return "clock";
    case VUP_CR_ENTRY_MEMORY:
        return "memory";
    case VUP_CR_ENTRY_CPU:
        return "cpu";
    case VUP_CR_ENTRY_CAP:
        return "cap";
    case VUP_CR_ENTRY_DIRECT:
        return "direct";
    default:
        return NULL;
    }
}

static size_t vup_entry_min_length(uint16_t type)
{
    switch (type) {
    case VUP_CR_ENTRY_MMIO:
        return sizeof(struct vup_cr_mmio);
    case VUP_CR_ENTRY_IRQ:
        return sizeof(struct vup_cr_irq);
    case VUP_CR_ENTRY_CLOCK:
        return sizeof(struct vup_cr_clock);
    case VUP_CR_ENTRY_MEMORY:
        return sizeof(struct vup_cr_memory);
    case VUP_CR_ENTRY_CPU:
        return sizeof(struct vup_cr_cpu);
    case VUP_CR_ENTRY_CAP:
        return sizeof(struct vup_cr_cap);
    case VUP_CR_ENTRY_DIRECT:
        return sizeof(struct vup_cr_direct);
    default:
        return sizeof(struct vup_cr_entry_hdr);
    }
}

/* Offset of the entry's name field, 0 if it has none. */
static size_t vup_entry_name_offset(uint16_t type)
{
    switch (type) {
    case VUP_CR_ENTRY_MMIO:
        return offsetof(struct vup_cr_mmio, name);
    case VUP_CR_ENTRY_IRQ:
        return offsetof(struct vup_cr_irq, name);
    case VUP_CR_ENTRY_CLOCK:
        return offsetof(struct vup_cr_clock, name);
    case VUP_CR_ENTRY_MEMORY:
        return offsetof(struct vup_cr_memory, name);
    default:
        return 0;
    }
}

static bool vup_name_printable(const char *name)
{
    const char *p;

    for (p = name; *p; p++) {
        if (!g_ascii_isprint(*p)) {
            return false;
        }
    }
    return true;
}

/* "control region entry 3 (mmio "usart1")", for messages */
static char *vup_entry_label(unsigned int n,
                             const struct vup_cr_entry_hdr *eh)
{
    const char *type = vup_entry_type_name(eh->type);
    size_t name_off = vup_entry_name_offset(eh->type);

    if (!type) {
        return g_strdup_printf("control region entry %u (type %u)", n,
                               eh->type);
    }
    if (name_off && eh->length >= name_off + VUP_CR_NAME_LEN) {
        const char *name = (const char *)eh + name_off;

        if (memchr(name, 0, VUP_CR_NAME_LEN) && vup_name_printable(name)) {
            return g_strdup_printf("control region entry %u (%s \"%s\")",
                                   n, type, name);
        }
    }
    return g_strdup_printf("control region entry %u (%s)", n, type);
}

/* A guest-physical range from the backend: not empty, not wrapping. */
static bool vup_check_range(uint64_t base, uint64_t size, const char *label,
                            Error **errp)
{
    if (size == 0) {
        error_setg(errp, "%s: size 0x0 is empty", label);
        return false;
    }
    if (base + size < base) {
        error_setg(errp, "%s: base 0x%" PRIx64 " + size 0x%" PRIx64
                   " wraps around", label, base, size);
        return false;
    }
    return true;
}

static bool vup_check_name(const char *name, bool may_be_empty,
                           const char *label, const char *field,
                           Error **errp)
{
    if (!memchr(name, 0, VUP_CR_NAME_LEN)) {
        error_setg(errp, "%s: %s is not NUL-terminated", label, field);
        return false;
    }
    if (!may_be_empty && !name[0]) {
        error_setg(errp, "%s: %s is empty", label, field);
        return false;
    }
    if (!vup_name_printable(name)) {
        error_setg(errp, "%s: %s contains a non-printable character",
                   label, field);
        return false;
    }
    return true;
}

static bool vup_check_access_size(uint8_t v, const char *label,
                                  const char *field, Error **errp)
{
    if (v != 1 && v != 2 && v != 4 && v != 8) {
        error_setg(errp, "%s: %s %u is not 1, 2, 4 or 8", label, field, v);
        return false;
    }
    return true;
}

static bool vfio_user_platform_parse_mmio(VFIOUserPlatform *vdev,
                                          unsigned int n, const char *label,
                                          const struct vup_cr_mmio *e,
                                          Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    struct vfio_region_info *info;
    VFIOUserPlatformWindow *win;
    unsigned int i;
    int ret;

    if (!vup_check_name(e->name, false, label, "name", errp)) {
        return false;
    }
    if (e->region_index == vdev->cr_index) {
        error_setg(errp, "%s: region index %u is the control region",
                   label, e->region_index);
        return false;
    }
    if (e->region_index >= vbasedev->num_initial_regions) {
        error_setg(errp, "%s: region index %u does not exist (the device "
                   "has %u regions)", label, e->region_index,
                   vbasedev->num_initial_regions);
        return false;
    }
    if (e->flags & ~VUP_CR_MMIO_FLAGS_KNOWN) {
        error_setg(errp, "%s: unknown flags 0x%x", label,
                   e->flags & ~VUP_CR_MMIO_FLAGS_KNOWN);
        return false;
    }
    if (!vup_check_access_size(e->min_access, label, "min_access", errp) ||
        !vup_check_access_size(e->max_access, label, "max_access", errp)) {
        return false;
    }
    if (e->min_access > e->max_access) {
        error_setg(errp, "%s: min_access %u is larger than max_access %u",
                   label, e->min_access, e->max_access);
        return false;
    }
    if (!vup_check_range(e->base, e->size, label, errp)) {
        return false;
    }
    if (e->base & (e->min_access - 1)) {
        error_setg(errp, "%s: base 0x%" PRIx64 " is not aligned to "
                   "min_access %u", label, e->base, e->min_access);
        return false;
    }
    if (e->size & (e->min_access - 1)) {
        error_setg(errp, "%s: size 0x%" PRIx64 " is not a multiple of "
                   "min_access %u", label, e->size, e->min_access);
        return false;
    }

    ret = vfio_device_get_region_info(vbasedev, e->region_index, &info);
    if (ret) {
        error_setg_errno(errp, -ret, "%s: cannot get info of region %u",
                         label, e->region_index);
        return false;
    }
    if (e->size > info->size) {
        error_setg(errp, "%s: size 0x%" PRIx64 " is larger than region %u "
                   "(0x%" PRIx64 " bytes)", label, e->size, e->region_index,
                   (uint64_t)info->size);
        return false;
    }
    if (!(info->flags &
          (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE))) {
        error_setg(errp, "%s: region %u is neither readable nor writable",
                   label, e->region_index);
        return false;
    }

    for (i = 0; i < vdev->num_windows; i++) {
        if (!strcmp(vdev->windows[i].name, e->name)) {
            error_setg(errp, "%s: name also used by entry %u", label,
                       vdev->windows[i].entry);
            return false;
        }
        if (vdev->windows[i].region_index == e->region_index) {
            error_setg(errp, "%s: region %u also used by entry %u (\"%s\")",
                       label, e->region_index, vdev->windows[i].entry,
                       vdev->windows[i].name);
            return false;
        }
    }

    win = &vdev->windows[vdev->num_windows++];
    win->dev = vdev;
    pstrcpy(win->name, sizeof(win->name), e->name);
    win->entry = n;
    win->region_index = e->region_index;
    win->region_flags = info->flags;
    win->flags = e->flags;
    win->base = e->base;
    win->size = e->size;
    win->min_access = e->min_access;
    win->max_access = e->max_access;
    return true;
}

static bool vfio_user_platform_parse_irq(VFIOUserPlatform *vdev,
                                         unsigned int n, const char *label,
                                         const struct vup_cr_irq *e,
                                         Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    struct vfio_irq_info info = { .argsz = sizeof(info) };
    VFIOUserPlatformIRQ *irq;
    unsigned int i;
    int ret;

    if (!vup_check_name(e->name, false, label, "name", errp)) {
        return false;
    }
    if (e->irq_index >= VUP_CR_MAX_IRQS) {
        error_setg(errp, "%s: irq index %u is not below %u", label,
                   e->irq_index, VUP_CR_MAX_IRQS);
        return false;
    }
    if (e->irq_index >= vbasedev->num_irqs) {
        error_setg(errp, "%s: irq index %u does not exist (the device has "
                   "%u irq indices)", label, e->irq_index,
                   vbasedev->num_irqs);
        return false;
    }
    if ((e->flags & ~VUP_CR_IRQ_FLAGS_KNOWN) ||
        ((e->flags & VUP_CR_IRQ_FLAGS_KNOWN) != VUP_CR_IRQ_LEVEL &&
         (e->flags & VUP_CR_IRQ_FLAGS_KNOWN) != VUP_CR_IRQ_EDGE)) {
        error_setg(errp, "%s: flags 0x%x are not exactly one of LEVEL (0x%x) "
                   "and EDGE (0x%x)", label, e->flags, VUP_CR_IRQ_LEVEL,
                   VUP_CR_IRQ_EDGE);
        return false;
    }
    if ((e->flags & VUP_CR_IRQ_LEVEL) && !vdev->live_offset) {
        error_setg(errp, "%s: a LEVEL line needs the live part, but the "
                   "header has no live_offset", label);
        return false;
    }

    for (i = 0; i < vdev->num_irqs; i++) {
        if (!strcmp(vdev->irqs[i].name, e->name)) {
            error_setg(errp, "%s: name also used by entry %u", label,
                       vdev->irqs[i].entry);
            return false;
        }
        if (vdev->irqs[i].irq_index == e->irq_index) {
            error_setg(errp, "%s: irq index %u also used by entry %u "
                       "(\"%s\")", label, e->irq_index, vdev->irqs[i].entry,
                       vdev->irqs[i].name);
            return false;
        }
    }

    ret = vfio_device_get_irq_info(vbasedev, e->irq_index, &info);
    if (ret) {
        error_setg_errno(errp, -ret, "%s: cannot get info of irq index %u",
                         label, e->irq_index);
        return false;
    }
    if (!(info.flags & VFIO_IRQ_INFO_EVENTFD)) {
        error_setg(errp, "%s: irq index %u does not support eventfd "
                   "signalling", label, e->irq_index);
        return false;
    }
    if (info.count < 1) {
        error_setg(errp, "%s: irq index %u has no interrupts", label,
                   e->irq_index);
        return false;
    }

    irq = &vdev->irqs[vdev->num_irqs++];
    irq->dev = vdev;
    pstrcpy(irq->name, sizeof(irq->name), e->name);
    irq->entry = n;
    irq->irq_index = e->irq_index;
    irq->line = e->line;
    irq->flags = e->flags;
    return true;
}

static bool vfio_user_platform_parse_clock(VFIOUserPlatform *vdev,
                                           unsigned int n, const char *label,
                                           const struct vup_cr_clock *e,
                                           Error **errp)
{
    const uint32_t dir = VUP_CR_CLOCK_OUTPUT | VUP_CR_CLOCK_INPUT;
    const uint32_t roles = VUP_CR_CLOCK_ROLE_CPU | VUP_CR_CLOCK_ROLE_REFCLK;
    VFIOUserPlatformClock *clk;
    unsigned int i;

    if (!vup_check_name(e->name, false, label, "name", errp)) {
        return false;
    }
    if (e->flags & ~VUP_CR_CLOCK_FLAGS_KNOWN) {
        error_setg(errp, "%s: unknown flags 0x%x", label,
                   e->flags & ~VUP_CR_CLOCK_FLAGS_KNOWN);
        return false;
    }
    if ((e->flags & dir) != VUP_CR_CLOCK_OUTPUT &&
        (e->flags & dir) != VUP_CR_CLOCK_INPUT) {
        error_setg(errp, "%s: flags 0x%x are not exactly one of OUTPUT and "
                   "INPUT", label, e->flags);
        return false;
    }
    if ((e->flags & VUP_CR_CLOCK_INPUT) && (e->flags & roles)) {
        error_setg(errp, "%s: an input clock cannot have a role "
                   "(flags 0x%x)", label, e->flags);
        return false;
    }
    if ((e->flags & VUP_CR_CLOCK_INPUT) && !vdev->live_offset) {
        error_setg(errp, "%s: an input clock needs the live part, but the "
                   "header has no live_offset", label);
        return false;
    }
    if (e->live_index >= VUP_CR_MAX_CLOCKS) {
        error_setg(errp, "%s: live_index %u is not below %u", label,
                   e->live_index, VUP_CR_MAX_CLOCKS);
        return false;
    }
    if (e->freq_hz > VUP_CR_CLOCK_MAX_HZ) {
        error_setg(errp, "%s: freq_hz %" PRIu64 " is above %" PRIu64, label,
                   e->freq_hz, VUP_CR_CLOCK_MAX_HZ);
        return false;
    }
    for (i = 0; i < vdev->num_clocks; i++) {
        if (!strcmp(vdev->clocks[i].name, e->name)) {
            error_setg(errp, "%s: name also used by entry %u", label,
                       vdev->clocks[i].entry);
            return false;
        }
        if (vdev->clocks[i].live_index == e->live_index) {
            error_setg(errp, "%s: live_index %u also used by entry %u",
                       label, e->live_index, vdev->clocks[i].entry);
            return false;
        }
    }

    clk = &vdev->clocks[vdev->num_clocks++];
    pstrcpy(clk->name, sizeof(clk->name), e->name);
    clk->entry = n;
    clk->flags = e->flags;
    clk->live_index = e->live_index;
    clk->freq_hz = e->freq_hz;
    return true;
}

static bool vfio_user_platform_parse_memory(VFIOUserPlatform *vdev,
                                            unsigned int n, const char *label,
                                            const struct vup_cr_memory *e,
                                            Error **errp)
{
    VFIOUserPlatformMemory *mem;
    unsigned int i;

    if (!vup_check_name(e->name, false, label, "name", errp)) {
        return false;
    }
    if (e->kind != VUP_CR_MEMORY_FLASH && e->kind != VUP_CR_MEMORY_RAM) {
        error_setg(errp, "%s: unknown kind %u", label, e->kind);
        return false;
    }
    if (e->flags) {
        error_setg(errp, "%s: unknown flags 0x%x", label, e->flags);
        return false;
    }
    if (!vup_check_range(e->base, e->size, label, errp)) {
        return false;
    }
    for (i = 0; i < vdev->num_memories; i++) {
        if (!strcmp(vdev->memories[i].name, e->name)) {
            error_setg(errp, "%s: name also used by entry %u", label,
                       vdev->memories[i].entry);
            return false;
        }
    }

    mem = &vdev->memories[vdev->num_memories++];
    pstrcpy(mem->name, sizeof(mem->name), e->name);
    mem->entry = n;
    mem->kind = e->kind;
    mem->base = e->base;
    mem->size = e->size;
    return true;
}

static bool vfio_user_platform_parse_cpu(VFIOUserPlatform *vdev,
                                         unsigned int n, const char *label,
                                         const struct vup_cr_cpu *e,
                                         Error **errp)
{
    if (vdev->has_cpu_hint) {
        error_setg(errp, "%s: a second cpu entry (the first is entry %u)",
                   label, vdev->cpu_hint.entry);
        return false;
    }
    if (e->flags) {
        error_setg(errp, "%s: unknown flags 0x%x", label, e->flags);
        return false;
    }
    if (!vup_check_name(e->cpu_type, true, label, "cpu_type", errp)) {
        return false;
    }
    vdev->has_cpu_hint = true;
    vdev->cpu_hint.entry = n;
    vdev->cpu_hint.num_irq = e->num_irq;
    pstrcpy(vdev->cpu_hint.cpu_type, sizeof(vdev->cpu_hint.cpu_type),
            e->cpu_type);
    return true;
}

static bool vfio_user_platform_parse_cap(VFIOUserPlatform *vdev,
                                         unsigned int n, const char *label,
                                         const struct vup_cr_cap *e,
                                         Error **errp)
{
    switch (e->id) {
    case VUP_CR_CAP_FAST_PATH:
        if ((uint64_t)e->offset + e->size > vdev->cr_size) {
            error_setg(errp, "%s: mailbox 0x%x+0x%x is outside the control "
                       "region (0x%" PRIx64 " bytes)", label, e->offset,
                       e->size, vdev->cr_size);
            return false;
        }
        /* Used if it lies in the mapped area (see map_shared). */
        vdev->has_mbox_cap = e->version == VUP_CR_MBOX_VERSION;
        vdev->mbox_offset = e->offset;
        vdev->mbox_size = e->size;
        break;
    case VUP_CR_CAP_DOORBELL:
        if (e->offset >= vdev->vbasedev.num_irqs) {
            error_setg(errp, "%s: doorbell irq index %u does not exist",
                       label, e->offset);
            return false;
        }
        if (vdev->has_doorbell) {
            error_setg(errp, "%s: a second DOORBELL capability", label);
            return false;
        }
        vdev->has_doorbell = true;
        vdev->doorbell_index = e->offset;
        break;
    case VUP_CR_CAP_VIRTUAL_TIME:
        if (!vdev->live_offset) {
            error_setg(errp, "%s: VIRTUAL_TIME needs the live part, but the "
                       "header has no live_offset", label);
            return false;
        }
        vdev->has_vtime = true;
        break;
    default:
        break;
    }
    return true;
}

/*
 * A DIRECT range.  What depends on its window (which may come later in
 * the table) is checked once all entries are read: check_direct().
 */
static bool vfio_user_platform_parse_direct(VFIOUserPlatform *vdev,
                                            unsigned int n, const char *label,
                                            const struct vup_cr_direct *e,
                                            Error **errp)
{
    VFIOUserPlatformDirect *d;

    if (vdev->num_direct >= VUP_CR_MAX_DIRECT) {
        error_setg(errp, "%s: more than %u direct entries in the device",
                   label, VUP_CR_MAX_DIRECT);
        return false;
    }
    if (e->flags) {
        error_setg(errp, "%s: unknown flags 0x%x", label, e->flags);
        return false;
    }
    if (e->size == 0) {
        error_setg(errp, "%s: size 0x0 is empty", label);
        return false;
    }
    if (e->offset + e->size < e->offset) {
        error_setg(errp, "%s: offset 0x%" PRIx64 " + size 0x%" PRIx64
                   " wraps around", label, e->offset, e->size);
        return false;
    }

    d = &vdev->direct[vdev->num_direct++];
    d->entry = n;
    d->region_index = e->region_index;
    d->offset = e->offset;
    d->size = e->size;
    return true;
}

static bool vfio_user_platform_parse_entry(VFIOUserPlatform *vdev,
                                           unsigned int n,
                                           const struct vup_cr_entry_hdr *eh,
                                           Error **errp)
{
    g_autofree char *label = vup_entry_label(n, eh);

    if (eh->length < vup_entry_min_length(eh->type)) {
        error_setg(errp, "%s: length %u is shorter than the %zu bytes of "
                   "its type", label, eh->length,
                   vup_entry_min_length(eh->type));
        return false;
    }

    switch (eh->type) {
    case VUP_CR_ENTRY_MMIO:
        return vfio_user_platform_parse_mmio(vdev, n, label,
                                             (const void *)eh, errp);
    case VUP_CR_ENTRY_IRQ:
        return vfio_user_platform_parse_irq(vdev, n, label,
                                            (const void *)eh, errp);
    case VUP_CR_ENTRY_CLOCK:
        return vfio_user_platform_parse_clock(vdev, n, label,
                                              (const void *)eh, errp);
    case VUP_CR_ENTRY_MEMORY:
        return vfio_user_platform_parse_memory(vdev, n, label,
                                               (const void *)eh, errp);
    case VUP_CR_ENTRY_CPU:
        return vfio_user_platform_parse_cpu(vdev, n, label,
                                            (const void *)eh, errp);
    case VUP_CR_ENTRY_CAP:
        return vfio_user_platform_parse_cap(vdev, n, label,
                                            (const void *)eh, errp);
    case VUP_CR_ENTRY_DIRECT:
        return vfio_user_platform_parse_direct(vdev, n, label,
                                               (const void *)eh, errp);
    default:
        if (eh->flags & VUP_CR_ENTRY_REQUIRED) {
            error_setg(errp, "%s: unknown entry type marked REQUIRED "
                       "(a newer control region version?)", label);
            return false;
        }
        return true;
    }
}

static bool vfio_user_platform_check_header(VFIOUserPlatform *vdev,
                                            const struct vup_cr_header *h,
                                            Error **errp)
{
    uint64_t live_end = (uint64_t)h->live_offset + h->live_size;

    if (h->magic != VUP_CR_MAGIC) {
        error_setg(errp, "control region header: magic 0x%08x is not "
                   "0x%08x", h->magic, VUP_CR_MAGIC);
        return false;
    }
    if (h->version_major != VUP_CR_VERSION_MAJOR) {
        error_setg(errp, "control region header: version %u.%u, this QEMU "
                   "reads major version %u", h->version_major,
                   h->version_minor, VUP_CR_VERSION_MAJOR);
        return false;
    }
    if (h->header_size < sizeof(*h) || h->header_size % 8) {
        error_setg(errp, "control region header: header_size %u is not a "
                   "multiple of 8 >= %zu", h->header_size, sizeof(*h));
        return false;
    }
    if (h->desc_size > VUP_CR_MAX_DESC_SIZE || h->desc_size > vdev->cr_size ||
        h->desc_size < h->header_size) {
        error_setg(errp, "control region header: desc_size %u is not "
                   "between header_size %u and min(%u, region size 0x%"
                   PRIx64 ")", h->desc_size, h->header_size,
                   VUP_CR_MAX_DESC_SIZE, vdev->cr_size);
        return false;
    }
    if (h->num_entries > VUP_CR_MAX_ENTRIES) {
        error_setg(errp, "control region header: num_entries %u is above %u",
                   h->num_entries, VUP_CR_MAX_ENTRIES);
        return false;
    }
    if (h->live_offset) {
        if (h->live_offset % VUP_CR_LIVE_ALIGN ||
            h->live_offset < h->desc_size) {
            error_setg(errp, "control region header: live_offset 0x%x is "
                       "not a multiple of 0x%x after the descriptor "
                       "(desc_size 0x%x)", h->live_offset, VUP_CR_LIVE_ALIGN,
                       h->desc_size);
            return false;
        }
        if (h->live_size < sizeof(struct vup_cr_live) ||
            live_end > vdev->cr_size) {
            error_setg(errp, "control region header: live part 0x%x+0x%x "
                       "is smaller than %zu bytes or outside the region "
                       "(0x%" PRIx64 " bytes)", h->live_offset,
                       h->live_size, sizeof(struct vup_cr_live),
                       vdev->cr_size);
            return false;
        }
    }
    if (h->flags) {
        error_setg(errp, "control region header: unknown flags 0x%x",
                   h->flags);
        return false;
    }
    if (!vup_check_name(h->device_name, false, "control region header",
                        "device_name", errp)) {
        return false;
    }
    return true;
}

/* Find the control region by its type/subtype capability. */
static bool vfio_user_platform_find_cr(VFIOUserPlatform *vdev, Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    unsigned int i, steps;

    for (i = 0; i < vbasedev->num_initial_regions; i++) {
        struct vfio_region_info *info;
        uint32_t off;

        if (vfio_device_get_region_info(vbasedev, i, &info) ||
            !(info->flags & VFIO_REGION_INFO_FLAG_CAPS)) {
            continue;
        }
        /* Walk the chain within argsz; the server may be hostile. */
        off = info->cap_offset;
        for (steps = 0; off && steps < VUP_MAX_REGION_CAPS; steps++) {
            struct vfio_info_cap_header *hdr;
            struct vfio_region_info_cap_type *ct;

            if (off < sizeof(*info) || off % 4 ||
                off + sizeof(*ct) > info->argsz) {
                break;
            }
            hdr = (void *)info + off;
            if (hdr->id == VFIO_REGION_INFO_CAP_TYPE) {
                ct = container_of(hdr, struct vfio_region_info_cap_type,
                                  header);
                if (ct->type == VUP_CR_REGION_TYPE &&
                    ct->subtype == VUP_CR_REGION_SUBTYPE) {
                    if (!(info->flags & VFIO_REGION_INFO_FLAG_READ)) {
                        error_setg(errp, "control region (region %u) is not "
                                   "readable", i);
                        return false;
                    }
                    vdev->cr_index = i;
                    vdev->cr_size = info->size;
                    return true;
                }
            }
            off = hdr->next;
        }
    }

    error_setg(errp, "no control region (no region with type 0x%x subtype "
               "%u among %u regions): not a vfio-user MCU backend?",
               VUP_CR_REGION_TYPE, VUP_CR_REGION_SUBTYPE,
               vbasedev->num_initial_regions);
    return false;
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

static int vup_direct_cmp(const void *a, const void *b)
{
    const VFIOUserPlatformDirect *x = a, *y = b;

    if (x->region_index != y->region_index) {
        return x->region_index < y->region_index ? -1 : 1;
    }
    if (x->offset != y->offset) {
        return x->offset < y->offset ? -1 : 1;
    }
    return 0;
}

/* The window of vfio region @region, if any. */
static VFIOUserPlatformWindow *
vfio_user_platform_region_window(VFIOUserPlatform *vdev, uint32_t region)
{
    unsigned int i;

    for (i = 0; i < vdev->num_windows; i++) {
        if (vdev->windows[i].region_index == region) {
            return &vdev->windows[i];
        }
    }
    return NULL;
}

/*
 * DIRECT ranges, once every window is known: each in a DIRECT_MAPPED
 * window, aligned to its min_access, inside it, and not overlapping
 * another range of the same window.  Sorted by window and offset, each
 * window gets its slice for the lookup on reads.
 */
static bool vfio_user_platform_check_direct(VFIOUserPlatform *vdev,
                                            Error **errp)
{
    VFIOUserPlatformWindow *win = NULL;
    unsigned int i;

    for (i = 0; i < vdev->num_direct; i++) {
        VFIOUserPlatformDirect *d = &vdev->direct[i];

        win = vfio_user_platform_region_window(vdev, d->region_index);
        if (!win) {
            error_setg(errp, "control region entry %u (direct): region "
                       "index %u is not the region of an mmio window",
                       d->entry, d->region_index);
            return false;
        }
        if (!(win->flags & VUP_CR_MMIO_DIRECT_MAPPED)) {
            error_setg(errp, "control region entry %u (direct): window "
                       "\"%s\" (entry %u, region %u) is not DIRECT_MAPPED",
                       d->entry, win->name, win->entry, win->region_index);
            return false;
        }
        if (d->offset & (win->min_access - 1) ||
            d->size & (win->min_access - 1)) {
            error_setg(errp, "control region entry %u (direct): offset 0x%"
                       PRIx64 " or size 0x%" PRIx64 " is not a multiple of "
                       "min_access %u of window \"%s\"", d->entry,
                       d->offset, d->size, win->min_access, win->name);
            return false;
        }
        if (d->offset >= win->size || d->size > win->size - d->offset) {
            error_setg(errp, "control region entry %u (direct): offset 0x%"
                       PRIx64 " + size 0x%" PRIx64 " is outside window "
                       "\"%s\" (0x%" PRIx64 " bytes)", d->entry, d->offset,
                       d->size, win->name, win->size);
            return false;
        }
    }

    qsort(vdev->direct, vdev->num_direct, sizeof(*vdev->direct),
          vup_direct_cmp);
    for (i = 0; i < vdev->num_direct; i++) {
        VFIOUserPlatformDirect *d = &vdev->direct[i];
        VFIOUserPlatformDirect *prev = i ? &vdev->direct[i - 1] : NULL;

        if (prev && prev->region_index == d->region_index &&
            d->offset - prev->offset < prev->size) {
            VFIOUserPlatformDirect *a = prev->entry > d->entry ? prev : d;
            VFIOUserPlatformDirect *b = a == d ? prev : d;

            error_setg(errp, "control region entry %u (direct): 0x%" PRIx64
                       "+0x%" PRIx64 " overlaps entry %u (0x%" PRIx64
                       "+0x%" PRIx64 ") in region %u", a->entry, a->offset,
                       a->size, b->entry, b->offset, b->size,
                       d->region_index);
            return false;
        }
        if (!prev || prev->region_index != d->region_index) {
            win = vfio_user_platform_region_window(vdev, d->region_index);
            win->direct = d;
        }
        win->num_direct++;
    }
    return true;
}

/* The doorbell is an eventfd IRQ index that no IRQ entry uses. */
static bool vfio_user_platform_check_doorbell(VFIOUserPlatform *vdev,
                                              Error **errp)
{
    struct vfio_irq_info info = { .argsz = sizeof(info) };
    unsigned int i;
    int ret;

    if (!vdev->has_doorbell) {
        return true;
    }
    for (i = 0; i < vdev->num_irqs; i++) {
        if (vdev->irqs[i].irq_index == vdev->doorbell_index) {
            error_setg(errp, "control region: the DOORBELL capability uses "
                       "irq index %u, which irq entry %u (\"%s\") drives",
                       vdev->doorbell_index, vdev->irqs[i].entry,
                       vdev->irqs[i].name);
            return false;
        }
    }
    ret = vfio_device_get_irq_info(&vdev->vbasedev, vdev->doorbell_index,
                                   &info);
    if (ret) {
        error_setg_errno(errp, -ret, "control region: cannot get info of "
                         "the doorbell irq index %u", vdev->doorbell_index);
        return false;
    }
    if (!(info.flags & VFIO_IRQ_INFO_EVENTFD) || info.count < 1) {
        error_setg(errp, "control region: the doorbell irq index %u does "
                   "not support eventfd signalling", vdev->doorbell_index);
        return false;
    }
    return true;
}

static bool vfio_user_platform_load_cr(VFIOUserPlatform *vdev, Error **errp)
{
    struct vup_cr_header h;
    g_autofree uint8_t *desc = NULL;
    uint32_t off;
    unsigned int n;

    if (!vfio_user_platform_find_cr(vdev, errp)) {
        return false;
    }
    if (vdev->cr_size < sizeof(h)) {
        error_setg(errp, "control region (region %u) is only 0x%" PRIx64
                   " bytes", vdev->cr_index, vdev->cr_size);
        return false;
    }
    if (!vfio_user_platform_read_cr(vdev, 0, &h, sizeof(h), errp) ||
        !vfio_user_platform_check_header(vdev, &h, errp)) {
        return false;
    }
    pstrcpy(vdev->device_name, sizeof(vdev->device_name), h.device_name);
    vdev->live_offset = h.live_offset;
    vdev->live_size = h.live_size;

    desc = g_malloc0(h.desc_size);
    if (!vfio_user_platform_read_cr(vdev, 0, desc, h.desc_size, errp)) {
        return false;
    }
    if (memcmp(desc, &h, sizeof(h))) {
        error_setg(errp, "control region header changed while reading it");
        return false;
    }

    vdev->windows = g_new0(VFIOUserPlatformWindow, h.num_entries);
    vdev->irqs = g_new0(VFIOUserPlatformIRQ, h.num_entries);
    vdev->memories = g_new0(VFIOUserPlatformMemory, h.num_entries);
    vdev->clocks = g_new0(VFIOUserPlatformClock, h.num_entries);
    vdev->direct = g_new0(VFIOUserPlatformDirect,
                          MIN(h.num_entries, VUP_CR_MAX_DIRECT));

    off = h.header_size;
    for (n = 0; n < h.num_entries; n++) {
        struct vup_cr_entry_hdr *eh = (void *)(desc + off);

        if (off + sizeof(*eh) > h.desc_size) {
            error_setg(errp, "control region entry %u: starts at 0x%x, past "
                       "desc_size 0x%x (num_entries %u)", n, off,
                       h.desc_size, h.num_entries);
            return false;
        }
        if (eh->length < sizeof(*eh) || eh->length % 8 ||
            eh->length > h.desc_size - off) {
            error_setg(errp, "control region entry %u (type %u): length %u "
                       "at 0x%x is not a multiple of 8 >= %zu inside "
                       "desc_size 0x%x", n, eh->type, eh->length, off,
                       sizeof(*eh), h.desc_size);
            return false;
        }
        if (!vfio_user_platform_parse_entry(vdev, n, eh, errp)) {
            return false;
        }
        off += eh->length;
    }
    if (off != h.desc_size) {
        error_setg(errp, "control region: %u entries end at 0x%x, but "
                   "desc_size is 0x%x", h.num_entries, off, h.desc_size);
        return false;
    }
    if (!vfio_user_platform_check_doorbell(vdev, errp) ||
        !vfio_user_platform_check_direct(vdev, errp)) {
        return false;
    }
    /* Kept to recognise the backend when it reconnects. */
    vdev->desc_size = h.desc_size;
    vdev->desc = g_steal_pointer(&desc);
    return true;
}

static void vfio_user_platform_windows_init(VFIOUserPlatform *vdev)
{
    unsigned int i;

    for (i = 0; i < vdev->num_windows; i++) {
        VFIOUserPlatformWindow *win = &vdev->windows[i];
        g_autofree char *mr_name = g_strdup_printf("vfio-user %s", win->name);

        win->ops = (MemoryRegionOps) {
            .read_with_attrs = vfio_user_platform_window_read,
            .write_with_attrs = vfio_user_platform_window_write,
            .endianness = DEVICE_LITTLE_ENDIAN,
            .valid.min_access_size = win->min_access,
            .valid.max_access_size = win->max_access,
            .impl.min_access_size = win->min_access,
            .impl.max_access_size = win->max_access,
        };
        memory_region_init_io(&win->mr, OBJECT(vdev), &win->ops, win,
                              mr_name, win->size);
        trace_vfio_user_platform_window(vdev->socket, win->name, win->base,
                                        win->size, win->region_index,
                                        win->flags);
    }
}

/* QOM */

static void vfio_user_platform_compute_needs_reset(VFIODevice *vbasedev)
{
    vbasedev->needs_reset = false;
}

static Object *vfio_user_platform_get_object(VFIODevice *vbasedev)
{
    return OBJECT(container_of(vbasedev, VFIOUserPlatform, vbasedev));
}

static VFIODeviceOps vfio_user_platform_ops = {
    .vfio_compute_needs_reset = vfio_user_platform_compute_needs_reset,
    .vfio_get_object = vfio_user_platform_get_object,
};

static void vfio_user_platform_put(VFIOUserPlatform *vdev)
{
    VFIODevice *vbasedev = &vdev->vbasedev;

    vfio_user_platform_unmap_shared(vdev);
    vfio_user_platform_irqs_exit(vdev);
    if (vdev->deadline_timer) {
        timer_free(vdev->deadline_timer);
        vdev->deadline_timer = NULL;
    }
    if (vdev->sync_bh) {
        qemu_bh_delete(vdev->sync_bh);
        vdev->sync_bh = NULL;
    }
    if (vdev->reconnect_timer) {
        timer_free(vdev->reconnect_timer);
        vdev->reconnect_timer = NULL;
    }
    if (vdev->drop_bh) {
        qemu_bh_delete(vdev->drop_bh);
        vdev->drop_bh = NULL;
    }
    vfio_device_detach(vbasedev);
    if (vbasedev->proxy) {
        vfio_user_disconnect(vbasedev->proxy);
        vbasedev->proxy = NULL;
    }
    if (vdev->disconnect_bh) {
        qemu_bh_delete(vdev->disconnect_bh);
        vdev->disconnect_bh = NULL;
    }
}

/*
 * Connect to the backend, negotiate and attach: the device info is known
 * afterwards.  On failure the caller drops what was set up.
 */
static bool vfio_user_platform_connect(VFIOUserPlatform *vdev, Error **errp)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    SocketAddress addr = { .type = SOCKET_ADDRESS_TYPE_UNIX };
    VFIOUserProxy *proxy;

    addr.u.q_unix.path = vdev->socket;
    proxy = vfio_user_connect_dev(&addr, errp);
    if (!proxy) {
        error_prepend(errp, "cannot connect: ");
        return false;
    }
    vbasedev->proxy = proxy;
    proxy->wait_time = vdev->msg_timeout;
    /* Replies are read by the waiting (vCPU) thread: one round trip. */
    vfio_user_set_recv_inline(proxy, true,
                              (int64_t)vdev->spin_us * SCALE_US);
    vfio_user_set_handler(vbasedev, vfio_user_platform_process_req, vdev);
    vfio_user_set_disconnect_bh(proxy, vdev->disconnect_bh);

    if (!vfio_user_validate_version(proxy, errp)) {
        error_prepend(errp, "version negotiation: ");
        return false;
    }

    vbasedev->io_ops = &vfio_user_device_io_ops_sock;
    vbasedev->mdev = true;
    vbasedev->use_region_fds = true;

    /* Guest RAM is offered to the backend for DMA (DMA_MAP). */
    if (!vfio_device_attach_by_iommu_type(TYPE_VFIO_IOMMU_USER,
                                          vbasedev->name, vbasedev,
                                          &address_space_memory, errp)) {
        return false;
    }
    if (!(vbasedev->flags & VFIO_DEVICE_FLAGS_PLATFORM)) {
        error_setg(errp, "device info flags 0x%x lack VFIO_DEVICE_FLAGS_"
                   "PLATFORM: not a platform device", vbasedev->flags);
        return false;
    }
    return true;
}

/* Close the connection, whatever state it is in. */
static void vfio_user_platform_disconnect(VFIOUserPlatform *vdev)
{
    VFIODevice *vbasedev = &vdev->vbasedev;

    /* A backend that comes back shares new memory. */
    vfio_user_platform_unmap_shared(vdev);
    if (vbasedev->proxy) {
        /* No DMA_UNMAP waits for a backend that is gone or stuck. */
        vfio_user_abort(vbasedev->proxy);
    }
    vfio_device_detach(vbasedev);
    if (vbasedev->proxy) {
        vfio_user_disconnect(vbasedev->proxy);
        vbasedev->proxy = NULL;
    }
}

/*
 * on-failure=bus-error: after the failure was reported, from the main
 * loop.  The lines the backend drove go low, its deadline is forgotten,
 * and the connection is closed; the eventfds stay, for a reconnect.
 */
static void vfio_user_platform_drop_bh(void *opaque)
{
    VFIOUserPlatform *vdev = opaque;
    unsigned int i;

    if (!vdev->failed) {
        return;
    }
    for (i = 0; i < vdev->num_irqs; i++) {
        if (vdev->irqs[i].flags & VUP_CR_IRQ_LEVEL) {
            vfio_user_platform_set_irq(vdev, &vdev->irqs[i], false);
        }
    }
    if (vdev->deadline_timer) {
        timer_del(vdev->deadline_timer);
    }
    vdev->deadline_ns = VUP_CR_NO_DEADLINE;
    vfio_user_platform_disconnect(vdev);
    if (vdev->reconnect_ms) {
        timer_mod(vdev->reconnect_timer,
                  qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + vdev->reconnect_ms);
    }
}

/*
 * A backend that comes back must describe exactly the device the board
 * mapped and wired: the same descriptor, byte for byte, and regions and
 * IRQ indices that still serve it.
 */
static bool vfio_user_platform_check_same(VFIOUserPlatform *vdev,
                                          Error **errp)
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

        if (vfio_device_get_region_info(vbasedev, win->region_index,
                                        &info) ||
            info->flags != win->region_flags || info->size < win->size) {
            error_setg(errp, "region %u of window %s changed",
                       win->region_index, win->name);
            return false;
        }
    }
    return true;
}

/* Hand the eventfds we kept to the new connection. */
static bool vfio_user_platform_rearm(VFIOUserPlatform *vdev, Error **errp)
{
    unsigned int i;

    for (i = 0; i < vdev->num_irqs; i++) {
        VFIOUserPlatformIRQ *irq = &vdev->irqs[i];

        event_notifier_test_and_clear(&irq->notifier);
        if (!vfio_device_irq_set_signaling(&vdev->vbasedev, irq->irq_index,
                                           0, VFIO_IRQ_SET_ACTION_TRIGGER,
                                           event_notifier_get_fd(
                                               &irq->notifier), errp)) {
            error_prepend(errp, "irq %s: ", irq->name);
            return false;
        }
    }
    if (vdev->doorbell_active &&
        !vfio_device_irq_set_signaling(&vdev->vbasedev, vdev->doorbell_index,
                                       0, VFIO_IRQ_SET_ACTION_TRIGGER,
                                       event_notifier_get_fd(&vdev->doorbell),
                                       errp)) {
        error_prepend(errp, "doorbell: ");
        return false;
    }
    return true;
}

static void vfio_user_platform_reset_hold(Object *obj, ResetType type);

static void vfio_user_platform_reconnect_cb(void *opaque)
{
    VFIOUserPlatform *vdev = opaque;
    Error *err = NULL;

    if (!vdev->failed) {
        return;
    }
    trace_vfio_user_platform_reconnect(vdev->socket);
    if (!vfio_user_platform_connect(vdev, &err)) {
        /* Nobody listening yet: normal while the backend restarts. */
        trace_vfio_user_platform_reconnect_failed(vdev->socket,
                                                  error_get_pretty(err));
        error_free(err);
        goto retry;
    }
    if (!vfio_user_platform_check_same(vdev, &err) ||
        !vfio_user_platform_rearm(vdev, &err)) {
        if (!vdev->refused_reported) {
            error_report("vfio-user-platform %s: the backend is back but "
                         "refused: %s", vdev->socket, error_get_pretty(err));
            vdev->refused_reported = true;
        }
        trace_vfio_user_platform_reconnect_failed(vdev->socket,
                                                  error_get_pretty(err));
        error_free(err);
        goto retry;
    }

    vfio_user_platform_map_shared(vdev);
    /* A new connection: nothing of the old one is pending. */
    vdev->posted_pending = false;
    /* The backend starts afresh: a device reset, as after a system reset. */
    vdev->failed = false;
    vdev->refused_reported = false;
    vfio_user_platform_reset_hold(OBJECT(vdev), RESET_TYPE_COLD);
    if (!vdev->failed) {
        error_report("vfio-user-platform %s: reconnected; the device was "
                     "reset", vdev->socket);
    }
    return;

retry:
    vfio_user_platform_disconnect(vdev);
    timer_mod(vdev->reconnect_timer,
              qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + vdev->reconnect_ms);
}

/*
 * fast-path: what of the shared memory a backend offers is used.  The
 * mapped live part always (but with off); direct reads from the mirrors
 * of DIRECT_MAPPED windows, the mailbox for every other access, or both.
 */
static bool vfio_user_platform_fast_path(VFIOUserPlatform *vdev,
                                         Error **errp)
{
    static const struct {
        const char *name;
        bool map_live, use_mbox, use_direct;
    } modes[] = {
        { "auto", true, true, true },
        { "mailbox", true, true, false },
        { "direct", true, false, true },
        { "live", true, false, false },
        { "off", false, false, false },
    };
    const char *mode = vdev->fast_path ? vdev->fast_path : "auto";
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(modes); i++) {
        if (!strcmp(mode, modes[i].name)) {
            vdev->map_live = modes[i].map_live;
            vdev->use_mbox = modes[i].use_mbox;
            vdev->use_direct = modes[i].use_direct;
            return true;
        }
    }
    error_setg(errp, "vfio-user-platform %s: fast-path=%s is not one of "
               "auto, mailbox, direct, live, off", vdev->socket, mode);
    return false;
}

static void vfio_user_platform_realize(DeviceState *dev, Error **errp)
{
    ERRP_GUARD();
    VFIOUserPlatform *vdev = VFIO_USER_PLATFORM(dev);
    VFIODevice *vbasedev = &vdev->vbasedev;
    unsigned int i;

    if (!vdev->socket || !vdev->socket[0]) {
        error_setg(errp, "vfio-user-platform: the socket property is not "
                   "set");
        return;
    }
    if (!vdev->on_failure || !strcmp(vdev->on_failure, "stop")) {
        vdev->bus_error = false;
    } else if (!strcmp(vdev->on_failure, "bus-error")) {
        vdev->bus_error = true;
    } else {
        error_setg(errp, "vfio-user-platform %s: on-failure=%s is not "
                   "\"stop\" or \"bus-error\"", vdev->socket,
                   vdev->on_failure);
        return;
    }
    if (!vfio_user_platform_fast_path(vdev, errp)) {
        return;
    }
    if (vdev->reconnect_ms && !vdev->bus_error) {
        error_setg(errp, "vfio-user-platform %s: reconnect-ms needs "
                   "on-failure=bus-error (with stop, QEMU stops)",
                   vdev->socket);
        return;
    }

    vbasedev->name = g_strdup_printf("vfio-user:%s", vdev->socket);
    vdev->disconnect_bh = aio_bh_new_guarded(qemu_get_aio_context(),
                                             vfio_user_platform_disconnected,
                                             vdev, &dev->mem_reentrancy_guard);
    if (!vfio_user_platform_connect(vdev, errp) ||
        !vfio_user_platform_load_cr(vdev, errp)) {
        goto error;
    }

    vfio_user_platform_windows_init(vdev);
    for (i = 0; i < vdev->num_irqs; i++) {
        trace_vfio_user_platform_irq_line(vdev->socket, vdev->irqs[i].name,
                                          vdev->irqs[i].irq_index,
                                          vdev->irqs[i].line,
                                          vdev->irqs[i].flags);
    }
    if (!vfio_user_platform_irqs_init(vdev, errp) ||
        !vfio_user_platform_clocks_init(vdev, errp)) {
        goto error;
    }
    vfio_user_platform_map_shared(vdev);
    if (vdev->live_offset) {
        vdev->sync_bh = aio_bh_new_guarded(qemu_get_aio_context(),
                                           vfio_user_platform_sync_bh, vdev,
                                           &dev->mem_reentrancy_guard);
    }
    if (vdev->has_vtime) {
        vdev->deadline_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                            vfio_user_platform_deadline_cb,
                                            vdev);
    }
    vdev->drop_bh = aio_bh_new_guarded(qemu_get_aio_context(),
                                       vfio_user_platform_drop_bh, vdev,
                                       &dev->mem_reentrancy_guard);
    if (vdev->reconnect_ms) {
        vdev->reconnect_timer = timer_new_ms(QEMU_CLOCK_REALTIME,
                                             vfio_user_platform_reconnect_cb,
                                             vdev);
    }
    return;

error:
    error_prepend(errp, "vfio-user-platform %s: ", vdev->socket);
    vfio_user_platform_put(vdev);
}

static void vfio_user_platform_reset_hold(Object *obj, ResetType type)
{
    VFIOUserPlatform *vdev = VFIO_USER_PLATFORM(obj);
    VFIOUserProxy *proxy = vdev->vbasedev.proxy;
    Error *err = NULL;
    VFIOUserHdr hdr;

    if (!proxy || vdev->failed) {
        return;
    }
    trace_vfio_user_platform_reset(vdev->socket);

    if (vdev->vbasedev.reset_works) {
        vfio_user_request_msg(&hdr, VFIO_USER_DEVICE_RESET, sizeof(hdr), 0);
        if (!vfio_user_send_wait(proxy, &hdr, NULL, 0, &err)) {
            vfio_user_platform_fail(vdev, err, "device reset failed");
            return;
        }
        if ((hdr.flags & VFIO_USER_ERROR) &&
            proxy->state != VFIO_PROXY_CONNECTED) {
            vfio_user_platform_fail(vdev, NULL, "device reset failed: the "
                                    "connection broke");
            return;
        }
        if (hdr.flags & VFIO_USER_ERROR) {
            warn_report("vfio-user-platform %s: the backend refused the "
                        "device reset: %s", vdev->socket,
                        strerror(hdr.error_reply));
        }
        vdev->posted_pending = false;
    }

    /*
     * After reset: the backend's clocks, levels and deadline, whatever
     * they are now; and our input clocks, which the backend keeps.
     */
    vdev->live_valid = false;
    vdev->vtime_sent = UINT64_MAX;
    if (vdev->has_vtime && !vfio_user_platform_send_vtime(vdev, false)) {
        return;
    }
    vfio_user_platform_sync(vdev);
    vfio_user_platform_push_inputs(vdev);
}

static void vfio_user_platform_instance_init(Object *obj)
{
    VFIOUserPlatform *vdev = VFIO_USER_PLATFORM(obj);

    vfio_device_init(&vdev->vbasedev, VFIO_DEVICE_TYPE_UNUSED,
                     &vfio_user_platform_ops, DEVICE(vdev), false);
    vdev->deadline_ns = VUP_CR_NO_DEADLINE;
    vdev->vtime_sent = UINT64_MAX;
}

static void vfio_user_platform_finalize(Object *obj)
{
    VFIOUserPlatform *vdev = VFIO_USER_PLATFORM(obj);

    vfio_user_platform_put(vdev);
    g_free(vdev->windows);
    g_free(vdev->irqs);
    g_free(vdev->irq_out);
    g_free(vdev->memories);
    g_free(vdev->clocks);
    g_free(vdev->direct);
    g_free(vdev->desc);
    g_free(vdev->vbasedev.name);
}

static const Property vfio_user_platform_properties[] = {
    DEFINE_PROP_STRING("socket", VFIOUserPlatform, socket),
    DEFINE_PROP_UINT32("msg-timeout", VFIOUserPlatform, msg_timeout, 5000),
    DEFINE_PROP_STRING("on-failure", VFIOUserPlatform, on_failure),
    DEFINE_PROP_UINT32("reconnect-ms", VFIOUserPlatform, reconnect_ms, 0),
    DEFINE_PROP_STRING("fast-path", VFIOUserPlatform, fast_path),
    DEFINE_PROP_UINT32("spin-us", VFIOUserPlatform, spin_us, 50),
};

static void vfio_user_platform_class_init(ObjectClass *klass,
                                          const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = vfio_user_platform_realize;
    dc->desc = "vfio-user platform (MCU peripheral) device";
    /* Boards create it: they map its windows and wire its IRQ lines. */
    dc->user_creatable = false;
    rc->phases.hold = vfio_user_platform_reset_hold;
    device_class_set_props(dc, vfio_user_platform_properties);
    object_class_property_set_description(klass, "socket",
        "path of the backend's vfio-user UNIX socket");
    object_class_property_set_description(klass, "msg-timeout",
        "milliseconds to wait for a backend reply before giving up");
    object_class_property_set_description(klass, "on-failure",
        "when the backend dies, breaks the protocol or times out: \"stop\" "
        "QEMU with an error (default) or give the guest \"bus-error\"s "
        "and keep running");
    object_class_property_set_description(klass, "fast-path",
        "shared memory the backend offers: auto (default: the live part, "
        "direct reads from the mirrors of direct-mapped windows and the "
        "mailbox), mailbox (the live part and the mailbox), direct (the "
        "live part and direct reads, other accesses by messages), live "
        "(the live part only) or off (messages only)");
    object_class_property_set_description(klass, "spin-us",
        "microseconds the vCPU thread polls for a backend's reply (socket "
        "or mailbox) before it sleeps; 0 on a host without a spare CPU");
    object_class_property_set_description(klass, "reconnect-ms",
        "with on-failure=bus-error: try to reconnect to a failed backend "
        "every so many milliseconds (default 0: never)");
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo vfio_user_platform_info = {
    .name = TYPE_VFIO_USER_PLATFORM,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(VFIOUserPlatform),
    .instance_init = vfio_user_platform_instance_init,
    .instance_finalize = vfio_user_platform_finalize,
    .class_init = vfio_user_platform_class_init,
};

static void vfio_user_platform_register_types(void)
{
    type_register_static(&vfio_user_platform_info);
}

type_init(vfio_user_platform_register_types)
