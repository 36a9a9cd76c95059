/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signal groups (lib/wire.c): connected by name inside a backend without
 * the socket, published as SIGNAL entries otherwise; outputs in the live
 * part with one seq bump per change, inputs from one write of the input
 * block, pulses counted; bad groups refused with a message naming them.
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
#include "vup/client.h"
#include "vup/cr.h"
#include "harness.h"

static const struct vup_periph_desc desc_a = {
    .name = "pa", .base = 0x40000000, .size = 0x400,
};
static const struct vup_periph_desc desc_b = {
    .name = "pb", .base = 0x40000400, .size = 0x400,
};

/* What an input function saw, as "line=level" items. */
struct sink {
    char log[512];
    unsigned calls;
};

static void on_input(void *opaque, unsigned line, bool level)
{
    struct sink *s = opaque;
    size_t n = strlen(s->log);

    snprintf(s->log + n, sizeof(s->log) - n, "%s%u=%d", n ? " " : "", line,
             level);
    s->calls++;
}

static const void *descriptor(vup_dev *d, struct vup_cr_view *v)
{
    static char err[256];
    size_t size;
    const void *desc = vup_dev_descriptor(d, &size);

    assert_non_null(desc);
    assert_int_equal(vup_cr_decode(desc, size, NULL, v, err, sizeof(err)),
                     0);
    return desc;
}

static void test_connected_inside(void **state)
{
    vup_dev *d = vup_dev_new("wires");
    vup_periph *a = vup_dev_add_periph(d, &desc_a, NULL);
    vup_periph *b = vup_dev_add_periph(d, &desc_b, NULL);
    struct sink s1 = { "", 0 }, s2 = { "", 0 };
    struct vup_cr_view v;
    vup_signal *out, *in1, *in2;

    (void)state;
    /* Consumers before their producer: the order does not matter. */
    in1 = vup_periph_add_signal(b, "bus", 4, VUP_SIGNAL_IN, on_input, &s1);
    out = vup_periph_add_signal(a, "bus", 4, VUP_SIGNAL_OUT, NULL, NULL);
    in2 = vup_periph_add_signal(a, "bus", 4, VUP_SIGNAL_IN, on_input, &s2);
    assert_non_null(in1);
    assert_non_null(out);
    assert_non_null(in2);
    vup_signal_set(out, 2, true);           /* before the freeze */
    descriptor(d, &v);
    /* Only the output is published; the inputs took its level. */
    assert_int_equal(v.num_signal, 1);
    assert_string_equal(v.signal[0]->name, "bus");
    assert_int_equal(v.signal[0]->flags, VUP_CR_SIGNAL_OUT);
    assert_string_equal(s1.log, "2=1");
    assert_string_equal(s2.log, "2=1");

    vup_signal_set_lines(out, 0xf, 0x9);
    assert_string_equal(s1.log, "2=1 0=1 2=0 3=1");
    assert_int_equal(vup_signal_levels(in2), 0x9);
    s1.calls = 0;
    vup_signal_set_lines(out, 0xf, 0x9);    /* unchanged: no call */
    vup_signal_set_lines(out, 0x30, 0x30);  /* beyond the width */
    assert_int_equal(s1.calls, 0);
    vup_dev_free(d);
}

/* An input that drives the output it is connected to: a loop, bounded. */
static vup_signal *loop_out;
static unsigned loop_calls;

static void on_loop(void *opaque, unsigned line, bool level)
{
    (void)opaque;
    loop_calls++;
    vup_signal_set(loop_out, line, !level);
}

static void test_loop_bounded(void **state)
{
    vup_dev *d = vup_dev_new("wires");
    vup_periph *a = vup_dev_add_periph(d, &desc_a, NULL);
    size_t size;

    (void)state;
    loop_out = vup_periph_add_signal(a, "ring", 1, VUP_SIGNAL_OUT, NULL,
                                     NULL);
    assert_non_null(vup_periph_add_signal(a, "ring", 1, VUP_SIGNAL_IN,
                                          on_loop, NULL));
    assert_non_null(vup_dev_descriptor(d, &size));
    loop_calls = 0;
    vup_signal_set(loop_out, 0, true);      /* returns: nothing hangs */
    assert_int_equal(loop_calls, 16);
    /* The next change is delivered again, as deep. */
    vup_signal_set(loop_out, 0, !(vup_signal_levels(loop_out) & 1));
    assert_int_equal(loop_calls, 32);
    vup_dev_free(d);
}

static void test_published_entries(void **state)
{
    vup_dev *d = vup_dev_new("wires");
    vup_periph *a = vup_dev_add_periph(d, &desc_a, NULL);
    struct sink s = { "", 0 };
    struct vup_cr_view v;

    (void)state;
    assert_non_null(vup_periph_add_signal(a, "gpioa", 16, VUP_SIGNAL_OUT,
                                          NULL, NULL));
    assert_non_null(vup_periph_add_signal(a, "trgo", 1, VUP_SIGNAL_OUT |
                                          VUP_SIGNAL_PULSE, NULL, NULL));
    assert_non_null(vup_periph_add_signal(a, "ext", 8, VUP_SIGNAL_IN,
                                          on_input, &s));
    assert_non_null(vup_periph_add_signal(a, "trig", 2, VUP_SIGNAL_IN |
                                          VUP_SIGNAL_PULSE, on_input, &s));
    descriptor(d, &v);
    assert_int_equal(v.hdr->version_minor, 5);
    assert_int_equal(v.num_signal, 4);
    assert_non_null(v.cap_doorbell);        /* outputs change on their own */
    /* Each direction's lines back to back, in registration order. */
    assert_int_equal(v.signal[0]->first, 0);
    assert_int_equal(v.signal[0]->width, 16);
    assert_int_equal(v.signal[1]->first, 16);
    assert_int_equal(v.signal[1]->flags,
                     VUP_CR_SIGNAL_OUT | VUP_CR_SIGNAL_PULSE);
    assert_int_equal(v.signal[2]->first, 0);
    assert_int_equal(v.signal[2]->flags, VUP_CR_SIGNAL_IN);
    assert_int_equal(v.signal[3]->first, 8);
    assert_int_equal(v.signal[3]->flags,
                     VUP_CR_SIGNAL_IN | VUP_CR_SIGNAL_PULSE);
    assert_true(vup_cr_live_used(&v) == sizeof(struct vup_cr_live));
    vup_dev_free(d);
}

/* Registration and freeze errors, each naming what was wrong. */
static void refused_at_add(vup_periph *p, const char *name, unsigned width,
                           unsigned flags, const char *what)
{
    struct sink s = { "", 0 };

    assert_null(vup_periph_add_signal(p, name, width, flags, on_input, &s));
    if (!strstr(vup_dev_error(vup_periph_dev(p)), what)) {
        fail_msg("error \"%s\" does not mention \"%s\"",
                 vup_dev_error(vup_periph_dev(p)), what);
    }
}

static void test_bad_groups(void **state)
{
    vup_dev *d = vup_dev_new("wires");
    vup_periph *a = vup_dev_add_periph(d, &desc_a, NULL);
    vup_periph *b = vup_dev_add_periph(d, &desc_b, NULL);
    struct sink s = { "", 0 };
    size_t size;

    (void)state;
    refused_at_add(a, "", 1, VUP_SIGNAL_OUT, "signal name \"\"");
    refused_at_add(a, "a b", 1, VUP_SIGNAL_OUT, "signal name \"a b\"");
    refused_at_add(a, "sysbus-irq", 1, VUP_SIGNAL_OUT, "sysbus-");
    refused_at_add(a, "0123456789012345678901234567890123", 1, VUP_SIGNAL_OUT,
                   "signal name");
    refused_at_add(a, "x", 0, VUP_SIGNAL_OUT, "width 0 is not in [1, 32]");
    refused_at_add(a, "x", 33, VUP_SIGNAL_OUT, "width 33");
    refused_at_add(a, "x", 1, VUP_SIGNAL_OUT | VUP_SIGNAL_IN, "exactly one");
    refused_at_add(a, "x", 1, VUP_SIGNAL_PULSE, "exactly one");
    assert_null(vup_periph_add_signal(a, "x", 1, VUP_SIGNAL_IN, NULL, NULL));
    assert_non_null(strstr(vup_dev_error(d), "without a function"));
    assert_non_null(vup_periph_add_signal(a, "x", 1, VUP_SIGNAL_OUT, NULL,
                                          NULL));
    refused_at_add(b, "x", 1, VUP_SIGNAL_OUT, "output signal x registered "
                   "twice");

    /* An input that does not fit the output of its name. */
    assert_non_null(vup_periph_add_signal(b, "x", 2, VUP_SIGNAL_IN,
                                          on_input, &s));
    assert_null(vup_dev_descriptor(d, &size));
    assert_non_null(strstr(vup_dev_error(d), "signal x: pb's input (2 level "
                                             "lines) does not fit pa's "
                                             "output (1 level lines)"));
    vup_dev_free(d);

    /* Two inputs of one name, nothing driving them. */
    d = vup_dev_new("wires");
    a = vup_dev_add_periph(d, &desc_a, NULL);
    assert_non_null(vup_periph_add_signal(a, "y", 1, VUP_SIGNAL_IN,
                                          on_input, &s));
    assert_non_null(vup_periph_add_signal(a, "y", 1, VUP_SIGNAL_IN,
                                          on_input, &s));
    assert_null(vup_dev_descriptor(d, &size));
    assert_non_null(strstr(vup_dev_error(d), "input signal y: another input "
                                             "has its name"));
    /* Too late once serving. */
    vup_dev_free(d);
    d = vup_dev_new("wires");
    a = vup_dev_add_periph(d, &desc_a, NULL);
    assert_non_null(vup_dev_descriptor(d, &size));
    refused_at_add(a, "z", 1, VUP_SIGNAL_OUT, "before vup_dev_listen()");
    vup_dev_free(d);
}

/* The validator (QEMU's too) refuses each malformed SIGNAL entry. */
static void test_entry_rules(void **state)
{
    vup_dev *d = vup_dev_new("wires");
    vup_periph *a = vup_dev_add_periph(d, &desc_a, NULL);
    struct sink s = { "", 0 };
    struct vup_cr_view v;
    const uint8_t *desc;
    uint8_t *buf;
    size_t size;
    char err[256];
    struct vup_cr_signal *g0, *g1;
    struct vup_cr_header *h;
    static const char *const what[] = {
        "unknown flags 0x8", "exactly one of OUT, IN", "exactly one of OUT, IN",
        "width 0 is not in [1, 32]", "width 33 is not in [1, 32]",
        "lines 250..265 are not below 256", "overlap those of \"gpioa\"",
        "name also used by entry 1 (signal)", "'[' is not a letter",
        "\"sysbus-\" names are QEMU's own", "name is empty",
        "not NUL-terminated", "a signal needs a 1.5 live part",
        "a signal needs a 1.5 live part",
    };

    (void)state;
    vup_dev_set_fast_path(d, false);
    assert_non_null(vup_periph_add_signal(a, "gpioa", 16, VUP_SIGNAL_OUT,
                                          NULL, NULL));
    assert_non_null(vup_periph_add_signal(a, "ext", 4, VUP_SIGNAL_IN,
                                          on_input, &s));
    desc = descriptor(d, &v);
    size = v.hdr->desc_size;
    buf = aligned_alloc(8, (size + 7) & ~(size_t)7);
    for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
        memcpy(buf, desc, size);
        h = (struct vup_cr_header *)buf;
        g0 = (struct vup_cr_signal *)(buf + ((const uint8_t *)v.signal[0] -
                                             desc));
        g1 = (struct vup_cr_signal *)(buf + ((const uint8_t *)v.signal[1] -
                                             desc));
        switch (i) {
        case 0: g0->flags |= 8; break;
        case 1: g0->flags = VUP_CR_SIGNAL_PULSE; break;
        case 2: g0->flags = VUP_CR_SIGNAL_OUT | VUP_CR_SIGNAL_IN; break;
        case 3: g0->width = 0; break;
        case 4: g0->width = 33; break;
        case 5: g0->first = 250; break;
        case 6: g1->flags = VUP_CR_SIGNAL_OUT; g1->first = 15; break;
        case 7: strcpy(g1->name, "gpioa"); break;
        case 8: strcpy(g0->name, "gpio[0]"); break;
        case 9: strcpy(g0->name, "sysbus-irq"); break;
        case 10: g0->name[0] = 0; break;
        case 11: memset(g0->name, 'a', VUP_CR_NAME_LEN); break;
        case 12: h->version_minor = 4; break;
        case 13: h->live_size = VUP_CR_LIVE_SIZE_1_4; break;
        }
        assert_int_equal(vup_cr_decode(buf, size, NULL, &v, err,
                                       sizeof(err)), -EINVAL);
        if (!strstr(err, what[i]) || !strstr(err, "(signal")) {
            fail_msg("error \"%s\" does not mention \"%s\" and the entry",
                     err, what[i]);
        }
        descriptor(d, &v);
    }
    free(buf);
    vup_dev_free(d);
}

/* ---- over the socket, as QEMU --------------------------------------- */

struct fixture {
    struct harness h;
    vup_signal *out, *pulse;
    struct sink in, trig;
};

/* CTRL: bits 15..0 drive "pins"; bit 31 pulses "trgo" twice. */
static void ctrl_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                       uint32_t value, uint32_t written)
{
    struct fixture *f = vup_periph_opaque(p);

    (void)r;
    (void)old;
    (void)written;
    vup_signal_set_lines(f->out, 0xffff, value & 0xffff);
    if (value >> 31) {
        vup_signal_pulse(f->pulse, 0);
        vup_signal_pulse(f->pulse, 0);
    }
}

static const struct vup_field ctrl_fields[] = {
    VUP_FIELD("VALUE", 0, 32, VUP_RW),
};

static const struct vup_reg ctrl_regs[] = {
    { .name = "CTRL", .offset = 0, .write = ctrl_write,
      VUP_FIELDS(ctrl_fields) },
};

static const struct vup_periph_desc desc_ctrl = {
    .name = "pa", .base = 0x40000000, .size = 0x400,
    .regs = ctrl_regs, .num_regs = 1,
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    vup_periph *a;

    harness_init(&f->h, "wire", "wires");
    vup_dev_set_fast_path(f->h.dev, false);
    a = vup_dev_add_periph(f->h.dev, &desc_ctrl, f);
    f->out = vup_periph_add_signal(a, "pins", 16, VUP_SIGNAL_OUT, NULL, NULL);
    f->pulse = vup_periph_add_signal(a, "trgo", 1, VUP_SIGNAL_OUT |
                                     VUP_SIGNAL_PULSE, NULL, NULL);
    assert_non_null(vup_periph_add_signal(a, "ext", 8, VUP_SIGNAL_IN,
                                          on_input, &f->in));
    assert_non_null(vup_periph_add_signal(a, "trig", 2, VUP_SIGNAL_IN |
                                          VUP_SIGNAL_PULSE, on_input,
                                          &f->trig));
    assert_non_null(f->out);
    assert_non_null(f->pulse);
    harness_serve(&f->h, NULL, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    return harness_teardown(state);
}

/* The input block as QEMU writes it: one non-posted REGION_WRITE. */
static void write_inputs(struct fixture *f, uint32_t levels,
                         uint8_t pulses0, uint8_t pulses1)
{
    uint8_t block[sizeof(struct vup_cr_live) - VUP_CR_LIVE_SIG_IN_OFF] = {0};
    const size_t pulses = offsetof(struct vup_cr_live, sig_in_pulses) -
                          VUP_CR_LIVE_SIG_IN_OFF;

    memcpy(block, &levels, 4);              /* "ext" is lines 0..7 */
    block[pulses + 8] = pulses0;            /* "trig" is lines 8..9 */
    block[pulses + 9] = pulses1;
    assert_int_equal(vup_client_write(f->h.c, 0, f->h.live +
                                      VUP_CR_LIVE_SIG_IN_OFF, block,
                                      sizeof(block), false), 0);
}

static void test_inputs_from_qemu(void **state)
{
    struct fixture *f = *state;

    write_inputs(f, 0x05, 0, 0);
    assert_string_equal(f->in.log, "0=1 2=1");
    write_inputs(f, 0x104, 3, 1);           /* bit 8 is not "ext"'s */
    assert_string_equal(f->in.log, "0=1 2=1 0=0");
    assert_string_equal(f->trig.log, "0=1 0=1 0=1 1=1");
    /* Counts wrap modulo 256: 3 -> 2 is 255 more pulses. */
    f->trig.calls = 0;
    write_inputs(f, 0x04, 2, 1);
    assert_int_equal(f->trig.calls, 255);
}

static void test_input_block_only(void **state)
{
    struct fixture *f = *state;
    uint32_t v = 0xff;

    /* QEMU cannot write the backend's outputs. */
    assert_int_not_equal(vup_client_write(f->h.c, 0, f->h.live +
                                          offsetof(struct vup_cr_live,
                                                   sig_out), &v, 4, false),
                         0);
    assert_int_not_equal(vup_client_write(f->h.c, 0, f->h.live +
                                          offsetof(struct vup_cr_live,
                                                   sig_out_pulses), &v, 4,
                                          false), 0);
}

static uint32_t live32(struct fixture *f, size_t field)
{
    uint32_t v;

    assert_int_equal(vup_client_read(f->h.c, 0, f->h.live + field, &v, 4),
                     0);
    return v;
}

static void test_outputs_in_live(void **state)
{
    struct fixture *f = *state;
    uint32_t seq0 = live32(f, offsetof(struct vup_cr_live, seq));

    harness_wr(f->h.c, 1, 0, 0x80008001u, 4);
    assert_int_equal(live32(f, offsetof(struct vup_cr_live, sig_out)) &
                     0x1ffff, 0x8001);
    assert_int_equal(live32(f, offsetof(struct vup_cr_live, sig_out_pulses)
                            + 16) & 0xff, 2);
    /* One bump for the 16 lines, one per pulse. */
    assert_int_equal(live32(f, offsetof(struct vup_cr_live, seq)) - seq0, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connected_inside),
        cmocka_unit_test(test_loop_bounded),
        cmocka_unit_test(test_published_entries),
        cmocka_unit_test(test_bad_groups),
        cmocka_unit_test(test_entry_rules),
        cmocka_unit_test_setup_teardown(test_inputs_from_qemu, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_input_block_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outputs_in_live, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
