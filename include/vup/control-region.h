/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-user MCU control region: the one C definition of its layout.
 *
 * Shared verbatim by libvup (backends) and QEMU's vfio-user-platform device;
 * the QEMU build installs this file as include/hw/vfio-user/vup-control-region.h.
 * The normative text is docs/control-region.md.  Everything here is
 * little-endian on the wire; this header assumes a little-endian host (both
 * sides check it at build time).
 *
 * Layout of the control region (vfio region index VUP_CR_REGION_INDEX):
 *
 *   0                 struct vup_cr_header
 *   header_size       entries, each starting with struct vup_cr_entry_hdr,
 *                     8-byte aligned, back to back, ending at desc_size
 *   live_offset       struct vup_cr_live (page aligned, may be mmap'd)
 *   FAST_PATH offset  struct vup_cr_mailbox (optional, may be mmap'd)
 *
 * The descriptor (header + entries) is read-only.  The live part is shared
 * state; each field has one writer (see struct vup_cr_live).  Without mmap,
 * the same bytes are reached with VFIO_USER_REGION_READ/WRITE at the same
 * offsets of the control region.
 */
#ifndef VUP_CONTROL_REGION_H
#define VUP_CONTROL_REGION_H

#include <stddef.h>
#include <stdint.h>

/* Region identification: VFIO_REGION_INFO_CAP_TYPE type/subtype. */
#define VUP_CR_REGION_TYPE      0x56555043u /* "CPUV": not a kernel type */
#define VUP_CR_REGION_SUBTYPE   1u
#define VUP_CR_REGION_INDEX     0u          /* by convention */

#define VUP_CR_MAGIC            0x43505556u /* "VUPC" read as bytes */
#define VUP_CR_VERSION_MAJOR    1u
#define VUP_CR_VERSION_MINOR    5u  /* 1.1: mailbox; 1.2: DIRECT; 1.3: pulses;
                                       1.4: predicted lines; 1.5: signals */

/* Bounds every reader enforces before trusting anything. */
#define VUP_CR_MAX_DESC_SIZE    65536u
#define VUP_CR_MAX_ENTRIES      256u
#define VUP_CR_MAX_IRQS         128u  /* vfio IRQ indices a device may use */
#define VUP_CR_MAX_CLOCKS       16u
#define VUP_CR_MAX_DIRECT       64u   /* DIRECT entries per device */
#define VUP_CR_MAX_NVIC_LINES   496u  /* ARMv7-M: external interrupts */
#define VUP_CR_MAX_SIGNALS      64u   /* SIGNAL entries per device */
#define VUP_CR_MAX_SIGNAL_LINES 256u  /* per direction: live bits */
#define VUP_CR_MAX_SIGNAL_WIDTH 32u   /* lines in one SIGNAL group */
#define VUP_CR_NAME_LEN         32u   /* names are NUL-terminated in this */
#define VUP_CR_LIVE_ALIGN       4096u

struct vup_cr_header {
    uint32_t magic;          /* VUP_CR_MAGIC */
    uint16_t version_major;  /* a reader refuses a major it does not know */
    uint16_t version_minor;  /* a higher minor only adds optional entries */
    uint32_t header_size;    /* offset of the first entry, >= 64, 8-aligned */
    uint32_t desc_size;      /* header + all entries, <= VUP_CR_MAX_DESC_SIZE */
    uint32_t num_entries;    /* <= VUP_CR_MAX_ENTRIES */
    uint32_t live_offset;    /* struct vup_cr_live; 0 = no live part */
    uint32_t live_size;      /* >= sizeof(struct vup_cr_live) if present */
    uint32_t flags;          /* none defined: 0 */
    char     device_name[VUP_CR_NAME_LEN];
};

/* Entry types. */
enum vup_cr_entry_type {
    VUP_CR_ENTRY_MMIO   = 1,  /* struct vup_cr_mmio */
    VUP_CR_ENTRY_IRQ    = 2,  /* struct vup_cr_irq */
    VUP_CR_ENTRY_CLOCK  = 3,  /* struct vup_cr_clock */
    VUP_CR_ENTRY_MEMORY = 4,  /* struct vup_cr_memory */
    VUP_CR_ENTRY_CPU    = 5,  /* struct vup_cr_cpu */
    VUP_CR_ENTRY_CAP    = 6,  /* struct vup_cr_cap */
    VUP_CR_ENTRY_DIRECT = 7,  /* struct vup_cr_direct (1.2) */
    VUP_CR_ENTRY_SIGNAL = 8,  /* struct vup_cr_signal (1.5) */
};

/* Entry flags. */
#define VUP_CR_ENTRY_REQUIRED   (1u << 0) /* unknown type => refuse device */

struct vup_cr_entry_hdr {
    uint16_t type;           /* enum vup_cr_entry_type */
    uint16_t flags;          /* VUP_CR_ENTRY_* */
    uint32_t length;         /* whole entry, >= the type's size, 8-aligned */
};

/* MMIO window: one vfio region mapped into the guest's physical space. */
#define VUP_CR_MMIO_POSTED_WRITES (1u << 0) /* writes need no reply */
#define VUP_CR_MMIO_DIRECT_MAPPED (1u << 1) /* read-only mirror: see DIRECT */
#define VUP_CR_MMIO_FLAGS_KNOWN   (VUP_CR_MMIO_POSTED_WRITES | \
                                   VUP_CR_MMIO_DIRECT_MAPPED)

struct vup_cr_mmio {
    struct vup_cr_entry_hdr hdr;
    uint32_t region_index;   /* vfio region index, != VUP_CR_REGION_INDEX */
    uint32_t flags;          /* VUP_CR_MMIO_* */
    uint64_t base;           /* guest physical address, min_access aligned */
    uint64_t size;           /* bytes, <= the region's size */
    uint8_t  min_access;     /* 1, 2, 4 or 8 bytes */
    uint8_t  max_access;     /* 1, 2, 4 or 8 bytes, >= min_access */
    uint8_t  reserved[6];
    char     name[VUP_CR_NAME_LEN];
};

/*
 * Direct-read range (1.2): reads of [offset, offset + size) of a
 * DIRECT_MAPPED window's region have no side effects and may be served by
 * an untorn load from the region's read-only mirror (its sparse-mmap area
 * at region offset 0), which the backend keeps equal to what a read would
 * return.  Writes, and reads elsewhere in the window, are always forwarded.
 */
struct vup_cr_direct {
    struct vup_cr_entry_hdr hdr;
    uint32_t region_index;   /* of a DIRECT_MAPPED MMIO window */
    uint32_t flags;          /* none defined: 0 */
    uint64_t offset;         /* in the window, min_access aligned */
    uint64_t size;           /* > 0, multiple of min_access, inside it */
};

/* IRQ line: a vfio IRQ index (count 1, eventfd) wired to an NVIC input. */
#define VUP_CR_IRQ_LEVEL        (1u << 0) /* level: eventfd pair, see docs */
#define VUP_CR_IRQ_EDGE         (1u << 1) /* pulse per eventfd signal */
#define VUP_CR_IRQ_FLAGS_KNOWN  (VUP_CR_IRQ_LEVEL | VUP_CR_IRQ_EDGE)

struct vup_cr_irq {
    struct vup_cr_entry_hdr hdr;
    uint32_t irq_index;      /* vfio IRQ index, < VUP_CR_MAX_IRQS */
    uint32_t line;           /* NVIC external interrupt number (IRQn >= 0) */
    uint32_t flags;          /* exactly one of LEVEL, EDGE */
    uint32_t reserved;
    char     name[VUP_CR_NAME_LEN];
};

/* Clock: an output the backend drives or an input it consumes. */
#define VUP_CR_CLOCK_OUTPUT      (1u << 0)
#define VUP_CR_CLOCK_INPUT       (1u << 1)
#define VUP_CR_CLOCK_ROLE_CPU    (1u << 8) /* board: armv7m cpuclk */
#define VUP_CR_CLOCK_ROLE_REFCLK (1u << 9) /* board: armv7m refclk (SysTick) */
#define VUP_CR_CLOCK_FLAGS_KNOWN (VUP_CR_CLOCK_OUTPUT | VUP_CR_CLOCK_INPUT | \
                                  VUP_CR_CLOCK_ROLE_CPU | \
                                  VUP_CR_CLOCK_ROLE_REFCLK)
#define VUP_CR_CLOCK_MAX_HZ      UINT64_C(10000000000) /* 10 GHz */

struct vup_cr_clock {
    struct vup_cr_entry_hdr hdr;
    uint32_t flags;          /* exactly one of OUTPUT, INPUT; roles: outputs */
    uint32_t live_index;     /* slot in vup_cr_live.clock_hz[] */
    uint64_t freq_hz;        /* frequency at reset (outputs), 0 = off */
    char     name[VUP_CR_NAME_LEN];
};

/*
 * Signal group (1.5): @width lines between peripherals, named as a whole
 * (a GPIO bank's pins "gpioa", a timer's trigger output "tim2.trgo").
 * Line i of an OUT group is bit @first + i of sig_out (and, for PULSE,
 * sig_out_pulses[@first + i]) in the live part, which the backend writes;
 * an IN group's lines are the same places in sig_in and sig_in_pulses,
 * which QEMU writes.  QEMU exposes the group as named GPIO lines of that
 * name; a board connects an OUT group to the IN groups of the same name.
 * Names are unique among a device's signals (whatever the direction).
 */
#define VUP_CR_SIGNAL_OUT        (1u << 0) /* the backend drives it */
#define VUP_CR_SIGNAL_IN         (1u << 1) /* QEMU drives it */
#define VUP_CR_SIGNAL_PULSE      (1u << 2) /* pulses, not levels */
#define VUP_CR_SIGNAL_FLAGS_KNOWN (VUP_CR_SIGNAL_OUT | VUP_CR_SIGNAL_IN | \
                                   VUP_CR_SIGNAL_PULSE)

struct vup_cr_signal {
    struct vup_cr_entry_hdr hdr;
    uint32_t flags;          /* exactly one of OUT, IN; PULSE optional */
    uint16_t first;          /* first live bit; groups of a direction are */
    uint16_t width;          /* disjoint; 1..VUP_CR_MAX_SIGNAL_WIDTH */
    char     name[VUP_CR_NAME_LEN];
};

/* Memory the generic board should create (flash, SRAM). */
enum vup_cr_memory_kind {
    VUP_CR_MEMORY_FLASH = 1, /* read-only to the guest, holds -kernel */
    VUP_CR_MEMORY_RAM   = 2,
};

struct vup_cr_memory {
    struct vup_cr_entry_hdr hdr;
    uint32_t kind;           /* enum vup_cr_memory_kind */
    uint32_t flags;          /* none defined: 0 */
    uint64_t base;
    uint64_t size;
    char     name[VUP_CR_NAME_LEN];
};

/* CPU hint for the generic board. */
struct vup_cr_cpu {
    struct vup_cr_entry_hdr hdr;
    uint32_t num_irq;        /* NVIC external lines, 0 = board default */
    uint32_t flags;          /* none defined: 0 */
    char     cpu_type[VUP_CR_NAME_LEN]; /* e.g. "cortex-m4", "" = default */
};

/* Capability: an optional protocol feature and where its state lives. */
enum vup_cr_cap_id {
    VUP_CR_CAP_VIRTUAL_TIME = 1, /* vtime_ns/deadline_ns in the live part */
    VUP_CR_CAP_FAST_PATH    = 2, /* shared-memory mailbox at offset/size */
    VUP_CR_CAP_DOORBELL     = 3, /* control events on IRQ index `offset` */
};

struct vup_cr_cap {
    struct vup_cr_entry_hdr hdr;
    uint32_t id;             /* enum vup_cr_cap_id */
    uint32_t version;        /* of that capability's own layout */
    uint32_t offset;         /* meaning depends on id (region offset, ...) */
    uint32_t size;
};

/*
 * Live part.  Writers: B = backend, Q = QEMU.  A field with no writer for
 * the features negotiated stays 0.  Readers never trust it beyond bounds.
 */
#define VUP_CR_NO_DEADLINE      UINT64_MAX

struct vup_cr_live {
    uint32_t seq;            /* B: bumped after every change of B fields */
    uint32_t flags;          /* none defined: 0 */
    uint64_t vtime_ns;       /* Q: guest virtual time (VIRTUAL_TIME cap) */
    uint64_t deadline_ns;    /* B: next wake-up, VUP_CR_NO_DEADLINE = none */
    uint32_t irq_level[VUP_CR_MAX_IRQS / 32]; /* B: level of IRQ index i */
    uint64_t clock_hz[VUP_CR_MAX_CLOCKS];     /* B: outputs, Q: inputs */
    /* 1.3, where live_size covers it: */
    uint8_t  irq_pulses[VUP_CR_MAX_IRQS];     /* B: EDGE pulses, mod 256 */
    /* 1.4, where live_size covers it: */
    uint32_t deadline_raise[VUP_CR_MAX_IRQS / 32]; /* B: LEVEL lines that the
                                                      deadline sets to 1 */
    /* 1.5, where live_size covers it (required by SIGNAL entries): */
    uint32_t sig_out[VUP_CR_MAX_SIGNAL_LINES / 32];  /* B: OUT line levels */
    uint8_t  sig_out_pulses[VUP_CR_MAX_SIGNAL_LINES]; /* B: PULSE, mod 256 */
    uint32_t sig_in[VUP_CR_MAX_SIGNAL_LINES / 32];   /* Q: IN line levels */
    uint8_t  sig_in_pulses[VUP_CR_MAX_SIGNAL_LINES];  /* Q: PULSE, mod 256 */
};

/* The live part of a 1.0 to 1.2 backend; 1.3 fields exist if they fit. */
#define VUP_CR_LIVE_SIZE_MIN    offsetof(struct vup_cr_live, irq_pulses)
/* The live part of a 1.3 backend; 1.4 fields exist if they fit. */
#define VUP_CR_LIVE_SIZE_1_3    offsetof(struct vup_cr_live, deadline_raise)
/* The live part of a 1.4 backend; 1.5 fields exist if they fit. */
#define VUP_CR_LIVE_SIZE_1_4    offsetof(struct vup_cr_live, sig_out)
/* QEMU's inputs, written in one message: sig_in to the end of the part. */
#define VUP_CR_LIVE_SIG_IN_OFF  offsetof(struct vup_cr_live, sig_in)

/*
 * Memory ordering of the mapped live part (docs/control-region.md): the
 * backend stores its fields (aligned, untorn stores), then increments seq
 * with release semantics; QEMU loads seq with acquire semantics, then the
 * fields.  A change after that load bumps seq again (and rings the
 * doorbell), so a later synchronisation point sees it.
 */

/*
 * FAST_PATH mailbox (capability version 1): a request ring from QEMU to the
 * backend and one response slot, in shared memory at the capability's
 * offset (inside the region's sparse-mmap area).  One producer (QEMU, one
 * request at a time per device apart from posted writes), one consumer (the
 * backend's loop).  Counters are free-running uint32_t; slot = n % num_slots.
 *
 *   QEMU:    fill ring[head % N], store-release head + 1; if b_sleeping
 *            (read after a full fence), signal the kick eventfd.  For a
 *            non-posted request, wait until resp_seq == its number + 1
 *            (acquire): spin a bounded time, then set q_waiting, full
 *            fence, re-check, FUTEX_WAIT on resp_seq.
 *   backend: load-acquire head; serve ring[tail % N] in order; for a
 *            non-posted one store status/resp_data, then store-release
 *            resp_seq; store-release tail + 1; if q_waiting (after a full
 *            fence), FUTEX_WAKE resp_seq.  When the ring is empty, spin a
 *            bounded time, then set b_sleeping, full fence, re-check head,
 *            and sleep on the kick eventfd with the rest of its loop.
 */
#define VUP_CR_MBOX_VERSION     1u
#define VUP_CR_MBOX_SLOTS       32u

#define VUP_CR_MBOX_OP_READ     1u
#define VUP_CR_MBOX_OP_WRITE    2u

#define VUP_CR_MBOX_POSTED      (1u << 0) /* write: no response */
#define VUP_CR_MBOX_VTIME       (1u << 1) /* vtime_ns is the access's time */
#define VUP_CR_MBOX_FLAGS_KNOWN (VUP_CR_MBOX_POSTED | VUP_CR_MBOX_VTIME)

struct vup_cr_mbox_req {
    uint8_t  op;             /* VUP_CR_MBOX_OP_* */
    uint8_t  size;           /* 1, 2, 4 or 8 bytes */
    uint16_t flags;          /* VUP_CR_MBOX_* */
    uint32_t region;         /* vfio region index of an MMIO window */
    uint64_t offset;         /* in that region */
    uint64_t data;           /* write: the value (little-endian) */
    uint64_t vtime_ns;       /* with VUP_CR_MBOX_VTIME */
};

struct vup_cr_mailbox {
    /* Written by QEMU (own cache line). */
    uint32_t head;           /* requests published */
    uint32_t q_waiting;      /* 1: QEMU may sleep on resp_seq (futex) */
    uint8_t  q_pad[56];
    /* Written by the backend (own cache line). */
    uint32_t tail;           /* requests consumed */
    uint32_t resp_seq;       /* number + 1 of the last answered request */
    uint32_t b_sleeping;     /* 1: the backend sleeps, signal the kick */
    uint32_t status;         /* 0, or a positive errno, for resp_seq */
    uint64_t resp_data;      /* read: the value (little-endian) */
    uint32_t kick_irq;       /* constant: vfio IRQ index of the kick fd */
    uint32_t num_slots;      /* constant: VUP_CR_MBOX_SLOTS */
    uint8_t  b_pad[32];
    struct vup_cr_mbox_req ring[VUP_CR_MBOX_SLOTS];
};

/* Layout checks: both sides compile these. */
_Static_assert(sizeof(struct vup_cr_header) == 64, "vup_cr_header");
_Static_assert(sizeof(struct vup_cr_entry_hdr) == 8, "vup_cr_entry_hdr");
_Static_assert(sizeof(struct vup_cr_mmio) == 72, "vup_cr_mmio");
_Static_assert(sizeof(struct vup_cr_irq) == 56, "vup_cr_irq");
_Static_assert(sizeof(struct vup_cr_direct) == 32, "vup_cr_direct");
_Static_assert(sizeof(struct vup_cr_clock) == 56, "vup_cr_clock");
_Static_assert(sizeof(struct vup_cr_memory) == 64, "vup_cr_memory");
_Static_assert(sizeof(struct vup_cr_cpu) == 48, "vup_cr_cpu");
_Static_assert(sizeof(struct vup_cr_cap) == 24, "vup_cr_cap");
_Static_assert(sizeof(struct vup_cr_signal) == 48, "vup_cr_signal");
_Static_assert(sizeof(struct vup_cr_live) == 888, "vup_cr_live");
_Static_assert(VUP_CR_LIVE_SIZE_1_4 == 312, "vup_cr_live 1.4");
_Static_assert(VUP_CR_LIVE_SIZE_MIN == 168, "vup_cr_live 1.0");
_Static_assert(VUP_CR_LIVE_SIZE_1_3 == 296, "vup_cr_live 1.3");
_Static_assert(sizeof(struct vup_cr_mbox_req) == 32, "vup_cr_mbox_req");
_Static_assert(sizeof(struct vup_cr_mailbox) == 128 + 32 * VUP_CR_MBOX_SLOTS,
               "vup_cr_mailbox");
_Static_assert(__builtin_offsetof(struct vup_cr_mailbox, tail) == 64,
               "vup_cr_mailbox.tail");

#endif /* VUP_CONTROL_REGION_H */
