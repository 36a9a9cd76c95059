/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The unit tests' shared fixture: a vup_dev listening on a socket in a
 * temporary directory, served by vup_dev_run() in a thread until a stop
 * pipe is written, and the helpers that talk to it as a client would.
 * The test adds its peripherals, clocks and timers between harness_init()
 * and harness_start(); failures are cmocka failures.
 */
#ifndef VUP_TEST_HARNESS_H
#define VUP_TEST_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vup.h"
#include "vup/client.h"

#define TIMEOUT_MS 2000

struct harness {
    char dir[64], path[96];     /* the temporary directory, the socket */
    vup_dev *dev;
    int stop_pipe[2];
    pthread_t thread;
    vup_client *c;              /* harness_serve()'s client, or NULL */
    uint32_t live;              /* its live part's offset in region 0 */
    int in[2];                  /* harness_watch_in()'s pipe, or -1 */
};

/* Extra setup once the device listens, before its thread starts. */
typedef void harness_watch_fn(struct harness *h, void *opaque);

/*
 * Makes $TMPDIR/vup-@tag-XXXXXX (/tmp without a short $TMPDIR) and a device
 * called @name for the socket.
 */
void harness_init(struct harness *h, const char *tag, const char *name);

/*
 * Listens, watches the stop pipe, calls @watch (if any: to watch the test's
 * own fds) and starts serving in a thread.
 */
void harness_start(struct harness *h, harness_watch_fn *watch, void *opaque);

/*
 * From a harness_watch_fn: a pipe into the device loop, like serial input.
 * The loop calls @fn(@opaque) when the test writes to h->in[1];
 * harness_stop() closes it.
 */
void harness_watch_in(struct harness *h, vup_fd_fn fn, void *opaque);

/* harness_start(), then connects h->c and reads h->live. */
void harness_serve(struct harness *h, harness_watch_fn *watch, void *opaque);

/*
 * Frees h->c (if any), stops the thread, frees the device and removes the
 * (empty) directory.
 */
void harness_stop(struct harness *h);

/*
 * The cmocka teardown of a fixture with nothing else to release: its
 * struct harness first, the rest plain memory.  harness_stop(), free().
 */
int harness_teardown(void **state);

/* A negotiated client, or a test failure saying why not. */
vup_client *harness_connect(const struct harness *h);

/* The offset of struct vup_cr_live in region 0, from its header. */
uint32_t harness_live_offset(vup_client *c);

/* The 8 bytes at @field of h->c's live part. */
uint64_t harness_live64(const struct harness *h, size_t field);

/* @count bytes at @off of region @region, read / written: must succeed. */
uint32_t harness_rd(vup_client *c, uint32_t region, uint64_t off,
                    uint32_t count);
void harness_wr(vup_client *c, uint32_t region, uint64_t off, uint32_t v,
                uint32_t count);

/* Waits for the eventfd to be signalled; returns its count (0: none). */
uint64_t harness_wait_event(int efd, int timeout_ms);

/*
 * Sends one vfio-user message as given, header and all, @fds with its
 * first byte, and checks that all of it went.
 */
void harness_send_msg(int s, uint16_t id, uint16_t cmd, uint32_t flags,
                      const void *payload, size_t len, const int *fds,
                      size_t nfds);

/*
 * A control-channel client (lib/ctl.c), as vup-ctl: lines out, reply
 * lines in.  Failures are cmocka failures.
 */
struct json_object;
struct harness_ctl;
struct harness_ctl *harness_ctl_open(const char *path);
void harness_ctl_close(struct harness_ctl *c);
int harness_ctl_fd(const struct harness_ctl *c);
void harness_ctl_send(struct harness_ctl *c, const void *data, size_t len);
/*
 * The next reply line (malloc'd, no newline), or NULL if none came within
 * @ms; then *@eof says whether the server closed the connection instead.
 */
char *harness_ctl_line(struct harness_ctl *c, int ms, bool *eof);
/* The next reply, a JSON object, within TIMEOUT_MS (json_object_put it). */
struct json_object *harness_ctl_reply(struct harness_ctl *c);
/* Sends @line and a newline; its reply. */
struct json_object *harness_ctl_req(struct harness_ctl *c, const char *line);
/* Member @key of @o, failing if there is none. */
struct json_object *harness_json(struct json_object *o, const char *key);
/* @o (put here) is an error reply with @code, its message has @needle. */
void harness_ctl_assert_error(struct json_object *o, const char *code,
                              const char *needle);

#endif
