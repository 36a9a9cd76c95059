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
#include "common/bench.h"
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

int main(void)
{
    uart1_init(115200, 0);
    uart1_puts("bench_tx\r\n");
    for (uint32_t shift = 10; shift <= 26; shift++) {
        uint32_t n = 1u << shift;

        for (uint32_t i = 0; i < REPS; i++) {
            bench_begin("txpoll", n);
            tx_poll(n);
            bench_end();
            bench_begin("txraw", n << 4);
            bench_write_loop(&USART_TDR(USART1_BASE), 'U', n << 4);
            bench_end();
        }
    }
    uart1_puts("done\r\n");
    return 0;
}
