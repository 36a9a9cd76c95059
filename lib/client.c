/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small blocking vfio-user client (include/vup/client.h).  Socket
 * timeouts bound every wait; replies are matched by id and command and
 * checked before use, as a client must not trust a server either.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "internal.h"
#include "vup/client.h"

#define CR_READ_MAX     (1024u * 1024u)   /* largest region read whole */
#define CR_READ_CHUNK   65536u
#define REGION_INFO_MAX 4096u             /* argsz we are ready to take */

struct vup_client {
    int fd;
    uint16_t next_id;
    struct vupi_rx rx;
    int reply_fd;                   /* from a GET_REGION_INFO reply */
    char server_caps[1024];
    char err[256];
};

static int cfail(vup_client *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cfail(vup_client *c, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return -err;
}

const char *vup_client_error(const vup_client *c)
{
    return c->err;
}

int vup_client_fd(const vup_client *c)
{
    return c->fd;
}

const char *vup_client_server_caps(const vup_client *c)
{
    return c->server_caps;
}

vup_client *vup_client_connect_raw(const char *path, int timeout_ms,
                                   char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = {
        .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000,
    };
    vup_client *c;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "%s: path too long", path);
        return NULL;
    }
    strcpy(sa.sun_path, path);
    c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    vupi_rx_init(&c->rx);
    c->reply_fd = -1;
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 ||
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        vup_client_free(c);
        return NULL;
    }
    return c;
}

vup_client *vup_client_connect(const char *path, int timeout_ms, char *err,
                               size_t errlen)
{
    vup_client *c = vup_client_connect_raw(path, timeout_ms, err, errlen);

    if (c && vup_client_version(c, VUP_CLIENT_CAPS) < 0) {
        snprintf(err, errlen, "%s: %s", path, c->err);
        vup_client_free(c);
        return NULL;
    }
    return c;
}

void vup_client_free(vup_client *c)
{
    if (!c) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    if (c->reply_fd >= 0) {
        close(c->reply_fd);
    }
    vupi_rx_fini(&c->rx);
    free(c);
}

static const char *rx_error(int err)
{
    switch (err) {
    case -ECONNRESET:
        return "server closed the connection";
    case -EPROTO:
        return "truncated reply";
    case -EMSGSIZE:
        return "reply larger than the maximum";
    default:
        return strerror(-err);
    }
}

int vup_client_request(vup_client *c, uint16_t cmd, uint32_t flags,
                       const void *payload, size_t len, const int *fds,
                       size_t nfds, void *reply, size_t cap,
                       size_t *reply_len)
{
    struct vupi_msg_hdr *h;
    size_t plen;
    int ret;

    if (len > VUPI_MSG_MAX_SIZE - sizeof(*h)) {
        return cfail(c, EMSGSIZE, "request of %zu bytes is too large", len);
    }
    h = malloc(sizeof(*h) + len);
    if (!h) {
        return cfail(c, ENOMEM, "out of memory");
    }
    *h = (struct vupi_msg_hdr){
        .id = c->next_id++, .command = cmd,
        .size = (uint32_t)(sizeof(*h) + len), .flags = flags,
    };
    if (len) {
        memcpy(h + 1, payload, len);
    }
    ret = vupi_send_all(c->fd, h, sizeof(*h) + len, fds, nfds);
    free(h);
    if (ret < 0) {
        return cfail(c, -ret, "sending command %u: %s", cmd,
                     strerror(-ret));
    }
    if (flags & VUPI_MSG_NO_REPLY) {
        return 0;
    }
    ret = vupi_rx_step(c->fd, &c->rx, VUPI_MSG_MAX_SIZE);
    if (ret == 0) {
        /* A blocking socket only runs dry when SO_RCVTIMEO expires. */
        vupi_rx_reset(&c->rx);
        return cfail(c, ETIMEDOUT, "no reply to command %u", cmd);
    }
    if (ret < 0) {
        vupi_rx_reset(&c->rx);
        return cfail(c, -ret, "reading the reply to command %u: %s", cmd,
                     rx_error(ret));
    }
    h = &c->rx.hdr;
    plen = h->size - sizeof(*h);
    if (cmd == VUPI_CMD_DEVICE_GET_REGION_INFO && c->rx.nfds == 1 &&
        (h->flags & VUPI_MSG_TYPE_MASK) == VUPI_MSG_REPLY) {
        /* The region's fd for mmap: kept for vup_client_region_info(). */
        if (c->reply_fd >= 0) {
            close(c->reply_fd);
        }
        c->reply_fd = c->rx.fds[0];
        c->rx.fds[0] = -1;
        c->rx.nfds = 0;
    }
    if ((h->flags & VUPI_MSG_TYPE_MASK) != VUPI_MSG_REPLY ||
        h->id != (uint16_t)(c->next_id - 1) || h->command != cmd ||
        c->rx.nfds) {
        ret = cfail(c, EPROTO, "unexpected reply: command %u id %u flags "
                    "0x%x with %zu fds", h->command, h->id, h->flags,
                    c->rx.nfds);
    } else if (h->flags & VUPI_MSG_ERROR) {
        ret = cfail(c, h->error_reply ? (int)h->error_reply : EIO,
                    "command %u failed: %s", cmd,
                    h->error_reply ? strerror((int)h->error_reply)
                                   : "no error code");
    } else {
        if (reply) {
            memcpy(reply, c->rx.body, plen < cap ? plen : cap);
        }
        if (reply_len) {
            *reply_len = plen;
        }
        ret = 0;
    }
    vupi_rx_reset(&c->rx);
    return ret;
}

/*
 * The server's capabilities, as QEMU reads them: one JSON object whose
 * "capabilities", if there, is an object of known keys with values of the
 * right type (unknown keys are the server's business).
 */
static int check_caps(vup_client *c, const char *js)
{
    static const struct {
        const char *key;
        json_type type;
    } known[] = {
        { "max_msg_fds", json_type_int },
        { "max_data_xfer_size", json_type_int },
        { "pgsizes", json_type_int },
        { "max_dma_maps", json_type_int },
        { "write_multiple", json_type_boolean },
        { "migration", json_type_object },
    };
    json_tokener *tok = json_tokener_new();
    json_object *obj = NULL, *caps;
    const char *bad = NULL;

    if (!tok) {
        return cfail(c, ENOMEM, "out of memory");
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, js, (int)strlen(js));
    if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
        (size_t)json_tokener_get_parse_end(tok) != strlen(js)) {
        bad = "is not valid JSON";
    } else if (!json_object_is_type(obj, json_type_object)) {
        bad = "is not a JSON object";
    } else if (json_object_object_get_ex(obj, "capabilities", &caps)) {
        if (!json_object_is_type(caps, json_type_object)) {
            bad = "has a \"capabilities\" that is not an object";
        }
        for (size_t i = 0; !bad && i < sizeof(known) / sizeof(known[0]);
             i++) {
            json_object *val;

            if (json_object_object_get_ex(caps, known[i].key, &val) &&
                (!json_object_is_type(val, known[i].type) ||
                 (known[i].type == json_type_int &&
                  json_object_get_int64(val) < 0))) {
                bad = known[i].key;
            }
        }
    }
    json_object_put(obj);
    json_tokener_free(tok);
    return bad ? cfail(c, EPROTO, "the VERSION reply's JSON %s%s", bad,
                       strchr(bad, ' ') ? "" : " has the wrong type")
               : 0;
}

int vup_client_version(vup_client *c, const char *json)
{
    size_t jlen = json ? strlen(json) + 1 : 0;
    struct vupi_msg_version *v;
    uint8_t reply[sizeof(*v) + sizeof(c->server_caps)];
    size_t rlen = 0;
    int ret;

    v = malloc(sizeof(*v) + jlen);
    if (!v) {
        return cfail(c, ENOMEM, "out of memory");
    }
    v->major = VUPI_PROTO_MAJOR;
    v->minor = VUPI_PROTO_MINOR;
    if (jlen) {
        memcpy(v + 1, json, jlen);
    }
    ret = vup_client_request(c, VUPI_CMD_VERSION, 0, v, sizeof(*v) + jlen,
                             NULL, 0, reply, sizeof(reply), &rlen);
    free(v);
    if (ret < 0) {
        return ret;
    }
    if (rlen < sizeof(*v) || rlen > sizeof(reply)) {
        return cfail(c, EPROTO, "VERSION reply of %zu bytes", rlen);
    }
    v = (struct vupi_msg_version *)reply;
    if (v->major != VUPI_PROTO_MAJOR || v->minor > VUPI_PROTO_MINOR) {
        return cfail(c, EPROTO, "server version %u.%u", v->major, v->minor);
    }
    c->server_caps[0] = '\0';
    if (rlen > sizeof(*v)) {
        const char *js = (const char *)reply + sizeof(*v);

        if (reply[rlen - 1] != '\0' || strlen(js) != rlen - sizeof(*v) - 1) {
            return cfail(c, EPROTO, "VERSION reply JSON not one "
                         "NUL-terminated string");
        }
        ret = check_caps(c, js);
        if (ret < 0) {
            return ret;
        }
        memcpy(c->server_caps, js, rlen - sizeof(*v));
    }
    return 0;
}

int vup_client_device_info(vup_client *c, struct vup_client_device_info *i)
{
    struct vupi_msg_device_info m = { .argsz = sizeof(m) };
    size_t rlen = 0;
    int ret = vup_client_request(c, VUPI_CMD_DEVICE_GET_INFO, 0, &m,
                                 sizeof(m), NULL, 0, &m, sizeof(m), &rlen);

    if (ret < 0) {
        return ret;
    }
    if (rlen < sizeof(m)) {
        return cfail(c, EPROTO, "DEVICE_GET_INFO reply of %zu bytes", rlen);
    }
    *i = (struct vup_client_device_info){
        .flags = m.flags, .num_regions = m.num_regions,
        .num_irqs = m.num_irqs,
    };
    return 0;
}

static int parse_caps(vup_client *c, const uint8_t *buf, size_t len,
                      const struct vfio_region_info *ri,
                      struct vup_client_region_info *info)
{
    uint32_t off = ri->cap_offset;

    if (!(ri->flags & VFIO_REGION_INFO_FLAG_CAPS)) {
        return 0;
    }
    while (off) {
        struct vfio_info_cap_header ch;
        struct vup_client_region_cap *cap;

        /* Forward only, inside the reply: no loops, no overruns. */
        if (off < sizeof(*ri) || off % 4 || off > len ||
            len - off < sizeof(ch)) {
            return cfail(c, EPROTO, "region %u: capability at 0x%x is "
                         "outside the %zu-byte reply", ri->index, off, len);
        }
        if (info->num_caps == VUP_CLIENT_MAX_CAPS) {
            return cfail(c, EPROTO, "region %u: more than %u capabilities",
                         ri->index, VUP_CLIENT_MAX_CAPS);
        }
        memcpy(&ch, buf + off, sizeof(ch));
        cap = &info->caps[info->num_caps++];
        cap->id = ch.id;
        cap->version = ch.version;
        if (ch.id == VFIO_REGION_INFO_CAP_TYPE) {
            struct vfio_region_info_cap_type t;

            if (len - off < sizeof(t)) {
                return cfail(c, EPROTO, "region %u: truncated type "
                             "capability", ri->index);
            }
            memcpy(&t, buf + off, sizeof(t));
            cap->type = t.type;
            cap->subtype = t.subtype;
        }
        if (ch.id == VFIO_REGION_INFO_CAP_SPARSE_MMAP && !info->mmap_size) {
            struct vfio_region_info_cap_sparse_mmap s;
            struct vfio_region_sparse_mmap_area a;

            if (len - off < sizeof(s) + sizeof(a)) {
                return cfail(c, EPROTO, "region %u: truncated sparse-mmap "
                             "capability", ri->index);
            }
            memcpy(&s, buf + off, sizeof(s));
            memcpy(&a, buf + off + sizeof(s), sizeof(a));
            if (s.nr_areas) {
                info->mmap_offset = a.offset;
                info->mmap_size = a.size;
            }
        }
        if (ch.next && ch.next <= off) {
            return cfail(c, EPROTO, "region %u: capability chain goes "
                         "backwards at 0x%x", ri->index, off);
        }
        off = ch.next;
    }
    return 0;
}

int vup_client_region_info(vup_client *c, uint32_t index,
                           struct vup_client_region_info *info)
{
    uint32_t argsz = sizeof(struct vfio_region_info);
    uint8_t *buf = NULL;

    memset(info, 0, sizeof(*info));
    info->fd = -1;
    /* Ask again with the argsz the server says it needs (bounded). */
    for (int tries = 0; tries < 2; tries++) {
        struct vfio_region_info ri = { .argsz = argsz, .index = index };
        size_t rlen = 0;
        int ret;

        free(buf);
        buf = calloc(1, argsz);
        if (!buf) {
            return cfail(c, ENOMEM, "out of memory");
        }
        if (c->reply_fd >= 0) {
            close(c->reply_fd);
            c->reply_fd = -1;
        }
        ret = vup_client_request(c, VUPI_CMD_DEVICE_GET_REGION_INFO, 0, &ri,
                                 sizeof(ri), NULL, 0, buf, argsz, &rlen);
        if (ret < 0) {
            free(buf);
            return ret;
        }
        if (rlen < sizeof(ri) || rlen > argsz) {
            free(buf);
            return cfail(c, EPROTO, "region %u: %zu-byte reply for argsz "
                         "%u", index, rlen, argsz);
        }
        memcpy(&ri, buf, sizeof(ri));
        if (ri.argsz > argsz && tries == 0 && ri.argsz <= REGION_INFO_MAX) {
            argsz = ri.argsz;
            continue;
        }
        if (ri.index != index) {
            ret = cfail(c, EPROTO, "asked for region %u, got %u", index,
                        ri.index);
        } else {
            info->index = ri.index;
            info->flags = ri.flags;
            info->size = ri.size;
            info->offset = ri.offset;
            ret = parse_caps(c, buf, rlen, &ri, info);
        }
        if (ret == 0 && (ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
            info->fd = c->reply_fd;
            c->reply_fd = -1;
        }
        free(buf);
        return ret;
    }
    free(buf);
    return cfail(c, EPROTO, "region %u: argsz keeps growing", index);
}

int vup_client_irq_info(vup_client *c, uint32_t index, uint32_t *flags,
                        uint32_t *count)
{
    struct vfio_irq_info q = { .argsz = sizeof(q), .index = index };
    size_t rlen = 0;
    int ret = vup_client_request(c, VUPI_CMD_DEVICE_GET_IRQ_INFO, 0, &q,
                                 sizeof(q), NULL, 0, &q, sizeof(q), &rlen);

    if (ret < 0) {
        return ret;
    }
    if (rlen < sizeof(q) || q.index != index) {
        return cfail(c, EPROTO, "IRQ %u: bad reply", index);
    }
    *flags = q.flags;
    *count = q.count;
    return 0;
}

int vup_client_irq_set_eventfd(vup_client *c, uint32_t index, int fd)
{
    struct vfio_irq_set s = {
        .argsz = sizeof(s),
        .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
        .index = index, .start = 0, .count = 1,
    };

    return vup_client_request(c, VUPI_CMD_DEVICE_SET_IRQS, 0, &s, sizeof(s),
                              &fd, fd >= 0 ? 1 : 0, NULL, 0, NULL);
}

int vup_client_read(vup_client *c, uint32_t region, uint64_t offset,
                    void *buf, uint32_t count)
{
    struct vupi_msg_region_rw rw = {
        .offset = offset, .region = region, .count = count,
    };
    size_t rlen = 0;
    uint8_t *reply;
    int ret;

    if (count > VUPI_MSG_MAX_XFER) {
        return cfail(c, EINVAL, "read of %u bytes is too large", count);
    }
    reply = malloc(sizeof(rw) + count);
    if (!reply) {
        return cfail(c, ENOMEM, "out of memory");
    }
    ret = vup_client_request(c, VUPI_CMD_REGION_READ, 0, &rw, sizeof(rw),
                             NULL, 0, reply, sizeof(rw) + count, &rlen);
    if (!ret) {
        memcpy(&rw, reply, sizeof(rw) < rlen ? sizeof(rw) : rlen);
        if (rlen != sizeof(rw) + count || rw.count != count) {
            ret = cfail(c, EPROTO, "read of %u bytes got a %zu-byte reply",
                        count, rlen);
        } else {
            memcpy(buf, reply + sizeof(rw), count);
        }
    }
    free(reply);
    return ret;
}

int vup_client_write(vup_client *c, uint32_t region, uint64_t offset,
                     const void *buf, uint32_t count, bool posted)
{
    struct vupi_msg_region_rw *rw;
    int ret;

    if (count > VUPI_MSG_MAX_XFER) {
        return cfail(c, EINVAL, "write of %u bytes is too large", count);
    }
    rw = malloc(sizeof(*rw) + count);
    if (!rw) {
        return cfail(c, ENOMEM, "out of memory");
    }
    *rw = (struct vupi_msg_region_rw){
        .offset = offset, .region = region, .count = count,
    };
    memcpy(rw + 1, buf, count);
    ret = vup_client_request(c, VUPI_CMD_REGION_WRITE,
                             posted ? VUPI_MSG_NO_REPLY : 0, rw,
                             sizeof(*rw) + count, NULL, 0, NULL, 0, NULL);
    free(rw);
    return ret;
}

int vup_client_reset(vup_client *c)
{
    return vup_client_request(c, VUPI_CMD_DEVICE_RESET, 0, NULL, 0, NULL, 0,
                              NULL, 0, NULL);
}

int vup_client_dma_map(vup_client *c, uint64_t iova, uint64_t size,
                       uint32_t flags, int fd, uint64_t fd_offset)
{
    struct vupi_msg_dma_map m = {
        .argsz = sizeof(m), .flags = flags, .offset = fd_offset,
        .iova = iova, .size = size,
    };

    return vup_client_request(c, VUPI_CMD_DMA_MAP, 0, &m, sizeof(m), &fd,
                              fd >= 0 ? 1 : 0, NULL, 0, NULL);
}

int vup_client_dma_unmap(vup_client *c, uint64_t iova, uint64_t size,
                         uint32_t flags)
{
    struct vupi_msg_dma_unmap m = {
        .argsz = sizeof(m), .flags = flags, .iova = iova, .size = size,
    };

    return vup_client_request(c, VUPI_CMD_DMA_UNMAP, 0, &m, sizeof(m), NULL,
                              0, NULL, 0, NULL);
}

int vup_client_read_cr(vup_client *c, uint32_t region, uint64_t region_size,
                       void **buf, size_t *len)
{
    uint8_t *b;

    if (!region_size || region_size > CR_READ_MAX) {
        return cfail(c, EFBIG, "control region of %llu bytes (max %u)",
                     (unsigned long long)region_size, CR_READ_MAX);
    }
    /* malloc'd memory is aligned enough for the entry structs. */
    b = malloc(region_size);
    if (!b) {
        return cfail(c, ENOMEM, "out of memory");
    }
    for (uint64_t off = 0; off < region_size; off += CR_READ_CHUNK) {
        uint32_t n = region_size - off < CR_READ_CHUNK
                         ? (uint32_t)(region_size - off) : CR_READ_CHUNK;
        int ret = vup_client_read(c, region, off, b + off, n);

        if (ret < 0) {
            free(b);
            return ret;
        }
    }
    *buf = b;
    *len = region_size;
    return 0;
}
