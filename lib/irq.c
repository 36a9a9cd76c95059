/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IRQ lines: every peripheral's lines in vfio IRQ index order, the
 * eventfds a client registered for them, and vup_irq_set()/vup_irq_pulse().
 * A LEVEL line's level and an EDGE line's pulse count live in the live
 * part (live.c), whose change rings the doorbell outside a request: that
 * is all a 1.3 client needs, and it registers no eventfd per line.  A
 * line's eventfd is signalled too if a client registered one (an older
 * client): when the level changes, or on each pulse.
 */
#include <unistd.h>

#include "internal.h"

uint32_t vupi_irqs_add(vup_dev *d, vup_periph *p)
{
    const uint32_t base = (uint32_t)d->irqs.num;

    for (size_t i = 0; i < p->desc.num_irqs; i++) {
        d->irqs.line[d->irqs.num++] = (struct vupi_irq){
            .periph = p, .n = (unsigned)i, .flags = p->desc.irqs[i].flags,
            .fd = -1,
        };
    }
    return base;
}

void vupi_irq_set_fd(vup_dev *d, uint32_t index, int fd)
{
    int *slot = &d->irqs.line[index].fd;

    if (*slot >= 0) {
        close(*slot);
    }
    *slot = fd;
}

static void irq_signal(vup_dev *d, unsigned index)
{
    vupi_eventfd_signal(d->irqs.line[index].fd, "IRQ", index);
}

static void irq_level(vup_dev *d, unsigned index, bool level)
{
    if (vupi_live_set_irq(&d->live, index, level)) {
        irq_signal(d, index);
    }
}

static struct vupi_irq *periph_irq(vup_periph *p, unsigned n, uint32_t flags,
                                   const char *what)
{
    struct vupi_irq *q;

    if (n >= p->desc.num_irqs) {
        vup_log(VUP_LOG_ERROR, "%s: %s of IRQ %u: only %zu IRQs", p->name,
                what, n, p->desc.num_irqs);
        return NULL;
    }
    q = &p->dev->irqs.line[p->irq_base + n];
    if (q->flags != flags) {
        vup_log(VUP_LOG_ERROR, "%s: %s of IRQ %s, which is %s", p->name,
                what, p->desc.irqs[n].name,
                q->flags == VUP_CR_IRQ_LEVEL ? "level" : "edge");
        return NULL;
    }
    return q;
}

bool vupi_irq_is_level(vup_periph *p, unsigned n, const char *what)
{
    return periph_irq(p, n, VUP_CR_IRQ_LEVEL, what) != NULL;
}

void vup_irq_set(vup_periph *p, unsigned n, bool level)
{
    if (periph_irq(p, n, VUP_CR_IRQ_LEVEL, "vup_irq_set")) {
        irq_level(p->dev, p->irq_base + n, level);
    }
}

void vup_irq_pulse(vup_periph *p, unsigned n)
{
    if (periph_irq(p, n, VUP_CR_IRQ_EDGE, "vup_irq_pulse")) {
        vupi_live_pulse(&p->dev->live, p->irq_base + n);
        irq_signal(p->dev, p->irq_base + n);
    }
}

void vupi_irqs_lower(vup_dev *d)
{
    for (size_t i = 0; i < d->irqs.num; i++) {
        irq_level(d, (unsigned)i, false);
    }
}

void vupi_irqs_client_gone(vup_dev *d)
{
    for (size_t i = 0; i < d->irqs.num; i++) {
        if (d->irqs.line[i].fd >= 0) {
            close(d->irqs.line[i].fd);
            d->irqs.line[i].fd = -1;
        }
    }
}
