/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Declarative register tables: validation, reset, and guest accesses of
 * 1, 2 or 4 bytes merged into the 32-bit registers.  Each register's field
 * table is turned into masks once (struct vupi_reg_sem), so an access costs
 * a few mask operations whatever the number of fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int cmp_reg(const void *a, const void *b)
{
    const struct vup_reg *ra = *(const struct vup_reg *const *)a;
    const struct vup_reg *rb = *(const struct vup_reg *const *)b;

    return ra->offset < rb->offset ? -1 : ra->offset > rb->offset;
}

/*
 * The field semantics (enum vup_access, vup_write_action, vup_read_action),
 * one row each, with their SVD names for messages.  A write action is what
 * a written 0 and a written 1 do to a bit; a read action what the read does
 * once the value is taken, and whether it has an effect (then the register
 * is never direct-mapped).
 */
static const struct access_kind {
    const char *name;
    bool readable, writable, once;
} access_kinds[] = {
    [VUP_ACCESS_READ_WRITE]      = { "read-write", true, true, false },
    [VUP_ACCESS_READ_ONLY]       = { "read-only", true, false, false },
    [VUP_ACCESS_WRITE_ONLY]      = { "write-only", false, true, false },
    [VUP_ACCESS_WRITE_ONCE]      = { "writeOnce", false, true, true },
    [VUP_ACCESS_READ_WRITE_ONCE] = { "read-writeOnce", true, true, true },
};
static const struct {
    const char *name;
    uint8_t on[2];               /* [bit written]: enum vupi_bit_op */
} write_actions[] = {
    [VUP_WRITE_MODIFY]         = { "modify", { VUPI_CLR, VUPI_SET } },
    [VUP_WRITE_ONE_TO_CLEAR]   = { "oneToClear", { VUPI_KEEP, VUPI_CLR } },
    [VUP_WRITE_ONE_TO_SET]     = { "oneToSet", { VUPI_KEEP, VUPI_SET } },
    [VUP_WRITE_ONE_TO_TOGGLE]  = { "oneToToggle", { VUPI_KEEP, VUPI_TOG } },
    [VUP_WRITE_ZERO_TO_CLEAR]  = { "zeroToClear", { VUPI_CLR, VUPI_KEEP } },
    [VUP_WRITE_ZERO_TO_SET]    = { "zeroToSet", { VUPI_SET, VUPI_KEEP } },
    [VUP_WRITE_ZERO_TO_TOGGLE] = { "zeroToToggle", { VUPI_TOG, VUPI_KEEP } },
    [VUP_WRITE_CLEAR]          = { "clear", { VUPI_CLR, VUPI_CLR } },
    [VUP_WRITE_SET]            = { "set", { VUPI_SET, VUPI_SET } },
};
static const struct {
    const char *name;
    uint8_t op;                  /* enum vupi_bit_op */
    bool effect;
} read_actions[] = {
    [VUP_READ_NONE]            = { "none", VUPI_KEEP, false },
    [VUP_READ_CLEAR]           = { "clear", VUPI_CLR, true },
    [VUP_READ_SET]             = { "set", VUPI_SET, true },
    [VUP_READ_MODIFY]          = { "modify", VUPI_KEEP, true },
    [VUP_READ_MODIFY_EXTERNAL] = { "modifyExternal", VUPI_KEEP, true },
};

static uint32_t field_bits(const struct vup_field *f)
{
    return (UINT32_MAX >> (32 - f->width)) << f->shift;
}

/* Checks @f of @r (periph @pn) and adds its bits to @m. */
static int add_field(const char *pn, const struct vup_reg *r,
                     const struct vup_field *f, size_t i,
                     struct vupi_reg_sem *m, char *err, size_t errlen)
{
    const struct access_kind *access;
    uint32_t bits;

    if (!f->name || !f->name[0]) {
        snprintf(err, errlen, "%s.%s: field %zu has no name", pn, r->name, i);
        return -EINVAL;
    }
    if (f->width == 0) {
        snprintf(err, errlen, "%s.%s.%s: width 0", pn, r->name, f->name);
        return -EINVAL;
    }
    if (f->shift >= 32 || f->width > 32 - f->shift) {
        snprintf(err, errlen, "%s.%s.%s: bits %u..%u are not inside the "
                 "32-bit register", pn, r->name, f->name, f->shift,
                 f->shift + f->width - 1);
        return -EINVAL;
    }
    if ((unsigned)f->access >= VUPI_ARRAY_SIZE(access_kinds) ||
        (unsigned)f->write >= VUPI_ARRAY_SIZE(write_actions) ||
        (unsigned)f->read >= VUPI_ARRAY_SIZE(read_actions) ||
        (f->flags & ~VUP_FIELD_HW)) {
        snprintf(err, errlen, "%s.%s.%s: access %d, write action %d, read "
                 "action %d, flags 0x%x: not one of each kind (two VUP_W* "
                 "or VUP_R* ORed?)", pn, r->name, f->name, (int)f->access,
                 (int)f->write, (int)f->read, f->flags);
        return -EINVAL;
    }
    access = &access_kinds[f->access];
    if (!access->writable && f->write != VUP_WRITE_MODIFY) {
        snprintf(err, errlen, "%s.%s.%s: a %s field cannot have the write "
                 "action %s", pn, r->name, f->name, access->name,
                 write_actions[f->write].name);
        return -EINVAL;
    }
    if (!access->readable && f->read != VUP_READ_NONE) {
        snprintf(err, errlen, "%s.%s.%s: a %s field cannot have the read "
                 "action %s", pn, r->name, f->name, access->name,
                 read_actions[f->read].name);
        return -EINVAL;
    }
    bits = field_bits(f);
    m->exists |= bits;
    if (access->writable) {
        for (unsigned b = 0; b < 2; b++) {
            m->write[write_actions[f->write].on[b]][b] |= bits;
        }
    }
    if (!access->readable) {
        m->wo |= bits;
    }
    if (access->once) {
        m->once |= bits;
    }
    m->read[read_actions[f->read].op] |= bits;
    m->read_effect |= read_actions[f->read].effect;
    return 0;
}

/* The masks of register @r (periph @pn), or an error naming the field. */
static int reg_sem(const char *pn, const struct vup_reg *r,
                   struct vupi_reg_sem *m, char *err, size_t errlen)
{
    *m = (struct vupi_reg_sem){ 0 };
    if (r->num_fields == 0) {
        /* No field table: a plain read-write register of 32 bits. */
        m->exists = UINT32_MAX;
        m->write[VUPI_CLR][0] = m->write[VUPI_SET][1] = UINT32_MAX;
        return 0;
    }
    if (!r->fields) {
        snprintf(err, errlen, "%s.%s: num_fields %zu but no fields", pn,
                 r->name, r->num_fields);
        return -EINVAL;
    }
    for (size_t i = 0; i < r->num_fields; i++) {
        const struct vup_field *f = &r->fields[i];
        int ret = add_field(pn, r, f, i, m, err, errlen);

        if (ret < 0) {
            return ret;
        }
        /* Only when the table is added: quadratic in the fields is fine. */
        for (size_t j = 0; j < i; j++) {
            const struct vup_field *o = &r->fields[j];

            if (field_bits(o) & field_bits(f)) {
                snprintf(err, errlen, "%s.%s.%s overlaps %s.%s.%s (bits "
                         "0x%08x)", pn, r->name, f->name, pn, r->name,
                         o->name, field_bits(o) & field_bits(f));
                return -EINVAL;
            }
            if (!strcmp(o->name, f->name)) {
                snprintf(err, errlen, "%s.%s: two fields named %s", pn,
                         r->name, f->name);
                return -EINVAL;
            }
        }
    }
    if (r->reset & ~m->exists) {
        snprintf(err, errlen, "%s.%s: reset value 0x%08x sets reserved bits "
                 "0x%08x (no field covers them)", pn, r->name, r->reset,
                 r->reset & ~m->exists);
        return -EINVAL;
    }
    return 0;
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
    /* One allocation for both: periph_free() frees values. */
    p->values = calloc(n ? n : 1, sizeof(*p->values) + sizeof(*p->sem));
    if (!p->sorted || !p->values) {
        snprintf(err, errlen, "%s: out of memory", p->name);
        return -ENOMEM;
    }
    p->sem = (struct vupi_reg_sem *)(void *)(p->values + (n ? n : 1));
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
    for (size_t i = 0; i < n; i++) {
        int ret;

        if (i && p->sorted[i]->offset == p->sorted[i - 1]->offset) {
            snprintf(err, errlen, "%s: %s and %s both at offset 0x%x",
                     p->name, p->sorted[i - 1]->name, p->sorted[i]->name,
                     p->sorted[i]->offset);
            return -EINVAL;
        }
        ret = reg_sem(p->name, p->sorted[i], &p->sem[i], err, errlen);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* Stores @value (fields only): readable bits in values, the others aside. */
static void store(vup_periph *p, size_t i, uint32_t value)
{
    struct vupi_reg_sem *m = &p->sem[i];

    value &= m->exists;
    m->hidden = value & m->wo;
    p->values[i] = value & ~m->wo;
    vupi_mirror_store(p, i);
}

void vupi_regs_reset(vup_periph *p)
{
    for (size_t i = 0; i < p->desc.num_regs; i++) {
        p->sem[i].locked = 0;
        store(p, i, p->sorted[i]->reset);
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
    const struct vupi_reg_sem *m;
    uint32_t v, lanes;

    if (i < 0) {
        log_unmapped(p, offset, false);
        return 0;
    }
    m = &p->sem[i];
    lanes = lane_mask(offset, size);
    v = p->values[i];
    if (p->sorted[i]->read) {
        v = p->sorted[i]->read(p, p->sorted[i], v);
    }
    if (m->read[VUPI_CLR] | m->read[VUPI_SET]) {
        /* After the value is taken, in the lanes read. */
        p->values[i] = (p->values[i] & ~(m->read[VUPI_CLR] & lanes)) |
                       (m->read[VUPI_SET] & lanes);
        vupi_mirror_store(p, (size_t)i);
    }
    return (v & lanes) >> ((offset & 3) * 8);
}

/* The bits @op acts on, of @w1 (written 1) and @w0 (written 0). */
static uint32_t acted_on(const struct vupi_reg_sem *m, enum vupi_bit_op op,
                         uint32_t w1, uint32_t w0)
{
    return (w1 & m->write[op][1]) | (w0 & m->write[op][0]);
}

void vupi_regs_write(vup_periph *p, uint32_t offset, unsigned size,
                    uint32_t data)
{
    long i = find(p, offset & ~3u);
    const struct vup_reg *r;
    struct vupi_reg_sem *m;
    uint32_t lanes, written, w1, w0, clr, set, tog, old, val;

    if (i < 0) {
        log_unmapped(p, offset, true);
        return;
    }
    r = p->sorted[i];
    m = &p->sem[i];
    if (r->pre_write) {
        r->pre_write(p, r);
    }
    lanes = lane_mask(offset, size);
    written = (data << ((offset & 3) * 8)) & lanes;
    /* Bytes not written keep their value, and so do locked once bits. */
    lanes &= ~m->locked;
    m->locked |= lanes & m->once;
    w1 = written & lanes;
    w0 = ~written & lanes;
    clr = acted_on(m, VUPI_CLR, w1, w0);
    set = acted_on(m, VUPI_SET, w1, w0);
    tog = acted_on(m, VUPI_TOG, w1, w0);
    old = p->values[i] | m->hidden;
    val = ((old & ~clr) | set) ^ tog;
    store(p, (size_t)i, val);
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
    return p->values[i] | p->sem[i].hidden;
}

void vup_reg_set(vup_periph *p, uint32_t offset, uint32_t value)
{
    long i = find(p, offset);

    if (i < 0) {
        vup_log(VUP_LOG_ERROR, "%s: vup_reg_set of unknown offset 0x%x",
                p->name, offset);
        return;
    }
    store(p, (size_t)i, value);
}
