/*
 * vfio-user platform device: signal groups between peripherals
 *
 * docs/control-region.md, "Signal lines" (1.5).  Each SIGNAL entry is a
 * named GPIO group of the device, of the entry's name and width.
 *
 * OUT groups (the backend drives them) follow the live part: at every
 * synchronisation point, after the IRQ lines, the lines whose sig_out bit
 * changed are set to it, and a PULSE line pulses once per count its
 * sig_out_pulses counter moved (modulo 256).
 *
 * IN groups are driven by the board's devices.  Their state is kept here
 * (levels, and pulse counts for PULSE groups) and sent to the backend as
 * one non-posted REGION_WRITE of the live part's whole input block, from
 * a QEMU_CLOCK_VIRTUAL timer armed at the current time: every edge of one
 * guest instant (the 16 pins of one GPIO ODR write) goes in one message,
 * at the same instant in every run under -icount.  A pending write also
 * goes before any access to the backend's windows, so the guest's next
 * access sees the inputs; and the synchronisation that follows the write
 * applies what the backend answered (an EXTI interrupt, say) before the
 * guest goes on.  After a reset or a reconnect the whole input state is
 * written again.
 *
 * Boards connect the groups by name: vfio_user_platform_route_signals().
 *
 * Copyright (c) 2026 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/host-utils.h"
#include "hw/core/split-irq.h"
#include "hw/irq.h"
#include "hw/qdev-core.h"
#include "hw/qdev-properties.h"
#include "hw/vfio-user/trace.h"
#include "platform-internal.h"

/* Board API (hw/vfio-user/platform.h) */

unsigned int vfio_user_platform_num_signals(VFIOUserPlatform *dev)
{
    return dev->num_signals;
}

const struct vup_cr_signal *vfio_user_platform_signal(VFIOUserPlatform *dev,
                                                      unsigned int n)
{
    assert(n < dev->num_signals);
    return dev->signals[n].e;
}

/* OUT groups: the live part, at a synchronisation point */

static void vfio_user_platform_signal_set(VFIOUserPlatform *vdev,
                                          VFIOUserPlatformSignal *sig,
                                          unsigned int line, int level)
{
    unsigned int n = line - sig->e->first;

    trace_vfio_user_platform_signal_out(vdev->socket, sig->e->name, n,
                                        level);
    if (level > 1) {
        qemu_irq_pulse(sig->out[n]);
    } else {
        qemu_set_irq(sig->out[n], level);
    }
}

/*
 * The OUT lines whose bit changed, and the PULSE lines whose count moved.
 * Words that did not change cost a compare each, whatever the number of
 * lines.  Bits and counts of lines that no OUT group has are ignored.
 */
void vfio_user_platform_signals_apply(VFIOUserPlatform *vdev,
                                      const struct vup_cr_live *live)
{
    unsigned int w, i;

    if (!vdev->num_signals) {
        return;
    }
    for (w = 0; w < ARRAY_SIZE(vdev->sig_out); w++) {
        uint32_t now = le32_to_cpu(live->sig_out[w]);
        uint32_t changed = now ^ vdev->sig_out[w];

        vdev->sig_out[w] = now;
        while (changed && !vdev->failed) {
            unsigned int line = w * 32 + ctz32(changed);
            VFIOUserPlatformSignal *sig = vdev->sig_by_out_line[line];

            changed &= changed - 1;
            if (sig && !(sig->e->flags & VUP_CR_SIGNAL_PULSE)) {
                vfio_user_platform_signal_set(vdev, sig, line,
                                              (now >> (line % 32)) & 1);
            }
        }
    }
    for (w = 0; w < ARRAY_SIZE(vdev->sig_out_pulses); w += 8) {
        if (!memcmp(&live->sig_out_pulses[w], &vdev->sig_out_pulses[w], 8)) {
            continue;
        }
        for (i = w; i < w + 8 && !vdev->failed; i++) {
            VFIOUserPlatformSignal *sig = vdev->sig_by_out_line[i];
            uint8_t count = live->sig_out_pulses[i] - vdev->sig_out_pulses[i];

            vdev->sig_out_pulses[i] = live->sig_out_pulses[i];
            if (!sig || !(sig->e->flags & VUP_CR_SIGNAL_PULSE)) {
                continue;
            }
            while (count-- && !vdev->failed) {
                vfio_user_platform_signal_set(vdev, sig, i, 2);
            }
        }
    }
}

/* on-failure=bus-error dropped the connection: the OUT lines go low. */
void vfio_user_platform_signals_drop(VFIOUserPlatform *vdev)
{
    unsigned int w;

    for (w = 0; w < ARRAY_SIZE(vdev->sig_out); w++) {
        while (vdev->sig_out[w]) {
            unsigned int line = w * 32 + ctz32(vdev->sig_out[w]);
            VFIOUserPlatformSignal *sig = vdev->sig_by_out_line[line];

            vdev->sig_out[w] &= vdev->sig_out[w] - 1;
            if (sig && !(sig->e->flags & VUP_CR_SIGNAL_PULSE)) {
                vfio_user_platform_signal_set(vdev, sig, line, 0);
            }
        }
    }
}

/* A new connection: the backend counts pulses from 0, both ways. */
void vfio_user_platform_signals_rearm(VFIOUserPlatform *vdev)
{
    memset(vdev->sig_out_pulses, 0, sizeof(vdev->sig_out_pulses));
    memset(vdev->sig_in_pulses, 0, sizeof(vdev->sig_in_pulses));
}

/* IN groups: one message per instant */

/*
 * Write the input block (sig_in and sig_in_pulses, from
 * VUP_CR_LIVE_SIG_IN_OFF to the end of the live part), then synchronise.
 * Nothing is lost while the backend is away: the state is written again
 * after a reconnect.
 */
void vfio_user_platform_signals_flush(VFIOUserPlatform *vdev)
{
    const uint32_t off = VUP_CR_LIVE_SIG_IN_OFF;
    struct vup_cr_live live = { 0 };
    Error *err = NULL;
    unsigned int i;

    if (!vdev->sig_flush_pending) {
        return;
    }
    vdev->sig_flush_pending = false;
    timer_del(vdev->sig_flush_timer);
    if (vdev->failed || !vdev->vbasedev.proxy) {
        return;
    }
    for (i = 0; i < ARRAY_SIZE(live.sig_in); i++) {
        live.sig_in[i] = cpu_to_le32(vdev->sig_in[i]);
    }
    memcpy(live.sig_in_pulses, vdev->sig_in_pulses, sizeof(live.sig_in_pulses));
    trace_vfio_user_platform_signal_flush(vdev->socket, vdev->sig_in[0]);
    /* The inputs change at the guest's time: it goes first. */
    if (!vfio_user_platform_pre_access(vdev, false)) {
        return;
    }
    if (vfio_user_platform_region_write(vdev, vdev->cr_index,
                                        vdev->live_offset + off,
                                        (uint8_t *)&live + off,
                                        sizeof(live) - off, false, &err) !=
        VUP_IO_OK) {
        vfio_user_platform_fail(vdev, err, "writing the input signals to "
                                "the live part");
        return;
    }
    vfio_user_platform_sync(vdev);
}

static void vfio_user_platform_signals_flush_cb(void *opaque)
{
    vfio_user_platform_signals_flush(opaque);
}

/* After a reset or a reconnect: the whole input state, at once. */
void vfio_user_platform_signals_push(VFIOUserPlatform *vdev)
{
    if (vdev->sig_flush_timer) {
        vdev->sig_flush_pending = true;
        vfio_user_platform_signals_flush(vdev);
    }
}

/*
 * A line of an IN group changed (or, PULSE, rose: one more pulse).  The
 * write waits for the end of this instant, when every line that changes
 * in it has.
 */
static void vfio_user_platform_signal_in(void *opaque, int n, int level)
{
    VFIOUserPlatformSignal *sig = opaque;
    VFIOUserPlatform *vdev = sig->dev;
    unsigned int line = sig->e->first + n;
    uint32_t *word = &vdev->sig_in[line / 32];
    uint32_t bit = 1u << (line % 32);

    if (sig->e->flags & VUP_CR_SIGNAL_PULSE) {
        if (!level) {
            return;
        }
        vdev->sig_in_pulses[line]++;
        level = 2;
    } else {
        level = level != 0;
        if (!(*word & bit) == !level) {
            return;
        }
        *word ^= bit;
    }
    trace_vfio_user_platform_signal_in(vdev->socket, sig->e->name, n, level);
    if (!vdev->sig_flush_pending) {
        vdev->sig_flush_pending = true;
        timer_mod(vdev->sig_flush_timer,
                  qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
    }
}

bool vfio_user_platform_signals_init(VFIOUserPlatform *vdev, Error **errp)
{
    DeviceState *dev = DEVICE(vdev);
    bool has_in = false;
    unsigned int i, l;

    for (i = 0; i < vdev->num_signals; i++) {
        VFIOUserPlatformSignal *sig = &vdev->signals[i];
        const struct vup_cr_signal *e = sig->e;

        /* Its lines are properties NAME[0], NAME[1]... of the device. */
        for (l = 0; l < e->width; l++) {
            g_autofree char *prop = g_strdup_printf("%s[%u]", e->name, l);

            if (object_property_find(OBJECT(vdev), prop)) {
                error_setg(errp, "control region entry %u (signal \"%s\"): "
                           "its line %u would be the device's property %s, "
                           "which exists", vup_cr_entry_number(vdev->view, e),
                           e->name, l, prop);
                return false;
            }
        }
        trace_vfio_user_platform_signal(vdev->socket, e->name, e->flags,
                                        e->first, e->width);
        if (e->flags & VUP_CR_SIGNAL_OUT) {
            sig->out = g_new0(qemu_irq, e->width);
            qdev_init_gpio_out_named(dev, sig->out, e->name, e->width);
            for (l = 0; l < e->width; l++) {
                vdev->sig_by_out_line[e->first + l] = sig;
            }
        } else {
            qdev_init_gpio_in_named_with_opaque(dev,
                                                vfio_user_platform_signal_in,
                                                sig, e->name, e->width);
            has_in = true;
        }
    }
    if (has_in) {
        vdev->sig_flush_timer =
            timer_new_ns(QEMU_CLOCK_VIRTUAL,
                         vfio_user_platform_signals_flush_cb, vdev);
    }
    return true;
}

void vfio_user_platform_signals_exit(VFIOUserPlatform *vdev)
{
    g_clear_pointer(&vdev->sig_flush_timer, timer_free);
    vdev->sig_flush_pending = false;
}

/* Routing by name, for the boards */

/* A signal group of a backend. */
typedef struct VupSigRef {
    VFIOUserPlatform *dev;
    const struct vup_cr_signal *e;
} VupSigRef;

static const struct vup_cr_signal *
vfio_user_platform_find_signal(VFIOUserPlatform *dev, const char *name)
{
    unsigned int i;

    for (i = 0; i < dev->num_signals; i++) {
        if (!strcmp(dev->signals[i].e->name, name)) {
            return dev->signals[i].e;
        }
    }
    return NULL;
}

static bool vfio_user_platform_sig_pulse(const VupSigRef *r)
{
    return r->e->flags & VUP_CR_SIGNAL_PULSE;
}

/* "the OUT group \"gpioa\" of /tmp/a.sock (16 lines)" */
static char *vfio_user_platform_sig_str(const VupSigRef *r)
{
    return g_strdup_printf("the %s group \"%s\" of %s (%u line%s%s)",
                           r->e->flags & VUP_CR_SIGNAL_OUT ? "OUT" : "IN",
                           r->e->name, r->dev->socket, r->e->width,
                           r->e->width == 1 ? "" : "s",
                           vfio_user_platform_sig_pulse(r) ? ", pulses" : "");
}

/*
 * Line @n of @src's GPIO outputs @name drives @sinks: directly if there
 * is one, else through a split-irq child of @parent.
 */
static void vfio_user_platform_fan_out(Object *parent, DeviceState *src,
                                       const char *name, unsigned int n,
                                       qemu_irq *sinks, unsigned int num)
{
    DeviceState *split;
    unsigned int i;

    if (num == 1) {
        qdev_connect_gpio_out_named(src, name, n, sinks[0]);
        return;
    }
    split = qdev_new(TYPE_SPLIT_IRQ);
    object_property_add_child(parent, "signal-split[*]", OBJECT(split));
    qdev_prop_set_uint16(split, "num-lines", num);
    qdev_realize_and_unref(split, NULL, &error_fatal);
    for (i = 0; i < num; i++) {
        qdev_connect_gpio_out(split, i, sinks[i]);
    }
    qdev_connect_gpio_out_named(src, name, n, qdev_get_gpio_in(split, 0));
}

/* The sinks of line @n: the IN groups @ins, then @extra if any. */
static unsigned int vfio_user_platform_sinks(const VupSigRef *ins,
                                             unsigned int num_ins,
                                             unsigned int n, qemu_irq extra,
                                             qemu_irq *sinks)
{
    unsigned int i, num = 0;

    for (i = 0; i < num_ins; i++) {
        sinks[num++] = qdev_get_gpio_in_named(DEVICE(ins[i].dev),
                                              ins[i].e->name, n);
    }
    if (extra) {
        sinks[num++] = extra;
    }
    return num;
}

/* A backend's OUT group drives the IN groups @ins and the board's @bs. */
static bool vfio_user_platform_route_out(Object *parent, const VupSigRef *out,
                                         const VupSigRef *ins,
                                         unsigned int num_ins,
                                         const VFIOUserBoardSignal *bs,
                                         Error **errp)
{
    const char *name = out->e->name;
    qemu_irq sinks[MAX_SPLIT_LINES];
    unsigned int i, n;

    if (num_ins + (bs != NULL) >= MAX_SPLIT_LINES) {
        g_autofree char *o = vfio_user_platform_sig_str(out);

        error_setg(errp, "%s drives %u groups, more than %u", o,
                   num_ins + (bs != NULL), MAX_SPLIT_LINES - 1);
        return false;
    }
    if (!num_ins && !bs) {
        trace_vfio_user_platform_signal_unconnected(name, out->dev->socket,
                                                    "nothing takes it");
        return true;
    }
    for (i = 0; i < num_ins; i++) {
        trace_vfio_user_platform_signal_route(name, out->dev->socket,
                                              ins[i].dev->socket,
                                              out->e->width);
    }
    if (bs) {
        trace_vfio_user_platform_signal_route(name, out->dev->socket,
                                              "the board", out->e->width);
    }
    for (n = 0; n < out->e->width; n++) {
        unsigned int num = vfio_user_platform_sinks(ins, num_ins, n,
                                                    bs ? bs->in[n] : NULL,
                                                    sinks);

        if (num) {
            vfio_user_platform_fan_out(parent, DEVICE(out->dev), name, n,
                                       sinks, num);
        }
    }
    return true;
}

/*
 * The board's outputs @bs drive the IN groups @ins too: what they drove
 * keeps getting the lines.
 */
static bool vfio_user_platform_route_board(Object *parent,
                                           const VFIOUserBoardSignal *bs,
                                           const VupSigRef *ins,
                                           unsigned int num_ins,
                                           Error **errp)
{
    const char *name = ins[0].e->name;
    qemu_irq sinks[MAX_SPLIT_LINES];
    unsigned int i, n;

    if (num_ins + 1 >= MAX_SPLIT_LINES) {
        error_setg(errp, "the board's signal \"%s\" drives %u groups, more "
                   "than %u", name, num_ins, MAX_SPLIT_LINES - 2);
        return false;
    }
    for (i = 0; i < num_ins; i++) {
        trace_vfio_user_platform_signal_route(name, "the board",
                                              ins[i].dev->socket, bs->width);
    }
    for (n = 0; n < bs->width; n++) {
        qemu_irq old = qdev_get_gpio_out_connector(bs->out_dev,
                                                   bs->out_name, n);
        unsigned int num = vfio_user_platform_sinks(ins, num_ins, n, old,
                                                    sinks);

        vfio_user_platform_fan_out(parent, bs->out_dev, bs->out_name, n,
                                   sinks, num);
    }
    return true;
}

/* Every group named @name, in every backend, and the board's. */
static bool vfio_user_platform_route_name(Object *parent,
                                          VFIOUserPlatform **devs,
                                          unsigned int num, const char *name,
                                          VFIOUserBoardSignalFn board,
                                          void *opaque, Error **errp)
{
    g_autofree VupSigRef *ins = g_new0(VupSigRef, num);
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    VupSigRef out = { NULL };
    VFIOUserBoardSignal bs, other;
    unsigned int i, num_ins = 0;
    bool board_has;

    for (i = 0; i < num; i++) {
        VupSigRef r = {
            .dev = devs[i], .e = vfio_user_platform_find_signal(devs[i], name),
        };

        if (!r.e) {
            continue;
        }
        if (!(r.e->flags & VUP_CR_SIGNAL_OUT)) {
            ins[num_ins++] = r;
        } else if (out.dev) {
            a = vfio_user_platform_sig_str(&out);
            b = vfio_user_platform_sig_str(&r);
            error_setg(errp, "signal \"%s\" is driven twice: by %s and by %s",
                       name, a, b);
            return false;
        } else {
            out = r;
        }
    }
    /* The board's group, on the other side of the backends' ones. */
    memset(&bs, 0, sizeof(bs));
    board_has = board && board(opaque, name, out.dev != NULL, &bs);
    memset(&other, 0, sizeof(other));
    if (out.dev && num_ins && board && board(opaque, name, false, &other)) {
        a = vfio_user_platform_sig_str(&out);
        error_setg(errp, "signal \"%s\" is driven twice: by %s and by the "
                   "board's outputs of that name", name, a);
        return false;
    }
    for (i = 0; i < num_ins; i++) {
        if (out.dev && (ins[i].e->width != out.e->width ||
                        vfio_user_platform_sig_pulse(&ins[i]) !=
                        vfio_user_platform_sig_pulse(&out))) {
            a = vfio_user_platform_sig_str(&out);
            b = vfio_user_platform_sig_str(&ins[i]);
            error_setg(errp, "signal \"%s\": %s cannot drive %s: widths and "
                       "pulses must agree", name, a, b);
            return false;
        }
    }
    if (board_has) {
        const VupSigRef *r = out.dev ? &out : &ins[0];

        for (i = 0; i < (out.dev ? 1 : num_ins); i++, r++) {
            if (r->e->width != bs.width || vfio_user_platform_sig_pulse(r)) {
                a = vfio_user_platform_sig_str(r);
                error_setg(errp, "signal \"%s\": %s does not fit the board's "
                           "%u level lines of that name", name, a, bs.width);
                return false;
            }
        }
    }

    if (out.dev) {
        return vfio_user_platform_route_out(parent, &out, ins, num_ins,
                                            board_has ? &bs : NULL, errp);
    }
    if (board_has) {
        return vfio_user_platform_route_board(parent, &bs, ins, num_ins,
                                              errp);
    }
    for (i = 0; i < num_ins; i++) {
        trace_vfio_user_platform_signal_unconnected(name, ins[i].dev->socket,
                                                    "nothing drives it");
    }
    return true;
}

bool vfio_user_platform_route_signals(Object *parent, VFIOUserPlatform **devs,
                                      unsigned int num,
                                      VFIOUserBoardSignalFn board,
                                      void *opaque, Error **errp)
{
    unsigned int i, j, k;

    for (i = 0; i < num; i++) {
        for (j = 0; j < devs[i]->num_signals; j++) {
            const char *name = devs[i]->signals[j].e->name;
            bool seen = false;

            /* Each name once: where it first appears. */
            for (k = 0; k < i && !seen; k++) {
                seen = vfio_user_platform_find_signal(devs[k], name);
            }
            if (!seen &&
                !vfio_user_platform_route_name(parent, devs, num, name,
                                               board, opaque, errp)) {
                return false;
            }
        }
    }
    return true;
}
