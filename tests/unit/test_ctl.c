/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control channel (lib/ctl.c, lib/ctl-cmds.c, lib/signal.c) through
 * its socket: a test model with pins, a serial line and values, served
 * from a thread, a libvup client playing QEMU (it writes vtime_ns), and
 * control clients sending lines and reading replies as vup-ctl does.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "vup.h"
#include "vup/client.h"
#include "harness.h"

/*
 * The model "dev": CTRL (read-write), CNT (a read hook counting reads),
 * STATUS (read-only).  Pins: dev.in (driven from outside; dev.out follows
 * it), dev.out (OUT only), dev.stuck (IN, but the model keeps it at 1).
 * Serial line "dev": what is injected comes back as its output.  Values:
 * dev.temp (-40..125 degC), dev.code (0..4095, whole).
 */
enum { CTRL = 0x00, CNT = 0x04, STATUS = 0x08 };

struct model {
    vup_periph *p;
    vup_pin *in, *out, *stuck;
    vup_serial *serial;
    vup_value *temp, *code;
    unsigned cnt_reads;
    int last_drive;
    unsigned drives;
    uint8_t rx[256];
    size_t rx_len;
    double temp_set;
};

static struct model model;

static uint32_t cnt_read(vup_periph *p, const struct vup_reg *r, uint32_t v)
{
    (void)p;
    (void)r;
    model.cnt_reads++;
    return v + 1000;
}

static void drive(void *opaque, unsigned n, int level)
{
    struct model *m = opaque;

    m->drives++;
    m->last_drive = level;
    if (n == 0) {
        vup_pin_set_level(m->in, level == 1);
        vup_pin_set_level(m->out, level == 1);
    } else {
        vup_pin_set_level(m->stuck, true);
    }
}

static void rx(void *opaque, const uint8_t *buf, size_t len)
{
    struct model *m = opaque;

    if (len <= sizeof(m->rx) - m->rx_len) {
        memcpy(m->rx + m->rx_len, buf, len);
        m->rx_len += len;
    }
    vup_serial_tx(m->serial, buf, len);
}

static void temp_set(void *opaque, double v)
{
    ((struct model *)opaque)->temp_set = v;
}

static const struct vup_reg regs[] = {
    { .name = "CTRL", .offset = CTRL, .reset = 0 },
    { .name = "CNT", .offset = CNT, .read = cnt_read },
    { .name = "STATUS", .offset = STATUS, .reset = 0x55 },
};

static const struct vup_periph_desc desc = {
    .name = "dev", .base = 0x40000000, .size = 0x400,
    .regs = regs, .num_regs = 3,
};

static const struct vup_value_desc temp_desc = {
    .name = "temp", .unit = "degC", .min = -40, .max = 125, .initial = 20,
};
static const struct vup_value_desc code_desc = {
    .name = "code", .min = 0, .max = 4095, .initial = 0, .integer = true,
};

struct fixture {
    struct harness h;
    char ctl[112];
};

static void add_model(vup_dev *d)
{
    memset(&model, 0, sizeof(model));
    model.p = vup_dev_add_periph(d, &desc, &model);
    assert_non_null(model.p);
    model.in = vup_periph_add_pin(model.p, "in", 0, VUP_PIN_IN | VUP_PIN_OUT,
                                  drive, &model);
    model.out = vup_periph_add_pin(model.p, "out", 1, VUP_PIN_OUT, NULL,
                                   NULL);
    model.stuck = vup_periph_add_pin(model.p, "stuck", 2, VUP_PIN_IN, drive,
                                     &model);
    model.serial = vup_periph_add_serial(model.p, NULL, rx, &model);
    model.temp = vup_periph_add_value(model.p, &temp_desc, temp_set, &model);
    model.code = vup_periph_add_value(model.p, &code_desc, temp_set, &model);
    assert_non_null(model.in);
    assert_non_null(model.out);
    assert_non_null(model.stuck);
    assert_non_null(model.serial);
    assert_non_null(model.temp);
    assert_non_null(model.code);
    vup_pin_set_mode(model.in, "input");
    vup_pin_set_level(model.stuck, true);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    harness_init(&f->h, "ctl", "ctldev");
    add_model(f->h.dev);
    snprintf(f->ctl, sizeof(f->ctl), "%s/ctl.sock", f->h.dir);
    assert_int_equal(vup_dev_ctl_listen(f->h.dev, f->ctl), 0);
    harness_serve(&f->h, NULL, NULL);
    *state = f;
    return 0;
}

/* ---- replies ------------------------------------------------------------ */

static const char *str(json_object *o, const char *key)
{
    return json_object_get_string(harness_json(o, key));
}

static int64_t num(json_object *o, const char *key)
{
    return json_object_get_int64(harness_json(o, key));
}

static bool ok(json_object *o)
{
    return json_object_get_boolean(harness_json(o, "ok"));
}

static json_object *get(json_object *o, const char *key)
{
    return harness_json(o, key);
}

static json_object *req(struct harness_ctl *c, const char *line)
{
    return harness_ctl_req(c, line);
}

static void assert_error(json_object *o, const char *code,
                         const char *needle)
{
    harness_ctl_assert_error(o, code, needle);
}

static void expect_error(struct harness_ctl *c, const char *line,
                         const char *code, const char *needle)
{
    harness_ctl_assert_error(harness_ctl_req(c, line), code, needle);
}

/* As QEMU: the guest's virtual time, with a non-posted write. */
static void set_vtime(struct fixture *f, uint64_t ns)
{
    assert_int_equal(vup_client_write(f->h.c, 0, f->h.live +
                                      offsetof(struct vup_cr_live, vtime_ns),
                                      &ns, 8, false), 0);
}

static uint64_t deadline(struct fixture *f)
{
    return harness_live64(&f->h, offsetof(struct vup_cr_live, deadline_ns));
}

/* Waits until the device publishes @ns as its deadline. */
static void await_deadline(struct fixture *f, uint64_t ns)
{
    for (int i = 0; i < TIMEOUT_MS && deadline(f) != ns; i++) {
        usleep(1000);
    }
    assert_int_equal(deadline(f), ns);
}

/* No line arrives within @ms. */
static void assert_quiet(struct harness_ctl *c, int ms)
{
    bool eof;
    char *line = harness_ctl_line(c, ms, &eof);

    if (line || eof) {
        fail_msg("unexpected %s", line ? line : "close");
    }
}

/* ---- commands -------------------------------------------------------------- */

static void test_hello(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *c = harness_ctl_open(f->ctl);
    json_object *r = req(c, "{\"cmd\":\"hello\",\"id\":\"x1\"}");
    json_object *cmds;

    assert_true(ok(r));
    assert_string_equal(str(r, "id"), "x1");
    assert_string_equal(str(r, "protocol"), "vup-ctl");
    assert_int_equal(num(r, "major"), 1);
    assert_int_equal(num(r, "minor"), 1);
    assert_string_equal(str(r, "device"), "ctldev");
    assert_true(json_object_get_boolean(get(r, "qemu_connected")));
    cmds = get(r, "commands");
    assert_int_equal(json_object_array_length(cmds), 11);
    json_object_put(r);
    r = req(c, "{\"cmd\":\"hello\",\"major\":1,\"id\":42}");
    assert_true(ok(r));
    assert_int_equal(num(r, "id"), 42);
    json_object_put(r);
    expect_error(c, "{\"cmd\":\"hello\",\"major\":2}", "version",
                 "major 2");
    assert_int_equal(vup_dev_ctl_clients(f->h.dev), 1);
    harness_ctl_close(c);
}

static void test_list(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *c = harness_ctl_open(f->ctl);
    json_object *r = req(c, "{\"cmd\":\"list\"}");
    json_object *p, *regs, *pins, *vals, *lines;

    assert_true(ok(r));
    assert_string_equal(str(r, "device"), "ctldev");
    assert_int_equal(json_object_array_length(get(r, "peripherals")), 1);
    p = json_object_array_get_idx(get(r, "peripherals"), 0);
    assert_string_equal(str(p, "name"), "dev");
    assert_int_equal(num(p, "base"), 0x40000000);
    assert_int_equal(num(p, "size"), 0x400);
    regs = get(p, "registers");
    assert_int_equal(json_object_array_length(regs), 3);
    assert_string_equal(str(json_object_array_get_idx(regs, 2), "name"),
                        "STATUS");
    assert_int_equal(num(json_object_array_get_idx(regs, 2), "value"), 0x55);
    assert_int_equal(num(json_object_array_get_idx(regs, 2), "offset"), 8);
    assert_true(json_object_get_boolean(
        get(json_object_array_get_idx(regs, 1), "read_hook")));
    pins = get(p, "pins");
    assert_int_equal(json_object_array_length(pins), 3);
    assert_string_equal(str(json_object_array_get_idx(pins, 0), "pin"),
                        "dev.in");
    assert_string_equal(str(json_object_array_get_idx(pins, 0), "mode"),
                        "input");
    assert_false(json_object_get_boolean(
        get(json_object_array_get_idx(pins, 1), "in")));
    lines = get(p, "serial");
    assert_string_equal(str(json_object_array_get_idx(lines, 0), "line"),
                        "dev");
    vals = get(p, "values");
    assert_int_equal(json_object_array_length(vals), 2);
    assert_string_equal(str(json_object_array_get_idx(vals, 0), "name"),
                        "dev.temp");
    assert_string_equal(str(json_object_array_get_idx(vals, 0), "unit"),
                        "degC");
    assert_int_equal(num(json_object_array_get_idx(vals, 0), "min"), -40);
    json_object_put(r);
    r = req(c, "{\"cmd\":\"list\",\"peripheral\":\"dev\"}");
    assert_true(ok(r));
    json_object_put(r);
    expect_error(c, "{\"cmd\":\"list\",\"peripheral\":\"uart9\"}",
                 "not-found", "no peripheral \"uart9\" (this device has: "
                 "dev)");
    harness_ctl_close(c);
}

static void test_read_reg_peeks(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *c = harness_ctl_open(f->ctl);
    json_object *r;

    harness_wr(f->h.c, 1, CTRL, 0x1234, 4);
    r = req(c, "{\"cmd\":\"read-reg\",\"peripheral\":\"dev\","
               "\"register\":\"ctrl\"}");
    assert_true(ok(r));
    assert_string_equal(str(r, "register"), "CTRL");
    assert_int_equal(num(r, "value"), 0x1234);
    json_object_put(r);
    r = req(c, "{\"cmd\":\"read-reg\",\"peripheral\":\"dev\",\"offset\":8}");
    assert_true(ok(r));
    assert_string_equal(str(r, "register"), "STATUS");
    json_object_put(r);
    /* A peek runs no read hook: the guest's read does. */
    r = req(c, "{\"cmd\":\"read-reg\",\"peripheral\":\"dev\","
               "\"register\":\"CNT\"}");
    assert_int_equal(num(r, "value"), 0);
    assert_true(json_object_get_boolean(get(r, "read_hook")));
    json_object_put(r);
    assert_int_equal(harness_rd(f->h.c, 1, CNT, 4), 1000);
    r = req(c, "{\"cmd\":\"list\"}");
    json_object_put(r);
    assert_int_equal(model.cnt_reads, 1);

    expect_error(c, "{\"cmd\":\"read-reg\",\"peripheral\":\"dev\","
                    "\"register\":\"NOPE\"}", "not-found",
                 "dev has no register \"NOPE\"");
    expect_error(c, "{\"cmd\":\"read-reg\",\"peripheral\":\"dev\","
                    "\"offset\":2}", "not-found", "at offset 0x2");
    expect_error(c, "{\"cmd\":\"read-reg\",\"peripheral\":\"dev\"}",
                 "bad-argument", "exactly one of 'register'");
    expect_error(c, "{\"cmd\":\"read-reg\",\"peripheral\":\"dev\","
                    "\"register\":\"CTRL\",\"offset\":0}", "bad-argument",
                 "exactly one of 'register'");
    expect_error(c, "{\"cmd\":\"read-reg\",\"peripheral\":\"x\","
                    "\"offset\":0}", "not-found", "no peripheral \"x\"");
    harness_ctl_close(c);
}

static void test_pins(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *c = harness_ctl_open(f->ctl);
    json_object *r;

    r = req(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.in\",\"level\":1}");
    assert_true(ok(r));
    assert_int_equal(num(r, "level"), 1);
    assert_int_equal(num(r, "driven"), 1);
    json_object_put(r);
    assert_int_equal(model.last_drive, 1);
    r = req(c, "{\"cmd\":\"get-pin\",\"pin\":\"dev.out\"}");
    assert_int_equal(num(r, "level"), 1);
    assert_null(get(r, "driven"));
    json_object_put(r);
    /* true/false are levels too; null lets go. */
    r = req(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.in\",\"level\":false}");
    assert_int_equal(num(r, "level"), 0);
    json_object_put(r);
    r = req(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.in\",\"level\":null}");
    assert_true(ok(r));
    assert_null(get(r, "driven"));
    json_object_put(r);
    assert_int_equal(model.last_drive, VUP_PIN_RELEASED);
    /* A level the model does not follow is said so. */
    r = req(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.stuck\",\"level\":0}");
    assert_true(ok(r));
    assert_int_equal(num(r, "level"), 1);
    assert_non_null(strstr(str(r, "note"), "dev.stuck stays 1"));
    json_object_put(r);

    expect_error(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.out\",\"level\":1}",
                 "refused", "dev.out is driven by its model only");
    expect_error(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.zz\",\"level\":1}",
                 "not-found", "no pin \"dev.zz\"");
    expect_error(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.in\",\"level\":2}",
                 "bad-argument", "'level' must be 0 or 1, or null (got 2)");
    expect_error(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.in\"}",
                 "bad-argument", "set-pin: missing 'level'");
    expect_error(c, "{\"cmd\":\"get-pin\",\"pin\":5}", "bad-argument",
                 "'pin' must be a string (got 5)");
    expect_error(c, "{\"cmd\":\"get-pin\",\"pin\":\"dev.in\",\"lvl\":1}",
                 "bad-argument", "unknown member 'lvl' (get-pin takes "
                 "'pin')");
    harness_ctl_close(c);
}

static void test_inject_and_values(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *c = harness_ctl_open(f->ctl);
    json_object *r;

    /* Characters U+0000..U+00FF are bytes; "hex" is the other way. */
    r = req(c, "{\"cmd\":\"inject\",\"line\":\"dev\",\"data\":"
               "\"a\\u0000\\u00e9\\n\"}");
    assert_true(ok(r));
    assert_int_equal(num(r, "bytes"), 4);
    json_object_put(r);
    r = req(c, "{\"cmd\":\"inject\",\"line\":\"dev\",\"hex\":\"ff0D\"}");
    assert_int_equal(num(r, "bytes"), 2);
    json_object_put(r);
    assert_int_equal(model.rx_len, 6);
    assert_memory_equal(model.rx, "a\0\xe9\n\xff\r", 6);
    r = req(c, "{\"cmd\":\"read-serial\",\"line\":\"dev\"}");
    assert_int_equal(json_object_get_string_len(get(r, "data")), 8);
    assert_memory_equal(str(r, "data"), "a\0\xc3\xa9\n\xc3\xbf\r", 8);
    assert_int_equal(num(r, "total"), 6);
    json_object_put(r);
    expect_error(c, "{\"cmd\":\"inject\",\"line\":\"dev\",\"data\":"
                    "\"\\u20ac\"}", "bad-argument", "beyond U+00FF");
    expect_error(c, "{\"cmd\":\"inject\",\"line\":\"dev\",\"hex\":\"abc\"}",
                 "bad-argument", "odd number of hex digits");
    expect_error(c, "{\"cmd\":\"inject\",\"line\":\"dev\",\"hex\":\"zz\"}",
                 "bad-argument", "character 0 is not a hex digit");
    expect_error(c, "{\"cmd\":\"inject\",\"line\":\"dev\"}", "bad-argument",
                 "exactly one of 'data'");
    expect_error(c, "{\"cmd\":\"inject\",\"line\":\"usart7\",\"data\":\"\"}",
                 "not-found", "no serial line \"usart7\" (serial lines: "
                 "dev)");

    r = req(c, "{\"cmd\":\"set-value\",\"name\":\"dev.temp\",\"value\":"
               "21.5}");
    assert_true(ok(r));
    assert_true(json_object_get_double(get(r, "value")) == 21.5);
    json_object_put(r);
    assert_true(model.temp_set == 21.5);
    r = req(c, "{\"cmd\":\"get-value\",\"name\":\"dev.temp\"}");
    assert_true(json_object_get_double(get(r, "value")) == 21.5);
    json_object_put(r);
    expect_error(c, "{\"cmd\":\"set-value\",\"name\":\"dev.temp\",\"value\":"
                    "126}", "refused", "126 is outside -40..125 degC");
    expect_error(c, "{\"cmd\":\"set-value\",\"name\":\"dev.code\",\"value\":"
                    "1.5}", "refused", "not a whole number");
    expect_error(c, "{\"cmd\":\"set-value\",\"name\":\"dev.temp\",\"value\":"
                    "\"hot\"}", "bad-argument", "'value' must be a number");
    expect_error(c, "{\"cmd\":\"get-value\",\"name\":\"dev.x\"}", "not-found",
                 "no value \"dev.x\" (values: dev.temp, dev.code)");
    assert_true(model.temp_set == 21.5);
    harness_ctl_close(c);
}

/* ---- framing and hostile input ----------------------------------------------- */

static void test_bad_requests(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *c = harness_ctl_open(f->ctl);
    json_object *r;

    expect_error(c, "garbage", "parse", "not JSON");
    expect_error(c, "{\"cmd\":\"hello\"", "parse", "ends inside a value");
    expect_error(c, "{\"cmd\":\"hello\"} {}", "parse", "not JSON");
    expect_error(c, "{'cmd':'hello'}", "parse", "not JSON");
    expect_error(c, "[1,2]", "bad-request", "not array");
    expect_error(c, "42", "bad-request", "a request is a JSON object");
    expect_error(c, "{}", "bad-request", "needs 'cmd'");
    expect_error(c, "{\"cmd\":7}", "bad-request", "needs 'cmd', a string");
    expect_error(c, "{\"cmd\":\"reboot\",\"id\":3}", "unknown-command",
                 "unknown command \"reboot\"");
    expect_error(c, "{\"cmd\":\"hello\",\"id\":{\"a\":1}}", "bad-request",
                 "'id' must be a string, a number or null");
    expect_error(c, "{\"cmd\":\"hello\",\"id\":[[[[[[[[[[1]]]]]]]]]]}",
                 "parse", "not JSON");
    expect_error(c, "{\"cmd\":\"hello\",\"x\":\"\xff\"}", "parse",
                 "invalid utf-8");
    expect_error(c, "{\"cmd\":\"get-pin\",\"pin\":\"\xc3\xa9t\xc3\xa9\"}",
                 "not-found", "no pin \"??t??\"");
    /* The error still echoes the id. */
    r = req(c, "{\"cmd\":\"nope\",\"id\":\"q\"}");
    assert_string_equal(str(r, "id"), "q");
    json_object_put(r);
    /* Blank lines get no reply; \r\n is a newline; the connection lives. */
    harness_ctl_send(c, "\n\r\n  \n", 6);
    expect_error(c, "{\"cmd\":\"nope\"}\r", "unknown-command", "nope");
    r = req(c, "{\"cmd\":\"hello\"}");
    assert_true(ok(r));
    json_object_put(r);
    harness_ctl_close(c);
}

static void test_pipelined_and_last_line(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *c = harness_ctl_open(f->ctl);
    const char *three = "{\"cmd\":\"hello\",\"id\":1}\n{\"cmd\":\"x\",\"id\":2}"
                        "\n{\"cmd\":\"get-pin\",\"pin\":\"dev.in\",\"id\":3}";
    bool eof;

    /* The last line has no newline: the end of input ends it. */
    harness_ctl_send(c, three, strlen(three));
    assert_int_equal(shutdown(harness_ctl_fd(c), SHUT_WR), 0);
    for (int id = 1; id <= 3; id++) {
        json_object *r = harness_ctl_reply(c);

        assert_int_equal(num(r, "id"), id);
        assert_true(ok(r) == (id != 2));
        json_object_put(r);
    }
    assert_null(harness_ctl_line(c, TIMEOUT_MS, &eof));
    assert_true(eof);
    harness_ctl_close(c);
}

static void test_line_limit(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *c = harness_ctl_open(f->ctl);
    const char *head = "{\"cmd\":\"hello\"", *tail = "}";
    size_t max = 65536;
    char *line = malloc(max + 2);
    json_object *r;
    bool eof;

    /* Exactly 65536 bytes: served. */
    memset(line, ' ', max);
    memcpy(line, head, strlen(head));
    memcpy(line + max - 1, tail, 1);
    line[max] = '\n';
    harness_ctl_send(c, line, max + 1);
    r = harness_ctl_reply(c);
    assert_true(ok(r));
    json_object_put(r);
    /* One more: an error naming the limit, then the connection closes. */
    memset(line, 'a', max + 1);
    line[max + 1] = '\n';
    harness_ctl_send(c, line, max + 2);
    assert_error(harness_ctl_reply(c), "too-long", "longer than 65536 bytes");
    assert_null(harness_ctl_line(c, TIMEOUT_MS, &eof));
    assert_true(eof);
    harness_ctl_close(c);
    /* Without a newline at all, the same. */
    c = harness_ctl_open(f->ctl);
    memset(line, '{', max + 1);
    harness_ctl_send(c, line, max + 1);
    assert_error(harness_ctl_reply(c), "too-long", "65536");
    assert_null(harness_ctl_line(c, TIMEOUT_MS, &eof));
    assert_true(eof);
    harness_ctl_close(c);
    free(line);
    /* The device still serves QEMU. */
    assert_int_equal(harness_rd(f->h.c, 1, STATUS, 4), 0x55);
}

static void test_too_many_clients(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *c[17];
    json_object *r;
    bool eof;

    for (int i = 0; i < 16; i++) {
        c[i] = harness_ctl_open(f->ctl);
        r = req(c[i], "{\"cmd\":\"hello\"}");
        assert_true(ok(r));
        json_object_put(r);
    }
    c[16] = harness_ctl_open(f->ctl);
    assert_error(harness_ctl_reply(c[16]), "busy", "too many control clients (at "
                 "most 16)");
    assert_null(harness_ctl_line(c[16], TIMEOUT_MS, &eof));
    assert_true(eof);
    harness_ctl_close(c[16]);
    assert_int_equal(vup_dev_ctl_clients(f->h.dev), 16);
    harness_ctl_close(c[0]);
    for (int i = 0; i < TIMEOUT_MS && vup_dev_ctl_clients(f->h.dev) != 15;
         i++) {
        usleep(1000);
    }
    c[0] = harness_ctl_open(f->ctl);
    r = req(c[0], "{\"cmd\":\"hello\"}");
    assert_true(ok(r));
    json_object_put(r);
    for (int i = 0; i < 16; i++) {
        harness_ctl_close(c[i]);
    }
}

/* A client that sends and never reads stalls itself, nobody else. */
static void test_client_never_reads(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *slow = harness_ctl_open(f->ctl), *other;
    const char *line = "{\"cmd\":\"list\"}\n";
    int flags = MSG_NOSIGNAL | MSG_DONTWAIT;
    char chunk[4096];
    json_object *r;
    size_t sent = 0, n_lines = sizeof(chunk) / strlen(line);

    for (size_t i = 0; i < n_lines; i++) {
        memcpy(chunk + i * strlen(line), line, strlen(line));
    }
    /* Until the socket takes no more: its replies fill its buffers. */
    for (int i = 0; i < 10000; i++) {
        ssize_t n = send(harness_ctl_fd(slow), chunk, n_lines * strlen(line), flags);

        if (n < 0) {
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            break;
        }
        sent += (size_t)n;
    }
    assert_true(sent > 65536);
    /* QEMU and the other clients are served meanwhile. */
    assert_int_equal(harness_rd(f->h.c, 1, STATUS, 4), 0x55);
    other = harness_ctl_open(f->ctl);
    r = req(other, "{\"cmd\":\"hello\"}");
    assert_true(ok(r));
    json_object_put(r);
    harness_ctl_close(slow);
    r = req(other, "{\"cmd\":\"get-pin\",\"pin\":\"dev.in\"}");
    assert_true(ok(r));
    json_object_put(r);
    for (int i = 0; i < TIMEOUT_MS && vup_dev_ctl_clients(f->h.dev) != 1;
         i++) {
        usleep(1000);
    }
    assert_int_equal(vup_dev_ctl_clients(f->h.dev), 1);
    harness_ctl_close(other);
}

/* ---- waits ------------------------------------------------------------------ */

static void test_wait_pin(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *w = harness_ctl_open(f->ctl), *c = harness_ctl_open(f->ctl);
    const char *line;
    json_object *r;

    /* Met at once. */
    r = req(w, "{\"cmd\":\"wait-pin\",\"pin\":\"dev.out\",\"level\":0}");
    assert_true(ok(r));
    assert_int_equal(num(r, "level"), 0);
    json_object_put(r);
    /* Met later, when the level comes; the client waits meanwhile. */
    set_vtime(f, 700);
    line = "{\"cmd\":\"wait-pin\",\"pin\":\"dev.out\",\"level\":1,\"id\":9}\n"
           "{\"cmd\":\"hello\",\"id\":10}\n";
    harness_ctl_send(w, line, strlen(line));
    assert_quiet(w, 50);
    r = req(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.in\",\"level\":1}");
    json_object_put(r);
    r = harness_ctl_reply(w);
    assert_true(ok(r));
    assert_int_equal(num(r, "id"), 9);
    assert_int_equal(num(r, "level"), 1);
    assert_int_equal(num(r, "vtime_ns"), 700);
    json_object_put(r);
    /* Then its next request. */
    r = harness_ctl_reply(w);
    assert_int_equal(num(r, "id"), 10);
    json_object_put(r);
    expect_error(w, "{\"cmd\":\"wait-pin\",\"pin\":\"dev.out\",\"level\":"
                    "null}", "bad-argument", "'level' must be 0 or 1 (got "
                 "null)");
    harness_ctl_close(w);
    harness_ctl_close(c);
}

static void test_wait_times_out_in_virtual_time(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *w = harness_ctl_open(f->ctl);
    const char *line = "{\"cmd\":\"wait-pin\",\"pin\":\"dev.out\",\"level\":1,"
                       "\"timeout_ns\":1000}\n";
    json_object *r;

    set_vtime(f, 100);
    assert_int_equal(deadline(f), VUP_CR_NO_DEADLINE);
    harness_ctl_send(w, line, strlen(line));
    /* The device asks for QEMU's time at once (1 ns after its own)... */
    await_deadline(f, 101);
    /* ...which QEMU gives when that deadline fires: 1000 ns from 500. */
    set_vtime(f, 500);
    assert_int_equal(deadline(f), 1500);
    set_vtime(f, 1499);
    assert_quiet(w, 50);
    set_vtime(f, 1500);
    r = harness_ctl_reply(w);
    assert_error(json_object_get(r), "timeout", "dev.out is still 0: not 1 "
                 "within 1000 ns of virtual time (500 to 1500 ns)");
    assert_int_equal(num(r, "start_ns"), 500);
    assert_int_equal(num(r, "vtime_ns"), 1500);
    json_object_put(r);
    assert_int_equal(deadline(f), VUP_CR_NO_DEADLINE);
    /* timeout_ns 0: a look, no wait. */
    r = req(w, "{\"cmd\":\"wait-pin\",\"pin\":\"dev.out\",\"level\":1,"
               "\"timeout_ns\":0}");
    assert_error(r, "timeout", "within 0 ns");
    /* A reset keeps a wait's deadline (it cancels every timer). */
    harness_ctl_send(w, line, strlen(line));
    await_deadline(f, 1501);
    set_vtime(f, 2000);
    assert_int_equal(deadline(f), 3000);
    assert_int_equal(vup_client_reset(f->h.c), 0);
    assert_int_equal(deadline(f), 3000);
    set_vtime(f, 3000);
    assert_error(harness_ctl_reply(w), "timeout", "2000 to 3000 ns");
    harness_ctl_close(w);
}

static void test_wait_serial(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *w = harness_ctl_open(f->ctl), *c = harness_ctl_open(f->ctl);
    const char *line;
    json_object *r;

    r = req(c, "{\"cmd\":\"inject\",\"line\":\"dev\",\"data\":\"boot\\r\\n\"}");
    json_object_put(r);
    /* Found in what was sent already; the mark moves past it. */
    r = req(w, "{\"cmd\":\"wait-serial\",\"line\":\"dev\",\"pattern\":"
               "\"boot\"}");
    assert_true(ok(r));
    assert_int_equal(num(r, "match_start"), 0);
    assert_int_equal(num(r, "match_end"), 4);
    json_object_put(r);
    /* From the mark, a pattern split over two pieces of output. */
    line = "{\"cmd\":\"wait-serial\",\"line\":\"dev\",\"pattern\":\"ready\"}\n";
    harness_ctl_send(w, line, strlen(line));
    assert_quiet(w, 30);
    json_object_put(req(c, "{\"cmd\":\"inject\",\"line\":\"dev\",\"data\":"
                           "\"rea\"}"));
    assert_quiet(w, 30);
    json_object_put(req(c, "{\"cmd\":\"inject\",\"line\":\"dev\",\"data\":"
                           "\"dy\\r\\n\"}"));
    r = harness_ctl_reply(w);
    assert_true(ok(r));
    assert_int_equal(num(r, "match_start"), 6);
    assert_int_equal(num(r, "match_end"), 11);
    json_object_put(r);
    /* "start" finds the first one again; a number searches from there. */
    r = req(w, "{\"cmd\":\"wait-serial\",\"line\":\"dev\",\"hex\":\"0d0a\","
               "\"from\":\"start\"}");
    assert_int_equal(num(r, "match_start"), 4);
    json_object_put(r);
    r = req(w, "{\"cmd\":\"wait-serial\",\"line\":\"dev\",\"pattern\":"
               "\"\\r\\n\",\"from\":7}");
    assert_int_equal(num(r, "match_start"), 11);
    json_object_put(r);
    /* "now": only what is still to come. */
    line = "{\"cmd\":\"wait-serial\",\"line\":\"dev\",\"pattern\":\"ready\","
           "\"from\":\"now\",\"timeout_ns\":0}\n";
    harness_ctl_send(w, line, strlen(line));
    r = harness_ctl_reply(w);
    assert_error(json_object_get(r), "timeout", "pattern not seen within 0 "
                 "ns");
    assert_int_equal(json_object_get_string_len(get(r, "seen")), 0);
    json_object_put(r);
    r = req(w, "{\"cmd\":\"wait-serial\",\"line\":\"dev\",\"pattern\":"
               "\"nothing\",\"from\":\"start\",\"timeout_ns\":0}");
    assert_string_equal(str(r, "seen"), "boot\r\nready\r\n");
    assert_error(r, "timeout", "13 bytes came since offset 0");
    expect_error(w, "{\"cmd\":\"wait-serial\",\"line\":\"dev\",\"pattern\":"
                    "\"\"}", "bad-argument", "empty pattern");
    expect_error(w, "{\"cmd\":\"wait-serial\",\"line\":\"dev\",\"pattern\":"
                    "\"x\",\"from\":99}", "bad-argument", "from 99 is beyond "
                 "the 13 bytes dev has sent");
    expect_error(w, "{\"cmd\":\"wait-serial\",\"line\":\"dev\",\"pattern\":"
                    "\"x\",\"from\":\"later\"}", "bad-argument",
                 "'from' must be \"start\", \"now\", \"mark\" or a byte "
                 "offset");
    harness_ctl_close(w);
    harness_ctl_close(c);
}

/* The QEMU whose time a wait counts in goes: the wait ends with "gone". */
static void test_wait_gone_with_qemu(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *w = harness_ctl_open(f->ctl), *v = harness_ctl_open(f->ctl);
    const char *timed = "{\"cmd\":\"wait-pin\",\"pin\":\"dev.out\",\"level\":"
                        "1,\"timeout_ns\":1000000}\n";
    const char *untimed = "{\"cmd\":\"wait-pin\",\"pin\":\"dev.out\","
                          "\"level\":1}\n";

    set_vtime(f, 100);
    harness_ctl_send(w, timed, strlen(timed));
    await_deadline(f, 101);
    set_vtime(f, 200);
    /* A wait without a timeout does not depend on QEMU's time. */
    harness_ctl_send(v, untimed, strlen(untimed));
    assert_quiet(v, 30);
    vup_client_free(f->h.c);
    f->h.c = NULL;
    assert_error(harness_ctl_reply(w), "gone", "QEMU disconnected while waiting");
    assert_quiet(v, 50);
    harness_ctl_close(v);
    harness_ctl_close(w);
}

/* A client that goes while it waits leaves nothing behind. */
static void test_client_gone_while_waiting(void **state)
{
    struct fixture *f = *state;
    struct harness_ctl *w = harness_ctl_open(f->ctl), *c;
    const char *line = "{\"cmd\":\"wait-pin\",\"pin\":\"dev.out\",\"level\":1,"
                       "\"timeout_ns\":1000}\n";
    json_object *r;

    set_vtime(f, 100);
    harness_ctl_send(w, line, strlen(line));
    await_deadline(f, 101);
    harness_ctl_close(w);
    /* Its wait's deadline goes with it. */
    await_deadline(f, VUP_CR_NO_DEADLINE);
    c = harness_ctl_open(f->ctl);
    r = req(c, "{\"cmd\":\"set-pin\",\"pin\":\"dev.in\",\"level\":1}");
    assert_true(ok(r));
    json_object_put(r);
    assert_int_equal(vup_dev_ctl_clients(f->h.dev), 1);
    harness_ctl_close(c);
}

/* ---- registration ------------------------------------------------------------ */

static void test_registration_checks(void **state)
{
    vup_dev *d = vup_dev_new("reg");
    vup_periph *p;
    struct vup_value_desc bad = { .name = "v", .min = 1, .max = 0 };
    size_t size;

    (void)state;
    assert_non_null(d);
    p = vup_dev_add_periph(d, &desc, NULL);
    assert_non_null(p);
    assert_non_null(vup_periph_add_pin(p, "a", 0, VUP_PIN_OUT, NULL, NULL));
    assert_null(vup_periph_add_pin(p, "a", 0, VUP_PIN_OUT, NULL, NULL));
    assert_non_null(strstr(vup_dev_error(d), "\"dev.a\" registered twice"));
    assert_null(vup_periph_add_pin(p, "b c", 0, VUP_PIN_OUT, NULL, NULL));
    assert_non_null(strstr(vup_dev_error(d), "only letters"));
    assert_null(vup_periph_add_pin(p, "b", 0, VUP_PIN_IN, NULL, NULL));
    assert_non_null(strstr(vup_dev_error(d), "needs a drive function"));
    assert_null(vup_periph_add_pin(p, "b", 0, 0, NULL, NULL));
    assert_null(vup_periph_add_pin(p, "0123456789012345678901234567890123456789"
                                   "0123456789", 0, VUP_PIN_OUT, NULL, NULL));
    assert_non_null(strstr(vup_dev_error(d), "too long"));
    assert_null(vup_periph_add_value(p, &bad, temp_set, NULL));
    assert_non_null(strstr(vup_dev_error(d), "min <= initial <= max"));
    assert_null(vup_periph_add_serial(p, NULL, NULL, NULL));
    assert_non_null(vup_dev_descriptor(d, &size));
    /* After the descriptor is frozen: too late for both. */
    assert_int_equal(vup_dev_ctl_listen(d, "/tmp/never.sock"), -EBUSY);
    assert_null(vup_periph_add_pin(p, "late", 0, VUP_PIN_OUT, NULL, NULL));
    vup_dev_free(d);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
    const struct CMUnitTest tests[] = {
        T(test_hello),
        T(test_list),
        T(test_read_reg_peeks),
        T(test_pins),
        T(test_inject_and_values),
        T(test_bad_requests),
        T(test_pipelined_and_last_line),
        T(test_line_limit),
        T(test_too_many_clients),
        T(test_client_never_reads),
        T(test_wait_pin),
        T(test_wait_times_out_in_virtual_time),
        T(test_wait_serial),
        T(test_wait_gone_with_qemu),
        T(test_client_gone_while_waiting),
        cmocka_unit_test(test_registration_checks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
