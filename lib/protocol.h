/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-user wire format (QEMU docs/interop/vfio-user.rst), private to libvup.
 * Host endianness, packed by construction (every field naturally aligned).
 * Payloads that are VFIO ioctl structs use <linux/vfio.h> directly.
 */
#ifndef VUPI_PROTOCOL_H
#define VUPI_PROTOCOL_H

#include <stdint.h>
#include <linux/vfio.h>

#define VUPI_PROTO_MAJOR 0
#define VUPI_PROTO_MINOR 0

enum vupi_msg_cmd {
    VUPI_CMD_VERSION = 1,
    VUPI_CMD_DMA_MAP = 2,
    VUPI_CMD_DMA_UNMAP = 3,
    VUPI_CMD_DEVICE_GET_INFO = 4,
    VUPI_CMD_DEVICE_GET_REGION_INFO = 5,
    VUPI_CMD_DEVICE_GET_REGION_IO_FDS = 6,
    VUPI_CMD_DEVICE_GET_IRQ_INFO = 7,
    VUPI_CMD_DEVICE_SET_IRQS = 8,
    VUPI_CMD_REGION_READ = 9,
    VUPI_CMD_REGION_WRITE = 10,
    VUPI_CMD_DMA_READ = 11,
    VUPI_CMD_DMA_WRITE = 12,
    VUPI_CMD_DEVICE_RESET = 13,
    VUPI_CMD_REGION_WRITE_MULTI = 15,
};

#define VUPI_MSG_TYPE_MASK   0xfu
#define VUPI_MSG_REQUEST     0x0u
#define VUPI_MSG_REPLY       0x1u
#define VUPI_MSG_NO_REPLY    0x10u
#define VUPI_MSG_ERROR       0x20u

struct vupi_msg_hdr {
    uint16_t id;
    uint16_t command;
    uint32_t size;          /* whole message, header included */
    uint32_t flags;
    uint32_t error_reply;   /* errno, with VUPI_MSG_ERROR */
};

struct vupi_msg_version {
    uint16_t major;
    uint16_t minor;
    /* then optional NUL-terminated JSON */
};

/* DEVICE_GET_INFO: struct vfio_device_info without cap_offset/pad. */
struct vupi_msg_device_info {
    uint32_t argsz;
    uint32_t flags;
    uint32_t num_regions;
    uint32_t num_irqs;
};

struct vupi_msg_dma_map {
    uint32_t argsz;
    uint32_t flags;         /* VFIO_DMA_MAP_FLAG_READ/WRITE */
    uint64_t offset;        /* in the passed fd */
    uint64_t iova;
    uint64_t size;
};

struct vupi_msg_dma_unmap {
    uint32_t argsz;
    uint32_t flags;         /* 0 or VFIO_DMA_UNMAP_FLAG_ALL */
    uint64_t iova;
    uint64_t size;
};

struct vupi_msg_region_rw {
    uint64_t offset;
    uint32_t region;
    uint32_t count;
    /* then count bytes of data (write request, read reply) */
};

/*
 * DMA_READ/DMA_WRITE (server -> client), as the spec lays them out
 * (docs/interop/vfio-user.rst): a 64-bit count and the data at payload
 * offset 16.  QEMU 10.2 had a 32-bit count (data at offset 12); the patch
 * "vfio-user: DMA_READ and DMA_WRITE carry a 64-bit count" fixes it.
 */
struct vupi_msg_dma_rw {
    uint64_t offset;        /* guest physical address */
    uint64_t count;
    /* then count bytes of data (write request, read reply) */
};
#define VUPI_DMA_RW_DATA     16u     /* payload offset of the data */
#define VUPI_DMA_RW_SIZE(count) \
    (sizeof(struct vupi_msg_hdr) + 16u + (count))   /* whole message */

#define VUPI_MSG_MULTI_DATA  8
#define VUPI_MSG_MULTI_MAX   200     /* QEMU's VFIO_USER_MULTI_MAX */

struct vupi_msg_wr_one {
    uint64_t offset;
    uint32_t region;
    uint32_t count;
    uint8_t data[VUPI_MSG_MULTI_DATA];
};

struct vupi_msg_wr_multi {
    uint64_t wr_cnt;
    /* then wr_cnt struct vupi_msg_wr_one */
};

/*
 * Limits we advertise and enforce.  A message is never larger than a
 * region access of the maximal transfer size.
 */
#define VUPI_MSG_MAX_XFER    (1024u * 1024u)
#define VUPI_MSG_MAX_SIZE    (sizeof(struct vupi_msg_hdr) + \
                             sizeof(struct vupi_msg_region_rw) + \
                             VUPI_MSG_MAX_XFER)
#define VUPI_MSG_MAX_FDS     8u
#define VUPI_DMA_MAX_MAPS    64u
#define VUPI_DMA_PGSIZE      4096u

_Static_assert(sizeof(struct vupi_msg_hdr) == 16, "vupi_msg_hdr");
_Static_assert(sizeof(struct vupi_msg_dma_map) == 32, "vupi_msg_dma_map");
_Static_assert(sizeof(struct vupi_msg_dma_unmap) == 24, "vupi_msg_dma_unmap");
_Static_assert(sizeof(struct vupi_msg_region_rw) == 16, "vupi_msg_region_rw");
_Static_assert(sizeof(struct vupi_msg_wr_one) == 24, "vupi_msg_wr_one");
_Static_assert(sizeof(struct vupi_msg_dma_rw) == 16, "vupi_msg_dma_rw");
_Static_assert(sizeof(struct vfio_region_info) == 32, "vfio_region_info");
_Static_assert(sizeof(struct vfio_irq_info) == 16, "vfio_irq_info");
_Static_assert(sizeof(struct vfio_irq_set) == 20, "vfio_irq_set");

#endif /* VUPI_PROTOCOL_H */
