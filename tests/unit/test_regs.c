/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Register fields and their semantics (lib/regs.c): one test per access
 * kind, write action (SVD modifiedWriteValues) and read action (SVD
 * readAction), reserved bits, narrow accesses, writeOnce, the pre-write
 * hook, the validation of field tables, which registers are direct-mapped,
 * and vup/registerfields.h.  Driven through a client, as a guest would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "vup.h"
#include "vup/client.h"
#include "vup/cr.h"
#include "vup/registerfields.h"
#include "harness.h"

REG32(RW, 0x00)
    FIELD(RW, LO, 0, 8)             /* read-write */
    FIELD(RW, RO, 8, 8)             /* read-only, set by hardware */
    FIELD(RW, WO, 16, 8)            /* write-only; 24..31 reserved */
REG32(W1, 0x04)
    FIELD(W1, C, 0, 4)
    FIELD(W1, S, 4, 4)
    FIELD(W1, T, 8, 4)
REG32(W0, 0x08)
    FIELD(W0, C, 0, 4)
    FIELD(W0, S, 4, 4)
    FIELD(W0, T, 8, 4)
REG32(WANY, 0x0c)
    FIELD(WANY, CLR, 0, 8)
    FIELD(WANY, SET, 8, 8)
REG32(RC, 0x10)
    FIELD(RC, RCLR, 0, 8)
    FIELD(RC, RSET, 8, 8)
REG32(RX, 0x14)
REG32(RM, 0x18)
REG32(ONCE, 0x1c)
REG32(PW, 0x20)
    FIELD(PW, EV, 0, 1)
    FIELD(PW, CNT, 8, 8)
REG32(PLAIN, 0x24)

struct model {
    unsigned writes, rx_reads, pre_writes;
    uint32_t old, value, written;   /* of the last write hook */
};

static void record(vup_periph *p, const struct vup_reg *r, uint32_t old,
                   uint32_t value, uint32_t written)
{
    struct model *m = vup_periph_opaque(p);

    (void)r;
    m->writes++;
    m->old = old;
    m->value = value;
    m->written = written;
}

/* modifyExternal: reading RX sets RM (as reading RDR clears ISR.RXNE). */
static uint32_t rx_read(vup_periph *p, const struct vup_reg *r, uint32_t v)
{
    struct model *m = vup_periph_opaque(p);

    (void)r;
    m->rx_reads++;
    vup_reg_set(p, A_RM, 0x77);
    return v;
}

/* An event that happened before the write: stored first, then written. */
static void pw_pre_write(vup_periph *p, const struct vup_reg *r)
{
    struct model *m = vup_periph_opaque(p);

    m->pre_writes++;
    vup_reg_set(p, r->offset, vup_reg_get(p, r->offset) |
                R_PW_EV_MASK);
}

static const struct vup_field rw_fields[] = {
    VUP_FIELD_OF(RW, LO, VUP_RW),
    VUP_FIELD_OF(RW, RO, VUP_RO | VUP_HW),
    VUP_FIELD_OF(RW, WO, VUP_WO),
};
static const struct vup_field w1_fields[] = {
    VUP_FIELD_OF(W1, C, VUP_W1C),
    VUP_FIELD_OF(W1, S, VUP_W1S),
    VUP_FIELD_OF(W1, T, VUP_W1T),
};
static const struct vup_field w0_fields[] = {
    VUP_FIELD_OF(W0, C, VUP_W0C),
    VUP_FIELD_OF(W0, S, VUP_W0S),
    VUP_FIELD_OF(W0, T, VUP_W0T),
};
static const struct vup_field wany_fields[] = {
    VUP_FIELD_OF(WANY, CLR, VUP_WCLR),
    VUP_FIELD_OF(WANY, SET, VUP_WSET),
};
static const struct vup_field rc_fields[] = {
    VUP_FIELD_OF(RC, RCLR, VUP_RO | VUP_RCLR),
    VUP_FIELD_OF(RC, RSET, VUP_RSET),
};
static const struct vup_field rx_fields[] = {
    VUP_FIELD("DATA", 0, 9, VUP_RO | VUP_RMODEXT | VUP_HW),
};
static const struct vup_field rm_fields[] = {
    VUP_FIELD("X", 0, 8, VUP_RMOD),
};
static const struct vup_field once_fields[] = {
    VUP_FIELD("KEY", 0, 8, VUP_WONCE),
    VUP_FIELD("CFG", 8, 8, VUP_RWONCE),
    VUP_FIELD("ANY", 16, 8, VUP_RW),
};
static const struct vup_field pw_fields[] = {
    VUP_FIELD_OF(PW, EV, VUP_W0C | VUP_HW),
    VUP_FIELD_OF(PW, CNT, VUP_RW),
};

static const struct vup_reg regs[] = {
    { VUP_REG_AT(RW), .reset = 0xa500, VUP_FIELDS(rw_fields),
      .write = record },
    { VUP_REG_AT(W1), .reset = 0xf, VUP_FIELDS(w1_fields) },
    { VUP_REG_AT(W0), .reset = 0xf, VUP_FIELDS(w0_fields) },
    { VUP_REG_AT(WANY), .reset = 0xff, VUP_FIELDS(wany_fields) },
    { VUP_REG_AT(RC), .reset = 0x42, VUP_FIELDS(rc_fields) },
    { VUP_REG_AT(RX), .reset = 0x1a5, VUP_FIELDS(rx_fields),
      .read = rx_read },
    { VUP_REG_AT(RM), .reset = 0x11, VUP_FIELDS(rm_fields) },
    { VUP_REG_AT(ONCE), VUP_FIELDS(once_fields), .write = record },
    { VUP_REG_AT(PW), VUP_FIELDS(pw_fields), .write = record,
      .pre_write = pw_pre_write },
    { VUP_REG_AT(PLAIN), .reset = 0x12345678 },
};

static const struct vup_periph_desc desc = {
    .name = "rg", .base = 0x40000000, .size = 0x100,
    .regs = regs, .num_regs = sizeof(regs) / sizeof(regs[0]),
};

struct fixture {
    struct harness h;           /* first: harness_teardown() */
    struct model model;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    harness_init(&f->h, "regs", "regdev");
    assert_non_null(vup_dev_add_periph(f->h.dev, &desc, &f->model));
    harness_serve(&f->h, NULL, NULL);
    *state = f;
    return 0;
}

/* The registers are region 1. */
static uint32_t rd(struct fixture *f, uint64_t off, uint32_t count)
{
    return harness_rd(f->h.c, 1, off, count);
}

static void wr(struct fixture *f, uint64_t off, uint32_t v, uint32_t count)
{
    harness_wr(f->h.c, 1, off, v, count);
}

/* ---- access ------------------------------------------------------------- */

static void test_read_write_and_read_only(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, A_RW, 4), 0xa500);
    wr(f, A_RW, 0x000000ff, 4);
    assert_int_equal(rd(f, A_RW, 4), 0xa5ff);
    wr(f, A_RW, 0x00005a00, 4);                 /* read-only: kept */
    assert_int_equal(rd(f, A_RW, 4), 0xa500);
    assert_int_equal(f->model.writes, 2);       /* the hook still runs */
    assert_int_equal(f->model.written, 0x5a00);
}

static void test_write_only_stored_reads_zero(void **state)
{
    struct fixture *f = *state;

    wr(f, A_RW, 0x00c30000, 4);
    assert_int_equal(rd(f, A_RW, 4), 0xa500);   /* WO reads as 0 */
    assert_int_equal(f->model.value, 0xc3a500); /* the model has it */
    wr(f, A_RW, 0x00000001, 1);
    assert_int_equal(f->model.old, 0xc3a500);   /* and keeps it */
    assert_int_equal(f->model.value, 0xc3a501);
}

static void test_reserved_bits(void **state)
{
    struct fixture *f = *state;

    wr(f, A_RW, 0xff000000, 4);
    assert_int_equal(rd(f, A_RW, 4), 0xa500);
    assert_int_equal(f->model.value, 0xa500);   /* not stored either */
}

static void test_plain_register_without_fields(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, A_PLAIN, 4), 0x12345678);
    wr(f, A_PLAIN, 0xfedcba98, 4);
    assert_int_equal(rd(f, A_PLAIN, 4), 0xfedcba98);
}

/* ---- write actions (modifiedWriteValues) -------------------------------- */

static void test_one_to_clear_set_toggle(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, A_W1, 4), 0x00f);
    wr(f, A_W1, 0x635, 4);      /* C: 1s clear 0101, S: set 0011, T: 0110 */
    assert_int_equal(rd(f, A_W1, 4), 0x63a);
    wr(f, A_W1, 0, 4);          /* 0s do nothing */
    assert_int_equal(rd(f, A_W1, 4), 0x63a);
    wr(f, A_W1, 0x400, 4);      /* toggles back */
    assert_int_equal(rd(f, A_W1, 4), 0x23a);
}

static void test_zero_to_clear_set_toggle(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, A_W0, 4), 0x00f);
    wr(f, A_W0, 0xfffffac5, 4); /* 0s in C: 1010, in S: 0011, in T: 0101 */
    assert_int_equal(rd(f, A_W0, 4), 0x535);
    wr(f, A_W0, 0xffffffff, 4); /* 1s do nothing */
    assert_int_equal(rd(f, A_W0, 4), 0x535);
    wr(f, A_W0, 0xfffffeff, 4); /* toggles bit 8 */
    assert_int_equal(rd(f, A_W0, 4), 0x435);
}

static void test_clear_and_set_on_any_write(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, A_WANY, 4), 0x00ff);
    wr(f, A_WANY, 0x12345678, 4);
    assert_int_equal(rd(f, A_WANY, 4), 0xff00);
    assert_int_equal(vup_client_reset(f->h.c), 0);
    wr(f, A_WANY + 1, 0, 1);    /* only the written lane */
    assert_int_equal(rd(f, A_WANY, 4), 0xffff);
}

/* ---- read actions (readAction) ------------------------------------------ */

static void test_read_to_clear_and_set(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, A_RC, 4), 0x0042);   /* the value before */
    assert_int_equal(rd(f, A_RC, 4), 0xff00);   /* then cleared / set */
    wr(f, A_RC, 0, 4);
    assert_int_equal(rd(f, A_RC, 4), 0x0000);
    assert_int_equal(vup_client_reset(f->h.c), 0);
    assert_int_equal(rd(f, A_RC + 1, 1), 0);    /* only the lane read */
    assert_int_equal(rd(f, A_RC, 4), 0xff42);
    assert_int_equal(rd(f, A_RC, 4), 0xff00);
}

static void test_read_modify_by_hook(void **state)
{
    struct fixture *f = *state;

    /* modifyExternal: the hook's effect elsewhere; the value is stored. */
    assert_int_equal(rd(f, A_RM, 4), 0x11);
    assert_int_equal(rd(f, A_RX, 4), 0x1a5);
    assert_int_equal(f->model.rx_reads, 1);
    assert_int_equal(rd(f, A_RM, 4), 0x77);
    /* modify without a hook: nothing the engine does itself. */
    wr(f, A_RM, 0x22, 4);
    assert_int_equal(rd(f, A_RM, 4), 0x22);
    assert_int_equal(rd(f, A_RM, 4), 0x22);
}

/* ---- narrow accesses, writeOnce, pre-write ------------------------------ */

static void test_narrow_accesses_merge(void **state)
{
    struct fixture *f = *state;

    wr(f, A_RW, 0x3c, 1);
    assert_int_equal(rd(f, A_RW, 4), 0xa53c);
    assert_int_equal(f->model.written, 0x3c);
    wr(f, A_RW + 2, 0xffee, 2);                 /* WO lane and reserved */
    assert_int_equal(f->model.written, 0xffee0000);
    assert_int_equal(f->model.value, 0xeea53c);
    assert_int_equal(rd(f, A_RW + 1, 1), 0xa5);
    assert_int_equal(rd(f, A_RW, 2), 0xa53c);
    assert_int_equal(rd(f, A_RW + 2, 2), 0);
    wr(f, A_W1 + 1, 0x3, 1);                    /* toggles T's 0, 1 only */
    assert_int_equal(rd(f, A_W1, 4), 0x30f);
    wr(f, A_W0, 0xfa, 1);                       /* lane 0: C 1010, S 1111 */
    assert_int_equal(rd(f, A_W0, 4), 0x00a);
}

static void test_write_once(void **state)
{
    struct fixture *f = *state;

    wr(f, A_ONCE, 0x00ffffff, 4);
    assert_int_equal(rd(f, A_ONCE, 4), 0xffff00);   /* KEY is write-only */
    wr(f, A_ONCE, 0, 4);                            /* KEY, CFG locked */
    assert_int_equal(rd(f, A_ONCE, 4), 0x00ff00);
    assert_int_equal(f->model.value, 0x00ffff);
    assert_int_equal(vup_client_reset(f->h.c), 0);  /* unlocks */
    wr(f, A_ONCE, 0x22, 1);                         /* locks lane 0 only */
    wr(f, A_ONCE + 1, 0x33, 1);
    wr(f, A_ONCE, 0x4455, 2);
    assert_int_equal(rd(f, A_ONCE, 4), 0x3300);
    assert_int_equal(f->model.value, 0x3322);
}

static void test_pre_write_before_semantics(void **state)
{
    struct fixture *f = *state;

    /* The event the pre-write hook stores is cleared by this write... */
    wr(f, A_PW, 0x0500, 4);
    assert_int_equal(f->model.pre_writes, 1);
    assert_int_equal(f->model.old, 0x0001);     /* the hook saw it */
    assert_int_equal(rd(f, A_PW, 4), 0x0500);
    /* ...and kept by one that writes 1. */
    wr(f, A_PW, 0x0601, 4);
    assert_int_equal(rd(f, A_PW, 4), 0x0601);
    assert_int_equal(f->model.pre_writes, 2);
}

/* ---- direct-mapped reads ------------------------------------------------ */

static void test_read_actions_are_not_direct(void **state)
{
    struct fixture *f = *state;
    struct vup_cr_view *v = malloc(sizeof(*v));
    struct vup_client_region_info ri;
    const uint32_t *mirror;
    void *buf;
    size_t len;
    char err[200];

    assert_non_null(v);
    assert_int_equal(vup_client_region_info(f->h.c, 0, &ri), 0);
    if (ri.fd >= 0) {
        close(ri.fd);
    }
    assert_int_equal(vup_client_read_cr(f->h.c, 0, ri.size, &buf, &len), 0);
    assert_int_equal(vup_cr_decode(buf, len, NULL, v, err, sizeof(err)), 0);
    assert_true(v->mmio[0]->flags & VUP_CR_MMIO_DIRECT_MAPPED);
    /* RW..WANY, then ONCE..PLAIN: RC (read actions), RX (a hook and
     * modifyExternal) and RM (modify) are forwarded. */
    assert_int_equal(v->num_direct, 2);
    assert_int_equal(v->direct[0]->offset, A_RW);
    assert_int_equal(v->direct[0]->size, 0x10);
    assert_int_equal(v->direct[1]->offset, A_ONCE);
    assert_int_equal(v->direct[1]->size, 0x0c);
    free(buf);
    free(v);

    /* The mirror holds what reads see: no write-only bits. */
    assert_int_equal(vup_client_region_info(f->h.c, 1, &ri), 0);
    assert_true(ri.fd >= 0);
    mirror = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ri.fd,
                  (off_t)ri.offset);
    assert_true(mirror != MAP_FAILED);
    wr(f, A_RW, 0xffffffff, 4);
    assert_int_equal(mirror[R_RW], 0xa5ff);
    assert_int_equal(mirror[R_W1], 0x00f);
    munmap((void *)mirror, 4096);
    close(ri.fd);
}

/* ---- validation --------------------------------------------------------- */

/* The error of adding a one-register peripheral with @fields. */
static void expect_refused(const struct vup_field *fields, size_t n,
                           uint32_t reset, const char *want)
{
    vup_dev *d = vup_dev_new("chk");
    struct vup_reg r = {
        .name = "R", .offset = 0, .reset = reset, .fields = fields,
        .num_fields = n,
    };
    struct vup_periph_desc p = {
        .name = "p", .base = 0x40000000, .size = 0x100, .regs = &r,
        .num_regs = 1,
    };

    assert_non_null(d);
    assert_null(vup_dev_add_periph(d, &p, NULL));
    if (!strstr(vup_dev_error(d), want)) {
        fail_msg("error \"%s\" lacks \"%s\"", vup_dev_error(d), want);
    }
    vup_dev_free(d);
}

static void test_validation(void **state)
{
    const struct vup_field outside[] = { VUP_FIELD("F", 30, 4, VUP_RW) };
    const struct vup_field empty[] = { VUP_FIELD("F", 3, 0, VUP_RW) };
    const struct vup_field overlap[] = {
        VUP_FIELD("A", 0, 8, VUP_RW), VUP_FIELD("B", 7, 2, VUP_RO),
    };
    const struct vup_field twice[] = {
        VUP_FIELD("A", 0, 1, VUP_RW), VUP_FIELD("A", 1, 1, VUP_RW),
    };
    const struct vup_field noname[] = { VUP_FIELD("", 0, 1, VUP_RW) };
    const struct vup_field ro_w1c[] = {
        VUP_FIELD("F", 0, 1, VUP_RO | VUP_W1C),
    };
    const struct vup_field wo_rc[] = {
        VUP_FIELD("F", 0, 1, VUP_WO | VUP_RCLR),
    };
    const struct vup_field two[] = { VUP_FIELD("F", 0, 1, VUP_W1C | VUP_W0C) };
    const struct vup_field ok[] = { VUP_FIELD("F", 0, 4, VUP_RW) };

    (void)state;
    expect_refused(outside, 1, 0, "p.R.F: bits 30..33 are not inside");
    expect_refused(empty, 1, 0, "p.R.F: width 0");
    expect_refused(overlap, 2, 0, "p.R.B overlaps p.R.A (bits 0x00000080)");
    expect_refused(twice, 2, 0, "p.R: two fields named A");
    expect_refused(noname, 1, 0, "p.R: field 0 has no name");
    expect_refused(ro_w1c, 1, 0, "p.R.F: a read-only field cannot have the "
                   "write action oneToClear");
    expect_refused(wo_rc, 1, 0, "p.R.F: a write-only field cannot have the "
                   "read action clear");
    expect_refused(two, 1, 0, "p.R.F: access 0, write action 99");
    expect_refused(ok, 1, 0x10, "p.R: reset value 0x00000010 sets reserved "
                   "bits 0x00000010");
    expect_refused(NULL, 1, 0, "p.R: num_fields 1 but no fields");
}

/* ---- the declaration macros --------------------------------------------- */

REG32(TST, 0x2c)
    FIELD(TST, LOW, 0, 3)
    FIELD(TST, TOP, 31, 1)
    FIELD(TST, ALL, 0, 32)
REG16(H16, 0x6)
    FIELD(H16, X, 12, 4)
REG8(B8, 0x3)
    FIELD(B8, Y, 1, 2)

static void test_registerfields_macros(void **state)
{
    static const unsigned consts[] = {
        A_TST, R_TST, R_TST_TOP_SHIFT, R_TST_TOP_LENGTH, R_H16, R_B8,
    };
    const struct vup_field f = VUP_FIELD_OF(TST, LOW, VUP_W1C | VUP_RSET |
                                            VUP_HW);
    const struct vup_field g = VUP_FIELD("G", 4, 2, VUP_RWONCE);
    const struct vup_field list[] = {
        VUP_FIELDS_OF(TST, VUP_RO | VUP_HW, LOW, TOP),
    };
#define ARG(a, b, x) x
    static const int each[] = {
        VUP_FOR_EACH_(ARG, -, -, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                      14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                      27, 28, 29, 30, 31, 32),
    };
#undef ARG

    (void)state;
    assert_int_equal(consts[0], 0x2c);
    assert_int_equal(consts[1], 0xb);
    assert_int_equal(consts[2], 31);
    assert_int_equal(consts[3], 1);
    assert_int_equal(consts[4], 3);
    assert_int_equal(consts[5], 3);
    assert_int_equal(R_TST_LOW_MASK, 0x7);
    assert_int_equal((uint32_t)R_TST_TOP_MASK, 0x80000000u);
    assert_int_equal((uint32_t)R_TST_ALL_MASK, 0xffffffffu);
    assert_int_equal(FIELD_EX32(0x8000000du, TST, LOW), 5);
    assert_int_equal(FIELD_EX32(0x8000000du, TST, TOP), 1);
    assert_int_equal(FIELD_EX32(0x8000000du, TST, ALL), 0x8000000du);
    assert_int_equal(FIELD_DP32(0xffffffffu, TST, LOW, 0), 0xfffffff8u);
    assert_int_equal(FIELD_DP32(0, TST, LOW, 0xf), 0x7);    /* truncated */
    assert_int_equal(FIELD_DP32(0, TST, TOP, 1), 0x80000000u);
    assert_int_equal(FIELD_EX16(0xa123, H16, X), 0xa);
    assert_int_equal(FIELD_DP16(0x0123, H16, X, 0x1b), 0xb123);
    assert_int_equal(FIELD_EX8(0xf6, B8, Y), 3);
    assert_int_equal(FIELD_DP8(0xff, B8, Y, 0), 0xf9);
    assert_string_equal(f.name, "LOW");
    assert_int_equal(f.shift, 0);
    assert_int_equal(f.width, 3);
    assert_int_equal(f.access, VUP_ACCESS_READ_WRITE);
    assert_int_equal(f.write, VUP_WRITE_ONE_TO_CLEAR);
    assert_int_equal(f.read, VUP_READ_SET);
    assert_int_equal(f.flags, VUP_FIELD_HW);
    assert_int_equal(g.access, VUP_ACCESS_READ_WRITE_ONCE);
    assert_int_equal(g.write, VUP_WRITE_MODIFY);
    assert_int_equal(g.read, VUP_READ_NONE);
    assert_int_equal(g.flags, 0);
    /* VUP_FIELDS_OF: one VUP_FIELD_OF per name, in order; up to 32. */
    assert_int_equal(sizeof(list) / sizeof(list[0]), 2);
    assert_string_equal(list[0].name, "LOW");
    assert_int_equal(list[0].shift, 0);
    assert_int_equal(list[0].width, 3);
    assert_string_equal(list[1].name, "TOP");
    assert_int_equal(list[1].shift, 31);
    assert_int_equal(list[1].width, 1);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(list[i].access, VUP_ACCESS_READ_ONLY);
        assert_int_equal(list[i].write, VUP_WRITE_MODIFY);
        assert_int_equal(list[i].read, VUP_READ_NONE);
        assert_int_equal(list[i].flags, VUP_FIELD_HW);
    }
    assert_int_equal(sizeof(each) / sizeof(each[0]), 32);
    for (int i = 0; i < 32; i++) {
        assert_int_equal(each[i], i + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
        T(test_read_write_and_read_only),
        T(test_write_only_stored_reads_zero),
        T(test_reserved_bits),
        T(test_plain_register_without_fields),
        T(test_one_to_clear_set_toggle),
        T(test_zero_to_clear_set_toggle),
        T(test_clear_and_set_on_any_write),
        T(test_read_to_clear_and_set),
        T(test_read_modify_by_hook),
        T(test_narrow_accesses_merge),
        T(test_write_once),
        T(test_pre_write_before_semantics),
        T(test_read_actions_are_not_direct),
#undef T
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_registerfields_macros),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
