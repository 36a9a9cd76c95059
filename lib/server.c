/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio-user server: one client at a time on a listening Unix socket,
 * each request validated and answered in order.  The client socket is
 * non-blocking; a reply the kernel cannot take at once is kept and no more
 * requests are read until it is sent, so memory stays bounded and a slow
 * client cannot make us queue without end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

/* Messages handled per wake-up before other fds get a turn. */
#define MSGS_PER_WAKEUP 64

static void listen_ready(void *opaque, int fd, uint32_t events);
static void conn_ready(void *opaque, int fd, uint32_t events);

static void free_out(struct vupi_conn *c)
{
    while (c->out) {
        struct vupi_out *o = c->out;

        c->out = o->next;
        free(o->buf);
        free(o);
    }
    c->out_tail = NULL;
}

static void drop_client(vup_dev *d, const char *why)
{
    struct vupi_conn *c = &d->server.conn;

    if (c->fd < 0) {
        return;
    }
    vup_log(VUP_LOG_INFO, "%s: client disconnected (%s)", d->name, why);
    vup_dev_unwatch_fd(d, c->fd);
    close(c->fd);
    c->fd = -1;
    c->negotiated = false;
    c->write_multi = false;
    c->close_after = false;
    vupi_rx_fini(&c->rx);
    free_out(c);
    /* Pending DMA fails before the reset, so models see it first. */
    vupi_dma_clear(d);
    vupi_client_gone(d);
    if (d->server.listen_fd >= 0 &&
        vup_dev_watch_fd(d, d->server.listen_fd, EPOLLIN, listen_ready,
                         d) < 0) {
        vup_log(VUP_LOG_ERROR, "%s: cannot accept clients: %s", d->name,
                vup_dev_error(d));
    }
}

/*
 * Sends one message (@iov, with @fd on its first byte unless -1) after
 * whatever is queued; what the socket cannot take now is queued for
 * EPOLLOUT, so nothing ever blocks.  Requests of ours (DMA) and replies
 * share the queue, in the order they were made.
 */
static int conn_send(vup_dev *d, const struct iovec *iov, size_t iovcnt,
                     int fd)
{
    struct vupi_conn *c = &d->server.conn;
    struct vupi_out *o;
    size_t total = 0, sent = 0;
    bool was_idle = !c->out;

    for (size_t i = 0; i < iovcnt; i++) {
        total += iov[i].iov_len;
    }
    if (was_idle) {
        ssize_t n = vupi_sendmsg_fds(c->fd, iov, iovcnt, &fd, fd >= 0 ? 1 : 0,
                                     MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                return -errno;
            }
            n = 0;
        }
        sent = (size_t)n;
        if (sent == total) {
            return 0;
        }
    }
    o = calloc(1, sizeof(*o));
    if (!o || !(o->buf = malloc(total - sent))) {
        free(o);
        return -ENOMEM;
    }
    /* The fd goes with the first byte: with the rest if none went. */
    o->fd = sent ? -1 : fd;
    o->len = total - sent;
    for (size_t i = 0, pos = 0; i < iovcnt; pos += iov[i].iov_len, i++) {
        size_t lo = sent > pos ? sent - pos : 0;

        if (lo < iov[i].iov_len) {
            memcpy(o->buf + (pos + lo - sent),
                   (uint8_t *)iov[i].iov_base + lo, iov[i].iov_len - lo);
        }
    }
    if (c->out_tail) {
        c->out_tail->next = o;
    } else {
        c->out = o;
    }
    c->out_tail = o;
    return was_idle ? vupi_loop_modify(d, c->fd, EPOLLOUT) : 0;
}

/* Sends a reply; what the socket cannot take now is kept for EPOLLOUT. */
static int send_reply(vup_dev *d, const struct vupi_msg_hdr *req, int err,
                      const struct vupi_reply *r)
{
    size_t plen = err ? 0 : r->len;
    struct vupi_msg_hdr h = {
        .id = req->id, .command = req->command,
        .size = (uint32_t)(sizeof(h) + plen),
        .flags = VUPI_MSG_REPLY | (err ? VUPI_MSG_ERROR : 0),
        .error_reply = (uint32_t)err,
    };
    struct iovec iov[2] = {
        { .iov_base = &h, .iov_len = sizeof(h) },
        { .iov_base = r->data, .iov_len = plen },
    };

    return conn_send(d, iov, plen ? 2 : 1, err ? -1 : r->fd);
}

int vupi_server_send(vup_dev *d, const void *msg, size_t len)
{
    struct iovec iov = { .iov_base = (void *)(uintptr_t)msg, .iov_len = len };

    if (d->server.conn.fd < 0) {
        return -ENOTCONN;
    }
    return conn_send(d, &iov, 1, -1);
}

/* A reply to a DMA_READ/WRITE of ours; <0: the client must go. */
static int handle_reply(vup_dev *d)
{
    struct vupi_conn *c = &d->server.conn;
    const struct vupi_msg_hdr *h = &c->rx.hdr;
    char why[VUPI_DMA_WHY_LEN];
    int ret;

    if (h->command != VUPI_CMD_DMA_READ && h->command != VUPI_CMD_DMA_WRITE) {
        vup_log(VUP_LOG_WARN, "%s: client sent a reply for %s id %u, but we "
                "sent no such request", d->name, vupi_cmd_name(h->command),
                h->id);
        return -EPROTO;
    }
    if (c->rx.nfds || c->rx.fds_truncated ||
        (h->flags & ~(VUPI_MSG_TYPE_MASK | VUPI_MSG_ERROR))) {
        vup_log(VUP_LOG_WARN, "%s: %s reply id %u with flags 0x%x and %zu "
                "fds", d->name, vupi_cmd_name(h->command), h->id, h->flags,
                c->rx.nfds);
        return -EPROTO;
    }
    ret = vupi_dma_reply(d, h, c->rx.body, h->size - sizeof(*h), why);
    if (ret < 0) {
        vup_log(VUP_LOG_WARN, "%s: %s", d->name, why);
    }
    return ret;
}

/* Handles the complete message in conn.rx; <0: the client must go. */
static int handle_msg(vup_dev *d)
{
    struct vupi_conn *c = &d->server.conn;
    const struct vupi_msg_hdr *h = &c->rx.hdr;
    const uint32_t type = h->flags & VUPI_MSG_TYPE_MASK;
    const size_t len = h->size - sizeof(*h);
    struct vupi_reply r = { .data = NULL, .fd = -1 };
    vupi_handler_fn *fn;
    int err, ret = 0;

    if (type == VUPI_MSG_REPLY) {
        return handle_reply(d);
    }
    if (type != VUPI_MSG_REQUEST) {
        vup_log(VUP_LOG_WARN, "%s: client sent a message of unknown type "
                "(flags 0x%x) for %s id %u", d->name, h->flags,
                vupi_cmd_name(h->command), h->id);
        return -EPROTO;
    }
    fn = vupi_server_handler(h->command);
    if (c->rx.fds_truncated) {
        err = vupi_reject(h, EINVAL, "more than %u fds", VUPI_MSG_MAX_FDS);
    } else if (h->flags & ~(VUPI_MSG_TYPE_MASK | VUPI_MSG_NO_REPLY)) {
        err = vupi_reject(h, EINVAL, "flags 0x%x", h->flags);
    } else if (!fn) {
        err = vupi_reject(h, ENOSYS, "command %u not supported", h->command);
    } else if (!c->negotiated && h->command != VUPI_CMD_VERSION) {
        err = vupi_reject(h, EINVAL, "before VERSION");
    } else if (c->rx.nfds && h->command != VUPI_CMD_DEVICE_SET_IRQS &&
               h->command != VUPI_CMD_DMA_MAP) {
        err = vupi_reject(h, EINVAL, "%zu unexpected fds", c->rx.nfds);
    } else {
        /* Mailbox requests QEMU posted before this go first. */
        vupi_shm_before_request(d);
        /*
         * Then the time QEMU stored, inside the request: what the timers
         * due by then change goes with the reply, not by the doorbell.
         */
        vupi_request_begin(d, h->flags & VUPI_MSG_NO_REPLY);
        vupi_shm_take_vtime(d, h->flags & VUPI_MSG_NO_REPLY);
        err = fn(d, h, c->rx.body, len, &r);
        vupi_request_end(d);
    }
    if (!(h->flags & VUPI_MSG_NO_REPLY)) {
        ret = send_reply(d, h, err, &r);
        vupi_loop_replied(d);
        if (ret < 0) {
            vup_log(VUP_LOG_WARN, "%s: sending %s reply: %s", d->name,
                    vupi_cmd_name(h->command), strerror(-ret));
        }
    }
    free(r.heap);
    if (c->close_after) {
        vup_log(VUP_LOG_WARN, "%s: closing: the client failed version "
                "negotiation", d->name);
        return -EPROTO;
    }
    return ret;
}

static const char *rx_error(int err)
{
    switch (err) {
    case -ECONNRESET:
        return "end of stream";
    case -EPROTO:
        return "truncated message or size below the header";
    case -EMSGSIZE:
        return "message larger than the maximum";
    default:
        return strerror(-err);
    }
}

static void conn_read(vup_dev *d)
{
    struct vupi_conn *c = &d->server.conn;

    for (int i = 0; i < MSGS_PER_WAKEUP && c->fd >= 0 && !c->out; i++) {
        int ret = vupi_rx_step(c->fd, &c->rx, VUPI_MSG_MAX_SIZE);

        if (ret == 0) {
            return;
        }
        if (ret < 0) {
            if (ret != -ECONNRESET) {
                vup_log(VUP_LOG_WARN, "%s: client stream at byte %zu of a "
                        "message (command %u, size %u): %s", d->name,
                        c->rx.have, c->rx.hdr.command, c->rx.hdr.size,
                        rx_error(ret));
            }
            drop_client(d, rx_error(ret));
            return;
        }
        ret = handle_msg(d);
        vupi_rx_reset(&c->rx);
        if (ret < 0) {
            drop_client(d, "protocol error");
            return;
        }
    }
}

static void conn_write(vup_dev *d)
{
    struct vupi_conn *c = &d->server.conn;

    while (c->out) {
        struct vupi_out *o = c->out;
        struct iovec iov = { .iov_base = o->buf + o->off,
                             .iov_len = o->len - o->off };
        ssize_t n = vupi_sendmsg_fds(c->fd, &iov, 1, &o->fd,
                                     o->fd >= 0 ? 1 : 0,
                                     MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                drop_client(d, strerror(errno));
            }
            return;
        }
        o->fd = -1;
        o->off += (size_t)n;
        if (o->off < o->len) {
            return;
        }
        c->out = o->next;
        if (!c->out) {
            c->out_tail = NULL;
        }
        free(o->buf);
        free(o);
    }
    if (vupi_loop_modify(d, c->fd, EPOLLIN) < 0) {
        drop_client(d, "epoll");
    }
}

static void conn_ready(void *opaque, int fd, uint32_t events)
{
    vup_dev *d = opaque;

    (void)fd;
    if (d->server.conn.out && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        conn_write(d);
    }
    /* A hang-up still leaves queued requests to read before the EOF. */
    if (d->server.conn.fd >= 0 && !d->server.conn.out &&
        (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
        conn_read(d);
    }
}

static void listen_ready(void *opaque, int fd, uint32_t events)
{
    vup_dev *d = opaque;
    int cfd;

    (void)events;
    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            vup_log(VUP_LOG_WARN, "%s: accept: %s", d->name, strerror(errno));
        }
        return;
    }
    /* One client at a time: later ones wait in the backlog. */
    vup_dev_unwatch_fd(d, fd);
    d->server.conn.fd = cfd;
    if (vup_dev_watch_fd(d, cfd, EPOLLIN, conn_ready, d) < 0) {
        vup_log(VUP_LOG_ERROR, "%s: %s", d->name, vup_dev_error(d));
        drop_client(d, "cannot watch it");
        return;
    }
    vup_log(VUP_LOG_INFO, "%s: client connected", d->name);
}

int vupi_server_listen(vup_dev *d, const char *path)
{
    int fd, ret;

    if (d->server.listen_fd >= 0) {
        return vupi_fail(d, EBUSY, "already listening on %s", d->server.path);
    }
    fd = vupi_unix_listen(path, 4);
    if (fd == -ENAMETOOLONG) {
        return vupi_fail(d, ENAMETOOLONG, "socket path too long");
    }
    if (fd == -EEXIST) {
        return vupi_fail(d, EEXIST, "%s exists and is not a socket", path);
    }
    if (fd < 0) {
        return vupi_fail(d, -fd, "%s: %s", path, strerror(-fd));
    }
    d->server.path = strdup(path);
    d->server.listen_fd = fd;
    ret = d->server.path ? vup_dev_watch_fd(d, fd, EPOLLIN, listen_ready, d)
                         : vupi_fail(d, ENOMEM, "out of memory");
    if (ret < 0) {
        vupi_server_fini(d);
        return ret;
    }
    vup_log(VUP_LOG_INFO, "%s: listening on %s", d->name, path);
    return 0;
}

bool vup_dev_connected(const vup_dev *d)
{
    return d->server.conn.fd >= 0;
}

void vupi_server_init(vup_dev *d)
{
    d->server.listen_fd = -1;
    d->server.conn.fd = -1;
    vupi_rx_init(&d->server.conn.rx);
}

void vupi_server_fini(vup_dev *d)
{
    if (d->server.conn.fd >= 0) {
        /* Not drop_client(): nothing is accepted any more. */
        int lfd = d->server.listen_fd;

        d->server.listen_fd = -1;
        drop_client(d, "device freed");
        d->server.listen_fd = lfd;
    }
    vupi_rx_fini(&d->server.conn.rx);
    if (d->server.listen_fd >= 0) {
        vup_dev_unwatch_fd(d, d->server.listen_fd);
        close(d->server.listen_fd);
        d->server.listen_fd = -1;
    }
    if (d->server.path) {
        unlink(d->server.path);
        free(d->server.path);
        d->server.path = NULL;
    }
}
