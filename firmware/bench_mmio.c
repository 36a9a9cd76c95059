/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_mmio: guest MMIO cost, timed by the host (bench/run.py).
 *
 * The guest has no trustworthy host clock, so it only prints markers on
 * USART1 and the host timestamps the lines:
 *   B <op> <n>\r\n   ... n accesses ...   E\r\n
 * with op one of
 *   read   n reads of RCC_CR (0x40021000)
 *   write  n writes of AHB1SMENR's own value back to it (no side effect)
 *   sram   64 n reads of a volatile SRAM word (loop overhead baseline;
 *          64x as many because each is ~100x cheaper)
 * for n = 2^10 ... 2^25 (3 runs each).  The host fits the time
 * against n so the markers' own cost cancels, and stops QEMU once it has
 * enough.  Touches only RCC and USART1: runs on b-l475e-iot01a (in-process
 * devices) and on vfio-user-mcu with vup-stm32l4.
 */
#include "common/bench.h"
#include "common/stm32l4.h"
#include "common/uart.h"

#define RCC_AHB1SMENR REG32(RCC_BASE + 0x68)
#define REPS 3u

static volatile uint32_t sram_word;

int main(void)
{
    uint32_t smenr;

    uart1_init(115200, 0);
    uart1_puts("bench_mmio\r\n");
    smenr = RCC_AHB1SMENR;
    for (uint32_t shift = 10; shift <= 25; shift++) {
        uint32_t n = 1u << shift;

        for (uint32_t i = 0; i < REPS; i++) {
            bench_begin("read", n);
            bench_read_loop(&RCC_CR, n);
            bench_end();
            bench_begin("write", n);
            bench_write_loop(&RCC_AHB1SMENR, smenr, n);
            bench_end();
            bench_begin("sram", n << 6);
            bench_read_loop(&sram_word, n << 6);
            bench_end();
        }
    }
    uart1_puts("done\r\n");
    return 0;
}
