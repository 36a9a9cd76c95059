/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device loop: one epoll fd serving the vfio-user socket, chardevs and
 * the caller's fds.  Each watch has an id that is never reused, so a watch
 * removed by a callback is not called for events already fetched.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

void vupi_eventfd_signal(int fd, const char *what, unsigned index)
{
    uint64_t one = 1;

    if (fd >= 0 && write(fd, &one, sizeof(one)) != sizeof(one)) {
        vup_log(VUP_LOG_WARN, "%s %u: eventfd write: %s", what, index,
                strerror(errno));
    }
}

int vupi_loop_init(vup_dev *d)
{
    d->loop.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (d->loop.epfd < 0) {
        vup_log(VUP_LOG_ERROR, "epoll_create1: %s", strerror(errno));
        return -errno;
    }
    d->loop.next_id = 1;
    vupi_spin_init(&d->loop.spin, VUPI_SPIN_US_DEFAULT, true);
    return 0;
}

void vupi_loop_fini(vup_dev *d)
{
    close(d->loop.epfd);
}

static struct vupi_watch *find_fd(vup_dev *d, int fd)
{
    for (size_t i = 0; i < d->loop.num_watches; i++) {
        if (d->loop.watch[i].fd == fd) {
            return &d->loop.watch[i];
        }
    }
    return NULL;
}

int vup_dev_watch_fd(vup_dev *d, int fd, uint32_t events, vup_fd_fn fn,
                     void *opaque)
{
    struct vupi_watch *w;
    struct epoll_event ev;

    if (fd < 0 || !fn) {
        return vupi_fail(d, EINVAL, "watch: bad fd %d or no callback", fd);
    }
    if (find_fd(d, fd)) {
        return vupi_fail(d, EEXIST, "fd %d is already watched", fd);
    }
    if (d->loop.num_watches == VUPI_MAX_WATCHES) {
        return vupi_fail(d, ENOSPC, "more than %u watched fds",
                         VUPI_MAX_WATCHES);
    }
    w = &d->loop.watch[d->loop.num_watches];
    *w = (struct vupi_watch){
        .id = d->loop.next_id++, .fd = fd, .events = events, .fn = fn,
        .opaque = opaque,
    };
    ev = (struct epoll_event){ .events = events, .data.u64 = w->id };
    if (epoll_ctl(d->loop.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        return vupi_fail(d, errno, "epoll add fd %d: %s", fd,
                         strerror(errno));
    }
    d->loop.num_watches++;
    return 0;
}

void vup_dev_unwatch_fd(vup_dev *d, int fd)
{
    struct vupi_watch *w = find_fd(d, fd);

    if (!w) {
        return;
    }
    /* The fd may already be closed, which removed it from the epoll set. */
    epoll_ctl(d->loop.epfd, EPOLL_CTL_DEL, fd, NULL);
    *w = d->loop.watch[--d->loop.num_watches];
}

int vupi_loop_modify(vup_dev *d, int fd, uint32_t events)
{
    struct vupi_watch *w = find_fd(d, fd);
    struct epoll_event ev;

    if (!w) {
        return -ENOENT;
    }
    if (w->events == events) {
        return 0;
    }
    ev = (struct epoll_event){ .events = events, .data.u64 = w->id };
    if (epoll_ctl(d->loop.epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
        return -errno;
    }
    w->events = events;
    return 0;
}

int vup_dev_poll_fd(const vup_dev *d)
{
    return d->loop.epfd;
}

void vupi_loop_replied(vup_dev *d)
{
    d->loop.replied = true;
}

/*
 * After a reply, a guest polling a register sends its next request within
 * microseconds: poll for it a while (spin.c decides how long) rather than
 * sleep, since a wake-up from epoll_wait costs tens of microseconds on an
 * idle host CPU.
 */
bool vupi_loop_pending(vup_dev *d)
{
    struct pollfd p = { .fd = d->loop.epfd, .events = POLLIN };

    /* An epoll fd is readable while one of its fds has events. */
    return poll(&p, 1, 0) > 0;
}

int vupi_loop_poll(vup_dev *d, struct epoll_event *ev, int max,
                   int timeout_ms)
{
    struct vupi_loop *l = &d->loop;

    if (l->replied && timeout_ms != 0 && l->spin.max_ns) {
        uint64_t start = vupi_mono_ns(), now = start;

        l->learning = true;
        l->gave_cpu = false;
        l->wait_start = start;
        while (now - start < l->spin.ns) {
            int n = epoll_wait(l->epfd, ev, max, 0);

            if (n != 0) {
                l->replied = l->learning = false;
                return n;
            }
            if (now - start >= VUPI_BUSY_NS) {
                /* On a loaded host, let QEMU's vCPU thread run instead. */
                l->gave_cpu |= vupi_spin_yield();
            }
            now = vupi_mono_ns();
        }
    }
    l->replied = false;
    return 0;
}

int vupi_loop_wait(vup_dev *d, struct epoll_event *ev, int max,
                   int timeout_ms)
{
    struct vupi_loop *l = &d->loop;
    int n = epoll_wait(l->epfd, ev, max, timeout_ms);

    /* What a longer poll would have caught, or that polling did not pay. */
    if (l->learning && n != 0) {
        l->learning = false;
        vupi_spin_learn(&l->spin, vupi_mono_ns() - l->wait_start,
                        l->gave_cpu);
    }
    return n;
}

void vupi_loop_deliver(vup_dev *d, const struct epoll_event *ev, int n)
{
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < d->loop.num_watches; j++) {
            struct vupi_watch *w = &d->loop.watch[j];

            if (w->id == ev[i].data.u64) {
                w->fn(w->opaque, w->fd, ev[i].events);
                break;
            }
        }
    }
}
