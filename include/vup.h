/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvup: write MCU peripheral models that QEMU reaches over vfio-user.
 *
 * A vup_dev is one vfio-user device (one Unix socket).  It holds one or more
 * peripherals; each peripheral is one MMIO window (a vfio region) described
 * by a declarative register table, plus its IRQ lines.  The library builds
 * the control region (include/vup/control-region.h) from these descriptions
 * and serves the vfio-user protocol: a peripheral model is mostly a table and
 * a few hooks.
 *
 * Threading: a vup_dev is single-threaded; call everything from the thread
 * that runs vup_dev_run() / vup_dev_dispatch().
 *
 * Errors: functions returning int give 0 (or a count) on success and a
 * negative errno on failure; vup_dev_error() then holds a message.
 */
#ifndef VUP_H
#define VUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vup/control-region.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VUP_VERSION_STRING "0.1.0"

typedef struct vup_dev vup_dev;
typedef struct vup_periph vup_periph;
struct vup_reg;

/*
 * Read hook: the guest reads @reg whose stored value is @value; return what
 * the guest sees.  May change state (read side effects, e.g. clear RXNE).
 * A register without one is direct-mapped when the client maps shared
 * memory: QEMU then reads its stored value from memory, without a message
 * (docs/libvup.md, "Direct-mapped windows").  So a register whose value is
 * computed at read time needs a hook even if the read changes nothing.
 */
typedef uint32_t (*vup_reg_read_fn)(vup_periph *p, const struct vup_reg *reg,
                                    uint32_t value);
/*
 * Write hook: called after the stored value went from @old to @value (only
 * wmask bits changed, w1c bits cleared).  @written is what the guest wrote.
 */
typedef void (*vup_reg_write_fn)(vup_periph *p, const struct vup_reg *reg,
                                 uint32_t old, uint32_t value,
                                 uint32_t written);

/* One 32-bit register.  Narrower guest accesses are merged by the library. */
struct vup_reg {
    const char *name;
    uint32_t offset;         /* 4-byte aligned, inside the window */
    uint32_t reset;          /* value after reset */
    uint32_t wmask;          /* bits a guest write stores */
    uint32_t w1c;            /* bits a guest write of 1 clears */
    vup_reg_read_fn read;    /* optional */
    vup_reg_write_fn write;  /* optional */
};

struct vup_irq_desc {
    const char *name;        /* e.g. "usart1" */
    uint32_t line;           /* NVIC IRQn */
    uint32_t flags;          /* VUP_CR_IRQ_LEVEL or VUP_CR_IRQ_EDGE */
};

struct vup_periph_desc {
    const char *name;        /* window name, < VUP_CR_NAME_LEN */
    uint64_t base;           /* guest physical base */
    uint32_t size;           /* window size in bytes */
    uint32_t mmio_flags;     /* VUP_CR_MMIO_* */
    const struct vup_reg *regs;
    size_t num_regs;
    const struct vup_irq_desc *irqs;
    size_t num_irqs;
    /* Called after the registers are back at their reset values. */
    void (*reset)(vup_periph *p);
};

/* ---- device ---------------------------------------------------------- */

vup_dev *vup_dev_new(const char *name);
void vup_dev_free(vup_dev *d);
const char *vup_dev_error(const vup_dev *d);

/* Adds a peripheral; validates the table (overlaps, alignment, bounds). */
vup_periph *vup_dev_add_periph(vup_dev *d, const struct vup_periph_desc *desc,
                               void *opaque);
/* Optional hints for the generic board (memory map, CPU). */
int vup_dev_add_memory(vup_dev *d, enum vup_cr_memory_kind kind,
                       uint64_t base, uint64_t size, const char *name);
int vup_dev_set_cpu(vup_dev *d, const char *cpu_type, uint32_t num_irq);

/* Resets every peripheral, as on VFIO_USER_DEVICE_RESET. */
void vup_dev_reset(vup_dev *d);

/*
 * Clocks (control-region clock entries).  @flags: VUP_CR_CLOCK_OUTPUT
 * (optionally with a VUP_CR_CLOCK_ROLE_*) or VUP_CR_CLOCK_INPUT; @freq_hz:
 * an output's frequency at reset.  Returns the clock's index, which is its
 * slot in vup_cr_live.clock_hz[], or a negative errno.
 */
int vup_dev_add_clock(vup_dev *d, const char *name, uint32_t flags,
                      uint64_t freq_hz);
/* Changes an output clock (bumps vup_cr_live.seq).  0 or negative errno. */
int vup_clock_set_hz(vup_dev *d, unsigned clock, uint64_t hz);
/* An output's frequency, or an input's as last written by QEMU (0 before). */
uint64_t vup_clock_get_hz(const vup_dev *d, unsigned clock);
/*
 * An output and an input of the same name in one device are one clock: the
 * input gets the output's index and follows it inside the library (the
 * control region lists the output only).  Inputs of the same name share an
 * index too.  @fn is called with the new frequency whenever @clock changes:
 * written by QEMU (inputs), set with vup_clock_set_hz() (outputs, for
 * consumers in this device), or at reset.  Several notifiers may watch one
 * clock.  0 or a negative errno.
 */
typedef void (*vup_clock_fn)(void *opaque, unsigned clock, uint64_t hz);
int vup_clock_notify(vup_dev *d, unsigned clock, vup_clock_fn fn,
                     void *opaque);

/*
 * Virtual time.  QEMU is the time master: it writes the guest's virtual
 * time (QEMU_CLOCK_VIRTUAL, ns) before each access it forwards, and wakes
 * the device at the earliest armed timer's deadline.  A timer callback runs
 * when QEMU's time reaches its deadline (in deadline order, before the
 * access or the wake-up is answered), so whatever it changes (IRQ levels,
 * registers) is visible to the guest at that instant.  Models never read
 * host time.  Creating a timer before vup_dev_listen() publishes the
 * VIRTUAL_TIME capability.
 */
typedef struct vup_timer vup_timer;
typedef void (*vup_timer_fn)(vup_timer *t, void *opaque);
/* NULL (see vup_dev_error()) after listen on a device without timers. */
vup_timer *vup_timer_new(vup_dev *d, vup_timer_fn fn, void *opaque);
/* Optional: vup_dev_free() frees the timers still there. */
void vup_timer_free(vup_timer *t);
/* Arms (or re-arms) at virtual time @when_ns; a past time means now. */
void vup_timer_arm(vup_timer *t, uint64_t when_ns);
/* Arms at vup_dev_now_ns() + @delay_ns. */
void vup_timer_arm_in(vup_timer *t, uint64_t delay_ns);
void vup_timer_cancel(vup_timer *t);
bool vup_timer_armed(const vup_timer *t);
/*
 * The device's virtual time: the last vtime_ns QEMU wrote, or inside a
 * timer callback that timer's deadline (<= QEMU's time).  0 before QEMU
 * wrote one.
 */
uint64_t vup_dev_now_ns(const vup_dev *d);

/*
 * The control-region descriptor a client will read (header + entries,
 * *@size bytes), or NULL (see vup_dev_error()).  Builds and validates it:
 * after this (or vup_dev_listen()) nothing more can be added.
 */
const void *vup_dev_descriptor(vup_dev *d, size_t *size);

/*
 * Shared memory and the fast path (docs/control-region.md, "Fast path").
 * By default the control region's live part is a shared memory page the
 * client may map (GET_REGION_INFO gives its fd), and the device publishes
 * the FAST_PATH capability: a shared-memory mailbox for window accesses.
 * vup_dev_set_fast_path(d, false), before vup_dev_listen(), serves
 * everything by messages only (for comparison and debugging).  0 or
 * -EBUSY.
 */
int vup_dev_set_fast_path(vup_dev *d, bool enable);
/*
 * How long the loop keeps polling the mailbox after a request, and epoll
 * after a socket reply, before it sleeps (default 50 us; 0: sleep at once).
 */
void vup_dev_set_spin_us(vup_dev *d, unsigned us);
/* Window accesses served through the mailbox so far. */
uint64_t vup_dev_mailbox_requests(const vup_dev *d);

/* ---- serving --------------------------------------------------------- */

/* Binds and listens on @path (a stale socket file is replaced). */
int vup_dev_listen(vup_dev *d, const char *path);
/*
 * One pollable fd (readable when vup_dev_dispatch() has work) for embedding
 * in another event loop.
 */
int vup_dev_poll_fd(const vup_dev *d);
/*
 * Handles what is ready, waiting at most @timeout_ms (-1: forever, 0: not).
 * Returns 0, or a negative errno on a fatal error.  A client that
 * disconnects (or misbehaves) is dropped, the device is reset, and the next
 * client is accepted.
 */
int vup_dev_dispatch(vup_dev *d, int timeout_ms);
/* Runs vup_dev_dispatch() until vup_dev_stop() or a fatal error. */
int vup_dev_run(vup_dev *d);
void vup_dev_stop(vup_dev *d);
bool vup_dev_connected(const vup_dev *d);

/* Extra fds served by the same loop (serial input, timers...). */
typedef void (*vup_fd_fn)(void *opaque, int fd, uint32_t events);
int vup_dev_watch_fd(vup_dev *d, int fd, uint32_t events, vup_fd_fn fn,
                     void *opaque);
void vup_dev_unwatch_fd(vup_dev *d, int fd);

/* ---- inside a model -------------------------------------------------- */

void *vup_periph_opaque(const vup_periph *p);
vup_dev *vup_periph_dev(const vup_periph *p);
const char *vup_periph_name(const vup_periph *p);
/* Stored register value / store a value, bypassing hooks and masks. */
uint32_t vup_reg_get(const vup_periph *p, uint32_t offset);
void vup_reg_set(vup_periph *p, uint32_t offset, uint32_t value);
/* IRQ @n of this peripheral (index into desc->irqs). */
void vup_irq_set(vup_periph *p, unsigned n, bool level);  /* LEVEL lines */
void vup_irq_pulse(vup_periph *p, unsigned n);            /* EDGE lines */

/* ---- serial byte streams for UART-like models ------------------------ */

typedef struct vup_chardev vup_chardev;
typedef void (*vup_chardev_rx_fn)(void *opaque, const uint8_t *buf,
                                  size_t len);
/*
 * @spec: "stdio", "null", "pty" (prints the pty path on stderr),
 * "unix:PATH" (listens, one client at a time), "file:PATH" (output only).
 * Input is delivered through @rx from vup_dev's loop.
 */
vup_chardev *vup_chardev_open(vup_dev *d, const char *spec,
                              vup_chardev_rx_fn rx, void *opaque);
/* Never blocks the device loop; bytes that cannot be written are counted. */
void vup_chardev_write(vup_chardev *c, const uint8_t *buf, size_t len);
void vup_chardev_close(vup_chardev *c);

/* ---- logging --------------------------------------------------------- */

enum vup_log_level { VUP_LOG_ERROR, VUP_LOG_WARN, VUP_LOG_INFO, VUP_LOG_DEBUG };
void vup_log_set_level(enum vup_log_level level);
void vup_log(enum vup_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* VUP_H */
