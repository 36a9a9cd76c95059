/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared memory behind the control region and the FAST_PATH mailbox.
 *
 * Region 0 is backed by a memfd whose pages from live_offset on (the live
 * part, then the mailbox page) are mapped here and offered to the client
 * with VFIO_REGION_INFO_FLAG_MMAP and a sparse-mmap area.  The descriptor
 * stays message-only.  A client that maps the live part reads seq, IRQ
 * levels, clocks and the deadline there and stores vtime_ns itself; one
 * that does not keeps using REGION_READ/WRITE, which reach the same bytes.
 *
 * The mailbox (docs/control-region.md, "Fast path") carries window
 * accesses without the socket: the loop serves it before every socket
 * message (so a request posted there first is handled first), spins a
 * bounded time after each request to catch the next one of a polling loop,
 * then sleeps in epoll on the kick eventfd QEMU registered.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * How often a busy mailbox spin looks at the loop's other fds: a poll()
 * every 2 us cost a polling guest a measurable part of its rate; every
 * 50 us a socket request waits that long at most.
 */
#define VUPI_PENDING_CHECK_NS 50000u

static void futex_wake(uint32_t *addr)
{
    /* Not FUTEX_PRIVATE_FLAG: the waiter is another process. */
    syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void vupi_shm_init(vup_dev *d)
{
    d->shm.fd = -1;
    d->shm.kick_fd = -1;
    vupi_spin_init(&d->shm.spin, VUPI_SPIN_US_DEFAULT, true);
}

int vupi_shm_create(vup_dev *d)
{
    size_t size = VUPI_LIVE_SIZE + (d->cr.mbox_offset ? VUPI_MBOX_PAGE : 0);
    void *p;
    int fd;

    if (d->no_fast_path || d->shm.map) {
        return 0;
    }
    fd = memfd_create("vup-control-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) {
        goto fallback;
    }
    if (ftruncate(fd, (off_t)vupi_cr_size(d)) < 0) {
        close(fd);
        goto fallback;
    }
    /* A client's mapping must never meet a SIGBUS: the size is final. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
        vup_log(VUP_LOG_WARN, "%s: cannot seal the control region's memfd: "
                "%s", d->name, strerror(errno));
    }
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
             (off_t)d->cr.live_offset);
    if (p == MAP_FAILED) {
        close(fd);
        goto fallback;
    }
    d->shm.fd = fd;
    d->shm.map = p;
    d->shm.size = size;
    vupi_live_share(&d->live, p);
    if (d->cr.mbox_offset) {
        d->shm.mbox = (struct vup_cr_mailbox *)((uint8_t *)p + VUPI_LIVE_SIZE);
        d->shm.mbox->kick_irq = d->cr.kick_index;
        d->shm.mbox->num_slots = VUP_CR_MBOX_SLOTS;
    }
    return 0;

fallback:
    /* The standard path does not need it. */
    vup_log(VUP_LOG_WARN, "%s: no shared memory for the control region "
            "(%s): live part and mailbox by messages only", d->name,
            strerror(errno));
    return 0;
}

void vupi_shm_fini(vup_dev *d)
{
    vupi_mbox_set_kick(d, -1);
    if (d->shm.map) {
        vupi_live_unshare(&d->live);
        munmap(d->shm.map, d->shm.size);
        d->shm.map = NULL;
        d->shm.mbox = NULL;
    }
    if (d->shm.fd >= 0) {
        close(d->shm.fd);
        d->shm.fd = -1;
    }
}

/* The next client starts with an empty mailbox. */
void vupi_shm_client_gone(vup_dev *d)
{
    struct vup_cr_mailbox *m = d->shm.mbox;

    vupi_mbox_set_kick(d, -1);
    if (m) {
        memset(m, 0, offsetof(struct vup_cr_mailbox, kick_irq));
        memset(m->ring, 0, sizeof(m->ring));
    }
}

void vupi_shm_before_request(vup_dev *d)
{
    if (d->shm.map) {
        vupi_mbox_serve(d);
    }
}

void vupi_shm_take_vtime(vup_dev *d, bool posted)
{
    uint64_t v;

    if (!d->shm.map) {
        return;
    }
    /*
     * QEMU, when it maps the live part, stores vtime_ns before every
     * request it waits for (and 0 means it never did).  A posted request
     * may have been overtaken by a later store: it keeps the time the
     * message stream gave.
     */
    v = vupi_live_qemu_vtime(&d->live);
    if (!posted && v && v != d->timers.vtime) {
        vupi_time_set(d, v);
    }
}

/* One mailbox request; 0 or a positive errno. */
static int serve_one(vup_dev *d, const struct vup_cr_mbox_req *r,
                     uint64_t *val)
{
    char why[VUPI_WHY_LEN];
    int err;

    *val = 0;
    if ((r->op != VUP_CR_MBOX_OP_READ && r->op != VUP_CR_MBOX_OP_WRITE) ||
        (r->flags & ~VUP_CR_MBOX_FLAGS_KNOWN) ||
        ((r->flags & VUP_CR_MBOX_POSTED) && r->op != VUP_CR_MBOX_OP_WRITE)) {
        vup_log(VUP_LOG_WARN, "%s: mailbox: op %u flags 0x%x refused",
                d->name, r->op, r->flags);
        return EINVAL;
    }
    err = vupi_access_entry(d, r, val, why);
    if (err) {
        vup_log(VUP_LOG_WARN, "%s: mailbox: %s", d->name, why);
        return err;
    }
    d->shm.served++;
    return 0;
}

bool vupi_mbox_serve(vup_dev *d)
{
    struct vup_cr_mailbox *m = d->shm.mbox;
    uint32_t head, tail;
    bool did = false;

    if (!m || d->shm.kick_fd < 0) {
        return false;
    }
    tail = m->tail;
    head = __atomic_load_n(&m->head, __ATOMIC_ACQUIRE);
    while (tail != head) {
        struct vup_cr_mbox_req r;
        uint64_t val;
        int err;

        if (head - tail > VUP_CR_MBOX_SLOTS) {
            vup_log(VUP_LOG_WARN, "%s: mailbox: head %u is %u requests "
                    "ahead of tail %u: ring overrun, dropped", d->name, head,
                    head - tail, tail);
            tail = head;
            __atomic_store_n(&m->tail, tail, __ATOMIC_RELEASE);
            break;
        }
        memcpy(&r, &m->ring[tail % VUP_CR_MBOX_SLOTS], sizeof(r));
        err = serve_one(d, &r, &val);
        if (!(r.flags & VUP_CR_MBOX_POSTED)) {
            m->status = (uint32_t)err;
            m->resp_data = val;
            __atomic_store_n(&m->resp_seq, tail + 1, __ATOMIC_RELEASE);
        }
        tail++;
        __atomic_store_n(&m->tail, tail, __ATOMIC_RELEASE);
        /* Pairs with QEMU's fence between setting q_waiting and checking. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (__atomic_load_n(&m->q_waiting, __ATOMIC_RELAXED)) {
            futex_wake(&m->resp_seq);
            futex_wake(&m->tail);
        }
        did = true;
        head = __atomic_load_n(&m->head, __ATOMIC_ACQUIRE);
    }
    return did;
}

/* Arms the kick; false if a request came in meanwhile. */
static bool mbox_sleep(struct vup_cr_mailbox *m)
{
    __atomic_store_n(&m->b_sleeping, 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&m->head, __ATOMIC_ACQUIRE) != m->tail) {
        __atomic_store_n(&m->b_sleeping, 0, __ATOMIC_RELAXED);
        return false;
    }
    return true;
}

void vupi_mbox_idle(vup_dev *d)
{
    struct vup_cr_mailbox *m = d->shm.mbox;
    uint64_t until, checked, start = vupi_mono_ns();

    if (!m || d->shm.kick_fd < 0) {
        return;
    }
    /*
     * Sleep only once a serve found nothing and no request came in while
     * arming the kick; a request that did is served by the next round.
     */
    while (vupi_mbox_serve(d) || !mbox_sleep(m)) {
        uint64_t now = vupi_mono_ns();

        start = now;
        d->shm.gave_cpu = false;
        /*
         * Active: a polling guest sends the next request within
         * microseconds.  Busy-poll for the first few, then yield between
         * polls so that on a loaded host QEMU's vCPU thread gets the CPU
         * instead of being spun against (spin.c says how long; 0:
         * straight back).
         */
        until = start + d->shm.spin.ns;
        checked = start;
        while (now < until) {
            if (vupi_mbox_serve(d)) {
                start = vupi_mono_ns();
                d->shm.gave_cpu = false;
                until = start + d->shm.spin.ns;
            } else if (now - start < VUPI_BUSY_NS) {
                vupi_cpu_relax();
            } else {
                /* The guest paused: time to write coalesced output. */
                vupi_chardev_flush_all(d);
                d->shm.gave_cpu |= vupi_spin_yield();
            }
            now = vupi_mono_ns();
            if (d->shm.kick_fd < 0) {
                return;
            }
            /*
             * A guest that keeps the mailbox busy must not starve the
             * socket (a reset, a clock, a deadline wake-up) or a serial
             * input: look at the loop's fds now and then (50 us) and
             * let the loop handle them (it comes back here after).
             */
            if (now - checked >= VUPI_PENDING_CHECK_NS) {
                checked = now;
                if (vupi_loop_pending(d)) {
                    return;
                }
            }
        }
    }
    /* Asleep: the kick says how long after the last request it came. */
    d->shm.sleep_start = start;
}

static void kick_ready(void *opaque, int fd, uint32_t events)
{
    vup_dev *d = opaque;
    uint64_t n;

    (void)events;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN) {
        vup_log(VUP_LOG_WARN, "%s: mailbox kick: %s", d->name,
                strerror(errno));
    }
    if (d->shm.mbox) {
        __atomic_store_n(&d->shm.mbox->b_sleeping, 0, __ATOMIC_RELAXED);
    }
    if (d->shm.sleep_start) {
        vupi_spin_learn(&d->shm.spin, vupi_mono_ns() - d->shm.sleep_start,
                        d->shm.gave_cpu);
        d->shm.sleep_start = 0;
    }
    /* vupi_mbox_idle() at the end of this dispatch serves and spins. */
}

void vupi_mbox_set_kick(vup_dev *d, int fd)
{
    if (d->shm.kick_fd >= 0) {
        vup_dev_unwatch_fd(d, d->shm.kick_fd);
        close(d->shm.kick_fd);
        d->shm.kick_fd = -1;
    }
    if (fd < 0) {
        return;
    }
    if (!d->shm.mbox || vup_dev_watch_fd(d, fd, EPOLLIN, kick_ready, d) < 0) {
        vup_log(VUP_LOG_WARN, "%s: mailbox kick fd not usable: %s", d->name,
                d->shm.mbox ? vup_dev_error(d) : "no shared mailbox");
        close(fd);
        return;
    }
    d->shm.kick_fd = fd;
    /* Asleep until the first request: QEMU kicks. */
    __atomic_store_n(&d->shm.mbox->b_sleeping, 1, __ATOMIC_SEQ_CST);
}

uint64_t vup_dev_mailbox_requests(const vup_dev *d)
{
    return d->shm.served;
}
