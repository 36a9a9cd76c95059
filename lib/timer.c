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
    if (d->desc && !d->virtual_time) {
        vupi_fail(d, EBUSY, "timers must exist before vup_dev_listen() "
                  "to publish the VIRTUAL_TIME capability");
        return NULL;
    }
    if (d->num_timers == VUPI_MAX_TIMERS) {
        vupi_fail(d, ENOSPC, "more than %u timers", VUPI_MAX_TIMERS);
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        vupi_fail(d, ENOMEM, "out of memory");
        return NULL;
    }
    *t = (struct vup_timer){ .dev = d, .fn = fn, .opaque = opaque };
    if (!d->virtual_time) {
        d->virtual_time = true;
        d->live->deadline_ns = VUP_CR_NO_DEADLINE;
    }
    d->timers[d->num_timers++] = t;
    return t;
}

/* Publishes the earliest deadline when it changed. */
static void update_deadline(vup_dev *d)
{
    uint64_t next = VUP_CR_NO_DEADLINE;

    if (!d->virtual_time) {
        return;
    }
    for (size_t i = 0; i < d->num_timers; i++) {
        if (d->timers[i]->armed && d->timers[i]->deadline < next) {
            next = d->timers[i]->deadline;
        }
    }
    if (next != d->live->deadline_ns) {
        d->live->deadline_ns = next;
        vupi_dev_live_changed(d);
    }
}

void vup_timer_free(vup_timer *t)
{
    vup_dev *d;

    if (!t) {
        return;
    }
    d = t->dev;
    for (size_t i = 0; i < d->num_timers; i++) {
        if (d->timers[i] == t) {
            d->timers[i] = d->timers[--d->num_timers];
            break;
        }
    }
    free(t);
    update_deadline(d);
}

void vup_timer_arm(vup_timer *t, uint64_t when_ns)
{
    /* Time never goes back for a model: a past deadline means now. */
    t->deadline = when_ns < t->dev->now_ns ? t->dev->now_ns : when_ns;
    t->armed = true;
    update_deadline(t->dev);
}

void vup_timer_arm_in(vup_timer *t, uint64_t delay_ns)
{
    uint64_t now = t->dev->now_ns;

    vup_timer_arm(t, delay_ns > UINT64_MAX - 1 - now ? UINT64_MAX - 1
                                                     : now + delay_ns);
}

void vup_timer_cancel(vup_timer *t)
{
    if (t->armed) {
        t->armed = false;
        update_deadline(t->dev);
    }
}

bool vup_timer_armed(const vup_timer *t)
{
    return t->armed;
}

uint64_t vup_dev_now_ns(const vup_dev *d)
{
    return d->now_ns;
}

/* The earliest timer due by @vtime; the first created wins a tie. */
static vup_timer *next_due(vup_dev *d, uint64_t vtime)
{
    vup_timer *best = NULL;

    for (size_t i = 0; i < d->num_timers; i++) {
        vup_timer *t = d->timers[i];

        if (t->armed && t->deadline <= vtime &&
            (!best || t->deadline < best->deadline)) {
            best = t;
        }
    }
    return best;
}

void vupi_timers_run(vup_dev *d)
{
    const uint64_t vtime = d->vtime;
    vup_timer *t;
    unsigned runs = 0;

    /* A callback that writes registers must not recurse into here. */
    if (d->running_timers || !d->virtual_time) {
        return;
    }
    d->running_timers = true;
    while ((t = next_due(d, vtime)) != NULL) {
        if (++runs > MAX_RUNS_PER_SYNC) {
            vup_log(VUP_LOG_ERROR, "%s: timers keep re-arming at %" PRIu64
                    " ns: cancelled", d->name, t->deadline);
            vupi_timers_reset(d);
            break;
        }
        t->armed = false;
        d->now_ns = t->deadline;
        t->fn(t, t->opaque);
    }
    d->now_ns = vtime;
    d->running_timers = false;
    update_deadline(d);
}

void vupi_timers_reset(vup_dev *d)
{
    for (size_t i = 0; i < d->num_timers; i++) {
        d->timers[i]->armed = false;
    }
    update_deadline(d);
}

void vupi_timers_free(vup_dev *d)
{
    for (size_t i = 0; i < d->num_timers; i++) {
        free(d->timers[i]);
    }
    d->num_timers = 0;
}

void vupi_time_client_gone(vup_dev *d)
{
    d->vtime = 0;
    d->live->vtime_ns = 0;
    d->now_ns = 0;
}
