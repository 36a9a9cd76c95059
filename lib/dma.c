/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA_MAP/DMA_UNMAP bookkeeping: a bounded table of the client's memory,
 * mmap'd when it came with an fd.  Nothing reads it yet (no device-side
 * DMA); keeping it exact lets a later DMA engine trust it.
 */
#include <errno.h>
#include <sys/mman.h>

#include "internal.h"

static bool overlaps(const struct vupi_dma_map *m, uint64_t iova,
                     uint64_t size)
{
    return iova < m->iova + m->size && m->iova < iova + size;
}

int vupi_dma_map(struct vupi_conn *c, const struct vupi_msg_dma_map *m, int fd)
{
    const uint32_t known = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    struct vupi_dma_map *e;
    void *addr = NULL;

    if (!m->flags || (m->flags & ~known) || !m->size ||
        m->iova % VUPI_DMA_PGSIZE || m->size % VUPI_DMA_PGSIZE ||
        m->iova > UINT64_MAX - m->size) {
        return EINVAL;
    }
    for (size_t i = 0; i < c->num_dma; i++) {
        if (overlaps(&c->dma[i], m->iova, m->size)) {
            return EEXIST;
        }
    }
    if (c->num_dma == VUPI_DMA_MAX_MAPS) {
        return ENOSPC;
    }
    if (fd >= 0) {
        int prot = (m->flags & VFIO_DMA_MAP_FLAG_READ ? PROT_READ : 0) |
                   (m->flags & VFIO_DMA_MAP_FLAG_WRITE ? PROT_WRITE : 0);

        if (m->offset % VUPI_DMA_PGSIZE || m->size > SIZE_MAX) {
            return EINVAL;
        }
        addr = mmap(NULL, m->size, prot, MAP_SHARED, fd, (off_t)m->offset);
        if (addr == MAP_FAILED) {
            return errno;
        }
    }
    e = &c->dma[c->num_dma++];
    *e = (struct vupi_dma_map){
        .iova = m->iova, .size = m->size, .flags = m->flags, .addr = addr,
    };
    return 0;
}

static void unmap_one(struct vupi_conn *c, size_t i)
{
    if (c->dma[i].addr) {
        munmap(c->dma[i].addr, c->dma[i].size);
    }
    c->dma[i] = c->dma[--c->num_dma];
}

int vupi_dma_unmap(struct vupi_conn *c, const struct vupi_msg_dma_unmap *m)
{
    if (m->flags == VFIO_DMA_UNMAP_FLAG_ALL) {
        if (m->iova || m->size) {
            return EINVAL;
        }
        vupi_dma_clear(c);
        return 0;
    }
    if (m->flags) {
        return EINVAL;
    }
    for (size_t i = 0; i < c->num_dma; i++) {
        if (c->dma[i].iova == m->iova && c->dma[i].size == m->size) {
            unmap_one(c, i);
            return 0;
        }
    }
    return EINVAL;
}

void vupi_dma_clear(struct vupi_conn *c)
{
    while (c->num_dma) {
        unmap_one(c, c->num_dma - 1);
    }
}
