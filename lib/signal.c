/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What models show the outside world: pins, serial lines and values, by
 * name, and the waits the control channel runs on them (wait-pin,
 * wait-serial) with their timeouts in guest virtual time.
 *
 * A wait's timeout counts from the guest's time when the wait starts.  The
 * device knows QEMU's time only as of its last request, which may be long
 * ago while the guest idles or reads direct-mapped registers, so a wait
 * first arms the waits' timer just after that time: QEMU sees a deadline
 * already reached, answers it with its current time (a non-posted write of
 * vtime_ns), and the deadline is counted from there.  A few waits per device: lists and
 * linear scans are enough.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>             /* isfinite() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A whole number (every double beyond 2^53 is one), without libm. */
static bool is_whole(double v)
{
    const double limit = 9007199254740992.0;

    return v <= -limit || v >= limit || (double)(int64_t)v == v;
}

/* Names the control channel can take on a command line, unquoted. */
static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/*
 * "<periph>.<name>" (or the peripheral's name alone for @name NULL) into
 * @out, checking it and that no signal of @d already has it.
 */
static int make_name(vup_periph *p, const char *what, const char *name,
                     char out[VUPI_SIGNAL_NAME_LEN])
{
    vup_dev *d = p->dev;
    int n;

    if (d->cr.desc) {
        return vupi_fail(d, EBUSY, "%s: add %ss before vup_dev_listen()",
                         p->name, what);
    }
    if (name && !name[0]) {
        return vupi_fail(d, EINVAL, "%s: %s with an empty name", p->name,
                         what);
    }
    n = name ? snprintf(out, VUPI_SIGNAL_NAME_LEN, "%s.%s", p->name, name)
             : snprintf(out, VUPI_SIGNAL_NAME_LEN, "%s", p->name);
    if (n < 0 || (size_t)n >= VUPI_SIGNAL_NAME_LEN) {
        return vupi_fail(d, EINVAL, "%s: %s name \"%s\" too long (at most "
                         "%u characters with the peripheral's)", p->name,
                         what, name ? name : "", VUPI_SIGNAL_NAME_LEN - 1);
    }
    for (const char *c = out; *c; c++) {
        if (!name_char_ok(*c)) {
            return vupi_fail(d, EINVAL, "%s: %s name \"%s\": only letters, "
                             "digits, '_', '-' and '.'", p->name, what, out);
        }
    }
    if (vupi_pin_find(d, out) || vupi_serial_find(d, out) ||
        vupi_value_find(d, out)) {
        return vupi_fail(d, EEXIST, "%s: \"%s\" registered twice", p->name,
                         out);
    }
    return 0;
}

/* Appends @item to the array *@list of *@num (at most @max). */
static int append(vup_dev *d, void ***list, size_t *num, size_t max,
                  void *item, const char *what)
{
    void **grown;

    if (*num == max) {
        return vupi_fail(d, ENOSPC, "more than %zu %ss", max, what);
    }
    grown = realloc(*list, (*num + 1) * sizeof(**list));
    if (!grown) {
        return vupi_fail(d, ENOMEM, "out of memory");
    }
    grown[(*num)++] = item;
    *list = grown;
    return 0;
}

vup_pin *vup_periph_add_pin(vup_periph *p, const char *name, unsigned n,
                            unsigned flags, vup_pin_drive_fn drive,
                            void *opaque)
{
    vup_dev *d = p->dev;
    char full[VUPI_SIGNAL_NAME_LEN];
    vup_pin *pin;

    if (!name) {
        vupi_fail(d, EINVAL, "%s: a pin needs a name", p->name);
        return NULL;
    }
    if (!flags || (flags & ~(VUP_PIN_IN | VUP_PIN_OUT))) {
        vupi_fail(d, EINVAL, "%s.%s: flags 0x%x: want VUP_PIN_IN and/or "
                  "VUP_PIN_OUT", p->name, name, flags);
        return NULL;
    }
    if ((flags & VUP_PIN_IN) && !drive) {
        vupi_fail(d, EINVAL, "%s.%s: an IN pin needs a drive function",
                  p->name, name);
        return NULL;
    }
    if (make_name(p, "pin", name, full) < 0) {
        return NULL;
    }
    pin = vupi_zalloc(d, sizeof(*pin));
    if (!pin) {
        return NULL;
    }
    *pin = (struct vup_pin){
        .periph = p, .n = n, .flags = flags, .drive = drive,
        .opaque = opaque, .driven = VUP_PIN_RELEASED,
    };
    strcpy(pin->name, full);
    if (append(d, (void ***)&d->signals.pins, &d->signals.num_pins,
               VUPI_MAX_PINS, pin, "pin") < 0) {
        free(pin);
        return NULL;
    }
    return pin;
}

vup_serial *vup_periph_add_serial(vup_periph *p, const char *name,
                                  vup_chardev_rx_fn rx, void *opaque)
{
    vup_dev *d = p->dev;
    char full[VUPI_SIGNAL_NAME_LEN];
    vup_serial *s;

    if (!rx) {
        vupi_fail(d, EINVAL, "%s: a serial line needs a receive function",
                  p->name);
        return NULL;
    }
    if (make_name(p, "serial line", name, full) < 0) {
        return NULL;
    }
    s = vupi_zalloc(d, sizeof(*s));
    if (!s) {
        return NULL;
    }
    *s = (struct vup_serial){ .periph = p, .rx = rx, .opaque = opaque };
    strcpy(s->name, full);
    if (append(d, (void ***)&d->signals.serials, &d->signals.num_serials,
               VUPI_MAX_SERIALS, s, "serial line") < 0) {
        free(s);
        return NULL;
    }
    return s;
}

vup_value *vup_periph_add_value(vup_periph *p,
                                const struct vup_value_desc *desc,
                                vup_value_fn set, void *opaque)
{
    vup_dev *d = p->dev;
    char full[VUPI_SIGNAL_NAME_LEN];
    vup_value *v;

    if (!desc || !desc->name || !set) {
        vupi_fail(d, EINVAL, "%s: a value needs a name and a set function",
                  p->name);
        return NULL;
    }
    if (!isfinite(desc->min) || !isfinite(desc->max) ||
        desc->min > desc->max || !(desc->initial >= desc->min) ||
        !(desc->initial <= desc->max) ||
        (desc->integer && !is_whole(desc->initial))) {
        vupi_fail(d, EINVAL, "%s.%s: range %g..%g with initial %g: want "
                  "finite min <= initial <= max%s", p->name, desc->name,
                  desc->min, desc->max, desc->initial,
                  desc->integer ? ", a whole initial" : "");
        return NULL;
    }
    if (desc->unit && strlen(desc->unit) >= sizeof(v->unit)) {
        vupi_fail(d, EINVAL, "%s.%s: unit \"%s\" longer than %zu "
                  "characters", p->name, desc->name, desc->unit,
                  sizeof(v->unit) - 1);
        return NULL;
    }
    if (make_name(p, "value", desc->name, full) < 0) {
        return NULL;
    }
    v = vupi_zalloc(d, sizeof(*v));
    if (!v) {
        return NULL;
    }
    *v = (struct vup_value){
        .periph = p, .min = desc->min, .max = desc->max,
        .value = desc->initial, .integer = desc->integer, .set = set,
        .opaque = opaque,
    };
    strcpy(v->name, full);
    if (desc->unit) {
        strcpy(v->unit, desc->unit);
    }
    if (append(d, (void ***)&d->signals.values, &d->signals.num_values,
               VUPI_MAX_VALUES, v, "value") < 0) {
        free(v);
        return NULL;
    }
    return v;
}

vup_pin *vupi_pin_find(const vup_dev *d, const char *name)
{
    for (size_t i = 0; i < d->signals.num_pins; i++) {
        if (!strcmp(d->signals.pins[i]->name, name)) {
            return d->signals.pins[i];
        }
    }
    return NULL;
}

vup_serial *vupi_serial_find(const vup_dev *d, const char *name)
{
    for (size_t i = 0; i < d->signals.num_serials; i++) {
        if (!strcmp(d->signals.serials[i]->name, name)) {
            return d->signals.serials[i];
        }
    }
    return NULL;
}

vup_value *vupi_value_find(const vup_dev *d, const char *name)
{
    for (size_t i = 0; i < d->signals.num_values; i++) {
        if (!strcmp(d->signals.values[i]->name, name)) {
            return d->signals.values[i];
        }
    }
    return NULL;
}

/* ---- waits ------------------------------------------------------------- */

static void wait_unlink(vup_dev *d, struct vupi_wait *w)
{
    for (struct vupi_wait **pp = &d->signals.waits; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            w->next = NULL;
            return;
        }
    }
}

/*
 * The waits' timer: while a wait with a timeout has not started, 1 ns
 * after the time the device knows, which QEMU's time has reached or soon
 * will: QEMU answers at once with its time.  (Not at that time itself: a
 * request that brings no new time, such as a read of the live part, would
 * run the timer with the old one.)  Else at the earliest deadline.
 */
static void rearm(vup_dev *d)
{
    uint64_t when = UINT64_MAX;
    bool any = false;

    if (!d->signals.timer) {
        return;
    }
    for (struct vupi_wait *w = d->signals.waits; w; w = w->next) {
        if (!w->has_timeout) {
            continue;
        }
        any = true;
        if (!w->started) {
            when = vup_dev_now_ns(d) + 1;
        } else if (w->deadline_ns < when) {
            when = w->deadline_ns;
        }
    }
    if (any) {
        vup_timer_arm(d->signals.timer, when);
    } else {
        vup_timer_cancel(d->signals.timer);
    }
}

/* Ends @w (pending) with @status at @at_ns and tells its owner. */
static void wait_finish(vup_dev *d, struct vupi_wait *w,
                        enum vupi_wait_status status, uint64_t at_ns)
{
    wait_unlink(d, w);
    w->status = status;
    w->at_ns = at_ns;
    if (w->done) {
        w->done(w, w->opaque);
    }
}

/* Searches the output of @w's line from w->search_from; true: found. */
static bool serial_search(struct vupi_wait *w)
{
    const vup_serial *s = w->serial;
    uint64_t oldest = s->total - s->hist_len;
    const uint8_t *hay, *hit;
    size_t len;

    if (w->search_from < oldest) {
        w->search_from = oldest;
    }
    if (!s->hist) {
        return false;
    }
    hay = s->hist + (w->search_from - oldest);
    len = (size_t)(s->total - w->search_from);
    hit = len >= w->pattern_len ? memmem(hay, len, w->pattern,
                                         w->pattern_len) : NULL;
    if (hit) {
        w->match_start = w->search_from + (uint64_t)(hit - hay);
        w->match_end = w->match_start + w->pattern_len;
        return true;
    }
    /* A match may still start in the last pattern_len - 1 bytes. */
    if (len >= w->pattern_len) {
        w->search_from = s->total - (w->pattern_len - 1);
    }
    return false;
}

bool vupi_wait_start(vup_dev *d, struct vupi_wait *w)
{
    const uint64_t now = vup_dev_now_ns(d);

    w->status = VUPI_WAIT_PENDING;
    w->next = NULL;
    w->started = false;
    if (w->kind == VUPI_WAIT_PIN && w->pin->level == w->level) {
        w->status = VUPI_WAIT_MET;
        w->at_ns = now;
        return true;
    }
    if (w->kind == VUPI_WAIT_SERIAL) {
        w->search_from = w->from;
        if (serial_search(w)) {
            w->serial->mark = w->match_end;
            w->status = VUPI_WAIT_MET;
            w->at_ns = now;
            return true;
        }
    }
    if (w->has_timeout && w->timeout_ns == 0) {
        w->status = VUPI_WAIT_TIMEOUT;
        w->start_ns = w->at_ns = now;
        return true;
    }
    w->next = d->signals.waits;
    d->signals.waits = w;
    rearm(d);
    return false;
}

void vupi_wait_cancel(vup_dev *d, struct vupi_wait *w)
{
    if (w->status == VUPI_WAIT_PENDING) {
        wait_unlink(d, w);
        w->status = VUPI_WAIT_GONE;
        rearm(d);
    }
}

/* A timer callback: QEMU's time is d->timers.vtime (now_ns is ours). */
static void waits_timer(vup_timer *t, void *opaque)
{
    vup_dev *d = opaque;
    const uint64_t qemu_now = d->timers.vtime;
    struct vupi_wait *w, *next;

    (void)t;
    for (w = d->signals.waits; w; w = next) {
        next = w->next;
        if (!w->has_timeout) {
            continue;
        }
        if (!w->started) {
            w->started = true;
            w->start_ns = qemu_now;
            w->deadline_ns = qemu_now > UINT64_MAX - 1 - w->timeout_ns
                             ? UINT64_MAX - 1 : qemu_now + w->timeout_ns;
        } else if (w->deadline_ns <= qemu_now) {
            wait_finish(d, w, VUPI_WAIT_TIMEOUT, w->deadline_ns);
        }
    }
    rearm(d);
}

/* Waits on @pin or @s (one is NULL) that are met now. */
static void check_waits(vup_dev *d, const vup_pin *pin, const vup_serial *s)
{
    const uint64_t now = vup_dev_now_ns(d);
    struct vupi_wait *w, *next;
    bool finished = false;

    for (w = d->signals.waits; w; w = next) {
        next = w->next;
        if (pin && w->kind == VUPI_WAIT_PIN && w->pin == pin &&
            pin->level == w->level) {
            wait_finish(d, w, VUPI_WAIT_MET, now);
            finished = true;
        } else if (s && w->kind == VUPI_WAIT_SERIAL && w->serial == s &&
                   serial_search(w)) {
            w->serial->mark = w->match_end;
            wait_finish(d, w, VUPI_WAIT_MET, now);
            finished = true;
        }
    }
    if (finished) {
        rearm(d);
    }
}

int vupi_signals_open(vup_dev *d)
{
    if (!d->signals.timer) {
        d->signals.timer = vup_timer_new(d, waits_timer, d);
        if (!d->signals.timer) {
            return -EBUSY;
        }
    }
    d->signals.recording = true;
    return 0;
}

void vupi_signals_reset(vup_dev *d)
{
    /* The reset cancelled every timer, ours too. */
    rearm(d);
}

void vupi_signals_client_gone(vup_dev *d)
{
    struct vupi_wait *w, *next;
    uint64_t was = d->timers.vtime;

    /* A deadline counted in that QEMU's time has no meaning any more. */
    for (w = d->signals.waits; w; w = next) {
        next = w->next;
        if (w->has_timeout && w->started) {
            wait_finish(d, w, VUPI_WAIT_GONE, was);
        }
    }
}

void vupi_signals_fini(vup_dev *d)
{
    /* Waits belong to control-channel clients, closed before this. */
    for (size_t i = 0; i < d->signals.num_pins; i++) {
        free(d->signals.pins[i]);
    }
    for (size_t i = 0; i < d->signals.num_serials; i++) {
        free(d->signals.serials[i]->hist);
        free(d->signals.serials[i]);
    }
    for (size_t i = 0; i < d->signals.num_values; i++) {
        free(d->signals.values[i]);
    }
    free(d->signals.pins);
    free(d->signals.serials);
    free(d->signals.values);
    d->signals = (struct vupi_signals){ 0 };
}

/* ---- pins -------------------------------------------------------------- */

void vup_pin_set_level(vup_pin *pin, bool level)
{
    if (pin->level == level) {
        return;
    }
    pin->level = level;
    vup_log(VUP_LOG_DEBUG, "%s: %d", pin->name, level);
    check_waits(pin->periph->dev, pin, NULL);
}

void vup_pin_set_mode(vup_pin *pin, const char *mode)
{
    pin->mode = mode;
}

bool vup_pin_level(const vup_pin *pin)
{
    return pin->level;
}

int vup_pin_driven(const vup_pin *pin)
{
    return pin->driven;
}

void vupi_pin_drive(vup_pin *pin, int level)
{
    pin->driven = level;
    pin->drive(pin->opaque, pin->n, level);
}

/* ---- serial lines ------------------------------------------------------- */

/* Appends to the history, dropping the oldest half when it is full. */
static void history_add(vup_serial *s, const uint8_t *buf, size_t len)
{
    if (!s->hist) {
        s->hist = malloc(VUPI_SERIAL_HISTORY);
        if (!s->hist) {
            vup_log(VUP_LOG_WARN, "%s: no memory for its output history",
                    s->name);
            s->total += len;
            return;
        }
    }
    if (s->hist_len + len > VUPI_SERIAL_HISTORY) {
        size_t drop = VUPI_SERIAL_HISTORY / 2;

        memmove(s->hist, s->hist + drop, s->hist_len - drop);
        s->hist_len -= drop;
    }
    memcpy(s->hist + s->hist_len, buf, len);
    s->hist_len += len;
    s->total += len;
}

void vup_serial_tx(vup_serial *s, const uint8_t *buf, size_t len)
{
    vup_dev *d = s->periph->dev;

    if (!d->signals.recording) {
        return;
    }
    /*
     * In pieces that leave half the history in place, so a pattern that
     * straddles two of them is still there to be found.
     */
    while (len) {
        size_t n = len < VUPI_MAX_PATTERN ? len : VUPI_MAX_PATTERN;

        history_add(s, buf, n);
        if (s->hist && d->signals.waits) {
            check_waits(d, NULL, s);
        }
        buf += n;
        len -= n;
    }
}

void vupi_serial_inject(vup_serial *s, const uint8_t *buf, size_t len)
{
    s->rx(s->opaque, buf, len);
}

uint64_t vupi_serial_oldest(const vup_serial *s)
{
    return s->total - s->hist_len;
}

const uint8_t *vupi_serial_at(const vup_serial *s, uint64_t off,
                              size_t *len)
{
    uint64_t oldest = vupi_serial_oldest(s);

    if (off < oldest) {
        off = oldest;
    }
    if (!s->hist || off >= s->total) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)(s->total - off);
    return s->hist + (off - oldest);
}

/* ---- values ------------------------------------------------------------ */

double vup_value_get(const vup_value *v)
{
    return v->value;
}

int vupi_value_set(vup_value *v, double value, char *why, size_t whylen)
{
    if (!isfinite(value) || value < v->min || value > v->max) {
        snprintf(why, whylen, "%s: %.17g is outside %.17g..%.17g%s%s",
                 v->name, value, v->min, v->max, v->unit[0] ? " " : "",
                 v->unit);
        return -ERANGE;
    }
    if (v->integer && !is_whole(value)) {
        snprintf(why, whylen, "%s: %.17g is not a whole number", v->name,
                 value);
        return -EINVAL;
    }
    v->value = value;
    v->set(v->opaque, value);
    return 0;
}
