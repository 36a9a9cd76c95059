/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-region decoder and validator (see include/vup/control-region.h).
 *
 * vup_cr_decode() checks every field of a control region read from a peer
 * before anything is trusted, and gives a view with the entries sorted by
 * type.  It is the one set of rules: libvup's encoder checks what it
 * serves with it, vup-info checks backends with it, and QEMU's
 * vfio-user-platform device builds this very decoder.  What a reader knows
 * about the device beyond the descriptor (its regions, IRQ indices, the
 * reader's own NVIC bound) comes in as limits.  Messages name the entry
 * and its offset, e.g.
 *   control region entry 3 (mmio "usart1") at offset 0x88: size 0x0 is empty
 */
#ifndef VUP_CR_H
#define VUP_CR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control-region.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Region flags, with the values of VFIO_REGION_INFO_FLAG_READ/WRITE. */
#define VUP_CR_REGION_READABLE  (1u << 0)
#define VUP_CR_REGION_WRITABLE  (1u << 1)

/*
 * What the reader knows about the device and itself, to cross-check the
 * entries.  Every member may be left 0/NULL: then that check is not made
 * (max_nvic_lines 0 means VUP_CR_MAX_NVIC_LINES).
 */
struct vup_cr_device_limits {
    uint32_t num_regions;          /* DEVICE_GET_INFO num_regions */
    uint32_t num_irqs;             /* DEVICE_GET_INFO num_irqs */
    const uint64_t *region_size;   /* [num_regions], or NULL */
    const uint32_t *region_flags;  /* [num_regions] VUP_CR_REGION_*, or NULL */
    uint32_t cr_index;             /* the control region's region index */
    uint32_t max_nvic_lines;       /* the reader's NVIC inputs, 0: default */
};

/*
 * Pointers into the decoded buffer (which must stay alive and be 8-byte
 * aligned, as malloc gives).  Entries of a type appear in descriptor
 * order.
 */
struct vup_cr_view {
    const struct vup_cr_header *hdr;
    const struct vup_cr_live *live;        /* NULL if not in the buffer */
    const struct vup_cr_mmio *mmio[VUP_CR_MAX_ENTRIES];
    const struct vup_cr_irq *irq[VUP_CR_MAX_ENTRIES];
    const struct vup_cr_clock *clock[VUP_CR_MAX_ENTRIES];
    const struct vup_cr_memory *memory[VUP_CR_MAX_ENTRIES];
    const struct vup_cr_cap *cap[VUP_CR_MAX_ENTRIES];
    const struct vup_cr_cpu *cpu;          /* NULL if none */
    const struct vup_cr_direct *direct[VUP_CR_MAX_DIRECT];
    const struct vup_cr_signal *signal[VUP_CR_MAX_SIGNALS];
    size_t num_mmio, num_irq, num_clock, num_memory, num_cap, num_direct;
    size_t num_signal;
    size_t num_skipped;                    /* unknown optional entries */
    /* Capabilities, found in cap[]: NULL if not published. */
    const struct vup_cr_cap *cap_vtime, *cap_fast_path, *cap_doorbell;
};

/*
 * Decodes and validates @len bytes at @buf (the descriptor, optionally
 * followed by the rest of the region up to and including the live part).
 * @limits may be NULL.  Returns 0, or -EINVAL with a message in @err.
 */
int vup_cr_decode(const void *buf, size_t len,
                  const struct vup_cr_device_limits *limits,
                  struct vup_cr_view *view, char *err, size_t errlen);

/*
 * From 1.3, with a doorbell, the live part carries every line (levels and
 * EDGE pulse counts) and the doorbell says when it changed: a client
 * registers no eventfd per line.  Earlier backends signal each line's.
 */
bool vup_cr_lines_in_live(const struct vup_cr_view *view);

/*
 * From 1.4, with virtual time, the live part also says which LEVEL lines
 * the next deadline raises (deadline_raise): the client raises them when
 * the deadline is reached, without waiting for the backend's answer.
 */
bool vup_cr_predicts_lines(const struct vup_cr_view *view);

/*
 * How much of the live part the features in @view use, which a client
 * reads: VUP_CR_LIVE_SIZE_MIN, _1_3, _1_4 or (1.5, with signals) all of
 * struct vup_cr_live.  0 without a live part.
 */
size_t vup_cr_live_used(const struct vup_cr_view *view);

/* "mmio", "irq", ... or "unknown". */
const char *vup_cr_entry_type_name(uint32_t type);

/* The descriptor entry number of an entry of @view (from its pointer). */
unsigned vup_cr_entry_number(const struct vup_cr_view *view,
                             const void *entry);

#ifdef __cplusplus
}
#endif

#endif /* VUP_CR_H */
