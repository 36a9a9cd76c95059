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
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"
#include "vup/cr.h"
#include "../../lib/internal.h"

void harness_init(struct harness *h, const char *tag, const char *name)
{
    const char *tmp = getenv("TMPDIR");

    /* $TMPDIR if it leaves room for the socket's name (sun_path). */
    if (!tmp || !tmp[0] || strlen(tmp) > 40) {
        tmp = "/tmp";
    }
    snprintf(h->dir, sizeof(h->dir), "%s/vup-%s-XXXXXX", tmp, tag);
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

/* ---- control-channel clients --------------------------------------------- */

struct harness_ctl {
    int fd;
    char buf[1 << 17];
    size_t len;
};

struct harness_ctl *harness_ctl_open(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct harness_ctl *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    assert_true(strlen(path) < sizeof(sa.sun_path));
    strcpy(sa.sun_path, path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return c;
}

void harness_ctl_close(struct harness_ctl *c)
{
    close(c->fd);
    free(c);
}

int harness_ctl_fd(const struct harness_ctl *c)
{
    return c->fd;
}

void harness_ctl_send(struct harness_ctl *c, const void *data, size_t len)
{
    size_t off = 0;

    while (off < len) {
        ssize_t n = send(c->fd, (const char *)data + off, len - off,
                         MSG_NOSIGNAL);

        assert_true(n > 0);
        off += (size_t)n;
    }
}

char *harness_ctl_line(struct harness_ctl *c, int ms, bool *eof)
{
    *eof = false;
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        ssize_t n;

        if (nl) {
            size_t len = (size_t)(nl - c->buf);
            char *line = strndup(c->buf, len);

            c->len -= len + 1;
            memmove(c->buf, nl + 1, c->len);
            return line;
        }
        if (poll(&p, 1, ms) != 1) {
            return NULL;
        }
        assert_true(c->len < sizeof(c->buf));
        n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        if (n <= 0) {
            *eof = true;
            return NULL;
        }
        c->len += (size_t)n;
    }
}

json_object *harness_ctl_reply(struct harness_ctl *c)
{
    bool eof;
    char *line = harness_ctl_line(c, TIMEOUT_MS, &eof);
    json_object *o;

    if (!line) {
        fail_msg("no reply (%s)", eof ? "connection closed" : "timeout");
    }
    o = json_tokener_parse(line);
    if (!o || !json_object_is_type(o, json_type_object)) {
        fail_msg("reply not a JSON object: %s", line);
    }
    free(line);
    return o;
}

json_object *harness_ctl_req(struct harness_ctl *c, const char *line)
{
    harness_ctl_send(c, line, strlen(line));
    harness_ctl_send(c, "\n", 1);
    return harness_ctl_reply(c);
}

json_object *harness_json(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v)) {
        fail_msg("no '%s' in %s", key, json_object_to_json_string(o));
    }
    return v;
}

void harness_ctl_assert_error(json_object *o, const char *code,
                              const char *needle)
{
    const char *msg;

    if (json_object_get_boolean(harness_json(o, "ok"))) {
        fail_msg("not an error: %s", json_object_to_json_string(o));
    }
    assert_string_equal(json_object_get_string(harness_json(o, "code")),
                        code);
    msg = json_object_get_string(harness_json(o, "error"));
    if (!strstr(msg, needle)) {
        fail_msg("error '%s' does not say '%s'", msg, needle);
    }
    json_object_put(o);
}
