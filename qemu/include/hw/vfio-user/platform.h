/*
 * vfio-user platform device: an MCU peripheral served over vfio-user
 *
 * The backend publishes a control region (see vup-control-region.h) that
 * tells where its MMIO windows live in the guest's physical address space
 * and which interrupt lines it drives.  This device reads and validates it,
 * forwards window accesses to the backend and raises one qemu_irq output per
 * interrupt line.  Mapping the windows and wiring the outputs is the board's
 * job; the accessors below give it what it needs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_USER_PLATFORM_H
#define HW_VFIO_USER_PLATFORM_H

#include "hw/clock.h"
#include "hw/sysbus.h"
#include "hw/vfio/vfio-device.h"
#include "qemu/event_notifier.h"
#include "qemu/timer.h"
#include "qom/object.h"
#include "hw/vfio-user/vup-control-region.h"

#define TYPE_VFIO_USER_PLATFORM "vfio-user-platform"
OBJECT_DECLARE_SIMPLE_TYPE(VFIOUserPlatform, VFIO_USER_PLATFORM)

/*
 * A DIRECT range: reads inside [offset, offset + size) of a DIRECT_MAPPED
 * window may be served by a load from its mirror, without a message.
 */
typedef struct VFIOUserPlatformDirect {
    uint32_t entry;              /* control region entry number */
    uint32_t region_index;       /* the window's vfio region index */
    uint64_t offset;             /* in the window */
    uint64_t size;
} VFIOUserPlatformDirect;

/* One MMIO window of the backend, forwarded with REGION_READ/WRITE. */
typedef struct VFIOUserPlatformWindow {
    VFIOUserPlatform *dev;
    char name[VUP_CR_NAME_LEN];
    uint32_t entry;              /* control region entry number */
    uint32_t region_index;       /* vfio region index */
    uint32_t region_flags;       /* VFIO_REGION_INFO_FLAG_* */
    uint32_t flags;              /* VUP_CR_MMIO_* */
    uint64_t base;               /* guest physical address */
    uint64_t size;
    uint8_t min_access;
    uint8_t max_access;
    MemoryRegionOps ops;
    MemoryRegion mr;
    /* DIRECT_MAPPED: the ranges read from the backend's read-only mirror */
    unsigned int num_direct;
    const VFIOUserPlatformDirect *direct; /* sorted by offset */
    const uint8_t *mirror;       /* NULL: every read is forwarded */
    size_t mirror_size;          /* length of the mapping */
} VFIOUserPlatformWindow;

/* One interrupt line, signalled by the backend through an eventfd. */
typedef struct VFIOUserPlatformIRQ {
    VFIOUserPlatform *dev;
    char name[VUP_CR_NAME_LEN];
    uint32_t entry;              /* control region entry number */
    uint32_t irq_index;          /* vfio IRQ index */
    uint32_t line;               /* NVIC external interrupt number */
    uint32_t flags;              /* VUP_CR_IRQ_LEVEL or VUP_CR_IRQ_EDGE */
    unsigned int out;            /* index of the sysbus IRQ output */
    EventNotifier notifier;
    bool notifier_active;
    bool level;                  /* current output level (LEVEL lines) */
} VFIOUserPlatformIRQ;

/* A memory the backend asks the board to create. */
typedef struct VFIOUserPlatformMemory {
    char name[VUP_CR_NAME_LEN];
    uint32_t entry;
    uint32_t kind;               /* enum vup_cr_memory_kind */
    uint64_t base;
    uint64_t size;
} VFIOUserPlatformMemory;

/*
 * A clock the backend drives (a Clock output of the device, named after
 * the entry) or consumes (a Clock input of the same name, whose frequency
 * QEMU writes into the backend's live part).
 */
typedef struct VFIOUserPlatformClock {
    VFIOUserPlatform *dev;
    char name[VUP_CR_NAME_LEN];
    uint32_t entry;
    uint32_t flags;              /* VUP_CR_CLOCK_* */
    uint32_t live_index;
    uint64_t freq_hz;            /* at reset */
    uint64_t hz;                 /* last applied (outputs) or written */
    Clock *clk;
} VFIOUserPlatformClock;

/* CPU hint for the board. */
typedef struct VFIOUserPlatformCPUHint {
    uint32_t entry;
    uint32_t num_irq;            /* 0: board default */
    char cpu_type[VUP_CR_NAME_LEN]; /* "": board default */
} VFIOUserPlatformCPUHint;

struct VFIOUserPlatform {
    /*< private >*/
    SysBusDevice parent_obj;

    /*< public >*/
    char *socket;
    uint32_t msg_timeout;
    uint32_t spin_us;
    char *on_failure;            /* "stop" (default) or "bus-error" */
    uint32_t reconnect_ms;       /* bus-error: retry period, 0 = never */
    char *fast_path;             /* auto, mailbox, direct, live, off */

    VFIODevice vbasedev;
    bool failed;                 /* backend gone: stop forwarding */
    bool bus_error;              /* on-failure=bus-error */
    QEMUBH *disconnect_bh;
    QEMUBH *drop_bh;             /* bus-error: drops a failed connection */
    QEMUTimer *reconnect_timer;  /* QEMU_CLOCK_REALTIME */
    bool refused_reported;       /* a reconnect was refused: said once */
    uint8_t *desc;               /* descriptor read at realize, compared */
    uint32_t desc_size;          /* on reconnects */

    char device_name[VUP_CR_NAME_LEN];
    uint32_t cr_index;
    uint64_t cr_size;
    uint32_t live_offset;        /* 0: no live part */
    uint32_t live_size;

    unsigned int num_windows;
    VFIOUserPlatformWindow *windows;
    unsigned int num_irqs;
    VFIOUserPlatformIRQ *irqs;
    qemu_irq *irq_out;
    unsigned int num_memories;
    VFIOUserPlatformMemory *memories;
    unsigned int num_clocks;
    VFIOUserPlatformClock *clocks;
    bool has_cpu_hint;
    VFIOUserPlatformCPUHint cpu_hint;
    unsigned int num_direct;
    VFIOUserPlatformDirect *direct;  /* by region index, then offset */

    /* Capabilities the backend published. */
    bool has_vtime;              /* VUP_CR_CAP_VIRTUAL_TIME */
    bool has_doorbell;           /* VUP_CR_CAP_DOORBELL */
    uint32_t doorbell_index;     /* its vfio IRQ index */
    EventNotifier doorbell;
    bool doorbell_active;

    /* Synchronisation with the live part (docs/control-region.md). */
    bool live_valid;             /* live_seq holds a value read */
    uint32_t live_seq;
    bool syncing;
    bool resync;
    QEMUBH *sync_bh;             /* after posted writes */
    QEMUTimer *deadline_timer;   /* QEMU_CLOCK_VIRTUAL */

    /* Shared memory: the mapped live part and the FAST_PATH mailbox. */
    bool map_live;               /* fast-path=auto|mailbox|direct|live */
    bool use_mbox;               /* fast-path=auto|mailbox */
    bool use_direct;             /* fast-path=auto|direct: mirrors */
    bool has_mbox_cap;           /* VUP_CR_CAP_FAST_PATH published */
    uint32_t mbox_offset;        /* its offset and size in the region */
    uint32_t mbox_size;
    void *shm;                   /* mapping of the region's sparse area */
    size_t shm_size;
    struct vup_cr_live *live_map;   /* NULL: live part by messages */
    struct vup_cr_mailbox *mbox;    /* NULL: accesses by messages */
    uint32_t mbox_head;          /* requests published */
    EventNotifier mbox_kick;     /* wakes the backend: we only signal it */
    bool mbox_kick_active;
    uint64_t deadline_ns;        /* armed for, VUP_CR_NO_DEADLINE = none */
    uint64_t vtime_sent;         /* last vtime_ns written to the backend */
    /*
     * A posted write was sent (socket or mailbox) and no reply or mailbox
     * response has come since: the backend may not have handled it yet,
     * so reads are forwarded, not served from a mirror.
     */
    bool posted_pending;
};

/* The socket path, for messages. */
static inline const char *vfio_user_platform_socket(VFIOUserPlatform *dev)
{
    return dev->socket;
}

/* The backend's device name from the control region header. */
static inline const char *vfio_user_platform_name(VFIOUserPlatform *dev)
{
    return dev->device_name;
}

static inline unsigned int
vfio_user_platform_num_windows(VFIOUserPlatform *dev)
{
    return dev->num_windows;
}

/*
 * Window @n: name, base, size and the MemoryRegion the board maps at base.
 */
static inline const VFIOUserPlatformWindow *
vfio_user_platform_window(VFIOUserPlatform *dev, unsigned int n)
{
    assert(n < dev->num_windows);
    return &dev->windows[n];
}

static inline MemoryRegion *
vfio_user_platform_window_mr(VFIOUserPlatform *dev, unsigned int n)
{
    assert(n < dev->num_windows);
    return &dev->windows[n].mr;
}

static inline unsigned int vfio_user_platform_num_irqs(VFIOUserPlatform *dev)
{
    return dev->num_irqs;
}

/*
 * IRQ line @n: name, NVIC line, flags and the sysbus IRQ output index
 * (connect it with sysbus_connect_irq(sbd, irq->out, ...)).
 */
static inline const VFIOUserPlatformIRQ *
vfio_user_platform_irq(VFIOUserPlatform *dev, unsigned int n)
{
    assert(n < dev->num_irqs);
    return &dev->irqs[n];
}

static inline unsigned int
vfio_user_platform_num_memories(VFIOUserPlatform *dev)
{
    return dev->num_memories;
}

static inline const VFIOUserPlatformMemory *
vfio_user_platform_memory(VFIOUserPlatform *dev, unsigned int n)
{
    assert(n < dev->num_memories);
    return &dev->memories[n];
}

static inline unsigned int
vfio_user_platform_num_clocks(VFIOUserPlatform *dev)
{
    return dev->num_clocks;
}

static inline const VFIOUserPlatformClock *
vfio_user_platform_clock(VFIOUserPlatform *dev, unsigned int n)
{
    assert(n < dev->num_clocks);
    return &dev->clocks[n];
}

/* The QEMU Clock of clock entry @n (an output or an input). */
static inline Clock *vfio_user_platform_clock_obj(VFIOUserPlatform *dev,
                                                  unsigned int n)
{
    assert(n < dev->num_clocks);
    return dev->clocks[n].clk;
}

/* The CPU hint, or NULL if the backend gave none. */
static inline const VFIOUserPlatformCPUHint *
vfio_user_platform_cpu_hint(VFIOUserPlatform *dev)
{
    return dev->has_cpu_hint ? &dev->cpu_hint : NULL;
}

#endif /* HW_VFIO_USER_PLATFORM_H */
