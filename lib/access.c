/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One path for a region access, whichever way it came: REGION_READ,
 * REGION_WRITE and each write of a REGION_WRITE_MULTI (server.c), and each
 * mailbox request (mailbox.c).
 *
 * vupi_access_check() validates region, offset and size without touching
 * the device (no read side effects, so a bad REGION_WRITE_MULTI changes
 * nothing); vupi_access_do() then dispatches: a window to the register
 * engine (regs.c), region 0 to the descriptor and the live part.  Every
 * request, whatever it does, is bracketed by vupi_request_begin() and
 * vupi_request_end(): what it changes while QEMU waits for the reply rings
 * no doorbell, and timers due by then run before the answer.  A mailbox
 * entry takes all of that in one call, vupi_access_entry(), so that its
 * path costs one call more than when mailbox.c did it all inline.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void vupi_request_end(vup_dev *d)
{
    /* Timers a register write armed in the past run before the reply. */
    vupi_timers_run(d);
    vupi_live_set_in_request(&d->live, false);
}

/* ---- region 0: the descriptor, then the live part ----------------------- */

/*
 * QEMU owns vtime_ns, the slots of input clocks and (with published input
 * signals) the input block; nothing else.
 */
static bool live_byte_writable(const vup_dev *d, uint64_t rel)
{
    const uint64_t clk = offsetof(struct vup_cr_live, clock_hz);

    if (rel >= VUP_CR_LIVE_SIG_IN_OFF && rel < sizeof(struct vup_cr_live)) {
        return d->wires.has_inputs;
    }

    if (rel >= offsetof(struct vup_cr_live, vtime_ns) &&
        rel < offsetof(struct vup_cr_live, vtime_ns) + sizeof(uint64_t)) {
        return true;
    }
    if (rel >= clk && rel < clk + sizeof(d->live.part->clock_hz)) {
        size_t i = (rel - clk) / sizeof(uint64_t);

        return i < d->clocks.num &&
               (d->clocks.clock[i].flags & VUP_CR_CLOCK_INPUT);
    }
    return false;
}

/* -EINVAL out of range, -EPERM not writable. */
static int cr_check(const vup_dev *d, uint64_t off, uint32_t count,
                    bool write)
{
    uint64_t size = vupi_cr_size(d);

    if (!count || off > size || count > size - off) {
        return -EINVAL;
    }
    for (uint32_t i = 0; write && i < count; i++) {
        if (off + i < d->cr.live_offset ||
            !live_byte_writable(d, off + i - d->cr.live_offset)) {
            return -EPERM;
        }
    }
    return 0;
}

/* Copies the part of [src_off, src_off + src_len) that [off, off+n) covers. */
static void copy_part(uint8_t *dst, uint64_t off, uint32_t n,
                      const void *src, uint64_t src_off, uint64_t src_len)
{
    uint64_t lo = off > src_off ? off : src_off;
    uint64_t hi = off + n < src_off + src_len ? off + n : src_off + src_len;

    if (lo < hi) {
        memcpy(dst + (lo - off), (const uint8_t *)src + (lo - src_off),
               hi - lo);
    }
}

static void cr_read(const vup_dev *d, uint64_t off, void *buf,
                    uint32_t count)
{
    memset(buf, 0, count);
    copy_part(buf, off, count, d->cr.desc, 0, d->cr.desc_size);
    struct vup_cr_live live = *d->live.part;

    /* vtime_ns as the backend has it (QEMU's store may be newer). */
    live.vtime_ns = d->timers.vtime;
    copy_part(buf, off, count, &live, d->cr.live_offset, sizeof(live));
}

/* QEMU wrote vtime_ns and/or input clocks (cr_check() passed). */
static void cr_write(vup_dev *d, uint64_t off, const void *buf,
                     uint32_t count)
{
    const uint64_t rel = off - d->cr.live_offset;
    const uint64_t clk = offsetof(struct vup_cr_live, clock_hz);
    const uint64_t vt = offsetof(struct vup_cr_live, vtime_ns);
    struct vup_cr_live cur = *d->live.part;

    /*
     * Apply to a copy: with a shared live part QEMU may store vtime_ns
     * itself, so the backend never writes that field there.
     */
    cur.vtime_ns = d->timers.vtime;
    memcpy((uint8_t *)&cur + rel, buf, count);
    for (size_t i = 0; i < d->clocks.num; i++) {
        if (rel < clk + (i + 1) * sizeof(uint64_t) &&
            rel + count > clk + i * sizeof(uint64_t) &&
            d->live.part->clock_hz[i] != cur.clock_hz[i]) {
            vupi_clock_input(d, (unsigned)i, cur.clock_hz[i]);
        }
    }
    if (rel < vt + sizeof(uint64_t) && rel + count > vt) {
        vupi_live_put_vtime(&d->live, cur.vtime_ns);
        vupi_time_set(d, cur.vtime_ns);
    }
    /* Input signals after the time: they happen at QEMU's time. */
    if (rel + count > VUP_CR_LIVE_SIG_IN_OFF) {
        struct vup_cr_live *part = d->live.part;

        memcpy(part->sig_in, cur.sig_in, sizeof(part->sig_in));
        memcpy(part->sig_in_pulses, cur.sig_in_pulses,
               sizeof(part->sig_in_pulses));
        vupi_wires_input(d);
    }
}

/* ---- any region ---------------------------------------------------------- */

/* Says why an access is refused; out of line, off the path of good ones. */
static int __attribute__((cold, noinline, format(printf, 3, 4)))
refuse(int err, char *why, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, VUPI_WHY_LEN, fmt, ap);
    va_end(ap);
    return err;
}

/* Region 0, or a region the device does not have. */
static int __attribute__((noinline))
check_not_window(const vup_dev *d, uint32_t region, uint64_t off,
                 uint32_t count, unsigned flags, char *why)
{
    int ret;

    if (region == VUP_CR_REGION_INDEX && !(flags & VUPI_ACCESS_WINDOW)) {
        ret = cr_check(d, off, count, flags & VUPI_ACCESS_WRITE);
        return ret < 0 ? refuse(-ret, why, "control region 0x%" PRIx64
                                "+%u", off, count) : 0;
    }
    if (flags & VUPI_ACCESS_WINDOW) {
        return refuse(EINVAL, why, "region %u is not a window", region);
    }
    return refuse(EINVAL, why, "region %u: the device has %zu", region,
                  d->num_periphs + 1);
}

/* Windows first, inline: the mailbox and polling guests take this path. */
static inline int check(const vup_dev *d, uint32_t region, uint64_t off,
                        uint32_t count, unsigned flags, char *why)
{
    const vup_periph *p;

    if (region == VUP_CR_REGION_INDEX || region > d->num_periphs) {
        return check_not_window(d, region, off, count, flags, why);
    }
    p = d->periphs[region - 1];
    /* With count 1, 2 or 4, off & (count - 1) is off % count. */
    if ((count != 1 && count != 2 && count != 4) || (off & (count - 1)) ||
        off >= p->desc.size || count > p->desc.size - off) {
        return refuse(EINVAL, why, "%s 0x%" PRIx64 "+%u: need 1, 2 or 4 "
                      "aligned bytes inside 0x%x", p->name, off, count,
                      p->desc.size);
    }
    return 0;
}

int vupi_access_check(const vup_dev *d, uint32_t region, uint64_t off,
                      uint32_t count, unsigned flags, char *why)
{
    return check(d, region, off, count, flags, why);
}

/* A window access that passed check(), by value; a read's value. */
static uint32_t window(vup_dev *d, uint32_t region, uint32_t off,
                       unsigned size, uint32_t data, bool write)
{
    vup_periph *p = d->periphs[region - 1];

    if (write) {
        vupi_regs_write(p, off, size, data);
        return 0;
    }
    return vupi_regs_read(p, off, size);
}

int vupi_access_entry(vup_dev *d, const struct vup_cr_mbox_req *r,
                      uint64_t *val, char *why)
{
    const bool write = r->op == VUP_CR_MBOX_OP_WRITE;
    uint32_t v;
    int err;

    err = check(d, r->region, r->offset, r->size,
                VUPI_ACCESS_WINDOW | (write ? VUPI_ACCESS_WRITE : 0), why);
    if (err) {
        return err;
    }
    /*
     * A posted write has no response: its changes ring the doorbell.  The
     * request starts before the time moves, so that what the timers due by
     * then change goes with the reply rather than by a doorbell that a
     * main-loop synchronisation would answer at a moment of the host's
     * choosing.
     */
    vupi_request_begin(d, r->flags & VUP_CR_MBOX_POSTED);
    if ((r->flags & VUP_CR_MBOX_VTIME) && r->vtime_ns != d->timers.vtime) {
        vupi_time_set(d, r->vtime_ns);
    }
    v = window(d, r->region, (uint32_t)r->offset, r->size,
               (uint32_t)r->data, write);
    if (!write) {
        *val = v;
    }
    vupi_request_end(d);
    return 0;
}

void vupi_access_do(vup_dev *d, uint32_t region, uint64_t off,
                    uint32_t count, uint8_t *data, bool write)
{
    uint32_t v = 0;

    if (region == VUP_CR_REGION_INDEX) {
        if (write) {
            cr_write(d, off, data, count);
        } else {
            cr_read(d, off, data, count);
        }
        return;
    }
    if (write) {
        memcpy(&v, data, count);
        window(d, region, (uint32_t)off, count, v, true);
    } else {
        v = window(d, region, (uint32_t)off, count, 0, false);
        memcpy(data, &v, count);
    }
}
