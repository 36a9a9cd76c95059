/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-region decoder and validator (see include/vup/control-region.h).
 *
 * vup_cr_decode() checks every field of a control region read from a peer
 * before anything is trusted, and gives a view with the entries sorted by
 * type.  Messages name the entry and its offset, e.g.
 *   entry 3 (mmio "usart1") at offset 0x88: size 0 is not allowed
 */
#ifndef VUP_CR_H
#define VUP_CR_H

#include <stddef.h>
#include <stdint.h>

#include "control-region.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the device says about itself, to cross-check entries (optional). */
struct vup_cr_device_limits {
    uint32_t num_regions;          /* DEVICE_GET_INFO num_regions */
    uint32_t num_irqs;             /* DEVICE_GET_INFO num_irqs */
    const uint64_t *region_size;   /* [num_regions], or NULL */
};

/*
 * Pointers into the decoded buffer (which must stay alive and be 8-byte
 * aligned, as malloc gives).  Entries of a type appear in region order.
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
    size_t num_mmio, num_irq, num_clock, num_memory, num_cap, num_direct;
    size_t num_skipped;                    /* unknown optional entries */
};

/*
 * Decodes and validates @len bytes at @buf (the descriptor, optionally
 * followed by the rest of the region up to and including the live part).
 * @limits may be NULL.  Returns 0, or -EINVAL with a message in @err.
 */
int vup_cr_decode(const void *buf, size_t len,
                  const struct vup_cr_device_limits *limits,
                  struct vup_cr_view *view, char *err, size_t errlen);

/* "mmio", "irq", ... or "unknown". */
const char *vup_cr_entry_type_name(uint32_t type);

#ifdef __cplusplus
}
#endif

#endif /* VUP_CR_H */
