/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timers in guest virtual time (the VIRTUAL_TIME capability).
 *
 * QEMU writes vtime_ns before each access it forwards and when the deadline
 * we publish (deadline_ns: the earliest armed timer) is reached.  Timers due
 * by then run at once, earliest first, before anything else is handled, so
 * a model's state at an access is what it would be at that guest instant.
 * A few timers per device: a linear scan is enough.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "internal.h"

/* Callbacks per run that re-arm at "now": more is a model bug. */
#define MAX_RUNS_PER_SYNC 100000u

vup_timer *vup_timer_new(vup_dev *d, vup_timer_fn fn, void *opaque)
{
    vup_timer *t;

    if (!fn) {
        vupi_fail(d, EINVAL, "timer without a callback");
        return NULL;
    }
    if (d->cr.desc && !d->timers.virtual_time) {
        vupi_fail(d, EBUSY, "timers must exist before vup_dev_listen() "
                  "to publish the VIRTUAL_TIME capability");
        return NULL;
    }
    if (d->timers.num == VUPI_MAX_TIMERS) {
        vupi_fail(d, ENOSPC, "more than %u timers", VUPI_MAX_TIMERS);
        return NULL;
    }
    t = vupi_zalloc(d, sizeof(*t));
    if (!t) {
        return NULL;
    }
    *t = (struct vup_timer){ .dev = d, .fn = fn, .opaque = opaque,
                             .predicted_irq = -1 };
    if (!d->timers.virtual_time) {
        d->timers.virtual_time = true;
        vupi_live_put_deadline(&d->live, VUP_CR_NO_DEADLINE);
    }
    d->timers.timer[d->timers.num++] = t;
    return t;
}

/*
 * Publishes the earliest deadline and the lines the timers due then said
 * they raise (the live part bumps seq if either changed).
 */
static void update_deadline(vup_dev *d)
{
    uint32_t raise[VUP_CR_MAX_IRQS / 32] = { 0 };
    uint64_t next = VUP_CR_NO_DEADLINE;

    if (!d->timers.virtual_time) {
        return;
    }
    for (size_t i = 0; i < d->timers.num; i++) {
        if (d->timers.timer[i]->armed && d->timers.timer[i]->deadline < next) {
            next = d->timers.timer[i]->deadline;
        }
    }
    for (size_t i = 0; i < d->timers.num; i++) {
        const vup_timer *t = d->timers.timer[i];

        if (t->armed && t->deadline == next && t->predicted_irq >= 0) {
            raise[t->predicted_irq / 32] |= 1u << (t->predicted_irq % 32);
        }
    }
    vupi_live_set_deadline(&d->live, next, raise);
}

void vup_timer_free(vup_timer *t)
{
    vup_dev *d;

    if (!t) {
        return;
    }
    d = t->dev;
    for (size_t i = 0; i < d->timers.num; i++) {
        if (d->timers.timer[i] == t) {
            d->timers.timer[i] = d->timers.timer[--d->timers.num];
            break;
        }
    }
    free(t);
    update_deadline(d);
}

void vup_timer_arm(vup_timer *t, uint64_t when_ns)
{
    const uint64_t now = t->dev->timers.now_ns;

    /* Time never goes back for a model: a past deadline means now. */
    t->deadline = when_ns < now ? now : when_ns;
    t->armed = true;
    t->predicted_irq = -1;
    update_deadline(t->dev);
}

void vup_timer_predict_irq(vup_timer *t, vup_periph *p, unsigned n)
{
    if (!t->armed || !vupi_irq_is_level(p, n, "vup_timer_predict_irq")) {
        return;
    }
    t->predicted_irq = (int)(p->irq_base + n);
    update_deadline(t->dev);
}

void vup_timer_arm_in(vup_timer *t, uint64_t delay_ns)
{
    uint64_t now = t->dev->timers.now_ns;

    vup_timer_arm(t, delay_ns > UINT64_MAX - 1 - now ? UINT64_MAX - 1
                                                     : now + delay_ns);
}

void vup_timer_cancel(vup_timer *t)
{
    if (t->armed) {
        t->armed = false;
        t->predicted_irq = -1;
        update_deadline(t->dev);
    }
}

bool vup_timer_armed(const vup_timer *t)
{
    return t->armed;
}

uint64_t vup_dev_now_ns(const vup_dev *d)
{
    return d->timers.now_ns;
}

/* The earliest timer due by @vtime; the first created wins a tie. */
static vup_timer *next_due(vup_dev *d, uint64_t vtime)
{
    vup_timer *best = NULL;

    for (size_t i = 0; i < d->timers.num; i++) {
        vup_timer *t = d->timers.timer[i];

        if (t->armed && t->deadline <= vtime &&
            (!best || t->deadline < best->deadline)) {
            best = t;
        }
    }
    return best;
}

void vupi_time_set(vup_dev *d, uint64_t vtime)
{
    if (vtime < d->timers.vtime) {
        vup_log(VUP_LOG_DEBUG, "%s: virtual time went back from %" PRIu64
                " to %" PRIu64 " ns", d->name, d->timers.vtime, vtime);
    }
    d->timers.vtime = vtime;
    d->timers.now_ns = vtime;
    vupi_timers_run(d);
}

void vupi_timers_run(vup_dev *d)
{
    const uint64_t vtime = d->timers.vtime;
    vup_timer *t;
    unsigned runs = 0;

    /* A callback that writes registers must not recurse into here. */
    if (d->timers.running || !d->timers.virtual_time) {
        return;
    }
    d->timers.running = true;
    while ((t = next_due(d, vtime)) != NULL) {
        if (++runs > MAX_RUNS_PER_SYNC) {
            vup_log(VUP_LOG_ERROR, "%s: timers keep re-arming at %" PRIu64
                    " ns: cancelled", d->name, t->deadline);
            vupi_timers_reset(d);
            break;
        }
        t->armed = false;
        d->timers.now_ns = t->deadline;
        t->fn(t, t->opaque);
    }
    d->timers.now_ns = vtime;
    d->timers.running = false;
    update_deadline(d);
}

void vupi_timers_reset(vup_dev *d)
{
    for (size_t i = 0; i < d->timers.num; i++) {
        d->timers.timer[i]->armed = false;
    }
    update_deadline(d);
}

void vupi_timers_free(vup_dev *d)
{
    for (size_t i = 0; i < d->timers.num; i++) {
        free(d->timers.timer[i]);
    }
    d->timers.num = 0;
}

void vupi_time_client_gone(vup_dev *d)
{
    d->timers.vtime = 0;
    d->timers.now_ns = 0;
}
