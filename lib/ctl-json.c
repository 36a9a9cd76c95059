/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control channel's JSON vocabulary (lib/ctl-json.h): what every
 * command's request and reply are made of, apart from the commands.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vup/latin1.h"

#include "ctl-json.h"
#include "internal.h"

#define JSON_DEPTH     8          /* requests are flat: plenty */

void vupi_ctl_failv(struct ctl_err *e, const char *code, const char *fmt,
                    va_list ap)
{
    e->code = code;
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

/* ---- argument types ---------------------------------------------------- */

static const char *const arg_type_name[] = {
    [ARG_STRING] = "a string",
    [ARG_UINT] = "a whole number >= 0",
    [ARG_LEVEL] = "0 or 1",
    [ARG_NUMBER] = "a number",
    [ARG_FROM] = "\"start\", \"now\", \"mark\" or a byte offset",
};

/* A whole number >= 0 that fits 64 bits (json-c keeps those exactly). */
bool vupi_ctl_get_uint(json_object *o, uint64_t *out)
{
    if (json_object_is_type(o, json_type_int)) {
        if (json_object_get_int64(o) < 0) {
            return false;
        }
        *out = json_object_get_uint64(o);
        return true;
    }
    if (json_object_is_type(o, json_type_double)) {
        /* 1e9 for a timeout is a whole number too (exact up to 2^53). */
        double v = json_object_get_double(o);

        if (isfinite(v) && v >= 0 && v <= 9007199254740992.0 &&
            (double)(uint64_t)v == v) {
            *out = (uint64_t)v;
            return true;
        }
    }
    return false;
}

bool vupi_ctl_get_level(json_object *o, int *out)
{
    uint64_t v;

    if (json_object_is_type(o, json_type_boolean)) {
        *out = json_object_get_boolean(o);
        return true;
    }
    if (vupi_ctl_get_uint(o, &v) && v <= 1) {
        *out = (int)v;
        return true;
    }
    return false;
}

static bool type_ok(const struct arg *a, json_object *o)
{
    uint64_t u;
    int l;

    if (!o) {
        return a->nullable;
    }
    switch (a->type) {
    case ARG_STRING:
        return json_object_is_type(o, json_type_string);
    case ARG_UINT:
        return vupi_ctl_get_uint(o, &u);
    case ARG_LEVEL:
        return vupi_ctl_get_level(o, &l);
    case ARG_NUMBER:
        return (json_object_is_type(o, json_type_int) ||
                json_object_is_type(o, json_type_double)) &&
               isfinite(json_object_get_double(o));
    case ARG_FROM:
        if (json_object_is_type(o, json_type_string)) {
            const char *s = json_object_get_string(o);

            return !strcmp(s, "start") || !strcmp(s, "now") ||
                   !strcmp(s, "mark");
        }
        return vupi_ctl_get_uint(o, &u);
    }
    return false;
}

/*
 * Text from a request quoted in a message: at most @len - 4 bytes, anything
 * but printable ASCII as '?', so a cut never splits a UTF-8 sequence.
 */
const char *vupi_ctl_quoted(const char *s, char *buf, size_t len)
{
    size_t n = 0;

    for (; s && *s && n + 4 < len; s++) {
        buf[n++] = *s >= 0x20 && *s < 0x7f ? *s : '?';
    }
    strcpy(buf + n, s && *s ? "..." : "");
    return buf;
}

/* A member's value in an error message, as JSON, shortened. */
const char *vupi_ctl_shown(json_object *o, char *buf, size_t len)
{
    return vupi_ctl_quoted(o ? json_object_to_json_string_ext(
                                   o, JSON_C_TO_STRING_PLAIN |
                                      JSON_C_TO_STRING_NOSLASHESCAPE)
                             : "null", buf, len);
}

/* ---- bytes in JSON strings --------------------------------------------- */

/*
 * Serial data travels as JSON strings whose characters U+0000..U+00FF are
 * the bytes 0x00..0xff (Latin-1), so any byte goes both ways.  @s is valid
 * UTF-8 (the parser checks); 0 and *@n bytes in @out, or -1 with @e set.
 */
static int latin1_decode(const char *what, const char *s, size_t len,
                         uint8_t *out, size_t max, size_t *n,
                         struct ctl_err *e)
{
    size_t chars = 0;

    *n = 0;
    for (size_t i = 0; i < len; chars++) {
        uint8_t b = (uint8_t)s[i];

        if (b >= 0x80 && (b < 0xc2 || i + 1 == len ||
                          ((uint8_t)s[i + 1] & 0xc0) != 0x80)) {
            fail(e, "bad-argument", "%s: not valid UTF-8 at byte %zu", what,
                 i);
            return -1;
        }
        if (b >= 0xc4) {
            fail(e, "bad-argument", "%s: character %zu is beyond U+00FF: "
                 "characters stand for bytes 0x00..0xff (use \"hex\" for "
                 "others)", what, chars);
            return -1;
        }
        if (*n == max) {
            fail(e, "bad-argument", "%s: more than %zu bytes", what, max);
            return -1;
        }
        if (b < 0x80) {
            out[(*n)++] = b;
            i++;
        } else {
            /* 0xc2 and 0xc3 lead U+0080..U+00FF. */
            out[(*n)++] = (uint8_t)(((b & 0x03) << 6) |
                                    ((uint8_t)s[i + 1] & 0x3f));
            i += 2;
        }
    }
    return 0;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int hex_decode(const char *what, const char *s, size_t len,
                      uint8_t *out, size_t max, size_t *n, struct ctl_err *e)
{
    *n = 0;
    if (len % 2) {
        fail(e, "bad-argument", "%s: an odd number of hex digits (%zu)",
             what, len);
        return -1;
    }
    for (size_t i = 0; i < len; i += 2) {
        int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);

        if (hi < 0 || lo < 0) {
            fail(e, "bad-argument", "%s: character %zu is not a hex digit",
                 what, hi < 0 ? i : i + 1);
            return -1;
        }
        if (*n == max) {
            fail(e, "bad-argument", "%s: more than %zu bytes", what, max);
            return -1;
        }
        out[(*n)++] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* Bytes as a JSON string of the same-numbered characters (see above). */
json_object *vupi_ctl_latin1_string(const uint8_t *buf, size_t len)
{
    char *s = malloc(2 * len + 1);
    json_object *o;

    if (!s) {
        return NULL;
    }
    o = json_object_new_string_len(s, (int)vup_latin1_encode(buf, len, s));
    free(s);
    return o;
}

/* The bytes of "data" / "pattern" (Latin-1) or "hex", exactly one. */
int vupi_ctl_get_bytes(json_object *req, const char *text_name,
                       uint8_t *out, size_t max, size_t *n,
                       struct ctl_err *e)
{
    json_object *text = NULL, *hex = NULL;
    bool has_text = json_object_object_get_ex(req, text_name, &text);
    bool has_hex = json_object_object_get_ex(req, "hex", &hex);

    if (has_text == has_hex) {
        fail(e, "bad-argument", "give exactly one of '%s' (a string) and "
             "'hex' (hex digits)", text_name);
        return -1;
    }
    if (has_text) {
        return latin1_decode(text_name, json_object_get_string(text),
                             (size_t)json_object_get_string_len(text), out,
                             max, n, e);
    }
    return hex_decode("hex", json_object_get_string(hex),
                      (size_t)json_object_get_string_len(hex), out, max, n,
                      e);
}

/* ---- reply pieces --------------------------------------------------------- */

void vupi_ctl_add_u64(json_object *o, const char *key, uint64_t v)
{
    json_object_object_add(o, key, json_object_new_uint64(v));
}

void vupi_ctl_add_str(json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

void vupi_ctl_add_bool(json_object *o, const char *key, bool v)
{
    json_object_object_add(o, key, json_object_new_boolean(v));
}

/* A whole number as an integer, anything else as a double. */
json_object *vupi_ctl_number(double v)
{
    if (v >= -9007199254740992.0 && v <= 9007199254740992.0 &&
        (double)(int64_t)v == v) {
        return json_object_new_int64((int64_t)v);
    }
    return json_object_new_double(v);
}

/* ---- framing a reply ------------------------------------------------------- */

/* The reply line of @o, with "id" (JSON text, or NULL) first after "ok". */
char *vupi_ctl_finish(json_object *o)
{
    const char *s = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len = s ? strlen(s) : 0;
    char *line = NULL;

    if (s && len + 1 <= VUPI_CTL_REPLY_MAX) {
        line = malloc(len + 2);
        if (line) {
            memcpy(line, s, len);
            memcpy(line + len, "\n", 2);
        }
    } else if (s) {
        line = vupi_ctl_error_line("too-large", "the reply would have %zu "
                                   "bytes, more than the %u allowed", len,
                                   VUPI_CTL_REPLY_MAX);
    }
    json_object_put(o);
    return line;
}

/* {"ok": ok, "id": id} (id: JSON text or NULL). */
json_object *vupi_ctl_reply_head(bool ok, const char *id)
{
    json_object *o = json_object_new_object();

    vupi_ctl_add_bool(o, "ok", ok);
    if (id) {
        json_object_object_add(o, "id", json_tokener_parse(id));
    }
    return o;
}

char *vupi_ctl_error_reply(const char *id, const struct ctl_err *e)
{
    json_object *o = vupi_ctl_reply_head(false, id);

    vupi_ctl_add_str(o, "code", e->code);
    vupi_ctl_add_str(o, "error", e->msg);
    return vupi_ctl_finish(o);
}

char *vupi_ctl_error_line(const char *code, const char *fmt, ...)
{
    struct ctl_err e = { .code = code };
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
    va_end(ap);
    return vupi_ctl_error_reply(NULL, &e);
}

/* ---- a request ---------------------------------------------------------- */

/* Checks @req's members against @cmd's arguments. */
enum outcome vupi_ctl_check_args(const char *cmd_name, const struct arg *args,
                                 json_object *req, struct ctl_err *e)
{
    char buf[80];

    json_object_object_foreach(req, key, val) {
        const struct arg *a = args;

        if (!strcmp(key, "cmd") || !strcmp(key, "id")) {
            continue;
        }
        while (a->name && strcmp(a->name, key)) {
            a++;
        }
        if (!a->name) {
            char names[160] = "";
            size_t len = 0;

            for (a = args; a->name; a++) {
                len += (size_t)snprintf(names + len, sizeof(names) - len,
                                        "%s'%s'", len ? ", " : "", a->name);
            }
            return fail(e, "bad-argument", "%s: unknown member '%s' "
                        "(%s takes %s)", cmd_name,
                        vupi_ctl_quoted(key, buf, sizeof(buf)), cmd_name,
                        names[0] ? names : "none");
        }
        if (!type_ok(a, val)) {
            return fail(e, "bad-argument", "%s: '%s' must be %s%s (got %s)",
                        cmd_name, key, arg_type_name[a->type],
                        a->nullable ? ", or null" : "",
                        vupi_ctl_shown(val, buf, sizeof(buf)));
        }
    }
    for (const struct arg *a = args; a->name; a++) {
        if (a->required && !json_object_object_get_ex(req, a->name, NULL)) {
            return fail(e, "bad-argument", "%s: missing '%s' (%s%s)",
                        cmd_name, a->name, arg_type_name[a->type],
                        a->nullable ? ", or null" : "");
        }
    }
    return DONE;
}

/* Parses @line into one object, or fails saying why. */
json_object *vupi_ctl_parse(const char *line, size_t len, struct ctl_err *e)
{
    json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
    json_object *o = NULL;
    enum json_tokener_error err;

    /* Trailing blanks (a \r before the newline) are not content. */
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
                   line[len - 1] == '\r')) {
        len--;
    }
    if (!tok) {
        fail(e, "internal", "out of memory");
        return NULL;
    }
    /* Strings must be UTF-8: replies quote them. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                                JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, line, (int)len);
    err = json_tokener_get_error(tok);
    if (!o && err == json_tokener_continue) {
        /* A NUL ends a number or literal the line ends with ("42"). */
        o = json_tokener_parse_ex(tok, "", 1);
        if (!o) {
            fail(e, "parse", "not JSON: the line ends inside a value");
        }
    } else if (!o || err != json_tokener_success) {
        fail(e, "parse", "not JSON: %s at byte %zu",
             json_tokener_error_desc(err), json_tokener_get_parse_end(tok));
        json_object_put(o);
        o = NULL;
    } else if (json_tokener_get_parse_end(tok) != len) {
        fail(e, "parse", "not JSON: something after the object at byte %zu "
             "(one request per line)", json_tokener_get_parse_end(tok));
        json_object_put(o);
        o = NULL;
    }
    if (o && !json_object_is_type(o, json_type_object)) {
        fail(e, "bad-request", "a request is a JSON object, not %s",
             json_type_to_name(json_object_get_type(o)));
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}
