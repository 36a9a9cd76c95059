/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Between the two halves of the server: server.c (the socket, framing,
 * the one connection, dispatch) and server-cmds.c (a handler per command).
 */
#ifndef VUP_LIB_SERVER_H
#define VUP_LIB_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* A reply's payload being built by a handler. */
struct vupi_reply {
    void *data;                 /* payload after the header */
    size_t len;
    int fd;                     /* sent with the reply (not owned), or -1 */
    void *heap;                 /* freed once sent */
    union {
        uint8_t bytes[256];
        uint64_t align;
    } small;
};

/*
 * A command's handler: 0 or a positive errno for the error reply; the
 * payload goes to @r.
 */
typedef int vupi_handler_fn(vup_dev *d, const struct vupi_msg_hdr *h,
                            const uint8_t *p, size_t len,
                            struct vupi_reply *r);

/* The handler of @cmd, or NULL if the server does not serve it. */
vupi_handler_fn *vupi_server_handler(uint16_t cmd);
const char *vupi_cmd_name(uint16_t cmd);
/* @len zeroed bytes of payload in @r, or NULL (out of memory). */
void *vupi_reply_buf(struct vupi_reply *r, size_t len);
/* Logs why a request failed and gives the errno for the error reply. */
int vupi_reject(const struct vupi_msg_hdr *h, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
