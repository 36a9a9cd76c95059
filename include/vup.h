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
 * Read hook: the guest reads @reg whose stored value is @value (its
 * readable bits); return what the guest sees.  May change state (read side
 * effects, e.g. clear RXNE).  A register without one, and without fields
 * that have a read action, is direct-mapped when the client maps shared
 * memory: QEMU then reads its stored value from memory, without a message
 * (docs/libvup.md, "Direct-mapped windows").  So a register whose value is
 * computed at read time needs a hook even if the read changes nothing.
 */
typedef uint32_t (*vup_reg_read_fn)(vup_periph *p, const struct vup_reg *reg,
                                    uint32_t value);
/*
 * Write hook: called after the fields' semantics went from @old to @value
 * (the whole stored value, write-only bits included).  @written is what the
 * guest wrote, shifted into its byte lanes (other lanes 0).
 */
typedef void (*vup_reg_write_fn)(vup_periph *p, const struct vup_reg *reg,
                                 uint32_t old, uint32_t value,
                                 uint32_t written);
/*
 * Pre-write hook: called before a guest write is applied, for models whose
 * state follows virtual time lazily: what happened before the write (a
 * timer's update flag) must be stored for the write to act on it (clear
 * it).  Reads do that in their read hook.
 */
typedef void (*vup_reg_pre_write_fn)(vup_periph *p, const struct vup_reg *reg);

/*
 * Field semantics, one to one with CMSIS-SVD (docs/libvup.md, "Registers
 * and fields").  What a guest access may do: SVD <access>.
 */
enum vup_access {
    VUP_ACCESS_READ_WRITE,       /* read-write (the default) */
    VUP_ACCESS_READ_ONLY,        /* read-only: writes leave it alone */
    VUP_ACCESS_WRITE_ONLY,       /* write-only: stored, reads as 0 */
    VUP_ACCESS_WRITE_ONCE,       /* writeOnce: write-only, and only the
                                    first write after reset has an effect */
    VUP_ACCESS_READ_WRITE_ONCE,  /* read-writeOnce: readable, only the first
                                    write after reset has an effect */
};

/* What a guest write does to the field: SVD <modifiedWriteValues>. */
enum vup_write_action {
    VUP_WRITE_MODIFY,            /* modify: the written value (default) */
    VUP_WRITE_ONE_TO_CLEAR,      /* oneToClear: a 1 clears the bit, 0 keeps */
    VUP_WRITE_ONE_TO_SET,        /* oneToSet: a 1 sets the bit, 0 keeps */
    VUP_WRITE_ONE_TO_TOGGLE,     /* oneToToggle: a 1 inverts the bit */
    VUP_WRITE_ZERO_TO_CLEAR,     /* zeroToClear: a 0 clears the bit, 1 keeps */
    VUP_WRITE_ZERO_TO_SET,       /* zeroToSet: a 0 sets the bit, 1 keeps */
    VUP_WRITE_ZERO_TO_TOGGLE,    /* zeroToToggle: a 0 inverts the bit */
    VUP_WRITE_CLEAR,             /* clear: any write clears the field */
    VUP_WRITE_SET,               /* set: any write sets the whole field */
};

/* What a read does to the field once its value is taken: SVD <readAction>. */
enum vup_read_action {
    VUP_READ_NONE,               /* nothing (no readAction) */
    VUP_READ_CLEAR,              /* clear: the field is cleared */
    VUP_READ_SET,                /* set: the whole field is set */
    VUP_READ_MODIFY,             /* modify: changed otherwise (read hook) */
    VUP_READ_MODIFY_EXTERNAL,    /* modifyExternal: the read changes other
                                    state (reading RDR clears ISR.RXNE), by
                                    the read hook */
};

/*
 * Set by hardware: the silicon changes the field by itself (status flags,
 * ready bits), whatever its access.  Information for tools and messages
 * (which bit a stuck polling loop waits for); the engine does not use it.
 */
#define VUP_FIELD_HW 0x1u

/*
 * One field of a register: bits @shift .. @shift + @width - 1.  Bits that
 * no field covers are reserved: they read as 0 and ignore writes.
 */
struct vup_field {
    const char *name;
    uint8_t shift, width;
    enum vup_access access;
    enum vup_write_action write;
    enum vup_read_action read;
    unsigned flags;              /* VUP_FIELD_* */
};

/*
 * A field in one line: VUP_FIELD("UIF", 0, 1, VUP_W0C | VUP_HW), or with
 * QEMU-style names (vup/registerfields.h) VUP_FIELD_OF(SR, UIF, VUP_W0C |
 * VUP_HW) for FIELD(SR, UIF, 0, 1).  @sem ORs at most one access, one write
 * action and one read action (none: read-write, modify, no read action)
 * and VUP_HW; two of a kind are refused when the table is added.
 */
#define VUP_RW       0u                 /* read-write */
#define VUP_RO       0x1u               /* read-only */
#define VUP_WO       0x2u               /* write-only */
#define VUP_WONCE    0x4u               /* writeOnce */
#define VUP_RWONCE   0x8u               /* read-writeOnce */
#define VUP_W1C      0x010u             /* oneToClear */
#define VUP_W1S      0x020u             /* oneToSet */
#define VUP_W1T      0x040u             /* oneToToggle */
#define VUP_W0C      0x080u             /* zeroToClear */
#define VUP_W0S      0x100u             /* zeroToSet */
#define VUP_W0T      0x200u             /* zeroToToggle */
#define VUP_WCLR     0x400u             /* clear */
#define VUP_WSET     0x800u             /* set */
#define VUP_RCLR     0x1000u            /* readAction clear */
#define VUP_RSET     0x2000u            /* readAction set */
#define VUP_RMOD     0x4000u            /* readAction modify */
#define VUP_RMODEXT  0x8000u            /* readAction modifyExternal */
#define VUP_HW       0x10000u           /* VUP_FIELD_HW */

/* Internal: the position of the one bit set in @x, 0 for none, 99 for two. */
#define VUP_ONE_OF_(x) \
    ((x) == 0 ? 0 : (x) == 1 ? 1 : (x) == 2 ? 2 : (x) == 4 ? 3 : \
     (x) == 8 ? 4 : (x) == 16 ? 5 : (x) == 32 ? 6 : (x) == 64 ? 7 : \
     (x) == 128 ? 8 : 99)
#define VUP_FIELD(name_, shift_, width_, sem_) \
    { (name_), (shift_), (width_), \
      (enum vup_access)VUP_ONE_OF_((sem_) & 0xfu), \
      (enum vup_write_action)VUP_ONE_OF_(((sem_) >> 4) & 0xffu), \
      (enum vup_read_action)VUP_ONE_OF_(((sem_) >> 12) & 0xfu), \
      (unsigned)((sem_) >> 16) }
#define VUP_FIELD_OF(reg, field, sem_) \
    VUP_FIELD(#field, R_##reg##_##field##_SHIFT, \
              R_##reg##_##field##_LENGTH, sem_)

/*
 * Several fields of @reg with the same semantics, in one entry of a field
 * table: VUP_FIELDS_OF(CR2, VUP_RW, ADDM7, LBDL, LBDIE) is
 * VUP_FIELD_OF(CR2, ADDM7, VUP_RW), VUP_FIELD_OF(CR2, LBDL, VUP_RW),
 * VUP_FIELD_OF(CR2, LBDIE, VUP_RW).  1 to 32 fields (a register has no
 * more); fields with other semantics are entries of their own.
 */
#define VUP_FIELDS_OF(reg, sem_, ...) \
    VUP_FOR_EACH_(VUP_FIELD_OF_SEM_, reg, sem_, __VA_ARGS__)

/*
 * Internal: VUP_FOR_EACH_(m, a, b, x1, ..., xn) is m(a, b, x1), ...,
 * m(a, b, xn), for n from 1 to 32 (C11: counting the arguments picks
 * VUP_FEn_).
 */
#define VUP_FIELD_OF_SEM_(reg, sem_, field) VUP_FIELD_OF(reg, field, sem_)
#define VUP_NARGS_(...) \
    VUP_NARGS2_(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, \
                21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, \
                5, 4, 3, 2, 1, 0)
#define VUP_NARGS2_(x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, \
                    x14, x15, x16, x17, x18, x19, x20, x21, x22, x23, x24, \
                    x25, x26, x27, x28, x29, x30, x31, x32, n, ...) n
#define VUP_FOR_EACH_(m, a, b, ...) \
    VUP_FE_PICK_(VUP_NARGS_(__VA_ARGS__))(m, a, b, __VA_ARGS__)
#define VUP_FE_PICK_(n) VUP_FE_PICK2_(n)
#define VUP_FE_PICK2_(n) VUP_FE##n##_
#define VUP_FE1_(m, a, b, x) m(a, b, x)
#define VUP_FE2_(m, a, b, x, ...) m(a, b, x), VUP_FE1_(m, a, b, __VA_ARGS__)
#define VUP_FE3_(m, a, b, x, ...) m(a, b, x), VUP_FE2_(m, a, b, __VA_ARGS__)
#define VUP_FE4_(m, a, b, x, ...) m(a, b, x), VUP_FE3_(m, a, b, __VA_ARGS__)
#define VUP_FE5_(m, a, b, x, ...) m(a, b, x), VUP_FE4_(m, a, b, __VA_ARGS__)
#define VUP_FE6_(m, a, b, x, ...) m(a, b, x), VUP_FE5_(m, a, b, __VA_ARGS__)
#define VUP_FE7_(m, a, b, x, ...) m(a, b, x), VUP_FE6_(m, a, b, __VA_ARGS__)
#define VUP_FE8_(m, a, b, x, ...) m(a, b, x), VUP_FE7_(m, a, b, __VA_ARGS__)
#define VUP_FE9_(m, a, b, x, ...) m(a, b, x), VUP_FE8_(m, a, b, __VA_ARGS__)
#define VUP_FE10_(m, a, b, x, ...) m(a, b, x), VUP_FE9_(m, a, b, __VA_ARGS__)
#define VUP_FE11_(m, a, b, x, ...) m(a, b, x), VUP_FE10_(m, a, b, __VA_ARGS__)
#define VUP_FE12_(m, a, b, x, ...) m(a, b, x), VUP_FE11_(m, a, b, __VA_ARGS__)
#define VUP_FE13_(m, a, b, x, ...) m(a, b, x), VUP_FE12_(m, a, b, __VA_ARGS__)
#define VUP_FE14_(m, a, b, x, ...) m(a, b, x), VUP_FE13_(m, a, b, __VA_ARGS__)
#define VUP_FE15_(m, a, b, x, ...) m(a, b, x), VUP_FE14_(m, a, b, __VA_ARGS__)
#define VUP_FE16_(m, a, b, x, ...) m(a, b, x), VUP_FE15_(m, a, b, __VA_ARGS__)
#define VUP_FE17_(m, a, b, x, ...) m(a, b, x), VUP_FE16_(m, a, b, __VA_ARGS__)
#define VUP_FE18_(m, a, b, x, ...) m(a, b, x), VUP_FE17_(m, a, b, __VA_ARGS__)
#define VUP_FE19_(m, a, b, x, ...) m(a, b, x), VUP_FE18_(m, a, b, __VA_ARGS__)
#define VUP_FE20_(m, a, b, x, ...) m(a, b, x), VUP_FE19_(m, a, b, __VA_ARGS__)
#define VUP_FE21_(m, a, b, x, ...) m(a, b, x), VUP_FE20_(m, a, b, __VA_ARGS__)
#define VUP_FE22_(m, a, b, x, ...) m(a, b, x), VUP_FE21_(m, a, b, __VA_ARGS__)
#define VUP_FE23_(m, a, b, x, ...) m(a, b, x), VUP_FE22_(m, a, b, __VA_ARGS__)
#define VUP_FE24_(m, a, b, x, ...) m(a, b, x), VUP_FE23_(m, a, b, __VA_ARGS__)
#define VUP_FE25_(m, a, b, x, ...) m(a, b, x), VUP_FE24_(m, a, b, __VA_ARGS__)
#define VUP_FE26_(m, a, b, x, ...) m(a, b, x), VUP_FE25_(m, a, b, __VA_ARGS__)
#define VUP_FE27_(m, a, b, x, ...) m(a, b, x), VUP_FE26_(m, a, b, __VA_ARGS__)
#define VUP_FE28_(m, a, b, x, ...) m(a, b, x), VUP_FE27_(m, a, b, __VA_ARGS__)
#define VUP_FE29_(m, a, b, x, ...) m(a, b, x), VUP_FE28_(m, a, b, __VA_ARGS__)
#define VUP_FE30_(m, a, b, x, ...) m(a, b, x), VUP_FE29_(m, a, b, __VA_ARGS__)
#define VUP_FE31_(m, a, b, x, ...) m(a, b, x), VUP_FE30_(m, a, b, __VA_ARGS__)
#define VUP_FE32_(m, a, b, x, ...) m(a, b, x), VUP_FE31_(m, a, b, __VA_ARGS__)

/*
 * One 32-bit register.  Narrower guest accesses are merged by the library.
 * Without fields (num_fields 0) it is a plain read-write register of 32
 * bits; with them, only the fields exist, with their semantics.
 */
struct vup_reg {
    const char *name;
    uint32_t offset;             /* 4-byte aligned, inside the window */
    uint32_t reset;              /* value after reset (fields only) */
    const struct vup_field *fields;  /* referenced, not copied */
    size_t num_fields;
    vup_reg_read_fn read;        /* optional */
    vup_reg_write_fn write;      /* optional */
    vup_reg_pre_write_fn pre_write;  /* optional */
};

/* .fields and .num_fields of a register from a field array. */
#define VUP_FIELDS(array) \
    .fields = (array), .num_fields = sizeof(array) / sizeof((array)[0])
/* .name and .offset of a register from REG32(reg, addr). */
#define VUP_REG_AT(reg) .name = #reg, .offset = A_##reg

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
 * Says that when @t fires, its callback raises @p's LEVEL IRQ @n (if it is
 * low).  QEMU then raises the line at the deadline itself, the instant an
 * in-process timer would, instead of after asking the backend what the
 * deadline did (docs/control-region.md, "Predicted lines"); the callback
 * must still raise it, and the backend's answer is what holds.  Valid
 * until @t is armed again or cancelled; call it after vup_timer_arm().
 */
void vup_timer_predict_irq(vup_timer *t, vup_periph *p, unsigned n);
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
 * after a socket reply, before it sleeps: at most @us (default 50; 0:
 * sleep at once).  Adaptive by default: each of the two polls shrinks
 * while the next request keeps coming later than @us (the guest is busy
 * elsewhere, or the host has no CPU for QEMU while this one spins) and
 * grows back while it comes within @us (docs/libvup.md, "Polling").
 * vup_dev_set_spin_adaptive(d, false) polls @us every time.
 */
void vup_dev_set_spin_us(vup_dev *d, unsigned us);
void vup_dev_set_spin_adaptive(vup_dev *d, bool adaptive);
/* How long each poll is now, in ns (for tests and benchmarks). */
void vup_dev_spin_now(const vup_dev *d, uint64_t *socket_ns,
                      uint64_t *mailbox_ns);
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
/*
 * The stored value of a register (write-only bits included) / store one,
 * bypassing hooks and field semantics (a model setting a status flag);
 * bits outside the register's fields are not stored.
 */
uint32_t vup_reg_get(const vup_periph *p, uint32_t offset);
void vup_reg_set(vup_periph *p, uint32_t offset, uint32_t value);
/* IRQ @n of this peripheral (index into desc->irqs). */
void vup_irq_set(vup_periph *p, unsigned n, bool level);  /* LEVEL lines */
void vup_irq_pulse(vup_periph *p, unsigned n);            /* EDGE lines */

/* ---- DMA: guest memory ------------------------------------------------ */

/*
 * A model reads or writes guest physical memory (docs/libvup.md, "DMA").
 * The whole range [@gpa, @gpa + @len) must lie in memory the client
 * offered (DMA_MAP; adjacent maps may be spanned), with read permission
 * for vup_dma_read() and write permission for vup_dma_write().  Either
 * call returns:
 *   0                  done now: the memory the client shared was copied
 *                      (memcpy); @done is not called;
 *   VUP_DMA_PENDING    sent to the client as VFIO_USER_DMA_READ/WRITE
 *                      (memory it did not share): @done(@opaque, status)
 *                      is called from the device loop once the reply came
 *                      (status 0), or failed (a negative errno: the
 *                      client's error, -ETIMEDOUT, -ECONNRESET when it
 *                      went);
 *   a negative errno   refused, nothing copied or sent, @done not called,
 *                      vup_dev_error() and the log (with the peripheral's
 *                      name) say why: -EFAULT outside the mapped memory
 *                      (the message names the address, the length and
 *                      what is mapped), -EACCES without the permission,
 *                      -E2BIG longer than VUP_DMA_MAX_LEN, -ENOTCONN no
 *                      client, -EBUSY VUP_DMA_MAX_PENDING requests in
 *                      flight, -EINVAL a NULL @done or @buf.
 * Never blocks: safe in a register hook, where QEMU waits for the reply
 * to the guest's access (waiting there for a DMA reply would deadlock).
 * vup_dma_write() copies @buf before it returns; vup_dma_read()'s @buf
 * must stay valid until @done is called.
 * Ordering: data written is visible to the guest before anything the
 * model does after the call returns 0, or in or after @done (raise the
 * IRQ that reports the transfer there).
 */
#define VUP_DMA_PENDING      1
#define VUP_DMA_MAX_LEN      (1024u * 1024u)   /* per call */
#define VUP_DMA_MAX_PENDING  16u               /* message requests */
typedef void (*vup_dma_done_fn)(void *opaque, int status);
int vup_dma_read(vup_periph *p, uint64_t gpa, void *buf, size_t len,
                 vup_dma_done_fn done, void *opaque);
int vup_dma_write(vup_periph *p, uint64_t gpa, const void *buf, size_t len,
                  vup_dma_done_fn done, void *opaque);
/* How long a DMA_READ/WRITE may wait for its reply (host ms, default
 * 10000; 0 keeps it). */
void vup_dev_set_dma_timeout_ms(vup_dev *d, unsigned ms);
/* Transfers done so far by memcpy and by message (tests, vup-stm32l4 -v). */
void vup_dev_dma_counts(const vup_dev *d, uint64_t *copies,
                        uint64_t *messages);

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

/* ---- signal lines between peripherals (docs/libvup.md, "Signals") --- */

/*
 * A signal group is @width (1..32) lines a peripheral drives (OUT) or is
 * driven by (IN), named as a whole: a GPIO bank's pins "gpioa", a timer's
 * trigger "tim2.trgo".  Levels, or with VUP_SIGNAL_PULSE pulses (a
 * trigger: each counts, none is a level).
 *
 * Connection is by name, at vup_dev_listen(): an IN group named as an OUT
 * group of the same device is connected to it inside the backend (no
 * socket; width and PULSE must agree) and is not published.  Every OUT
 * group, and every IN group left, is published in the control region
 * (SIGNAL entries, 1.5): QEMU exposes each as named GPIO lines, and a
 * board connects an OUT group to the IN groups of the same name in other
 * backends or to its own devices.  A name is at most 31 characters of
 * letters, digits, '_', '.' and '-'.  Register groups before
 * vup_dev_listen(); NULL on failure (see vup_dev_error()).
 */
#define VUP_SIGNAL_OUT    0x1u
#define VUP_SIGNAL_IN     0x2u
#define VUP_SIGNAL_PULSE  0x4u

typedef struct vup_signal vup_signal;
/*
 * Line @line of an IN group changed to @level, or (PULSE) pulsed, @level
 * true.  Called from the device loop: for a connected OUT group at once,
 * inside the vup_signal_set() that changed it; for a published group when
 * QEMU's write of its inputs arrives, before anything that follows it.
 */
typedef void (*vup_signal_fn)(void *opaque, unsigned line, bool level);
vup_signal *vup_periph_add_signal(vup_periph *p, const char *name,
                                  unsigned width, unsigned flags,
                                  vup_signal_fn input, void *opaque);
/* OUT groups: drive line @line / the lines in @mask; free when unchanged. */
void vup_signal_set(vup_signal *s, unsigned line, bool level);
void vup_signal_set_lines(vup_signal *s, uint32_t mask, uint32_t levels);
/* OUT PULSE groups: one pulse on @line. */
void vup_signal_pulse(vup_signal *s, unsigned line);
/* The levels of the group's lines now (bit i: line i), either direction. */
uint32_t vup_signal_levels(const vup_signal *s);
const char *vup_signal_name(const vup_signal *s);

/* ---- what a model shows the outside world (docs/control-channel.md) --- */

/*
 * Pins, serial lines and values a model registers are what the control
 * channel (vup_dev_ctl_listen()) lists, sets, reads and waits for.  Each
 * belongs to a peripheral and is named "<peripheral>.<name>" (a serial line
 * without a name is called after its peripheral).  Register them before
 * vup_dev_listen(); they live as long as the device.  NULL on failure (see
 * vup_dev_error()): a bad or duplicate name, too many, or too late.
 */

/* A pin's direction, as the outside world sees it. */
#define VUP_PIN_IN   0x1u   /* the outside may drive it (set-pin) */
#define VUP_PIN_OUT  0x2u   /* the model drives it (its level is read) */
/* What set-pin gives: 0, 1, or this (stop driving: high impedance). */
#define VUP_PIN_RELEASED (-1)

typedef struct vup_pin vup_pin;
/*
 * set-pin on an IN pin: the outside drives @n (the model's number for the
 * pin, given at registration) to @level (0, 1 or VUP_PIN_RELEASED).  The
 * model works out the pin's level and reports it with vup_pin_set_level().
 */
typedef void (*vup_pin_drive_fn)(void *opaque, unsigned n, int level);
vup_pin *vup_periph_add_pin(vup_periph *p, const char *name, unsigned n,
                            unsigned flags, vup_pin_drive_fn drive,
                            void *opaque);
/*
 * The pin's level now, whoever drives it (the model calls this whenever
 * it changes; wait-pin waits for it).  Costs nothing when unchanged.
 */
void vup_pin_set_level(vup_pin *pin, bool level);
/* What the pin is configured as, for listings ("input pull-up"): a string
 * that outlives the device (a literal), or NULL. */
void vup_pin_set_mode(vup_pin *pin, const char *mode);
bool vup_pin_level(const vup_pin *pin);
/* What the outside drives it to: 0, 1 or VUP_PIN_RELEASED (the start). */
int vup_pin_driven(const vup_pin *pin);

typedef struct vup_serial vup_serial;
/*
 * A serial line of a UART-like model: @rx receives bytes injected from
 * the outside as if they came from the wire (give the same function the
 * model gives vup_chardev_open()); the model reports every byte it
 * transmits with vup_serial_tx(), which is what wait-serial searches.
 */
vup_serial *vup_periph_add_serial(vup_periph *p, const char *name,
                                  vup_chardev_rx_fn rx, void *opaque);
void vup_serial_tx(vup_serial *s, const uint8_t *buf, size_t len);

/*
 * A named number a model exposes for the outside to set: a sensor's
 * reading, an ADC input, a board part such as a crystal's frequency.  The
 * library checks the range (and wholeness) before calling @set.
 */
struct vup_value_desc {
    const char *name;
    const char *unit;        /* "Hz", "mV", "degC"... or NULL */
    double min, max;         /* accepted, inclusive */
    double initial;
    bool integer;            /* whole numbers only */
};
typedef struct vup_value vup_value;
typedef void (*vup_value_fn)(void *opaque, double value);
vup_value *vup_periph_add_value(vup_periph *p,
                                const struct vup_value_desc *desc,
                                vup_value_fn set, void *opaque);
double vup_value_get(const vup_value *v);

/*
 * The control channel: newline-delimited JSON on a second Unix socket at
 * @path, served by the device's loop, several clients at once
 * (docs/control-channel.md).  Open it before vup_dev_listen(): its waits
 * time out in virtual time, so it adds a timer (and with it the
 * VIRTUAL_TIME capability).  A stale socket file is replaced; the socket
 * is removed by vup_dev_free().  0 or a negative errno.
 */
int vup_dev_ctl_listen(vup_dev *d, const char *path);
/* Control-channel clients connected now. */
unsigned vup_dev_ctl_clients(const vup_dev *d);

/* ---- logging --------------------------------------------------------- */

enum vup_log_level { VUP_LOG_ERROR, VUP_LOG_WARN, VUP_LOG_INFO, VUP_LOG_DEBUG };
void vup_log_set_level(enum vup_log_level level);
void vup_log(enum vup_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* VUP_H */
