/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control region's encoder (include/vup/control-region.h): a vup_dev's
 * description as the descriptor, checked by the validator every reader
 * runs (cr-decode.c), and the layout it fixes: where the live part and the
 * mailbox sit in region 0, which vfio IRQ indexes the doorbell and the
 * mailbox kick take.  Accesses of region 0 are access.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vup/cr.h"

static void *put_entry(uint8_t *buf, uint32_t *off, uint16_t type,
                       uint32_t length)
{
    struct vup_cr_entry_hdr *e = (struct vup_cr_entry_hdr *)(buf + *off);

    e->type = type;
    e->length = length;
    *off += length;
    return e;
}

/*
 * The decoder, with the limits a client learns from DEVICE_GET_INFO and
 * GET_REGION_INFO: what we serve is refused nowhere.
 */
static int self_check(vup_dev *d, const uint8_t *buf, size_t size,
                      struct vup_cr_view *view, char *err, size_t errlen)
{
    uint64_t sizes[VUPI_MAX_PERIPHS + 1];
    uint32_t flags[VUPI_MAX_PERIPHS + 1];
    struct vup_cr_device_limits lim = {
        .num_regions = (uint32_t)d->num_periphs + 1,
        .num_irqs = vupi_cr_num_irq_indexes(d),
        .region_size = sizes,
        .region_flags = flags,
        .cr_index = VUP_CR_REGION_INDEX,
    };

    for (size_t i = 0; i <= d->num_periphs; i++) {
        sizes[i] = i ? d->periphs[i - 1]->desc.size : vupi_cr_size(d);
        flags[i] = VUP_CR_REGION_READABLE | VUP_CR_REGION_WRITABLE;
    }
    return vup_cr_decode(buf, size, &lim, view, err, errlen);
}

int vupi_cr_encode(vup_dev *d)
{
    size_t num_caps, entries, size, num_direct = 0;
    struct vup_cr_view *view;
    struct vup_cr_header *h;
    uint8_t *buf;
    uint32_t off = sizeof(*h);
    char err[200];
    int ret;

    /*
     * Lines, clocks and deadlines can change outside a request: the
     * doorbell says so, and with it (1.3) the live part carries the lines.
     */
    d->cr.has_doorbell = d->timers.virtual_time || d->irqs.num;
    for (size_t i = 0; i < d->clocks.num; i++) {
        if (d->clocks.clock[i].flags & VUP_CR_CLOCK_OUTPUT) {
            d->cr.has_doorbell = true;
        }
    }
    for (size_t i = 0; i < d->wires.num; i++) {
        if (d->wires.group[i]->published &&
            (d->wires.group[i]->flags & VUP_SIGNAL_OUT)) {
            d->cr.has_doorbell = true;
        }
    }
    /* The mailbox, in the page after the live part, unless disabled. */
    d->cr.mbox_offset = 0;
    num_caps = (d->timers.virtual_time ? 1 : 0) +
               (d->cr.has_doorbell ? 1 : 0) +
               (!d->no_fast_path && d->num_periphs ? 1 : 0);
    for (size_t i = 0; i < d->num_periphs; i++) {
        num_direct += d->periphs[i]->num_direct;
    }
    entries = d->num_periphs + d->irqs.num + d->clocks.num +
              d->num_memories + (d->has_cpu ? 1 : 0) + num_caps + num_direct +
              d->wires.num_published;
    size = sizeof(struct vup_cr_header) +
           d->num_periphs * sizeof(struct vup_cr_mmio) +
           d->irqs.num * sizeof(struct vup_cr_irq) +
           d->clocks.num * sizeof(struct vup_cr_clock) +
           d->num_memories * sizeof(struct vup_cr_memory) +
           (d->has_cpu ? sizeof(struct vup_cr_cpu) : 0) +
           num_caps * sizeof(struct vup_cr_cap) +
           num_direct * sizeof(struct vup_cr_direct) +
           d->wires.num_published * sizeof(struct vup_cr_signal);
    if (entries > VUP_CR_MAX_ENTRIES || size > VUP_CR_MAX_DESC_SIZE) {
        return vupi_fail(d, E2BIG, "control region: %zu entries in %zu "
                         "bytes exceed the limits", entries, size);
    }
    buf = calloc(1, size);
    view = malloc(sizeof(*view));
    if (!buf || !view) {
        free(buf);
        free(view);
        return vupi_fail(d, ENOMEM, "out of memory");
    }
    h = (struct vup_cr_header *)buf;
    h->magic = VUP_CR_MAGIC;
    h->version_major = VUP_CR_VERSION_MAJOR;
    h->version_minor = VUP_CR_VERSION_MINOR;
    h->header_size = sizeof(*h);
    h->desc_size = (uint32_t)size;
    h->num_entries = (uint32_t)entries;
    d->cr.live_offset = ((uint32_t)size + VUP_CR_LIVE_ALIGN - 1) &
                     ~(VUP_CR_LIVE_ALIGN - 1);
    h->live_offset = d->cr.live_offset;
    h->live_size = VUPI_LIVE_SIZE;
    strcpy(h->device_name, d->name);

    for (size_t i = 0; i < d->num_periphs; i++) {
        const vup_periph *p = d->periphs[i];
        struct vup_cr_mmio *m = put_entry(buf, &off, VUP_CR_ENTRY_MMIO,
                                          sizeof(*m));

        m->region_index = p->region;
        m->flags = p->desc.mmio_flags |
                   (p->mirror ? VUP_CR_MMIO_DIRECT_MAPPED : 0);
        m->base = p->desc.base;
        m->size = p->desc.size;
        m->min_access = 1;
        m->max_access = 4;
        strcpy(m->name, p->name);
    }
    for (size_t i = 0; i < d->num_periphs; i++) {
        const vup_periph *p = d->periphs[i];
        struct vupi_range r[VUP_CR_MAX_DIRECT];
        size_t n = p->mirror ? vupi_mirror_ranges(p, r, p->num_direct) : 0;

        for (size_t j = 0; j < n; j++) {
            struct vup_cr_direct *e = put_entry(buf, &off,
                                                VUP_CR_ENTRY_DIRECT,
                                                sizeof(*e));

            e->region_index = p->region;
            e->offset = r[j].offset;
            e->size = r[j].size;
        }
    }
    for (size_t i = 0; i < d->irqs.num; i++) {
        const struct vup_irq_desc *q =
            &d->irqs.line[i].periph->desc.irqs[d->irqs.line[i].n];
        struct vup_cr_irq *e = put_entry(buf, &off, VUP_CR_ENTRY_IRQ,
                                         sizeof(*e));

        e->irq_index = (uint32_t)i;
        e->line = q->line;
        e->flags = q->flags;
        strcpy(e->name, q->name);
    }
    for (size_t i = 0; i < d->clocks.num; i++) {
        struct vup_cr_clock *c = put_entry(buf, &off, VUP_CR_ENTRY_CLOCK,
                                           sizeof(*c));

        c->flags = d->clocks.clock[i].flags;
        c->live_index = (uint32_t)i;
        c->freq_hz = d->clocks.clock[i].reset_hz;
        strcpy(c->name, d->clocks.clock[i].name);
    }
    for (size_t i = 0; i < d->wires.num; i++) {
        const vup_signal *g = d->wires.group[i];
        struct vup_cr_signal *e;

        if (!g->published) {
            continue;
        }
        e = put_entry(buf, &off, VUP_CR_ENTRY_SIGNAL, sizeof(*e));
        e->flags = (g->flags & VUP_SIGNAL_OUT ? VUP_CR_SIGNAL_OUT
                                              : VUP_CR_SIGNAL_IN) |
                   (g->flags & VUP_SIGNAL_PULSE ? VUP_CR_SIGNAL_PULSE : 0);
        e->first = (uint16_t)g->first;
        e->width = (uint16_t)g->width;
        strcpy(e->name, g->name);
    }
    for (size_t i = 0; i < d->num_memories; i++) {
        struct vup_cr_memory *m = put_entry(buf, &off, VUP_CR_ENTRY_MEMORY,
                                            sizeof(*m));

        m->kind = d->memories[i].kind;
        m->base = d->memories[i].base;
        m->size = d->memories[i].size;
        strcpy(m->name, d->memories[i].name);
    }
    if (d->has_cpu) {
        struct vup_cr_cpu *c = put_entry(buf, &off, VUP_CR_ENTRY_CPU,
                                         sizeof(*c));

        c->num_irq = d->cpu_num_irq;
        strcpy(c->cpu_type, d->cpu_type);
    }
    if (d->timers.virtual_time) {
        struct vup_cr_cap *c = put_entry(buf, &off, VUP_CR_ENTRY_CAP,
                                         sizeof(*c));

        c->id = VUP_CR_CAP_VIRTUAL_TIME;
        c->version = 1;
    }
    if (d->cr.has_doorbell) {
        struct vup_cr_cap *c = put_entry(buf, &off, VUP_CR_ENTRY_CAP,
                                         sizeof(*c));

        c->id = VUP_CR_CAP_DOORBELL;
        c->version = 1;
        c->offset = (uint32_t)d->irqs.num;  /* the index after the lines */
    }
    if (!d->no_fast_path && d->num_periphs) {
        struct vup_cr_cap *c = put_entry(buf, &off, VUP_CR_ENTRY_CAP,
                                         sizeof(*c));

        d->cr.mbox_offset = d->cr.live_offset + VUPI_LIVE_SIZE;
        d->cr.kick_index = (uint32_t)d->irqs.num +
                           (d->cr.has_doorbell ? 1 : 0);
        c->id = VUP_CR_CAP_FAST_PATH;
        c->version = VUP_CR_MBOX_VERSION;
        c->offset = d->cr.mbox_offset;
        c->size = VUPI_MBOX_PAGE;
    }

    /* What we serve must pass the checks QEMU runs, with what it knows. */
    ret = self_check(d, buf, size, view, err, sizeof(err));
    free(view);
    if (ret < 0) {
        free(buf);
        return vupi_fail(d, EINVAL, "control region: %s", err);
    }
    d->cr.desc = buf;
    d->cr.desc_size = (uint32_t)size;
    return 0;
}

void vupi_cr_fini(vup_dev *d)
{
    free(d->cr.desc);
    d->cr.desc = NULL;
}

uint64_t vupi_cr_size(const vup_dev *d)
{
    return (uint64_t)d->cr.live_offset + VUPI_LIVE_SIZE +
           (d->cr.mbox_offset ? VUPI_MBOX_PAGE : 0);
}

uint32_t vupi_cr_num_irq_indexes(const vup_dev *d)
{
    return (uint32_t)d->irqs.num + (d->cr.has_doorbell ? 1 : 0) +
           (d->cr.mbox_offset ? 1 : 0);
}
