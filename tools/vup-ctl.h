/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-ctl's parts: the command line and the subcommands (vup-ctl.c),
 * talking to the backend (vup-ctl-io.c), printing replies for people
 * (vup-ctl-print.c).
 */
#ifndef VUP_CTL_TOOL_H
#define VUP_CTL_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#define PROG            "vup-ctl"
#define EXIT_FAILED     1
#define EXIT_USAGE      2

/* Set by the command line: the socket, and when the wall-clock time is up. */
extern const char *sock_path;
extern uint64_t wall_deadline_ms;  /* CLOCK_MONOTONIC */

/* "vup-ctl: <message>" on stderr; returns EXIT_FAILED. */
int failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- talking to the backend (vup-ctl-io.c) ---------------------------- */

uint64_t now_ms(void);
/* Milliseconds left before the wall-clock deadline (0: none left). */
int ms_left(void);
int connect_to(const char *path);
int send_line(int fd, const char *line);
int recv_line(int fd, char **line);
/*
 * Sends @req (consumed) and gets its reply object in *@reply (and its
 * text in *@text).  0, or EXIT_FAILED for no reply or one not JSON.
 */
int request(int fd, json_object *req, json_object **reply, char **text);
void io_free(void);
/* A reply's members (NULL, "" or 0 when absent). */
json_object *member(json_object *o, const char *name);
const char *member_str(json_object *o, const char *name);
uint64_t member_u64(json_object *o, const char *name);
bool reply_ok(json_object *r);
/* The error of a failed reply printed, and its exit status. */
int reply_error(json_object *r);

/* ---- printing replies (vup-ctl-print.c) ------------------------------- */

void print_pin(json_object *r);
void print_value(json_object *r);
void print_list(json_object *r);
void print_reply(const char *cmd, json_object *r);

#endif /* VUP_CTL_TOOL_H */
