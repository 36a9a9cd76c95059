/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-user message framing on a stream socket, shared by the server and the
 * client: a message is read header first, its size bounded before anything
 * is allocated, and file descriptors (SCM_RIGHTS) travel with its bytes.
 * A partial message stays buffered in struct vupi_rx; nothing waits for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

void vupi_close_fds(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
}

void vupi_rx_init(struct vupi_rx *rx)
{
    memset(rx, 0, sizeof(*rx));
}

void vupi_rx_reset(struct vupi_rx *rx)
{
    vupi_close_fds(rx->fds, rx->nfds);
    rx->nfds = 0;
    rx->fds_truncated = false;
    rx->have = 0;
}

void vupi_rx_fini(struct vupi_rx *rx)
{
    vupi_rx_reset(rx);
    free(rx->body);
    rx->body = NULL;
    rx->body_cap = 0;
}

static void collect_fds(struct vupi_rx *rx, struct msghdr *mh)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
         cm = CMSG_NXTHDR(mh, cm)) {
        size_t n;
        int *fds;

        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        fds = (int *)CMSG_DATA(cm);
        for (size_t i = 0; i < n; i++) {
            int fd;

            memcpy(&fd, &fds[i], sizeof(fd));
            if (rx->nfds < VUPI_MSG_MAX_FDS) {
                rx->fds[rx->nfds++] = fd;
            } else {
                close(fd);
                rx->fds_truncated = true;
            }
        }
    }
    /* The kernel already closed the fds that did not fit. */
    if (mh->msg_flags & MSG_CTRUNC) {
        rx->fds_truncated = true;
    }
}

static int header_done(struct vupi_rx *rx, size_t max_size)
{
    size_t body;

    if (rx->hdr.size < sizeof(rx->hdr)) {
        return -EPROTO;
    }
    if (rx->hdr.size > max_size) {
        return -EMSGSIZE;
    }
    body = rx->hdr.size - sizeof(rx->hdr);
    if (body > rx->body_cap) {
        uint8_t *b = realloc(rx->body, body);

        if (!b) {
            return -ENOMEM;
        }
        rx->body = b;
        rx->body_cap = body;
    }
    return 0;
}

int vupi_rx_step(int sock, struct vupi_rx *rx, size_t max_size)
{
    const size_t hlen = sizeof(rx->hdr);

    for (;;) {
        union {
            char buf[CMSG_SPACE(sizeof(int) * VUPI_MSG_MAX_FDS)];
            struct cmsghdr align;
        } cmsg;
        struct iovec iov;
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = cmsg.buf, .msg_controllen = sizeof(cmsg.buf),
        };
        ssize_t n;
        int ret;

        if (rx->have >= hlen && rx->have == rx->hdr.size) {
            return 1;
        }
        if (rx->have < hlen) {
            iov.iov_base = (uint8_t *)&rx->hdr + rx->have;
            iov.iov_len = hlen - rx->have;
        } else {
            iov.iov_base = rx->body + (rx->have - hlen);
            iov.iov_len = rx->hdr.size - rx->have;
        }
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        }
        collect_fds(rx, &mh);
        if (n == 0) {
            return rx->have ? -EPROTO : -ECONNRESET;
        }
        rx->have += (size_t)n;
        if (rx->have == hlen) {
            ret = header_done(rx, max_size);
            if (ret < 0) {
                return ret;
            }
        }
    }
}

/* Room to send more fds than a peer accepts, which tests need. */
#define SEND_MAX_FDS    (4 * VUPI_MSG_MAX_FDS)

ssize_t vupi_sendmsg_fds(int sock, const struct iovec *iov, size_t iovcnt,
                         const int *fds, size_t nfds, int flags)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * SEND_MAX_FDS)];
        struct cmsghdr align;
    } cmsg;
    struct msghdr mh = { .msg_iov = (struct iovec *)iov,
                         .msg_iovlen = iovcnt };

    if (nfds > SEND_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    if (nfds) {
        struct cmsghdr *cm;

        memset(&cmsg, 0, sizeof(cmsg));
        mh.msg_control = cmsg.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }
    return sendmsg(sock, &mh, flags);
}

int vupi_send_all(int sock, const void *buf, size_t len, const int *fds,
                  size_t nfds)
{
    const uint8_t *p = buf;

    while (len) {
        struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
        ssize_t n = vupi_sendmsg_fds(sock, &iov, 1, fds, nfds, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT
                                                           : -errno;
        }
        /* The fds went with the first byte. */
        nfds = 0;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int vupi_unix_listen(const char *path, int backlog)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd, err;

    if (!path || strlen(path) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    /* Replace a stale socket, never another kind of file. */
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            return -EEXIST;
        }
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, backlog) < 0) {
        err = errno;
        close(fd);
        return -err;
    }
    return fd;
}
