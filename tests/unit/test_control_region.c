/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control region: what vup_dev encodes decodes back to the same
 * description, the device rejects bad descriptions early, and the
 * validator refuses every malformed field with a message naming it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vup.h"
#include "vup/cr.h"

static const struct vup_field cr_fields[] = {
    VUP_FIELD("CR", 0, 8, VUP_RW),
};

static const struct vup_reg regs[] = {
    { .name = "CR", .offset = 0, VUP_FIELDS(cr_fields) },
};

static const struct vup_irq_desc uart_irqs[] = {
    { .name = "uart", .line = 37, .flags = VUP_CR_IRQ_LEVEL },
    { .name = "uart-wake", .line = 38, .flags = VUP_CR_IRQ_EDGE },
};

static const struct vup_periph_desc uart = {
    .name = "uart", .base = 0x40013800, .size = 0x400,
    .mmio_flags = VUP_CR_MMIO_POSTED_WRITES, .regs = regs, .num_regs = 1,
    .irqs = uart_irqs, .num_irqs = 2,
};

static const struct vup_periph_desc rcc = {
    .name = "rcc", .base = 0x40021000, .size = 0x400,
};

/*
 * Entries as encoded: 2 mmio, 2 irq, 3 clocks, 2 memories, 1 cpu, and the
 * doorbell capability (output clocks can change outside a request).
 */
enum { E_UART, E_RCC, E_IRQ0, E_IRQ1, E_SYSCLK, E_REFCLK, E_LSE, E_FLASH,
       E_SRAM, E_CPU, E_DOORBELL, NUM_ENTRIES };

struct fixture {
    vup_dev *dev;
    const uint8_t *desc;
    size_t size;
    uint8_t *buf;       /* a mutable copy, with room after desc_size */
    size_t len;
    struct vup_cr_view view;
    char err[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    vup_dev *d = vup_dev_new("stm32l4");

    assert_non_null(d);
    /* The message-only layout; test_fastpath.c covers shared memory. */
    vup_dev_set_fast_path(d, false);
    assert_non_null(vup_dev_add_periph(d, &uart, NULL));
    assert_non_null(vup_dev_add_periph(d, &rcc, NULL));
    assert_int_equal(vup_dev_add_clock(d, "sysclk", VUP_CR_CLOCK_OUTPUT |
                                       VUP_CR_CLOCK_ROLE_CPU, 4000000), 0);
    assert_int_equal(vup_dev_add_clock(d, "refclk", VUP_CR_CLOCK_OUTPUT |
                                       VUP_CR_CLOCK_ROLE_REFCLK, 500000), 1);
    assert_int_equal(vup_dev_add_clock(d, "lse", VUP_CR_CLOCK_INPUT, 0), 2);
    assert_int_equal(vup_dev_add_memory(d, VUP_CR_MEMORY_FLASH, 0x08000000,
                                        0x100000, "flash"), 0);
    assert_int_equal(vup_dev_add_memory(d, VUP_CR_MEMORY_RAM, 0x20000000,
                                        0x18000, "sram1"), 0);
    assert_int_equal(vup_dev_set_cpu(d, "cortex-m4", 82), 0);
    f->dev = d;
    f->desc = vup_dev_descriptor(d, &f->size);
    assert_non_null(f->desc);
    f->len = f->size + 64;
    f->buf = calloc(1, f->len);
    memcpy(f->buf, f->desc, f->size);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    vup_dev_free(f->dev);
    free(f->buf);
    free(f);
    return 0;
}

static struct vup_cr_header *hdr(struct fixture *f)
{
    return (struct vup_cr_header *)f->buf;
}

static void *entry(struct fixture *f, unsigned i)
{
    uint32_t off = hdr(f)->header_size;

    while (i--) {
        off += ((struct vup_cr_entry_hdr *)(f->buf + off))->length;
    }
    return f->buf + off;
}

static uint32_t entry_off(struct fixture *f, unsigned i)
{
    return (uint32_t)((uint8_t *)entry(f, i) - f->buf);
}

static int decode(struct fixture *f, const struct vup_cr_device_limits *lim)
{
    return vup_cr_decode(f->buf, f->len, lim, &f->view, f->err,
                         sizeof(f->err));
}

/* Decoding fails with a message containing @what. */
static void refused(struct fixture *f, const char *what)
{
    assert_int_equal(decode(f, NULL), -EINVAL);
    if (!strstr(f->err, what)) {
        fail_msg("error \"%s\" does not mention \"%s\"", f->err, what);
    }
}

/* ---- round trip ----------------------------------------------------------- */

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    const struct vup_cr_view *v = &f->view;
    uint64_t sizes[] = { 0x2000, 0x400, 0x400 };
    struct vup_cr_device_limits lim = {
        .num_regions = 3, .num_irqs = 3, .region_size = sizes,
    };

    assert_int_equal(vup_cr_decode(f->desc, f->size, &lim, &f->view, f->err,
                                   sizeof(f->err)), 0);
    assert_int_equal(v->hdr->magic, VUP_CR_MAGIC);
    assert_int_equal(v->hdr->version_major, VUP_CR_VERSION_MAJOR);
    assert_int_equal(v->hdr->desc_size, f->size);
    assert_int_equal(v->hdr->num_entries, NUM_ENTRIES);
    assert_int_equal(v->hdr->live_offset, 0x1000);
    assert_int_equal(v->hdr->live_size, 0x1000);
    assert_string_equal(v->hdr->device_name, "stm32l4");
    assert_null(v->live);                       /* descriptor only */

    assert_int_equal(v->num_mmio, 2);
    assert_string_equal(v->mmio[0]->name, "uart");
    assert_int_equal(v->mmio[0]->region_index, 1);
    assert_int_equal(v->mmio[0]->base, 0x40013800);
    assert_int_equal(v->mmio[0]->size, 0x400);
    assert_int_equal(v->mmio[0]->flags, VUP_CR_MMIO_POSTED_WRITES);
    assert_int_equal(v->mmio[0]->min_access, 1);
    assert_int_equal(v->mmio[0]->max_access, 4);
    assert_int_equal(v->mmio[1]->region_index, 2);
    assert_int_equal(v->mmio[1]->flags, 0);     /* no mirror: messages only */

    assert_int_equal(v->num_irq, 2);
    assert_string_equal(v->irq[1]->name, "uart-wake");
    assert_int_equal(v->irq[1]->irq_index, 1);
    assert_int_equal(v->irq[1]->line, 38);
    assert_int_equal(v->irq[1]->flags, VUP_CR_IRQ_EDGE);

    assert_int_equal(v->num_clock, 3);
    assert_int_equal(v->clock[0]->freq_hz, 4000000);
    assert_int_equal(v->clock[1]->flags, VUP_CR_CLOCK_OUTPUT |
                                         VUP_CR_CLOCK_ROLE_REFCLK);
    assert_int_equal(v->clock[2]->flags, VUP_CR_CLOCK_INPUT);
    assert_int_equal(v->clock[2]->live_index, 2);

    assert_int_equal(v->num_memory, 2);
    assert_int_equal(v->memory[0]->kind, VUP_CR_MEMORY_FLASH);
    assert_int_equal(v->memory[1]->size, 0x18000);
    assert_non_null(v->cpu);
    assert_string_equal(v->cpu->cpu_type, "cortex-m4");
    assert_int_equal(v->cpu->num_irq, 82);
    assert_int_equal(v->num_cap, 1);
    assert_int_equal(v->cap[0]->id, VUP_CR_CAP_DOORBELL);
    assert_int_equal(v->cap[0]->offset, 2);     /* the index after the lines */
    assert_int_equal(v->num_skipped, 0);
}

static void test_error_names_entry(void **state)
{
    struct fixture *f = *state;
    struct vup_cr_mmio *m = entry(f, E_RCC);
    char want[128];

    m->size = 0;
    snprintf(want, sizeof(want), "control region entry 1 (mmio \"rcc\") at "
             "offset 0x%x: size 0 is not allowed", entry_off(f, E_RCC));
    assert_int_equal(decode(f, NULL), -EINVAL);
    assert_string_equal(f->err, want);
}

/* ---- the device refuses bad descriptions ----------------------------------- */

static void test_device_checks(void **state)
{
    vup_dev *d = vup_dev_new("chk");
    struct vup_periph_desc p = uart;
    struct vup_reg bad_regs[2] = {
        { .name = "A", .offset = 4 }, { .name = "B", .offset = 4 },
    };
    struct vup_irq_desc bad_irq = { .name = "x", .line = 1, .flags = 3 };
    size_t size;

    (void)state;
    assert_null(vup_dev_new(""));
    assert_null(vup_dev_new("a-name-that-is-far-too-long-for-the-field"));
    assert_non_null(vup_dev_add_periph(d, &uart, NULL));
    assert_null(vup_dev_add_periph(d, &uart, NULL));
    assert_non_null(strstr(vup_dev_error(d), "added twice"));
    p.name = "p2";
    p.regs = bad_regs;
    p.num_regs = 2;
    assert_null(vup_dev_add_periph(d, &p, NULL));
    assert_non_null(strstr(vup_dev_error(d), "both at offset 0x4"));
    bad_regs[1].offset = 6;
    assert_null(vup_dev_add_periph(d, &p, NULL));
    assert_non_null(strstr(vup_dev_error(d), "4-byte aligned"));
    bad_regs[1].offset = 0x400;
    assert_null(vup_dev_add_periph(d, &p, NULL));
    p.num_regs = 0;
    p.irqs = &bad_irq;
    p.num_irqs = 1;
    assert_null(vup_dev_add_periph(d, &p, NULL));
    assert_non_null(strstr(vup_dev_error(d), "exactly one of LEVEL, EDGE"));
    p.num_irqs = 0;
    p.size = 6;
    assert_null(vup_dev_add_periph(d, &p, NULL));
    p.size = 0x400;
    p.mmio_flags = 0x80;
    assert_null(vup_dev_add_periph(d, &p, NULL));
    assert_int_equal(vup_dev_add_clock(d, "c", VUP_CR_CLOCK_INPUT |
                                       VUP_CR_CLOCK_ROLE_CPU, 0), -EINVAL);
    assert_int_equal(vup_dev_add_clock(d, "c", 0, 0), -EINVAL);
    assert_int_equal(vup_dev_add_memory(d, 9, 0, 0x1000, "m"), -EINVAL);
    assert_int_equal(vup_dev_add_memory(d, VUP_CR_MEMORY_RAM, 0, 0, "m"),
                     -EINVAL);
    /* Overlaps are found when the descriptor is built. */
    p.mmio_flags = 0;
    p.base = uart.base + 0x100;
    assert_non_null(vup_dev_add_periph(d, &p, NULL));
    assert_null(vup_dev_descriptor(d, &size));
    assert_non_null(strstr(vup_dev_error(d), "overlaps mmio \"uart\""));
    vup_dev_free(d);

    d = vup_dev_new("frozen");
    assert_non_null(vup_dev_descriptor(d, &size));
    assert_null(vup_dev_add_periph(d, &uart, NULL));
    assert_non_null(strstr(vup_dev_error(d), "already serving"));
    assert_int_equal(vup_dev_set_cpu(d, "cortex-m3", 0), -EBUSY);
    vup_dev_free(d);
}

/* ---- header rules --------------------------------------------------------- */

static void test_header_rules(void **state)
{
    struct fixture *f = *state;
    struct vup_cr_header saved = *hdr(f);

#define CASE(stmt, what) do { stmt; refused(f, what); *hdr(f) = saved; } \
                         while (0)
    CASE(hdr(f)->magic ^= 1, "magic");
    CASE(hdr(f)->version_major = 2, "major 2 is not supported");
    CASE(hdr(f)->header_size = 60, "header_size 60");
    CASE(hdr(f)->header_size = 68, "header_size 68");
    CASE(hdr(f)->desc_size = 0x20000, "desc_size");
    CASE(hdr(f)->desc_size = (uint32_t)f->len + 8, "bytes are available");
    CASE(hdr(f)->num_entries = VUP_CR_MAX_ENTRIES + 1, "num_entries");
    CASE(hdr(f)->num_entries++, "runs past desc_size");
    CASE(hdr(f)->desc_size += 8, "entries: end at");
    CASE(hdr(f)->flags = 1, "flags 0x1");
    CASE(memset(hdr(f)->device_name, 'x', VUP_CR_NAME_LEN), "device_name");
    CASE(hdr(f)->live_offset = 0x1001, "live_offset");
    CASE(hdr(f)->live_offset = 0, "live_size 4096 without");
    CASE(hdr(f)->live_size = 8, "live_size 8");
#undef CASE
    assert_int_equal(decode(f, NULL), 0);
    assert_int_equal(vup_cr_decode(f->buf, 32, NULL, &f->view, f->err,
                                   sizeof(f->err)), -EINVAL);
    assert_int_equal(vup_cr_decode(f->buf + 4, f->len - 4, NULL, &f->view,
                                   f->err, sizeof(f->err)), -EINVAL);
    assert_non_null(strstr(f->err, "aligned"));
}

/* ---- entry rules ---------------------------------------------------------- */

struct entry_case {
    unsigned entry;
    size_t field;       /* offset in the entry */
    size_t width;       /* 1, 2, 4 or 8 bytes; 0: fill a name */
    uint64_t value;
    const char *what;
};

#define F(type, field) offsetof(struct type, field), \
                       sizeof(((struct type *)0)->field)

static const struct entry_case entry_cases[] = {
    { E_UART, F(vup_cr_entry_hdr, length), 0, "length 0" },
    { E_UART, F(vup_cr_entry_hdr, length), 68, "length 68" },
    { E_UART, F(vup_cr_entry_hdr, length), 64, "below the 72 bytes" },
    { E_UART, F(vup_cr_entry_hdr, length), 0x10000, "end by desc_size" },
    { E_UART, F(vup_cr_entry_hdr, flags), 2, "unknown entry flags 0x2" },
    { E_UART, F(vup_cr_entry_hdr, type), 99 | (VUP_CR_ENTRY_REQUIRED << 16),
      "unknown type 99 is marked REQUIRED" },
    { E_UART, F(vup_cr_mmio, size), 0, "size 0 is not allowed" },
    { E_UART, F(vup_cr_mmio, region_index), 0, "is the control region" },
    { E_RCC, F(vup_cr_mmio, region_index), 1, "region_index 1 already used" },
    { E_UART, F(vup_cr_mmio, flags), 4, "unknown flags 0x4" },
    { E_UART, F(vup_cr_mmio, min_access), 3, "access sizes 3..4" },
    { E_UART, F(vup_cr_mmio, max_access), 16, "access sizes 1..16" },
    { E_UART, F(vup_cr_mmio, min_access), 8, "access sizes 8..4" },
    { E_UART, offsetof(struct vup_cr_mmio, reserved), 1, 1, "reserved" },
    { E_UART, F(vup_cr_mmio, base), UINT64_MAX - 0x10, "overflows" },
    { E_RCC, F(vup_cr_mmio, base), 0x40013a00, "overlaps mmio \"uart\"" },
    { E_UART, offsetof(struct vup_cr_mmio, name), 0, 0, "not NUL-terminated" },
    { E_RCC, offsetof(struct vup_cr_mmio, name), 1, 0, "name is empty" },
    { E_IRQ0, F(vup_cr_irq, irq_index), VUP_CR_MAX_IRQS, "irq_index 128" },
    { E_IRQ1, F(vup_cr_irq, irq_index), 0, "irq_index 0 already used" },
    { E_IRQ0, F(vup_cr_irq, flags), 3, "exactly one of LEVEL, EDGE" },
    { E_IRQ0, F(vup_cr_irq, flags), 0, "exactly one of LEVEL, EDGE" },
    { E_IRQ0, F(vup_cr_irq, line), 496, "line 496 is above the NVIC's 496" },
    { E_IRQ1, F(vup_cr_irq, line), 82, "not below the CPU's num_irq 82" },
    { E_IRQ0, F(vup_cr_irq, reserved), 1, "reserved is 0x1" },
    { E_IRQ0, offsetof(struct vup_cr_irq, name), 0, 0, "not NUL-terminated" },
    { E_SYSCLK, F(vup_cr_clock, live_index), VUP_CR_MAX_CLOCKS,
      "live_index 16" },
    { E_REFCLK, F(vup_cr_clock, live_index), 0, "live_index 0 already" },
    { E_SYSCLK, F(vup_cr_clock, flags), 3, "exactly one of OUTPUT, INPUT" },
    { E_SYSCLK, F(vup_cr_clock, flags), 0x1000, "unknown flags 0x1000" },
    { E_LSE, F(vup_cr_clock, flags), VUP_CR_CLOCK_INPUT |
      VUP_CR_CLOCK_ROLE_REFCLK, "input clock cannot have a role" },
    { E_REFCLK, F(vup_cr_clock, flags), VUP_CR_CLOCK_OUTPUT |
      VUP_CR_CLOCK_ROLE_CPU, "role 0x100 already taken by \"sysclk\"" },
    { E_SYSCLK, F(vup_cr_clock, freq_hz), VUP_CR_CLOCK_MAX_HZ + 1,
      "freq_hz 10000000001 is above 10000000000" },
    { E_LSE, offsetof(struct vup_cr_clock, name), 0, 0, "not NUL-terminated" },
    { E_FLASH, F(vup_cr_memory, kind), 3, "unknown kind 3" },
    { E_FLASH, F(vup_cr_memory, flags), 1, "flags 0x1" },
    { E_FLASH, F(vup_cr_memory, size), 0, "size 0 is not allowed" },
    { E_SRAM, F(vup_cr_memory, base), 0x080ff000, "overlaps memory" },
    { E_SRAM, F(vup_cr_memory, base), 0x40013000, "overlaps mmio \"uart\"" },
    { E_SRAM, F(vup_cr_entry_hdr, type), VUP_CR_ENTRY_CPU,
      "a second cpu entry" },
    { E_CPU, F(vup_cr_cpu, flags), 1, "flags 0x1" },
    { E_CPU, F(vup_cr_cpu, num_irq), 497, "num_irq 497" },
    { E_CPU, offsetof(struct vup_cr_cpu, cpu_type), 0, 0,
      "cpu_type is not NUL-terminated" },
};

static void put(uint8_t *p, size_t width, uint64_t v)
{
    memcpy(p, &v, width);   /* little-endian host: low bytes first */
}

static void test_entry_rules(void **state)
{
    struct fixture *f = *state;
    uint8_t *saved = malloc(f->len);

    memcpy(saved, f->buf, f->len);
    for (size_t i = 0; i < sizeof(entry_cases) / sizeof(entry_cases[0]);
         i++) {
        const struct entry_case *c = &entry_cases[i];
        uint8_t *e = entry(f, c->entry);

        if (c->width) {
            put(e + c->field, c->width, c->value);
        } else {
            memset(e + c->field, 'n', VUP_CR_NAME_LEN);
        }
        if (c->field == offsetof(struct vup_cr_entry_hdr, type) &&
            c->value >> 16) {
            put(e + offsetof(struct vup_cr_entry_hdr, flags), 2,
                c->value >> 16);
        }
        refused(f, c->what);
        memcpy(f->buf, saved, f->len);
    }
    free(saved);
}

static void test_names_in_errors(void **state)
{
    struct fixture *f = *state;
    struct vup_cr_irq *q = entry(f, E_IRQ0);

    q->flags = 0;
    refused(f, "entry 2 (irq \"uart\") at offset 0x");
    q->flags = VUP_CR_IRQ_LEVEL;
    /* A garbled name is not printed. */
    memset(q->name, 'z', VUP_CR_NAME_LEN);
    refused(f, "entry 2 (irq) at offset");
}

static void test_unknown_optional_and_caps(void **state)
{
    struct fixture *f = *state;
    struct vup_cr_entry_hdr *rcc_e = entry(f, E_RCC);
    struct vup_cr_cap *c0 = entry(f, E_IRQ0), *c1 = entry(f, E_IRQ1);

    rcc_e->type = 99;                   /* optional: skipped */
    assert_int_equal(decode(f, NULL), 0);
    assert_int_equal(f->view.num_skipped, 1);
    assert_int_equal(f->view.num_mmio, 1);

    c0->hdr.type = c1->hdr.type = VUP_CR_ENTRY_CAP;
    c0->id = VUP_CR_CAP_VIRTUAL_TIME;
    c1->id = VUP_CR_CAP_FAST_PATH;
    assert_int_equal(decode(f, NULL), 0);
    assert_int_equal(f->view.num_cap, 3);
    assert_int_equal(f->view.cap[1]->id, VUP_CR_CAP_FAST_PATH);
    c1->id = VUP_CR_CAP_VIRTUAL_TIME;
    refused(f, "capability 1 listed twice");
}

/* The IRQ entries (56 bytes) rewritten as DIRECT ranges (32 + padding). */
static struct vup_cr_direct *as_direct(struct fixture *f, unsigned i,
                                       uint32_t region, uint64_t offset,
                                       uint64_t size)
{
    struct vup_cr_direct *r = entry(f, i);
    uint32_t length = r->hdr.length;

    memset(r, 0, length);
    r->hdr.type = VUP_CR_ENTRY_DIRECT;
    r->hdr.length = length;
    r->region_index = region;
    r->offset = offset;
    r->size = size;
    return r;
}

static void test_direct_rules(void **state)
{
    struct fixture *f = *state;
    struct vup_cr_mmio *rcc_m = entry(f, E_RCC);
    struct vup_cr_direct *r1;

    as_direct(f, E_IRQ0, 2, 0x0, 0x10);
    r1 = as_direct(f, E_IRQ1, 2, 0x20, 0x8);
    refused(f, "entry 2 (direct) at offset 0x");
    refused(f, "mmio \"rcc\" (region 2) is not DIRECT_MAPPED");
    rcc_m->flags = VUP_CR_MMIO_DIRECT_MAPPED;
    assert_int_equal(decode(f, NULL), 0);
    assert_int_equal(f->view.num_direct, 2);
    assert_ptr_equal(f->view.direct[1], r1);

    r1->flags = 1;
    refused(f, "entry 3 (direct) at offset 0x");
    refused(f, "flags 0x1: none are defined");
    r1->flags = 0;
    r1->size = 0;
    refused(f, "the size must be > 0");
    r1->size = 8;
    r1->offset = UINT64_MAX - 3;
    refused(f, "must not wrap");
    r1->offset = 0x3fc;
    refused(f, "outside mmio \"rcc\" (0x400 bytes)");
    r1->offset = 0x8;
    refused(f, "0x8+0x8 overlaps entry 2 (0x0+0x10) of mmio \"rcc\"");
    r1->offset = 0x22;
    rcc_m->min_access = 4;
    refused(f, "offset 0x22 or size 0x8 is not a multiple of min_access 4");
    rcc_m->min_access = 1;
    assert_int_equal(decode(f, NULL), 0);
    r1->region_index = 1;
    refused(f, "mmio \"uart\" (region 1) is not DIRECT_MAPPED");
    r1->region_index = 7;
    refused(f, "region_index 7 is no MMIO window's");
}

static void test_device_limits(void **state)
{
    struct fixture *f = *state;
    uint64_t sizes[] = { 0x2000, 0x400, 0x400 };
    struct vup_cr_device_limits lim = {
        .num_regions = 3, .num_irqs = 3, .region_size = sizes,
    };

    assert_int_equal(decode(f, &lim), 0);
    lim.num_regions = 2;
    assert_int_equal(decode(f, &lim), -EINVAL);
    assert_non_null(strstr(f->err, "region_index 2 but the device has 2"));
    lim.num_regions = 3;
    lim.num_irqs = 1;
    assert_int_equal(decode(f, &lim), -EINVAL);
    assert_non_null(strstr(f->err, "irq_index 1 is out of range"));
    lim.num_irqs = 2;
    sizes[2] = 0x200;
    assert_int_equal(decode(f, &lim), -EINVAL);
    assert_non_null(strstr(f->err, "exceeds region 2's size"));
    sizes[2] = 0x400;
    sizes[0] = 0x1000;
    assert_int_equal(decode(f, &lim), -EINVAL);
    assert_non_null(strstr(f->err, "the region has 0x1000"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_round_trip),
        T(test_error_names_entry),
        cmocka_unit_test(test_device_checks),
        T(test_header_rules),
        T(test_entry_rules),
        T(test_names_in_errors),
        T(test_unknown_optional_and_caps),
        T(test_direct_rules),
        T(test_device_limits),
#undef T
    };

    vup_log_set_level(VUP_LOG_ERROR);
    return cmocka_run_group_tests_name("control_region", tests, NULL, NULL);
}
