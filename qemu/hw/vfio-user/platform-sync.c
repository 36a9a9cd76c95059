/*
 * vfio-user platform device: synchronisation points, interrupt lines,
 * clocks and virtual time
 *
 * docs/control-region.md, "Time, clocks and synchronisation points".  QEMU
 * re-reads the live part after every non-posted reply, when the doorbell
 * (or, from backends before 1.3, an IRQ eventfd) rings, and when a
 * deadline fires; it then applies output clocks, IRQ levels and pulses,
 * signal lines (platform-signal.c) and the next deadline, in that order.
 * So whatever a guest access or a backend timer changes takes effect
 * before the guest's next instruction, independently of when the main
 * loop sees the eventfds: runs are deterministic under -icount.
 *
 * The guest's virtual time travels one way per request: in the mailbox
 * request itself, as a store in the mapped live part before a socket
 * request we wait for, or as a posted REGION_WRITE of vtime_ns before a
 * socket request otherwise.
 *
 * Copyright (c) 2025 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <linux/vfio.h>
#include "qapi/error.h"
#include "qemu/atomic.h"
#include "qemu/bswap.h"
#include "qemu/main-loop.h"
#include "exec/icount.h"
#include "hw/irq.h"
#include "hw/qdev-clock.h"
#include "hw/vfio-user/trace.h"
#include "platform-internal.h"

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
        vfio_user_platform_fail(vdev, err, "writing %s to the live part",
                                what);
        return false;
    }
    return true;
}

/* vtime_ns by message, posted or waited for. */
static bool vfio_user_platform_tell_vtime(VFIOUserPlatform *vdev,
                                          uint64_t now, bool post)
{
    trace_vfio_user_platform_vtime(vdev->socket, now, post);
    vdev->vtime_sent = now;
    return vfio_user_platform_live_write(vdev,
                                         offsetof(struct vup_cr_live,
                                                  vtime_ns),
                                         now, post, "vtime_ns");
}

/*
 * Before a window access by socket (a mailbox request carries its own
 * time): the backend runs its timers due by now.  With the live part
 * mapped, a store does for an access we wait for; otherwise the time goes
 * ahead of the access in the message stream, as a posted write when it
 * changed.
 */
bool vfio_user_platform_pre_access(VFIOUserPlatform *vdev, bool post)
{
    uint64_t now;

    if (!vdev->has_vtime) {
        return true;
    }
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    if (vdev->live_map && !post) {
        if (now != vdev->vtime_sent) {
            trace_vfio_user_platform_vtime(vdev->socket, now, false);
            vdev->vtime_sent = now;
        }
        qatomic_set(&vdev->live_map->vtime_ns, now);
        return true;
    }
    return now == vdev->vtime_sent || vfio_user_platform_tell_vtime(vdev,
                                                                      now,
                                                                      true);
}

/*
 * VIRTUAL_TIME: tell the backend the guest's virtual time and wait until
 * it has run every timer due by then (a deadline, a reset).
 */
bool vfio_user_platform_send_vtime(VFIOUserPlatform *vdev)
{
    return vfio_user_platform_tell_vtime(vdev,
                                         qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL),
                                         false);
}

void vfio_user_platform_set_irq(VFIOUserPlatform *vdev,
                                VFIOUserPlatformIRQ *irq, bool level)
{
    if (level != irq->level) {
        irq->level = level;
        trace_vfio_user_platform_irq(irq->e->name, irq->e->line, level);
        qemu_set_irq(vdev->irq_out[irq - vdev->irqs], level);
    }
}

static void vfio_user_platform_pulse(VFIOUserPlatform *vdev,
                                     VFIOUserPlatformIRQ *irq)
{
    trace_vfio_user_platform_irq(irq->e->name, irq->e->line, 2);
    qemu_irq_pulse(vdev->irq_out[irq - vdev->irqs]);
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

/*
 * Lines signalled by eventfd (backends before 1.3): the EDGE pulses the
 * backend signalled before its reply, one read per EDGE line.  A mapped
 * live part makes LEVEL lines and the doorbell cheap to re-read from
 * their handlers, so only unmapped ones are cleared here.
 */
static void vfio_user_platform_poll_eventfds(VFIOUserPlatform *vdev)
{
    unsigned int i;

    for (i = 0; i < vdev->num_irqs; i++) {
        VFIOUserPlatformIRQ *irq = &vdev->irqs[i];
        bool edge = irq->e->flags & VUP_CR_IRQ_EDGE;

        if (!irq->notifier_active || (vdev->live_map && !edge)) {
            continue;
        }
        if (event_notifier_test_and_clear(&irq->notifier) && edge) {
            vfio_user_platform_pulse(vdev, irq);
        }
    }
    if (vdev->doorbell_active && !vdev->live_map) {
        event_notifier_test_and_clear(&vdev->doorbell);
    }
}

/*
 * Lines: the LEVEL lines whose bit changed since the last synchronisation
 * point, and (1.3) the EDGE lines whose pulse count moved (one pulse,
 * however many the backend counted).  Words that did not change cost a
 * compare each, whatever the number of lines.
 */
static void vfio_user_platform_apply_lines(VFIOUserPlatform *vdev,
                                           const struct vup_cr_live *live)
{
    unsigned int w, i;

    for (w = 0; w < ARRAY_SIZE(live->irq_level); w++) {
        uint32_t now = le32_to_cpu(live->irq_level[w]);
        uint32_t changed = now ^ vdev->irq_level[w];

        vdev->irq_level[w] = now;
        while (changed && !vdev->failed) {
            unsigned int bit = ctz32(changed);
            VFIOUserPlatformIRQ *irq = vdev->irq_by_index[w * 32 + bit];

            changed &= changed - 1;
            if (irq && (irq->e->flags & VUP_CR_IRQ_LEVEL)) {
                vfio_user_platform_set_irq(vdev, irq, (now >> bit) & 1);
            }
        }
    }
    if (!vdev->lines_in_live) {
        return;
    }
    for (w = 0; w < ARRAY_SIZE(live->irq_pulses); w += 8) {
        if (!memcmp(&live->irq_pulses[w], &vdev->irq_pulses[w], 8)) {
            continue;
        }
        for (i = w; i < w + 8 && !vdev->failed; i++) {
            VFIOUserPlatformIRQ *irq = vdev->irq_by_index[i];

            if (live->irq_pulses[i] != vdev->irq_pulses[i] && irq &&
                (irq->e->flags & VUP_CR_IRQ_EDGE)) {
                vfio_user_platform_pulse(vdev, irq);
            }
        }
        memcpy(&vdev->irq_pulses[w], &live->irq_pulses[w], 8);
    }
}

static void vfio_user_platform_sync_once(VFIOUserPlatform *vdev)
{
    struct vup_cr_live live;
    Error *err = NULL;
    unsigned int i;

    if (!vdev->lines_in_live) {
        vfio_user_platform_poll_eventfds(vdev);
    } else if (vdev->doorbell_active && !vdev->live_map) {
        event_notifier_test_and_clear(&vdev->doorbell);
    }
    if (!vdev->live_offset || vdev->failed) {
        return;
    }

    if (vdev->live_map) {
        vfio_user_platform_live_load(vdev, &live);
    } else if (vfio_user_platform_region_read(vdev, vdev->cr_index,
                                              vdev->live_offset, &live,
                                              vup_cr_live_used(vdev->view),
                                              &err) != VUP_IO_OK) {
        vfio_user_platform_fail(vdev, err, "reading the live part");
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
        uint64_t hz = le64_to_cpu(live.clock_hz[c->e->live_index]);

        if (!(c->e->flags & VUP_CR_CLOCK_OUTPUT) || hz == c->hz) {
            continue;
        }
        if (hz > VUP_CR_CLOCK_MAX_HZ) {
            vfio_user_platform_fail(vdev, NULL, "clock %s: %" PRIu64 " Hz "
                                    "in the live part is above %" PRIu64,
                                    c->e->name, hz, VUP_CR_CLOCK_MAX_HZ);
            return;
        }
        c->hz = hz;
        trace_vfio_user_platform_clock_out(vdev->socket, c->e->name, hz);
        clock_update(c->clk, CLOCK_PERIOD_FROM_HZ(hz));
    }

    if (!vdev->failed) {
        vfio_user_platform_apply_lines(vdev, &live);
    }
    if (!vdev->failed) {
        vfio_user_platform_signals_apply(vdev, &live);
    }

    if (vdev->has_vtime && !vdev->failed) {
        vfio_user_platform_set_deadline(vdev, le64_to_cpu(live.deadline_ns));
    }
    if (vdev->predicts) {
        for (i = 0; i < ARRAY_SIZE(live.deadline_raise); i++) {
            vdev->deadline_raise[i] = le32_to_cpu(live.deadline_raise[i]);
        }
    }
}

/*
 * The deadline is reached: raise the lines the backend said it raises
 * then, now, as an in-process timer's callback would, rather than after
 * the round trip that asks it (the vCPU runs on meanwhile).  The record
 * of applied levels is updated too, so the synchronisation that follows
 * lowers a line again if the backend's answer differs.
 */
static bool vfio_user_platform_raise_predicted(VFIOUserPlatform *vdev)
{
    bool raised = false;
    unsigned int w;

    for (w = 0; w < ARRAY_SIZE(vdev->deadline_raise); w++) {
        uint32_t raise = vdev->deadline_raise[w] & ~vdev->irq_level[w];

        vdev->deadline_raise[w] = 0;
        while (raise) {
            unsigned int bit = ctz32(raise);
            VFIOUserPlatformIRQ *irq = vdev->irq_by_index[w * 32 + bit];

            raise &= raise - 1;
            if (irq && (irq->e->flags & VUP_CR_IRQ_LEVEL)) {
                trace_vfio_user_platform_irq_predicted(vdev->socket,
                                                       irq->e->name,
                                                       irq->e->line);
                vdev->irq_level[w] |= 1u << bit;
                vfio_user_platform_set_irq(vdev, irq, true);
                raised = true;
            }
        }
    }
    return raised;
}

/*
 * A synchronisation point.  Applying a clock can write another backend's
 * input and synchronise it, which can come back here: the outer call then
 * goes round again instead of nesting.
 */
void vfio_user_platform_sync(VFIOUserPlatform *vdev)
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

void vfio_user_platform_sync_bh(void *opaque)
{
    vfio_user_platform_sync(opaque);
}

void vfio_user_platform_confirm_bh(void *opaque)
{
    VFIOUserPlatform *vdev = opaque;

    if (!vdev->failed && vdev->vbasedev.proxy) {
        vfio_user_platform_tell_vtime(vdev,
                                      qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL),
                                      true);
    }
}

void vfio_user_platform_deadline_cb(void *opaque)
{
    VFIOUserPlatform *vdev = opaque;
    /*
     * The time is taken before any line is raised: once one is, the vCPU
     * may run the handler's first instructions without the BQL while this
     * callback still runs in the main loop, and under -icount a clock read
     * after that would count a host-dependent number of them.
     */
    uint64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    if (vdev->failed) {
        return;
    }
    trace_vfio_user_platform_deadline_fire(vdev->socket, vdev->deadline_ns);
    /* Re-armed by the sync below if the backend still wants a wake-up. */
    vdev->deadline_ns = VUP_CR_NO_DEADLINE;
    if (vdev->predicts && vfio_user_platform_raise_predicted(vdev) &&
        vdev->doorbell_active && !icount_enabled()) {
        /*
         * Tell the backend from a bottom half, which confirms by its
         * doorbell: a message sent here, let alone a wait for its answer,
         * would hold the BQL, which the vCPU needs to take the interrupt
         * just raised.  Under -icount the vCPU is stopped while timers
         * run, and the wait below keeps runs deterministic.
         */
        qemu_bh_schedule(vdev->confirm_bh);
        return;
    }
    if (vfio_user_platform_tell_vtime(vdev, now, false)) {
        vfio_user_platform_sync(vdev);
    }
}

/* Clocks */

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
    trace_vfio_user_platform_clock_in(vdev->socket, c->e->name, hz);
    /*
     * No time goes with it: the backend applies it at the time of its
     * last request, which is the same in every run even when the change
     * reaches us from another backend's doorbell, at a moment of the
     * host's choosing.
     */
    if (vfio_user_platform_live_write(vdev,
                                      offsetof(struct vup_cr_live,
                                               clock_hz[c->e->live_index]),
                                      hz, false, c->e->name)) {
        vfio_user_platform_sync(vdev);
    }
}

static void vfio_user_platform_clock_in_cb(void *opaque, ClockEvent event)
{
    VFIOUserPlatformClock *c = opaque;

    vfio_user_platform_push_input(c->dev, c);
}

void vfio_user_platform_push_inputs(VFIOUserPlatform *vdev)
{
    unsigned int i;

    for (i = 0; i < vdev->num_clocks; i++) {
        if (vdev->clocks[i].e->flags & VUP_CR_CLOCK_INPUT) {
            vfio_user_platform_push_input(vdev, &vdev->clocks[i]);
        }
    }
}

bool vfio_user_platform_clocks_init(VFIOUserPlatform *vdev, Error **errp)
{
    DeviceState *dev = DEVICE(vdev);
    unsigned int i;

    for (i = 0; i < vdev->num_clocks; i++) {
        VFIOUserPlatformClock *c = &vdev->clocks[i];
        const struct vup_cr_clock *e = c->e;

        if (e->flags & VUP_CR_CLOCK_OUTPUT) {
            c->clk = qdev_init_clock_out(dev, e->name);
            c->hz = e->freq_hz;
            clock_set(c->clk, CLOCK_PERIOD_FROM_HZ(e->freq_hz));
        } else {
            c->clk = qdev_init_clock_in(dev, e->name,
                                        vfio_user_platform_clock_in_cb, c,
                                        ClockUpdate);
        }
        trace_vfio_user_platform_clock(vdev->socket, e->name, e->flags,
                                       e->live_index, e->freq_hz);
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
    if (irq->e->flags & VUP_CR_IRQ_EDGE) {
        vfio_user_platform_pulse(vdev, irq);
    } else {
        vfio_user_platform_sync(vdev);
    }
}

/* Control events outside a request: the live part changed. */
static void vfio_user_platform_doorbell_handler(EventNotifier *n)
{
    VFIOUserPlatform *vdev = container_of(n, VFIOUserPlatform, doorbell);

    if (event_notifier_test_and_clear(n) && !vdev->failed) {
        vfio_user_platform_sync(vdev);
    }
}

static bool vfio_user_platform_set_eventfd(VFIOUserPlatform *vdev,
                                           uint32_t index,
                                           EventNotifier *n, Error **errp)
{
    return vfio_device_irq_set_signaling(&vdev->vbasedev, index, 0,
                                         VFIO_IRQ_SET_ACTION_TRIGGER,
                                         event_notifier_get_fd(n), errp);
}

bool vfio_user_platform_irqs_init(VFIOUserPlatform *vdev, Error **errp)
{
    unsigned int i;

    vdev->irq_out = g_new0(qemu_irq, vdev->num_irqs);
    for (i = 0; i < vdev->num_irqs; i++) {
        VFIOUserPlatformIRQ *irq = &vdev->irqs[i];

        sysbus_init_irq(SYS_BUS_DEVICE(vdev), &vdev->irq_out[i]);
        trace_vfio_user_platform_irq_line(vdev->socket, irq->e->name,
                                          irq->e->irq_index, irq->e->line,
                                          irq->e->flags);
        if (vdev->lines_in_live) {
            continue;
        }
        if (event_notifier_init(&irq->notifier, 0)) {
            error_setg_errno(errp, errno, "irq %s: cannot create eventfd",
                             irq->e->name);
            return false;
        }
        irq->notifier_active = true;
        event_notifier_set_handler(&irq->notifier,
                                   vfio_user_platform_irq_handler);
        if (!vfio_user_platform_set_eventfd(vdev, irq->e->irq_index,
                                            &irq->notifier, errp)) {
            error_prepend(errp, "irq %s: ", irq->e->name);
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
        if (!vfio_user_platform_set_eventfd(vdev, vdev->doorbell_index,
                                            &vdev->doorbell, errp)) {
            error_prepend(errp, "doorbell (irq index %u): ",
                          vdev->doorbell_index);
            return false;
        }
    }
    return true;
}

/* Hand the eventfds we kept to a new connection. */
bool vfio_user_platform_irqs_rearm(VFIOUserPlatform *vdev, Error **errp)
{
    unsigned int i;

    /* The new backend starts with all lines low and counts from 0. */
    memset(vdev->irq_level, 0, sizeof(vdev->irq_level));
    memset(vdev->irq_pulses, 0, sizeof(vdev->irq_pulses));
    vfio_user_platform_signals_rearm(vdev);
    for (i = 0; i < vdev->num_irqs; i++) {
        VFIOUserPlatformIRQ *irq = &vdev->irqs[i];

        if (!irq->notifier_active) {
            continue;
        }
        event_notifier_test_and_clear(&irq->notifier);
        if (!vfio_user_platform_set_eventfd(vdev, irq->e->irq_index,
                                            &irq->notifier, errp)) {
            error_prepend(errp, "irq %s: ", irq->e->name);
            return false;
        }
    }
    if (vdev->doorbell_active &&
        !vfio_user_platform_set_eventfd(vdev, vdev->doorbell_index,
                                        &vdev->doorbell, errp)) {
        error_prepend(errp, "doorbell: ");
        return false;
    }
    return true;
}

void vfio_user_platform_irqs_exit(VFIOUserPlatform *vdev)
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
