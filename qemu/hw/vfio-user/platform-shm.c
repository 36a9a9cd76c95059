/*
 * vfio-user platform device: shared memory with the backend
 *
 * docs/control-region.md, "Shared memory and the fast path".  A backend
 * that offers the control region's live part with VFIO_REGION_INFO_FLAG_MMAP
 * and a sparse-mmap area gets it mapped: synchronisation points read it
 * instead of sending REGION_READ, and vtime_ns is a store.  If the area
 * also holds the FAST_PATH mailbox, window accesses go through it: the
 * vCPU thread fills a ring slot, kicks the backend if it sleeps, and for a
 * read spins a bounded time on the response before sleeping on a futex.
 * Socket requests in that mode are all waited for, and the backend serves
 * the mailbox before each socket message, so both stay in one order.
 * DIRECT_MAPPED windows get their read-only register mirror mapped, from
 * which reads inside a DIRECT range are one load.  Nothing here is
 * required: on any problem the device keeps the standard path and says
 * why in a trace.
 *
 * Copyright (c) 2025 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/vfio.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/processor.h"
#include "hw/vfio/vfio-container.h"
#include "hw/vfio/vfio-helpers.h"
#include "hw/vfio-user/proxy.h"
#include "hw/vfio-user/trace.h"
#include "platform-internal.h"

/*
 * How long the vCPU thread polls for a response before it sleeps: busy
 * for the first microseconds (a polling backend answers in well under
 * one), then yielding the CPU between polls, so that on a loaded host the
 * backend gets to run instead of being spun against.
 */
#define VUP_MBOX_BUSY_NS        (3 * SCALE_US)
/* Sleep slices, to notice a backend that went away. */
#define VUP_MBOX_SLICE_NS       (10 * SCALE_MS)

void vfio_user_platform_unmap_shared(VFIOUserPlatform *vdev)
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

    if (!(info->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
        return false;
    }
    hdr = vfio_get_region_info_cap(info, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
    if (!hdr) {
        return false;
    }
    sparse = container_of(hdr, struct vfio_region_info_cap_sparse_mmap,
                          header);
    /* The area must be inside what the server sent. */
    if ((void *)&sparse->areas[1] > (void *)info + info->argsz ||
        sparse->nr_areas < 1) {
        return false;
    }
    *offset = sparse->areas[0].offset;
    *size = sparse->areas[0].size;
    return true;
}

/* The mailbox in the mapped area at @p (offset @area_off), if usable. */
static const char *vfio_user_platform_map_mbox(VFIOUserPlatform *vdev,
                                               void *p, uint64_t area_off,
                                               uint64_t area_size)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    const struct vup_cr_cap *cap = vdev->view->cap_fast_path;
    struct vup_cr_mailbox *m;
    Error *err = NULL;

    if (!vdev->use_mbox || !cap || cap->version != VUP_CR_MBOX_VERSION) {
        return "live part mapped";
    }
    if (cap->offset < area_off || cap->offset % 64 ||
        cap->size < sizeof(*m) ||
        cap->offset - area_off > area_size - sizeof(*m)) {
        return "live part mapped; the mailbox is outside the area";
    }
    m = p + (cap->offset - area_off);
    if (qatomic_read(&m->num_slots) != VUP_CR_MBOX_SLOTS ||
        qatomic_read(&m->kick_irq) >= vbasedev->num_irqs ||
        qatomic_read(&m->head) != qatomic_read(&m->tail)) {
        return "live part mapped; the mailbox header is not usable";
    }
    if (event_notifier_init(&vdev->mbox_kick, 0)) {
        return "live part mapped; no eventfd for the mailbox";
    }
    vdev->mbox_kick_active = true;
    if (!vfio_device_irq_set_signaling(vbasedev, qatomic_read(&m->kick_irq),
                                       0, VFIO_IRQ_SET_ACTION_TRIGGER,
                                       event_notifier_get_fd(
                                           &vdev->mbox_kick), &err)) {
        error_free(err);
        event_notifier_cleanup(&vdev->mbox_kick);
        vdev->mbox_kick_active = false;
        return "live part mapped; the backend refused the kick eventfd";
    }
    vdev->mbox_head = qatomic_read(&m->head);
    vdev->mbox_spin_ns = (int64_t)vdev->spin_us * SCALE_US;
    vdev->mbox = m;
    return "live part and mailbox mapped";
}

/* The control region's live part and, if published, the mailbox. */
static void vfio_user_platform_map_live(VFIOUserPlatform *vdev)
{
    VFIODevice *vbasedev = &vdev->vbasedev;
    struct vfio_region_info *info;
    uint64_t area_off, area_size;
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
        area_size < VUP_CR_LIVE_SIZE_MIN ||
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
    why = vfio_user_platform_map_mbox(vdev, p, area_off, area_size);

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
    uint32_t region = win->e->region_index;
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
    if (vfio_device_get_region_info(vbasedev, region, &info) ||
        !vfio_user_platform_shm_area(info, &area_off, &area_size)) {
        why = "no sparse-mmap area";
        goto out;
    }
    fd = vfio_device_get_region_fd(vbasedev, region);
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
    trace_vfio_user_platform_mirror(vdev->socket, win->e->name, why);
}

void vfio_user_platform_map_shared(VFIOUserPlatform *vdev)
{
    unsigned int i;

    vfio_user_platform_unmap_shared(vdev);
    vdev->mbox_head = 0;
    if (vdev->map_live && vdev->live_offset) {
        vfio_user_platform_map_live(vdev);
    }
    for (i = 0; vdev->use_direct && i < vdev->num_windows; i++) {
        if (vdev->windows[i].e->flags & VUP_CR_MMIO_DIRECT_MAPPED) {
            vfio_user_platform_map_mirror(vdev, &vdev->windows[i]);
        }
    }
}

/* A wait of the mailbox is over: adapt its poll (spin-adaptive). */
static bool vfio_user_platform_mbox_waited(VFIOUserPlatform *vdev,
                                           int64_t start, bool gave_cpu)
{
    if (vdev->spin_adaptive) {
        vfio_user_spin_adapt(&vdev->mbox_spin_ns,
                             (int64_t)vdev->spin_us * SCALE_US,
                             get_clock() - start, gave_cpu);
    }
    return true;
}

/*
 * Wait until *@addr is no longer @val: poll, then sleep on the futex
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
    bool gave_cpu = false;

    do {
        if (qatomic_load_acquire(addr) != val) {
            return vfio_user_platform_mbox_waited(vdev, start, gave_cpu);
        }
        now = get_clock();
        if (now - start < VUP_MBOX_BUSY_NS) {
            cpu_relax();
        } else {
            sched_yield();
            gave_cpu |= get_clock() - now >= VFIO_USER_YIELD_GAVE_NS;
        }
    } while (now - start < vdev->mbox_spin_ns);

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
            return vfio_user_platform_mbox_waited(vdev, start, gave_cpu);
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

/*
 * One window access through the mailbox.  With VIRTUAL_TIME the request
 * itself carries the guest's time: it is served in ring order, so a
 * posted write runs its timers at the instant it was made.
 */
VUPIOResult vfio_user_platform_mbox_access(VFIOUserPlatform *vdev,
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
    r->region = win->e->region_index;
    r->offset = addr;
    r->data = write ? *data : 0;
    if (vdev->has_vtime) {
        uint64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

        if (now != vdev->vtime_sent) {
            trace_vfio_user_platform_vtime(vdev->socket, now, post);
            vdev->vtime_sent = now;
        }
        r->flags |= VUP_CR_MBOX_VTIME;
        r->vtime_ns = now;
    }
    vdev->mbox_head = n + 1;
    qatomic_store_release(&m->head, n + 1);
    /* Pairs with the backend's fence between b_sleeping and head. */
    smp_mb();
    if (qatomic_read(&m->b_sleeping)) {
        event_notifier_set(&vdev->mbox_kick);
    }
    trace_vfio_user_platform_mbox(win->e->name, addr, write ? *data : 0, size,
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
void vfio_user_platform_live_load(VFIOUserPlatform *vdev,
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
    if (vdev->lines_in_live) {
        for (i = 0; i < ARRAY_SIZE(live->irq_pulses); i += 8) {
            stq_he_p(&live->irq_pulses[i],
                     qatomic_read((uint64_t *)&l->irq_pulses[i]));
        }
    }
    if (vdev->predicts) {
        for (i = 0; i < ARRAY_SIZE(live->deadline_raise); i++) {
            live->deadline_raise[i] = qatomic_read(&l->deadline_raise[i]);
        }
    }
    if (vdev->num_signals) {
        for (i = 0; i < ARRAY_SIZE(live->sig_out); i++) {
            live->sig_out[i] = qatomic_read(&l->sig_out[i]);
        }
        for (i = 0; i < ARRAY_SIZE(live->sig_out_pulses); i += 8) {
            stq_he_p(&live->sig_out_pulses[i],
                     qatomic_read((uint64_t *)&l->sig_out_pulses[i]));
        }
    }
}

/*
 * A read served from a DIRECT_MAPPED window's mirror (docs/control-region.md,
 * "Direct-mapped windows"): it must lie entirely inside one DIRECT range,
 * and no posted write may be waiting to be handled, since the mirror would
 * not show its effect yet (such a read is forwarded, which orders it after
 * them).  The backend keeps the mirror up to date with aligned, untorn
 * stores; one untorn load reads it.  No message, no synchronisation point.
 */
bool vfio_user_platform_read_mirror(VFIOUserPlatformWindow *win, hwaddr addr,
                                    unsigned size, uint64_t *data)
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
