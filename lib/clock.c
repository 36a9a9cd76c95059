/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Clocks: control-region clock entries, their frequencies in the live part,
 * routing inside one device, and notifiers.
 *
 * QEMU routes an OUTPUT of one device to the INPUTs of the same name in the
 * others.  Inside one device the control region cannot list a name twice,
 * so an input whose output is in the same device (RCC and USART in one
 * process) is routed here instead: both get the output's slot, and the
 * input's notifiers run when the output changes.  That also spares a round
 * trip through QEMU, and the consumer sees the change before the access
 * that made it is answered.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "internal.h"

static bool name_ok(const char *name)
{
    return name && name[0] && strlen(name) < VUP_CR_NAME_LEN;
}

static int find_clock(const vup_dev *d, const char *name)
{
    for (size_t i = 0; i < d->clocks.num; i++) {
        if (!strcmp(d->clocks.clock[i].name, name)) {
            return (int)i;
        }
    }
    return -1;
}

int vup_dev_add_clock(vup_dev *d, const char *name, uint32_t flags,
                      uint64_t freq_hz)
{
    uint32_t dir = flags & (VUP_CR_CLOCK_OUTPUT | VUP_CR_CLOCK_INPUT);
    struct vupi_clock *c;
    int i;

    if (d->cr.desc) {
        return vupi_fail(d, EBUSY, "device already serving: add "
                         "everything before vup_dev_listen()");
    }
    if (!name_ok(name)) {
        return vupi_fail(d, EINVAL, "clock name must have 1 to %u "
                         "characters", VUP_CR_NAME_LEN - 1);
    }
    if ((flags & ~VUP_CR_CLOCK_FLAGS_KNOWN) ||
        (dir != VUP_CR_CLOCK_OUTPUT && dir != VUP_CR_CLOCK_INPUT) ||
        (dir == VUP_CR_CLOCK_INPUT && flags != VUP_CR_CLOCK_INPUT)) {
        return vupi_fail(d, EINVAL, "clock %s: flags 0x%x: need OUTPUT "
                         "(with optional roles) or INPUT", name, flags);
    }
    if (freq_hz > VUP_CR_CLOCK_MAX_HZ) {
        return vupi_fail(d, EINVAL, "clock %s: %" PRIu64 " Hz is above "
                         "the maximum", name, freq_hz);
    }
    i = find_clock(d, name);
    if (i >= 0) {
        c = &d->clocks.clock[i];
        if (dir == VUP_CR_CLOCK_INPUT) {
            return i;   /* another consumer, or one of our own output */
        }
        if (c->flags & VUP_CR_CLOCK_OUTPUT) {
            return vupi_fail(d, EEXIST, "clock %s: two outputs", name);
        }
        /* Its consumers were declared first: the entry becomes the output. */
    } else {
        if (d->clocks.num == VUP_CR_MAX_CLOCKS) {
            return vupi_fail(d, ENOSPC, "more than %u clocks",
                             VUP_CR_MAX_CLOCKS);
        }
        i = (int)d->clocks.num++;
        c = &d->clocks.clock[i];
        strcpy(c->name, name);
    }
    c->flags = flags;
    c->reset_hz = dir == VUP_CR_CLOCK_OUTPUT ? freq_hz : 0;
    vupi_live_put_clock(&d->live, (unsigned)i, c->reset_hz);
    return i;
}

int vup_clock_notify(vup_dev *d, unsigned clock, vup_clock_fn fn,
                     void *opaque)
{
    if (clock >= d->clocks.num || !fn) {
        return vupi_fail(d, EINVAL, "clock notify: no clock %u or no "
                         "callback", clock);
    }
    if (d->clocks.num_notifiers == VUPI_MAX_NOTIFIERS) {
        return vupi_fail(d, ENOSPC, "more than %u clock notifiers",
                         VUPI_MAX_NOTIFIERS);
    }
    d->clocks.notifier[d->clocks.num_notifiers++] =
        (struct vupi_clock_notifier){
            .clock = clock, .fn = fn, .opaque = opaque,
        };
    return 0;
}

static void notify(vup_dev *d, unsigned clock)
{
    for (size_t i = 0; i < d->clocks.num_notifiers; i++) {
        if (d->clocks.notifier[i].clock == clock) {
            d->clocks.notifier[i].fn(d->clocks.notifier[i].opaque, clock,
                               d->live.part->clock_hz[clock]);
        }
    }
}

int vup_clock_set_hz(vup_dev *d, unsigned clock, uint64_t hz)
{
    if (clock >= d->clocks.num ||
        !(d->clocks.clock[clock].flags & VUP_CR_CLOCK_OUTPUT)) {
        return vupi_fail(d, EINVAL, "clock %u is not an output", clock);
    }
    if (hz > VUP_CR_CLOCK_MAX_HZ) {
        return vupi_fail(d, EINVAL, "clock %s: %" PRIu64 " Hz is above "
                         "the maximum", d->clocks.clock[clock].name, hz);
    }
    if (vupi_live_set_clock(&d->live, clock, hz)) {
        notify(d, clock);
    }
    return 0;
}

uint64_t vup_clock_get_hz(const vup_dev *d, unsigned clock)
{
    return clock < d->clocks.num ? d->live.part->clock_hz[clock] : 0;
}

void vupi_clocks_reset(vup_dev *d)
{
    for (size_t i = 0; i < d->clocks.num; i++) {
        if (d->clocks.clock[i].flags & VUP_CR_CLOCK_OUTPUT) {
            vup_clock_set_hz(d, (unsigned)i, d->clocks.clock[i].reset_hz);
        }
    }
}

/* Inputs QEMU drove are gone with it: consumers see them stop. */
void vupi_clocks_client_gone(vup_dev *d)
{
    for (size_t i = 0; i < d->clocks.num; i++) {
        if ((d->clocks.clock[i].flags & VUP_CR_CLOCK_INPUT) &&
            d->live.part->clock_hz[i]) {
            vupi_live_put_clock(&d->live, (unsigned)i, 0);
            notify(d, (unsigned)i);
        }
    }
}

void vupi_clock_input(vup_dev *d, unsigned clock, uint64_t hz)
{
    vupi_live_put_clock(&d->live, clock, hz);
    notify(d, clock);
}
