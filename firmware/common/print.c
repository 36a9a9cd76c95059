/* SPDX-License-Identifier: BSD-3-Clause */
/* Text output over uart1_putc(), whichever chip's USART provides it. */
#include "uart.h"

void uart1_puts(const char *s)
{
    while (*s) {
        uart1_putc(*s++);
    }
}

void uart1_puthex(uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4) {
        uart1_putc("0123456789abcdef"[(v >> shift) & 0xfu]);
    }
}

void uart1_putdec(uint32_t v)
{
    char buf[10];
    int n = 0;

    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) {
        uart1_putc(buf[--n]);
    }
}
