/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control region's live part (struct vup_cr_live): IRQ levels and
 * pulse counts, signal lines, clock frequencies, the timer deadline, and QEMU's
 * vtime_ns.  Every store into
 * it is made here, so the ordering rules of include/vup/control-region.h
 * hold in one place: a backend field is stored (aligned, untorn), then seq
 * is bumped with release semantics, then, unless a reply follows, the
 * doorbell rings.  Values nobody has been told of yet (before serving) and
 * QEMU's own fields are stored without a bump.
 *
 * The part starts in struct vupi_live; the shared-memory code (mailbox.c)
 * moves it into the memfd page QEMU may map, and back when it goes.
 */
#include <string.h>
#include <unistd.h>

#include "internal.h"

void vupi_live_init(struct vupi_live *l)
{
    l->part = &l->local;
    l->doorbell_fd = -1;
}

void vupi_live_share(struct vupi_live *l, void *page)
{
    memcpy(page, l->part, sizeof(*l->part));
    l->part = page;
}

void vupi_live_unshare(struct vupi_live *l)
{
    if (l->part != &l->local) {
        l->local = *l->part;
        l->part = &l->local;
    }
}

bool vupi_live_shared(const struct vupi_live *l)
{
    return l->part != &l->local;
}

void vupi_live_set_doorbell(struct vupi_live *l, uint32_t index, int fd)
{
    if (l->doorbell_fd >= 0) {
        close(l->doorbell_fd);
    }
    l->doorbell_fd = fd;
    l->doorbell_index = index;
}

/*
 * A backend field changed.  Inside a request QEMU re-reads the live part
 * after the reply; outside one (serial input, a notifier...) it learns of
 * the change by the doorbell.
 */
static void changed(struct vupi_live *l)
{
    /* Fields first, then seq (release): see vup_cr_live in the header. */
    __atomic_store_n(&l->part->seq, l->part->seq + 1, __ATOMIC_RELEASE);
    if (!l->in_request) {
        vupi_eventfd_signal(l->doorbell_fd, "doorbell IRQ",
                            l->doorbell_index);
    }
}

bool vupi_live_set_irq(struct vupi_live *l, unsigned index, bool level)
{
    uint32_t *word = &l->part->irq_level[index / 32];
    uint32_t bit = 1u << (index % 32);

    if (!!(*word & bit) == level) {
        return false;
    }
    *word ^= bit;
    changed(l);
    return true;
}

/* One more pulse of EDGE line @index (1.3: a count modulo 256). */
void vupi_live_pulse(struct vupi_live *l, unsigned index)
{
    l->part->irq_pulses[index]++;
    changed(l);
}

void vupi_live_set_lines(struct vupi_live *l, unsigned first, unsigned width,
                         uint32_t lines)
{
    for (unsigned i = 0; i < width; i++) {
        uint32_t bit = 1u << ((first + i) % 32);
        uint32_t *w = &l->part->sig_out[(first + i) / 32];

        *w = (lines >> i) & 1 ? *w | bit : *w & ~bit;
    }
    changed(l);
}

/* One more pulse of signal line @line (1.5: a count modulo 256). */
void vupi_live_pulse_line(struct vupi_live *l, unsigned line)
{
    l->part->sig_out_pulses[line]++;
    changed(l);
}

bool vupi_live_set_clock(struct vupi_live *l, unsigned i, uint64_t hz)
{
    if (l->part->clock_hz[i] == hz) {
        return false;
    }
    l->part->clock_hz[i] = hz;
    changed(l);
    return true;
}

void vupi_live_put_clock(struct vupi_live *l, unsigned i, uint64_t hz)
{
    l->part->clock_hz[i] = hz;
}

/* The deadline and (1.4) the lines it raises: one seq bump for both. */
bool vupi_live_set_deadline(struct vupi_live *l, uint64_t deadline_ns,
                            const uint32_t raise[VUP_CR_MAX_IRQS / 32])
{
    if (l->part->deadline_ns == deadline_ns &&
        !memcmp(l->part->deadline_raise, raise,
                sizeof(l->part->deadline_raise))) {
        return false;
    }
    l->part->deadline_ns = deadline_ns;
    memcpy(l->part->deadline_raise, raise, sizeof(l->part->deadline_raise));
    changed(l);
    return true;
}

void vupi_live_put_deadline(struct vupi_live *l, uint64_t deadline_ns)
{
    l->part->deadline_ns = deadline_ns;
}

void vupi_live_put_vtime(struct vupi_live *l, uint64_t vtime_ns)
{
    /* A shared part holds QEMU's own store, which may be newer. */
    if (!vupi_live_shared(l)) {
        l->part->vtime_ns = vtime_ns;
    }
}

uint64_t vupi_live_qemu_vtime(const struct vupi_live *l)
{
    return __atomic_load_n(&l->part->vtime_ns, __ATOMIC_ACQUIRE);
}

/*
 * QEMU's doorbell and its time go with it; the next client counts pulses
 * from 0 (a device reset does not: QEMU keeps the counts it applied).
 */
void vupi_live_client_gone(struct vupi_live *l)
{
    vupi_live_set_doorbell(l, l->doorbell_index, -1);
    l->part->vtime_ns = 0;
    memset(l->part->irq_pulses, 0, sizeof(l->part->irq_pulses));
    memset(l->part->sig_out_pulses, 0, sizeof(l->part->sig_out_pulses));
    memset(l->part->sig_in_pulses, 0, sizeof(l->part->sig_in_pulses));
}
