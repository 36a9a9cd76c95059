/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Direct-mapped windows (docs/control-region.md, "Direct-mapped windows"):
 * one memfd holds a read-only mirror of every window's registers that have
 * no read hook, so QEMU can serve reads of control and status registers
 * from memory.  regs.c stores each such register's value here whenever it
 * changes, so the mirror is current at every reply and doorbell.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define PAGE 4096u

static uint32_t page_round(uint32_t n)
{
    return (n + PAGE - 1) & ~(PAGE - 1);
}

static bool direct_reg(const vup_periph *p, size_t i)
{
    /*
     * A read hook means a side effect or a value computed at read time; a
     * field's read action (read-to-clear...) a side effect.
     */
    return p->sorted[i]->read == NULL && !p->sem[i].read_effect;
}

size_t vupi_mirror_ranges(const vup_periph *p, struct vupi_range *out,
                          size_t max)
{
    bool extend = false;
    size_t n = 0;

    /*
     * Runs of hook-less registers, in offset order, with the reserved
     * gaps between them (they read as 0, in the mirror too): few ranges.
     */
    for (size_t i = 0; i < p->desc.num_regs; i++) {
        const struct vup_reg *r = p->sorted[i];

        if (!direct_reg(p, i)) {
            extend = false;
            continue;
        }
        if (extend) {
            out[n - 1].size = r->offset + 4 - out[n - 1].offset;
        } else if (n < max) {
            extend = true;
            out[n++] = (struct vupi_range){ .offset = r->offset, .size = 4 };
        } else {
            return max + 1;     /* too many: the caller gives up */
        }
    }
    return n;
}

static void fill(vup_periph *p)
{
    for (size_t i = 0; i < p->desc.num_regs; i++) {
        vupi_mirror_store(p, i);
    }
}

int vupi_mirror_init(vup_dev *d)
{
    struct vupi_range ranges[VUP_CR_MAX_DIRECT];
    size_t total = 0, budget = VUP_CR_MAX_DIRECT;
    uint64_t size = 0;
    uint8_t *map;
    int fd;

    if (d->no_fast_path || d->mirror.map) {
        return 0;
    }
    /* Which windows get a mirror: those with ranges, within the bound. */
    for (size_t i = 0; i < d->num_periphs; i++) {
        vup_periph *p = d->periphs[i];
        size_t n = vupi_mirror_ranges(p, ranges, budget);

        p->num_direct = 0;
        if (n == 0 || n > budget) {
            continue;
        }
        p->num_direct = n;
        p->mirror_offset = size;
        p->mirror_size = page_round(p->desc.size);
        size += p->mirror_size;
        budget -= n;
        total += n;
    }
    if (!total) {
        return 0;
    }
    fd = memfd_create("vup-windows", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
        goto fallback;
    }
    map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        goto fallback;
    }
    /* Our mapping stays writable; the client's can only be read-only. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
              F_SEAL_FUTURE_WRITE) < 0) {
        vup_log(VUP_LOG_WARN, "%s: cannot seal the window mirror (%s): "
                "a client could map it writable", d->name, strerror(errno));
    }
    d->mirror.fd = fd;
    d->mirror.map = map;
    d->mirror.size = size;
    for (size_t i = 0; i < d->num_periphs; i++) {
        vup_periph *p = d->periphs[i];

        if (p->num_direct) {
            p->mirror = (uint32_t *)(map + p->mirror_offset);
            fill(p);
        }
    }
    return 0;

fallback:
    vup_log(VUP_LOG_WARN, "%s: no shared memory for the window mirror (%s): "
            "every read is forwarded", d->name, strerror(errno));
    if (fd >= 0) {
        close(fd);
    }
    for (size_t i = 0; i < d->num_periphs; i++) {
        d->periphs[i]->num_direct = 0;
    }
    return 0;
}

void vupi_mirror_fini(vup_dev *d)
{
    for (size_t i = 0; i < d->num_periphs; i++) {
        d->periphs[i]->mirror = NULL;
        d->periphs[i]->num_direct = 0;
    }
    if (d->mirror.map) {
        munmap(d->mirror.map, d->mirror.size);
        d->mirror.map = NULL;
    }
    if (d->mirror.fd >= 0) {
        close(d->mirror.fd);
        d->mirror.fd = -1;
    }
}

void vupi_mirror_store(vup_periph *p, size_t i)
{
    const struct vup_reg *r = p->sorted[i];

    if (p->mirror && direct_reg(p, i)) {
        /* Untorn; the reply (a syscall) or a release store orders it. */
        __atomic_store_n(&p->mirror[r->offset / 4], p->values[i],
                         __ATOMIC_RELAXED);
    }
}
