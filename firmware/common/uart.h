/* SPDX-License-Identifier: BSD-3-Clause */
/* Polled USART1 output for the test firmware. */
#ifndef FW_UART_H
#define FW_UART_H

#include <stdint.h>

/* Clocks USART1 (RCC APB2ENR) and enables it at @baud; @cr1 extra bits. */
void uart1_init(uint32_t baud, uint32_t cr1_extra);
/* Same, from a kernel clock of @clk_hz (after a clock switch). */
void uart1_init_clk(uint32_t clk_hz, uint32_t baud, uint32_t cr1_extra);
/* Waits until the last byte has left (TC). */
void uart1_flush(void);
void uart1_putc(char c);
void uart1_puts(const char *s);
void uart1_puthex(uint32_t v);   /* 8 hex digits */
void uart1_putdec(uint32_t v);

#endif /* FW_UART_H */
