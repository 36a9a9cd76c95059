/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_tx: USART1 transmit throughput, timed by the host (bench/run.py).
 *
 * Markers as bench_mmio:  B <op> <n>\r\n  <n bytes of 'U'>  E\r\n
 *   txpoll  n bytes sent as firmware usually does: wait for TXE, write TDR
 *   txraw   16 n bytes written to TDR back to back (the models are always
 *           ready), i.e. the posted-write stream alone; 16x as many
 *           because each costs a fraction of a polled one externally
 * for n = 2^10 ... 2^26 (3 runs each).  The host counts the
 * bytes it receives and fits time against n.  Runs on b-l475e-iot01a and
 * on vfio-user-mcu with vup-stm32l4.
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define REPS 3u

__attribute__((noinline)) static void tx_poll(uint32_t n)
{
    while (n--) {
        while (!(USART_ISR(USART1_BASE) & USART_ISR_TXE)) {
        }
        USART_TDR(USART1_BASE) = 'U';
    }
}

__attribute__((noinline)) static void tx_raw(uint32_t n)
{
    volatile uint32_t *tdr = &USART_TDR(USART1_BASE);

    for (n /= 8u; n; n--) {
        *tdr = 'U'; *tdr = 'U'; *tdr = 'U'; *tdr = 'U';
        *tdr = 'U'; *tdr = 'U'; *tdr = 'U'; *tdr = 'U';
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

int main(void)
{
    uart1_init(115200, 0);
    uart1_puts("bench_tx\r\n");
    for (uint32_t shift = 10; shift <= 26; shift++) {
        uint32_t n = 1u << shift;

        for (uint32_t i = 0; i < REPS; i++) {
            begin("txpoll", n);
            tx_poll(n);
            uart1_puts("E\r\n");
            begin("txraw", n << 4);
            tx_raw(n << 4);
            uart1_puts("E\r\n");
        }
    }
    uart1_puts("done\r\n");
    return 0;
}
