/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvup internals shared between lib/ files, not installed: each module's
 * state (embedded in struct vup_dev) and functions.  Internal names start
 * with vupi_ (VUPI_ for macros); vup_ is the public API's.
 */
#ifndef VUPI_INTERNAL_H
#define VUPI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <sys/uio.h>

#include "vup.h"
#include "protocol.h"

struct epoll_event;

#define VUPI_MAX_PERIPHS     64u   /* vfio regions 1..N; QEMU allows < 100 */
#define VUPI_MAX_MEMORIES    16u
#define VUPI_MAX_WATCHES     64u
#define VUPI_MAX_TIMERS      64u
#define VUPI_MAX_NOTIFIERS   32u   /* clock notify callbacks per device */
#define VUPI_UNMAPPED_LOG    16u   /* distinct unmapped offsets logged */
#define VUPI_LIVE_SIZE       VUP_CR_LIVE_ALIGN
#define VUPI_MBOX_PAGE       4096u /* the mailbox page after the live one */

#define VUPI_ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))

/*
 * Each module's state, embedded in struct vup_dev (below).  A module's
 * fields are written by that module's functions only; others read them.
 */

/* log.c: the device's last failure, for vup_dev_error(). */
struct vupi_error {
    char msg[256];
};

/* loop.c: the epoll fd and what it watches. */
struct vupi_watch {
    uint64_t id;                   /* epoll data; never reused */
    int fd;
    uint32_t events;
    vup_fd_fn fn;
    void *opaque;
};

/* spin.c: one adaptive poll (docs/libvup.md, "Polling"). */
struct vupi_spin {
    uint64_t max_ns;               /* spin-us */
    uint64_t ns;                   /* the poll now, 0..max_ns */
    bool adaptive;
};

struct vupi_loop {
    int epfd;
    struct vupi_watch watch[VUPI_MAX_WATCHES];
    size_t num_watches;
    uint64_t next_id;
    struct vupi_spin spin;         /* polling epoll after a reply */
    bool replied;                  /* sent a reply since the last wait */
    bool learning;                 /* a wait after a reply is timed */
    bool gave_cpu;                 /* its poll let another thread run */
    uint64_t wait_start;           /* when that wait started */
};

/* live.c: the control region's live part. */
struct vupi_live {
    struct vup_cr_live local;      /* the live part without shared memory */
    struct vup_cr_live *part;      /* &local or the shared page */
    int doorbell_fd;               /* client's eventfd, -1 if none */
    uint32_t doorbell_index;       /* its vfio IRQ index, for the log */
    bool in_request;               /* a reply follows: no doorbell */
};

/* wire.c: signal groups between peripherals, and to QEMU. */
#define VUPI_MAX_SIGNAL_GROUPS 128u

struct vup_signal {
    vup_periph *periph;
    char name[VUP_CR_NAME_LEN];
    unsigned width, flags;         /* VUP_SIGNAL_* */
    vup_signal_fn input;           /* IN groups */
    void *opaque;
    uint32_t levels;               /* bit i: line i */
    vup_signal *driver;            /* IN: the OUT it is connected to */
    vup_signal **sinks;            /* OUT: the INs connected to it */
    size_t num_sinks;
    bool published;                /* a SIGNAL entry: QEMU sees it */
    unsigned first;                /* then: its first live bit */
    uint8_t pulses_seen[VUP_CR_MAX_SIGNAL_WIDTH]; /* IN PULSE: applied */
};

struct vupi_wires {
    vup_signal *group[VUPI_MAX_SIGNAL_GROUPS];
    size_t num;
    size_t num_published;
    bool has_inputs;               /* QEMU may write the input block */
    unsigned depth;                /* nested deliveries, against loops */
    bool loop_reported;
};

/* irq.c: the IRQ lines the peripherals declared, in vfio index order. */
struct vupi_irq {
    vup_periph *periph;
    unsigned n;                    /* index into periph->desc.irqs */
    uint32_t flags;                /* VUP_CR_IRQ_LEVEL or _EDGE */
    int fd;                        /* client's eventfd, -1 if none */
};

struct vupi_irqs {
    struct vupi_irq line[VUP_CR_MAX_IRQS];
    size_t num;
};

/* clock.c: clock entries (slot i = clock_hz[i] of the live part). */
struct vupi_clock {
    char name[VUP_CR_NAME_LEN];
    uint32_t flags;
    uint64_t reset_hz;
};

struct vupi_clock_notifier {
    unsigned clock;
    vup_clock_fn fn;
    void *opaque;
};

struct vupi_clocks {
    struct vupi_clock clock[VUP_CR_MAX_CLOCKS];
    size_t num;
    struct vupi_clock_notifier notifier[VUPI_MAX_NOTIFIERS];
    size_t num_notifiers;
};

/* timer.c: timers in virtual time, and the time QEMU gave. */
struct vup_timer {
    vup_dev *dev;
    vup_timer_fn fn;
    void *opaque;
    bool armed;
    uint64_t deadline;             /* virtual ns, valid when armed */
    int predicted_irq;             /* LEVEL line it raises, -1: none said */
};

struct vupi_timers {
    struct vup_timer *timer[VUPI_MAX_TIMERS];
    size_t num;
    bool virtual_time;             /* VIRTUAL_TIME capability published */
    bool running;                  /* in vupi_timers_run() */
    uint64_t vtime;                /* QEMU's time as last told (vtime_ns) */
    uint64_t now_ns;               /* vup_dev_now_ns() */
};

/* regs.c and mirror.c: a peripheral's registers and their mirror. */
/*
 * A register's field semantics as masks, computed once from its field table
 * (regs.c), and the state they need.  What a write does to a bit depends on
 * the bit written: write[op][b] are the bits that a written b clears
 * (VUPI_CLR), sets (VUPI_SET) or inverts (VUPI_TOG).  A guest write of the
 * bits w in the written lanes L (minus the locked ones) does
 *     op(x) = L & (w & write[x][1] | ~w & write[x][0])
 *     new = ((old & ~op(VUPI_CLR)) | op(VUPI_SET)) ^ op(VUPI_TOG)
 */
enum vupi_bit_op { VUPI_KEEP, VUPI_CLR, VUPI_SET, VUPI_TOG, VUPI_NUM_OPS };

struct vupi_reg_sem {
    uint32_t exists;               /* bits of some field; others reserved */
    uint32_t write[VUPI_NUM_OPS][2];   /* [op][bit written] ([VUPI_KEEP]:
                                          bits left alone, unused) */
    uint32_t read[VUPI_NUM_OPS];   /* what a read does after: [VUPI_CLR]
                                      and [VUPI_SET] */
    uint32_t once;                 /* writeOnce / read-writeOnce bits */
    uint32_t wo;                   /* write-only bits: stored in hidden */
    bool read_effect;              /* any read action: never direct-mapped */
    uint32_t locked;               /* once bits written since reset */
    uint32_t hidden;               /* the stored write-only bits */
};

struct vup_periph {
    vup_dev *dev;
    struct vup_periph_desc desc;   /* tables still point at the caller's */
    char name[VUP_CR_NAME_LEN];
    void *opaque;
    uint32_t region;               /* vfio region index */
    uint32_t irq_base;             /* vfio IRQ index of desc->irqs[0] */
    const struct vup_reg **sorted; /* by offset, for binary search */
    uint32_t *values;              /* parallel to sorted: what reads see */
    struct vupi_reg_sem *sem;      /* parallel to sorted (regs.c); in the
                                      allocation of values */
    uint32_t unmapped[VUPI_UNMAPPED_LOG];
    unsigned num_unmapped;
    /* Direct-mapped window (mirror.c): NULL and 0 without one. */
    uint32_t *mirror;              /* the window's page(s) in d->mirror.map */
    uint64_t mirror_offset;        /* in the mirror memfd */
    uint32_t mirror_size;          /* the window, page rounded */
    size_t num_direct;             /* DIRECT ranges published */
};

/* A DIRECT range of a window. */
struct vupi_range {
    uint32_t offset, size;
};

/* mirror.c: the memfd of the windows' read-only mirrors. */
struct vupi_mirror {
    int fd;                        /* -1: none */
    uint8_t *map;                  /* its mapping */
    uint64_t size;
};

/* cr-encode.c: the descriptor and where things sit in region 0. */
struct vupi_cr {
    uint8_t *desc;                 /* NULL until frozen */
    uint32_t desc_size;
    uint32_t live_offset;
    uint32_t mbox_offset;          /* 0: no FAST_PATH capability */
    uint32_t kick_index;           /* vfio IRQ index of the kick eventfd */
    bool has_doorbell;             /* DOORBELL capability published */
};

/* mailbox.c: shared memory behind region 0, and the FAST_PATH mailbox. */
struct vupi_shm {
    int fd;                        /* memfd behind region 0, -1: none */
    uint8_t *map;                  /* its mapping from live_offset */
    size_t size;
    struct vup_cr_mailbox *mbox;   /* NULL: no mailbox */
    int kick_fd;                   /* QEMU's kick eventfd, -1 if none */
    uint64_t served;               /* requests served from the mailbox */
    struct vupi_spin spin;         /* polling the mailbox after a request */
    uint64_t sleep_start;          /* the mailbox sleeps since, or 0 */
    bool gave_cpu;                 /* the poll before that let others run */
};

/* server.c: the listening socket and the one client. */
struct vupi_dma_map {
    uint64_t iova, size;
    uint32_t flags;
    void *addr;                    /* mmap of the client's fd, or NULL */
};

/*
 * dma.c: a DMA_READ/DMA_WRITE the device sent and whose reply it waits
 * for.  Abandoned: it timed out and its caller was told; the slot stays
 * taken until the late reply comes (or the client goes), so ids are never
 * reused while QEMU may still answer them.
 */
#define VUPI_DMA_MAX_PENDING VUP_DMA_MAX_PENDING
#define VUPI_DMA_TIMEOUT_MS  10000u
#define VUPI_DMA_WHY_LEN     384u   /* a refusal lists the maps */

struct vupi_dma_req {
    bool used, abandoned;
    uint16_t id, command;          /* VUPI_CMD_DMA_READ or _WRITE */
    uint64_t gpa;
    uint32_t len;
    void *buf;                     /* read: where the data goes */
    vup_periph *periph;            /* for the log */
    vup_dma_done_fn done;
    void *opaque;
    uint64_t deadline_ms;          /* CLOCK_MONOTONIC */
};

/* An output message not yet taken by the socket (server.c). */
struct vupi_out {
    uint8_t *buf;
    size_t len, off;
    int fd;                        /* sent with buf's first byte, or -1 */
    struct vupi_out *next;
};

/* Receive side of one message being framed (see socket.c). */
struct vupi_rx {
    struct vupi_msg_hdr hdr;
    size_t have;                   /* bytes of header + body received */
    uint8_t *body;                 /* hdr.size - sizeof(hdr) bytes */
    size_t body_cap;
    int fds[VUPI_MSG_MAX_FDS];
    size_t nfds;
    bool fds_truncated;            /* more fds than we accept were sent */
};

struct vupi_conn {
    int fd;                        /* -1: no client */
    bool negotiated;               /* VERSION done */
    bool write_multi;              /* client offered write_multiple */
    bool close_after;              /* drop once this reply is queued */
    struct vupi_rx rx;
    struct vupi_out *out, *out_tail;   /* unsent messages, in order */
    struct vupi_dma_map dma[VUPI_DMA_MAX_MAPS];   /* dma.c */
    size_t num_dma;
    struct vupi_dma_req pending[VUPI_DMA_MAX_PENDING];   /* dma.c */
    size_t num_pending;
    uint16_t next_dma_id;
};

/* dma.c: the timeout of pending requests, and what was done how. */
struct vupi_dma {
    int timer_fd;                  /* timerfd, -1 until the first request */
    unsigned timeout_ms;
    uint64_t armed_ms;             /* its deadline, 0: disarmed */
    uint64_t copies, messages;     /* transfers done by memcpy / by message */
};

struct vupi_server {
    int listen_fd;                 /* -1: not listening */
    char *path;
    struct vupi_conn conn;
};

/* chardev.c: the open chardevs, closed by vup_dev_free(). */
struct vupi_chardevs {
    struct vup_chardev *list;
};

/*
 * signal.c: what models show the outside world (pins, serial lines,
 * values) and the waits on them (wait-pin, wait-serial).
 */
#define VUPI_SIGNAL_NAME_LEN  48u  /* "<periph>.<name>" and its NUL */
#define VUPI_MAX_PINS         1024u
#define VUPI_MAX_SERIALS      64u
#define VUPI_MAX_VALUES       256u
#define VUPI_SERIAL_HISTORY   65536u  /* output kept per serial line */
#define VUPI_MAX_PATTERN      4096u   /* a wait-serial pattern, at most */

struct vup_pin {
    vup_periph *periph;
    char name[VUPI_SIGNAL_NAME_LEN];
    unsigned n, flags;             /* the model's number; VUP_PIN_* */
    vup_pin_drive_fn drive;
    void *opaque;
    bool level;
    int driven;                    /* 0, 1, VUP_PIN_RELEASED */
    const char *mode;
};

struct vup_serial {
    vup_periph *periph;
    char name[VUPI_SIGNAL_NAME_LEN];
    vup_chardev_rx_fn rx;
    void *opaque;
    uint8_t *hist;                 /* the last output, oldest first */
    size_t hist_len;
    uint64_t total;                /* bytes transmitted since the start */
    uint64_t mark;                 /* end of the last wait-serial match */
};

struct vup_value {
    vup_periph *periph;
    char name[VUPI_SIGNAL_NAME_LEN];
    char unit[16];
    double min, max, value;
    bool integer;
    vup_value_fn set;
    void *opaque;
};

enum vupi_wait_kind { VUPI_WAIT_PIN, VUPI_WAIT_SERIAL };
enum vupi_wait_status {
    VUPI_WAIT_PENDING,
    VUPI_WAIT_MET,
    VUPI_WAIT_TIMEOUT,             /* the virtual deadline passed */
    VUPI_WAIT_GONE,                /* its QEMU went: the deadline means
                                      nothing any more */
};

/*
 * One wait.  A virtual timeout counts from the guest's time when the wait
 * starts, which the device only knows once QEMU tells it: until then
 * (started false) the waits' timer is armed at once, QEMU answers that
 * deadline with its time, and the deadline is counted from there.
 */
struct vupi_wait {
    enum vupi_wait_kind kind;
    vup_pin *pin;
    bool level;
    vup_serial *serial;
    uint8_t pattern[VUPI_MAX_PATTERN];
    size_t pattern_len;
    uint64_t from;                 /* absolute output offset searched from */
    uint64_t search_from;          /* no match starts before this */
    bool has_timeout;
    uint64_t timeout_ns;
    bool started;
    uint64_t start_ns, deadline_ns;
    /* The outcome. */
    enum vupi_wait_status status;
    uint64_t at_ns;                /* virtual time it was met or ran out */
    uint64_t match_start, match_end;
    void (*done)(struct vupi_wait *w, void *opaque);
    void *opaque;
    struct vupi_wait *next;
};

struct vupi_signals {
    vup_pin **pins;
    size_t num_pins;
    vup_serial **serials;
    size_t num_serials;
    vup_value **values;
    size_t num_values;
    vup_timer *timer;              /* the waits' timeouts; NULL until the
                                      control channel opens */
    struct vupi_wait *waits;       /* pending */
    bool recording;                /* keep serial output (channel open) */
};

/* ctl.c: the control channel's socket and clients. */
#define VUPI_CTL_MAX_CLIENTS  16u
#define VUPI_CTL_LINE_MAX     65536u  /* a request line, newline excluded */
#define VUPI_CTL_REPLY_MAX    (4u << 20)  /* a reply line, at most */

struct vupi_ctl_client {
    vup_dev *dev;
    int fd;
    char *in;                      /* VUPI_CTL_LINE_MAX + 1 bytes */
    size_t in_len;
    char *out;                     /* the unsent part of one reply */
    size_t out_len, out_off;
    bool eof;                      /* the client shut its sending side */
    bool close_after;              /* close once out is sent */
    bool waiting;                  /* a wait-pin / wait-serial is pending */
    char *wait_id;                 /* its request's "id" as JSON, or NULL */
    struct vupi_wait wait;
};

struct vupi_ctl {
    int listen_fd;                 /* -1: not open */
    char *path;
    struct vupi_ctl_client *client[VUPI_CTL_MAX_CLIENTS];
    size_t num_clients;
};

/*
 * The device: its description (dev.c fills it before vup_dev_listen();
 * read-only afterwards) and its modules' state.
 */
struct vupi_memory {
    enum vup_cr_memory_kind kind;
    uint64_t base, size;
    char name[VUP_CR_NAME_LEN];
};

struct vup_dev {
    char name[VUP_CR_NAME_LEN];
    vup_periph *periphs[VUPI_MAX_PERIPHS];
    size_t num_periphs;
    struct vupi_memory memories[VUPI_MAX_MEMORIES];
    size_t num_memories;
    bool has_cpu;
    char cpu_type[VUP_CR_NAME_LEN];
    uint32_t cpu_num_irq;
    bool no_fast_path;             /* vup_dev_set_fast_path(d, false) */
    bool stop;                     /* vup_dev_stop(): vup_dev_run() returns */

    struct vupi_error error;       /* log.c */
    struct vupi_loop loop;         /* loop.c */
    struct vupi_live live;         /* live.c */
    struct vupi_irqs irqs;         /* irq.c */
    struct vupi_clocks clocks;     /* clock.c */
    struct vupi_timers timers;     /* timer.c */
    struct vupi_mirror mirror;     /* mirror.c */
    struct vupi_cr cr;             /* cr-encode.c */
    struct vupi_shm shm;           /* mailbox.c */
    struct vupi_server server;     /* server.c */
    struct vupi_dma dma;           /* dma.c */
    struct vupi_chardevs chardevs; /* chardev.c */
    struct vupi_signals signals;   /* signal.c */
    struct vupi_wires wires;       /* wire.c */
    struct vupi_ctl ctl;           /* ctl.c, ctl-cmds.c */
};

/* Spinning (loop.c, mailbox.c): busy-poll this long, then yield. */
#define VUPI_BUSY_NS 5000u
/* A sched_yield() this long let another thread run (spin.c). */
#define VUPI_YIELD_GAVE_NS 10000u
/* The most each poll lasts unless vup_dev_set_spin_us() says otherwise. */
#define VUPI_SPIN_US_DEFAULT 50u

static inline void vupi_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline uint64_t vupi_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The modules' functions, from the top of the layering down.  A module
 * calls modules below it only (their vupi_ functions or their part of
 * the public API), never one above it; dev.c, the facade, drives them
 * all, and nothing in lib/ calls dev.c.
 *
 *   dev.c                      public vup_dev_*: build, freeze, serve
 *   server.c server-cmds.c     the vfio-user protocol on the socket;
 *                              a handler per command (lib/server.h)
 *   ctl.c ctl-cmds.c ctl-json.c the control channel: its socket and
 *                              clients; its JSON commands
 *   reset.c                    device reset; a client's going
 *   mailbox.c                  shared memory, the FAST_PATH mailbox
 *   access.c                   every region access, whoever carries it
 *   signal.c                   pins, serial lines, values; waits on them
 *   clock.c timer.c irq.c      clocks, timers, IRQ lines, signal
 *   wire.c                     groups between peripherals (on live.c)
 *   cr-encode.c regs.c         descriptor; registers (on mirror.c)
 *   chardev.c live.c           serial streams; the live part (on loop.c)
 *   mirror.c loop.c            window mirrors; epoll, eventfds
 *   socket.c dma.c log.c       framing; DMA table; logging, failures
 *   spin.c                     adaptive polling (plain arithmetic)
 *
 * client.c (include/vup/client.h) stands apart on socket.c, cr-decode.c
 * (include/vup/cr.h) on nothing.
 */

/*
 * wire.c: at the freeze, connects IN groups to the OUT group of their name
 * and places the rest in the live part (before the descriptor is built);
 * vupi_wires_input() applies what QEMU wrote in the input block.
 */
int vupi_wires_connect(vup_dev *d);
void vupi_wires_input(vup_dev *d);
void vupi_wires_client_gone(vup_dev *d);
void vupi_wires_fini(vup_dev *d);

/* spin.c */
void vupi_spin_init(struct vupi_spin *s, unsigned max_us, bool adaptive);
/*
 * The next request came @waited_ns after the poll began; @gave_cpu: a
 * vupi_spin_yield() of that poll let another thread run.
 */
void vupi_spin_learn(struct vupi_spin *s, uint64_t waited_ns, bool gave_cpu);
/* sched_yield(); true if another thread ran meanwhile (it took long). */
bool vupi_spin_yield(void);

/* dma-rw.c: vup_dma_read/write, the timeout timer. */
void vupi_dma_init(vup_dev *d);
void vupi_dma_fini(vup_dev *d);

/* server.c */
/*
 * Queues a request of ours (@len bytes, header included) on the client
 * socket, after whatever is queued: it never blocks.  0 or a negative
 * errno (-ENOTCONN: no client).
 */
int vupi_server_send(vup_dev *d, const void *msg, size_t len);
void vupi_server_init(vup_dev *d);
int vupi_server_listen(vup_dev *d, const char *path);
void vupi_server_fini(vup_dev *d);

/* ctl.c */
void vupi_ctl_init(vup_dev *d);          /* at vup_dev_new() */
void vupi_ctl_fini(vup_dev *d);          /* closes clients and socket */

/*
 * ctl-cmds.c: one request line @line (@len bytes, no newline) of client
 * @c.  Returns its reply line (malloc'd, ending in '\n'), or NULL when a
 * wait started (c->waiting set, c->wait filled; ctl.c gives c->wait its
 * done callback first) or memory ran out (c->waiting clear).
 */
char *vupi_ctl_handle(vup_dev *d, struct vupi_ctl_client *c,
                      const char *line, size_t len);
/* The reply line of @c's finished wait (NULL: out of memory). */
char *vupi_ctl_wait_reply(vup_dev *d, struct vupi_ctl_client *c);
/* An error reply line with @code and the message (NULL: no memory). */
char *vupi_ctl_error_line(const char *code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* reset.c */
void vupi_reset(vup_dev *d);             /* DEVICE_RESET, vup_dev_reset() */
void vupi_client_gone(vup_dev *d);       /* its fds, time, inputs; reset */

/* mailbox.c */
void vupi_shm_init(vup_dev *d);          /* at vup_dev_new() */
int vupi_shm_create(vup_dev *d);         /* at freeze: memfd, mailbox */
void vupi_shm_fini(vup_dev *d);
void vupi_shm_client_gone(vup_dev *d);
/* Before a socket request: the mailbox's earlier requests. */
void vupi_shm_before_request(vup_dev *d);
/* Inside a non-posted socket request: QEMU's vtime_ns from the shared page. */
void vupi_shm_take_vtime(vup_dev *d, bool posted);
/* Serves the mailbox; true if it did anything. */
bool vupi_mbox_serve(vup_dev *d);
/* After the loop's handlers: spin on the mailbox, then arm the kick. */
void vupi_mbox_idle(vup_dev *d);
/* The kick eventfd QEMU registered (SET_IRQS on kick_index), or -1. */
void vupi_mbox_set_kick(vup_dev *d, int fd);

/*
 * access.c: every region access, from the socket or the mailbox.  A
 * request (any message, any mailbox entry) runs between begin and end.
 */
static inline void vupi_request_begin(vup_dev *d, bool posted);
void vupi_request_end(vup_dev *d);       /* runs timers due, before replying */
#define VUPI_ACCESS_WRITE   1u
#define VUPI_ACCESS_WINDOW  2u           /* only windows (not region 0) */
#define VUPI_WHY_LEN        160u
/*
 * 0, or a positive errno with @why (VUPI_WHY_LEN bytes) saying what is
 * wrong, for the caller's log line: region, offset and size, and for
 * region 0 writability.  Touches nothing, so a REGION_WRITE_MULTI is
 * checked whole first.
 */
int vupi_access_check(const vup_dev *d, uint32_t region, uint64_t off,
                      uint32_t count, unsigned flags, char *why);
/* An access that passed vupi_access_check(); @data: count bytes, LE. */
void vupi_access_do(vup_dev *d, uint32_t region, uint64_t off,
                    uint32_t count, uint8_t *data, bool write);
/*
 * A mailbox entry whose op and flags the mailbox checked, whole: checked
 * as above (a window only), the entry's vtime_ns if it has one, then the
 * access as a request of its own.  0 (and *@val for a read), or a
 * positive errno with @why.
 */
int vupi_access_entry(vup_dev *d, const struct vup_cr_mbox_req *r,
                      uint64_t *val, char *why);

/* signal.c */
vup_pin *vupi_pin_find(const vup_dev *d, const char *name);
vup_serial *vupi_serial_find(const vup_dev *d, const char *name);
vup_value *vupi_value_find(const vup_dev *d, const char *name);
/* set-pin: records what the outside drives and tells the model. */
void vupi_pin_drive(vup_pin *pin, int level);
/* inject: into the line's receive side, through the model's rx. */
void vupi_serial_inject(vup_serial *s, const uint8_t *buf, size_t len);
/* The offset of the oldest byte kept; the bytes from @off on (clamped to
 * the oldest), *@len of them (NULL and 0: none). */
uint64_t vupi_serial_oldest(const vup_serial *s);
const uint8_t *vupi_serial_at(const vup_serial *s, uint64_t off,
                              size_t *len);
/* set-value: 0, or a negative errno with @why saying what is wrong. */
int vupi_value_set(vup_value *v, double value, char *why, size_t whylen);
/*
 * Starts @w (kind, pin/level or serial/pattern/from, timeout, done and
 * opaque filled): true if it is over at once (w->status says how), else
 * it is pending and w->done is called when it is over.
 */
bool vupi_wait_start(vup_dev *d, struct vupi_wait *w);
void vupi_wait_cancel(vup_dev *d, struct vupi_wait *w);
/* The control channel opens: the waits' timer, recording serial output. */
int vupi_signals_open(vup_dev *d);
void vupi_signals_reset(vup_dev *d);     /* re-arms after a reset */
void vupi_signals_client_gone(vup_dev *d);
void vupi_signals_fini(vup_dev *d);

/* clock.c */
void vupi_clocks_reset(vup_dev *d);
void vupi_clocks_client_gone(vup_dev *d);
/* QEMU wrote input clock @clock: store it, run its notifiers. */
void vupi_clock_input(vup_dev *d, unsigned clock, uint64_t hz);

/* timer.c */
/* A new time from QEMU (a message or the shared page): run the timers. */
void vupi_time_set(vup_dev *d, uint64_t vtime);
void vupi_timers_run(vup_dev *d);        /* runs those due by vtime */
void vupi_timers_reset(vup_dev *d);      /* cancels all */
void vupi_timers_free(vup_dev *d);
void vupi_time_client_gone(vup_dev *d);

/* irq.c */
/* Appends @p's lines; returns the vfio IRQ index of the first. */
uint32_t vupi_irqs_add(vup_dev *d, vup_periph *p);
/* The eventfd of line @index (< irqs.num), -1: none; the old one is closed. */
void vupi_irq_set_fd(vup_dev *d, uint32_t index, int fd);
void vupi_irqs_lower(vup_dev *d);        /* every level low (reset) */
void vupi_irqs_client_gone(vup_dev *d);  /* closes the eventfds */
/* True if @p's IRQ @n exists and is LEVEL; logs why not, for @what. */
bool vupi_irq_is_level(vup_periph *p, unsigned n, const char *what);

/* cr-encode.c */
/* Builds d->cr at freeze (after the mirror: it lists what is mapped). */
int vupi_cr_encode(vup_dev *d);
void vupi_cr_fini(vup_dev *d);
uint64_t vupi_cr_size(const vup_dev *d); /* of region 0 */
/* vfio IRQ indexes: the lines, the doorbell, the mailbox kick. */
uint32_t vupi_cr_num_irq_indexes(const vup_dev *d);

/* regs.c */
int vupi_regs_init(vup_periph *p, char *err, size_t errlen);
void vupi_regs_reset(vup_periph *p);
uint32_t vupi_regs_read(vup_periph *p, uint32_t offset, unsigned size);
void vupi_regs_write(vup_periph *p, uint32_t offset, unsigned size,
                     uint32_t data);

/* chardev.c */
void vupi_chardev_close_all(vup_dev *d);
/* Writes the output coalesced by vup_chardev_write(). */
void vupi_chardev_flush_all(vup_dev *d);

/*
 * live.c: every store into the live part.  set: a backend field changed
 * (bump seq, ring the doorbell unless in a request; false if unchanged);
 * put: stored without a bump (a value not yet served, or QEMU's own).
 * Other modules read the part through d->live.part.
 */
void vupi_live_init(struct vupi_live *l);
/* Moves the part into @page (the memfd QEMU may map), or back. */
void vupi_live_share(struct vupi_live *l, void *page);
void vupi_live_unshare(struct vupi_live *l);
bool vupi_live_shared(const struct vupi_live *l);
/* The doorbell eventfd (IRQ index @index), -1: none; the old one is closed. */
void vupi_live_set_doorbell(struct vupi_live *l, uint32_t index, int fd);
/* While a request QEMU waits for is handled, changes ring no doorbell. */
static inline void vupi_live_set_in_request(struct vupi_live *l,
                                            bool in_request)
{
    l->in_request = in_request;    /* inline: on every request's path */
}
bool vupi_live_set_irq(struct vupi_live *l, unsigned index, bool level);
void vupi_live_pulse(struct vupi_live *l, unsigned index);
/* sig_out lines @first.. (@width of them) to @lines; one seq bump. */
void vupi_live_set_lines(struct vupi_live *l, unsigned first, unsigned width,
                         uint32_t lines);
void vupi_live_pulse_line(struct vupi_live *l, unsigned line);
bool vupi_live_set_clock(struct vupi_live *l, unsigned i, uint64_t hz);
void vupi_live_put_clock(struct vupi_live *l, unsigned i, uint64_t hz);
bool vupi_live_set_deadline(struct vupi_live *l, uint64_t deadline_ns,
                            const uint32_t raise[VUP_CR_MAX_IRQS / 32]);
void vupi_live_put_deadline(struct vupi_live *l, uint64_t deadline_ns);
/* QEMU wrote vtime_ns by message: kept unless the part is shared. */
void vupi_live_put_vtime(struct vupi_live *l, uint64_t vtime_ns);
/* vtime_ns as QEMU stores it in a shared part (acquire), 0: never. */
uint64_t vupi_live_qemu_vtime(const struct vupi_live *l);
/* Closes the doorbell, clears vtime_ns. */
void vupi_live_client_gone(struct vupi_live *l);

/* mirror.c */
int vupi_mirror_init(vup_dev *d);        /* at freeze, before the descriptor */
void vupi_mirror_fini(vup_dev *d);
/* The window's direct ranges (hook-less registers, merged); > max: too many */
size_t vupi_mirror_ranges(const vup_periph *p, struct vupi_range *out,
                          size_t max);
/* Register sorted[i] of @p changed: copy it to the mirror if it has one. */
void vupi_mirror_store(vup_periph *p, size_t i);

/* loop.c */
int vupi_loop_init(vup_dev *d);
void vupi_loop_fini(vup_dev *d);
int vupi_loop_modify(vup_dev *d, int fd, uint32_t events);
/* A reply went out: the next wait polls for the next request first. */
void vupi_loop_replied(vup_dev *d);
/* Events found while polling after a reply (0: none, or no poll), or -1. */
int vupi_loop_poll(vup_dev *d, struct epoll_event *ev, int max,
                   int timeout_ms);
int vupi_loop_wait(vup_dev *d, struct epoll_event *ev, int max,
                   int timeout_ms);
/* Whether a watched fd (the socket, a chardev...) has something now. */
bool vupi_loop_pending(vup_dev *d);
/* Calls the watches' callbacks for @n events of vupi_loop_poll/_wait(). */
void vupi_loop_deliver(vup_dev *d, const struct epoll_event *ev, int n);
/* Writes 1 to a client's eventfd (non-blocking; -1: none), logs a failure. */
void vupi_eventfd_signal(int fd, const char *what, unsigned index);

/* socket.c */
void vupi_rx_init(struct vupi_rx *rx);
void vupi_rx_reset(struct vupi_rx *rx);  /* closes fds, keeps the buffer */
void vupi_rx_fini(struct vupi_rx *rx);
int vupi_rx_step(int sock, struct vupi_rx *rx, size_t max_size);
/*
 * One sendmsg() of @iov with @fds (SCM_RIGHTS, up to 32: more than a peer
 * accepts, for tests) attached to its first byte; sendmsg()'s result and
 * errno (EINVAL: too many fds).  Also the raw sender of the unit tests and
 * fuzz targets.
 */
ssize_t vupi_sendmsg_fds(int sock, const struct iovec *iov, size_t iovcnt,
                         const int *fds, size_t nfds, int flags);
int vupi_send_all(int sock, const void *buf, size_t len, const int *fds,
                  size_t nfds);
void vupi_close_fds(int *fds, size_t n);
/*
 * A non-blocking listening Unix socket bound at @path (a stale socket file
 * is replaced; any other file is refused with -EEXIST), or a negative
 * errno (-ENAMETOOLONG: the path does not fit).
 */
int vupi_unix_listen(const char *path, int backlog);

/* dma.c: 0 or a positive errno for the reply */
int vupi_dma_map(struct vupi_conn *c, const struct vupi_msg_dma_map *m,
                 int fd);
int vupi_dma_unmap(struct vupi_conn *c, const struct vupi_msg_dma_unmap *m);
/* Fails the pending requests (ECONNRESET), then unmaps everything. */
void vupi_dma_clear(vup_dev *d);
/*
 * Whether [@gpa, @gpa + @len) lies in maps of the client with the
 * permission (VFIO_DMA_MAP_FLAG_READ or _WRITE in @perm), possibly across
 * adjacent ones: 0 (*@all_mmapped: every part of it is mmap'd here), or
 * a positive errno with @why (VUPI_DMA_WHY_LEN bytes) naming the address, the
 * length and what is mapped.
 */
int vupi_dma_check(const struct vupi_conn *c, uint64_t gpa, uint64_t len,
                   uint32_t perm, bool *all_mmapped, char *why);
/* A checked, all-mmap'd range: memcpy to (@to_guest) or from the guest. */
void vupi_dma_copy(struct vupi_conn *c, uint64_t gpa, void *buf, size_t len,
                   bool to_guest);
/* A free pending slot with a fresh id, or NULL (VUPI_DMA_MAX_PENDING). */
struct vupi_dma_req *vupi_dma_pending_new(struct vupi_conn *c);
void vupi_dma_pending_drop(struct vupi_conn *c, struct vupi_dma_req *r);
/* Abandons requests past their deadline (ETIMEDOUT to their callers);
 * returns the earliest deadline still waiting, or 0 for none. */
uint64_t vupi_dma_expire(vup_dev *d, uint64_t now_ms);
/*
 * A reply (type REPLY) of command DMA_READ/DMA_WRITE: matched to its
 * request by id, checked, its caller told.  0, or a negative errno when
 * the reply makes no sense (no such request, wrong size or echo): the
 * client must go.  @why says what (VUPI_DMA_WHY_LEN bytes).
 */
int vupi_dma_reply(vup_dev *d, const struct vupi_msg_hdr *h,
                   const uint8_t *p, size_t len, char *why);

/* log.c: failure reporting (vup_log() is public) */
/* Records the message for vup_dev_error(); returns -@err. */
int vupi_fail(vup_dev *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* @size zeroed bytes, or NULL with vup_dev_error() "out of memory". */
void *vupi_zalloc(vup_dev *d, size_t size);

/* access.c's, inline: on every request's path. */
static inline void vupi_request_begin(vup_dev *d, bool posted)
{
    /*
     * Changes made by a posted request have no reply, so no
     * synchronisation point: they ring the doorbell instead.
     */
    vupi_live_set_in_request(&d->live, !posted);
}

#endif /* VUPI_INTERNAL_H */
