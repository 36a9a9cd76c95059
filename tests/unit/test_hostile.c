/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hostile clients: the classes of bad input test_server.c does not cover.
 * Each test checks that the server answers with an error or drops the
 * client, closes every fd it was given and did not keep, stays responsive
 * to its other fds, and serves (a reset device to) the next client.
 *
 * The server runs in a thread of this process, so /proc/self/fd counts its
 * fds too.
 */
#include <dirent.h>
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "vup.h"
#include "vup/client.h"
#include "vup/cr.h"
#include "../../lib/protocol.h"
#include "harness.h"

enum { CTRL = 0x00, ID = 0x04 };

static const struct vup_field ctrl_fields[] = {
    VUP_FIELD("CTRL", 0, 16, VUP_RW),
};
static const struct vup_field id_fields[] = {
    VUP_FIELD("ID", 0, 32, VUP_RO),
};

static const struct vup_reg regs[] = {
    { .name = "CTRL", .offset = CTRL, .reset = 1, VUP_FIELDS(ctrl_fields) },
    { .name = "ID", .offset = ID, .reset = 0x12345678,
      VUP_FIELDS(id_fields) },
};

static const struct vup_irq_desc irqs[] = {
    { .name = "h0", .line = 5, .flags = VUP_CR_IRQ_LEVEL },
};

static const struct vup_periph_desc h0_desc = {
    .name = "h0", .base = 0x40000000, .size = 0x100,
    .regs = regs, .num_regs = 2, .irqs = irqs, .num_irqs = 1,
};

struct fixture {
    struct harness h;       /* h.in: pings to the device loop */
    int pong_efd;           /* signalled by the loop for each ping */
};

static void on_ping(void *opaque, int fd, uint32_t events)
{
    struct fixture *f = opaque;
    uint64_t one = 1;
    char b;

    (void)events;
    assert_int_equal(read(fd, &b, 1), 1);
    assert_int_equal(write(f->pong_efd, &one, sizeof(one)), sizeof(one));
}

static void watch_ping(struct harness *h, void *opaque)
{
    struct fixture *f = opaque;

    f->pong_efd = eventfd(0, EFD_CLOEXEC);
    assert_true(f->pong_efd >= 0);
    harness_watch_in(h, on_ping, f);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    harness_init(&f->h, "hostile", "hostile");
    assert_non_null(vup_dev_add_periph(f->h.dev, &h0_desc, NULL));
    harness_start(&f->h, watch_ping, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    harness_stop(&f->h);
    close(f->pong_efd);
    free(f);
    return 0;
}

/* The device loop answers a ping within the timeout. */
static bool loop_responsive(struct fixture *f)
{
    struct pollfd p = { .fd = f->pong_efd, .events = POLLIN };
    uint64_t n;

    assert_int_equal(write(f->h.in[1], "p", 1), 1);
    if (poll(&p, 1, TIMEOUT_MS) != 1) {
        return false;
    }
    assert_int_equal(read(f->pong_efd, &n, sizeof(n)), sizeof(n));
    return true;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(d);
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

/*
 * Whether the fd count comes back to @n: the server closes a client's
 * socket when it sees the hang-up, which may be just after our close.
 */
static bool fds_back_to(int n)
{
    for (int i = 0; i < TIMEOUT_MS / 10; i++) {
        if (count_fds() == n) {
            return true;
        }
        usleep(10000);
    }
    return false;
}

/* Receives one reply; returns its error (0 if none) and checks its id. */
static int recv_reply(int s, uint16_t id, uint16_t cmd, void *buf,
                      size_t cap)
{
    struct pollfd p = { .fd = s, .events = POLLIN };
    struct vupi_msg_hdr h;
    uint8_t scratch[512];
    size_t body;

    assert_int_equal(poll(&p, 1, TIMEOUT_MS), 1);
    assert_int_equal(recv(s, &h, sizeof(h), MSG_WAITALL), sizeof(h));
    assert_int_equal(h.id, id);
    assert_int_equal(h.command, cmd);
    assert_int_equal(h.flags & VUPI_MSG_TYPE_MASK, VUPI_MSG_REPLY);
    assert_true(h.size >= sizeof(h));
    body = h.size - sizeof(h);
    assert_true(body <= sizeof(scratch));
    if (body) {
        assert_int_equal(recv(s, scratch, body, MSG_WAITALL), (ssize_t)body);
    }
    if (buf) {
        memcpy(buf, scratch, body < cap ? body : cap);
    }
    return h.flags & VUPI_MSG_ERROR ? (int)h.error_reply : 0;
}

/* EOF, or a reset when the server closed with our bytes still unread. */
static bool server_hangs_up(int s)
{
    struct pollfd p = { .fd = s, .events = POLLIN };
    char b;

    if (poll(&p, 1, TIMEOUT_MS) != 1) {
        return false;
    }
    switch (recv(s, &b, 1, 0)) {
    case 0:
        return true;
    case -1:
        return errno == ECONNRESET;
    default:
        return false;
    }
}

static uint32_t read_id(vup_client *c)
{
    uint32_t v = 0;

    assert_int_equal(vup_client_read(c, 1, ID, &v, 4), 0);
    return v;
}

/* A device that is fine: a new client reads reset values. */
static void check_next_client_ok(struct fixture *f)
{
    vup_client *c = harness_connect(&f->h);
    uint32_t v = 0;

    assert_int_equal(read_id(c), 0x12345678);
    assert_int_equal(vup_client_read(c, 1, CTRL, &v, 4), 0);
    assert_int_equal(v, 1);
    vup_client_free(c);
}

/* ---- out of order ------------------------------------------------------ */

static void test_reused_ids_answered_in_order(void **state)
{
    struct fixture *f = *state;
    vup_client *c = harness_connect(&f->h);
    int s = vup_client_fd(c);
    struct vupi_msg_region_rw rd = { .offset = ID, .region = 1, .count = 4 };
    struct vupi_msg_device_info di = { .argsz = sizeof(di) };
    uint8_t out[32];

    /* Three requests with one id, sent at once: three replies, in order. */
    harness_send_msg(s, 7, VUPI_CMD_REGION_READ, 0, &rd, sizeof(rd), NULL, 0);
    harness_send_msg(s, 7, VUPI_CMD_DEVICE_GET_INFO, 0, &di, sizeof(di), NULL,
                     0);
    harness_send_msg(s, 7, VUPI_CMD_REGION_READ, 0, &rd, sizeof(rd), NULL, 0);
    assert_int_equal(recv_reply(s, 7, VUPI_CMD_REGION_READ, out, sizeof(out)),
                     0);
    assert_int_equal(*(uint32_t *)(out + sizeof(rd)), 0x12345678);
    assert_int_equal(recv_reply(s, 7, VUPI_CMD_DEVICE_GET_INFO, NULL, 0), 0);
    assert_int_equal(recv_reply(s, 7, VUPI_CMD_REGION_READ, NULL, 0), 0);
    vup_client_free(c);
}

static void test_reply_or_error_as_request_drops(void **state)
{
    struct fixture *f = *state;
    static const uint32_t flags[] = {
        VUPI_MSG_REPLY, VUPI_MSG_REPLY | VUPI_MSG_ERROR, 0xf,
    };

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        vup_client *c = harness_connect(&f->h);
        uint32_t v = 0x55;

        /* Mid-session, after real work: the device must be reset. */
        assert_int_equal(vup_client_write(c, 1, CTRL, &v, 4, false), 0);
        harness_send_msg(vup_client_fd(c), 1, VUPI_CMD_REGION_READ, flags[i],
                         NULL, 0, NULL, 0);
        assert_true(server_hangs_up(vup_client_fd(c)));
        vup_client_free(c);
        check_next_client_ok(f);
    }
    /* An error flag on a request is an unknown flag: EINVAL, kept. */
    vup_client *c = harness_connect(&f->h);
    harness_send_msg(vup_client_fd(c), 3, VUPI_CMD_DEVICE_RESET,
                     VUPI_MSG_ERROR, NULL, 0, NULL, 0);
    assert_int_equal(recv_reply(vup_client_fd(c), 3, VUPI_CMD_DEVICE_RESET,
                                NULL, 0), EINVAL);
    assert_int_equal(read_id(c), 0x12345678);
    vup_client_free(c);
}

/* ---- fds ---------------------------------------------------------------- */

static void test_unexpected_fds_closed(void **state)
{
    struct fixture *f = *state;
    vup_client *c = harness_connect(&f->h);
    int s = vup_client_fd(c);
    struct vupi_msg_device_info di = { .argsz = sizeof(di) };
    struct vupi_msg_region_rw wr = { .offset = CTRL, .region = 1, .count = 4 };
    uint8_t wbuf[sizeof(wr) + 4];
    int fds[3], before;

    memcpy(wbuf, &wr, sizeof(wr));
    memset(wbuf + sizeof(wr), 0, 4);
    before = count_fds();
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < 3; i++) {
            fds[i] = round % 2 ? eventfd(0, EFD_CLOEXEC)
                               : memfd_create("x", MFD_CLOEXEC);
            assert_true(fds[i] >= 0);
        }
        harness_send_msg(s, 1, VUPI_CMD_DEVICE_GET_INFO, 0, &di, sizeof(di),
                         fds, 3);
        assert_int_equal(recv_reply(s, 1, VUPI_CMD_DEVICE_GET_INFO, NULL, 0),
                         EINVAL);
        /* Posted: no reply, but the fds still go. */
        harness_send_msg(s, 2, VUPI_CMD_REGION_WRITE, VUPI_MSG_NO_REPLY, wbuf,
                         sizeof(wbuf), fds, 2);
        /* Unknown command, and SET_IRQS with DATA_NONE, with fds. */
        harness_send_msg(s, 3, 0x7777, 0, NULL, 0, fds, 1);
        assert_int_equal(recv_reply(s, 3, 0x7777, NULL, 0), ENOSYS);
        for (size_t i = 0; i < 3; i++) {
            close(fds[i]);
        }
    }
    /* A round trip: every message before it is done with. */
    assert_int_equal(read_id(c), 0x12345678);
    assert_true(fds_back_to(before));
    vup_client_free(c);
}

static void test_fds_on_dropped_message_closed(void **state)
{
    struct fixture *f = *state;
    int before = count_fds();

    for (int round = 0; round < 20; round++) {
        vup_client *c = harness_connect(&f->h);
        int efd = eventfd(0, EFD_CLOEXEC);

        /* A reply with an fd: the client goes, so does the fd. */
        harness_send_msg(vup_client_fd(c), 1, VUPI_CMD_DEVICE_RESET,
                         VUPI_MSG_REPLY, NULL, 0, &efd, 1);
        assert_true(server_hangs_up(vup_client_fd(c)));
        close(efd);
        vup_client_free(c);
    }
    check_next_client_ok(f);
    assert_true(fds_back_to(before));
}

static void test_missing_and_extra_fds(void **state)
{
    struct fixture *f = *state;
    vup_client *c = harness_connect(&f->h);
    int s = vup_client_fd(c);
    struct vfio_irq_set set = {
        .argsz = sizeof(set), .index = 0, .start = 0, .count = 1,
        .flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD,
    };
    struct vupi_msg_dma_map map = {
        .argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ,
        .iova = 0x100000, .size = 0x1000,
    };
    int efd[2] = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };
    int before = count_fds();

    /* Two eventfds for count 1. */
    harness_send_msg(s, 1, VUPI_CMD_DEVICE_SET_IRQS, 0, &set, sizeof(set), efd,
                     2);
    assert_int_equal(recv_reply(s, 1, VUPI_CMD_DEVICE_SET_IRQS, NULL, 0),
                     EINVAL);
    /* count 0 with an fd. */
    set.count = 0;
    harness_send_msg(s, 2, VUPI_CMD_DEVICE_SET_IRQS, 0, &set, sizeof(set), efd,
                     1);
    assert_int_equal(recv_reply(s, 2, VUPI_CMD_DEVICE_SET_IRQS, NULL, 0),
                     EINVAL);
    /* DATA_NONE with an fd. */
    set.flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE;
    harness_send_msg(s, 3, VUPI_CMD_DEVICE_SET_IRQS, 0, &set, sizeof(set), efd,
                     1);
    assert_int_equal(recv_reply(s, 3, VUPI_CMD_DEVICE_SET_IRQS, NULL, 0),
                     EINVAL);
    /* DMA_MAP: two fds; an fd that cannot be mapped (an eventfd). */
    harness_send_msg(s, 4, VUPI_CMD_DMA_MAP, 0, &map, sizeof(map), efd, 2);
    assert_int_equal(recv_reply(s, 4, VUPI_CMD_DMA_MAP, NULL, 0), EINVAL);
    harness_send_msg(s, 5, VUPI_CMD_DMA_MAP, 0, &map, sizeof(map), efd, 1);
    assert_int_not_equal(recv_reply(s, 5, VUPI_CMD_DMA_MAP, NULL, 0), 0);
    /* An fd the client already closed is just gone: map without one. */
    assert_int_equal(vup_client_dma_map(c, 0x100000, 0x1000,
                                        VFIO_DMA_MAP_FLAG_READ, -1, 0), 0);
    assert_int_equal(read_id(c), 0x12345678);
    assert_true(fds_back_to(before));
    close(efd[0]);
    close(efd[1]);
    vup_client_free(c);
}

/* ---- DMA ------------------------------------------------------------------ */

static void test_dma_outside_mapped_ranges(void **state)
{
    struct fixture *f = *state;
    vup_client *c = harness_connect(&f->h);
    const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    int mfd = memfd_create("ram", MFD_CLOEXEC);

    assert_true(mfd >= 0);
    assert_int_equal(ftruncate(mfd, 0x4000), 0);
    /* Nothing mapped: every unmap but ALL fails. */
    assert_int_equal(vup_client_dma_unmap(c, 0, 0x1000, 0), -EINVAL);
    assert_int_equal(vup_client_dma_unmap(c, UINT64_MAX - 0xfff, 0x1000, 0),
                     -EINVAL);
    assert_int_equal(vup_client_dma_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL),
                     0);
    assert_int_equal(vup_client_dma_map(c, 0x10000, 0x4000, rw, mfd, 0), 0);
    /* Inside, overlapping, adjacent, larger: only the exact range goes. */
    assert_int_equal(vup_client_dma_unmap(c, 0x11000, 0x1000, 0), -EINVAL);
    assert_int_equal(vup_client_dma_unmap(c, 0xf000, 0x2000, 0), -EINVAL);
    assert_int_equal(vup_client_dma_unmap(c, 0x14000, 0x1000, 0), -EINVAL);
    assert_int_equal(vup_client_dma_unmap(c, 0x10000, 0x8000, 0), -EINVAL);
    assert_int_equal(vup_client_dma_unmap(c, 0x10000, 0x4000, 0x2), -EINVAL);
    /* A map far beyond the fd's size, and one of 2^62 bytes. */
    assert_int_equal(vup_client_dma_map(c, 0x100000, 0x1000, rw, mfd,
                                        0x7ffff000), 0);
    assert_true(vup_client_dma_map(c, 1ull << 62, 1ull << 62, rw, mfd, 0) <
                0);
    assert_int_equal(vup_client_dma_map(c, 1ull << 40, 1ull << 40, rw, -1,
                                        0), 0);
    assert_int_equal(vup_client_dma_unmap(c, 0x10000, 0x4000, 0), 0);
    assert_int_equal(read_id(c), 0x12345678);
    /* Mappings left behind are unmapped when the client goes. */
    vup_client_free(c);
    c = harness_connect(&f->h);
    assert_int_equal(vup_client_dma_unmap(c, 0x100000, 0x1000, 0), -EINVAL);
    vup_client_free(c);
    close(mfd);
}

/* ---- sizes ---------------------------------------------------------------- */

static void test_huge_counts(void **state)
{
    struct fixture *f = *state;
    vup_client *c = harness_connect(&f->h);
    int s = vup_client_fd(c);
    struct vupi_msg_region_rw rw = { .region = 1, .count = UINT32_MAX };
    struct vupi_msg_wr_multi wm = { .wr_cnt = UINT64_MAX };
    struct vfio_irq_set set = {
        .argsz = sizeof(set), .index = 0, .start = UINT32_MAX,
        .count = UINT32_MAX,
        .flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE,
    };
    struct vfio_region_info ri = { .argsz = UINT32_MAX, .index = UINT32_MAX };
    uint8_t buf[64] = { 0 };

    harness_send_msg(s, 1, VUPI_CMD_REGION_READ, 0, &rw, sizeof(rw), NULL, 0);
    assert_int_equal(recv_reply(s, 1, VUPI_CMD_REGION_READ, NULL, 0), EINVAL);
    /* The largest count allowed, on an 8 KiB control region. */
    rw = (struct vupi_msg_region_rw){ .region = 0, .count = 1 << 20 };
    harness_send_msg(s, 2, VUPI_CMD_REGION_READ, 0, &rw, sizeof(rw), NULL, 0);
    assert_int_equal(recv_reply(s, 2, VUPI_CMD_REGION_READ, NULL, 0), EINVAL);
    rw = (struct vupi_msg_region_rw){ .region = UINT32_MAX, .count = 4 };
    harness_send_msg(s, 3, VUPI_CMD_REGION_READ, 0, &rw, sizeof(rw), NULL, 0);
    assert_int_equal(recv_reply(s, 3, VUPI_CMD_REGION_READ, NULL, 0), EINVAL);
    /* A write whose count claims more than it carries. */
    rw = (struct vupi_msg_region_rw){ .region = 1, .count = UINT32_MAX };
    memcpy(buf, &rw, sizeof(rw));
    harness_send_msg(s, 4, VUPI_CMD_REGION_WRITE, 0, buf, sizeof(rw) + 4, NULL,
                     0);
    assert_int_equal(recv_reply(s, 4, VUPI_CMD_REGION_WRITE, NULL, 0), EINVAL);
    harness_send_msg(s, 5, VUPI_CMD_REGION_WRITE_MULTI, 0, &wm, sizeof(wm),
                     NULL, 0);
    assert_int_equal(recv_reply(s, 5, VUPI_CMD_REGION_WRITE_MULTI, NULL, 0),
                     EINVAL);
    harness_send_msg(s, 6, VUPI_CMD_DEVICE_SET_IRQS, 0, &set, sizeof(set),
                     NULL, 0);
    assert_int_equal(recv_reply(s, 6, VUPI_CMD_DEVICE_SET_IRQS, NULL, 0),
                     EINVAL);
    harness_send_msg(s, 7, VUPI_CMD_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri),
                     NULL, 0);
    assert_int_equal(recv_reply(s, 7, VUPI_CMD_DEVICE_GET_REGION_INFO, NULL,
                                0), EINVAL);
    ri.index = 0;   /* argsz 4 GiB: the reply is still the size needed */
    harness_send_msg(s, 8, VUPI_CMD_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri),
                     NULL, 0);
    assert_int_equal(recv_reply(s, 8, VUPI_CMD_DEVICE_GET_REGION_INFO, buf,
                                sizeof(buf)), 0);
    assert_true(((struct vfio_region_info *)buf)->argsz < 128);
    assert_int_equal(read_id(c), 0x12345678);
    vup_client_free(c);
}

static void test_interleaved_garbage(void **state)
{
    struct fixture *f = *state;
    vup_client *c = harness_connect(&f->h);
    int s = vup_client_fd(c);
    struct vupi_msg_region_rw rd = { .offset = ID, .region = 1, .count = 4 };
    uint8_t junk[200];

    /* Well-framed junk between good requests: one reply each, in order. */
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = (uint8_t)(i * 151 + 7);
    }
    for (uint16_t cmd = 0; cmd < 20; cmd++) {
        harness_send_msg(s, cmd, VUPI_CMD_REGION_READ, 0, &rd, sizeof(rd),
                         NULL, 0);
        if (cmd == VUPI_CMD_VERSION) {
            continue;   /* tested in test_server.c: it closes */
        }
        harness_send_msg(s, 1000 + cmd, cmd, 0, junk, sizeof(junk), NULL, 0);
    }
    for (uint16_t cmd = 0; cmd < 20; cmd++) {
        assert_int_equal(recv_reply(s, cmd, VUPI_CMD_REGION_READ, NULL, 0), 0);
        if (cmd != VUPI_CMD_VERSION) {
            recv_reply(s, 1000 + cmd, cmd, NULL, 0);
        }
    }
    /* Unframed junk: the client is dropped, the next one served. */
    assert_int_equal(send(s, junk, sizeof(junk), MSG_NOSIGNAL), sizeof(junk));
    assert_true(server_hangs_up(s));
    vup_client_free(c);
    check_next_client_ok(f);
}

/* ---- slow and vanishing clients ----------------------------------------- */

static void test_slow_loris(void **state)
{
    struct fixture *f = *state;
    vup_client *c = harness_connect(&f->h);
    int s = vup_client_fd(c);
    struct vupi_msg_hdr h = {
        .id = 9, .command = VUPI_CMD_REGION_WRITE,
        .size = VUPI_MSG_MAX_SIZE,
    };
    struct vupi_msg_region_rw rw = { .offset = CTRL, .region = 1, .count = 4 };
    static uint8_t body[VUPI_MSG_MAX_SIZE];

    /* The largest message, a byte at a time to start with. */
    for (size_t i = 0; i < sizeof(h); i++) {
        assert_int_equal(send(s, (uint8_t *)&h + i, 1, MSG_NOSIGNAL), 1);
        assert_true(loop_responsive(f));
    }
    memcpy(body, &rw, sizeof(rw));
    for (size_t off = 0; off < 100; off++) {
        assert_int_equal(send(s, body + off, 1, MSG_NOSIGNAL), 1);
        assert_true(loop_responsive(f));
    }
    /* The rest at once: refused (count 4 with ~1 MiB of data), served. */
    assert_int_equal(send(s, body + 100, h.size - sizeof(h) - 100,
                          MSG_NOSIGNAL), (ssize_t)(h.size - sizeof(h) - 100));
    assert_int_equal(recv_reply(s, 9, VUPI_CMD_REGION_WRITE, NULL, 0), EINVAL);
    assert_int_equal(read_id(c), 0x12345678);
    vup_client_free(c);
}

static void test_disconnect_mid_message(void **state)
{
    struct fixture *f = *state;
    struct vupi_msg_region_rw rw = { .offset = CTRL, .region = 1, .count = 4 };
    uint8_t msg[sizeof(struct vupi_msg_hdr) + sizeof(rw) + 4];
    struct vupi_msg_hdr h = {
        .command = VUPI_CMD_REGION_WRITE, .size = sizeof(msg),
    };

    memcpy(msg, &h, sizeof(h));
    memcpy(msg + sizeof(h), &rw, sizeof(rw));
    memset(msg + sizeof(h) + sizeof(rw), 0xff, 4);
    /* Cut at every byte: nothing is applied, the device is reset. */
    for (size_t cut = 1; cut < sizeof(msg); cut++) {
        vup_client *c = harness_connect(&f->h);
        uint32_t v = 0x77;

        assert_int_equal(vup_client_write(c, 1, CTRL, &v, 4, false), 0);
        assert_int_equal(send(vup_client_fd(c), msg, cut, MSG_NOSIGNAL),
                         (ssize_t)cut);
        vup_client_free(c);
        check_next_client_ok(f);
    }
}

static void test_client_never_reads(void **state)
{
    struct fixture *f = *state;
    vup_client *c = harness_connect(&f->h);
    int s = vup_client_fd(c);
    struct vupi_msg_region_rw rd = { .region = 0, .count = 4096 };
    size_t sent = 0;

    /* Requests until our socket is full: the server stops reading them. */
    assert_int_equal(fcntl(s, F_SETFL, O_NONBLOCK), 0);
    for (;;) {
        struct vupi_msg_hdr h = {
            .command = VUPI_CMD_REGION_READ, .size = sizeof(h) + sizeof(rd),
        };
        uint8_t m[sizeof(h) + sizeof(rd)];

        memcpy(m, &h, sizeof(h));
        memcpy(m + sizeof(h), &rd, sizeof(rd));
        if (send(s, m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m)) {
            break;
        }
        sent++;
        if (sent % 64 == 0) {
            /* Let the server fill its side while we keep writing. */
            usleep(1000);
        }
    }
    assert_true(sent > 100);
    assert_true(loop_responsive(f));
    vup_client_free(c);
    check_next_client_ok(f);
}

/* ---- control-region decoder regression ------------------------------- */

static void test_cr_entry_past_desc_size(void **state)
{
    /* desc_size ends inside an MMIO entry whose length claims 72 bytes. */
    struct vup_cr_header h = {
        .magic = VUP_CR_MAGIC, .version_major = VUP_CR_VERSION_MAJOR,
        .header_size = sizeof(h), .desc_size = sizeof(h) + 8,
        .num_entries = 1, .device_name = "x",
    };
    struct vup_cr_entry_hdr e = {
        .type = VUP_CR_ENTRY_MMIO, .length = sizeof(struct vup_cr_mmio),
    };
    struct vup_cr_view v;
    char err[200];
    uint8_t *buf = malloc(sizeof(h) + 8);    /* exactly, for ASan */

    (void)state;
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), &e, sizeof(e));
    assert_int_equal(vup_cr_decode(buf, sizeof(h) + 8, NULL, &v, err,
                                   sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "entry 0"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_reused_ids_answered_in_order),
        T(test_reply_or_error_as_request_drops),
        T(test_unexpected_fds_closed),
        T(test_fds_on_dropped_message_closed),
        T(test_missing_and_extra_fds),
        T(test_dma_outside_mapped_ranges),
        T(test_huge_counts),
        T(test_interleaved_garbage),
        T(test_slow_loris),
        T(test_disconnect_mid_message),
        T(test_client_never_reads),
#undef T
        cmocka_unit_test(test_cr_entry_past_desc_size),
    };

    if (!getenv("VUP_LOG")) {
        vup_log_set_level(VUP_LOG_ERROR);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
