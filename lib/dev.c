/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup_dev: the device description (peripherals, IRQ lines, memories, CPU),
 * and the public entry points that drive the modules (reset: reset.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "internal.h"

static bool name_ok(const char *name)
{
    return name && name[0] && strlen(name) < VUP_CR_NAME_LEN;
}

vup_dev *vup_dev_new(const char *name)
{
    vup_dev *d;

    if (!name_ok(name)) {
        vup_log(VUP_LOG_ERROR, "device name must have 1 to %u characters",
                VUP_CR_NAME_LEN - 1);
        errno = EINVAL;
        return NULL;
    }
    d = calloc(1, sizeof(*d));
    if (!d) {
        return NULL;
    }
    strcpy(d->name, name);
    /* Each module's initial state (mirror.c's: no memfd yet). */
    d->mirror.fd = -1;
    vupi_live_init(&d->live);
    vupi_shm_init(d);
    vupi_server_init(d);
    vupi_dma_init(d);
    vupi_ctl_init(d);
    if (vupi_loop_init(d) < 0) {
        free(d);
        return NULL;
    }
    return d;
}

static void periph_free(vup_periph *p)
{
    free(p->sorted);
    free(p->values);
    free(p);
}

void vup_dev_free(vup_dev *d)
{
    if (!d) {
        return;
    }
    /* Control clients first: their waits end before the QEMU client's. */
    vupi_ctl_fini(d);
    vupi_server_fini(d);
    vupi_dma_fini(d);
    vupi_chardev_close_all(d);
    vupi_loop_fini(d);
    vupi_timers_free(d);
    vupi_signals_fini(d);
    vupi_wires_fini(d);
    vupi_shm_fini(d);
    vupi_mirror_fini(d);
    for (size_t i = 0; i < d->num_periphs; i++) {
        periph_free(d->periphs[i]);
    }
    vupi_cr_fini(d);
    free(d);
}

static int check_open(vup_dev *d)
{
    if (d->cr.desc) {
        return vupi_fail(d, EBUSY, "device already serving: add "
                         "everything before vup_dev_listen()");
    }
    return 0;
}

static int check_irqs(vup_dev *d, const struct vup_periph_desc *desc)
{
    if (desc->num_irqs && !desc->irqs) {
        return vupi_fail(d, EINVAL, "%s: num_irqs %zu but no table",
                         desc->name, desc->num_irqs);
    }
    if (desc->num_irqs > VUP_CR_MAX_IRQS - d->irqs.num) {
        return vupi_fail(d, ENOSPC, "%s: more than %u IRQ lines in the "
                         "device", desc->name, VUP_CR_MAX_IRQS);
    }
    for (size_t i = 0; i < desc->num_irqs; i++) {
        const struct vup_irq_desc *q = &desc->irqs[i];

        if (!name_ok(q->name)) {
            return vupi_fail(d, EINVAL, "%s: IRQ %zu name must have 1 to "
                             "%u characters", desc->name, i,
                             VUP_CR_NAME_LEN - 1);
        }
        if (q->flags != VUP_CR_IRQ_LEVEL && q->flags != VUP_CR_IRQ_EDGE) {
            return vupi_fail(d, EINVAL, "%s: IRQ %s flags 0x%x must be "
                             "exactly one of LEVEL, EDGE", desc->name,
                             q->name, q->flags);
        }
    }
    return 0;
}

vup_periph *vup_dev_add_periph(vup_dev *d, const struct vup_periph_desc *desc,
                               void *opaque)
{
    char err[sizeof(d->error.msg)];
    vup_periph *p;
    int ret;

    if (check_open(d) < 0) {
        return NULL;
    }
    if (!desc || !name_ok(desc->name)) {
        vupi_fail(d, EINVAL, "peripheral name must have 1 to %u "
                  "characters", VUP_CR_NAME_LEN - 1);
        return NULL;
    }
    if (d->num_periphs == VUPI_MAX_PERIPHS) {
        vupi_fail(d, ENOSPC, "%s: more than %u peripherals", desc->name,
                  VUPI_MAX_PERIPHS);
        return NULL;
    }
    for (size_t i = 0; i < d->num_periphs; i++) {
        if (!strcmp(d->periphs[i]->name, desc->name)) {
            vupi_fail(d, EEXIST, "peripheral %s added twice", desc->name);
            return NULL;
        }
    }
    if (desc->size < 4 || desc->size % 4 ||
        desc->base > UINT64_MAX - desc->size) {
        vupi_fail(d, EINVAL, "%s: window 0x%" PRIx64 "+0x%x: size must "
                  "be a non-zero multiple of 4 and fit", desc->name,
                  desc->base, desc->size);
        return NULL;
    }
    if (desc->mmio_flags & ~VUP_CR_MMIO_POSTED_WRITES) {
        vupi_fail(d, EINVAL, "%s: mmio_flags 0x%x: only "
                  "VUP_CR_MMIO_POSTED_WRITES is yours to set (the library "
                  "direct-maps registers without a read hook)", desc->name,
                  desc->mmio_flags & ~VUP_CR_MMIO_POSTED_WRITES);
        return NULL;
    }
    if (check_irqs(d, desc) < 0) {
        return NULL;
    }
    p = vupi_zalloc(d, sizeof(*p));
    if (!p) {
        return NULL;
    }
    p->dev = d;
    p->desc = *desc;
    strcpy(p->name, desc->name);
    p->desc.name = p->name;
    p->opaque = opaque;
    ret = vupi_regs_init(p, err, sizeof(err));
    if (ret < 0) {
        vupi_fail(d, -ret, "%s", err);
        periph_free(p);
        return NULL;
    }
    vupi_regs_reset(p);
    p->region = (uint32_t)d->num_periphs + 1;
    p->irq_base = vupi_irqs_add(d, p);
    d->periphs[d->num_periphs++] = p;
    return p;
}

int vup_dev_add_memory(vup_dev *d, enum vup_cr_memory_kind kind,
                       uint64_t base, uint64_t size, const char *name)
{
    int ret = check_open(d);

    if (ret < 0) {
        return ret;
    }
    if (!name_ok(name)) {
        return vupi_fail(d, EINVAL, "memory name must have 1 to %u "
                         "characters", VUP_CR_NAME_LEN - 1);
    }
    if (kind != VUP_CR_MEMORY_FLASH && kind != VUP_CR_MEMORY_RAM) {
        return vupi_fail(d, EINVAL, "%s: unknown memory kind %d", name,
                         kind);
    }
    if (!size || base > UINT64_MAX - size) {
        return vupi_fail(d, EINVAL, "%s: bad range 0x%" PRIx64 "+0x%"
                         PRIx64, name, base, size);
    }
    if (d->num_memories == VUPI_MAX_MEMORIES) {
        return vupi_fail(d, ENOSPC, "more than %u memories",
                         VUPI_MAX_MEMORIES);
    }
    d->memories[d->num_memories] = (struct vupi_memory){
        .kind = kind, .base = base, .size = size,
    };
    strcpy(d->memories[d->num_memories++].name, name);
    return 0;
}

int vup_dev_set_cpu(vup_dev *d, const char *cpu_type, uint32_t num_irq)
{
    int ret = check_open(d);

    if (ret < 0) {
        return ret;
    }
    if (!cpu_type || strlen(cpu_type) >= VUP_CR_NAME_LEN) {
        return vupi_fail(d, EINVAL, "CPU type must have at most %u "
                         "characters", VUP_CR_NAME_LEN - 1);
    }
    strcpy(d->cpu_type, cpu_type);
    d->cpu_num_irq = num_irq;
    d->has_cpu = true;
    return 0;
}

int vup_dev_set_fast_path(vup_dev *d, bool enable)
{
    if (d->cr.desc) {
        return vupi_fail(d, EBUSY, "device already serving: set the "
                         "fast path before vup_dev_listen()");
    }
    d->no_fast_path = !enable;
    return 0;
}

/* Mirror, descriptor, shared memory: after this nothing can be added. */
static int freeze(vup_dev *d)
{
    int ret;

    if (d->cr.desc) {
        return 0;
    }
    /* Signals connected inside the backend are not published. */
    ret = vupi_wires_connect(d);
    if (ret < 0) {
        return ret;
    }
    /* The mirror first: the descriptor lists only what it could map. */
    ret = vupi_mirror_init(d);
    if (ret < 0) {
        return ret;
    }
    ret = vupi_cr_encode(d);
    if (ret < 0) {
        return ret;
    }
    return vupi_shm_create(d);
}

const void *vup_dev_descriptor(vup_dev *d, size_t *size)
{
    if (freeze(d) < 0) {
        return NULL;
    }
    *size = d->cr.desc_size;
    return d->cr.desc;
}

/* ---- reset -------------------------------------------------------------- */

void vup_dev_reset(vup_dev *d)
{
    vupi_reset(d);
}

/* ---- polling ------------------------------------------------------------ */

void vup_dev_set_spin_us(vup_dev *d, unsigned us)
{
    vupi_spin_init(&d->loop.spin, us, d->loop.spin.adaptive);
    vupi_spin_init(&d->shm.spin, us, d->shm.spin.adaptive);
}

void vup_dev_set_spin_adaptive(vup_dev *d, bool adaptive)
{
    vupi_spin_init(&d->loop.spin, (unsigned)(d->loop.spin.max_ns / 1000u),
                   adaptive);
    vupi_spin_init(&d->shm.spin, (unsigned)(d->shm.spin.max_ns / 1000u),
                   adaptive);
}

void vup_dev_spin_now(const vup_dev *d, uint64_t *socket_ns,
                      uint64_t *mailbox_ns)
{
    *socket_ns = d->loop.spin.ns;
    *mailbox_ns = d->shm.spin.ns;
}

/* ---- serving ------------------------------------------------------------ */

int vup_dev_listen(vup_dev *d, const char *path)
{
    int ret = freeze(d);

    return ret < 0 ? ret : vupi_server_listen(d, path);
}

int vup_dev_dispatch(vup_dev *d, int timeout_ms)
{
    struct epoll_event ev[16];
    int n = vupi_loop_poll(d, ev, VUPI_ARRAY_SIZE(ev), timeout_ms);

    if (n == 0) {
        /*
         * Nothing may wait in a buffer while we sleep: output coalesced
         * while the mailbox was busy is flushed there once the guest
         * pauses, but a spin cut short (the thread descheduled past its
         * end) skips that.
         */
        if (timeout_ms != 0) {
            vupi_chardev_flush_all(d);
        }
        n = vupi_loop_wait(d, ev, VUPI_ARRAY_SIZE(ev), timeout_ms);
    }
    if (n < 0) {
        if (errno == EINTR) {
            return 0;
        }
        return vupi_fail(d, errno, "epoll_wait: %s", strerror(errno));
    }
    vupi_loop_deliver(d, ev, n);
    vupi_chardev_flush_all(d);
    /* A busy mailbox is polled a while before the next wait. */
    vupi_mbox_idle(d);
    return 0;
}

int vup_dev_run(vup_dev *d)
{
    int ret = 0;

    d->stop = false;
    while (!d->stop && ret == 0) {
        ret = vup_dev_dispatch(d, -1);
    }
    return ret;
}

void vup_dev_stop(vup_dev *d)
{
    d->stop = true;
}

/* ---- accessors ---------------------------------------------------------- */

void *vup_periph_opaque(const vup_periph *p)
{
    return p->opaque;
}

vup_dev *vup_periph_dev(const vup_periph *p)
{
    return p->dev;
}

const char *vup_periph_name(const vup_periph *p)
{
    return p->name;
}
