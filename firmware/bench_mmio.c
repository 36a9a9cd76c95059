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
#include "common/stm32l4.h"
#include "common/uart.h"

#define RCC_AHB1SMENR REG32(RCC_BASE + 0x68)
#define REPS 3u

static volatile uint32_t sram_word;

/* Unrolled by 8 so loop overhead is small next to an access; n % 8 == 0. */
__attribute__((noinline)) static void loop_read(volatile uint32_t *r,
                                                uint32_t n)
{
    for (n /= 8u; n; n--) {
        (void)*r; (void)*r; (void)*r; (void)*r;
        (void)*r; (void)*r; (void)*r; (void)*r;
    }
}

__attribute__((noinline)) static void loop_write(volatile uint32_t *r,
                                                 uint32_t v, uint32_t n)
{
    for (n /= 8u; n; n--) {
        *r = v; *r = v; *r = v; *r = v;
        *r = v; *r = v; *r = v; *r = v;
    }
}

static void begin(const char *op, uint32_t n)
{
    uart1_puts("B ");
    uart1_puts(op);
    uart1_putc(' ');
    uart1_putdec(n);
    uart1_puts("\r\n");
}

static void end(void)
{
    uart1_puts("E\r\n");
}

int main(void)
{
    uint32_t smenr;

    uart1_init(115200, 0);
    uart1_puts("bench_mmio\r\n");
    smenr = RCC_AHB1SMENR;
    for (uint32_t shift = 10; shift <= 25; shift++) {
        uint32_t n = 1u << shift;

        for (uint32_t i = 0; i < REPS; i++) {
            begin("read", n);
            loop_read(&RCC_CR, n);
            end();
            begin("write", n);
            loop_write(&RCC_AHB1SMENR, smenr, n);
            end();
            begin("sram", n << 6);
            loop_read(&sram_word, n << 6);
            end();
        }
    }
    uart1_puts("done\r\n");
    return 0;
}
