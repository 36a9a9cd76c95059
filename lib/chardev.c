/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Serial byte streams for UART models: stdio, null, pty, unix:PATH,
 * file:PATH.  Output never blocks the device loop: what the fd cannot take
 * waits in a small buffer, and what does not fit there is dropped and
 * counted.  Input is read from the device loop and handed to the model.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"

#define CHARDEV_BUF 4096u

enum chardev_kind { CD_NULL, CD_STDIO, CD_PTY, CD_UNIX, CD_FILE };

struct vup_chardev {
    vup_dev *dev;
    struct vup_chardev *next;
    enum chardev_kind kind;
    int in_fd;                  /* read for input, -1: none */
    int out_fd;                 /* -1: output is dropped */
    int listen_fd;              /* unix: */
    int slave_fd;               /* pty: held so the master never hangs up */
    int saved_fl[2];            /* stdio: flags of fds 0 and 1 to restore */
    char *path;                 /* unix: socket file to remove */
    vup_chardev_rx_fn rx;
    void *opaque;
    uint8_t buf[CHARDEV_BUF];
    size_t len;
    uint64_t dropped;
};

static void chardev_ready(void *opaque, int fd, uint32_t events);

/* One watch per fd, wanting input and/or room for pending output. */
static void update_watch(struct vup_chardev *c, int fd)
{
    uint32_t ev = 0;

    if (fd < 0) {
        return;
    }
    if (fd == c->in_fd) {
        ev |= EPOLLIN;
    }
    if (fd == c->out_fd && c->len) {
        ev |= EPOLLOUT;
    }
    if (!ev) {
        vup_dev_unwatch_fd(c->dev, fd);
    } else if (vupi_loop_modify(c->dev, fd, ev) == -ENOENT &&
               vup_dev_watch_fd(c->dev, fd, ev, chardev_ready, c) < 0) {
        vup_log(VUP_LOG_WARN, "chardev: %s", vup_dev_error(c->dev));
    }
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl >= 0) {
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
}

static void flush(struct vup_chardev *c)
{
    ssize_t n;

    if (!c->len || c->out_fd < 0) {
        return;
    }
    n = write(c->out_fd, c->buf, c->len);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return;
        }
        vup_log(VUP_LOG_WARN, "chardev: write: %s", strerror(errno));
        c->dropped += c->len;
        n = (ssize_t)c->len;
    }
    memmove(c->buf, c->buf + n, c->len - (size_t)n);
    c->len -= (size_t)n;
}

void vup_chardev_write(vup_chardev *c, const uint8_t *buf, size_t len)
{
    size_t room;

    if (c->out_fd < 0) {
        c->dropped += len;
        return;
    }
    room = sizeof(c->buf) - c->len;
    if (len > room) {
        c->dropped += len - room;
        len = room;
    }
    memcpy(c->buf + c->len, buf, len);
    c->len += len;
    /*
     * A byte per guest write would be a syscall per byte: output is
     * coalesced and written when the loop has no request to serve
     * (vupi_chardev_flush_all), or here once half the buffer is used.
     */
    if (c->len >= CHARDEV_BUF / 2) {
        flush(c);
        update_watch(c, c->out_fd);
    }
}

void vupi_chardev_flush_all(vup_dev *d)
{
    for (struct vup_chardev *c = d->chardevs.list; c; c = c->next) {
        if (c->len) {
            flush(c);
            update_watch(c, c->out_fd);
        }
    }
}

static void client_close(struct vup_chardev *c)
{
    vup_dev_unwatch_fd(c->dev, c->in_fd);
    close(c->in_fd);
    c->in_fd = c->out_fd = -1;
    c->len = 0;
}

static void read_input(struct vup_chardev *c)
{
    uint8_t buf[256];
    ssize_t n = read(c->in_fd, buf, sizeof(buf));

    if (n > 0) {
        if (c->rx) {
            c->rx(c->opaque, buf, (size_t)n);
        }
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                  errno == EINTR)) {
        return;
    }
    if (c->kind == CD_UNIX) {
        vup_log(VUP_LOG_INFO, "serial: client left %s", c->path);
        client_close(c);
    } else {
        /* End of input (stdin closed): output goes on. */
        int fd = c->in_fd;

        c->in_fd = -1;
        update_watch(c, fd);
    }
}

static void accept_client(struct vup_chardev *c)
{
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0) {
        return;
    }
    if (c->in_fd >= 0) {
        vup_log(VUP_LOG_WARN, "serial: %s already has a client; refusing "
                "another", c->path);
        close(fd);
        return;
    }
    c->in_fd = c->out_fd = fd;
    update_watch(c, fd);
    vup_log(VUP_LOG_INFO, "serial: client on %s", c->path);
}

static void chardev_ready(void *opaque, int fd, uint32_t events)
{
    struct vup_chardev *c = opaque;

    if (fd == c->listen_fd) {
        accept_client(c);
        return;
    }
    if (fd == c->out_fd && (events & EPOLLOUT)) {
        flush(c);
        update_watch(c, fd);
    }
    if (fd == c->in_fd && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        read_input(c);
    }
}

static int open_stdio(struct vup_chardev *c)
{
    struct stat st;
    int acc = fcntl(STDIN_FILENO, F_GETFL);

    c->saved_fl[0] = acc;
    c->saved_fl[1] = fcntl(STDOUT_FILENO, F_GETFL);
    c->out_fd = STDOUT_FILENO;
    /* O_NONBLOCK is shared with whoever else has the file: only set it
     * where it matters, and restore it on close. */
    if (fstat(STDOUT_FILENO, &st) == 0 && !S_ISREG(st.st_mode)) {
        set_nonblock(STDOUT_FILENO);
    }
    if (acc >= 0 && (acc & O_ACCMODE) != O_WRONLY &&
        fstat(STDIN_FILENO, &st) == 0 && !S_ISREG(st.st_mode) &&
        vup_dev_watch_fd(c->dev, STDIN_FILENO, EPOLLIN, chardev_ready,
                         c) == 0) {
        set_nonblock(STDIN_FILENO);
        c->in_fd = STDIN_FILENO;
    }
    return 0;
}

static int open_pty(struct vup_chardev *c)
{
    struct termios t;
    const char *name;
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (fd < 0) {
        return -errno;
    }
    if (grantpt(fd) < 0 || unlockpt(fd) < 0 || !(name = ptsname(fd))) {
        int err = errno;

        close(fd);
        return -err;
    }
    c->slave_fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (c->slave_fd < 0 || tcgetattr(c->slave_fd, &t) < 0) {
        int err = errno;

        close(fd);
        return -err;
    }
    cfmakeraw(&t);
    tcsetattr(c->slave_fd, TCSANOW, &t);
    set_nonblock(fd);
    c->in_fd = c->out_fd = fd;
    update_watch(c, fd);
    fprintf(stderr, "vup: serial on %s\n", name);
    return 0;
}

static int open_unix(struct vup_chardev *c, const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            return -EEXIST;
        }
        unlink(path);
    }
    c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
                          SOCK_CLOEXEC, 0);
    if (c->listen_fd < 0 ||
        bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(c->listen_fd, 1) < 0) {
        return -errno;
    }
    c->path = strdup(path);
    if (!c->path) {
        return -ENOMEM;
    }
    if (vup_dev_watch_fd(c->dev, c->listen_fd, EPOLLIN, chardev_ready,
                         c) < 0) {
        return -EINVAL;
    }
    return 0;
}

static int open_spec(struct vup_chardev *c, const char *spec)
{
    if (!strcmp(spec, "null")) {
        c->kind = CD_NULL;
        return 0;
    }
    if (!strcmp(spec, "stdio")) {
        c->kind = CD_STDIO;
        return open_stdio(c);
    }
    if (!strcmp(spec, "pty")) {
        c->kind = CD_PTY;
        return open_pty(c);
    }
    if (!strncmp(spec, "unix:", 5) && spec[5]) {
        c->kind = CD_UNIX;
        return open_unix(c, spec + 5);
    }
    if (!strncmp(spec, "file:", 5) && spec[5]) {
        c->kind = CD_FILE;
        c->out_fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                         0644);
        return c->out_fd < 0 ? -errno : 0;
    }
    return -EINVAL;
}

vup_chardev *vup_chardev_open(vup_dev *d, const char *spec,
                              vup_chardev_rx_fn rx, void *opaque)
{
    struct vup_chardev *c;
    int ret;

    if (!spec) {
        vupi_fail(d, EINVAL, "no chardev spec");
        return NULL;
    }
    c = vupi_zalloc(d, sizeof(*c));
    if (!c) {
        return NULL;
    }
    c->dev = d;
    c->in_fd = c->out_fd = c->listen_fd = c->slave_fd = -1;
    c->saved_fl[0] = c->saved_fl[1] = -1;
    c->rx = rx;
    c->opaque = opaque;
    c->next = d->chardevs.list;
    d->chardevs.list = c;
    ret = open_spec(c, spec);
    if (ret < 0) {
        vup_chardev_close(c);
        vupi_fail(d, -ret, "chardev \"%s\": %s (want stdio, null, pty, "
                  "unix:PATH or file:PATH)", spec, strerror(-ret));
        return NULL;
    }
    return c;
}

void vup_chardev_close(vup_chardev *c)
{
    struct vup_chardev **pp;

    if (!c) {
        return;
    }
    for (pp = &c->dev->chardevs.list; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    if (c->dropped) {
        vup_log(VUP_LOG_INFO, "serial: %" PRIu64 " output bytes dropped",
                c->dropped);
    }
    if (c->kind == CD_STDIO) {
        vup_dev_unwatch_fd(c->dev, STDIN_FILENO);
        vup_dev_unwatch_fd(c->dev, STDOUT_FILENO);
        for (int fd = 0; fd < 2; fd++) {
            if (c->saved_fl[fd] >= 0) {
                fcntl(fd, F_SETFL, c->saved_fl[fd]);
            }
        }
    } else {
        int fds[] = { c->in_fd, c->out_fd, c->listen_fd, c->slave_fd };

        for (size_t i = 0; i < VUPI_ARRAY_SIZE(fds); i++) {
            if (fds[i] >= 0) {
                vup_dev_unwatch_fd(c->dev, fds[i]);
                if (i == 0 || fds[i] != fds[0]) {
                    close(fds[i]);
                }
            }
        }
    }
    if (c->path) {
        unlink(c->path);
        free(c->path);
    }
    free(c);
}

void vupi_chardev_close_all(vup_dev *d)
{
    while (d->chardevs.list) {
        vup_chardev_close(d->chardevs.list);
    }
}
