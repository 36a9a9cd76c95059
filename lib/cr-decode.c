/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control-region decoder and validator (include/vup/cr.h): every
 * reader of a peer's control region runs it before trusting a byte.
 *
 * Self-contained on purpose (C11 and libc only): QEMU's vfio-user-platform
 * device builds this very file, so libvup's encoder, vup-info and QEMU
 * apply one set of rules (docs/control-region.md, "Validation").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "vup/cr.h"

#define ARRAY_LEN(a)    (sizeof(a) / sizeof((a)[0]))

struct ctx {
    const uint8_t *buf;
    const struct vup_cr_device_limits *lim;   /* never NULL: zeroes */
    uint32_t max_lines;
    char *err;
    size_t errlen;
    char where[112];  /* control region entry 3 (mmio "usart1") at 0x88 */
};

static int fail(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct ctx *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, "%s: %s", c->where, msg);
    return -EINVAL;
}

const char *vup_cr_entry_type_name(uint32_t type)
{
    static const char *const names[] = {
        [VUP_CR_ENTRY_MMIO] = "mmio", [VUP_CR_ENTRY_IRQ] = "irq",
        [VUP_CR_ENTRY_CLOCK] = "clock", [VUP_CR_ENTRY_MEMORY] = "memory",
        [VUP_CR_ENTRY_CPU] = "cpu", [VUP_CR_ENTRY_CAP] = "cap",
        [VUP_CR_ENTRY_DIRECT] = "direct", [VUP_CR_ENTRY_SIGNAL] = "signal",
    };

    return type < ARRAY_LEN(names) && names[type] ? names[type] : "unknown";
}

/* Names end up in messages, traces and QOM paths: printable ASCII only. */
static bool printable(const char *s)
{
    for (; *s; s++) {
        if (*s < 0x20 || *s > 0x7e) {
            return false;
        }
    }
    return true;
}

static bool terminated(const char *s)
{
    return memchr(s, '\0', VUP_CR_NAME_LEN) != NULL;
}

static int check_name(struct ctx *c, const char *field, const char *s,
                      bool may_be_empty)
{
    if (!terminated(s)) {
        return fail(c, "%s is not NUL-terminated within %u bytes", field,
                    VUP_CR_NAME_LEN);
    }
    if (!s[0] && !may_be_empty) {
        return fail(c, "%s is empty", field);
    }
    if (!printable(s)) {
        return fail(c, "%s contains a non-printable character", field);
    }
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

static bool overlaps(uint64_t a, uint64_t asize, uint64_t b, uint64_t bsize)
{
    return a < b + bsize && b < a + asize;
}

static bool access_ok(uint8_t n)
{
    return n == 1 || n == 2 || n == 4 || n == 8;
}

bool vup_cr_lines_in_live(const struct vup_cr_view *v)
{
    return v->cap_doorbell && v->hdr->version_minor >= 3 &&
           v->hdr->live_size >= VUP_CR_LIVE_SIZE_1_3;
}

bool vup_cr_predicts_lines(const struct vup_cr_view *v)
{
    return v->cap_vtime && v->hdr->version_minor >= 4 &&
           v->hdr->live_size >= VUP_CR_LIVE_SIZE_1_4;
}

size_t vup_cr_live_used(const struct vup_cr_view *v)
{
    if (!v->hdr->live_offset) {
        return 0;
    }
    if (v->num_signal) {
        return sizeof(struct vup_cr_live);
    }
    if (vup_cr_predicts_lines(v)) {
        return VUP_CR_LIVE_SIZE_1_4;
    }
    return vup_cr_lines_in_live(v) ? VUP_CR_LIVE_SIZE_1_3
                                   : VUP_CR_LIVE_SIZE_MIN;
}

/* The entry number of @e in the descriptor (for messages only). */
unsigned vup_cr_entry_number(const struct vup_cr_view *v, const void *e)
{
    const uint8_t *base = (const uint8_t *)v->hdr;
    uint32_t off = v->hdr->header_size;
    unsigned n = 0;

    while (base + off < (const uint8_t *)e && n < v->hdr->num_entries) {
        off += ((const struct vup_cr_entry_hdr *)(base + off))->length;
        n++;
    }
    return n;
}

/* A guest-physical range: not empty, not wrapping, overlapping nothing. */
static int check_range(struct ctx *c, uint64_t base, uint64_t size,
                       const struct vup_cr_view *v)
{
    if (!size) {
        return fail(c, "size 0 is not allowed");
    }
    if (base > UINT64_MAX - size) {
        return fail(c, "base 0x%" PRIx64 " + size 0x%" PRIx64 " overflows",
                    base, size);
    }
    for (size_t i = 0; i < v->num_mmio; i++) {
        if (overlaps(base, size, v->mmio[i]->base, v->mmio[i]->size)) {
            return fail(c, "0x%" PRIx64 "+0x%" PRIx64 " overlaps mmio \"%s\" "
                        "(entry %u)", base, size, v->mmio[i]->name,
                        vup_cr_entry_number(v, v->mmio[i]));
        }
    }
    for (size_t i = 0; i < v->num_memory; i++) {
        if (overlaps(base, size, v->memory[i]->base, v->memory[i]->size)) {
            return fail(c, "0x%" PRIx64 "+0x%" PRIx64 " overlaps memory "
                        "\"%s\" (entry %u)", base, size, v->memory[i]->name,
                        vup_cr_entry_number(v, v->memory[i]));
        }
    }
    return 0;
}

static int check_mmio(struct ctx *c, const struct vup_cr_mmio *m,
                      struct vup_cr_view *v)
{
    const struct vup_cr_device_limits *lim = c->lim;
    int ret = check_name(c, "name", m->name, false);

    if (ret < 0) {
        return ret;
    }
    if (m->region_index == lim->cr_index) {
        return fail(c, "region_index %u is the control region",
                    m->region_index);
    }
    if (lim->num_regions && m->region_index >= lim->num_regions) {
        return fail(c, "region_index %u but the device has %u regions",
                    m->region_index, lim->num_regions);
    }
    if (m->flags & ~VUP_CR_MMIO_FLAGS_KNOWN) {
        return fail(c, "unknown flags 0x%x",
                    m->flags & ~VUP_CR_MMIO_FLAGS_KNOWN);
    }
    if (!access_ok(m->min_access) || !access_ok(m->max_access) ||
        m->min_access > m->max_access) {
        return fail(c, "access sizes %u..%u (min_access %u, max_access %u): "
                    "each must be 1, 2, 4 or 8 and min <= max",
                    m->min_access, m->max_access, m->min_access,
                    m->max_access);
    }
    if (!all_zero(m->reserved, sizeof(m->reserved))) {
        return fail(c, "reserved bytes are not zero");
    }
    if (m->base % m->min_access) {
        return fail(c, "base 0x%" PRIx64 " is not aligned to min_access %u",
                    m->base, m->min_access);
    }
    if (m->size % m->min_access) {
        return fail(c, "size 0x%" PRIx64 " is not a multiple of min_access "
                    "%u", m->size, m->min_access);
    }
    if (lim->num_regions && lim->region_size &&
        m->size > lim->region_size[m->region_index]) {
        return fail(c, "size 0x%" PRIx64 " exceeds region %u's size 0x%"
                    PRIx64, m->size, m->region_index,
                    lim->region_size[m->region_index]);
    }
    if (lim->num_regions && lim->region_flags &&
        !(lim->region_flags[m->region_index] &
          (VUP_CR_REGION_READABLE | VUP_CR_REGION_WRITABLE))) {
        return fail(c, "region %u is neither readable nor writable",
                    m->region_index);
    }
    ret = check_range(c, m->base, m->size, v);
    if (ret < 0) {
        return ret;
    }
    for (size_t i = 0; i < v->num_mmio; i++) {
        if (v->mmio[i]->region_index == m->region_index) {
            return fail(c, "region_index %u already used by entry %u (\"%s\")",
                        m->region_index, vup_cr_entry_number(v, v->mmio[i]),
                        v->mmio[i]->name);
        }
        if (!strcmp(v->mmio[i]->name, m->name)) {
            return fail(c, "name also used by entry %u (mmio)",
                        vup_cr_entry_number(v, v->mmio[i]));
        }
    }
    v->mmio[v->num_mmio++] = m;
    return 0;
}

static int check_irq(struct ctx *c, const struct vup_cr_irq *q,
                     struct vup_cr_view *v)
{
    const struct vup_cr_device_limits *lim = c->lim;
    int ret = check_name(c, "name", q->name, false);

    if (ret < 0) {
        return ret;
    }
    if (q->irq_index >= VUP_CR_MAX_IRQS ||
        (lim->num_irqs && q->irq_index >= lim->num_irqs)) {
        return fail(c, "irq_index %u is out of range (the device has %u)",
                    q->irq_index,
                    lim->num_irqs ? lim->num_irqs : VUP_CR_MAX_IRQS);
    }
    if (q->flags != VUP_CR_IRQ_LEVEL && q->flags != VUP_CR_IRQ_EDGE) {
        return fail(c, "flags 0x%x must be exactly one of LEVEL, EDGE",
                    q->flags);
    }
    if (q->flags == VUP_CR_IRQ_LEVEL && !v->hdr->live_offset) {
        return fail(c, "a LEVEL line needs the live part, but the header "
                    "has no live_offset");
    }
    if (q->line >= c->max_lines) {
        return fail(c, "line %u is above the NVIC's %u inputs", q->line,
                    c->max_lines);
    }
    if (q->reserved) {
        return fail(c, "reserved is 0x%x, not zero", q->reserved);
    }
    for (size_t i = 0; i < v->num_irq; i++) {
        if (v->irq[i]->irq_index == q->irq_index) {
            return fail(c, "irq_index %u already used by entry %u (\"%s\")",
                        q->irq_index, vup_cr_entry_number(v, v->irq[i]),
                        v->irq[i]->name);
        }
        if (!strcmp(v->irq[i]->name, q->name)) {
            return fail(c, "name also used by entry %u (irq)",
                        vup_cr_entry_number(v, v->irq[i]));
        }
    }
    v->irq[v->num_irq++] = q;
    return 0;
}

static int check_clock(struct ctx *c, const struct vup_cr_clock *k,
                       struct vup_cr_view *v)
{
    const uint32_t dir = k->flags & (VUP_CR_CLOCK_OUTPUT | VUP_CR_CLOCK_INPUT);
    const uint32_t roles = VUP_CR_CLOCK_ROLE_CPU | VUP_CR_CLOCK_ROLE_REFCLK;
    int ret = check_name(c, "name", k->name, false);

    if (ret < 0) {
        return ret;
    }
    if (k->flags & ~VUP_CR_CLOCK_FLAGS_KNOWN) {
        return fail(c, "unknown flags 0x%x",
                    k->flags & ~VUP_CR_CLOCK_FLAGS_KNOWN);
    }
    if (dir != VUP_CR_CLOCK_OUTPUT && dir != VUP_CR_CLOCK_INPUT) {
        return fail(c, "flags 0x%x must have exactly one of OUTPUT, INPUT",
                    k->flags);
    }
    if (dir == VUP_CR_CLOCK_INPUT && (k->flags & roles)) {
        return fail(c, "an input clock cannot have a role (flags 0x%x)",
                    k->flags);
    }
    if (dir == VUP_CR_CLOCK_INPUT && !v->hdr->live_offset) {
        return fail(c, "an input clock needs the live part, but the header "
                    "has no live_offset");
    }
    if (k->live_index >= VUP_CR_MAX_CLOCKS) {
        return fail(c, "live_index %u is not below %u", k->live_index,
                    VUP_CR_MAX_CLOCKS);
    }
    if (k->freq_hz > VUP_CR_CLOCK_MAX_HZ) {
        return fail(c, "freq_hz %" PRIu64 " is above %" PRIu64 " (10 GHz)",
                    k->freq_hz, VUP_CR_CLOCK_MAX_HZ);
    }
    for (size_t i = 0; i < v->num_clock; i++) {
        const struct vup_cr_clock *o = v->clock[i];

        if (o->live_index == k->live_index) {
            return fail(c, "live_index %u already used by \"%s\" (entry %u)",
                        k->live_index, o->name, vup_cr_entry_number(v, o));
        }
        if (!strcmp(o->name, k->name)) {
            return fail(c, "name also used by entry %u (clock)",
                        vup_cr_entry_number(v, o));
        }
        if (o->flags & k->flags & roles) {
            return fail(c, "role 0x%x already taken by \"%s\" (entry %u)",
                        o->flags & k->flags & roles, o->name,
                        vup_cr_entry_number(v, o));
        }
    }
    v->clock[v->num_clock++] = k;
    return 0;
}

static int check_signal(struct ctx *c, const struct vup_cr_signal *g,
                        struct vup_cr_view *v)
{
    const uint32_t dir = g->flags & (VUP_CR_SIGNAL_OUT | VUP_CR_SIGNAL_IN);
    int ret = check_name(c, "name", g->name, false);

    if (ret < 0) {
        return ret;
    }
    for (const char *n = g->name; *n; n++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_.-", *n)) {
            return fail(c, "name: '%c' is not a letter, digit, '_', '.' or "
                        "'-' (it names QEMU GPIO lines)", *n);
        }
    }
    if (!strncmp(g->name, "sysbus-", 7)) {
        return fail(c, "name: \"sysbus-\" names are QEMU's own");
    }
    if (g->flags & ~VUP_CR_SIGNAL_FLAGS_KNOWN) {
        return fail(c, "unknown flags 0x%x",
                    g->flags & ~VUP_CR_SIGNAL_FLAGS_KNOWN);
    }
    if (dir != VUP_CR_SIGNAL_OUT && dir != VUP_CR_SIGNAL_IN) {
        return fail(c, "flags 0x%x must have exactly one of OUT, IN",
                    g->flags);
    }
    if (v->hdr->version_minor < 5 || !v->hdr->live_offset ||
        v->hdr->live_size < sizeof(struct vup_cr_live)) {
        return fail(c, "a signal needs a 1.5 live part of %zu bytes, but the "
                    "header says version 1.%u, live_size %u",
                    sizeof(struct vup_cr_live), v->hdr->version_minor,
                    v->hdr->live_size);
    }
    if (!g->width || g->width > VUP_CR_MAX_SIGNAL_WIDTH) {
        return fail(c, "width %u is not in [1, %u]", g->width,
                    VUP_CR_MAX_SIGNAL_WIDTH);
    }
    if ((uint32_t)g->first + g->width > VUP_CR_MAX_SIGNAL_LINES) {
        return fail(c, "lines %u..%u are not below %u", g->first,
                    g->first + g->width - 1, VUP_CR_MAX_SIGNAL_LINES);
    }
    if (v->num_signal == VUP_CR_MAX_SIGNALS) {
        return fail(c, "more than %u signal entries", VUP_CR_MAX_SIGNALS);
    }
    for (size_t i = 0; i < v->num_signal; i++) {
        const struct vup_cr_signal *o = v->signal[i];

        if (!strcmp(o->name, g->name)) {
            return fail(c, "name also used by entry %u (signal)",
                        vup_cr_entry_number(v, o));
        }
        if ((o->flags & dir) &&
            overlaps(o->first, o->width, g->first, g->width)) {
            return fail(c, "lines %u..%u overlap those of \"%s\" (entry %u, "
                        "lines %u..%u)", g->first, g->first + g->width - 1,
                        o->name, vup_cr_entry_number(v, o), o->first,
                        o->first + o->width - 1);
        }
    }
    v->signal[v->num_signal++] = g;
    return 0;
}

static int check_memory(struct ctx *c, const struct vup_cr_memory *m,
                        struct vup_cr_view *v)
{
    int ret = check_name(c, "name", m->name, false);

    if (ret < 0) {
        return ret;
    }
    if (m->kind != VUP_CR_MEMORY_FLASH && m->kind != VUP_CR_MEMORY_RAM) {
        return fail(c, "unknown kind %u", m->kind);
    }
    if (m->flags) {
        return fail(c, "flags 0x%x: none are defined", m->flags);
    }
    for (size_t i = 0; i < v->num_memory; i++) {
        if (!strcmp(v->memory[i]->name, m->name)) {
            return fail(c, "name also used by entry %u (memory)",
                        vup_cr_entry_number(v, v->memory[i]));
        }
    }
    ret = check_range(c, m->base, m->size, v);
    if (ret < 0) {
        return ret;
    }
    v->memory[v->num_memory++] = m;
    return 0;
}

static int check_cpu(struct ctx *c, const struct vup_cr_cpu *k,
                     struct vup_cr_view *v)
{
    if (v->cpu) {
        return fail(c, "a second cpu entry (the first is entry %u)",
                    vup_cr_entry_number(v, v->cpu));
    }
    if (k->flags) {
        return fail(c, "flags 0x%x: none are defined", k->flags);
    }
    if (k->num_irq > c->max_lines) {
        return fail(c, "num_irq %u is above the NVIC's %u inputs",
                    k->num_irq, c->max_lines);
    }
    if (check_name(c, "cpu_type", k->cpu_type, true) < 0) {
        return -EINVAL;
    }
    v->cpu = k;
    return 0;
}

static int check_cap(struct ctx *c, const struct vup_cr_cap *k,
                     struct vup_cr_view *v)
{
    const struct vup_cr_device_limits *lim = c->lim;

    for (size_t i = 0; i < v->num_cap; i++) {
        if (v->cap[i]->id == k->id) {
            return fail(c, "capability %u listed twice (entry %u too)",
                        k->id, vup_cr_entry_number(v, v->cap[i]));
        }
    }
    switch (k->id) {
    case VUP_CR_CAP_VIRTUAL_TIME:
        if (!v->hdr->live_offset) {
            return fail(c, "VIRTUAL_TIME needs the live part, but the header "
                        "has no live_offset");
        }
        v->cap_vtime = k;
        break;
    case VUP_CR_CAP_FAST_PATH:
        if (lim->region_size && lim->cr_index < lim->num_regions &&
            (uint64_t)k->offset + k->size >
            lim->region_size[lim->cr_index]) {
            return fail(c, "mailbox 0x%x+0x%x is outside the control region "
                        "(0x%" PRIx64 " bytes)", k->offset, k->size,
                        lim->region_size[lim->cr_index]);
        }
        v->cap_fast_path = k;
        break;
    case VUP_CR_CAP_DOORBELL:
        if (k->offset >= VUP_CR_MAX_IRQS ||
            (lim->num_irqs && k->offset >= lim->num_irqs)) {
            return fail(c, "doorbell irq index %u does not exist (the device "
                        "has %u)", k->offset,
                        lim->num_irqs ? lim->num_irqs : VUP_CR_MAX_IRQS);
        }
        v->cap_doorbell = k;
        break;
    default:
        break;          /* unknown capabilities are ignored */
    }
    v->cap[v->num_cap++] = k;
    return 0;
}

/* What needs no window: the rest is checked once all entries are read. */
static int check_direct(struct ctx *c, const struct vup_cr_direct *r,
                        struct vup_cr_view *v)
{
    if (v->num_direct == VUP_CR_MAX_DIRECT) {
        return fail(c, "more than %u direct entries in the device",
                    VUP_CR_MAX_DIRECT);
    }
    if (r->flags) {
        return fail(c, "unknown flags 0x%x: none are defined", r->flags);
    }
    if (!r->size) {
        return fail(c, "size 0x0 is empty: the size must be > 0");
    }
    if (r->offset > UINT64_MAX - r->size) {
        return fail(c, "offset 0x%" PRIx64 " + size 0x%" PRIx64 " wraps "
                    "around: the range must not wrap", r->offset, r->size);
    }
    v->direct[v->num_direct++] = r;
    return 0;
}

/* A direct range against its window and the other ranges of that window. */
static int check_direct_window(struct ctx *c, const struct vup_cr_direct *r,
                               const struct vup_cr_view *v, size_t index)
{
    const struct vup_cr_mmio *m = NULL;

    for (size_t i = 0; i < v->num_mmio && !m; i++) {
        if (v->mmio[i]->region_index == r->region_index) {
            m = v->mmio[i];
        }
    }
    if (!m) {
        return fail(c, "region_index %u is no MMIO window's",
                    r->region_index);
    }
    if (!(m->flags & VUP_CR_MMIO_DIRECT_MAPPED)) {
        return fail(c, "mmio \"%s\" (region %u) is not DIRECT_MAPPED "
                    "(entry %u)", m->name, r->region_index,
                    vup_cr_entry_number(v, m));
    }
    if (r->offset % m->min_access || r->size % m->min_access) {
        return fail(c, "offset 0x%" PRIx64 " or size 0x%" PRIx64 " is not "
                    "a multiple of min_access %u of mmio \"%s\"", r->offset,
                    r->size, m->min_access, m->name);
    }
    if (r->offset >= m->size || r->size > m->size - r->offset) {
        return fail(c, "offset 0x%" PRIx64 " + size 0x%" PRIx64 " is "
                    "outside mmio \"%s\" (0x%" PRIx64 " bytes)", r->offset,
                    r->size, m->name, m->size);
    }
    for (size_t i = 0; i < index; i++) {
        const struct vup_cr_direct *o = v->direct[i];

        if (o->region_index == r->region_index &&
            overlaps(r->offset, r->size, o->offset, o->size)) {
            return fail(c, "0x%" PRIx64 "+0x%" PRIx64 " overlaps entry %u "
                        "(0x%" PRIx64 "+0x%" PRIx64 ") of mmio \"%s\"",
                        r->offset, r->size, vup_cr_entry_number(v, o),
                        o->offset, o->size, m->name);
        }
    }
    return 0;
}

/* The doorbell is an IRQ index that no IRQ entry uses. */
static int check_doorbell(struct ctx *c, const struct vup_cr_view *v)
{
    const struct vup_cr_cap *k = v->cap_doorbell;

    for (size_t i = 0; k && i < v->num_irq; i++) {
        if (v->irq[i]->irq_index == k->offset) {
            return fail(c, "the DOORBELL capability uses irq index %u, which "
                        "irq entry %u (\"%s\") drives", k->offset,
                        vup_cr_entry_number(v, v->irq[i]), v->irq[i]->name);
        }
    }
    return 0;
}

static const size_t type_size[] = {
    [VUP_CR_ENTRY_MMIO] = sizeof(struct vup_cr_mmio),
    [VUP_CR_ENTRY_IRQ] = sizeof(struct vup_cr_irq),
    [VUP_CR_ENTRY_CLOCK] = sizeof(struct vup_cr_clock),
    [VUP_CR_ENTRY_MEMORY] = sizeof(struct vup_cr_memory),
    [VUP_CR_ENTRY_CPU] = sizeof(struct vup_cr_cpu),
    [VUP_CR_ENTRY_CAP] = sizeof(struct vup_cr_cap),
    [VUP_CR_ENTRY_DIRECT] = sizeof(struct vup_cr_direct),
    [VUP_CR_ENTRY_SIGNAL] = sizeof(struct vup_cr_signal),
};

static bool known_type(uint16_t type)
{
    return type < ARRAY_LEN(type_size) && type_size[type];
}

/* The entry's name if it has a sane one, else NULL. */
static const char *entry_name(const struct vup_cr_entry_hdr *e,
                              uint32_t avail)
{
    const char *name = NULL;

    if (!known_type(e->type) || e->length < type_size[e->type] ||
        type_size[e->type] > avail) {
        return NULL;
    }
    switch (e->type) {
    case VUP_CR_ENTRY_MMIO:
        name = ((const struct vup_cr_mmio *)e)->name;
        break;
    case VUP_CR_ENTRY_IRQ:
        name = ((const struct vup_cr_irq *)e)->name;
        break;
    case VUP_CR_ENTRY_CLOCK:
        name = ((const struct vup_cr_clock *)e)->name;
        break;
    case VUP_CR_ENTRY_MEMORY:
        name = ((const struct vup_cr_memory *)e)->name;
        break;
    case VUP_CR_ENTRY_SIGNAL:
        name = ((const struct vup_cr_signal *)e)->name;
        break;
    }
    return name && terminated(name) && name[0] && printable(name) ? name
                                                                  : NULL;
}

/*
 * "control region entry 3 (mmio "usart1") at offset 0x88"; the name only
 * if the entry holds its type's struct within the @avail bytes left before
 * desc_size (its length is checked only after this) and the name is sane.
 */
static void set_where(struct ctx *c, uint32_t i, uint32_t off, uint32_t avail,
                      const struct vup_cr_entry_hdr *e)
{
    const char *name = entry_name(e, avail);

    if (name) {
        snprintf(c->where, sizeof(c->where), "control region entry %u (%s "
                 "\"%s\") at offset 0x%x", i, vup_cr_entry_type_name(e->type),
                 name, off);
    } else if (known_type(e->type)) {
        snprintf(c->where, sizeof(c->where), "control region entry %u (%s) "
                 "at offset 0x%x", i, vup_cr_entry_type_name(e->type), off);
    } else {
        snprintf(c->where, sizeof(c->where), "control region entry %u (type "
                 "%u) at offset 0x%x", i, e->type, off);
    }
}

/* The same for an entry already in the view. */
static void set_where_entry(struct ctx *c, const struct vup_cr_view *v,
                            const void *entry)
{
    const struct vup_cr_entry_hdr *e = entry;
    uint32_t off = (uint32_t)((const uint8_t *)entry - c->buf);

    set_where(c, vup_cr_entry_number(v, entry), off, e->length, e);
}

static int check_header(struct ctx *c, const struct vup_cr_header *h,
                        size_t len)
{
    const struct vup_cr_device_limits *lim = c->lim;
    uint64_t end, region = 0;
    int ret;

    if (h->magic != VUP_CR_MAGIC) {
        return fail(c, "magic 0x%08x is not 0x%08x", h->magic, VUP_CR_MAGIC);
    }
    if (h->version_major != VUP_CR_VERSION_MAJOR) {
        return fail(c, "version %u.%u: major %u is not supported (%u is)",
                    h->version_major, h->version_minor, h->version_major,
                    VUP_CR_VERSION_MAJOR);
    }
    if (h->header_size < sizeof(*h) || h->header_size % 8) {
        return fail(c, "header_size %u must be >= %zu and 8-byte aligned",
                    h->header_size, sizeof(*h));
    }
    if (lim->region_size && lim->cr_index < lim->num_regions) {
        region = lim->region_size[lim->cr_index];
    }
    if (h->desc_size > VUP_CR_MAX_DESC_SIZE || h->desc_size < h->header_size ||
        (region && h->desc_size > region)) {
        return fail(c, "desc_size %u must be in [header_size %u, %u] and "
                    "inside the region", h->desc_size, h->header_size,
                    VUP_CR_MAX_DESC_SIZE);
    }
    if (h->desc_size > len) {
        return fail(c, "desc_size %u but only %zu bytes are available",
                    h->desc_size, len);
    }
    if (h->num_entries > VUP_CR_MAX_ENTRIES) {
        return fail(c, "num_entries %u is above %u", h->num_entries,
                    VUP_CR_MAX_ENTRIES);
    }
    if (h->flags) {
        return fail(c, "flags 0x%x: none are defined", h->flags);
    }
    ret = check_name(c, "device_name", h->device_name, false);
    if (ret < 0) {
        return ret;
    }
    if (!h->live_offset) {
        if (h->live_size) {
            return fail(c, "live_size %u without a live_offset",
                        h->live_size);
        }
        end = h->desc_size;
    } else {
        if (h->live_offset % VUP_CR_LIVE_ALIGN ||
            h->live_offset < h->desc_size) {
            return fail(c, "live_offset 0x%x must be %u-aligned and after "
                        "desc_size 0x%x", h->live_offset, VUP_CR_LIVE_ALIGN,
                        h->desc_size);
        }
        if (h->live_size < VUP_CR_LIVE_SIZE_MIN) {
            return fail(c, "live_size %u is below %zu", h->live_size,
                        VUP_CR_LIVE_SIZE_MIN);
        }
        end = (uint64_t)h->live_offset + h->live_size;
    }
    if (region && end > region) {
        return fail(c, "the live part 0x%x+0x%x is outside the region: it "
                    "describes 0x%" PRIx64 " bytes but the region has 0x%"
                    PRIx64, h->live_offset, h->live_size, end, region);
    }
    return 0;
}

static int check_entry(struct ctx *c, const struct vup_cr_entry_hdr *e,
                       struct vup_cr_view *v)
{
    if (e->flags & ~VUP_CR_ENTRY_REQUIRED) {
        return fail(c, "unknown entry flags 0x%x",
                    e->flags & ~VUP_CR_ENTRY_REQUIRED);
    }
    if (!known_type(e->type)) {
        if (e->flags & VUP_CR_ENTRY_REQUIRED) {
            return fail(c, "unknown type %u is marked REQUIRED (a newer "
                        "control region version?)", e->type);
        }
        v->num_skipped++;
        return 0;
    }
    if (e->length < type_size[e->type]) {
        return fail(c, "length %u is below the %zu bytes of a %s entry",
                    e->length, type_size[e->type],
                    vup_cr_entry_type_name(e->type));
    }
    switch (e->type) {
    case VUP_CR_ENTRY_MMIO:
        return check_mmio(c, (const struct vup_cr_mmio *)e, v);
    case VUP_CR_ENTRY_IRQ:
        return check_irq(c, (const struct vup_cr_irq *)e, v);
    case VUP_CR_ENTRY_CLOCK:
        return check_clock(c, (const struct vup_cr_clock *)e, v);
    case VUP_CR_ENTRY_MEMORY:
        return check_memory(c, (const struct vup_cr_memory *)e, v);
    case VUP_CR_ENTRY_CPU:
        return check_cpu(c, (const struct vup_cr_cpu *)e, v);
    case VUP_CR_ENTRY_DIRECT:
        return check_direct(c, (const struct vup_cr_direct *)e, v);
    case VUP_CR_ENTRY_SIGNAL:
        return check_signal(c, (const struct vup_cr_signal *)e, v);
    default:
        return check_cap(c, (const struct vup_cr_cap *)e, v);
    }
}

/* Rules between entries that may come in any order. */
static int check_cross(struct ctx *c, struct vup_cr_view *v)
{
    int ret;

    for (size_t i = 0; v->cpu && v->cpu->num_irq && i < v->num_irq; i++) {
        if (v->irq[i]->line >= v->cpu->num_irq) {
            set_where_entry(c, v, v->irq[i]);
            return fail(c, "line %u is not below the CPU's num_irq %u",
                        v->irq[i]->line, v->cpu->num_irq);
        }
    }
    for (size_t i = 0; i < v->num_direct; i++) {
        set_where_entry(c, v, v->direct[i]);
        ret = check_direct_window(c, v->direct[i], v, i);
        if (ret < 0) {
            return ret;
        }
    }
    if (v->cap_doorbell) {
        set_where_entry(c, v, v->cap_doorbell);
        return check_doorbell(c, v);
    }
    return 0;
}

int vup_cr_decode(const void *buf, size_t len,
                  const struct vup_cr_device_limits *lim,
                  struct vup_cr_view *v, char *err, size_t errlen)
{
    static const struct vup_cr_device_limits none;
    struct ctx c = {
        .buf = buf, .lim = lim ? lim : &none, .err = err, .errlen = errlen,
    };
    const struct vup_cr_header *h = buf;
    uint32_t off;
    int ret;

    c.max_lines = c.lim->max_nvic_lines ? c.lim->max_nvic_lines
                                        : VUP_CR_MAX_NVIC_LINES;
    memset(v, 0, sizeof(*v));
    snprintf(c.where, sizeof(c.where), "control region header");
    if ((uintptr_t)buf % 8) {
        return fail(&c, "buffer is not 8-byte aligned");
    }
    if (len < sizeof(*h)) {
        return fail(&c, "%zu bytes, a header needs %zu", len, sizeof(*h));
    }
    ret = check_header(&c, h, len);
    if (ret < 0) {
        return ret;
    }
    v->hdr = h;
    off = h->header_size;
    for (uint32_t i = 0; i < h->num_entries; i++) {
        const struct vup_cr_entry_hdr *e = (const void *)(c.buf + off);

        if (h->desc_size - off < sizeof(*e)) {
            snprintf(c.where, sizeof(c.where), "control region entry %u at "
                     "offset 0x%x", i, off);
            return fail(&c, "runs past desc_size 0x%x (num_entries %u)",
                        h->desc_size, h->num_entries);
        }
        set_where(&c, i, off, h->desc_size - off, e);
        if (e->length < sizeof(*e) || e->length % 8 ||
            e->length > h->desc_size - off) {
            return fail(&c, "length %u must be >= 8, 8-byte aligned and end "
                        "by desc_size 0x%x", e->length, h->desc_size);
        }
        ret = check_entry(&c, e, v);
        if (ret < 0) {
            return ret;
        }
        off += e->length;
    }
    if (off != h->desc_size) {
        snprintf(c.where, sizeof(c.where), "control region entries");
        return fail(&c, "end at 0x%x but desc_size is 0x%x (num_entries %u)",
                    off, h->desc_size, h->num_entries);
    }
    ret = check_cross(&c, v);
    if (ret < 0) {
        return ret;
    }
    if (h->live_offset && len >= (uint64_t)h->live_offset +
                                 VUP_CR_LIVE_SIZE_MIN) {
        v->live = (const void *)(c.buf + h->live_offset);
    }
    return 0;
}
