/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Declarative register tables: validation, reset, and guest accesses of
 * 1, 2 or 4 bytes merged into the 32-bit registers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static int cmp_reg(const void *a, const void *b)
{
    const struct vup_reg *ra = *(const struct vup_reg *const *)a;
    const struct vup_reg *rb = *(const struct vup_reg *const *)b;

    return ra->offset < rb->offset ? -1 : ra->offset > rb->offset;
}

int vupi_regs_init(vup_periph *p, char *err, size_t errlen)
{
    const struct vup_periph_desc *desc = &p->desc;
    size_t n = desc->num_regs;

    if (n && !desc->regs) {
        snprintf(err, errlen, "%s: num_regs %zu but no table", p->name, n);
        return -EINVAL;
    }
    p->sorted = calloc(n ? n : 1, sizeof(*p->sorted));
    p->values = calloc(n ? n : 1, sizeof(*p->values));
    if (!p->sorted || !p->values) {
        snprintf(err, errlen, "%s: out of memory", p->name);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct vup_reg *r = &desc->regs[i];

        if (!r->name || !r->name[0]) {
            snprintf(err, errlen, "%s: register %zu has no name", p->name, i);
            return -EINVAL;
        }
        if (r->offset % 4 || r->offset > desc->size - 4) {
            snprintf(err, errlen, "%s.%s: offset 0x%x is not a 4-byte "
                     "aligned offset inside the 0x%x-byte window", p->name,
                     r->name, r->offset, desc->size);
            return -EINVAL;
        }
        p->sorted[i] = r;
    }
    qsort(p->sorted, n, sizeof(*p->sorted), cmp_reg);
    for (size_t i = 1; i < n; i++) {
        if (p->sorted[i]->offset == p->sorted[i - 1]->offset) {
            snprintf(err, errlen, "%s: %s and %s both at offset 0x%x",
                     p->name, p->sorted[i - 1]->name, p->sorted[i]->name,
                     p->sorted[i]->offset);
            return -EINVAL;
        }
    }
    return 0;
}

void vupi_regs_reset(vup_periph *p)
{
    for (size_t i = 0; i < p->desc.num_regs; i++) {
        p->values[i] = p->sorted[i]->reset;
        vupi_mirror_store(p, i);
    }
    p->num_unmapped = 0;
}

static long find(const vup_periph *p, uint32_t offset)
{
    size_t lo = 0, hi = p->desc.num_regs;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t o = p->sorted[mid]->offset;

        if (o == offset) {
            return (long)mid;
        }
        if (o < offset) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return -1;
}

/* Logs each unmapped offset once (bounded), so a polling loop is quiet. */
static void log_unmapped(vup_periph *p, uint32_t offset, bool write)
{
    for (unsigned i = 0; i < p->num_unmapped; i++) {
        if (p->unmapped[i] == offset) {
            return;
        }
    }
    if (p->num_unmapped == VUPI_UNMAPPED_LOG) {
        return;
    }
    p->unmapped[p->num_unmapped++] = offset;
    vup_log(VUP_LOG_DEBUG, "%s: %s of unmapped offset 0x%x%s", p->name,
            write ? "write" : "read", offset,
            p->num_unmapped == VUPI_UNMAPPED_LOG ?
            " (no more unmapped offsets will be logged)" : "");
}

static uint32_t lane_mask(uint32_t offset, unsigned size)
{
    uint32_t m = size == 4 ? UINT32_MAX : (1u << (size * 8)) - 1;

    return m << ((offset & 3) * 8);
}

uint32_t vupi_regs_read(vup_periph *p, uint32_t offset, unsigned size)
{
    long i = find(p, offset & ~3u);
    uint32_t v;

    if (i < 0) {
        log_unmapped(p, offset, false);
        return 0;
    }
    v = p->values[i];
    if (p->sorted[i]->read) {
        v = p->sorted[i]->read(p, p->sorted[i], v);
    }
    return (v & lane_mask(offset, size)) >> ((offset & 3) * 8);
}

void vupi_regs_write(vup_periph *p, uint32_t offset, unsigned size,
                     uint32_t data)
{
    long i = find(p, offset & ~3u);
    const struct vup_reg *r;
    uint32_t lanes, written, store, old, val;

    if (i < 0) {
        log_unmapped(p, offset, true);
        return;
    }
    r = p->sorted[i];
    lanes = lane_mask(offset, size);
    written = (data << ((offset & 3) * 8)) & lanes;
    /* Bytes not written keep their value; w1c bits are never stored. */
    store = r->wmask & ~r->w1c & lanes;
    old = p->values[i];
    val = (old & ~store) | (written & store);
    val &= ~(written & r->w1c);
    p->values[i] = val;
    vupi_mirror_store(p, (size_t)i);
    if (r->write) {
        r->write(p, r, old, val, written);
    }
}

uint32_t vup_reg_get(const vup_periph *p, uint32_t offset)
{
    long i = find(p, offset);

    if (i < 0) {
        vup_log(VUP_LOG_ERROR, "%s: vup_reg_get of unknown offset 0x%x",
                p->name, offset);
        return 0;
    }
    return p->values[i];
}

void vup_reg_set(vup_periph *p, uint32_t offset, uint32_t value)
{
    long i = find(p, offset);

    if (i < 0) {
        vup_log(VUP_LOG_ERROR, "%s: vup_reg_set of unknown offset 0x%x",
                p->name, offset);
        return;
    }
    p->values[i] = value;
    vupi_mirror_store(p, (size_t)i);
}
