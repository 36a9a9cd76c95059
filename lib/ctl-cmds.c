/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control channel's commands (docs/control-channel.md): a request line
 * is one JSON object, {"cmd": NAME, "id": ANY, ...arguments}, and its reply
 * one JSON object on one line, {"ok": true, "id": ..., ...} or {"ok":
 * false, "id": ..., "code": CODE, "error": MESSAGE}.
 *
 * Every request is checked whole before anything happens: valid JSON (one
 * object, nothing after it), a known command, only that command's
 * arguments, each of its type; then the names it gives must exist.  Each
 * error says which of these failed and names the member or the name.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "ctl-json.h"
#include "internal.h"

#define PROTOCOL_MAJOR 1
#define PROTOCOL_MINOR 1
#define SEEN_MAX       256u       /* output quoted in a timeout's error */

/* ---- looking things up --------------------------------------------------- */

static const char *str_arg(json_object *req, const char *name)
{
    json_object *o;

    return json_object_object_get_ex(req, name, &o) && o
           ? json_object_get_string(o) : NULL;
}

static vup_periph *find_periph(vup_dev *d, const char *name)
{
    for (size_t i = 0; i < d->num_periphs; i++) {
        if (!strcmp(d->periphs[i]->name, name)) {
            return d->periphs[i];
        }
    }
    return NULL;
}

/* What a not-found error lists: "a, b, c" (as many as fit) or "none". */
#define NAMES_LEN 256u

static const char *joined(char names[NAMES_LEN], const vup_dev *d, size_t n,
                          const char *(*nth)(const vup_dev *d, size_t i))
{
    size_t len = 0;

    names[0] = '\0';
    for (size_t i = 0; i < n && len < NAMES_LEN - 60; i++) {
        len += (size_t)snprintf(names + len, NAMES_LEN - len, "%s%s",
                                i ? ", " : "", nth(d, i));
    }
    return names[0] ? names : "none";
}

static const char *nth_periph(const vup_dev *d, size_t i)
{
    return d->periphs[i]->name;
}

static const char *nth_serial(const vup_dev *d, size_t i)
{
    return d->signals.serials[i]->name;
}

static const char *nth_value(const vup_dev *d, size_t i)
{
    return d->signals.values[i]->name;
}

static enum outcome no_periph(vup_dev *d, const char *name,
                              struct ctl_err *e)
{
    char names[NAMES_LEN], q[52];

    return fail(e, "not-found", "no peripheral \"%s\" (this device has: "
                "%s)", vupi_ctl_quoted(name, q, sizeof(q)),
                joined(names, d, d->num_periphs, nth_periph));
}

static vup_pin *find_pin(vup_dev *d, json_object *req, struct ctl_err *e)
{
    const char *name = str_arg(req, "pin");
    vup_pin *pin = vupi_pin_find(d, name);

    if (!pin) {
        char q[52];

        fail(e, "not-found", "no pin \"%s\" (%zu pins here%s%s%s; `list` "
             "shows them)", vupi_ctl_quoted(name, q, sizeof(q)),
             d->signals.num_pins,
             d->signals.num_pins ? ", e.g. \"" : "",
             d->signals.num_pins ? d->signals.pins[0]->name : "",
             d->signals.num_pins ? "\"" : "");
    }
    return pin;
}

static vup_serial *find_serial(vup_dev *d, json_object *req,
                               struct ctl_err *e)
{
    const char *name = str_arg(req, "line");
    vup_serial *s = vupi_serial_find(d, name);

    if (!s) {
        char names[NAMES_LEN], q[52];

        fail(e, "not-found", "no serial line \"%s\" (serial lines: %s)",
             vupi_ctl_quoted(name, q, sizeof(q)),
             joined(names, d, d->signals.num_serials, nth_serial));
    }
    return s;
}

static vup_value *find_value(vup_dev *d, json_object *req,
                             struct ctl_err *e)
{
    const char *name = str_arg(req, "name");
    vup_value *v = vupi_value_find(d, name);

    if (!v) {
        char names[NAMES_LEN], q[52];

        fail(e, "not-found", "no value \"%s\" (values: %s)",
             vupi_ctl_quoted(name, q, sizeof(q)),
             joined(names, d, d->signals.num_values, nth_value));
    }
    return v;
}

static json_object *driven_json(int driven)
{
    return driven == VUP_PIN_RELEASED ? NULL : json_object_new_int(driven);
}

static void add_pin(json_object *o, const vup_pin *pin)
{
    vupi_ctl_add_str(o, "pin", pin->name);
    json_object_object_add(o, "level", json_object_new_int(pin->level));
    json_object_object_add(o, "driven", driven_json(pin->driven));
    vupi_ctl_add_str(o, "mode", pin->mode);
    vupi_ctl_add_bool(o, "in", pin->flags & VUP_PIN_IN);
    vupi_ctl_add_bool(o, "out", pin->flags & VUP_PIN_OUT);
}

static void add_value(json_object *o, const vup_value *v)
{
    vupi_ctl_add_str(o, "name", v->name);
    json_object_object_add(o, "value", vupi_ctl_number(v->value));
    vupi_ctl_add_str(o, "unit", v->unit[0] ? v->unit : NULL);
    json_object_object_add(o, "min", vupi_ctl_number(v->min));
    json_object_object_add(o, "max", vupi_ctl_number(v->max));
    vupi_ctl_add_bool(o, "integer", v->integer);
}

/* ---- the commands ---------------------------------------------------------- */

typedef enum outcome handler_fn(vup_dev *d, struct vupi_ctl_client *c,
                                json_object *req, json_object *reply,
                                struct ctl_err *e);

static handler_fn h_hello, h_list, h_read_reg, h_set_pin, h_get_pin,
                  h_inject, h_set_value, h_get_value, h_wait_pin,
                  h_wait_serial, h_read_serial;

#define ARGS(...) (const struct arg[]){ __VA_ARGS__, { NULL, 0, 0, 0 } }

static const struct cmd {
    const char *name;
    handler_fn *fn;
    const struct arg *args;
} cmds[] = {
    { "hello", h_hello, ARGS({ "major", ARG_UINT, false, false }) },
    { "list", h_list, ARGS({ "peripheral", ARG_STRING, false, false }) },
    { "read-reg", h_read_reg, ARGS({ "peripheral", ARG_STRING, true, false },
                                   { "register", ARG_STRING, false, false },
                                   { "offset", ARG_UINT, false, false }) },
    { "set-pin", h_set_pin, ARGS({ "pin", ARG_STRING, true, false },
                                 { "level", ARG_LEVEL, true, true }) },
    { "get-pin", h_get_pin, ARGS({ "pin", ARG_STRING, true, false }) },
    { "inject", h_inject, ARGS({ "line", ARG_STRING, true, false },
                               { "data", ARG_STRING, false, false },
                               { "hex", ARG_STRING, false, false }) },
    { "set-value", h_set_value, ARGS({ "name", ARG_STRING, true, false },
                                     { "value", ARG_NUMBER, true, false }) },
    { "get-value", h_get_value, ARGS({ "name", ARG_STRING, true, false }) },
    { "wait-pin", h_wait_pin, ARGS({ "pin", ARG_STRING, true, false },
                                   { "level", ARG_LEVEL, true, false },
                                   { "timeout_ns", ARG_UINT, false,
                                     false }) },
    { "wait-serial", h_wait_serial,
      ARGS({ "line", ARG_STRING, true, false },
           { "pattern", ARG_STRING, false, false },
           { "hex", ARG_STRING, false, false },
           { "from", ARG_FROM, false, false },
           { "timeout_ns", ARG_UINT, false, false }) },
    { "read-serial", h_read_serial,
      ARGS({ "line", ARG_STRING, true, false },
           { "from", ARG_FROM, false, false },
           { "max", ARG_UINT, false, false }) },
};

static enum outcome h_hello(vup_dev *d, struct vupi_ctl_client *c,
                            json_object *req, json_object *reply,
                            struct ctl_err *e)
{
    json_object *major, *names;

    (void)c;
    if (json_object_object_get_ex(req, "major", &major) &&
        json_object_get_uint64(major) != PROTOCOL_MAJOR) {
        return fail(e, "version", "protocol major %" PRIu64 " is not "
                    "spoken here (this device speaks %d.%d)",
                    json_object_get_uint64(major), PROTOCOL_MAJOR,
                    PROTOCOL_MINOR);
    }
    vupi_ctl_add_str(reply, "protocol", "vup-ctl");
    json_object_object_add(reply, "major", json_object_new_int(
                               PROTOCOL_MAJOR));
    json_object_object_add(reply, "minor", json_object_new_int(
                               PROTOCOL_MINOR));
    vupi_ctl_add_str(reply, "device", d->name);
    vupi_ctl_add_str(reply, "library", VUP_VERSION_STRING);
    names = json_object_new_array();
    for (size_t i = 0; i < VUPI_ARRAY_SIZE(cmds); i++) {
        json_object_array_add(names, json_object_new_string(cmds[i].name));
    }
    json_object_object_add(reply, "commands", names);
    vupi_ctl_add_bool(reply, "qemu_connected", d->server.conn.fd >= 0);
    vupi_ctl_add_u64(reply, "vtime_ns", vup_dev_now_ns(d));
    return DONE;
}

static json_object *list_periph(vup_dev *d, vup_periph *p)
{
    json_object *o = json_object_new_object();
    json_object *regs = json_object_new_array();
    json_object *pins = json_object_new_array();
    json_object *serials = json_object_new_array();
    json_object *values = json_object_new_array();
    json_object *groups = json_object_new_array();

    vupi_ctl_add_str(o, "name", p->name);
    vupi_ctl_add_u64(o, "base", p->desc.base);
    vupi_ctl_add_u64(o, "size", p->desc.size);
    for (size_t i = 0; i < p->desc.num_regs; i++) {
        json_object *r = json_object_new_object();

        vupi_ctl_add_str(r, "name", p->sorted[i]->name);
        vupi_ctl_add_u64(r, "offset", p->sorted[i]->offset);
        vupi_ctl_add_u64(r, "value", p->values[i]);
        vupi_ctl_add_bool(r, "read_hook", p->sorted[i]->read != NULL);
        json_object_array_add(regs, r);
    }
    for (size_t i = 0; i < d->signals.num_pins; i++) {
        if (d->signals.pins[i]->periph == p) {
            json_object *q = json_object_new_object();

            add_pin(q, d->signals.pins[i]);
            json_object_array_add(pins, q);
        }
    }
    for (size_t i = 0; i < d->signals.num_serials; i++) {
        const vup_serial *s = d->signals.serials[i];

        if (s->periph == p) {
            json_object *q = json_object_new_object();

            vupi_ctl_add_str(q, "line", s->name);
            vupi_ctl_add_u64(q, "bytes", s->total);
            vupi_ctl_add_u64(q, "mark", s->mark);
            json_object_array_add(serials, q);
        }
    }
    for (size_t i = 0; i < d->signals.num_values; i++) {
        if (d->signals.values[i]->periph == p) {
            json_object *q = json_object_new_object();

            add_value(q, d->signals.values[i]);
            json_object_array_add(values, q);
        }
    }
    for (size_t i = 0; i < d->wires.num; i++) {
        const vup_signal *g = d->wires.group[i];

        if (g->periph == p) {
            json_object *q = json_object_new_object();

            vupi_ctl_add_str(q, "signal", g->name);
            vupi_ctl_add_str(q, "direction",
                             g->flags & VUP_SIGNAL_OUT ? "out" : "in");
            vupi_ctl_add_str(q, "kind",
                             g->flags & VUP_SIGNAL_PULSE ? "pulse" : "level");
            vupi_ctl_add_u64(q, "width", g->width);
            vupi_ctl_add_u64(q, "levels", g->levels);
            /* In the backend, to QEMU (a board connects it), or neither. */
            vupi_ctl_add_str(q, "connected",
                             g->driver ? g->driver->periph->name :
                             g->num_sinks ? "inside" :
                             g->published ? "qemu" : "none");
            json_object_array_add(groups, q);
        }
    }
    json_object_object_add(o, "registers", regs);
    json_object_object_add(o, "signals", groups);
    json_object_object_add(o, "pins", pins);
    json_object_object_add(o, "serial", serials);
    json_object_object_add(o, "values", values);
    return o;
}

static enum outcome h_list(vup_dev *d, struct vupi_ctl_client *c,
                           json_object *req, json_object *reply,
                           struct ctl_err *e)
{
    const char *only = str_arg(req, "peripheral");
    json_object *list;

    (void)c;
    if (only && !find_periph(d, only)) {
        return no_periph(d, only, e);
    }
    vupi_ctl_add_str(reply, "device", d->name);
    vupi_ctl_add_bool(reply, "qemu_connected", d->server.conn.fd >= 0);
    vupi_ctl_add_u64(reply, "vtime_ns", vup_dev_now_ns(d));
    list = json_object_new_array();
    for (size_t i = 0; i < d->num_periphs; i++) {
        if (!only || !strcmp(only, d->periphs[i]->name)) {
            json_object_array_add(list, list_periph(d, d->periphs[i]));
        }
    }
    json_object_object_add(reply, "peripherals", list);
    return DONE;
}

static enum outcome h_read_reg(vup_dev *d, struct vupi_ctl_client *c,
                               json_object *req, json_object *reply,
                               struct ctl_err *e)
{
    const char *pname = str_arg(req, "peripheral");
    const char *rname = str_arg(req, "register");
    json_object *off_obj;
    bool has_off = json_object_object_get_ex(req, "offset", &off_obj);
    vup_periph *p = find_periph(d, pname);
    uint64_t off = 0;

    (void)c;
    if (!p) {
        return no_periph(d, pname, e);
    }
    if (!!rname == has_off) {
        return fail(e, "bad-argument", "read-reg: give exactly one of "
                    "'register' (a name) and 'offset' (a byte offset)");
    }
    if (has_off) {
        vupi_ctl_get_uint(off_obj, &off);
    }
    for (size_t i = 0; i < p->desc.num_regs; i++) {
        const struct vup_reg *r = p->sorted[i];

        if (rname ? !strcasecmp(r->name, rname) : r->offset == off) {
            vupi_ctl_add_str(reply, "peripheral", p->name);
            vupi_ctl_add_str(reply, "register", r->name);
            vupi_ctl_add_u64(reply, "offset", r->offset);
            /* What a read would see before any hook: no side effects. */
            vupi_ctl_add_u64(reply, "value", p->values[i]);
            vupi_ctl_add_bool(reply, "read_hook", r->read != NULL);
            return DONE;
        }
    }
    if (rname) {
        char q[52];

        return fail(e, "not-found", "%s has no register \"%s\" (`list "
                    "%s` shows its registers)", p->name,
                    vupi_ctl_quoted(rname, q, sizeof(q)), p->name);
    }
    return fail(e, "not-found", "%s has no register at offset 0x%" PRIx64,
                p->name, off);
}

static enum outcome h_set_pin(vup_dev *d, struct vupi_ctl_client *c,
                              json_object *req, json_object *reply,
                              struct ctl_err *e)
{
    vup_pin *pin = find_pin(d, req, e);
    json_object *lv;
    int level = VUP_PIN_RELEASED;

    (void)c;
    if (!pin) {
        return FAILED;
    }
    if (!(pin->flags & VUP_PIN_IN)) {
        return fail(e, "refused", "%s is driven by its model only: it "
                    "cannot be set from outside", pin->name);
    }
    json_object_object_get_ex(req, "level", &lv);
    if (lv) {
        vupi_ctl_get_level(lv, &level);
    }
    vupi_pin_drive(pin, level);
    add_pin(reply, pin);
    if (level != VUP_PIN_RELEASED && pin->level != level) {
        char note[160];

        snprintf(note, sizeof(note), "%s stays %d: it is %s", pin->name,
                 pin->level, pin->mode ? pin->mode : "driven by its model");
        vupi_ctl_add_str(reply, "note", note);
    }
    return DONE;
}

static enum outcome h_get_pin(vup_dev *d, struct vupi_ctl_client *c,
                              json_object *req, json_object *reply,
                              struct ctl_err *e)
{
    vup_pin *pin = find_pin(d, req, e);

    (void)c;
    if (!pin) {
        return FAILED;
    }
    add_pin(reply, pin);
    vupi_ctl_add_u64(reply, "vtime_ns", vup_dev_now_ns(d));
    return DONE;
}

static enum outcome h_inject(vup_dev *d, struct vupi_ctl_client *c,
                             json_object *req, json_object *reply,
                             struct ctl_err *e)
{
    vup_serial *s = find_serial(d, req, e);
    uint8_t *buf;
    size_t n;

    (void)c;
    if (!s) {
        return FAILED;
    }
    /* A line holds at most VUPI_CTL_LINE_MAX bytes of data. */
    buf = malloc(VUPI_CTL_LINE_MAX);
    if (!buf) {
        return fail(e, "internal", "out of memory");
    }
    if (vupi_ctl_get_bytes(req, "data", buf, VUPI_CTL_LINE_MAX, &n, e) < 0) {
        free(buf);
        return FAILED;
    }
    vupi_serial_inject(s, buf, n);
    free(buf);
    vupi_ctl_add_str(reply, "line", s->name);
    vupi_ctl_add_u64(reply, "bytes", n);
    return DONE;
}

static enum outcome h_set_value(vup_dev *d, struct vupi_ctl_client *c,
                                json_object *req, json_object *reply,
                                struct ctl_err *e)
{
    vup_value *v = find_value(d, req, e);
    json_object *val;

    (void)c;
    if (!v) {
        return FAILED;
    }
    json_object_object_get_ex(req, "value", &val);
    if (vupi_value_set(v, json_object_get_double(val), e->msg,
                       sizeof(e->msg)) < 0) {
        e->code = "refused";
        return FAILED;
    }
    add_value(reply, v);
    return DONE;
}

static enum outcome h_get_value(vup_dev *d, struct vupi_ctl_client *c,
                                json_object *req, json_object *reply,
                                struct ctl_err *e)
{
    vup_value *v = find_value(d, req, e);

    (void)c;
    if (!v) {
        return FAILED;
    }
    add_value(reply, v);
    return DONE;
}

static void get_timeout(json_object *req, struct vupi_wait *w)
{
    json_object *t;

    w->has_timeout = json_object_object_get_ex(req, "timeout_ns", &t);
    if (w->has_timeout) {
        vupi_ctl_get_uint(t, &w->timeout_ns);
    }
}

static enum outcome h_wait_pin(vup_dev *d, struct vupi_ctl_client *c,
                               json_object *req, json_object *reply,
                               struct ctl_err *e)
{
    vup_pin *pin = find_pin(d, req, e);
    json_object *lv;
    int level = 0;

    (void)reply;
    if (!pin) {
        return FAILED;
    }
    json_object_object_get_ex(req, "level", &lv);
    vupi_ctl_get_level(lv, &level);
    c->wait.kind = VUPI_WAIT_PIN;
    c->wait.pin = pin;
    c->wait.level = level;
    get_timeout(req, &c->wait);
    return WAITING;
}

/* "from" of wait-serial / read-serial as an absolute offset of @s. */
static int get_from(json_object *req, const vup_serial *s, uint64_t *from,
                    const char *dflt, struct ctl_err *e)
{
    json_object *o;
    const char *word = dflt;

    if (json_object_object_get_ex(req, "from", &o) &&
        !json_object_is_type(o, json_type_string)) {
        vupi_ctl_get_uint(o, from);
        if (*from > s->total) {
            fail(e, "bad-argument", "from %" PRIu64 " is beyond the %"
                 PRIu64 " bytes %s has sent", *from, s->total, s->name);
            return -1;
        }
        return 0;
    }
    if (o) {
        word = json_object_get_string(o);
    }
    *from = !strcmp(word, "start") ? vupi_serial_oldest(s)
          : !strcmp(word, "now") ? s->total : s->mark;
    return 0;
}

static enum outcome h_wait_serial(vup_dev *d, struct vupi_ctl_client *c,
                                  json_object *req, json_object *reply,
                                  struct ctl_err *e)
{
    vup_serial *s = find_serial(d, req, e);
    struct vupi_wait *w = &c->wait;

    (void)reply;
    if (!s) {
        return FAILED;
    }
    if (vupi_ctl_get_bytes(req, "pattern", w->pattern, sizeof(w->pattern),
                           &w->pattern_len, e) < 0) {
        return FAILED;
    }
    if (!w->pattern_len) {
        return fail(e, "bad-argument", "wait-serial: an empty pattern");
    }
    if (get_from(req, s, &w->from, "mark", e) < 0) {
        return FAILED;
    }
    w->kind = VUPI_WAIT_SERIAL;
    w->serial = s;
    get_timeout(req, w);
    return WAITING;
}

static enum outcome h_read_serial(vup_dev *d, struct vupi_ctl_client *c,
                                  json_object *req, json_object *reply,
                                  struct ctl_err *e)
{
    vup_serial *s = find_serial(d, req, e);
    json_object *m, *data;
    uint64_t from, max = VUPI_SERIAL_HISTORY;
    const uint8_t *buf;
    size_t len;

    (void)c;
    if (!s || get_from(req, s, &from, "start", e) < 0) {
        return FAILED;
    }
    if (json_object_object_get_ex(req, "max", &m)) {
        vupi_ctl_get_uint(m, &max);
    }
    buf = vupi_serial_at(s, from, &len);
    if (from < vupi_serial_oldest(s)) {
        from = vupi_serial_oldest(s);
    }
    if (len > max) {
        len = (size_t)max;
    }
    data = vupi_ctl_latin1_string(buf, len);
    if (!data) {
        return fail(e, "internal", "out of memory");
    }
    vupi_ctl_add_str(reply, "line", s->name);
    vupi_ctl_add_u64(reply, "start", from);
    vupi_ctl_add_u64(reply, "end", from + len);
    vupi_ctl_add_u64(reply, "total", s->total);
    vupi_ctl_add_u64(reply, "mark", s->mark);
    json_object_object_add(reply, "data", data);
    return DONE;
}

char *vupi_ctl_handle(vup_dev *d, struct vupi_ctl_client *c,
                      const char *line, size_t len)
{
    struct ctl_err e = { .code = NULL };
    json_object *req = vupi_ctl_parse(line, len, &e);
    json_object *id = NULL, *name, *reply;
    const char *id_text = NULL;
    const struct cmd *cmd = NULL;
    enum outcome how;
    char *out;

    c->waiting = false;
    if (!req) {
        return vupi_ctl_error_reply(NULL, &e);
    }
    /* The id is echoed as given: a string, a number or null. */
    if (json_object_object_get_ex(req, "id", &id)) {
        if (id && !json_object_is_type(id, json_type_string) &&
            !json_object_is_type(id, json_type_int) &&
            !json_object_is_type(id, json_type_double)) {
            fail(&e, "bad-request", "'id' must be a string, a number or "
                 "null");
            json_object_put(req);
            return vupi_ctl_error_reply(NULL, &e);
        }
        id_text = json_object_to_json_string_ext(id, JSON_C_TO_STRING_PLAIN);
    }
    if (!json_object_object_get_ex(req, "cmd", &name) ||
        !json_object_is_type(name, json_type_string)) {
        fail(&e, "bad-request", "a request needs 'cmd', a string: one of "
             "hello, list, read-reg, set-pin, get-pin, inject, set-value, "
             "get-value, wait-pin, wait-serial, read-serial");
    } else {
        for (size_t i = 0; i < VUPI_ARRAY_SIZE(cmds) && !cmd; i++) {
            if (!strcmp(cmds[i].name, json_object_get_string(name))) {
                cmd = &cmds[i];
            }
        }
        if (!cmd) {
            char buf[80];

            fail(&e, "unknown-command", "unknown command %s (`hello` "
                 "lists the commands)",
                 vupi_ctl_shown(name, buf, sizeof(buf)));
        }
    }
    if (!cmd || vupi_ctl_check_args(cmd->name, cmd->args, req, &e) == FAILED) {
        out = vupi_ctl_error_reply(id_text, &e);
        json_object_put(req);
        return out;
    }
    reply = vupi_ctl_reply_head(true, id_text);
    how = cmd->fn(d, c, req, reply, &e);
    if (how == WAITING && vupi_wait_start(d, &c->wait)) {
        how = DONE;                /* over at once */
    } else if (how == WAITING) {
        c->waiting = true;
        c->wait_id = id_text ? strdup(id_text) : NULL;
        if (id_text && !c->wait_id) {
            vupi_wait_cancel(d, &c->wait);
            c->waiting = false;
            how = fail(&e, "internal", "out of memory");
        }
    }
    if (how == WAITING) {
        json_object_put(reply);
        json_object_put(req);
        return NULL;
    }
    if (how == FAILED) {
        json_object_put(reply);
        out = vupi_ctl_error_reply(id_text, &e);
    } else if (cmd->fn == h_wait_pin || cmd->fn == h_wait_serial) {
        json_object_put(reply);
        c->wait_id = id_text ? strdup(id_text) : NULL;
        out = vupi_ctl_wait_reply(d, c);
        free(c->wait_id);
        c->wait_id = NULL;
    } else {
        out = vupi_ctl_finish(reply);
    }
    json_object_put(req);
    return out;
}

/* ---- the end of a wait ------------------------------------------------------ */

char *vupi_ctl_wait_reply(vup_dev *d, struct vupi_ctl_client *c)
{
    const struct vupi_wait *w = &c->wait;
    struct ctl_err e = { .code = NULL };
    const char *what = w->kind == VUPI_WAIT_PIN ? w->pin->name
                                                 : w->serial->name;
    json_object *o;

    (void)d;
    if (w->status == VUPI_WAIT_MET) {
        o = vupi_ctl_reply_head(true, c->wait_id);
        if (w->kind == VUPI_WAIT_PIN) {
            add_pin(o, w->pin);
        } else {
            vupi_ctl_add_str(o, "line", w->serial->name);
            vupi_ctl_add_u64(o, "match_start", w->match_start);
            vupi_ctl_add_u64(o, "match_end", w->match_end);
        }
        vupi_ctl_add_u64(o, "vtime_ns", w->at_ns);
        return vupi_ctl_finish(o);
    }
    if (w->status == VUPI_WAIT_GONE) {
        fail(&e, "gone", "%s: QEMU disconnected while waiting (at %" PRIu64
             " ns of its virtual time): the timeout no longer counts",
             what, w->at_ns);
        return vupi_ctl_error_reply(c->wait_id, &e);
    }
    /* Timed out. */
    if (w->kind == VUPI_WAIT_PIN) {
        fail(&e, "timeout", "%s is still %d: not %d within %" PRIu64
             " ns of virtual time (%" PRIu64 " to %" PRIu64 " ns)",
             what, w->pin->level, w->level, w->timeout_ns, w->start_ns,
             w->at_ns);
        o = vupi_ctl_reply_head(false, c->wait_id);
        vupi_ctl_add_str(o, "code", e.code);
        vupi_ctl_add_str(o, "error", e.msg);
        add_pin(o, w->pin);
    } else {
        size_t len;
        const uint8_t *seen = vupi_serial_at(w->serial, w->from, &len);
        json_object *tail;

        if (len > SEEN_MAX) {
            seen += len - SEEN_MAX;
            len = SEEN_MAX;
        }
        fail(&e, "timeout", "%s: pattern not seen within %" PRIu64 " ns "
             "of virtual time (%" PRIu64 " to %" PRIu64 " ns); %zu bytes "
             "came since offset %" PRIu64, what, w->timeout_ns, w->start_ns,
             w->at_ns, (size_t)(w->serial->total - w->from), w->from);
        o = vupi_ctl_reply_head(false, c->wait_id);
        vupi_ctl_add_str(o, "code", e.code);
        vupi_ctl_add_str(o, "error", e.msg);
        vupi_ctl_add_str(o, "line", what);
        tail = vupi_ctl_latin1_string(seen, len);
        json_object_object_add(o, "seen", tail);
    }
    vupi_ctl_add_u64(o, "start_ns", w->start_ns);
    vupi_ctl_add_u64(o, "vtime_ns", w->at_ns);
    return vupi_ctl_finish(o);
}
