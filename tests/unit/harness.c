/* SPDX-License-Identifier: BSD-3-Clause */
/* The unit tests' shared fixture (harness.h). */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "vup/cr.h"
#include "../../lib/internal.h"

void harness_init(struct harness *h, const char *tag, const char *name)
{
    snprintf(h->dir, sizeof(h->dir), "/tmp/vup-%s-XXXXXX", tag);
    assert_non_null(mkdtemp(h->dir));
    snprintf(h->path, sizeof(h->path), "%s/dev.sock", h->dir);
    h->dev = vup_dev_new(name);
    assert_non_null(h->dev);
    h->in[0] = h->in[1] = -1;
}

/* A pipe whose read end the device loop watches. */
static void watch_pipe(struct harness *h, int fds[2], vup_fd_fn fn,
                       void *opaque)
{
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(vup_dev_watch_fd(h->dev, fds[0], EPOLLIN, fn, opaque),
                     0);
}

void harness_watch_in(struct harness *h, vup_fd_fn fn, void *opaque)
{
    watch_pipe(h, h->in, fn, opaque);
}

static void on_stop(void *opaque, int fd, uint32_t events)
{
    (void)fd;
    (void)events;
    vup_dev_stop(opaque);
}

static void *serve(void *opaque)
{
    vup_dev_run(opaque);
    return NULL;
}

void harness_start(struct harness *h, harness_watch_fn *watch, void *opaque)
{
    assert_int_equal(vup_dev_listen(h->dev, h->path), 0);
    watch_pipe(h, h->stop_pipe, on_stop, h->dev);
    if (watch) {
        watch(h, opaque);
    }
    assert_int_equal(pthread_create(&h->thread, NULL, serve, h->dev), 0);
}

void harness_serve(struct harness *h, harness_watch_fn *watch, void *opaque)
{
    harness_start(h, watch, opaque);
    h->c = harness_connect(h);
    h->live = harness_live_offset(h->c);
}

void harness_stop(struct harness *h)
{
    vup_client_free(h->c);
    h->c = NULL;
    assert_int_equal(write(h->stop_pipe[1], "x", 1), 1);
    pthread_join(h->thread, NULL);
    vup_dev_free(h->dev);
    close(h->stop_pipe[0]);
    close(h->stop_pipe[1]);
    if (h->in[0] >= 0) {
        close(h->in[0]);
        close(h->in[1]);
    }
    assert_int_equal(rmdir(h->dir), 0);     /* the socket was removed */
}

int harness_teardown(void **state)
{
    struct harness *h = *state;

    harness_stop(h);
    free(h);
    return 0;
}

vup_client *harness_connect(const struct harness *h)
{
    char err[256];
    vup_client *c = vup_client_connect(h->path, TIMEOUT_MS, err, sizeof(err));

    if (!c) {
        fail_msg("connect: %s", err);
    }
    return c;
}

uint32_t harness_live_offset(vup_client *c)
{
    struct vup_cr_header hdr;

    assert_int_equal(vup_client_read(c, 0, 0, &hdr, sizeof(hdr)), 0);
    return hdr.live_offset;
}

uint64_t harness_live64(const struct harness *h, size_t field)
{
    uint64_t v = 0;

    assert_int_equal(vup_client_read(h->c, 0, h->live + field, &v, 8), 0);
    return v;
}

uint32_t harness_rd(vup_client *c, uint32_t region, uint64_t off,
                    uint32_t count)
{
    uint32_t v = 0;

    assert_int_equal(vup_client_read(c, region, off, &v, count), 0);
    return v;
}

void harness_wr(vup_client *c, uint32_t region, uint64_t off, uint32_t v,
                uint32_t count)
{
    assert_int_equal(vup_client_write(c, region, off, &v, count, false), 0);
}

uint64_t harness_wait_event(int efd, int timeout_ms)
{
    struct pollfd p = { .fd = efd, .events = POLLIN };
    uint64_t n = 0;

    if (poll(&p, 1, timeout_ms) == 1) {
        assert_int_equal(read(efd, &n, sizeof(n)), sizeof(n));
    }
    return n;
}

void harness_send_msg(int s, uint16_t id, uint16_t cmd, uint32_t flags,
                      const void *payload, size_t len, const int *fds,
                      size_t nfds)
{
    struct vupi_msg_hdr hdr = {
        .id = id, .command = cmd, .size = (uint32_t)(sizeof(hdr) + len),
        .flags = flags,
    };
    struct iovec iov[2] = {
        { .iov_base = &hdr, .iov_len = sizeof(hdr) },
        { .iov_base = (void *)payload, .iov_len = len },
    };

    assert_true(nfds <= 16);
    assert_int_equal(vupi_sendmsg_fds(s, iov, len ? 2 : 1, fds, nfds,
                                      MSG_NOSIGNAL),
                     (ssize_t)(sizeof(hdr) + len));
}
