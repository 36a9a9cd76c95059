/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual time, the doorbell and clocks through the real protocol: a device
 * served from a thread, driven by libvup's client playing QEMU (it writes
 * vtime_ns, reads deadline_ns, registers eventfds).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "vup.h"
#include "vup/client.h"
#include "vup/cr.h"
#include "../../lib/protocol.h"
#include "harness.h"

/*
 * "tm": ARM = delay in ns from now (0 cancels), PERIOD = re-arm interval,
 * FIRES/LAST = count and vup_dev_now_ns() of the callback; each firing
 * raises the level line.  ARM2 arms a second timer (order checks), HZ sets
 * the "shared" output clock, PREDICT arms the first like ARM and says the
 * firing raises the line.
 */
enum { ARM = 0x00, PERIOD = 0x04, FIRES = 0x08, LAST = 0x0c, ARM2 = 0x10,
       HZ = 0x14, ACK = 0x18, PREDICT = 0x1c };

struct model {
    vup_periph *p;
    vup_timer *t, *t2;
    int out, in, shared_out, shared_in;
    char order[16];
    size_t norder;
    uint64_t in_hz, shared_hz;
    unsigned in_notified, shared_notified;
};

static struct model model;

static void fire(vup_timer *t, void *opaque)
{
    struct model *m = opaque;
    vup_periph *p = m->p;
    uint32_t period = vup_reg_get(p, PERIOD);

    if (m->norder < sizeof(m->order) - 1) {
        m->order[m->norder++] = t == m->t ? 'a' : 'b';
    }
    vup_reg_set(p, FIRES, vup_reg_get(p, FIRES) + 1);
    vup_reg_set(p, LAST, (uint32_t)vup_dev_now_ns(vup_periph_dev(p)));
    vup_irq_set(p, 0, true);
    if (t == m->t && period) {
        /* From the deadline, not from QEMU's time: no drift. */
        vup_timer_arm(t, vup_dev_now_ns(vup_periph_dev(p)) + period);
    }
}

static void arm_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct model *m = vup_periph_opaque(p);
    vup_timer *t = r->offset == ARM ? m->t : m->t2;

    (void)old;
    (void)written;
    if (value) {
        vup_timer_arm_in(t, value);
    } else {
        vup_timer_cancel(t);
    }
}

static void predict_write(vup_periph *p, const struct vup_reg *r,
                          uint32_t old, uint32_t value, uint32_t written)
{
    struct model *m = vup_periph_opaque(p);

    (void)r;
    (void)old;
    (void)written;
    vup_timer_arm_in(m->t, value);
    vup_timer_predict_irq(m->t, p, 0);
}

static void hz_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                     uint32_t value, uint32_t written)
{
    struct model *m = vup_periph_opaque(p);

    (void)r;
    (void)old;
    (void)written;
    vup_clock_set_hz(vup_periph_dev(p), (unsigned)m->shared_out, value);
}

static void ack_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)r;
    (void)old;
    (void)value;
    (void)written;
    vup_irq_set(p, 0, false);
}

/* FIRES and LAST are the model's (read-only), ACK a command. */
static const struct vup_field ro32[] = {
    VUP_FIELD("VALUE", 0, 32, VUP_RO),
};
static const struct vup_field ack_fields[] = {
    VUP_FIELD("ACK", 0, 32, VUP_WO),
};

static const struct vup_reg tm_regs[] = {
    { .name = "ARM", .offset = ARM, .write = arm_write },
    { .name = "PERIOD", .offset = PERIOD },
    { .name = "FIRES", .offset = FIRES, VUP_FIELDS(ro32) },
    { .name = "LAST", .offset = LAST, VUP_FIELDS(ro32) },
    { .name = "ARM2", .offset = ARM2, .write = arm_write },
    { .name = "HZ", .offset = HZ, .write = hz_write },
    { .name = "ACK", .offset = ACK, VUP_FIELDS(ack_fields),
      .write = ack_write },
    { .name = "PREDICT", .offset = PREDICT, .write = predict_write },
};

static const struct vup_irq_desc tm_irqs[] = {
    { .name = "tm", .line = 3, .flags = VUP_CR_IRQ_LEVEL },
};

static const struct vup_periph_desc tm_desc = {
    .name = "tm", .base = 0x40000000, .size = 0x100,
    .regs = tm_regs, .num_regs = sizeof(tm_regs) / sizeof(tm_regs[0]),
    .irqs = tm_irqs, .num_irqs = 1,
};

struct fixture {
    struct harness h;           /* first: harness_teardown() */
};

/* A host event (like serial input): arms the timer or changes a clock. */
static void on_host(void *opaque, int fd, uint32_t events)
{
    struct model *m = opaque;
    char b;

    (void)events;
    if (read(fd, &b, 1) != 1) {
        return;
    }
    if (b == 't') {
        vup_timer_arm_in(m->t, 1000);
    } else {
        vup_clock_set_hz(vup_periph_dev(m->p), (unsigned)m->out, 12345);
    }
}

static void on_clock(void *opaque, unsigned clock, uint64_t hz)
{
    struct model *m = opaque;

    if ((int)clock == m->in) {
        m->in_hz = hz;
        m->in_notified++;
    } else {
        m->shared_hz = hz;
        m->shared_notified++;
    }
}

/* The host pipe, watched by the device loop. */
static void watch_host(struct harness *h, void *opaque)
{
    (void)opaque;
    harness_watch_in(h, on_host, &model);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct model *m = &model;
    vup_dev *dev;

    memset(m, 0, sizeof(*m));
    harness_init(&f->h, "time", "timedev");
    dev = f->h.dev;
    /* The message-only layout; test_fastpath.c covers shared memory. */
    vup_dev_set_fast_path(dev, false);
    m->p = vup_dev_add_periph(dev, &tm_desc, m);
    assert_non_null(m->p);
    m->t = vup_timer_new(dev, fire, m);
    m->t2 = vup_timer_new(dev, fire, m);
    assert_non_null(m->t);
    assert_non_null(m->t2);
    m->out = vup_dev_add_clock(dev, "out", VUP_CR_CLOCK_OUTPUT, 1000);
    m->in = vup_dev_add_clock(dev, "in", VUP_CR_CLOCK_INPUT, 0);
    /* Consumer declared before its producer, both in this device. */
    m->shared_in = vup_dev_add_clock(dev, "shared", VUP_CR_CLOCK_INPUT, 0);
    m->shared_out = vup_dev_add_clock(dev, "shared", VUP_CR_CLOCK_OUTPUT,
                                      500);
    assert_int_equal(m->out, 0);
    assert_int_equal(m->in, 1);
    assert_int_equal(m->shared_in, 2);
    assert_int_equal(m->shared_out, 2);
    assert_int_equal(vup_dev_add_clock(dev, "shared", VUP_CR_CLOCK_OUTPUT,
                                       1), -EEXIST);
    assert_int_equal(vup_clock_notify(dev, (unsigned)m->in, on_clock, m),
                     0);
    assert_int_equal(vup_clock_notify(dev, (unsigned)m->shared_in,
                                      on_clock, m), 0);
    harness_serve(&f->h, watch_host, f);
    *state = f;
    return 0;
}

/* The registers are region 1, 32 bits. */
static uint32_t rd(struct fixture *f, uint64_t off)
{
    return harness_rd(f->h.c, 1, off, 4);
}

static void wr(struct fixture *f, uint64_t off, uint32_t v)
{
    harness_wr(f->h.c, 1, off, v, 4);
}

static uint64_t live64(struct fixture *f, size_t field)
{
    return harness_live64(&f->h, field);
}

static uint32_t seq(struct fixture *f)
{
    return (uint32_t)live64(f, offsetof(struct vup_cr_live, seq));
}

static uint64_t deadline(struct fixture *f)
{
    return live64(f, offsetof(struct vup_cr_live, deadline_ns));
}

/* As QEMU: posted before an access, non-posted when its timer fires. */
static void set_vtime(struct fixture *f, uint64_t ns, bool posted)
{
    assert_int_equal(vup_client_write(f->h.c, 0, f->h.live +
                                      offsetof(struct vup_cr_live, vtime_ns),
                                      &ns, 8, posted), 0);
}

static uint32_t raise_bits(struct fixture *f)
{
    return (uint32_t)live64(f, offsetof(struct vup_cr_live, deadline_raise));
}

static uint32_t level(struct fixture *f)
{
    return (uint32_t)live64(f, offsetof(struct vup_cr_live, irq_level));
}

/* ---- capabilities ------------------------------------------------------- */

static void test_caps(void **state)
{
    struct fixture *f = *state;
    struct vup_client_device_info di;
    struct vup_client_region_info ri;
    struct vup_cr_view *v = malloc(sizeof(*v));
    uint32_t flags, count;
    uint64_t sizes[2];
    struct vup_cr_device_limits lim = {
        .num_regions = 2, .num_irqs = 2, .region_size = sizes,
    };
    char err[256];
    bool vt = false, db = false;
    void *buf;
    size_t len;

    assert_int_equal(vup_client_device_info(f->h.c, &di), 0);
    assert_int_equal(di.num_irqs, 2);       /* the line, then the doorbell */
    assert_int_equal(vup_client_irq_info(f->h.c, 1, &flags, &count), 0);
    assert_int_equal(flags, VFIO_IRQ_INFO_EVENTFD);
    assert_int_equal(count, 1);
    assert_int_equal(vup_client_region_info(f->h.c, 0, &ri), 0);
    sizes[0] = ri.size;
    sizes[1] = 0x100;
    assert_int_equal(vup_client_read_cr(f->h.c, 0, ri.size, &buf, &len), 0);
    assert_int_equal(vup_cr_decode(buf, len, &lim, v, err, sizeof(err)), 0);
    for (size_t i = 0; i < v->num_cap; i++) {
        if (v->cap[i]->id == VUP_CR_CAP_VIRTUAL_TIME) {
            vt = true;
        }
        if (v->cap[i]->id == VUP_CR_CAP_DOORBELL) {
            db = true;
            assert_int_equal(v->cap[i]->offset, 1);
        }
    }
    assert_true(vt && db);
    /* "shared" is listed once, as the output. */
    assert_int_equal(v->num_clock, 3);
    assert_string_equal(v->clock[2]->name, "shared");
    assert_int_equal(v->clock[2]->flags, VUP_CR_CLOCK_OUTPUT);
    assert_int_equal(v->live->deadline_ns, VUP_CR_NO_DEADLINE);
    free(buf);
    free(v);
}

/* ---- timers ------------------------------------------------------------- */

static void test_timer_fires_at_deadline(void **state)
{
    struct fixture *f = *state;
    uint32_t s;

    set_vtime(f, 1000, true);
    wr(f, ARM, 500);
    assert_int_equal(deadline(f), 1500);
    set_vtime(f, 1499, true);
    assert_int_equal(rd(f, FIRES), 0);
    assert_int_equal(level(f), 0);
    s = seq(f);
    set_vtime(f, 1500, false);              /* QEMU's deadline timer */
    assert_int_equal(rd(f, FIRES), 1);
    assert_int_equal(rd(f, LAST), 1500);
    assert_int_equal(level(f), 1);
    assert_int_equal(deadline(f), VUP_CR_NO_DEADLINE);
    assert_true(seq(f) != s);
    set_vtime(f, 5000, false);
    assert_int_equal(rd(f, FIRES), 1);
}

static void test_timer_periodic_and_late(void **state)
{
    struct fixture *f = *state;

    wr(f, PERIOD, 100);
    wr(f, ARM, 100);
    assert_int_equal(deadline(f), 100);
    /* QEMU is late (an access at 1050): every period runs, in order. */
    set_vtime(f, 1050, true);
    assert_int_equal(rd(f, FIRES), 10);
    assert_int_equal(rd(f, LAST), 1000);
    assert_int_equal(deadline(f), 1100);
}

static void test_timer_order_and_cancel(void **state)
{
    struct fixture *f = *state;

    wr(f, ARM, 300);
    wr(f, ARM2, 200);
    assert_int_equal(deadline(f), 200);
    wr(f, ARM2, 0);                         /* cancel */
    assert_int_equal(deadline(f), 300);
    wr(f, ARM2, 250);
    set_vtime(f, 400, false);
    assert_string_equal(model.order, "ba");
    assert_int_equal(rd(f, FIRES), 2);
    wr(f, ARM, 100);
    wr(f, ARM, 0);
    assert_int_equal(deadline(f), VUP_CR_NO_DEADLINE);
    set_vtime(f, 10000, false);
    assert_int_equal(rd(f, FIRES), 2);
}

static void test_timer_reset_cancels(void **state)
{
    struct fixture *f = *state;

    wr(f, ARM, 100);
    assert_int_equal(vup_client_reset(f->h.c), 0);
    assert_int_equal(deadline(f), VUP_CR_NO_DEADLINE);
    set_vtime(f, 1000, false);
    assert_int_equal(rd(f, FIRES), 0);
}

/* ---- doorbell ----------------------------------------------------------- */

static void test_doorbell(void **state)
{
    struct fixture *f = *state;
    int db = eventfd(0, EFD_CLOEXEC);
    uint32_t s;

    assert_true(db >= 0);
    assert_int_equal(vup_client_irq_set_eventfd(f->h.c, 1, db), 0);
    /* Changes made while handling a request: no doorbell. */
    wr(f, ARM, 100);
    wr(f, HZ, 777);
    assert_int_equal(harness_wait_event(db, 50), 0);
    s = seq(f);
    /* A host event changes the deadline: seq bumped, then the doorbell. */
    assert_int_equal(write(f->h.in[1], "t", 1), 1);
    assert_true(harness_wait_event(db, TIMEOUT_MS) >= 1);
    assert_true(seq(f) != s);
    assert_int_equal(deadline(f), 1000);
    /* And a clock change. */
    assert_int_equal(write(f->h.in[1], "c", 1), 1);
    assert_true(harness_wait_event(db, TIMEOUT_MS) >= 1);
    assert_int_equal(live64(f, offsetof(struct vup_cr_live, clock_hz)),
                     12345);
    close(db);
}

/* ---- clocks ------------------------------------------------------------- */

static void test_clock_input_notify(void **state)
{
    struct fixture *f = *state;
    uint64_t hz = 8000000;
    uint64_t off = f->h.live + offsetof(struct vup_cr_live, clock_hz) +
                   (uint64_t)model.in * 8;

    assert_int_equal(vup_client_write(f->h.c, 0, off, &hz, 8, false), 0);
    assert_int_equal(model.in_notified, 1);
    assert_int_equal(model.in_hz, 8000000);
    /* Same value: no notification. */
    assert_int_equal(vup_client_write(f->h.c, 0, off, &hz, 8, false), 0);
    assert_int_equal(model.in_notified, 1);
    /* Outputs are ours: QEMU cannot write them. */
    off = f->h.live + offsetof(struct vup_cr_live, clock_hz);
    assert_int_equal(vup_client_write(f->h.c, 0, off, &hz, 8, false), -EPERM);
}

static void test_clock_routed_inside_device(void **state)
{
    struct fixture *f = *state;

    wr(f, HZ, 4000000);
    assert_int_equal(model.shared_notified, 1);
    assert_int_equal(model.shared_hz, 4000000);
    assert_int_equal(live64(f, offsetof(struct vup_cr_live, clock_hz) +
                            (size_t)model.shared_out * 8), 4000000);
    /* Reset brings the output, and so its consumer, back. */
    assert_int_equal(vup_client_reset(f->h.c), 0);
    assert_int_equal(model.shared_hz, 500);
}

/* 1.4: the lines the deadline raises, published with it. */
static void test_timer_predicted_line(void **state)
{
    struct fixture *f = *state;

    set_vtime(f, 5000, true);
    wr(f, PREDICT, 1000);
    assert_int_equal(deadline(f), 6000);
    assert_int_equal(raise_bits(f), 1u << 0);     /* the line, index 0 */

    /* Armed again without a prediction: none holds any more. */
    wr(f, ARM, 2000);
    assert_int_equal(deadline(f), 7000);
    assert_int_equal(raise_bits(f), 0);

    /* Only the timers due at the published deadline count. */
    wr(f, PREDICT, 3000);
    wr(f, ARM2, 1500);
    assert_int_equal(deadline(f), 6500);
    assert_int_equal(raise_bits(f), 0);
    wr(f, ARM2, 0);
    assert_int_equal(deadline(f), 8000);
    assert_int_equal(raise_bits(f), 1u << 0);

    /* It fires: the callback raised the line, nothing is predicted. */
    set_vtime(f, 8000, false);
    assert_int_equal(rd(f, FIRES), 1);
    assert_int_equal(level(f) & 1u, 1u);
    assert_int_equal(deadline(f), VUP_CR_NO_DEADLINE);
    assert_int_equal(raise_bits(f), 0);

    /* Cancelled: gone with the deadline. */
    wr(f, ACK, 1);
    wr(f, PREDICT, 1000);
    assert_int_equal(raise_bits(f), 1u << 0);
    wr(f, ARM, 0);
    assert_int_equal(deadline(f), VUP_CR_NO_DEADLINE);
    assert_int_equal(raise_bits(f), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
        T(test_caps),
        T(test_timer_fires_at_deadline),
        T(test_timer_periodic_and_late),
        T(test_timer_order_and_cancel),
        T(test_timer_reset_cancels),
        T(test_timer_predicted_line),
        T(test_doorbell),
        T(test_clock_input_notify),
        T(test_clock_routed_inside_device),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
