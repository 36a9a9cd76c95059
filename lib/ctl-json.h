/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control channel's JSON vocabulary (ctl-json.c), shared by the
 * command handlers (ctl-cmds.c): the argument types a command declares
 * and their checks, errors being built, bytes in JSON strings, reply
 * pieces, framing, and parsing a request line.  Private to those two.
 */
#ifndef VUP_CTL_JSON_H
#define VUP_CTL_JSON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define VUPI_CTL_ERR_LEN 512u

/* What a handler did. */
enum outcome { DONE, FAILED, WAITING };

/* An error being built: its code and message. */
struct ctl_err {
    const char *code;
    char msg[VUPI_CTL_ERR_LEN];
};


/* Sets @e; fail() says FAILED, for a handler's return. */
void vupi_ctl_failv(struct ctl_err *e, const char *code, const char *fmt,
                    va_list ap);

static inline enum outcome fail(struct ctl_err *e, const char *code,
                                const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline enum outcome fail(struct ctl_err *e, const char *code,
                                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vupi_ctl_failv(e, code, fmt, ap);
    va_end(ap);
    return FAILED;
}

/* ---- arguments ----------------------------------------------------------- */

enum arg_type {
    ARG_STRING,               /* a string */
    ARG_UINT,                 /* a whole number >= 0 */
    ARG_LEVEL,                /* 0, 1, true, false (null too for set-pin) */
    ARG_NUMBER,               /* any finite number */
    ARG_FROM,                 /* "start", "now", "mark" or a whole number */
};

struct arg {
    const char *name;
    enum arg_type type;
    bool required;
    bool nullable;            /* null is allowed too */
};

/*
 * Checks @req's members against the arguments @args (ending with a NULL
 * name) of command @cmd_name: only those, each of its type, the required
 * ones present.
 */
enum outcome vupi_ctl_check_args(const char *cmd_name, const struct arg *args,
                                 json_object *req, struct ctl_err *e);
/* A whole number >= 0 that fits 64 bits; 0, 1, true or false. */
bool vupi_ctl_get_uint(json_object *o, uint64_t *out);
bool vupi_ctl_get_level(json_object *o, int *out);
/* Parses @line into one object, or fails saying why (NULL). */
json_object *vupi_ctl_parse(const char *line, size_t len, struct ctl_err *e);

/* Text from a request quoted in a message, shortened into @buf. */
const char *vupi_ctl_quoted(const char *s, char *buf, size_t len);
/* A member's value in an error message, as JSON, shortened. */
const char *vupi_ctl_shown(json_object *o, char *buf, size_t len);

/* ---- bytes in JSON strings (Latin-1: U+0000..U+00FF are the bytes) -------- */

json_object *vupi_ctl_latin1_string(const uint8_t *buf, size_t len);
/*
 * The bytes of member @text_name ("data", "pattern": Latin-1) or "hex",
 * exactly one of them, at most @max into @out, their number in *@n.
 */
int vupi_ctl_get_bytes(json_object *req, const char *text_name,
                       uint8_t *out, size_t max, size_t *n,
                       struct ctl_err *e);

/* ---- replies -------------------------------------------------------------- */

void vupi_ctl_add_u64(json_object *o, const char *key, uint64_t v);
void vupi_ctl_add_str(json_object *o, const char *key, const char *v);
void vupi_ctl_add_bool(json_object *o, const char *key, bool v);
json_object *vupi_ctl_number(double v);
/* {"ok": ok, "id": id} (id: JSON text or NULL). */
json_object *vupi_ctl_reply_head(bool ok, const char *id);
/* The reply line of @o (which it frees), newline-terminated, malloc'd. */
char *vupi_ctl_finish(json_object *o);
char *vupi_ctl_error_reply(const char *id, const struct ctl_err *e);

#endif /* VUP_CTL_JSON_H */
