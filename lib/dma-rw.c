/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup_dma_read()/vup_dma_write(): a model's access to guest memory.  Memory
 * the client shared (DMA_MAP with an fd) is copied at once; other mapped
 * memory is asked for with VFIO_USER_DMA_READ/WRITE, whose replies come
 * back through the device loop (never waited for: a model calls this from
 * a register hook, while QEMU's vCPU waits for our reply holding the BQL
 * that QEMU needs to serve the DMA request).  A timerfd bounds the wait.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static uint64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Arms the timerfd at @deadline_ms (0: disarms). */
static void arm_timer(vup_dev *d, uint64_t deadline_ms)
{
    struct itimerspec its = { 0 };

    if (deadline_ms) {
        /* Absolute CLOCK_MONOTONIC; a past time fires at once. */
        its.it_value.tv_sec = (time_t)(deadline_ms / 1000u);
        its.it_value.tv_nsec = (long)(deadline_ms % 1000u) * 1000000L;
        if (!its.it_value.tv_sec && !its.it_value.tv_nsec) {
            its.it_value.tv_nsec = 1;
        }
    }
    d->dma.armed_ms = deadline_ms;
    if (timerfd_settime(d->dma.timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
        vup_log(VUP_LOG_ERROR, "%s: DMA timeout timer: %s", d->name,
                strerror(errno));
    }
}

static void timer_ready(void *opaque, int fd, uint32_t events)
{
    vup_dev *d = opaque;
    uint64_t n;

    (void)events;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
        vup_log(VUP_LOG_WARN, "%s: DMA timer: %s", d->name, strerror(errno));
    }
    arm_timer(d, vupi_dma_expire(d, monotonic_ms()));
}

static int open_timer(vup_dev *d)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

    if (fd < 0) {
        return vupi_fail(d, errno, "DMA timeout timer: %s", strerror(errno));
    }
    if (vup_dev_watch_fd(d, fd, EPOLLIN, timer_ready, d) < 0) {
        close(fd);
        return -EIO;
    }
    d->dma.timer_fd = fd;
    return 0;
}

/* Refuses with the error logged under the peripheral's name. */
static int refuse(vup_periph *p, int err, const char *why)
{
    vup_log(VUP_LOG_ERROR, "%s: %s: %s", p->dev->name, p->name, why);
    return vupi_fail(p->dev, err, "%s: %s", p->name, why);
}

static int send_request(vup_periph *p, uint16_t cmd, uint64_t gpa, void *buf,
                        size_t len, vup_dma_done_fn done, void *opaque)
{
    vup_dev *d = p->dev;
    struct vupi_conn *c = &d->server.conn;
    struct vupi_dma_req *r;
    size_t size = cmd == VUPI_CMD_DMA_WRITE ? VUPI_DMA_RW_SIZE(len)
                                            : VUPI_DMA_RW_SIZE(0);
    struct vupi_msg_hdr h;
    struct vupi_msg_dma_rw rw = { .offset = gpa, .count = len };
    uint8_t *msg;
    int ret;

    if (d->dma.timer_fd < 0 && (ret = open_timer(d)) < 0) {
        return ret;
    }
    r = vupi_dma_pending_new(c);
    if (!r) {
        char why[VUPI_DMA_WHY_LEN];

        snprintf(why, sizeof(why), "DMA: %u requests already wait for their "
                 "replies, the most allowed", VUPI_DMA_MAX_PENDING);
        return refuse(p, EBUSY, why);
    }
    msg = calloc(1, size);
    if (!msg) {
        vupi_dma_pending_drop(c, r);
        return refuse(p, ENOMEM, "DMA: out of memory");
    }
    h = (struct vupi_msg_hdr){
        .id = r->id, .command = cmd, .size = (uint32_t)size,
        .flags = VUPI_MSG_REQUEST,
    };
    memcpy(msg, &h, sizeof(h));
    memcpy(msg + sizeof(h), &rw, sizeof(rw));
    if (cmd == VUPI_CMD_DMA_WRITE) {
        memcpy(msg + sizeof(h) + VUPI_DMA_RW_DATA, buf, len);
    }
    r->command = cmd;
    r->gpa = gpa;
    r->len = (uint32_t)len;
    r->buf = cmd == VUPI_CMD_DMA_READ ? buf : NULL;
    r->periph = p;
    r->done = done;
    r->opaque = opaque;
    r->deadline_ms = monotonic_ms() + d->dma.timeout_ms;
    ret = vupi_server_send(d, msg, size);
    free(msg);
    if (ret < 0) {
        vupi_dma_pending_drop(c, r);
        return refuse(p, -ret, "DMA: cannot send the request");
    }
    if (!d->dma.armed_ms) {
        arm_timer(d, r->deadline_ms);    /* the others end earlier */
    }
    d->dma.messages++;
    vup_log(VUP_LOG_DEBUG, "%s: %s: %s request id %u: %zu bytes at 0x%" PRIx64,
            d->name, p->name, cmd == VUPI_CMD_DMA_READ ? "DMA_READ"
                                                       : "DMA_WRITE",
            r->id, len, gpa);
    return VUP_DMA_PENDING;
}

static int dma_rw(vup_periph *p, uint64_t gpa, void *buf, size_t len,
                  vup_dma_done_fn done, void *opaque, bool to_guest)
{
    vup_dev *d;
    struct vupi_conn *c;
    char why[VUPI_DMA_WHY_LEN];
    bool mmapped;
    int err;

    if (!p) {
        return -EINVAL;
    }
    d = p->dev;
    c = &d->server.conn;
    if (!buf || !done) {
        return refuse(p, EINVAL, "DMA: no buffer or no completion callback");
    }
    if (len > VUP_DMA_MAX_LEN) {
        snprintf(why, sizeof(why), "DMA %s of 0x%zx bytes at 0x%" PRIx64
                 ": more than the 0x%x bytes one call may move",
                 to_guest ? "write" : "read", len, gpa, VUP_DMA_MAX_LEN);
        return refuse(p, E2BIG, why);
    }
    if (c->fd < 0 || !c->negotiated) {
        snprintf(why, sizeof(why), "DMA %s of 0x%zx bytes at 0x%" PRIx64
                 ": no client connected", to_guest ? "write" : "read", len,
                 gpa);
        return refuse(p, ENOTCONN, why);
    }
    if (!len) {
        return 0;
    }
    err = vupi_dma_check(c, gpa, len, to_guest ? VFIO_DMA_MAP_FLAG_WRITE
                                               : VFIO_DMA_MAP_FLAG_READ,
                         &mmapped, why);
    if (err) {
        return refuse(p, err, why);
    }
    if (mmapped) {
        vupi_dma_copy(c, gpa, buf, len, to_guest);
        d->dma.copies++;
        vup_log(VUP_LOG_DEBUG, "%s: %s: DMA %s by memcpy: %zu bytes at 0x%"
                PRIx64, d->name, p->name, to_guest ? "write" : "read", len,
                gpa);
        return 0;
    }
    return send_request(p, to_guest ? VUPI_CMD_DMA_WRITE : VUPI_CMD_DMA_READ,
                        gpa, buf, len, done, opaque);
}

int vup_dma_read(vup_periph *p, uint64_t gpa, void *buf, size_t len,
                 vup_dma_done_fn done, void *opaque)
{
    return dma_rw(p, gpa, buf, len, done, opaque, false);
}

int vup_dma_write(vup_periph *p, uint64_t gpa, const void *buf, size_t len,
                  vup_dma_done_fn done, void *opaque)
{
    /* Not written through: a write's data is copied (memcpy or message). */
    return dma_rw(p, gpa, (void *)(uintptr_t)buf, len, done, opaque, true);
}

void vup_dev_set_dma_timeout_ms(vup_dev *d, unsigned ms)
{
    if (ms) {
        d->dma.timeout_ms = ms;
    }
}

void vup_dev_dma_counts(const vup_dev *d, uint64_t *copies,
                        uint64_t *messages)
{
    if (copies) {
        *copies = d->dma.copies;
    }
    if (messages) {
        *messages = d->dma.messages;
    }
}

void vupi_dma_init(vup_dev *d)
{
    d->dma.timer_fd = -1;
    d->dma.timeout_ms = VUPI_DMA_TIMEOUT_MS;
}

void vupi_dma_fini(vup_dev *d)
{
    if (d->dma.timer_fd >= 0) {
        vup_dev_unwatch_fd(d, d->dma.timer_fd);
        close(d->dma.timer_fd);
        d->dma.timer_fd = -1;
    }
}
