/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging to stderr (the level starts from $VUP_LOG: error..debug) and
 * failure reporting: the message of a device's last failed call, for
 * vup_dev_error().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const level_names[] = {
    [VUP_LOG_ERROR] = "error",
    [VUP_LOG_WARN] = "warning",
    [VUP_LOG_INFO] = "info",
    [VUP_LOG_DEBUG] = "debug",
};

static int log_level = -1;      /* -1: not yet read from the environment */

static int level_from_env(void)
{
    const char *s = getenv("VUP_LOG");

    if (s) {
        for (int i = VUP_LOG_ERROR; i <= VUP_LOG_DEBUG; i++) {
            if (!strcmp(s, level_names[i]) ||
                (i == VUP_LOG_WARN && !strcmp(s, "warn"))) {
                return i;
            }
        }
    }
    return VUP_LOG_INFO;
}

void vup_log_set_level(enum vup_log_level level)
{
    log_level = level;
}

void vup_log(enum vup_log_level level, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (log_level < 0) {
        log_level = level_from_env();
    }
    if ((int)level > log_level) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* One write per line so concurrent processes do not interleave. */
    fprintf(stderr, "vup: %s%s%s\n", level == VUP_LOG_INFO ? "" :
            level_names[level], level == VUP_LOG_INFO ? "" : ": ", buf);
}

int vupi_fail(vup_dev *d, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->error.msg, sizeof(d->error.msg), fmt, ap);
    va_end(ap);
    return -err;
}

void *vupi_zalloc(vup_dev *d, size_t size)
{
    void *p = calloc(1, size);

    if (!p) {
        vupi_fail(d, ENOMEM, "out of memory");
    }
    return p;
}

const char *vup_dev_error(const vup_dev *d)
{
    return d->error.msg;
}
