/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio-user server end to end: a device served from a thread on a
 * socket in a temporary directory, driven by libvup's client.  Every test
 * gets a fresh device and checks what a client observes.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "vup.h"
#include "vup/client.h"
#include "vup/cr.h"
#include "../../lib/protocol.h"
#include "harness.h"

/* t0: a small peripheral exercising every register feature. */
enum { CTRL = 0x00, STAT = 0x04, DATA = 0x08, PULSE = 0x0c, ID = 0x10 };

struct model {
    unsigned data_reads, resets, ctrl_writes;
    uint32_t last_old, last_value, last_written;
};

static uint32_t data_read(vup_periph *p, const struct vup_reg *r, uint32_t v)
{
    struct model *m = vup_periph_opaque(p);

    (void)r;
    m->data_reads++;
    return v | 0x100;   /* what the guest sees differs from what is stored */
}

static void ctrl_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                       uint32_t value, uint32_t written)
{
    struct model *m = vup_periph_opaque(p);

    (void)r;
    m->ctrl_writes++;
    m->last_old = old;
    m->last_value = value;
    m->last_written = written;
    vup_irq_set(p, 0, value & 0x100);
}

static void pulse_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                        uint32_t value, uint32_t written)
{
    (void)r;
    (void)old;
    (void)value;
    (void)written;
    vup_irq_pulse(p, 1);
}

static void t0_reset(vup_periph *p)
{
    struct model *m = vup_periph_opaque(p);

    m->resets++;
}

static const struct vup_field id_fields[] = {
    VUP_FIELD("ID", 0, 32, VUP_RO),
};
static const struct vup_field ctrl_fields[] = {
    VUP_FIELD("CTRL", 0, 16, VUP_RW),
};
/* Bit 6 is write-1-to-clear, the others read-only. */
static const struct vup_field stat_fields[] = {
    VUP_FIELD("LOW", 0, 6, VUP_RO),
    VUP_FIELD("W1C", 6, 1, VUP_W1C),
    VUP_FIELD("HIGH", 7, 25, VUP_RO),
};
static const struct vup_field data_fields[] = {
    VUP_FIELD("DATA", 0, 8, VUP_RW),
};
static const struct vup_field pulse_fields[] = {
    VUP_FIELD("GO", 0, 32, VUP_WO),
};

static const struct vup_reg t0_regs[] = {
    { .name = "ID", .offset = ID, .reset = 0x12345678,
      VUP_FIELDS(id_fields) },
    { .name = "CTRL", .offset = CTRL, .reset = 1, VUP_FIELDS(ctrl_fields),
      .write = ctrl_write },
    { .name = "STAT", .offset = STAT, .reset = 0xc0,
      VUP_FIELDS(stat_fields) },
    { .name = "DATA", .offset = DATA, VUP_FIELDS(data_fields),
      .read = data_read },
    { .name = "PULSE", .offset = PULSE, VUP_FIELDS(pulse_fields),
      .write = pulse_write },
};

static const struct vup_irq_desc t0_irqs[] = {
    { .name = "t0", .line = 5, .flags = VUP_CR_IRQ_LEVEL },
    { .name = "t0-evt", .line = 6, .flags = VUP_CR_IRQ_EDGE },
};

static const struct vup_periph_desc t0_desc = {
    .name = "t0", .base = 0x40000000, .size = 0x100,
    .mmio_flags = VUP_CR_MMIO_POSTED_WRITES,
    .regs = t0_regs, .num_regs = 5, .irqs = t0_irqs, .num_irqs = 2,
    .reset = t0_reset,
};

static const struct vup_periph_desc t1_desc = {
    .name = "t1", .base = 0x40001000, .size = 0x40,
};

struct fixture {
    struct harness h;           /* first: harness_teardown() */
    struct model model;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    harness_init(&f->h, "test", "testdev");
    /* The message-only layout; test_fastpath.c covers shared memory. */
    vup_dev_set_fast_path(f->h.dev, false);
    assert_non_null(vup_dev_add_periph(f->h.dev, &t0_desc, &f->model));
    assert_non_null(vup_dev_add_periph(f->h.dev, &t1_desc, NULL));
    assert_int_equal(vup_dev_add_clock(f->h.dev, "in", VUP_CR_CLOCK_INPUT,
                                       0), 0);
    harness_serve(&f->h, NULL, NULL);
    *state = f;
    return 0;
}

static uint32_t rd(struct fixture *f, uint32_t region, uint64_t off,
                   uint32_t count)
{
    return harness_rd(f->h.c, region, off, count);
}

static void wr(struct fixture *f, uint32_t region, uint64_t off, uint32_t v,
               uint32_t count)
{
    harness_wr(f->h.c, region, off, v, count);
}

static uint32_t irq_levels(struct fixture *f)
{
    return rd(f, 0, f->h.live + offsetof(struct vup_cr_live, irq_level), 4);
}

/* Sends raw bytes and reports whether the server then hangs up. */
static bool server_hangs_up(vup_client *c)
{
    struct pollfd p = { .fd = vup_client_fd(c), .events = POLLIN };
    char b;

    return poll(&p, 1, TIMEOUT_MS) == 1 &&
           recv(vup_client_fd(c), &b, 1, 0) == 0;
}

/* ---- negotiation and info ---------------------------------------------- */

static void test_negotiation(void **state)
{
    struct fixture *f = *state;
    const char *caps = vup_client_server_caps(f->h.c);

    assert_non_null(strstr(caps, "\"max_msg_fds\":8"));
    assert_non_null(strstr(caps, "\"write_multiple\":true"));
    assert_non_null(strstr(caps, "\"max_dma_maps\":64"));
    /* A second VERSION is refused; the connection stays usable. */
    assert_int_equal(vup_client_version(f->h.c, NULL), -EINVAL);
    assert_int_equal(rd(f, 1, ID, 4), 0x12345678);
}

static void test_version_without_caps(void **state)
{
    struct fixture *f = *state;
    char err[256];
    vup_client *c;

    vup_client_free(f->h.c);
    c = vup_client_connect_raw(f->h.path, TIMEOUT_MS, err, sizeof(err));
    assert_non_null(c);
    /* Nothing proposed, nothing offered: the reply has no JSON. */
    assert_int_equal(vup_client_version(c, NULL), 0);
    assert_string_equal(vup_client_server_caps(c), "");
    f->h.c = c;
}

static void test_device_info(void **state)
{
    struct fixture *f = *state;
    struct vup_client_device_info i;
    uint32_t flags, count;

    assert_int_equal(vup_client_device_info(f->h.c, &i), 0);
    assert_int_equal(i.flags, VFIO_DEVICE_FLAGS_PLATFORM |
                              VFIO_DEVICE_FLAGS_RESET);
    assert_int_equal(i.num_regions, 3);
    /* The two lines, and the doorbell a device with lines has (1.3). */
    assert_int_equal(i.num_irqs, 3);
    assert_int_equal(vup_client_irq_info(f->h.c, 1, &flags, &count), 0);
    assert_int_equal(flags, VFIO_IRQ_INFO_EVENTFD);
    assert_int_equal(count, 1);
    assert_int_equal(vup_client_irq_info(f->h.c, 2, &flags, &count), 0);
    assert_int_equal(vup_client_irq_info(f->h.c, 3, &flags, &count), -EINVAL);
}

static void test_region_info(void **state)
{
    struct fixture *f = *state;
    struct vup_client_region_info r;
    struct vfio_region_info ri = { .argsz = sizeof(ri), .index = 0 };
    size_t len = 0;

    assert_int_equal(vup_client_region_info(f->h.c, 0, &r), 0);
    assert_int_equal(r.size, 0x2000);
    assert_int_equal(r.flags, VFIO_REGION_INFO_FLAG_READ |
                              VFIO_REGION_INFO_FLAG_WRITE |
                              VFIO_REGION_INFO_FLAG_CAPS);
    assert_int_equal(r.num_caps, 1);
    assert_int_equal(r.caps[0].id, VFIO_REGION_INFO_CAP_TYPE);
    assert_int_equal(r.caps[0].type, VUP_CR_REGION_TYPE);
    assert_int_equal(r.caps[0].subtype, VUP_CR_REGION_SUBTYPE);
    assert_int_equal(vup_client_region_info(f->h.c, 1, &r), 0);
    assert_int_equal(r.size, 0x100);
    assert_int_equal(r.num_caps, 0);
    assert_int_equal(vup_client_region_info(f->h.c, 3, &r), -EINVAL);

    /* argsz too small for the cap: needed argsz back, no CAPS flag. */
    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_DEVICE_GET_REGION_INFO,
                                        0, &ri, sizeof(ri), NULL, 0, &ri,
                                        sizeof(ri), &len), 0);
    assert_int_equal(len, sizeof(ri));
    assert_int_equal(ri.argsz, sizeof(ri) +
                               sizeof(struct vfio_region_info_cap_type));
    assert_int_equal(ri.flags & VFIO_REGION_INFO_FLAG_CAPS, 0);
    assert_int_equal(ri.cap_offset, 0);
}

static void test_control_region(void **state)
{
    struct fixture *f = *state;
    struct vup_client_device_info di;
    uint64_t sizes[3] = { 0x2000, 0x100, 0x40 };
    struct vup_cr_device_limits lim = {
        .num_regions = 3, .num_irqs = 3, .region_size = sizes,
    };
    struct vup_cr_view *v = malloc(sizeof(*v));
    char err[256];
    void *buf;
    size_t len;

    assert_int_equal(vup_client_device_info(f->h.c, &di), 0);
    assert_int_equal(vup_client_read_cr(f->h.c, 0, 0x2000, &buf, &len), 0);
    assert_int_equal(vup_cr_decode(buf, len, &lim, v, err, sizeof(err)), 0);
    assert_string_equal(v->hdr->device_name, "testdev");
    assert_int_equal(v->num_mmio, 2);
    assert_string_equal(v->mmio[0]->name, "t0");
    assert_int_equal(v->mmio[0]->region_index, 1);
    assert_int_equal(v->mmio[0]->base, 0x40000000);
    assert_int_equal(v->mmio[0]->flags, VUP_CR_MMIO_POSTED_WRITES);
    assert_int_equal(v->mmio[1]->region_index, 2);
    assert_int_equal(v->num_irq, 2);
    assert_int_equal(v->irq[1]->line, 6);
    assert_int_equal(v->irq[1]->flags, VUP_CR_IRQ_EDGE);
    assert_non_null(v->live);
    free(buf);
    free(v);
}

/* ---- registers ----------------------------------------------------------- */

static void test_regs_reset_read_only_w1c(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, 1, CTRL, 4), 1);
    assert_int_equal(rd(f, 1, STAT, 4), 0xc0);
    wr(f, 1, CTRL, 0xffffffff, 4);
    assert_int_equal(rd(f, 1, CTRL, 4), 0xffff);
    wr(f, 1, ID, 0, 4);                             /* read-only */
    assert_int_equal(rd(f, 1, ID, 4), 0x12345678);
    wr(f, 1, STAT, 0x80, 4);                        /* read-only: kept */
    assert_int_equal(rd(f, 1, STAT, 4), 0xc0);
    wr(f, 1, STAT, 0x40, 4);                        /* w1c */
    assert_int_equal(rd(f, 1, STAT, 4), 0x80);
}

static void test_regs_hooks(void **state)
{
    struct fixture *f = *state;

    wr(f, 1, DATA, 0x1234, 4);
    assert_int_equal(rd(f, 1, DATA, 4), 0x134);     /* DATA[7:0] | hook */
    assert_int_equal(rd(f, 1, DATA, 4), 0x134);
    assert_int_equal(f->model.data_reads, 2);
    wr(f, 1, CTRL, 0xabcd, 4);
    assert_int_equal(f->model.ctrl_writes, 1);
    assert_int_equal(f->model.last_old, 1);
    assert_int_equal(f->model.last_value, 0xabcd);
    assert_int_equal(f->model.last_written, 0xabcd);
}

static void test_regs_narrow(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, 1, ID + 1, 1), 0x56);
    assert_int_equal(rd(f, 1, ID + 2, 2), 0x1234);
    assert_int_equal(rd(f, 1, ID + 3, 1), 0x12);
    wr(f, 1, CTRL, 0x1111, 4);
    wr(f, 1, CTRL + 1, 0x22, 1);                    /* byte lane 1 */
    assert_int_equal(rd(f, 1, CTRL, 4), 0x2211);
    assert_int_equal(f->model.last_written, 0x2200);
    wr(f, 1, CTRL + 2, 0xffff, 2);                  /* reserved */
    assert_int_equal(rd(f, 1, CTRL, 4), 0x2211);
    wr(f, 1, STAT, 0x40, 1);                        /* narrow w1c */
    assert_int_equal(rd(f, 1, STAT, 4), 0x80);
}

static void test_regs_unmapped(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd(f, 1, 0x20, 4), 0);
    wr(f, 1, 0x20, 0xffffffff, 4);
    assert_int_equal(rd(f, 1, 0x20, 4), 0);
    assert_int_equal(rd(f, 2, 0x3c, 4), 0);         /* table-less window */
    wr(f, 2, 0, 1, 1);
}

static void test_posted_writes_ordering(void **state)
{
    struct fixture *f = *state;

    for (uint32_t i = 0; i < 200; i++) {
        assert_int_equal(vup_client_write(f->h.c, 1, CTRL, &i, 4, true), 0);
    }
    assert_int_equal(rd(f, 1, CTRL, 4), 199);
    assert_int_equal(f->model.ctrl_writes, 200);
}

static void test_write_multi(void **state)
{
    struct fixture *f = *state;
    struct {
        struct vupi_msg_wr_multi m;
        struct vupi_msg_wr_one w[3];
    } msg = {
        .m.wr_cnt = 3,
        .w = {
            { .offset = CTRL, .region = 1, .count = 4, .data = { 0x11 } },
            { .offset = DATA, .region = 1, .count = 1, .data = { 0x22 } },
            { .offset = CTRL + 1, .region = 1, .count = 1, .data = { 0x33 } },
        },
    };

    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_REGION_WRITE_MULTI,
                                        VUPI_MSG_NO_REPLY, &msg, sizeof(msg),
                                        NULL, 0, NULL, 0, NULL), 0);
    assert_int_equal(rd(f, 1, CTRL, 4), 0x3311);
    assert_int_equal(rd(f, 1, DATA, 4), 0x122);
    /* One bad write: nothing applied, error reply when one is asked for. */
    msg.w[0].data[0] = 0x44;
    msg.w[2].offset = 0x200;
    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_REGION_WRITE_MULTI, 0,
                                        &msg, sizeof(msg), NULL, 0, NULL, 0,
                                        NULL), -EINVAL);
    assert_int_equal(rd(f, 1, CTRL, 4), 0x3311);
}

/* ---- IRQs ---------------------------------------------------------------- */

static void test_irq_level(void **state)
{
    struct fixture *f = *state;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    assert_int_equal(vup_client_irq_set_eventfd(f->h.c, 0, efd), 0);
    wr(f, 1, CTRL, 0x100, 4);
    assert_int_equal(harness_wait_event(efd, TIMEOUT_MS), 1);
    assert_int_equal(irq_levels(f), 1);
    wr(f, 1, CTRL, 0x101, 4);                       /* still high */
    assert_int_equal(harness_wait_event(efd, 50), 0);
    wr(f, 1, CTRL, 0, 4);
    assert_int_equal(harness_wait_event(efd, TIMEOUT_MS), 1);
    assert_int_equal(irq_levels(f), 0);
    /* Removed: levels still change, nothing is signalled. */
    assert_int_equal(vup_client_irq_set_eventfd(f->h.c, 0, -1), 0);
    wr(f, 1, CTRL, 0x100, 4);
    assert_int_equal(irq_levels(f), 1);
    assert_int_equal(harness_wait_event(efd, 50), 0);
    close(efd);
}

static void test_irq_edge_and_trigger(void **state)
{
    struct fixture *f = *state;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct vfio_irq_set s = {
        .argsz = sizeof(s),
        .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
        .index = 1, .count = 1,
    };

    assert_int_equal(vup_client_irq_set_eventfd(f->h.c, 1, efd), 0);
    wr(f, 1, PULSE, 1, 4);
    wr(f, 1, PULSE, 1, 4);
    assert_int_equal(harness_wait_event(efd, TIMEOUT_MS), 2);
    assert_int_equal(irq_levels(f), 0);             /* edges have no level */
    /* DATA_NONE count 1: trigger now; count 0: disable. */
    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_DEVICE_SET_IRQS, 0, &s,
                                        sizeof(s), NULL, 0, NULL, 0, NULL), 0);
    assert_int_equal(harness_wait_event(efd, TIMEOUT_MS), 1);
    s.count = 0;
    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_DEVICE_SET_IRQS, 0, &s,
                                        sizeof(s), NULL, 0, NULL, 0, NULL), 0);
    wr(f, 1, PULSE, 1, 4);
    assert_int_equal(harness_wait_event(efd, 50), 0);
    close(efd);
}

static void test_bad_set_irqs(void **state)
{
    struct fixture *f = *state;
    int efd[2] = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };
    struct vfio_irq_set s = {
        .argsz = sizeof(s),
        .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
        .index = 0, .count = 1,
    };

#define SET_IRQS(nfds) vup_client_request(f->h.c, VUPI_CMD_DEVICE_SET_IRQS, 0, \
                                          &s, sizeof(s), efd, nfds, NULL, 0, \
                                          NULL)
    assert_int_equal(SET_IRQS(2), -EINVAL);         /* 2 fds for count 1 */
    s.index = 3;
    assert_int_equal(SET_IRQS(1), -EINVAL);         /* no such index */
    s.index = 0;
    s.count = 2;
    assert_int_equal(SET_IRQS(0), -EINVAL);         /* count above 1 */
    s.count = 1;
    s.start = 1;
    assert_int_equal(SET_IRQS(1), -EINVAL);
    s.start = 0;
    s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK;
    assert_int_equal(SET_IRQS(0), -EINVAL);         /* not maskable */
    s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_EVENTFD |
              VFIO_IRQ_SET_ACTION_TRIGGER;
    assert_int_equal(SET_IRQS(0), -EINVAL);         /* two data types */
    s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    assert_int_equal(SET_IRQS(1), -EINVAL);         /* fd without EVENTFD */
    s.argsz = 4;
    assert_int_equal(SET_IRQS(0), -EINVAL);
#undef SET_IRQS
    /* None of these registered an fd. */
    wr(f, 1, CTRL, 0x100, 4);
    assert_int_equal(harness_wait_event(efd[0], 50), 0);
    close(efd[0]);
    close(efd[1]);
}

/* ---- reset and reconnection ---------------------------------------------- */

static void test_reset(void **state)
{
    struct fixture *f = *state;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    unsigned resets = f->model.resets;

    assert_int_equal(vup_client_irq_set_eventfd(f->h.c, 0, efd), 0);
    wr(f, 1, CTRL, 0x1ff, 4);
    wr(f, 1, STAT, 0x40, 4);
    assert_int_equal(harness_wait_event(efd, TIMEOUT_MS), 1);
    assert_int_equal(vup_client_reset(f->h.c), 0);
    assert_int_equal(rd(f, 1, CTRL, 4), 1);
    assert_int_equal(rd(f, 1, STAT, 4), 0xc0);
    assert_int_equal(irq_levels(f), 0);
    /* The level fell. */
    assert_int_equal(harness_wait_event(efd, TIMEOUT_MS), 1);
    assert_int_equal(f->model.resets, resets + 1);
    close(efd);
}

static void test_reconnect_resets(void **state)
{
    struct fixture *f = *state;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint64_t hz = 32768;

    assert_int_equal(vup_client_irq_set_eventfd(f->h.c, 0, efd), 0);
    wr(f, 1, CTRL, 0x1ff, 4);
    assert_int_equal(harness_wait_event(efd, TIMEOUT_MS), 1);
    assert_int_equal(vup_client_write(f->h.c, 0, f->h.live +
                                      offsetof(struct vup_cr_live,
                                               clock_hz), &hz, 8, false), 0);
    vup_client_free(f->h.c);
    f->h.c = harness_connect(&f->h);
    assert_int_equal(rd(f, 1, CTRL, 4), 1);
    assert_int_equal(irq_levels(f), 0);
    assert_int_equal(rd(f, 0, f->h.live + offsetof(struct vup_cr_live,
                                                   clock_hz), 4), 0);
    /* The old client's eventfd was closed, not signalled by the reset. */
    wr(f, 1, CTRL, 0x100, 4);
    assert_int_equal(harness_wait_event(efd, 50), 0);
    close(efd);
}

/* ---- control region accesses --------------------------------------------- */

static void test_live_writes(void **state)
{
    struct fixture *f = *state;
    uint64_t v = 123456789;
    uint32_t seq = 7;

    assert_int_equal(vup_client_write(f->h.c, 0, f->h.live +
                                      offsetof(struct vup_cr_live, vtime_ns),
                                      &v, 8, false), 0);
    assert_int_equal(rd(f, 0, f->h.live + offsetof(struct vup_cr_live,
                                                   vtime_ns), 4), v);
    assert_int_equal(vup_client_write(f->h.c, 0, f->h.live, &seq, 4, false),
                     -EPERM);
    assert_int_equal(vup_client_write(f->h.c, 0, 0, &seq, 4, false), -EPERM);
    /* Slot 1 is not an input clock. */
    assert_int_equal(vup_client_write(f->h.c, 0, f->h.live +
                                      offsetof(struct vup_cr_live,
                                               clock_hz[1]), &v, 8, false),
                     -EPERM);
    assert_int_equal(vup_client_read(f->h.c, 0, 0x2000, &seq, 4), -EINVAL);
    assert_int_equal(vup_client_read(f->h.c, 0, 0x1ffe, &seq, 4), -EINVAL);
}

/* ---- malformed input ----------------------------------------------------- */

static void test_bad_region_access(void **state)
{
    struct fixture *f = *state;
    uint32_t v = 0;

    assert_int_equal(vup_client_read(f->h.c, 9, 0, &v, 4), -EINVAL);
    assert_int_equal(vup_client_read(f->h.c, 1, 0x100, &v, 4), -EINVAL);
    assert_int_equal(vup_client_read(f->h.c, 1, 0xfe, &v, 4), -EINVAL);
    assert_int_equal(vup_client_read(f->h.c, 1, 2, &v, 4), -EINVAL);
    assert_int_equal(vup_client_read(f->h.c, 1, 0, &v, 3), -EINVAL);
    assert_int_equal(vup_client_read(f->h.c, 1, 0, &v, 0), -EINVAL);
    assert_int_equal(vup_client_write(f->h.c, 1, 1, &v, 2, false), -EINVAL);
    assert_int_equal(vup_client_write(f->h.c, 1, UINT64_MAX - 1, &v, 2, false),
                     -EINVAL);
    /* Still serving. */
    assert_int_equal(rd(f, 1, ID, 4), 0x12345678);
}

static void test_bad_command_and_flags(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(vup_client_request(f->h.c, 99, 0, NULL, 0, NULL, 0, NULL,
                                        0, NULL), -ENOSYS);
    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_DMA_READ, 0, NULL, 0,
                                        NULL, 0, NULL, 0, NULL), -ENOSYS);
    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_DEVICE_RESET, 0x100,
                                        NULL, 0, NULL, 0, NULL, 0, NULL),
                     -EINVAL);
    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_DEVICE_GET_INFO, 0,
                                        "ab", 2, NULL, 0, NULL, 0, NULL),
                     -EINVAL);                      /* short payload */
    assert_int_equal(rd(f, 1, ID, 4), 0x12345678);
}

static void test_before_version(void **state)
{
    struct fixture *f = *state;
    struct vup_client_device_info i;
    char err[256];
    vup_client *c;

    vup_client_free(f->h.c);
    c = vup_client_connect_raw(f->h.path, TIMEOUT_MS, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(vup_client_device_info(c, &i), -EINVAL);
    assert_int_equal(vup_client_version(c, "{}"), 0);
    assert_int_equal(vup_client_device_info(c, &i), 0);
    f->h.c = c;
}

static void check_bad_version(struct fixture *f, const void *payload,
                              size_t len)
{
    char err[256];
    vup_client *c = vup_client_connect_raw(f->h.path, TIMEOUT_MS, err,
                                           sizeof(err));

    assert_non_null(c);
    assert_int_equal(vup_client_request(c, VUPI_CMD_VERSION, 0, payload, len,
                                        NULL, 0, NULL, 0, NULL), -EINVAL);
    assert_true(server_hangs_up(c));
    vup_client_free(c);
}

static void test_bad_version(void **state)
{
    struct fixture *f = *state;
    static const char *const bad_json[] = {
        "{not json", "[1,2]", "{\"capabilities\":3}", "{} trailing",
        "{\"capabilities\":{\"max_msg_fds\":-1}}",
        "{\"capabilities\":{\"write_multiple\":\"yes\"}}",
        "{\"capabilities\":{\"pgsizes\":8192}}",
    };
    uint8_t msg[64];
    uint16_t ver[2] = { 1, 0 };

    vup_client_free(f->h.c);
    f->h.c = NULL;
    for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
        size_t n = strlen(bad_json[i]) + 1;

        memset(msg, 0, sizeof(msg));
        memcpy(msg + 4, bad_json[i], n);
        check_bad_version(f, msg, 4 + n);
    }
    memcpy(msg + 4, "{}", 2);                       /* no NUL */
    check_bad_version(f, msg, 6);
    check_bad_version(f, ver, sizeof(ver));         /* major 1 */
    check_bad_version(f, ver, 2);                   /* truncated */
    f->h.c = harness_connect(&f->h);
}

static void check_dropped(struct fixture *f, const void *bytes, size_t len)
{
    char err[256];
    vup_client *c = vup_client_connect(f->h.path, TIMEOUT_MS, err,
                                       sizeof(err));

    assert_non_null(c);
    assert_int_equal(send(vup_client_fd(c), bytes, len, MSG_NOSIGNAL),
                     (ssize_t)len);
    assert_true(server_hangs_up(c));
    vup_client_free(c);
}

static void test_malformed_headers(void **state)
{
    struct fixture *f = *state;
    struct vupi_msg_hdr h = { .command = VUPI_CMD_DEVICE_GET_INFO };
    char err[256];
    vup_client *c;

    vup_client_free(f->h.c);
    f->h.c = NULL;
    h.size = 8;                                     /* below the header */
    check_dropped(f, &h, sizeof(h));
    h.size = 0x7fffffff;                            /* oversized */
    check_dropped(f, &h, sizeof(h));
    h.size = sizeof(h);
    h.flags = VUPI_MSG_REPLY;                        /* we sent no request */
    check_dropped(f, &h, sizeof(h));
    h.flags = 7;                                    /* unknown type */
    check_dropped(f, &h, sizeof(h));

    /* Truncated header, then the client leaves: next client is served. */
    c = vup_client_connect(f->h.path, TIMEOUT_MS, err, sizeof(err));
    assert_non_null(c);
    assert_int_equal(send(vup_client_fd(c), &h, 8, MSG_NOSIGNAL), 8);
    vup_client_free(c);

    /* A header in pieces is buffered, not waited for. */
    c = harness_connect(&f->h);
    h = (struct vupi_msg_hdr){ .id = 0, .command = VUPI_CMD_DEVICE_RESET,
                              .size = sizeof(h) };
    assert_int_equal(send(vup_client_fd(c), &h, 5, MSG_NOSIGNAL), 5);
    usleep(20000);
    assert_int_equal(send(vup_client_fd(c), (char *)&h + 5, sizeof(h) - 5,
                          MSG_NOSIGNAL), (ssize_t)(sizeof(h) - 5));
    assert_int_equal(recv(vup_client_fd(c), &h, sizeof(h), MSG_WAITALL),
                     (ssize_t)sizeof(h));
    assert_int_equal(h.flags, VUPI_MSG_REPLY);
    vup_client_free(c);
    f->h.c = harness_connect(&f->h);
    assert_int_equal(rd(f, 1, ID, 4), 0x12345678);
}

static void test_too_many_fds(void **state)
{
    struct fixture *f = *state;
    struct vupi_msg_device_info m = { .argsz = sizeof(m) };
    int fds[12];

    for (size_t i = 0; i < 12; i++) {
        fds[i] = eventfd(0, EFD_CLOEXEC);
    }
    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_DEVICE_GET_INFO, 0, &m,
                                        sizeof(m), fds, 12, NULL, 0, NULL),
                     -EINVAL);
    /* fds where none are expected. */
    assert_int_equal(vup_client_request(f->h.c, VUPI_CMD_DEVICE_GET_INFO, 0, &m,
                                        sizeof(m), fds, 1, NULL, 0, NULL),
                     -EINVAL);
    for (size_t i = 0; i < 12; i++) {
        close(fds[i]);
    }
    assert_int_equal(rd(f, 1, ID, 4), 0x12345678);
}

static void test_dma(void **state)
{
    struct fixture *f = *state;
    const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    int mfd = memfd_create("guest-ram", MFD_CLOEXEC);

    assert_true(mfd >= 0);
    assert_int_equal(ftruncate(mfd, 0x20000), 0);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x10000, 0x10000, rw, -1, 0),
                     0);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x18000, 0x1000, rw, -1, 0),
                     -EEXIST);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x0f000, 0x2000, rw, -1, 0),
                     -EEXIST);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x30001, 0x1000, rw, -1, 0),
                     -EINVAL);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x30000, 0, rw, -1, 0),
                     -EINVAL);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x30000, 0x1000, 0x80, -1, 0),
                     -EINVAL);
    assert_int_equal(vup_client_dma_map(f->h.c, UINT64_MAX - 0xfff, 0x2000, rw,
                                        -1, 0), -EINVAL);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x20000000, 0x20000, rw, mfd,
                                        0), 0);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x30000000, 0x1000, rw, mfd,
                                        0x123), -EINVAL);
    assert_int_equal(vup_client_dma_unmap(f->h.c, 0x10000, 0x1000, 0), -EINVAL);
    assert_int_equal(vup_client_dma_unmap(f->h.c, 0x10000, 0x10000, 0), 0);
    assert_int_equal(vup_client_dma_unmap(f->h.c, 0x10000, 0x10000, 0),
                     -EINVAL);
    assert_int_equal(vup_client_dma_unmap(f->h.c, 1, 0,
                                          VFIO_DMA_UNMAP_FLAG_ALL),
                     -EINVAL);
    assert_int_equal(vup_client_dma_unmap(f->h.c, 0, 0,
                                          VFIO_DMA_UNMAP_FLAG_ALL),
                     0);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x20000000, 0x20000, rw, -1, 0),
                     0);                            /* gone after ALL */
    for (uint64_t i = 1; i < 64; i++) {
        assert_int_equal(vup_client_dma_map(f->h.c, i << 20, 0x1000, rw, -1, 0),
                         0);
    }
    assert_int_equal(vup_client_dma_map(f->h.c, 64 << 20, 0x1000, rw, -1, 0),
                     -ENOSPC);
    close(mfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
        T(test_negotiation),
        T(test_version_without_caps),
        T(test_device_info),
        T(test_region_info),
        T(test_control_region),
        T(test_regs_reset_read_only_w1c),
        T(test_regs_hooks),
        T(test_regs_narrow),
        T(test_regs_unmapped),
        T(test_posted_writes_ordering),
        T(test_write_multi),
        T(test_irq_level),
        T(test_irq_edge_and_trigger),
        T(test_bad_set_irqs),
        T(test_reset),
        T(test_reconnect_resets),
        T(test_live_writes),
        T(test_bad_region_access),
        T(test_bad_command_and_flags),
        T(test_before_version),
        T(test_bad_version),
        T(test_malformed_headers),
        T(test_too_many_fds),
        T(test_dma),
#undef T
    };

    vup_log_set_level(VUP_LOG_ERROR);
    return cmocka_run_group_tests_name("server", tests, NULL, NULL);
}
