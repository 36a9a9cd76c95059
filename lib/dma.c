/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DMA_MAP/DMA_UNMAP bookkeeping: a bounded table of the client's memory,
 * mmap'd when it came with an fd; the bounds and permission check of every
 * DMA a model asks for, the copy through the mmap'd maps, and the
 * DMA_READ/DMA_WRITE requests waiting for their replies (sent by
 * dma-rw.c, answered through server.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
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
        while (c->num_dma) {
            unmap_one(c, c->num_dma - 1);
        }
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

static const struct vupi_dma_map *map_at(const struct vupi_conn *c,
                                         uint64_t gpa)
{
    for (size_t i = 0; i < c->num_dma; i++) {
        if (gpa >= c->dma[i].iova && gpa - c->dma[i].iova < c->dma[i].size) {
            return &c->dma[i];
        }
    }
    return NULL;
}

/* "0x20000000+0x18000 rw, ..." into @out, at most @len bytes. */
static void describe_maps(const struct vupi_conn *c, char *out, size_t len)
{
    size_t n = 0;

    out[0] = '\0';
    if (!c->num_dma) {
        snprintf(out, len, "nothing");
        return;
    }
    for (size_t i = 0; i < c->num_dma && n < len; i++) {
        const struct vupi_dma_map *m = &c->dma[i];
        int w = snprintf(out + n, len - n, "%s0x%" PRIx64 "+0x%" PRIx64 " %s%s",
                         i ? ", " : "", m->iova, m->size,
                         m->flags & VFIO_DMA_MAP_FLAG_READ ? "r" : "",
                         m->flags & VFIO_DMA_MAP_FLAG_WRITE ? "w" : "");

        if (w < 0) {
            break;
        }
        n += (size_t)w;
    }
}

int vupi_dma_check(const struct vupi_conn *c, uint64_t gpa, uint64_t len,
                   uint32_t perm, bool *all_mmapped, char *why)
{
    const char *what = perm & VFIO_DMA_MAP_FLAG_WRITE ? "write" : "read";
    char maps[VUPI_DMA_WHY_LEN];
    uint64_t at = gpa, end;

    *all_mmapped = true;
    if (len > UINT64_MAX - gpa) {
        snprintf(why, VUPI_DMA_WHY_LEN, "DMA %s of 0x%" PRIx64 " bytes at 0x%"
                 PRIx64 " wraps around the address space", what, len, gpa);
        return EFAULT;
    }
    end = gpa + len;
    while (at < end) {
        const struct vupi_dma_map *m = map_at(c, at);

        if (!m) {
            describe_maps(c, maps, sizeof(maps));
            snprintf(why, VUPI_DMA_WHY_LEN, "DMA %s of 0x%" PRIx64 " bytes at 0x%"
                     PRIx64 ": 0x%" PRIx64 " is not in guest memory the "
                     "client mapped (mapped: %.200s)", what, len, gpa, at, maps);
            return EFAULT;
        }
        if (!(m->flags & perm)) {
            snprintf(why, VUPI_DMA_WHY_LEN, "DMA %s of 0x%" PRIx64 " bytes at 0x%"
                     PRIx64 ": the map 0x%" PRIx64 "+0x%" PRIx64 " is not "
                     "%s", what, len, gpa, m->iova, m->size,
                     perm & VFIO_DMA_MAP_FLAG_WRITE ? "writable" : "readable");
            return EACCES;
        }
        if (!m->addr) {
            *all_mmapped = false;
        }
        /* Maps do not overlap: the next part starts where this one ends. */
        at = m->size - (at - m->iova) >= end - at ? end : m->iova + m->size;
    }
    return 0;
}

void vupi_dma_copy(struct vupi_conn *c, uint64_t gpa, void *buf, size_t len,
                   bool to_guest)
{
    uint8_t *b = buf;

    while (len) {
        const struct vupi_dma_map *m = map_at(c, gpa);
        uint64_t off = gpa - m->iova;
        size_t n = m->size - off < len ? (size_t)(m->size - off) : len;
        uint8_t *g = (uint8_t *)m->addr + off;

        memcpy(to_guest ? g : b, to_guest ? b : g, n);
        gpa += n;
        b += n;
        len -= n;
    }
    /*
     * The guest must see the data before whatever the model does next
     * (its IRQ through the live part): order these stores before later
     * ones.
     */
    atomic_thread_fence(memory_order_release);
}

struct vupi_dma_req *vupi_dma_pending_new(struct vupi_conn *c)
{
    if (c->num_pending == VUPI_DMA_MAX_PENDING) {
        return NULL;
    }
    for (size_t i = 0; i < VUPI_DMA_MAX_PENDING; i++) {
        struct vupi_dma_req *r = &c->pending[i];

        if (!r->used) {
            *r = (struct vupi_dma_req){ .used = true, .id = c->next_dma_id++ };
            c->num_pending++;
            return r;
        }
    }
    return NULL;
}

void vupi_dma_pending_drop(struct vupi_conn *c, struct vupi_dma_req *r)
{
    if (r->used) {
        r->used = false;
        c->num_pending--;
    }
}

/* Tells @r's caller (once) and frees the slot unless it must wait on. */
static void finish(struct vupi_conn *c, struct vupi_dma_req *r, int status,
                   bool keep_slot)
{
    vup_dma_done_fn done = r->abandoned ? NULL : r->done;
    void *opaque = r->opaque;

    if (keep_slot) {
        r->abandoned = true;
    } else {
        vupi_dma_pending_drop(c, r);
    }
    if (done) {
        done(opaque, status);
    }
}

uint64_t vupi_dma_expire(vup_dev *d, uint64_t now_ms)
{
    struct vupi_conn *c = &d->server.conn;
    uint64_t next = 0;

    for (size_t i = 0; i < VUPI_DMA_MAX_PENDING; i++) {
        struct vupi_dma_req *r = &c->pending[i];

        if (!r->used || r->abandoned) {
            continue;
        }
        if (r->deadline_ms <= now_ms) {
            vup_log(VUP_LOG_ERROR, "%s: %s: %s of %u bytes at 0x%" PRIx64
                    " (id %u): no reply in %u ms", d->name, r->periph->name,
                    r->command == VUPI_CMD_DMA_READ ? "DMA_READ" : "DMA_WRITE",
                    r->len, r->gpa, r->id, d->dma.timeout_ms);
            finish(c, r, -ETIMEDOUT, true);
        } else if (!next || r->deadline_ms < next) {
            next = r->deadline_ms;
        }
    }
    return next;
}

int vupi_dma_reply(vup_dev *d, const struct vupi_msg_hdr *h,
                   const uint8_t *p, size_t len, char *why)
{
    struct vupi_conn *c = &d->server.conn;
    const char *cmd = h->command == VUPI_CMD_DMA_READ ? "DMA_READ"
                                                      : "DMA_WRITE";
    struct vupi_dma_req *r = NULL;
    struct vupi_msg_dma_rw rw;

    for (size_t i = 0; i < VUPI_DMA_MAX_PENDING; i++) {
        if (c->pending[i].used && c->pending[i].id == h->id) {
            r = &c->pending[i];
            break;
        }
    }
    if (!r || r->command != h->command) {
        snprintf(why, VUPI_DMA_WHY_LEN, "a %s reply with id %u, but no such "
                 "request is waiting", cmd, h->id);
        return -EPROTO;
    }
    if (h->flags & VUPI_MSG_ERROR) {
        int err = h->error_reply > 0 && h->error_reply < 4096
                  ? (int)h->error_reply : EIO;

        vup_log(VUP_LOG_ERROR, "%s: %s: %s of %u bytes at 0x%" PRIx64
                " refused by the client: %s", d->name, r->periph->name, cmd,
                r->len, r->gpa, strerror(err));
        finish(c, r, -err, false);
        return 0;
    }
    if (h->command == VUPI_CMD_DMA_READ) {
        /* The data after the echo of the request. */
        if (len != VUPI_DMA_RW_DATA + (size_t)r->len) {
            snprintf(why, VUPI_DMA_WHY_LEN, "DMA_READ reply id %u of %zu bytes "
                     "for %u bytes of data", h->id, len, r->len);
            return -EPROTO;
        }
        memcpy(&rw, p, sizeof(rw));
        if (rw.offset != r->gpa || rw.count != r->len) {
            snprintf(why, VUPI_DMA_WHY_LEN, "DMA_READ reply id %u is for 0x%"
                     PRIx64 "+%" PRIu64 ", the request was for 0x%" PRIx64
                     "+%u", h->id, rw.offset, rw.count, r->gpa, r->len);
            return -EPROTO;
        }
        memcpy(r->buf, p + VUPI_DMA_RW_DATA, r->len);
    } else if (len && len != sizeof(rw)) {
        /* QEMU's reply is the bare header; the spec's echoes the request. */
        snprintf(why, VUPI_DMA_WHY_LEN, "DMA_WRITE reply id %u with a %zu-byte "
                 "payload", h->id, len);
        return -EPROTO;
    }
    vup_log(VUP_LOG_DEBUG, "%s: %s: %s reply id %u: %u bytes at 0x%" PRIx64,
            d->name, r->periph->name, cmd, h->id, r->len, r->gpa);
    finish(c, r, 0, false);
    return 0;
}

void vupi_dma_clear(vup_dev *d)
{
    struct vupi_conn *c = &d->server.conn;

    for (size_t i = 0; i < VUPI_DMA_MAX_PENDING; i++) {
        struct vupi_dma_req *r = &c->pending[i];

        if (r->used) {
            if (!r->abandoned) {
                vup_log(VUP_LOG_ERROR, "%s: %s: DMA of %u bytes at 0x%" PRIx64
                        " failed: the client went before it replied",
                        d->name, r->periph->name, r->len, r->gpa);
            }
            finish(c, r, -ECONNRESET, false);
        }
    }
    c->next_dma_id = 0;
    while (c->num_dma) {
        unmap_one(c, c->num_dma - 1);
    }
}
