/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control channel's transport (docs/control-channel.md): a second Unix
 * socket served by the device loop, up to VUPI_CTL_MAX_CLIENTS clients at
 * once, each sending newline-terminated requests and getting one reply
 * line per request, in order.  ctl-cmds.c turns a line into its reply.
 *
 * Nothing here may block the loop or grow without bound: sockets are
 * non-blocking; a request line longer than VUPI_CTL_LINE_MAX gets an error
 * and the connection is closed; a client's next request is read only once
 * its previous reply is sent and its wait (wait-pin, wait-serial) is over,
 * so a client that stops reading holds at most one reply here and stalls
 * nobody but itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

static void client_ready(void *opaque, int fd, uint32_t events);

void vupi_ctl_init(vup_dev *d)
{
    d->ctl.listen_fd = -1;
}

static void client_free(vup_dev *d, struct vupi_ctl_client *c,
                        const char *why)
{
    struct vupi_ctl *ctl = &d->ctl;

    vup_log(VUP_LOG_DEBUG, "%s: control client %d gone (%s)", d->name,
            c->fd, why);
    if (c->waiting) {
        vupi_wait_cancel(d, &c->wait);
    }
    vup_dev_unwatch_fd(d, c->fd);
    close(c->fd);
    for (size_t i = 0; i < ctl->num_clients; i++) {
        if (ctl->client[i] == c) {
            ctl->client[i] = ctl->client[--ctl->num_clients];
            break;
        }
    }
    free(c->wait_id);
    free(c->in);
    free(c->out);
    free(c);
}

/*
 * What to watch: input only when a request could be handled (no reply or
 * wait outstanding, room, no end of input yet), output while a reply is
 * unsent.  EPOLLHUP and EPOLLERR come anyway, so a client that goes while
 * it waits is noticed.
 */
static void client_watch(vup_dev *d, struct vupi_ctl_client *c)
{
    uint32_t ev = 0;

    if (c->out) {
        ev |= EPOLLOUT;
    } else if (!c->waiting && !c->eof && !c->close_after &&
               c->in_len <= VUPI_CTL_LINE_MAX) {
        ev |= EPOLLIN | EPOLLRDHUP;
    }
    if (vupi_loop_modify(d, c->fd, ev) < 0) {
        vup_log(VUP_LOG_WARN, "%s: control client %d: epoll: %s", d->name,
                c->fd, strerror(errno));
    }
}

/* Writes what the socket takes of c->out; false: the client is gone. */
static bool client_flush(vup_dev *d, struct vupi_ctl_client *c)
{
    while (c->out) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true;
            }
            if (errno == EINTR) {
                continue;
            }
            client_free(d, c, strerror(errno));
            return false;
        }
        c->out_off += (size_t)n;
        if (c->out_off == c->out_len) {
            free(c->out);
            c->out = NULL;
            c->out_len = c->out_off = 0;
        }
    }
    if (c->close_after) {
        client_free(d, c, "closed after its error");
        return false;
    }
    return true;
}

/* Queues @line (owned; NULL: out of memory) and sends what goes now. */
static bool client_reply(vup_dev *d, struct vupi_ctl_client *c, char *line)
{
    if (!line) {
        client_free(d, c, "out of memory");
        return false;
    }
    c->out = line;
    c->out_len = strlen(line);
    c->out_off = 0;
    return client_flush(d, c);
}

static void wait_done(struct vupi_wait *w, void *opaque)
{
    struct vupi_ctl_client *c = opaque;
    vup_dev *d = c->dev;

    (void)w;
    c->waiting = false;
    /*
     * Sent from the loop (EPOLLOUT), not from here: this runs inside a
     * guest access or a timer, which must not see the client freed.
     */
    c->out = vupi_ctl_wait_reply(d, c);
    c->out_len = c->out ? strlen(c->out) : 0;
    c->out_off = 0;
    free(c->wait_id);
    c->wait_id = NULL;
    if (!c->out) {
        /* Out of memory: the hang-up this causes frees the client. */
        c->eof = true;
        shutdown(c->fd, SHUT_RDWR);
    }
    client_watch(d, c);
}

/* Handles one line; false: the client is gone. */
static bool client_line(vup_dev *d, struct vupi_ctl_client *c,
                        const char *line, size_t len)
{
    char *reply;

    /* Blank lines (a terminal's extra newline) are no requests. */
    if (strspn(line, " \t\r") == len) {
        return true;
    }
    c->wait = (struct vupi_wait){ .done = wait_done, .opaque = c };
    reply = vupi_ctl_handle(d, c, line, len);
    if (!reply && c->waiting) {
        return true;
    }
    return client_reply(d, c, reply);
}

/* The requests complete in c->in, while each one's reply goes at once. */
static bool client_process(vup_dev *d, struct vupi_ctl_client *c)
{
    while (!c->out && !c->waiting && !c->close_after) {
        char *nl = memchr(c->in, '\n', c->in_len);
        size_t len;

        if (!nl && c->in_len > VUPI_CTL_LINE_MAX) {
            c->close_after = true;
            return client_reply(d, c, vupi_ctl_error_line(
                "too-long", "request line longer than %u bytes: closing "
                "the connection", VUPI_CTL_LINE_MAX));
        }
        if (!nl && !(c->eof && c->in_len)) {
            break;
        }
        /* At the end of input, what is left is the last request. */
        len = nl ? (size_t)(nl - c->in) : c->in_len;
        c->in[len] = '\0';
        if (!client_line(d, c, c->in, len)) {
            return false;
        }
        len += nl ? 1 : 0;
        memmove(c->in, c->in + len, c->in_len - len);
        c->in_len -= len;
    }
    if (c->eof && !c->in_len && !c->out && !c->waiting) {
        client_free(d, c, "end of input");
        return false;
    }
    return true;
}

/* Reads what fits; false: the client is gone. */
static bool client_read(vup_dev *d, struct vupi_ctl_client *c)
{
    /* One byte more than a line may have: that is how we see one. */
    const size_t cap = VUPI_CTL_LINE_MAX + 1;

    while (c->in_len < cap && !c->eof) {
        ssize_t n = recv(c->fd, c->in + c->in_len, cap - c->in_len,
                         MSG_DONTWAIT);

        if (n > 0) {
            c->in_len += (size_t)n;
        } else if (n == 0) {
            c->eof = true;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            client_free(d, c, strerror(errno));
            return false;
        }
    }
    return true;
}

static void client_ready(void *opaque, int fd, uint32_t events)
{
    struct vupi_ctl_client *c = opaque;
    vup_dev *d = c->dev;

    (void)fd;
    if (c->out && !client_flush(d, c)) {
        return;
    }
    if ((events & (EPOLLIN | EPOLLRDHUP)) && !c->out && !c->waiting &&
        !client_read(d, c)) {
        return;
    }
    if (!client_process(d, c)) {
        return;
    }
    /* Gone entirely (not just done sending): nobody reads a reply. */
    if (events & (EPOLLHUP | EPOLLERR)) {
        client_free(d, c, "hung up");
        return;
    }
    client_watch(d, c);
}

static void refuse(vup_dev *d, int fd)
{
    char *line = vupi_ctl_error_line(
        "busy", "too many control clients (at most %u): closing",
        VUPI_CTL_MAX_CLIENTS);

    vup_log(VUP_LOG_WARN, "%s: control channel: a client beyond the %u "
            "allowed refused", d->name, VUPI_CTL_MAX_CLIENTS);
    /* Best effort: it is closed whether it reads this or not. */
    if (line && send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT) <
        0) {
        vup_log(VUP_LOG_DEBUG, "%s: control channel: %s", d->name,
                strerror(errno));
    }
    free(line);
    close(fd);
}

/* One connection of the backlog; false when there is none. */
static bool accept_one(vup_dev *d, int fd)
{
    struct vupi_ctl_client *c;
    int cfd;

    cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            vup_log(VUP_LOG_WARN, "%s: control channel: accept: %s",
                    d->name, strerror(errno));
        }
        return false;
    }
    if (d->ctl.num_clients == VUPI_CTL_MAX_CLIENTS) {
        refuse(d, cfd);
        return true;
    }
    c = calloc(1, sizeof(*c));
    if (c) {
        c->in = malloc(VUPI_CTL_LINE_MAX + 1);
    }
    if (!c || !c->in) {
        vup_log(VUP_LOG_WARN, "%s: control channel: out of memory for a "
                "client", d->name);
        free(c);
        close(cfd);
        return true;
    }
    c->dev = d;
    c->fd = cfd;
    if (vup_dev_watch_fd(d, cfd, EPOLLIN | EPOLLRDHUP, client_ready, c) < 0) {
        vup_log(VUP_LOG_WARN, "%s: control channel: %s", d->name,
                vup_dev_error(d));
        free(c->in);
        free(c);
        close(cfd);
        return true;
    }
    d->ctl.client[d->ctl.num_clients++] = c;
    vup_log(VUP_LOG_DEBUG, "%s: control client %d connected", d->name, cfd);
    return true;
}

static void listen_ready(void *opaque, int fd, uint32_t events)
{
    (void)events;
    /* A burst of connections is taken at once, boundedly. */
    for (unsigned i = 0; i < 2 * VUPI_CTL_MAX_CLIENTS; i++) {
        if (!accept_one(opaque, fd)) {
            break;
        }
    }
}

int vup_dev_ctl_listen(vup_dev *d, const char *path)
{
    int fd, ret;

    if (d->ctl.listen_fd >= 0) {
        return vupi_fail(d, EBUSY, "control channel already open on %s",
                         d->ctl.path);
    }
    if (d->cr.desc) {
        return vupi_fail(d, EBUSY, "open the control channel before "
                         "vup_dev_listen(): its waits need the "
                         "VIRTUAL_TIME capability");
    }
    ret = vupi_signals_open(d);
    if (ret < 0) {
        return ret;
    }
    /* Room for a burst of clients (and refusals) between two wake-ups. */
    fd = vupi_unix_listen(path, 2 * VUPI_CTL_MAX_CLIENTS);
    if (fd == -ENAMETOOLONG) {
        return vupi_fail(d, ENAMETOOLONG, "control socket path too long");
    }
    if (fd == -EEXIST) {
        return vupi_fail(d, EEXIST, "%s exists and is not a socket", path);
    }
    if (fd < 0) {
        return vupi_fail(d, -fd, "%s: %s", path, strerror(-fd));
    }
    d->ctl.path = strdup(path);
    if (!d->ctl.path) {
        close(fd);
        return vupi_fail(d, ENOMEM, "out of memory");
    }
    d->ctl.listen_fd = fd;
    ret = vup_dev_watch_fd(d, fd, EPOLLIN, listen_ready, d);
    if (ret < 0) {
        vupi_ctl_fini(d);
        return ret;
    }
    vup_log(VUP_LOG_INFO, "%s: control channel on %s", d->name, path);
    return 0;
}

unsigned vup_dev_ctl_clients(const vup_dev *d)
{
    return (unsigned)d->ctl.num_clients;
}

void vupi_ctl_fini(vup_dev *d)
{
    while (d->ctl.num_clients) {
        client_free(d, d->ctl.client[0], "device freed");
    }
    if (d->ctl.listen_fd >= 0) {
        vup_dev_unwatch_fd(d, d->ctl.listen_fd);
        close(d->ctl.listen_fd);
        d->ctl.listen_fd = -1;
    }
    if (d->ctl.path) {
        unlink(d->ctl.path);
        free(d->ctl.path);
        d->ctl.path = NULL;
    }
}
