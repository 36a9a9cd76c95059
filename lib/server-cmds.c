/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server's commands: a handler per vfio-user request, each checking
 * its payload before it acts (server.c frames, dispatches and replies).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "server.h"

const char *vupi_cmd_name(uint16_t cmd)
{
    static const char *const names[] = {
        [VUPI_CMD_VERSION] = "VERSION",
        [VUPI_CMD_DMA_MAP] = "DMA_MAP",
        [VUPI_CMD_DMA_UNMAP] = "DMA_UNMAP",
        [VUPI_CMD_DEVICE_GET_INFO] = "DEVICE_GET_INFO",
        [VUPI_CMD_DEVICE_GET_REGION_INFO] = "DEVICE_GET_REGION_INFO",
        [VUPI_CMD_DEVICE_GET_REGION_IO_FDS] = "DEVICE_GET_REGION_IO_FDS",
        [VUPI_CMD_DEVICE_GET_IRQ_INFO] = "DEVICE_GET_IRQ_INFO",
        [VUPI_CMD_DEVICE_SET_IRQS] = "DEVICE_SET_IRQS",
        [VUPI_CMD_REGION_READ] = "REGION_READ",
        [VUPI_CMD_REGION_WRITE] = "REGION_WRITE",
        [VUPI_CMD_DMA_READ] = "DMA_READ",
        [VUPI_CMD_DMA_WRITE] = "DMA_WRITE",
        [VUPI_CMD_DEVICE_RESET] = "DEVICE_RESET",
        [VUPI_CMD_REGION_WRITE_MULTI] = "REGION_WRITE_MULTI",
    };

    return cmd < VUPI_ARRAY_SIZE(names) && names[cmd] ? names[cmd]
                                                      : "unknown command";
}

void *vupi_reply_buf(struct vupi_reply *r, size_t len)
{
    if (len <= sizeof(r->small.bytes)) {
        r->data = r->small.bytes;
    } else {
        r->heap = malloc(len);
        r->data = r->heap;
    }
    if (r->data) {
        memset(r->data, 0, len);
        r->len = len;
    }
    return r->data;
}

int vupi_reject(const struct vupi_msg_hdr *h, int err, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    vup_log(VUP_LOG_WARN, "client: %s (id %u): %s: %s", vupi_cmd_name(h->command),
            h->id, msg, strerror(err));
    return err;
}

/* ---- VERSION -------------------------------------------------------------- */

static bool json_uint(json_object *o)
{
    return json_object_is_type(o, json_type_int) &&
           json_object_get_int64(o) >= 0;
}

/*
 * The numeric capabilities, each answered with our own value.  The client's
 * must be a non-negative integer sharing a bit with @need (0: any such, ~0:
 * any but 0), else @bad says why not.
 */
static const struct num_cap {
    const char *key;
    int64_t need;
    int32_t ours;
    const char *bad;
} num_caps[] = {
    { "max_msg_fds", 0, VUPI_MSG_MAX_FDS,
      "max_msg_fds is not a non-negative integer" },
    { "max_data_xfer_size", ~0, VUPI_MSG_MAX_XFER,
      "max_data_xfer_size is not a positive integer" },
    { "pgsizes", VUPI_DMA_PGSIZE, VUPI_DMA_PGSIZE,
      "pgsizes does not include 4096" },
    { "max_dma_maps", ~0, VUPI_DMA_MAX_MAPS,
      "max_dma_maps is not a positive integer" },
};

static const struct num_cap *find_num_cap(const char *key)
{
    for (size_t i = 0; i < VUPI_ARRAY_SIZE(num_caps); i++) {
        if (!strcmp(key, num_caps[i].key)) {
            return &num_caps[i];
        }
    }
    return NULL;
}

/*
 * Checks the client's capabilities and builds ours: only those the client
 * proposed (the reply must be a subset, and QEMU reads the reply into a
 * buffer the size of its request).
 */
static int negotiate_caps(vup_dev *d, json_object *caps, json_object *out,
                          const char **what)
{
    json_object_object_foreach(caps, key, val) {
        const struct num_cap *nc = find_num_cap(key);

        if (nc) {
            if (!json_uint(val) ||
                (nc->need && !(json_object_get_int64(val) & nc->need))) {
                *what = nc->bad;
                return EINVAL;
            }
            json_object_object_add(out, key, json_object_new_int(nc->ours));
        } else if (!strcmp(key, "write_multiple")) {
            if (!json_object_is_type(val, json_type_boolean)) {
                *what = "write_multiple is not a boolean";
                return EINVAL;
            }
            /* QEMU only coalesces posted writes, in order: we take them. */
            d->server.conn.write_multi = json_object_get_boolean(val);
            if (d->server.conn.write_multi) {
                json_object_object_add(out, key,
                                       json_object_new_boolean(true));
            }
        } else {
            /* migration, twin_socket...: not supported, so not echoed. */
            vup_log(VUP_LOG_DEBUG, "client capability %s ignored", key);
        }
    }
    return 0;
}

static int parse_version_json(vup_dev *d, const char *s, size_t len,
                              json_object *out, const char **what)
{
    json_tokener *tok;
    json_object *obj, *caps;
    int ret = 0;

    if (!len || s[len - 1] || strlen(s) != len - 1) {
        *what = "capabilities are not one NUL-terminated string";
        return EINVAL;
    }
    tok = json_tokener_new();
    if (!tok) {
        return ENOMEM;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, s, (int)(len - 1));
    if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
        json_tokener_get_parse_end(tok) != len - 1) {
        *what = "capabilities are not valid JSON";
        ret = EINVAL;
    } else if (!json_object_is_type(obj, json_type_object)) {
        *what = "capabilities are not a JSON object";
        ret = EINVAL;
    } else if (json_object_object_get_ex(obj, "capabilities", &caps)) {
        if (!json_object_is_type(caps, json_type_object)) {
            *what = "\"capabilities\" is not an object";
            ret = EINVAL;
        } else {
            json_object *ours = json_object_new_object();

            ret = negotiate_caps(d, caps, ours, what);
            json_object_object_add(out, "capabilities", ours);
        }
    }
    json_object_put(obj);
    json_tokener_free(tok);
    return ret;
}

static int h_version(vup_dev *d, const struct vupi_msg_hdr *h,
                     const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vupi_msg_version v, *rv;
    json_object *out;
    const char *what = NULL, *js = NULL;
    size_t jlen = 0;
    int ret = 0;

    if (d->server.conn.negotiated) {
        return vupi_reject(h, EINVAL, "version already negotiated");
    }
    /* A client we cannot talk to is not kept. */
    d->server.conn.close_after = true;
    if (len < sizeof(v)) {
        return vupi_reject(h, EINVAL, "%zu-byte payload", len);
    }
    memcpy(&v, p, sizeof(v));
    if (v.major != VUPI_PROTO_MAJOR) {
        return vupi_reject(h, EINVAL, "version %u.%u: only major %u is supported",
                      v.major, v.minor, VUPI_PROTO_MAJOR);
    }
    out = json_object_new_object();
    if (!out) {
        return ENOMEM;
    }
    d->server.conn.write_multi = false;
    if (len > sizeof(v)) {
        ret = parse_version_json(d, (const char *)p + sizeof(v),
                                 len - sizeof(v), out, &what);
        js = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
        jlen = strlen(js) + 1;
    }
    if (!ret && !vupi_reply_buf(r, sizeof(*rv) + jlen)) {
        ret = ENOMEM;
    }
    if (!ret) {
        rv = r->data;
        rv->major = VUPI_PROTO_MAJOR;
        rv->minor = VUPI_PROTO_MINOR;
        if (jlen) {
            memcpy((uint8_t *)r->data + sizeof(*rv), js, jlen);
        }
        d->server.conn.negotiated = true;
        d->server.conn.close_after = false;
        if (sizeof(*h) + r->len > h->size) {
            vup_log(VUP_LOG_WARN, "VERSION reply (%zu bytes) is larger than "
                    "the request (%u): a QEMU client will refuse it",
                    sizeof(*h) + r->len, h->size);
        }
        vup_log(VUP_LOG_DEBUG, "negotiated: %s", js ? js : "no capabilities");
    } else if (what) {
        vupi_reject(h, ret, "%s", what);
    }
    json_object_put(out);
    return ret;
}

/* ---- device, region and IRQ info -------------------------------------- */

/*
 * The VFIO info requests start with argsz: the payload must hold the whole
 * struct and argsz must cover it.
 */
static int take_info_args(const struct vupi_msg_hdr *h, const uint8_t *p,
                          size_t len, void *in, size_t size)
{
    uint32_t argsz;

    if (len < size) {
        return vupi_reject(h, EINVAL, "%zu-byte payload", len);
    }
    memcpy(in, p, size);
    memcpy(&argsz, in, sizeof(argsz));
    if (argsz < size) {
        return vupi_reject(h, EINVAL, "argsz %u is below %zu", argsz, size);
    }
    return 0;
}

static int h_device_info(vup_dev *d, const struct vupi_msg_hdr *h,
                         const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vupi_msg_device_info in, *out;
    int ret;

    ret = take_info_args(h, p, len, &in, sizeof(in));
    if (ret) {
        return ret;
    }
    out = vupi_reply_buf(r, sizeof(*out));
    if (!out) {
        return ENOMEM;
    }
    out->argsz = sizeof(*out);
    out->flags = VFIO_DEVICE_FLAGS_PLATFORM | VFIO_DEVICE_FLAGS_RESET;
    out->num_regions = (uint32_t)d->num_periphs + 1;
    out->num_irqs = vupi_cr_num_irq_indexes(d);
    return 0;
}

static bool in_shm(const vup_dev *d)
{
    return d->shm.fd >= 0;
}

/*
 * VFIO_REGION_INFO_CAP_SPARSE_MMAP with one area (linux/vfio.h layout; the
 * kernel's struct ends in a flexible array).
 */
struct sparse_mmap_1 {
    struct vfio_info_cap_header header;
    uint32_t nr_areas;
    uint32_t reserved;
    uint64_t offset;
    uint64_t size;
};

/* @sp: @size bytes at @offset of the region, mappable from @fd. */
static void sparse_area(struct sparse_mmap_1 *sp, uint64_t offset,
                        uint64_t size, int fd, struct vupi_reply *r)
{
    sp->header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
    sp->header.version = 1;
    sp->nr_areas = 1;
    sp->offset = offset;
    sp->size = size;
    r->fd = fd;
}

static int h_region_info(vup_dev *d, const struct vupi_msg_hdr *h,
                         const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vfio_region_info in, *out;
    struct vfio_region_info_cap_type *cap;
    struct sparse_mmap_1 *sp;
    const bool shm = in_shm(d);
    const uint32_t need_cap = sizeof(*out) + sizeof(*cap) +
                              (shm ? sizeof(*sp) : 0);
    size_t out_size = sizeof(*out);
    int ret;

    ret = take_info_args(h, p, len, &in, sizeof(in));
    if (ret) {
        return ret;
    }
    if (in.index > d->num_periphs) {
        return vupi_reject(h, EINVAL, "region %u: the device has %zu", in.index,
                      d->num_periphs + 1);
    }
    /* The cap only goes in whole: QEMU rejects CAPS with cap_offset 0. */
    if (in.index == VUP_CR_REGION_INDEX) {
        out_size = in.argsz >= need_cap ? need_cap : sizeof(*out);
    } else if (d->periphs[in.index - 1]->mirror &&
               in.argsz >= sizeof(*out) + sizeof(*sp)) {
        out_size = sizeof(*out) + sizeof(*sp);
    }
    out = vupi_reply_buf(r, out_size);
    if (!out) {
        return ENOMEM;
    }
    out->argsz = sizeof(*out);
    out->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
    out->index = in.index;
    if (in.index == VUP_CR_REGION_INDEX) {
        out->size = vupi_cr_size(d);
        out->argsz = need_cap;
        if (in.argsz >= need_cap) {
            out->flags |= VFIO_REGION_INFO_FLAG_CAPS;
            out->cap_offset = sizeof(*out);
            cap = (void *)(out + 1);
            cap->header.id = VFIO_REGION_INFO_CAP_TYPE;
            cap->header.version = 1;
            cap->type = VUP_CR_REGION_TYPE;
            cap->subtype = VUP_CR_REGION_SUBTYPE;
            if (shm) {
                /* The live part (and mailbox) may be mapped: the memfd. */
                out->flags |= VFIO_REGION_INFO_FLAG_MMAP;
                out->offset = 0;
                cap->header.next = sizeof(*out) + sizeof(*cap);
                sp = (void *)(cap + 1);
                sparse_area(sp, d->cr.live_offset, d->shm.size, d->shm.fd, r);
            }
        }
    } else {
        const vup_periph *win = d->periphs[in.index - 1];

        out->size = win->desc.size;
        if (win->mirror) {
            out->argsz = sizeof(*out) + sizeof(*sp);
        }
        if (win->mirror && in.argsz >= out->argsz) {
            /* Its registers' read-only mirror (mirror.c). */
            out->flags |= VFIO_REGION_INFO_FLAG_MMAP |
                          VFIO_REGION_INFO_FLAG_CAPS;
            out->cap_offset = sizeof(*out);
            out->offset = win->mirror_offset;
            sp = (void *)(out + 1);
            sparse_area(sp, 0, win->mirror_size, d->mirror.fd, r);
        }
    }
    return 0;
}

static int h_irq_info(vup_dev *d, const struct vupi_msg_hdr *h,
                      const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vfio_irq_info in, *out;
    int ret;

    ret = take_info_args(h, p, len, &in, sizeof(in));
    if (ret) {
        return ret;
    }
    if (in.index >= vupi_cr_num_irq_indexes(d)) {
        return vupi_reject(h, EINVAL, "IRQ index %u: the device has %u",
                      in.index, vupi_cr_num_irq_indexes(d));
    }
    out = vupi_reply_buf(r, sizeof(*out));
    if (!out) {
        return ENOMEM;
    }
    out->argsz = sizeof(*out);
    out->flags = VFIO_IRQ_INFO_EVENTFD;
    out->index = in.index;
    out->count = 1;
    return 0;
}

static bool is_kick(const vup_dev *d, uint32_t index)
{
    return d->cr.mbox_offset && index == d->cr.kick_index;
}

/* The eventfd of IRQ index @index: a line's, the doorbell or the kick. */
static int irq_fd(const vup_dev *d, uint32_t index)
{
    if (is_kick(d, index)) {
        return d->shm.kick_fd;
    }
    return index < d->irqs.num ? d->irqs.line[index].fd : d->live.doorbell_fd;
}

static void irq_set_fd(vup_dev *d, uint32_t index, int fd)
{
    if (is_kick(d, index)) {
        vupi_mbox_set_kick(d, fd);
    } else if (index < d->irqs.num) {
        vupi_irq_set_fd(d, index, fd);
    } else {
        vupi_live_set_doorbell(&d->live, index, fd);
    }
}

static int h_set_irqs(vup_dev *d, const struct vupi_msg_hdr *h,
                      const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vupi_rx *rx = &d->server.conn.rx;
    struct vfio_irq_set s;
    uint32_t action, data;

    (void)r;
    if (len < sizeof(s)) {
        return vupi_reject(h, EINVAL, "%zu-byte payload", len);
    }
    memcpy(&s, p, sizeof(s));
    action = s.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
    data = s.flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
    if (s.argsz < sizeof(s) || (s.flags & ~(action | data)) ||
        __builtin_popcount(action) != 1 || __builtin_popcount(data) != 1) {
        return vupi_reject(h, EINVAL, "argsz %u flags 0x%x", s.argsz, s.flags);
    }
    if (s.index >= vupi_cr_num_irq_indexes(d)) {
        return vupi_reject(h, EINVAL, "IRQ index %u: the device has %u",
                      s.index, vupi_cr_num_irq_indexes(d));
    }
    if (action != VFIO_IRQ_SET_ACTION_TRIGGER) {
        return vupi_reject(h, EINVAL, "only ACTION_TRIGGER is supported");
    }
    /* Every index has count 1. */
    if (s.start > 1 || s.count > 1 - s.start) {
        return vupi_reject(h, EINVAL, "start %u count %u: IRQ %u has count 1",
                      s.start, s.count, s.index);
    }
    if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
        if (rx->nfds == 0) {
            if (s.count) {
                irq_set_fd(d, s.index, -1);
            }
            return 0;
        }
        if (rx->nfds != s.count) {
            return vupi_reject(h, EINVAL, "%zu fds for count %u", rx->nfds,
                          s.count);
        }
        /* Signalling must never block the device loop. */
        if (fcntl(rx->fds[0], F_SETFL,
                  fcntl(rx->fds[0], F_GETFL) | O_NONBLOCK) < 0) {
            return vupi_reject(h, EBADF, "fd is not usable");
        }
        irq_set_fd(d, s.index, rx->fds[0]);
        rx->fds[0] = -1;
        return 0;
    }
    if (rx->nfds) {
        return vupi_reject(h, EINVAL, "fds without DATA_EVENTFD");
    }
    if (data != VFIO_IRQ_SET_DATA_NONE) {
        return vupi_reject(h, EINVAL, "only DATA_NONE and DATA_EVENTFD are "
                      "supported");
    }
    if (s.count == 0) {
        irq_set_fd(d, s.index, -1);
    } else if (irq_fd(d, s.index) >= 0) {
        uint64_t one = 1;

        if (write(irq_fd(d, s.index), &one, sizeof(one)) < 0) {
            return vupi_reject(h, errno, "eventfd write");
        }
    }
    return 0;
}

/* ---- region accesses ---------------------------------------------------- */

/* Checks an access (access.c), or logs why not and gives the errno. */
static int access_check(vup_dev *d, const struct vupi_msg_hdr *h,
                        uint32_t region, uint64_t off, uint32_t count,
                        bool write)
{
    char why[VUPI_WHY_LEN];
    int err = vupi_access_check(d, region, off, count,
                                write ? VUPI_ACCESS_WRITE : 0, why);

    return err ? vupi_reject(h, err, "%s", why) : 0;
}

static int h_region_read(vup_dev *d, const struct vupi_msg_hdr *h,
                         const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vupi_msg_region_rw rw, *out;
    int ret;

    if (len != sizeof(rw)) {
        return vupi_reject(h, EINVAL, "%zu-byte payload", len);
    }
    memcpy(&rw, p, sizeof(rw));
    if (!rw.count || rw.count > VUPI_MSG_MAX_XFER) {
        return vupi_reject(h, EINVAL, "count %u", rw.count);
    }
    out = vupi_reply_buf(r, sizeof(*out) + rw.count);
    if (!out) {
        return ENOMEM;
    }
    *out = rw;
    ret = access_check(d, h, rw.region, rw.offset, rw.count, false);
    if (!ret) {
        vupi_access_do(d, rw.region, rw.offset, rw.count,
                       (uint8_t *)(out + 1), false);
    }
    return ret;
}

static int h_region_write(vup_dev *d, const struct vupi_msg_hdr *h,
                          const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vupi_msg_region_rw rw;
    int ret;

    if (len < sizeof(rw)) {
        return vupi_reject(h, EINVAL, "%zu-byte payload", len);
    }
    memcpy(&rw, p, sizeof(rw));
    if (!rw.count || rw.count != len - sizeof(rw)) {
        return vupi_reject(h, EINVAL, "count %u with %zu data bytes", rw.count,
                      len - sizeof(rw));
    }
    ret = access_check(d, h, rw.region, rw.offset, rw.count, true);
    if (!ret) {
        vupi_access_do(d, rw.region, rw.offset, rw.count,
                       (uint8_t *)p + sizeof(rw), true);
    }
    if (!ret && vupi_reply_buf(r, sizeof(rw))) {
        memcpy(r->data, &rw, sizeof(rw));
    }
    return ret;
}

static int h_write_multi(vup_dev *d, const struct vupi_msg_hdr *h,
                         const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vupi_msg_wr_multi m;
    const struct vupi_msg_wr_one *w;
    uint8_t scratch[VUPI_MSG_MULTI_DATA];
    int ret;

    if (len < sizeof(m)) {
        return vupi_reject(h, EINVAL, "%zu-byte payload", len);
    }
    memcpy(&m, p, sizeof(m));
    if (!m.wr_cnt || m.wr_cnt > VUPI_MSG_MULTI_MAX ||
        len != sizeof(m) + m.wr_cnt * sizeof(*w)) {
        return vupi_reject(h, EINVAL, "wr_cnt %" PRIu64 " in %zu bytes", m.wr_cnt,
                      len);
    }
    w = (const void *)(p + sizeof(m));
    /* Check every write first, so a bad message changes nothing. */
    for (uint64_t i = 0; i < m.wr_cnt; i++) {
        if (w[i].count > VUPI_MSG_MULTI_DATA) {
            return vupi_reject(h, EINVAL, "write %" PRIu64 ": count %u", i,
                          w[i].count);
        }
        ret = access_check(d, h, w[i].region, w[i].offset, w[i].count, true);
        if (ret) {
            return ret;
        }
    }
    for (uint64_t i = 0; i < m.wr_cnt; i++) {
        memcpy(scratch, w[i].data, sizeof(scratch));
        vupi_access_do(d, w[i].region, w[i].offset, w[i].count, scratch,
                       true);
    }
    if (vupi_reply_buf(r, sizeof(m))) {
        memcpy(r->data, &m, sizeof(m));
    }
    return 0;
}

/* ---- DMA and reset ------------------------------------------------------ */

static int h_dma_map(vup_dev *d, const struct vupi_msg_hdr *h,
                     const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vupi_rx *rx = &d->server.conn.rx;
    struct vupi_msg_dma_map m;
    int ret;

    (void)r;
    if (len < sizeof(m)) {
        return vupi_reject(h, EINVAL, "%zu-byte payload", len);
    }
    memcpy(&m, p, sizeof(m));
    if (m.argsz < sizeof(m) || rx->nfds > 1) {
        return vupi_reject(h, EINVAL, "argsz %u with %zu fds", m.argsz, rx->nfds);
    }
    ret = vupi_dma_map(&d->server.conn, &m, rx->nfds ? rx->fds[0] : -1);
    if (ret) {
        return vupi_reject(h, ret, "iova 0x%" PRIx64 " size 0x%" PRIx64
                      " flags 0x%x", m.iova, m.size, m.flags);
    }
    vup_log(VUP_LOG_DEBUG, "%s: DMA_MAP iova 0x%" PRIx64 " size 0x%" PRIx64
            " %s%s, %s", d->name, m.iova, m.size,
            m.flags & VFIO_DMA_MAP_FLAG_READ ? "r" : "",
            m.flags & VFIO_DMA_MAP_FLAG_WRITE ? "w" : "",
            rx->nfds ? "mmap'd from its fd" : "no fd: DMA_READ/WRITE only");
    return 0;
}

static int h_dma_unmap(vup_dev *d, const struct vupi_msg_hdr *h,
                       const uint8_t *p, size_t len, struct vupi_reply *r)
{
    struct vupi_msg_dma_unmap m;
    int ret;

    if (len < sizeof(m)) {
        return vupi_reject(h, EINVAL, "%zu-byte payload", len);
    }
    memcpy(&m, p, sizeof(m));
    ret = vupi_dma_unmap(&d->server.conn, &m);
    if (ret) {
        return vupi_reject(h, ret, "iova 0x%" PRIx64 " size 0x%" PRIx64
                      " flags 0x%x", m.iova, m.size, m.flags);
    }
    vup_log(VUP_LOG_DEBUG, "%s: DMA_UNMAP iova 0x%" PRIx64 " size 0x%" PRIx64
            "%s", d->name, m.iova, m.size,
            m.flags & VFIO_DMA_UNMAP_FLAG_ALL ? " (all)" : "");
    /* The reply carries the request's entry when argsz allows it. */
    if (m.argsz >= sizeof(m) && vupi_reply_buf(r, sizeof(m))) {
        memcpy(r->data, &m, sizeof(m));
    }
    return 0;
}

static int h_reset(vup_dev *d, const struct vupi_msg_hdr *h, const uint8_t *p,
                   size_t len, struct vupi_reply *r)
{
    (void)h;
    (void)p;
    (void)len;
    (void)r;
    vupi_reset(d);
    return 0;
}

/* ---- the table ---------------------------------------------------------- */

static vupi_handler_fn *const handlers[] = {
    [VUPI_CMD_VERSION] = h_version,
    [VUPI_CMD_DMA_MAP] = h_dma_map,
    [VUPI_CMD_DMA_UNMAP] = h_dma_unmap,
    [VUPI_CMD_DEVICE_GET_INFO] = h_device_info,
    [VUPI_CMD_DEVICE_GET_REGION_INFO] = h_region_info,
    [VUPI_CMD_DEVICE_GET_IRQ_INFO] = h_irq_info,
    [VUPI_CMD_DEVICE_SET_IRQS] = h_set_irqs,
    [VUPI_CMD_REGION_READ] = h_region_read,
    [VUPI_CMD_REGION_WRITE] = h_region_write,
    [VUPI_CMD_DEVICE_RESET] = h_reset,
    [VUPI_CMD_REGION_WRITE_MULTI] = h_write_multi,
};

vupi_handler_fn *vupi_server_handler(uint16_t cmd)
{
    return cmd < VUPI_ARRAY_SIZE(handlers) ? handlers[cmd] : NULL;
}
