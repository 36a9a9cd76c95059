/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the benchmarks share (bench/run.py times them): the markers around
 * each measured block on USART1,
 *   B <op> <n>\r\n   ... the block ...   E\r\n
 * and the access loops they time, unrolled by 8 so loop overhead is small
 * next to an access (n % 8 == 0), and not inlined so that each is one
 * loop wherever it is called.
 */
#ifndef FW_BENCH_H
#define FW_BENCH_H

#include <stdint.h>

#include "uart.h"

static inline void bench_begin(const char *op, uint32_t n)
{
    uart1_puts("B ");
    uart1_puts(op);
    uart1_putc(' ');
    uart1_putdec(n);
    uart1_puts("\r\n");
}

static inline void bench_end(void)
{
    uart1_puts("E\r\n");
}

/* @n reads of @r. */
__attribute__((noinline, unused)) static void
bench_read_loop(volatile uint32_t *r, uint32_t n)
{
    for (n /= 8u; n; n--) {
        (void)*r; (void)*r; (void)*r; (void)*r;
        (void)*r; (void)*r; (void)*r; (void)*r;
    }
}

/* @n writes of @v to @r. */
__attribute__((noinline, unused)) static void
bench_write_loop(volatile uint32_t *r, uint32_t v, uint32_t n)
{
    for (n /= 8u; n; n--) {
        *r = v; *r = v; *r = v; *r = v;
        *r = v; *r = v; *r = v; *r = v;
    }
}

#endif /* FW_BENCH_H */
