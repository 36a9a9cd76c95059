/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signal groups: lines between peripherals (a GPIO bank's pins into
 * SYSCFG, a timer's trigger into an ADC), inside the backend or, through
 * the control region's SIGNAL entries and the live part, to QEMU.
 *
 * At the freeze (vupi_wires_connect(), before the descriptor is built) an
 * IN group takes the OUT group of its name in the same device, if there
 * is one: its input function is then called from vup_signal_set(), with no
 * socket in between.  Every OUT group and every IN group left is
 * published: OUT levels go in sig_out (one seq bump and doorbell per
 * change, however many lines), pulses in sig_out_pulses; QEMU writes IN
 * levels and pulse counts in one REGION_WRITE of the input block, which
 * access.c hands to vupi_wires_input().  A few dozen groups per device:
 * arrays and linear scans are enough, and none of it is on the path of a
 * register access.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Nested deliveries deeper than this are a loop of connected groups. */
#define MAX_DEPTH 16u

static uint32_t width_mask(unsigned width)
{
    return width >= 32 ? UINT32_MAX : (1u << width) - 1;
}

/* Lines @first..@first+@width-1 of the bitmap @words, as bits 0... */
static uint32_t get_lines(const uint32_t *words, unsigned first,
                          unsigned width)
{
    uint64_t both = words[first / 32];

    if (first % 32 + width > 32) {
        both |= (uint64_t)words[first / 32 + 1] << 32;
    }
    return (uint32_t)(both >> (first % 32)) & width_mask(width);
}

static void put_lines(uint32_t *words, unsigned first, unsigned width,
                      uint32_t lines)
{
    for (unsigned i = 0; i < width; i++) {
        uint32_t bit = 1u << ((first + i) % 32);
        uint32_t *w = &words[(first + i) / 32];

        *w = (lines >> i) & 1 ? *w | bit : *w & ~bit;
    }
}

static bool name_ok(const char *name)
{
    if (!name[0] || !strncmp(name, "sysbus-", 7)) {
        return false;
    }
    for (const char *c = name; *c; c++) {
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789_.-", *c)) {
            return false;
        }
    }
    return true;
}

static vup_signal *find(const vup_dev *d, const char *name, unsigned dir,
                        const vup_signal *after)
{
    size_t i = 0;

    if (after) {
        while (d->wires.group[i] != after) {
            i++;
        }
        i++;
    }
    for (; i < d->wires.num; i++) {
        vup_signal *s = d->wires.group[i];

        if ((s->flags & dir) && !strcmp(s->name, name)) {
            return s;
        }
    }
    return NULL;
}

vup_signal *vup_periph_add_signal(vup_periph *p, const char *name,
                                  unsigned width, unsigned flags,
                                  vup_signal_fn input, void *opaque)
{
    const unsigned dir = flags & (VUP_SIGNAL_OUT | VUP_SIGNAL_IN);
    vup_dev *d = p->dev;
    vup_signal *s;

    if (d->cr.desc) {
        vupi_fail(d, EBUSY, "%s: add signals before vup_dev_listen()",
                  p->name);
        return NULL;
    }
    if (!name || strlen(name) >= VUP_CR_NAME_LEN || !name_ok(name)) {
        vupi_fail(d, EINVAL, "%s: signal name \"%s\": 1 to %u letters, "
                  "digits, '_', '.' or '-', not \"sysbus-...\"", p->name,
                  name ? name : "", VUP_CR_NAME_LEN - 1);
        return NULL;
    }
    if ((flags & ~(VUP_SIGNAL_OUT | VUP_SIGNAL_IN | VUP_SIGNAL_PULSE)) ||
        (dir != VUP_SIGNAL_OUT && dir != VUP_SIGNAL_IN)) {
        vupi_fail(d, EINVAL, "%s: signal %s: flags 0x%x need exactly one "
                  "of VUP_SIGNAL_OUT, VUP_SIGNAL_IN", p->name, name, flags);
        return NULL;
    }
    if (!width || width > VUP_CR_MAX_SIGNAL_WIDTH) {
        vupi_fail(d, EINVAL, "%s: signal %s: width %u is not in [1, %u]",
                  p->name, name, width, VUP_CR_MAX_SIGNAL_WIDTH);
        return NULL;
    }
    if (dir == VUP_SIGNAL_IN && !input) {
        vupi_fail(d, EINVAL, "%s: input signal %s without a function",
                  p->name, name);
        return NULL;
    }
    if (dir == VUP_SIGNAL_OUT && find(d, name, VUP_SIGNAL_OUT, NULL)) {
        vupi_fail(d, EEXIST, "%s: output signal %s registered twice",
                  p->name, name);
        return NULL;
    }
    if (d->wires.num == VUPI_MAX_SIGNAL_GROUPS) {
        vupi_fail(d, ENOSPC, "%s: signal %s: more than %u signal groups",
                  p->name, name, VUPI_MAX_SIGNAL_GROUPS);
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        vupi_fail(d, ENOMEM, "out of memory");
        return NULL;
    }
    s->periph = p;
    strcpy(s->name, name);
    s->width = width;
    s->flags = flags;
    s->input = input;
    s->opaque = opaque;
    d->wires.group[d->wires.num++] = s;
    return s;
}

/* @in takes @lines (bits that changed: @changed) from inside the backend. */
static void deliver(vup_signal *in, uint32_t changed, uint32_t lines)
{
    vup_dev *d = in->periph->dev;

    in->levels ^= changed;
    if (d->wires.depth >= MAX_DEPTH) {
        if (!d->wires.loop_reported) {
            d->wires.loop_reported = true;
            vup_log(VUP_LOG_ERROR, "%s: signal %s: connected groups nest "
                    "deeper than %u (a loop?); changes dropped",
                    in->periph->name, in->name, MAX_DEPTH);
        }
        return;
    }
    d->wires.depth++;
    while (changed) {
        unsigned line = (unsigned)__builtin_ctz(changed);

        changed &= changed - 1;
        in->input(in->opaque, line, (lines >> line) & 1);
    }
    d->wires.depth--;
}

static void deliver_pulse(vup_signal *in, unsigned line)
{
    vup_dev *d = in->periph->dev;

    if (d->wires.depth >= MAX_DEPTH) {
        if (!d->wires.loop_reported) {
            d->wires.loop_reported = true;
            vup_log(VUP_LOG_ERROR, "%s: signal %s: connected groups nest "
                    "deeper than %u (a loop?); pulses dropped",
                    in->periph->name, in->name, MAX_DEPTH);
        }
        return;
    }
    d->wires.depth++;
    in->input(in->opaque, line, true);
    d->wires.depth--;
}

/* Places of published groups, per direction, in descriptor order. */
static int publish(vup_dev *d, vup_signal *s, unsigned *next)
{
    if (*next + s->width > VUP_CR_MAX_SIGNAL_LINES) {
        return vupi_fail(d, ENOSPC, "%s: signal %s: more than %u %s lines "
                         "published", s->periph->name, s->name,
                         VUP_CR_MAX_SIGNAL_LINES,
                         s->flags & VUP_SIGNAL_OUT ? "output" : "input");
    }
    if (d->wires.num_published == VUP_CR_MAX_SIGNALS) {
        return vupi_fail(d, ENOSPC, "%s: signal %s: more than %u signal "
                         "groups published", s->periph->name, s->name,
                         VUP_CR_MAX_SIGNALS);
    }
    s->published = true;
    s->first = *next;
    *next += s->width;
    d->wires.num_published++;
    if (s->flags & VUP_SIGNAL_IN) {
        d->wires.has_inputs = true;
    }
    return 0;
}

int vupi_wires_connect(vup_dev *d)
{
    unsigned next_out = 0, next_in = 0;
    int ret;

    /* From scratch: a freeze that failed later may be tried again. */
    d->wires.num_published = 0;
    d->wires.has_inputs = false;
    for (size_t i = 0; i < d->wires.num; i++) {
        d->wires.group[i]->num_sinks = 0;
        d->wires.group[i]->driver = NULL;
        d->wires.group[i]->published = false;
    }
    for (size_t i = 0; i < d->wires.num; i++) {
        vup_signal *s = d->wires.group[i];
        vup_signal *out;

        if (s->flags & VUP_SIGNAL_OUT) {
            ret = publish(d, s, &next_out);
            if (ret < 0) {
                return ret;
            }
            put_lines(d->live.part->sig_out, s->first, s->width, s->levels);
            continue;
        }
        out = find(d, s->name, VUP_SIGNAL_OUT, NULL);
        if (!out) {
            if (find(d, s->name, VUP_SIGNAL_IN, s)) {
                return vupi_fail(d, EEXIST, "%s: input signal %s: another "
                                 "input has its name and no output drives "
                                 "them (QEMU would see one group)",
                                 s->periph->name, s->name);
            }
            ret = publish(d, s, &next_in);
            if (ret < 0) {
                return ret;
            }
            continue;
        }
        if (out->width != s->width ||
            (out->flags & VUP_SIGNAL_PULSE) != (s->flags & VUP_SIGNAL_PULSE)) {
            return vupi_fail(d, EINVAL, "signal %s: %s's input (%u %s "
                             "lines) does not fit %s's output (%u %s lines)",
                             s->name, s->periph->name, s->width,
                             s->flags & VUP_SIGNAL_PULSE ? "pulse" : "level",
                             out->periph->name, out->width,
                             out->flags & VUP_SIGNAL_PULSE ? "pulse"
                                                           : "level");
        }
        vup_signal **sinks = realloc(out->sinks, (out->num_sinks + 1) *
                                                 sizeof(*sinks));
        if (!sinks) {
            return vupi_fail(d, ENOMEM, "out of memory");
        }
        out->sinks = sinks;
        out->sinks[out->num_sinks++] = s;
        s->driver = out;
    }
    /* What the outputs drive already (models set them at reset). */
    for (size_t i = 0; i < d->wires.num; i++) {
        vup_signal *s = d->wires.group[i];

        if (s->driver && !(s->flags & VUP_SIGNAL_PULSE) &&
            s->levels != s->driver->levels) {
            deliver(s, s->levels ^ s->driver->levels, s->driver->levels);
        }
    }
    return 0;
}

void vup_signal_set_lines(vup_signal *s, uint32_t mask, uint32_t levels)
{
    vup_dev *d = s->periph->dev;
    uint32_t now, changed;

    if (!(s->flags & VUP_SIGNAL_OUT) || (s->flags & VUP_SIGNAL_PULSE)) {
        vup_log(VUP_LOG_ERROR, "%s: signal %s: only level outputs are set",
                s->periph->name, s->name);
        return;
    }
    mask &= width_mask(s->width);
    now = (s->levels & ~mask) | (levels & mask);
    changed = now ^ s->levels;
    if (!changed) {
        return;
    }
    s->levels = now;
    if (s->published) {
        vupi_live_set_lines(&d->live, s->first, s->width, now);
    }
    for (size_t i = 0; i < s->num_sinks; i++) {
        deliver(s->sinks[i], changed, now);
    }
}

void vup_signal_set(vup_signal *s, unsigned line, bool level)
{
    if (line >= s->width) {
        vup_log(VUP_LOG_ERROR, "%s: signal %s: no line %u (width %u)",
                s->periph->name, s->name, line, s->width);
        return;
    }
    vup_signal_set_lines(s, 1u << line, (uint32_t)level << line);
}

void vup_signal_pulse(vup_signal *s, unsigned line)
{
    vup_dev *d = s->periph->dev;

    if ((s->flags & (VUP_SIGNAL_OUT | VUP_SIGNAL_PULSE)) !=
        (VUP_SIGNAL_OUT | VUP_SIGNAL_PULSE) || line >= s->width) {
        vup_log(VUP_LOG_ERROR, "%s: signal %s: line %u is not a pulse "
                "output", s->periph->name, s->name, line);
        return;
    }
    if (s->published) {
        vupi_live_pulse_line(&d->live, s->first + line);
    }
    for (size_t i = 0; i < s->num_sinks; i++) {
        deliver_pulse(s->sinks[i], line);
    }
}

uint32_t vup_signal_levels(const vup_signal *s)
{
    return s->levels;
}

const char *vup_signal_name(const vup_signal *s)
{
    return s->name;
}

/*
 * QEMU wrote the input block: each published IN group takes its lines'
 * changes, and each pulse counted since the last write, in group order.
 */
void vupi_wires_input(vup_dev *d)
{
    const struct vup_cr_live *live = d->live.part;

    for (size_t i = 0; i < d->wires.num; i++) {
        vup_signal *s = d->wires.group[i];

        if (!s->published || !(s->flags & VUP_SIGNAL_IN)) {
            continue;
        }
        if (s->flags & VUP_SIGNAL_PULSE) {
            for (unsigned l = 0; l < s->width; l++) {
                uint8_t count = live->sig_in_pulses[s->first + l];

                while (s->pulses_seen[l] != count) {
                    s->pulses_seen[l]++;
                    deliver_pulse(s, l);
                }
            }
            continue;
        }
        uint32_t now = get_lines(live->sig_in, s->first, s->width);

        if (now != s->levels) {
            deliver(s, now ^ s->levels, now);
        }
    }
}

/* The next client counts pulses from 0; levels stay as they were. */
void vupi_wires_client_gone(vup_dev *d)
{
    for (size_t i = 0; i < d->wires.num; i++) {
        memset(d->wires.group[i]->pulses_seen, 0,
               sizeof(d->wires.group[i]->pulses_seen));
    }
}

void vupi_wires_fini(vup_dev *d)
{
    for (size_t i = 0; i < d->wires.num; i++) {
        free(d->wires.group[i]->sinks);
        free(d->wires.group[i]);
    }
    d->wires.num = 0;
}
