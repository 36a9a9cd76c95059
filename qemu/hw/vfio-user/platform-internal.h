/*
 * vfio-user platform device: state and functions shared by its files
 *
 * platform.c       QOM type, properties, realize/reset, failure policy
 * platform-cr.c    finding, reading and validating the control region
 * platform-io.c    window MemoryRegionOps, forwarding, server requests
 * platform-shm.c   shared memory: live part, mailbox, register mirrors
 * platform-sync.c  synchronisation points: IRQ lines, doorbell, clocks,
 *                  virtual time and deadlines
 * platform-signal.c signal groups (named GPIO lines) and their routing
 *
 * Copyright (c) 2025 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VFIO_USER_PLATFORM_INTERNAL_H
#define HW_VFIO_USER_PLATFORM_INTERNAL_H

#include "hw/vfio-user/platform.h"
#include "hw/vfio-user/vup-cr.h"
#include "hw/vfio/vfio-device.h"
#include "hw/vfio-user/proxy.h"
#include "qapi/qapi-types-vfio.h"
#include "qemu/event_notifier.h"
#include "qemu/timer.h"

/* A DIRECT range: reads inside it may be served from the window's mirror. */
typedef struct VFIOUserPlatformDirect {
    uint64_t offset;             /* in the window */
    uint64_t size;
} VFIOUserPlatformDirect;

/* One MMIO window of the backend. */
typedef struct VFIOUserPlatformWindow {
    VFIOUserPlatform *dev;
    const struct vup_cr_mmio *e; /* its entry, in dev->desc */
    uint32_t region_flags;       /* VFIO_REGION_INFO_FLAG_* */
    bool posted;                 /* VUP_CR_MMIO_POSTED_WRITES */
    uint64_t size;
    MemoryRegionOps ops;
    MemoryRegion mr;
    /* DIRECT_MAPPED: the ranges read from the backend's read-only mirror */
    unsigned int num_direct;
    VFIOUserPlatformDirect *direct; /* sorted by offset */
    const uint8_t *mirror;       /* NULL: every read is forwarded */
    size_t mirror_size;          /* length of the mapping */
} VFIOUserPlatformWindow;

/* One interrupt line (sysbus IRQ output n for IRQ entry n). */
typedef struct VFIOUserPlatformIRQ {
    VFIOUserPlatform *dev;
    const struct vup_cr_irq *e;
    EventNotifier notifier;      /* unless the live part carries the line */
    bool notifier_active;
    bool level;                  /* current output level (LEVEL lines) */
} VFIOUserPlatformIRQ;

/*
 * A clock the backend drives (a Clock output of the device, named after
 * the entry) or consumes (a Clock input of the same name, whose frequency
 * QEMU writes into the backend's live part).
 */
typedef struct VFIOUserPlatformClock {
    VFIOUserPlatform *dev;
    const struct vup_cr_clock *e;
    uint64_t hz;                 /* last applied (outputs) or written */
    Clock *clk;
} VFIOUserPlatformClock;

/*
 * A signal group (1.5): named GPIO outputs of the device (OUT, the
 * backend drives them) or inputs (IN, the board's devices drive them).
 */
typedef struct VFIOUserPlatformSignal {
    VFIOUserPlatform *dev;
    const struct vup_cr_signal *e;
    qemu_irq *out;               /* OUT: e->width GPIO outputs */
} VFIOUserPlatformSignal;

/* The guest access being forwarded, for failure reports. */
typedef struct VFIOUserPlatformAccess {
    const VFIOUserPlatformWindow *win;   /* NULL: none */
    hwaddr addr;
    bool write;
} VFIOUserPlatformAccess;

/* Forwarding results: a refusal is the guest's bus error, a failure ours. */
typedef enum {
    VUP_IO_OK,        /* done */
    VUP_IO_REFUSED,   /* the backend answered with an error */
    VUP_IO_FAILED,    /* no valid answer: backend dead, stuck or broken */
} VUPIOResult;

struct VFIOUserPlatform {
    /*< private >*/
    SysBusDevice parent_obj;

    /*< public >*/
    char *socket;
    uint32_t msg_timeout;
    uint32_t spin_us;
    bool spin_adaptive;
    VfioUserPlatformOnFailure on_failure;
    uint32_t reconnect_ms;       /* bus-error: retry period, 0 = never */
    VfioUserPlatformFastPath fast_path;

    VFIODevice vbasedev;
    bool failed;                 /* backend gone: stop forwarding */
    QEMUBH *disconnect_bh;
    QEMUBH *drop_bh;             /* bus-error: drops a failed connection */
    QEMUTimer *reconnect_timer;  /* QEMU_CLOCK_REALTIME */
    bool refused_reported;       /* a reconnect was refused: said once */
    VFIOUserPlatformAccess access;

    /* The control region: descriptor as read at realize, and its view. */
    uint32_t cr_index;
    uint64_t cr_size;
    uint8_t *desc;
    uint32_t desc_size;
    struct vup_cr_view *view;
    uint32_t live_offset;        /* 0: no live part */

    unsigned int num_windows;
    VFIOUserPlatformWindow *windows;
    unsigned int num_irqs;
    VFIOUserPlatformIRQ *irqs;
    qemu_irq *irq_out;
    /*
     * The live part's line state as last applied, and the line of each
     * IRQ index: a synchronisation point looks at the words that changed,
     * so its cost does not grow with the number of lines.
     */
    VFIOUserPlatformIRQ *irq_by_index[VUP_CR_MAX_IRQS];
    uint32_t irq_level[VUP_CR_MAX_IRQS / 32];
    uint8_t irq_pulses[VUP_CR_MAX_IRQS];
    unsigned int num_clocks;
    VFIOUserPlatformClock *clocks;
    /*
     * Signal groups, and the live part's signal state: OUT lines as last
     * applied (and the group of each OUT line), IN lines as they are now,
     * sent in one message per instant by the flush timer.
     */
    unsigned int num_signals;
    VFIOUserPlatformSignal *signals;
    VFIOUserPlatformSignal *sig_by_out_line[VUP_CR_MAX_SIGNAL_LINES];
    uint32_t sig_out[VUP_CR_MAX_SIGNAL_LINES / 32];
    uint8_t sig_out_pulses[VUP_CR_MAX_SIGNAL_LINES];
    uint32_t sig_in[VUP_CR_MAX_SIGNAL_LINES / 32];
    uint8_t sig_in_pulses[VUP_CR_MAX_SIGNAL_LINES];
    bool sig_flush_pending;
    QEMUTimer *sig_flush_timer;  /* QEMU_CLOCK_VIRTUAL, IN groups only */

    /* Capabilities the backend published. */
    bool has_vtime;              /* VUP_CR_CAP_VIRTUAL_TIME */
    bool has_doorbell;           /* VUP_CR_CAP_DOORBELL */
    uint32_t doorbell_index;     /* its vfio IRQ index */
    /* The live part carries every line (1.3 with a doorbell): no eventfd */
    bool lines_in_live;
    /* It says which lines the deadline raises (1.4 with virtual time) */
    bool predicts;
    uint32_t deadline_raise[VUP_CR_MAX_IRQS / 32];
    EventNotifier doorbell;
    bool doorbell_active;

    /* Synchronisation with the live part (docs/control-region.md). */
    bool live_valid;             /* live_seq holds a value read */
    uint32_t live_seq;
    bool syncing;
    bool resync;
    QEMUBH *sync_bh;             /* after posted writes */
    QEMUBH *confirm_bh;          /* tells a predicted deadline's time */
    QEMUTimer *deadline_timer;   /* QEMU_CLOCK_VIRTUAL */
    uint64_t deadline_ns;        /* armed for, VUP_CR_NO_DEADLINE = none */
    uint64_t vtime_sent;         /* last vtime_ns told, UINT64_MAX: none */

    /* Shared memory: the mapped live part and the FAST_PATH mailbox. */
    bool map_live;               /* fast-path=auto|mailbox|direct|live */
    bool use_mbox;               /* fast-path=auto|mailbox */
    bool use_direct;             /* fast-path=auto|direct: mirrors */
    void *shm;                   /* mapping of the region's sparse area */
    size_t shm_size;
    struct vup_cr_live *live_map;   /* NULL: live part by messages */
    struct vup_cr_mailbox *mbox;    /* NULL: accesses by messages */
    uint32_t mbox_head;          /* requests published */
    int64_t mbox_spin_ns;        /* the mailbox poll now, <= spin-us */
    EventNotifier mbox_kick;     /* wakes the backend: we only signal it */
    bool mbox_kick_active;
    /*
     * A posted write was sent (socket or mailbox) and no reply or mailbox
     * response has come since: the backend may not have handled it yet,
     * so reads are forwarded, not served from a mirror.
     */
    bool posted_pending;
};

/* platform.c */
void G_GNUC_PRINTF(3, 4)
vfio_user_platform_fail(VFIOUserPlatform *vdev, Error *err,
                        const char *fmt, ...);
MemTxResult vfio_user_platform_failed_access(VFIOUserPlatform *vdev);

/* platform-cr.c */
bool vfio_user_platform_find_cr(VFIOUserPlatform *vdev, Error **errp);
bool vfio_user_platform_load_cr(VFIOUserPlatform *vdev, Error **errp);
bool vfio_user_platform_check_same(VFIOUserPlatform *vdev, Error **errp);
void vfio_user_platform_free_cr(VFIOUserPlatform *vdev);

/* platform-io.c */
VUPIOResult vfio_user_platform_region_read(VFIOUserPlatform *vdev,
                                           uint32_t index, uint64_t offset,
                                           void *data, uint32_t count,
                                           Error **errp);
VUPIOResult vfio_user_platform_region_write(VFIOUserPlatform *vdev,
                                            uint32_t index, uint64_t offset,
                                            const void *data, uint32_t count,
                                            bool post, Error **errp);
void vfio_user_platform_windows_init(VFIOUserPlatform *vdev);
void vfio_user_platform_process_req(void *opaque, VFIOUserMsg *msg);
/* "read of usart1+0x1c", or NULL when no guest access is in progress */
char *vfio_user_platform_access_str(VFIOUserPlatform *vdev);

/* platform-shm.c */
void vfio_user_platform_map_shared(VFIOUserPlatform *vdev);
void vfio_user_platform_unmap_shared(VFIOUserPlatform *vdev);
VUPIOResult vfio_user_platform_mbox_access(VFIOUserPlatform *vdev,
                                           VFIOUserPlatformWindow *win,
                                           hwaddr addr, uint64_t *data,
                                           unsigned size, bool write,
                                           bool post, Error **errp);
bool vfio_user_platform_read_mirror(VFIOUserPlatformWindow *win,
                                    hwaddr addr, unsigned size,
                                    uint64_t *data);
void vfio_user_platform_live_load(VFIOUserPlatform *vdev,
                                  struct vup_cr_live *live);

/* platform-sync.c */
void vfio_user_platform_sync(VFIOUserPlatform *vdev);
void vfio_user_platform_sync_bh(void *opaque);
void vfio_user_platform_confirm_bh(void *opaque);
bool vfio_user_platform_pre_access(VFIOUserPlatform *vdev, bool post);
bool vfio_user_platform_send_vtime(VFIOUserPlatform *vdev);
void vfio_user_platform_deadline_cb(void *opaque);
void vfio_user_platform_set_irq(VFIOUserPlatform *vdev,
                                VFIOUserPlatformIRQ *irq, bool level);
bool vfio_user_platform_irqs_init(VFIOUserPlatform *vdev, Error **errp);
bool vfio_user_platform_irqs_rearm(VFIOUserPlatform *vdev, Error **errp);
void vfio_user_platform_irqs_exit(VFIOUserPlatform *vdev);
bool vfio_user_platform_clocks_init(VFIOUserPlatform *vdev, Error **errp);
void vfio_user_platform_push_inputs(VFIOUserPlatform *vdev);

/* platform-signal.c */
bool vfio_user_platform_signals_init(VFIOUserPlatform *vdev, Error **errp);
void vfio_user_platform_signals_exit(VFIOUserPlatform *vdev);
void vfio_user_platform_signals_apply(VFIOUserPlatform *vdev,
                                      const struct vup_cr_live *live);
void vfio_user_platform_signals_flush(VFIOUserPlatform *vdev);
void vfio_user_platform_signals_push(VFIOUserPlatform *vdev);
void vfio_user_platform_signals_drop(VFIOUserPlatform *vdev);
void vfio_user_platform_signals_rearm(VFIOUserPlatform *vdev);

#endif /* HW_VFIO_USER_PLATFORM_INTERNAL_H */
