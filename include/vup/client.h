/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small blocking vfio-user client, for tools (vup-info), tests and
 * benchmarks.  Every call waits at most the timeout given to
 * vup_client_connect().  Functions return 0 (or a count) on success and a
 * negative errno on failure; an error reply from the server gives
 * -error_reply, and vup_client_error() then holds a message.
 */
#ifndef VUP_CLIENT_H
#define VUP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vup_client vup_client;

#define VUP_CLIENT_MAX_CAPS 8

struct vup_client_device_info {
    uint32_t flags;                 /* VFIO_DEVICE_FLAGS_* */
    uint32_t num_regions;
    uint32_t num_irqs;
};

struct vup_client_region_cap {
    uint16_t id;                    /* VFIO_REGION_INFO_CAP_* */
    uint16_t version;
    uint32_t type, subtype;         /* VFIO_REGION_INFO_CAP_TYPE only */
};

struct vup_client_region_info {
    uint32_t index;
    uint32_t flags;                 /* VFIO_REGION_INFO_FLAG_* */
    uint64_t size;
    uint64_t offset;
    size_t num_caps;
    struct vup_client_region_cap caps[VUP_CLIENT_MAX_CAPS];
    /* VFIO_REGION_INFO_FLAG_MMAP: the fd to map (the caller closes it,
     * -1 if none) and the first VFIO_REGION_INFO_CAP_SPARSE_MMAP area. */
    int fd;
    uint64_t mmap_offset, mmap_size;
};

/* The capabilities vup_client_connect() proposes, as QEMU's client does. */
#define VUP_CLIENT_CAPS "{\"capabilities\":{\"max_msg_fds\":8," \
                        "\"max_data_xfer_size\":1048576,\"pgsizes\":4096," \
                        "\"max_dma_maps\":64,\"write_multiple\":true}}"

/* Connects to @path and negotiates the version (with our capabilities). */
vup_client *vup_client_connect(const char *path, int timeout_ms,
                               char *err, size_t errlen);
/* Connects without VERSION, for tests of what a server does before it. */
vup_client *vup_client_connect_raw(const char *path, int timeout_ms,
                                   char *err, size_t errlen);
void vup_client_free(vup_client *c);
const char *vup_client_error(const vup_client *c);
/* The socket, for tests that write malformed bytes themselves. */
int vup_client_fd(const vup_client *c);
/* The server's VERSION reply JSON ("" if it sent none). */
const char *vup_client_server_caps(const vup_client *c);

/* VERSION with @json (NUL-terminated; NULL: none). */
int vup_client_version(vup_client *c, const char *json);
int vup_client_device_info(vup_client *c, struct vup_client_device_info *i);
int vup_client_region_info(vup_client *c, uint32_t index,
                           struct vup_client_region_info *info);
/* @flags, @count of IRQ index @index. */
int vup_client_irq_info(vup_client *c, uint32_t index, uint32_t *flags,
                        uint32_t *count);
/* ACTION_TRIGGER: eventfd @fd, or -1 to remove it. */
int vup_client_irq_set_eventfd(vup_client *c, uint32_t index, int fd);
/* Region accesses.  A posted write sends NO_REPLY and returns at once. */
int vup_client_read(vup_client *c, uint32_t region, uint64_t offset,
                    void *buf, uint32_t count);
int vup_client_write(vup_client *c, uint32_t region, uint64_t offset,
                     const void *buf, uint32_t count, bool posted);
int vup_client_reset(vup_client *c);
/* DMA_MAP (@fd -1: message-only) and DMA_UNMAP. */
int vup_client_dma_map(vup_client *c, uint64_t iova, uint64_t size,
                       uint32_t flags, int fd, uint64_t fd_offset);
int vup_client_dma_unmap(vup_client *c, uint64_t iova, uint64_t size,
                         uint32_t flags);

/*
 * Any request: @payload of @len bytes with @nfds fds.  The reply payload
 * (up to @cap bytes) goes to @reply and its length to *@reply_len.
 */
int vup_client_request(vup_client *c, uint16_t cmd, uint32_t flags,
                       const void *payload, size_t len, const int *fds,
                       size_t nfds, void *reply, size_t cap,
                       size_t *reply_len);

/*
 * Reads the whole control region @region (descriptor, then the live part
 * if any) into a malloc'd, 8-byte aligned buffer.  Not validated: pass it
 * to vup_cr_decode().
 */
int vup_client_read_cr(vup_client *c, uint32_t region, uint64_t region_size,
                       void **buf, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* VUP_CLIENT_H */
