/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup_dma_read/write (lib/dma.c, lib/dma-rw.c) against a fake client: the
 * memcpy path through mmap'd maps (spanning two, bounds, permission,
 * size), the message path (DMA_READ/WRITE requests sent from a register
 * hook without blocking, QEMU's layout, replies matched by id), the bound
 * on requests in flight, no client, a client that does not read while
 * requests pile up, and a client that goes with a request pending.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "vup.h"
#include "vup/client.h"
#include "../../lib/protocol.h"
#include "harness.h"

enum { ADDR = 0x0, LEN = 0x4, GO = 0x8, RET = 0xc };
enum { GO_READ = 1, GO_WRITE = 2 };

struct model {
    uint8_t buf[VUP_DMA_MAX_LEN];   /* the largest transfer */
    atomic_int done_calls, done_status;
};

static void dma_done(void *opaque, int status)
{
    struct model *m = opaque;

    atomic_store(&m->done_status, status);
    atomic_fetch_add(&m->done_calls, 1);
}

/* GO starts a transfer of LEN bytes at ADDR from/to buf; RET: its result. */
static void go_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                     uint32_t value, uint32_t written)
{
    struct model *m = vup_periph_opaque(p);
    uint32_t addr = vup_reg_get(p, ADDR), len = vup_reg_get(p, LEN);
    int ret;

    (void)r, (void)old, (void)written;
    ret = value == GO_READ ? vup_dma_read(p, addr, m->buf, len, dma_done, m)
                           : vup_dma_write(p, addr, m->buf, len, dma_done, m);
    vup_reg_set(p, RET, (uint32_t)ret);
}

static const struct vup_reg regs[] = {
    { .name = "ADDR", .offset = ADDR },
    { .name = "LEN", .offset = LEN },
    { .name = "GO", .offset = GO, .write = go_write },
    { .name = "RET", .offset = RET },
};

static const struct vup_periph_desc desc = {
    .name = "dmac", .base = 0x40000000, .size = 0x400,
    .regs = regs, .num_regs = 4,
};

struct fixture {
    struct harness h;
    struct model m;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    harness_init(&f->h, "dma", "dma");
    assert_non_null(vup_dev_add_periph(f->h.dev, &desc, &f->m));
    vup_dev_set_dma_timeout_ms(f->h.dev, 300);
    harness_serve(&f->h, NULL, NULL);
    *state = f;
    return 0;
}

static int go(struct fixture *f, uint32_t op, uint32_t addr, uint32_t len)
{
    harness_wr(f->h.c, 1, ADDR, addr, 4);
    harness_wr(f->h.c, 1, LEN, len, 4);
    harness_wr(f->h.c, 1, GO, op, 4);
    return (int)harness_rd(f->h.c, 1, RET, 4);
}

static void test_memcpy_path(void **state)
{
    struct fixture *f = *state;
    const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    int mfd = memfd_create("guest-ram", MFD_CLOEXEC);
    uint8_t *ram;
    uint64_t copies, messages;

    assert_true(mfd >= 0);
    assert_int_equal(ftruncate(mfd, 0x3000), 0);
    ram = mmap(NULL, 0x3000, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    assert_true(ram != MAP_FAILED);
    /* Two adjacent maps at other fd offsets, and a read-only one. */
    assert_int_equal(vup_client_dma_map(f->h.c, 0x20000000, 0x1000, rw, mfd,
                                        0x1000), 0);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x20001000, 0x1000, rw, mfd,
                                        0x2000), 0);
    assert_int_equal(vup_client_dma_map(f->h.c, 0x08000000, 0x1000,
                                        VFIO_DMA_MAP_FLAG_READ, mfd, 0), 0);
    for (unsigned i = 0; i < 64; i++) {
        f->m.buf[i] = (uint8_t)(i + 1);
    }
    /* Across the two maps: the end of the first, the start of the second. */
    assert_int_equal(go(f, GO_WRITE, 0x20000fe0, 64), 0);
    assert_memory_equal(ram + 0x1fe0, f->m.buf, 32);
    assert_memory_equal(ram + 0x2000, f->m.buf + 32, 32);
    memset(f->m.buf, 0, sizeof(f->m.buf));
    ram[0x10] = 0xab;
    assert_int_equal(go(f, GO_READ, 0x08000010, 1), 0);
    assert_int_equal(f->m.buf[0], 0xab);
    /* Past the end of the second map, a read-only map, too large, wrap. */
    assert_int_equal(go(f, GO_WRITE, 0x20001fe0, 64), -EFAULT);
    assert_int_equal(go(f, GO_READ, 0x1ffffff0, 32), -EFAULT);
    assert_int_equal(go(f, GO_WRITE, 0x08000000, 4), -EACCES);
    assert_int_equal(go(f, GO_WRITE, 0x20000000, VUP_DMA_MAX_LEN + 1),
                     -E2BIG);
    assert_int_equal(go(f, GO_WRITE, 0xfffffff0, 0x20), -EFAULT);
    /* An unmapped range is refused after DMA_UNMAP. */
    assert_int_equal(vup_client_dma_unmap(f->h.c, 0x20001000, 0x1000, 0), 0);
    assert_int_equal(go(f, GO_WRITE, 0x20000fe0, 64), -EFAULT);
    assert_int_equal(go(f, GO_WRITE, 0x20000fe0, 32), 0);
    assert_int_equal(atomic_load(&f->m.done_calls), 0);
    vup_dev_dma_counts(f->h.dev, &copies, &messages);
    assert_int_equal(copies, 3);
    assert_int_equal(messages, 0);
    munmap(ram, 0x3000);
    close(mfd);
}

/* The next message from the device, whole: 0 or -1 on timeout/EOF. */
static int recv_msg(int s, uint8_t *buf, size_t cap)
{
    struct vupi_msg_hdr h;
    size_t have = 0, want = sizeof(h);

    while (have < want) {
        struct pollfd pfd = { .fd = s, .events = POLLIN };
        ssize_t n;

        if (poll(&pfd, 1, TIMEOUT_MS) != 1) {
            return -1;
        }
        n = read(s, buf + have, want - have);
        if (n <= 0) {
            return -1;
        }
        have += (size_t)n;
        if (have == sizeof(h)) {
            memcpy(&h, buf, sizeof(h));
            assert_true(h.size >= sizeof(h) && h.size <= cap);
            want = h.size;
        }
    }
    return 0;
}

/* Starts a transfer by raw messages; returns the DMA request's header. */
static struct vupi_msg_hdr go_raw(struct fixture *f, uint32_t op,
                                  uint32_t addr, uint32_t len, uint8_t *msg,
                                  size_t cap)
{
    int s = vup_client_fd(f->h.c);
    struct vupi_msg_hdr req, rep;
    struct {
        struct vupi_msg_region_rw rw;
        uint32_t v;
    } w = { { GO, 1, 4 }, op };

    harness_wr(f->h.c, 1, ADDR, addr, 4);
    harness_wr(f->h.c, 1, LEN, len, 4);
    uint8_t rbuf[64];

    harness_send_msg(s, 900, VUPI_CMD_REGION_WRITE, 0, &w,
                     sizeof(w.rw) + sizeof(w.v), NULL, 0);
    /* Our request first, then the reply to the write: nothing waited. */
    assert_int_equal(recv_msg(s, msg, cap), 0);
    memcpy(&req, msg, sizeof(req));
    assert_int_equal(req.flags & VUPI_MSG_TYPE_MASK, VUPI_MSG_REQUEST);
    assert_int_equal(recv_msg(s, rbuf, sizeof(rbuf)), 0);
    memcpy(&rep, rbuf, sizeof(rep));
    assert_int_equal(rep.id, 900);
    assert_int_equal(rep.flags, VUPI_MSG_REPLY);
    return req;
}

static void test_message_path(void **state)
{
    struct fixture *f = *state;
    const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    int s = vup_client_fd(f->h.c);
    uint8_t msg[256], reply[256];
    struct vupi_msg_dma_rw d;
    struct vupi_msg_hdr req;
    uint64_t copies, messages;

    assert_int_equal(vup_client_dma_map(f->h.c, 0x20000000, 0x10000, rw, -1,
                                        0), 0);
    for (unsigned i = 0; i < 16; i++) {
        f->m.buf[i] = (uint8_t)(0xa0 + i);
    }
    req = go_raw(f, GO_WRITE, 0x20000100, 16, msg, sizeof(msg));
    assert_int_equal(req.command, VUPI_CMD_DMA_WRITE);
    assert_int_equal(req.size, VUPI_DMA_RW_SIZE(16));
    memcpy(&d, msg + sizeof(req), sizeof(d));
    assert_int_equal(d.offset, 0x20000100);
    assert_int_equal(d.count, 16);
    assert_memory_equal(msg + sizeof(req) + VUPI_DMA_RW_DATA, f->m.buf, 16);
    assert_int_equal(harness_rd(f->h.c, 1, RET, 4), VUP_DMA_PENDING);
    assert_int_equal(atomic_load(&f->m.done_calls), 0);
    /* QEMU's reply: the bare header. */
    harness_send_msg(s, req.id, VUPI_CMD_DMA_WRITE, VUPI_MSG_REPLY, NULL, 0,
                     NULL, 0);
    (void)harness_rd(f->h.c, 1, RET, 4);     /* the reply was handled */
    assert_int_equal(atomic_load(&f->m.done_calls), 1);
    assert_int_equal(atomic_load(&f->m.done_status), 0);

    /* A read: the data comes back at payload offset 16. */
    req = go_raw(f, GO_READ, 0x20000200, 8, msg, sizeof(msg));
    assert_int_equal(req.command, VUPI_CMD_DMA_READ);
    assert_int_equal(req.size, VUPI_DMA_RW_SIZE(0));
    d = (struct vupi_msg_dma_rw){ .offset = 0x20000200, .count = 8 };
    memset(reply, 0, sizeof(reply));
    memcpy(reply, &d, sizeof(d));
    memcpy(reply + VUPI_DMA_RW_DATA, "DMAREAD!", 8);
    harness_send_msg(s, req.id, VUPI_CMD_DMA_READ, VUPI_MSG_REPLY, reply,
                     16 + 8, NULL, 0);
    (void)harness_rd(f->h.c, 1, RET, 4);
    assert_int_equal(atomic_load(&f->m.done_calls), 2);
    assert_int_equal(atomic_load(&f->m.done_status), 0);
    assert_memory_equal(f->m.buf, "DMAREAD!", 8);

    /* The client's error reaches done. */
    req = go_raw(f, GO_WRITE, 0x20000300, 4, msg, sizeof(msg));
    harness_send_msg(s, req.id, VUPI_CMD_DMA_WRITE,
                     VUPI_MSG_REPLY | VUPI_MSG_ERROR, NULL, 0, NULL, 0);
    (void)harness_rd(f->h.c, 1, RET, 4);
    assert_int_equal(atomic_load(&f->m.done_calls), 3);
    assert_int_equal(atomic_load(&f->m.done_status), -EIO);

    /* No reply: done gets -ETIMEDOUT (300 ms), the late reply is taken. */
    req = go_raw(f, GO_WRITE, 0x20000300, 4, msg, sizeof(msg));
    for (int i = 0; i < 100 && atomic_load(&f->m.done_calls) < 4; i++) {
        usleep(20000);
    }
    assert_int_equal(atomic_load(&f->m.done_calls), 4);
    assert_int_equal(atomic_load(&f->m.done_status), -ETIMEDOUT);
    harness_send_msg(s, req.id, VUPI_CMD_DMA_WRITE, VUPI_MSG_REPLY, NULL, 0,
                     NULL, 0);
    assert_int_equal(harness_rd(f->h.c, 1, RET, 4), VUP_DMA_PENDING);
    assert_int_equal(atomic_load(&f->m.done_calls), 4);
    vup_dev_dma_counts(f->h.dev, &copies, &messages);
    assert_int_equal(copies, 0);
    assert_int_equal(messages, 4);

    /* A reply to nothing is a protocol error: the client is dropped. */
    harness_send_msg(s, 4242, VUPI_CMD_DMA_WRITE, VUPI_MSG_REPLY, NULL, 0,
                     NULL, 0);
    assert_int_equal(recv_msg(s, msg, sizeof(msg)), -1);
}

/* 16 requests wait for replies: the 17th is refused until one comes. */
static void test_requests_in_flight_bounded(void **state)
{
    struct fixture *f = *state;
    int s = vup_client_fd(f->h.c);
    uint8_t msg[256];
    uint16_t first = 0;

    assert_int_equal(vup_client_dma_map(f->h.c, 0x20000000, 0x10000,
                                        VFIO_DMA_MAP_FLAG_WRITE, -1, 0), 0);
    for (unsigned i = 0; i < VUP_DMA_MAX_PENDING; i++) {
        struct vupi_msg_hdr req = go_raw(f, GO_WRITE, 0x20000000 + 16 * i, 4,
                                         msg, sizeof(msg));

        first = i ? first : req.id;
        assert_int_equal(harness_rd(f->h.c, 1, RET, 4), VUP_DMA_PENDING);
    }
    assert_int_equal(go(f, GO_WRITE, 0x20000400, 4), -EBUSY);
    assert_non_null(strstr(vup_dev_error(f->h.dev), "16 requests already "
                                                    "wait for their replies"));
    harness_send_msg(s, first, VUPI_CMD_DMA_WRITE, VUPI_MSG_REPLY, NULL, 0,
                     NULL, 0);
    (void)harness_rd(f->h.c, 1, RET, 4);     /* the reply was handled */
    assert_int_equal(atomic_load(&f->m.done_calls), 1);
    (void)go_raw(f, GO_WRITE, 0x20000400, 4, msg, sizeof(msg));
    assert_int_equal(harness_rd(f->h.c, 1, RET, 4), VUP_DMA_PENDING);
}

/* Without a client nothing is sent, and the error says so. */
static void test_no_client(void **state)
{
    vup_dev *d = vup_dev_new("dma");
    struct model *m = calloc(1, sizeof(*m));
    vup_periph *p = vup_dev_add_periph(d, &desc, m);

    (void)state;
    assert_non_null(p);
    assert_int_equal(vup_dma_write(p, 0x20000000, m->buf, 4, dma_done, m),
                     -ENOTCONN);
    assert_non_null(strstr(vup_dev_error(d), "no client connected"));
    assert_int_equal(vup_dma_read(p, 0x20000000, m->buf, 4, dma_done, m),
                     -ENOTCONN);
    assert_int_equal(atomic_load(&m->done_calls), 0);
    vup_dev_free(d);
    free(m);
}

/*
 * A client that does not read while 16 requests of 1 MiB are sent (far
 * more than a socket holds): nothing blocks, nothing is lost, every
 * request arrives whole and in order once it reads.
 */
static void test_requests_queue_while_client_does_not_read(void **state)
{
    struct fixture *f = *state;
    int s = vup_client_fd(f->h.c);
    size_t cap = sizeof(struct vupi_msg_hdr) + VUPI_DMA_RW_SIZE(VUP_DMA_MAX_LEN);
    uint8_t *msg = malloc(cap);
    struct {
        struct vupi_msg_region_rw rw;
        uint32_t v;
    } w = { { GO, 1, 4 }, GO_WRITE };
    unsigned requests = 0, replies = 0;

    assert_int_equal(vup_client_dma_map(f->h.c, 0x20000000, 0x1000000,
                                        VFIO_DMA_MAP_FLAG_WRITE, -1, 0), 0);
    for (size_t i = 0; i < VUP_DMA_MAX_LEN; i++) {
        f->m.buf[i] = (uint8_t)(i * 7);
    }
    harness_wr(f->h.c, 1, ADDR, 0x20000000, 4);
    harness_wr(f->h.c, 1, LEN, VUP_DMA_MAX_LEN, 4);
    for (unsigned i = 0; i < VUP_DMA_MAX_PENDING; i++) {
        harness_send_msg(s, (uint16_t)(900 + i), VUPI_CMD_REGION_WRITE, 0, &w,
                         sizeof(w.rw) + sizeof(w.v), NULL, 0);
    }
    while (replies < VUP_DMA_MAX_PENDING) {
        struct vupi_msg_hdr h;

        assert_int_equal(recv_msg(s, msg, cap), 0);
        memcpy(&h, msg, sizeof(h));
        if ((h.flags & VUPI_MSG_TYPE_MASK) == VUPI_MSG_REQUEST) {
            assert_int_equal(h.command, VUPI_CMD_DMA_WRITE);
            assert_int_equal(h.size, VUPI_DMA_RW_SIZE(VUP_DMA_MAX_LEN));
            assert_memory_equal(msg + sizeof(h) + VUPI_DMA_RW_DATA, f->m.buf,
                                VUP_DMA_MAX_LEN);
            requests++;
        } else {
            /* Each GO's reply comes after the request it sent. */
            assert_int_equal(h.id, 900 + replies);
            replies++;
            assert_int_equal(requests, replies);
        }
    }
    free(msg);
}

static void test_client_goes(void **state)
{
    struct fixture *f = *state;
    uint8_t msg[256];

    assert_int_equal(vup_client_dma_map(f->h.c, 0x20000000, 0x10000,
                                        VFIO_DMA_MAP_FLAG_READ, -1, 0), 0);
    (void)go_raw(f, GO_READ, 0x20000000, 32, msg, sizeof(msg));
    vup_client_free(f->h.c);
    f->h.c = NULL;
    for (int i = 0; i < 100 && atomic_load(&f->m.done_calls) < 1; i++) {
        usleep(20000);
    }
    assert_int_equal(atomic_load(&f->m.done_calls), 1);
    assert_int_equal(atomic_load(&f->m.done_status), -ECONNRESET);
    /* A new client has no maps: nothing is reachable. */
    f->h.c = harness_connect(&f->h);
    assert_int_equal(go(f, GO_READ, 0x20000000, 4), -EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
        T(test_memcpy_path),
        T(test_message_path),
        T(test_requests_in_flight_bounded),
        cmocka_unit_test(test_no_client),
        T(test_requests_queue_while_client_does_not_read),
        T(test_client_goes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
