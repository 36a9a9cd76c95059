/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-ctl: talking to the backend (tools/vup-ctl.h): the socket, one
 * request line and its reply within the wall-clock deadline, the members
 * of a reply.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vup-ctl.h"

#define REPLY_MAX       (8u << 20)   /* more than the server ever sends */

int failed(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_FAILED;
}

/* ---- talking to the backend -------------------------------------------- */

uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Milliseconds left before the wall-clock deadline (0: none left). */
int ms_left(void)
{
    uint64_t now = now_ms();

    if (now >= wall_deadline_ms) {
        return 0;
    }
    return wall_deadline_ms - now > 3600000u ? 3600000
                                             : (int)(wall_deadline_ms - now);
}

int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        failed("%s: socket path too long", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        failed("%s: cannot connect: %s (is the backend running with "
               "--ctl %s?)", path, strerror(errno), path);
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

int send_line(int fd, const char *line)
{
    size_t len = strlen(line), off = 0;

    while (off < len) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        ssize_t n;

        if (poll(&p, 1, ms_left()) <= 0) {
            return failed("%s: could not send the request in time",
                          sock_path);
        }
        n = send(fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return failed("%s: send: %s", sock_path, strerror(errno));
        }
        off += n > 0 ? (size_t)n : 0;
    }
    return 0;
}

/* Buffered input: a reply line, then maybe the next. */
static char *inbuf;
static size_t in_len, in_cap;

/* One reply line (without the newline) in *@line, NUL-terminated. */
int recv_line(int fd, char **line)
{
    for (;;) {
        char *nl = in_len ? memchr(inbuf, '\n', in_len) : NULL;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int left;
        ssize_t n;

        if (nl) {
            *nl = '\0';
            *line = strdup(inbuf);
            in_len -= (size_t)(nl + 1 - inbuf);
            memmove(inbuf, nl + 1, in_len);
            return *line ? 0 : failed("out of memory");
        }
        if (in_len == REPLY_MAX) {
            return failed("%s: a reply longer than %u bytes", sock_path,
                          REPLY_MAX);
        }
        if (in_cap - in_len < 4096) {
            size_t cap = in_cap ? in_cap * 2 : 65536;
            char *grown = realloc(inbuf, cap > REPLY_MAX + 1 ? REPLY_MAX + 1
                                                             : cap);

            if (!grown) {
                return failed("out of memory");
            }
            inbuf = grown;
            in_cap = cap > REPLY_MAX + 1 ? REPLY_MAX + 1 : cap;
        }
        left = ms_left();
        if (left == 0 || poll(&p, 1, left) == 0) {
            return failed("%s: no reply within the wall-clock timeout (is "
                          "the guest running? -w gives more time)",
                          sock_path);
        }
        n = recv(fd, inbuf + in_len, in_cap - 1 - in_len, 0);
        if (n == 0) {
            return failed("%s: the backend closed the connection without "
                          "a reply", sock_path);
        }
        if (n < 0 && errno != EINTR && errno != EAGAIN) {
            return failed("%s: recv: %s", sock_path, strerror(errno));
        }
        in_len += n > 0 ? (size_t)n : 0;
    }
}

/* The receive buffer, when done with the backend. */
void io_free(void)
{
    free(inbuf);
    inbuf = NULL;
    in_len = in_cap = 0;
}

/*
 * Sends @req (consumed) and gets its reply object in *@reply.  0, or the
 * exit status: EXIT_FAILED for no reply or one that is not JSON.
 */
int request(int fd, json_object *req, json_object **reply, char **text)
{
    const char *s = json_object_to_json_string_ext(
        req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *line = malloc(strlen(s) + 2);
    int ret;

    if (!line) {
        json_object_put(req);
        return failed("out of memory");
    }
    sprintf(line, "%s\n", s);
    json_object_put(req);
    ret = send_line(fd, line);
    free(line);
    if (ret) {
        return ret;
    }
    ret = recv_line(fd, text);
    if (ret) {
        return ret;
    }
    *reply = json_tokener_parse(*text);
    if (!*reply || !json_object_is_type(*reply, json_type_object)) {
        json_object_put(*reply);
        *reply = NULL;
        return failed("%s: a reply that is not a JSON object: %.200s",
                      sock_path, *text);
    }
    return 0;
}

json_object *member(json_object *o, const char *name)
{
    json_object *v = NULL;

    json_object_object_get_ex(o, name, &v);
    return v;
}

const char *member_str(json_object *o, const char *name)
{
    json_object *v = member(o, name);

    return v ? json_object_get_string(v) : "";
}

uint64_t member_u64(json_object *o, const char *name)
{
    json_object *v = member(o, name);

    return v ? json_object_get_uint64(v) : 0;
}

bool reply_ok(json_object *r)
{
    json_object *ok = member(r, "ok");

    return ok && json_object_get_boolean(ok);
}

/* The error of a failed reply, and its exit status. */
int reply_error(json_object *r)
{
    json_object *seen = member(r, "seen");

    failed("%s", member_str(r, "error"));
    if (seen && json_object_get_string_len(seen)) {
        fprintf(stderr, PROG ": the output searched ended with: %s\n",
                json_object_to_json_string_ext(
                    seen, JSON_C_TO_STRING_PLAIN |
                          JSON_C_TO_STRING_NOSLASHESCAPE));
    }
    return EXIT_FAILED;
}
